// A small stream mode for D2: comments, strings, reserved keys (shape, style.fill, direction),
// connections (->, <->, --), labels after a colon, numbers and braces.

const RESERVED = new Set(
  `shape label style icon near width height direction constraint tooltip link grid-rows grid-columns
  grid-gap vertical-gap horizontal-gap vars classes class layers scenarios steps source-arrowhead
  target-arrowhead top left opacity fill fill-pattern stroke stroke-width stroke-dash border-radius
  shadow 3d multiple double-border font font-size font-color animated bold italic underline
  text-transform filled layout-engine theme-id dark-theme-id pad sketch center root d2-config`
    .split(/\s+/)
    .filter(Boolean),
);

export const d2 = {
  name: 'd2',
  startState: () => ({ afterColon: false, block: null }),
  copyState: (state) => ({ ...state }),
  token(stream, state) {
    if (stream.sol()) state.afterColon = false;
    if (state.block) {
      // A |md ... | or |||md ... ||| block: everything up to the closing pipes is its text.
      if (stream.skipTo(state.block)) {
        stream.match(state.block);
        state.block = null;
      } else {
        stream.skipToEnd();
      }
      return 'string';
    }
    if (stream.eatSpace()) return null;
    if (stream.peek() === '#') {
      stream.skipToEnd();
      return 'comment';
    }
    const opener = stream.match(/^(\|+)`?\w*(?=\s|$)/);
    if (opener) {
      state.block = opener[1];
      return 'string';
    }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/) || stream.match(/^'(?:[^'\\]|\\.)*'?/)) return 'string';
    if (stream.match(/^(?:<->|<-|->|--)/)) {
      state.afterColon = false;
      return 'operator';
    }
    if (stream.eat(':')) {
      state.afterColon = true;
      return 'punctuation';
    }
    if (stream.match(/^[{}[\]()]/)) {
      state.afterColon = false;
      return 'bracket';
    }
    if (stream.eat(';')) {
      state.afterColon = false;
      return 'punctuation';
    }
    if (stream.match(/^-?\d+(?:\.\d+)?(?![\w-])/)) return 'number';
    if (stream.match(/^[\w$@*][\w$@*-]*/)) {
      const word = stream.current();
      if (state.afterColon) {
        // A label or value runs to the end of the line, a brace or a semicolon.
        stream.match(/^[^{};#]*/);
        const text = stream.current().trim();
        stream.backUp(stream.current().length - stream.current().trimEnd().length);
        if (/^(?:true|false|null)$/.test(text)) return 'atom';
        return 'string';
      }
      if (RESERVED.has(word)) return 'keyword';
      return 'variableName';
    }
    if (stream.eat('.')) return 'punctuation';
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: '#' } },
};
