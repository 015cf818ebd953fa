// A small stream mode for the Mermaid diagram kinds `codemirror-lang-mermaid` does not parse
// (class, state, entity relationship, timeline, git graph, quadrant and the newer charts):
// comments, the diagram's kind, keywords, arrows and ER cardinalities, strings, annotations.
// `usesPackageGrammar(text)` tells which of the two grammars a source needs.

/** The kinds the package parses (the first word of the diagram). */
const PACKAGE_KINDS = /^(?:flowchart|graph|sequenceDiagram|gantt|pie|mindmap|journey|requirementDiagram)\b/;

/** The first line that is the diagram's kind: past front matter (--- ... ---), directives and comments. */
export function diagramKindLine(text) {
  const lines = text.split('\n', 200);
  let index = 0;
  if (lines[0]?.trim() === '---') {
    index = lines.findIndex((line, i) => i > 0 && line.trim() === '---') + 1;
    if (index === 0) return '';
  }
  for (; index < lines.length; index++) {
    const line = lines[index].trim();
    if (line && !line.startsWith('%%')) return line;
  }
  return '';
}

/** Whether `codemirror-lang-mermaid` parses this source (else the generic mode colours it). */
export function usesPackageGrammar(text) {
  const line = diagramKindLine(text);
  return line === '' || PACKAGE_KINDS.test(line);
}

const KEYWORDS = new Set(
  `class state note direction title section end as of left right over TB TD BT RL LR namespace
  commit branch checkout merge cherry-pick id type tag order accTitle accDescr classDef style
  cssClass callback click link fork join choice concurrent quadrant x-axis y-axis line bar
  interface abstract annotation enum`
    .split(/\s+/)
    .filter(Boolean),
);

export const mermaidGeneric = {
  name: 'mermaid',
  startState: () => ({ seenKind: false, label: false }),
  copyState: (state) => ({ ...state }),
  token(stream, state) {
    if (stream.sol()) state.label = false;
    if (stream.sol() && !state.seenKind && /^\s*[A-Za-z]/.test(stream.string) && !/^\s*%%/.test(stream.string)) {
      stream.eatSpace();
      if (stream.match(/^[A-Za-z][\w-]*/)) {
        state.seenKind = true;
        return 'typeName';
      }
    }
    if (stream.eatSpace()) return null;
    if (stream.match('%%')) {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return 'string';
    if (stream.match(/^<<[^>]*>>/)) return 'meta';
    if (stream.match('[*]')) return 'atom';
    // Arrows and links: --> -- ..> <|-- *-- o-- ||--o{ }|..|{ ==>
    if (stream.match(/^(?:[|}][|o]|<\|?|[*o])?(?:--+|\.\.+|==+)(?:[|o][|{]|\|?>|[*o])?/)) return 'operator';
    if (stream.match(/^[|}][|o](?=-|\.)/)) return 'operator';
    if (state.label) {
      // A label: the rest of the line (state and class relations, timeline events).
      state.label = false;
      stream.match(/^[^:%]*/);
      return 'string';
    }
    if (stream.eat(':')) {
      state.label = !stream.match(/^[:\s]*$/, false);
      return 'punctuation';
    }
    if (stream.match(/^-?\d+(?:\.\d+)?\b/)) return 'number';
    if (stream.match(/^[A-Za-z_][\w-]*/)) {
      const word = stream.current();
      if (stream.peek() === '(') return 'variableName.function';
      if (KEYWORDS.has(word)) return 'keyword';
      if (/^(?:PK|FK|UK)$/.test(word)) return 'atom';
      return 'variableName';
    }
    if (stream.match(/^[+\-#~$]/)) return 'operator';
    if (stream.match(/^[{}()[\]]/)) return 'bracket';
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: '%%' } },
};
