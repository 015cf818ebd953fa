// Syntax highlighting for the source editor: which grammar each diagram type gets, and the
// colours of the page's light or dark theme. `highlighting()` is the editor's extension;
// `setHighlightType(view, type)` switches the grammar when the diagram type changes.

import { Compartment } from '@codemirror/state';
import { EditorView, ViewPlugin } from '@codemirror/view';
import { StreamLanguage, indentService, syntaxHighlighting } from '@codemirror/language';
import { plantuml } from './plantuml.js';
import { d2 } from './d2.js';
import { blockdiag } from './blockdiag.js';
import { mermaidGeneric, usesPackageGrammar } from './mermaid-generic.js';
import { darkHighlight, lightHighlight } from './styles.js';
import { grammarOf } from './grammars.js';

// The grammars of other packages load when first needed (each is a chunk of its own); the
// stream modes of this project are small and built in.
const makers = {
  mermaid: () => import('codemirror-lang-mermaid').then((m) => m.mermaid()),
  'mermaid-generic': async () => StreamLanguage.define(mermaidGeneric),
  dot: () => import('@viz-js/lang-dot').then((m) => m.dot()),
  json: () => import('@codemirror/lang-json').then((m) => m.json()),
  xml: () => import('@codemirror/lang-xml').then((m) => m.xml()),
  yaml: () => import('@codemirror/lang-yaml').then((m) => m.yaml()),
  stex: () => import('@codemirror/legacy-modes/mode/stex').then((m) => StreamLanguage.define(m.stex)),
  plantuml: async () => StreamLanguage.define(plantuml),
  d2: async () => StreamLanguage.define(d2),
  blockdiag: async () => StreamLanguage.define(blockdiag),
};
const made = new Map();

/**
 * The language extension for a diagram type, or [] (plain text) for types without a grammar.
 * Mermaid's depends on the source: the kinds the package does not parse get the generic mode.
 */
export function languageFor(type, text = '') {
  let grammar = grammarOf(type);
  if (grammar === 'mermaid' && !usesPackageGrammar(text)) grammar = 'mermaid-generic';
  if (!grammar) return Promise.resolve([]);
  if (!made.has(grammar)) {
    made.set(
      grammar,
      makers[grammar]().catch((error) => {
        made.delete(grammar); // try again next time
        console.warn(`The ${grammar} highlighting could not be loaded:`, error);
        return [];
      }),
    );
  }
  return made.get(grammar);
}

const language = new Compartment();
const colours = new Compartment();

function pageTheme() {
  return document.documentElement.dataset.theme === 'dark' ||
    (!document.documentElement.dataset.theme && window.matchMedia?.('(prefers-color-scheme: dark)').matches)
    ? 'dark'
    : 'light';
}

function styleFor(theme) {
  return syntaxHighlighting(theme === 'dark' ? darkHighlight : lightHighlight);
}

function grammarExtension(type, extension) {
  return [extension, EditorView.contentAttributes.of({ 'data-grammar': grammarOf(type) ?? 'none' })];
}

/** The type whose grammar each view should have (the newest asked for wins). */
const wanted = new WeakMap();

/** Loads the grammar of `type` and, unless another type was asked for meanwhile, applies it. */
/** For Mermaid: whether the applied grammar is the package's (per view). */
const mermaidFlavour = new WeakMap();

async function applyGrammar(view, type) {
  wanted.set(view, type);
  const text = view.state.doc.sliceString(0, 4000);
  mermaidFlavour.set(view, usesPackageGrammar(text));
  const extension = await languageFor(type, text);
  if (wanted.get(view) !== type) return;
  view.dispatch({ effects: language.reconfigure(grammarExtension(type, extension)) });
}

/** A Mermaid source that changes kind (a class diagram pasted over a flowchart) changes grammar. */
const mermaidKindFollower = EditorView.updateListener.of((update) => {
  const view = update.view;
  if (!update.docChanged || grammarOf(wanted.get(view)) !== 'mermaid') return;
  const flavour = usesPackageGrammar(update.state.doc.sliceString(0, 4000));
  if (flavour !== mermaidFlavour.get(view)) applyGrammar(view, wanted.get(view));
});

/** Loads the first type's grammar once the editor exists. */
const initialGrammar = (type) =>
  ViewPlugin.define((view) => {
    if (!wanted.has(view)) queueMicrotask(() => wanted.has(view) || applyGrammar(view, type));
    return {};
  });

/** Switches the colours when the header's toggle (or the system) changes the page's theme. */
const themeFollower = ViewPlugin.define((view) => {
  const listener = (event) =>
    view.dispatch({ effects: colours.reconfigure(styleFor(event.detail === 'dark' ? 'dark' : 'light')) });
  document.addEventListener('kroki:theme', listener);
  return { destroy: () => document.removeEventListener('kroki:theme', listener) };
});

/**
 * The extension: the grammar of `type` (loaded, then marked on the content as `data-grammar`),
 * and colours that follow the page's theme.
 */
export function highlighting(type) {
  return [
    language.of(grammarExtension(null, [])),
    colours.of(styleFor(pageTheme())),
    themeFollower,
    keepIndentation,
    initialGrammar(type),
    mermaidKindFollower,
  ];
}

/**
 * The grammars colour; they do not re-indent. A new line keeps the previous line's indentation,
 * as it did before there were grammars (a grammar's idea of indentation would shift what is typed
 * or pasted line by line, and no type's engine needs it).
 */
const keepIndentation = indentService.of(() => null);

/**
 * Switches the grammar to the one of `type` (a catalog name or alias). It applies once loaded;
 * `data-grammar` on the editor's content says which grammar is applied (`none` for plain text).
 */
export function setHighlightType(view, type) {
  applyGrammar(view, type);
}
