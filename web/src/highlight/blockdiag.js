// A small stream mode for the blockdiag family (blockdiag, seqdiag, actdiag, nwdiag, packetdiag,
// rackdiag): comments, the diagram keyword, groups and networks, attribute names in [brackets],
// edges (->, --, <-, =>, >>), strings and numbers.

const KEYWORDS = new Set(
  `blockdiag seqdiag actdiag nwdiag packetdiag rackdiag diagram group network lane class plugin
  default_shape default_fontsize default_node_color default_group_color default_linecolor
  default_textcolor orientation node_width node_height span_width span_height edge_layout
  activation autonumber default_note_color rack`
    .split(/\s+/)
    .filter(Boolean),
);

export const blockdiag = {
  name: 'blockdiag',
  startState: () => ({ inAttributes: false, blockComment: false }),
  copyState: (state) => ({ ...state }),
  token(stream, state) {
    if (state.blockComment) {
      if (stream.skipTo('*/')) {
        stream.match('*/');
        state.blockComment = false;
      } else {
        stream.skipToEnd();
      }
      return 'comment';
    }
    if (stream.eatSpace()) return null;
    if (stream.match('/*')) {
      state.blockComment = true;
      return 'comment';
    }
    if (stream.match('//') || stream.peek() === '#') {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/) || stream.match(/^'(?:[^'\\]|\\.)*'?/)) return 'string';
    if (stream.match(/^(?:<<--|-->>|<--|-->|<<-|->>|<->|->|<-|--|=>|<=|>>|<<)/)) return 'operator';
    if (stream.eat('[')) {
      state.inAttributes = true;
      return 'bracket';
    }
    if (stream.eat(']')) {
      state.inAttributes = false;
      return 'bracket';
    }
    if (stream.match(/^[{}()]/)) return 'bracket';
    if (stream.match(/^-?\d+(?:\.\d+)?(?:-\d+)?(?![\w.])/)) return 'number';
    if (stream.match(/^[A-Za-z_][\w.]*/)) {
      const word = stream.current();
      if (state.inAttributes) return stream.match(/^\s*=/, false) ? 'propertyName' : 'atom';
      if (KEYWORDS.has(word)) return 'keyword';
      if (stream.match(/^\s*=/, false)) return 'propertyName';
      return 'variableName';
    }
    if (stream.match(/^[=,;:]/)) return 'punctuation';
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: '//', block: { open: '/*', close: '*/' } } },
};
