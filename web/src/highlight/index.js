// Syntax highlighting for the source editor: which grammar each diagram type gets, and the
// colours of the page's light or dark theme. `highlighting()` is the editor's extension;
// `setHighlightType(view, type)` switches the grammar when the diagram type changes.

import { Compartment } from '@codemirror/state';
import { EditorView, ViewPlugin } from '@codemirror/view';
import { StreamLanguage, indentService, syntaxHighlighting } from '@codemirror/language';
import { mermaid } from 'codemirror-lang-mermaid';
import { dot } from '@viz-js/lang-dot';
import { json } from '@codemirror/lang-json';
import { xml } from '@codemirror/lang-xml';
import { yaml } from '@codemirror/lang-yaml';
import { stex } from '@codemirror/legacy-modes/mode/stex';
import { plantuml } from './plantuml.js';
import { d2 } from './d2.js';
import { blockdiag } from './blockdiag.js';
import { darkHighlight, lightHighlight } from './styles.js';
import { grammarOf } from './grammars.js';

const makers = {
  mermaid: () => mermaid(),
  dot: () => dot(),
  json: () => json(),
  xml: () => xml(),
  yaml: () => yaml(),
  stex: () => StreamLanguage.define(stex),
  plantuml: () => StreamLanguage.define(plantuml),
  d2: () => StreamLanguage.define(d2),
  blockdiag: () => StreamLanguage.define(blockdiag),
};
const made = new Map();

/** The language extension for a diagram type, or [] (plain text) for types without a grammar. */
export function languageFor(type) {
  const grammar = grammarOf(type);
  if (!grammar) return [];
  if (!made.has(grammar)) made.set(grammar, makers[grammar]());
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

function grammarExtension(type) {
  return [languageFor(type), EditorView.contentAttributes.of({ 'data-grammar': grammarOf(type) ?? 'none' })];
}

/** Switches the colours when the header's toggle (or the system) changes the page's theme. */
const themeFollower = ViewPlugin.define((view) => {
  const listener = (event) =>
    view.dispatch({ effects: colours.reconfigure(styleFor(event.detail === 'dark' ? 'dark' : 'light')) });
  document.addEventListener('kroki:theme', listener);
  return { destroy: () => document.removeEventListener('kroki:theme', listener) };
});

/**
 * The extension: the grammar of `type` (marked on the content as `data-grammar`), and colours
 * that follow the page's theme.
 */
export function highlighting(type) {
  return [language.of(grammarExtension(type)), colours.of(styleFor(pageTheme())), themeFollower, keepIndentation];
}

/**
 * The grammars colour; they do not re-indent. A new line keeps the previous line's indentation,
 * as it did before there were grammars (a grammar's idea of indentation would shift what is typed
 * or pasted line by line, and no type's engine needs it).
 */
const keepIndentation = indentService.of(() => null);

/** Switches the grammar to the one of `type` (a catalog name or alias). */
export function setHighlightType(view, type) {
  view.dispatch({ effects: language.reconfigure(grammarExtension(type)) });
}
