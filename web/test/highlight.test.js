// Unit tests of the highlighting: the stream modes of our own (PlantUML/C4, D2, blockdiag family),
// which type gets which grammar, and the palettes' contrast. Needs `npm ci` (CodeMirror's
// StringStream and HighlightStyle).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StringStream } from '@codemirror/language';
import { plantuml } from '../src/highlight/plantuml.js';
import { d2 } from '../src/highlight/d2.js';
import { blockdiag } from '../src/highlight/blockdiag.js';
import { mermaidGeneric, usesPackageGrammar, diagramKindLine } from '../src/highlight/mermaid-generic.js';
import { grammarOf } from '../src/highlight/grammars.js';
import { PALETTES } from '../src/highlight/palettes.js';

/** Runs a stream mode over `text`: [token text, style] pairs, whitespace and unstyled text left out. */
function tokens(mode, text) {
  const state = mode.startState();
  const out = [];
  for (const line of text.split('\n')) {
    const stream = new StringStream(line, 4, 2);
    let guard = 0;
    while (!stream.eol()) {
      assert.ok(++guard < 1000, `no progress on ${JSON.stringify(line)}`);
      const style = mode.token(stream, state);
      assert.ok(stream.pos > stream.start, `the mode consumed nothing at ${stream.pos} of ${JSON.stringify(line)}`);
      if (style) out.push([stream.current(), style]);
      stream.start = stream.pos;
    }
  }
  return out;
}

const styleOf = (list, text) => list.find(([token]) => token === text)?.[1];

test('PlantUML: start lines, directives, comments, keywords, arrows, strings and C4 macros', () => {
  const list = tokens(
    plantuml,
    [
      '@startuml',
      '!include <C4/C4_Container>',
      "' a comment",
      "/' a block",
      "comment '/ participant",
      'actor User',
      'participant "Web app" as Web',
      'User -> Web: Open /login',
      'A --> B',
      'A <|-- B',
      'A -[#red]-> B',
      'Person(customer, "Customer")',
      'skinparam backgroundColor #EEEBDC',
      '@enduml',
    ].join('\n'),
  );
  assert.equal(styleOf(list, '@startuml'), 'meta');
  assert.equal(styleOf(list, '@enduml'), 'meta');
  assert.equal(styleOf(list, '!include'), 'processingInstruction');
  assert.equal(styleOf(list, '<C4/C4_Container>'), 'string.special');
  assert.equal(styleOf(list, "' a comment"), 'comment');
  assert.equal(styleOf(list, "/'"), 'comment');
  assert.equal(styleOf(list, 'comment \'/'), 'comment');
  assert.equal(styleOf(list, 'participant'), 'keyword', 'a keyword after the block comment closes');
  assert.equal(styleOf(list, 'actor'), 'keyword');
  assert.equal(styleOf(list, '"Web app"'), 'string');
  assert.equal(styleOf(list, 'User'), 'variableName');
  assert.equal(styleOf(list, '->'), 'operator');
  assert.equal(styleOf(list, '-->'), 'operator');
  assert.equal(styleOf(list, '<|--'), 'operator');
  assert.equal(styleOf(list, '-[#red]->'), 'operator');
  assert.equal(styleOf(list, 'Person'), 'variableName.function');
  assert.equal(styleOf(list, '#EEEBDC'), 'atom');
  assert.equal(styleOf(list, 'skinparam'), 'keyword');
});

test("PlantUML: an apostrophe inside a line is not a comment, a lone dash is not an arrow", () => {
  const list = tokens(plantuml, "A -> B: it's fine\nnote left of A: a - b");
  assert.ok(!list.some(([, style]) => style === 'comment'), JSON.stringify(list));
  assert.ok(!list.some(([text, style]) => text === '-' && style === 'operator'), JSON.stringify(list));
  assert.equal(styleOf(list, 'note'), 'keyword');
});

test('D2: comments, reserved keys, connections, labels and values, blocks', () => {
  const list = tokens(
    d2,
    [
      '# a comment',
      'direction: right',
      'shopper: Shopper {shape: person}',
      'shop.web -> shop.api: place order',
      'a <-> b',
      'x: {style.fill: "#fde2e1"; style.opacity: 0.5}',
      'explain: |md',
      '  # Not a comment',
      '|',
      'y',
    ].join('\n'),
  );
  assert.equal(styleOf(list, '# a comment'), 'comment');
  assert.equal(styleOf(list, 'direction'), 'keyword');
  assert.equal(styleOf(list, 'right'), 'string');
  assert.equal(styleOf(list, 'shopper'), 'variableName');
  assert.equal(styleOf(list, 'Shopper'), 'string');
  assert.equal(styleOf(list, 'shape'), 'keyword');
  assert.equal(styleOf(list, 'person'), 'string');
  assert.equal(styleOf(list, '->'), 'operator');
  assert.equal(styleOf(list, '<->'), 'operator');
  assert.equal(styleOf(list, 'place order'), 'string');
  assert.equal(styleOf(list, 'fill'), 'keyword');
  assert.equal(styleOf(list, '"#fde2e1"'), 'string');
  assert.equal(styleOf(list, '0.5'), 'number');
  assert.equal(styleOf(list, '  # Not a comment'), 'string', 'a markdown block is text');
  assert.equal(styleOf(list, 'y'), 'variableName', 'the block ended');
});

test('blockdiag family: keywords, edges, attributes, strings, comments', () => {
  const list = tokens(
    blockdiag,
    [
      'seqdiag {',
      '  // a comment',
      '  default_fontsize = 14;',
      '  browser -> webserver [label = "GET /index.html", color = red];',
      '  browser <-- webserver;',
      '  /* block',
      '     comment */ group {',
      '  network dmz { address = "210.x.x.x/24" }',
      '}',
    ].join('\n'),
  );
  assert.equal(styleOf(list, 'seqdiag'), 'keyword');
  assert.equal(styleOf(list, '// a comment'), 'comment');
  assert.equal(styleOf(list, 'default_fontsize'), 'keyword');
  assert.equal(styleOf(list, '14'), 'number');
  assert.equal(styleOf(list, 'browser'), 'variableName');
  assert.equal(styleOf(list, '->'), 'operator');
  assert.equal(styleOf(list, '<--'), 'operator');
  assert.equal(styleOf(list, 'label'), 'propertyName');
  assert.equal(styleOf(list, 'red'), 'atom');
  assert.equal(styleOf(list, '"GET /index.html"'), 'string');
  assert.equal(styleOf(list, '     comment */'), 'comment');
  assert.equal(styleOf(list, 'group'), 'keyword');
  assert.equal(styleOf(list, 'network'), 'keyword');
  assert.equal(styleOf(list, 'address'), 'propertyName');
});

test('Mermaid: the package parses flowcharts, sequences, Gantt, pie, mind maps; the generic mode the rest', () => {
  for (const text of ['flowchart LR\n a --> b', 'graph TD', 'sequenceDiagram', '%% a comment\ngantt', 'pie showData', 'mindmap', '', '\n\n']) {
    assert.equal(usesPackageGrammar(text), true, JSON.stringify(text));
  }
  for (const text of ['classDiagram', 'stateDiagram-v2', 'erDiagram', 'timeline', 'gitGraph', '---\ntitle: x\n---\nclassDiagram']) {
    assert.equal(usesPackageGrammar(text), false, JSON.stringify(text));
  }
  assert.equal(diagramKindLine('---\ntitle: x\n---\n%%{init: {}}%%\nerDiagram'), 'erDiagram');
});

test('Mermaid generic mode: kind, comments, arrows, cardinalities, labels, annotations', () => {
  const list = tokens(
    mermaidGeneric,
    [
      'classDiagram',
      '  %% a comment',
      '  class Order {',
      '    <<interface>>',
      '    +total() Money',
      '  }',
      '  Customer "1" --> "*" Order : places',
      '  CUSTOMER ||--o{ ORDER : has',
      '  [*] --> Draft',
    ].join('\n'),
  );
  assert.equal(styleOf(list, 'classDiagram'), 'typeName');
  assert.equal(styleOf(list, '%% a comment'), 'comment');
  assert.equal(styleOf(list, 'class'), 'keyword');
  assert.equal(styleOf(list, '<<interface>>'), 'meta');
  assert.equal(styleOf(list, 'total'), 'variableName.function');
  assert.equal(styleOf(list, '"1"'), 'string');
  assert.equal(styleOf(list, '-->'), 'operator');
  assert.equal(styleOf(list, '||--o{'), 'operator');
  assert.equal(styleOf(list, 'places'), 'string');
  assert.equal(styleOf(list, '[*]'), 'atom');
  assert.equal(styleOf(list, 'Order'), 'variableName');
});

test('each type gets its grammar; types without one stay plain text', () => {
  const expected = {
    mermaid: 'mermaid',
    graphviz: 'dot',
    dot: 'dot',
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
    ditaa: null,
    svgbob: null,
    pikchr: null,
    toString: null,
    '': null,
  };
  for (const [type, grammar] of Object.entries(expected)) assert.equal(grammarOf(type), grammar, type);
});

/** WCAG relative luminance and contrast ratio. */
function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const lin = (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}
function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
/** A background with an rgba tint laid over it, as hex. */
function tint(background, [r, g, b, alpha]) {
  const base = [1, 3, 5].map((i) => parseInt(background.slice(i, i + 2), 16));
  const mixed = base.map((c, i) => Math.round(c * (1 - alpha) + [r, g, b][i] * alpha));
  return `#${mixed.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

test('every colour holds 4.5:1 against the editor background and the active line, in both themes', () => {
  // The active-line tints of static/style.css (--active-line), and the search-match tint.
  const tints = { light: [[10, 93, 194, 0.06]], dark: [[110, 118, 129, 0.12]] };
  for (const [theme, palette] of Object.entries(PALETTES)) {
    const backgrounds = [palette.background, ...tints[theme].map((t) => tint(palette.background, t))];
    for (const [name, colour] of Object.entries(palette)) {
      if (name === 'background') continue;
      for (const background of backgrounds) {
        const ratio = contrast(colour, background);
        assert.ok(ratio >= 4.5, `${theme} ${name} ${colour} on ${background}: ${ratio.toFixed(2)}`);
      }
    }
  }
});
