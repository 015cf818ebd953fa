// The source editor: CodeMirror 6 in place of the page's <textarea>, with line numbers, tab
// indentation, undo/redo, search and replace, and the line of a render error marked.

import { EditorState, Prec, StateEffect, StateField, RangeSet } from '@codemirror/state';
import {
  EditorView,
  Decoration,
  GutterMarker,
  crosshairCursor,
  drawSelection,
  dropCursor,
  gutterLineClass,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
  rectangularSelection,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { bracketMatching, indentUnit } from '@codemirror/language';
import { highlighting, setHighlightType } from './highlight/index.js';

/** Sets (a 1-based line number) or clears (null) the marked error line. */
const setErrorLine = StateEffect.define();

/** The start of the marked line, as a position mapped through later edits, or null. */
const errorLineField = StateField.define({
  create: () => null,
  update(position, transaction) {
    let next = position === null ? null : transaction.changes.mapPos(position);
    for (const effect of transaction.effects) {
      if (effect.is(setErrorLine)) {
        const line = effect.value;
        const { doc } = transaction.state;
        next = line === null ? null : doc.line(Math.min(Math.max(line, 1), doc.lines)).from;
      }
    }
    return next;
  },
});

const errorMarker = new (class extends GutterMarker {
  elementClass = 'cm-errorGutter';
})();

const errorLineDecorations = EditorView.decorations.compute([errorLineField], (state) => {
  const position = state.field(errorLineField);
  if (position === null) return Decoration.none;
  const line = state.doc.lineAt(position);
  return Decoration.set([
    Decoration.line({ class: 'cm-errorLine', attributes: { title: 'The diagram has an error on this line' } }).range(line.from),
  ]);
});

const errorGutter = gutterLineClass.compute([errorLineField], (state) => {
  const position = state.field(errorLineField);
  if (position === null) return RangeSet.empty;
  return RangeSet.of([errorMarker.range(state.doc.lineAt(position).from)]);
});

// Colours come from the page's CSS variables, so the editor follows light and dark mode.
const pageTheme = EditorView.theme({
  '&': { color: 'var(--text)', backgroundColor: 'var(--field)', height: '100%' },
  '.cm-content': { caretColor: 'var(--text)', fontFamily: 'var(--mono)' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--text)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, .cm-content ::selection': {
    backgroundColor: 'var(--selection)',
  },
  '.cm-gutters': { backgroundColor: 'var(--surface-2)', color: 'var(--muted)', borderRight: '1px solid var(--line)' },
  '.cm-activeLine': { backgroundColor: 'var(--active-line)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--active-line)', color: 'var(--text)' },
  '.cm-errorLine': { backgroundColor: 'var(--error-line)' },
  '.cm-errorGutter': { backgroundColor: 'var(--error)', color: 'var(--on-error)' },
  '.cm-panels': { backgroundColor: 'var(--surface-2)', color: 'var(--text)' },
  '.cm-panels.cm-panels-top': { borderBottom: '1px solid var(--line)' },
  '.cm-panels.cm-panels-bottom': { borderTop: '1px solid var(--line)' },
  '.cm-searchMatch': { backgroundColor: 'var(--search-match)', outline: '1px solid var(--accent)' },
  '.cm-searchMatch.cm-searchMatch-selected': { backgroundColor: 'var(--search-current)' },
  '.cm-selectionMatch': { backgroundColor: 'var(--search-match)' },
  '.cm-textfield, .cm-button': { font: 'inherit', fontSize: '0.875rem' },
});

/**
 * Replaces `textarea` with an editor. `onChange()` runs after each edit, `onRenderNow()` on
 * Ctrl/Cmd+Enter; `type` (the diagram type) picks the highlighting. The textarea stays in the form, updated by `sync()`, so submitting works.
 */
export function createSourceEditor(textarea, { nonce, type, onChange, onRenderNow }) {
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        dropCursor(),
        EditorState.allowMultipleSelections.of(true),
        bracketMatching(),
        rectangularSelection(),
        crosshairCursor(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        search({ top: true }),
        indentUnit.of('  '),
        errorLineField,
        errorLineDecorations,
        errorGutter,
        Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => (onRenderNow(), true) }])),
        keymap.of([...defaultKeymap, ...searchKeymap, ...historyKeymap, indentWithTab]),
        EditorView.cspNonce.of(nonce ?? ''),
        // tabindex: the content is focusable anyway (contenteditable); saying so lets checkers such
        // as axe-core see that the scrolling editor is reachable by keyboard.
        EditorView.contentAttributes.of({ 'aria-label': 'Diagram source', 'aria-describedby': 'source-help', tabindex: '0' }),
        pageTheme,
        highlighting(type),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange();
        }),
      ],
    }),
  });
  textarea.hidden = true;
  textarea.after(view.dom);
  const help = document.createElement('p');
  help.id = 'source-help';
  help.className = 'visually-hidden';
  help.textContent = 'Tab indents. Press Escape, then Tab, to move to the next control. Control Enter renders.';
  view.dom.after(help);

  return {
    view,
    get text() {
      return view.state.doc.toString();
    },
    /** Replaces the whole source (one undoable step) and clears the error mark. */
    setText(text) {
      view.dispatch({
        changes: { from: 0, to: view.state.doc.length, insert: text },
        effects: setErrorLine.of(null),
        selection: { anchor: 0 },
        scrollIntoView: true,
      });
    },
    /** Highlights the source with the grammar of diagram type `type`. */
    setType(type) {
      setHighlightType(view, type);
    },
    markErrorLine(line) {
      if (view.state.field(errorLineField) === null && line === null) return;
      view.dispatch({ effects: setErrorLine.of(line) });
    },
    goToLine(line) {
      const doc = view.state.doc;
      const target = doc.line(Math.min(Math.max(line, 1), doc.lines));
      view.dispatch({ selection: { anchor: target.from, head: target.to }, scrollIntoView: true });
      view.focus();
    },
    focus() {
      view.focus();
    },
    sync() {
      textarea.value = view.state.doc.toString();
    },
  };
}
