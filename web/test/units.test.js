// Unit tests of the editor's pure modules: `node --test web/test/` (no npm install needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiError, errorLine } from '../src/errors.js';
import { debounceDelay } from '../src/render.js';
import { diagramOptions, OptionsError } from '../src/options.js';
import {
  curlCommand,
  decodeSource,
  encodeSource,
  fragmentState,
  imagePath,
  shareLink,
  sharePath,
  snippets,
} from '../src/share.js';
import { isReplacement, titleOf } from '../src/history.js';
import { clampSplit } from '../src/layout.js';
import { inflateSync } from 'node:zlib';

test('error lines are read from each engine', () => {
  const cases = [
    ['Syntax Error? (Assumed diagram type: sequence) (line: 3)', 3],
    ["Error: Parse error on line 12:\nfoo\n-----^\nExpecting 'NEWLINE'", 12],
    ["Error: <stdin>: syntax error in line 7 near 'SYNTAX_ERROR'", 7],
    ['err: failed to compile -: -:4:1: unexpected text after map key', 4],
    ['SyntaxError: Unexpected token in JSON at line 2 column 5', 2],
    ['Error: unparsable content SYNTAX_ERROR detected; line: 5', 5],
    ['Error: line 6: syntax error', 6],
    ['deadline 3 passed', null],
    ['inline 3', null],
    ['timeline 2, then line 4', 4],
    ['line 0', null],
    ['Empty diagram, missing delimiters?', null],
  ];
  for (const [message, line] of cases) assert.equal(errorLine(message), line, message);
});

test('the debounce adapts to render times', () => {
  assert.equal(debounceDelay(null), 400);
  assert.equal(debounceDelay(10), 250);
  assert.equal(debounceDelay(500), 650);
  assert.equal(debounceDelay(60_000), 2000);
});

test('options: extra lines, then the controls over them', () => {
  const graphviz = {
    theme: null,
    background: { option: 'graph-attribute-bgcolor', white: 'white', transparent: 'transparent', formats: [] },
  };
  const state = { format: 'svg', theme: '', background: 'transparent', extraOptions: '# c\nLayout = neato\ngraph-attribute-bgcolor=red' };
  assert.deepEqual(diagramOptions(state, graphviz), { layout: 'neato', 'graph-attribute-bgcolor': 'transparent' });
  const blockdiag = { background: { option: 'no-transparency', white: 'true', transparent: 'false', formats: ['png'] } };
  assert.deepEqual(diagramOptions({ ...state, extraOptions: '' }, blockdiag), {});
  assert.deepEqual(diagramOptions({ ...state, format: 'png', extraOptions: '' }, blockdiag), { 'no-transparency': 'false' });
  assert.throws(() => diagramOptions({ ...state, extraOptions: 'a=1\nnonsense' }, graphviz), OptionsError);
});

test('sources encode as Kroki reads them', async () => {
  const source = 'digraph G {\n  Hello -> World\n}';
  const encoded = await encodeSource(source);
  assert.match(encoded, /^[A-Za-z0-9_-]+$/);
  const bytes = Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  assert.equal(inflateSync(bytes).toString('utf8'), source);
});

test('share and image addresses carry every setting', () => {
  assert.equal(imagePath({ type: 'mermaid', format: 'svg', options: { theme: 'dark' } }, 'eNp'), '/mermaid/svg/eNp?theme=dark');
  assert.equal(imagePath({ type: 'd2', format: 'svg', options: {} }, 'eNp'), '/d2/svg/eNp');
  assert.equal(
    sharePath({ type: 'mermaid', format: 'png', theme: 'forest', background: '', extraOptions: ' a=1 ' }, 'eNp'),
    '/?type=mermaid&format=png&theme=forest&options=a%3D1&src=eNp',
  );
  const embed = snippets('https://x/a?b=1&c="2"', 'Mermaid diagram');
  assert.equal(embed.markdown, '![Mermaid diagram](https://x/a?b=1&c="2")');
  assert.equal(embed.html, '<img src="https://x/a?b=1&amp;c=&quot;2&quot;" alt="Mermaid diagram">');
  assert.equal(embed.asciidoc, 'image::https://x/a?b=1&c="2"[Mermaid diagram]');
});

test('history titles skip delimiters and comments', () => {
  assert.equal(titleOf('@startuml\n\' note\nAlice -> Bob\n@enduml'), 'Alice -> Bob');
  assert.equal(titleOf('%% comment\ngraph TD'), 'graph TD');
  assert.equal(titleOf('   \n'), 'Empty diagram');
  assert.equal(titleOf('x'.repeat(100)).length, 70);
});

test('share links: the query form while it fits, the fragment form past the limit', async () => {
  const state = { type: 'graphviz', format: 'svg', theme: '', background: '', extraOptions: 'layout=neato' };
  assert.equal(shareLink(state, 'eNp', 100), '/?type=graphviz&format=svg&options=layout%3Dneato&src=eNp');
  const long = shareLink(state, 'e'.repeat(200), 100);
  assert.equal(long, `/#type=graphviz&format=svg&options=layout%3Dneato&src=${'e'.repeat(200)}`);
  const read = fragmentState(long.slice(1));
  assert.deepEqual(read, { ...state, src: 'e'.repeat(200) });
  assert.equal(fragmentState('#type=graphviz'), null);
  assert.equal(fragmentState(''), null);
  const source = 'digraph {\n  "ünïcode" -> b\n}';
  assert.equal(await decodeSource(await encodeSource(source)), source);
});

test('the curl command posts the source with the options in the query', () => {
  assert.equal(
    curlCommand('http://h:8080', { type: 'graphviz', format: 'svg', options: { layout: "it's" } }),
    `curl -H 'Content-Type: text/plain' --data-binary @graphviz-diagram.txt -o graphviz-diagram.svg 'http://h:8080/graphviz/svg?layout=it%27s'`,
  );
  assert.match(curlCommand('http://h', { type: 'plantuml', format: 'jpeg', options: {} }, 'jpg'), /-o plantuml-diagram\.jpg 'http:\/\/h\/plantuml\/jpeg'$/);
});

test('API errors are read in the nested and the flat shape', () => {
  assert.deepEqual(apiError({ error: { status: 400, code: 'diagram_error', message: 'bad' } }, 400), {
    status: 400,
    code: 'diagram_error',
    message: 'bad',
  });
  assert.deepEqual(apiError({ error: 'Kroki is not answering', code: 'kroki_unreachable', status: 502 }, 502), {
    status: 502,
    code: 'kroki_unreachable',
    message: 'Kroki is not answering',
  });
  assert.deepEqual(apiError(null, 503), { status: 503, code: 'error', message: 'The server answered 503.' });
});

test('a wholesale replacement is told from an edit', () => {
  const diagram = '@startuml\nAlice -> Bob : hello there\n@enduml';
  assert.equal(isReplacement(diagram, ''), true, 'everything deleted');
  assert.equal(isReplacement(diagram, '@startuml\nCarol -> Dave : something else entirely\n@enduml'), true);
  assert.equal(isReplacement(diagram, diagram.replace('hello', 'goodbye')), false, 'a word changed');
  assert.equal(isReplacement(diagram, `${diagram}\nnote right: x`), false, 'a line added');
  assert.equal(isReplacement('short', ''), false, 'tiny sources are edits');
});

test('the divider split stays within bounds', () => {
  assert.equal(clampSplit(55.4), 55);
  assert.equal(clampSplit(5), 20);
  assert.equal(clampSplit(99), 80);
  assert.equal(clampSplit('nonsense'), 50);
});
