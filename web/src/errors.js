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

/**
 * The `{status, code, message}` of an API error body, whichever shape it has: the nested
 * `{"error": {"status", "code", "message"}}` or the flat `{"error": "<message>", "code", "status"}`.
 * Every error the editor shows is read through here.
 */
export function apiError(body, status) {
  const nested = body && typeof body.error === 'object' && body.error !== null ? body.error : null;
  const flat = body && typeof body.error === 'string' ? body : null;
  const message = nested?.message ?? flat?.error ?? (typeof body?.message === 'string' ? body.message : null);
  const code = nested?.code ?? flat?.code ?? body?.code;
  const number = Number(nested?.status ?? flat?.status ?? body?.status);
  return {
    status: Number.isInteger(number) && number > 0 ? number : status,
    code: typeof code === 'string' && code ? code : 'error',
    message: message ?? `The server answered ${status}.`,
  };
}
