// Finds the source line an engine's error message points at. Kroki passes each engine's message
// through word for word: PlantUML `(line: 3)`, Mermaid `on line 3`, Graphviz `in line 3`, JSON
// `at line 3 column 5`, BPMN `line: 3`, D2 `-:3:1:`. Mirrors src/routes/editor/error_line.rs.

const WORD_LINE = /(?:^|[^\p{L}\p{N}])line[: \t]+(\d+)/giu;
const D2_POSITION = /-:(\d+):\d+:/g;

/** The 1-based line named in `message`, or null. */
export function errorLine(message) {
  for (const pattern of [WORD_LINE, D2_POSITION]) {
    for (const match of String(message ?? '').matchAll(pattern)) {
      const line = Number.parseInt(match[1], 10);
      if (line > 0) return line;
    }
  }
  return null;
}
