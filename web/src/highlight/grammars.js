// Which grammar highlights each diagram type (catalog names). Types not listed stay plain text.

const GRAMMARS = {
  mermaid: 'mermaid',
  graphviz: 'dot',
  vega: 'json',
  vegalite: 'json',
  wavedrom: 'json',
  excalidraw: 'json',
  bpmn: 'xml',
  diagramsnet: 'xml',
  umlet: 'xml',
  wireviz: 'yaml',
  tikz: 'stex',
  plantuml: 'plantuml',
  c4plantuml: 'plantuml',
  d2: 'd2',
  blockdiag: 'blockdiag',
  seqdiag: 'blockdiag',
  actdiag: 'blockdiag',
  nwdiag: 'blockdiag',
  packetdiag: 'blockdiag',
  rackdiag: 'blockdiag',
};

/** The grammar's name for a diagram type or alias (`dot` is graphviz), or null. */
export function grammarOf(type) {
  if (type === 'dot') return 'dot';
  return Object.hasOwn(GRAMMARS, type) ? GRAMMARS[type] : null;
}

export const GRAMMAR_TYPES = Object.keys(GRAMMARS);
