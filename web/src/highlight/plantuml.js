// A small stream mode for PlantUML and C4-PlantUML: comments (' and /' '/), @start/@end lines,
// preprocessor directives (!include), strings, keywords, arrows, colours and the macros C4 uses
// (Person(...), Rel(...)). It colours; it does not check the grammar (Kroki does that).

const KEYWORDS = new Set(
  `actor agent archimate artifact boundary card circle cloud collections component control database
  entity file folder frame hexagon interface label node package participant queue rectangle stack
  storage usecase class abstract annotation enum struct protocol exception object map json diamond
  namespace state start stop end kill detach if then else elseif endif while endwhile repeat backward
  fork again merge split switch case endswitch partition swimlane note over left right of top bottom
  on link as is not alt opt loop par break critical group ref activate deactivate destroy create return
  autonumber title header footer caption legend endlegend newpage skinparam hide show remove
  scale mainframe skin sprite allowmixing together direction lr tb extends implements
  project projectscale starts ends lasts requires happens days day weeks week and at`
    .split(/\s+/)
    .filter(Boolean),
);

/** The stream parser (CodeMirror's StreamParser shape). */
export const plantuml = {
  name: 'plantuml',
  startState: () => ({ blockComment: false }),
  copyState: (state) => ({ ...state }),
  token(stream, state) {
    if (state.blockComment) {
      if (stream.skipTo("'/")) {
        stream.match("'/");
        state.blockComment = false;
      } else {
        stream.skipToEnd();
      }
      return 'comment';
    }
    if (stream.eatSpace()) return null;
    if (stream.match("/'")) {
      state.blockComment = true;
      return 'comment';
    }
    if (stream.sol() || /^\s*$/.test(stream.string.slice(0, stream.start))) {
      if (stream.peek() === "'") {
        stream.skipToEnd();
        return 'comment';
      }
      if (stream.match(/^@(start|end)\w*/i)) return 'meta';
      if (stream.match(/^!\w+/)) return 'processingInstruction';
    }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return 'string';
    if (stream.match(/^<[\w/.-]+>/)) return 'string.special'; // !include <C4/C4_Container>
    if (stream.match(/^#(?:[0-9a-fA-F]{3,8}\b|[a-zA-Z]+)/)) return 'atom';
    // Arrows: -> --> ->> <-- ..> -|> *-- o-- <|-- -[#red]-> and the like.
    if (stream.match(/^(?:<\|?|[*o]|<<|\\\\|\/\/)?(?:-+|\.+|=+)(?:\[[^\]]*\]-+)?(?:\|?>>?|[*o]|\\\\|\/\/|x)?/)) {
      if (stream.current().length > 1 || /[>*o]/.test(stream.current())) return 'operator';
      stream.backUp(stream.current().length);
    }
    if (stream.match(/^\d+(?:\.\d+)?/)) return 'number';
    if (stream.match(/^[A-Za-z_$][\w$]*/)) {
      const word = stream.current();
      if (stream.peek() === '(') return 'variableName.function';
      if (KEYWORDS.has(word.toLowerCase())) return 'keyword';
      return 'variableName';
    }
    if (stream.match(/^[{}()[\]]/)) return 'bracket';
    stream.next();
    return null;
  },
  languageData: { commentTokens: { line: "'", block: { open: "/'", close: "'/" } } },
};
