// The examples gallery: a "Browse examples" button beside "Load example" opens a modal dialog of
// every example the app ships (GET /api/examples), shown as thumbnails rendered through the app's
// own Kroki-compatible GET (so they come from its cache). A type filter starts on the editor's
// type. Keyboard: Tab moves between the filter and the examples, Enter picks one, Escape closes and
// focus returns to the button.

const STYLE = `
.gallery { width: min(64rem, calc(100vw - 2rem)); max-height: calc(100vh - 2rem); padding: 0;
  border: 1px solid var(--line); border-radius: 8px; background: var(--surface); color: var(--text); }
.gallery::backdrop { background: rgba(0, 0, 0, 0.45); }
.gallery-head { position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap; gap: 0.5rem 1rem;
  align-items: center; padding: 0.75rem 1rem; background: var(--surface); border-bottom: 1px solid var(--line); }
.gallery-head h2 { margin: 0; font-size: 1.125rem; flex: 1 1 auto; }
.gallery-head label { display: flex; gap: 0.5rem; align-items: center; }
.gallery-status { margin: 0.5rem 1rem 0; color: var(--muted); }
.gallery-grid { list-style: none; margin: 0; padding: 1rem; display: grid; gap: 0.75rem;
  grid-template-columns: repeat(auto-fill, minmax(9rem, 1fr)); }
.gallery-item { display: flex; flex-direction: column; gap: 0.375rem; width: 100%; height: 100%; padding: 0.5rem;
  border: 1px solid var(--line); border-radius: 6px; background: var(--surface-2); color: var(--text);
  font: inherit; text-align: left; cursor: pointer; }
.gallery-item:hover { border-color: var(--accent); }
.gallery-item:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.gallery-thumb { display: flex; align-items: center; justify-content: center; height: 7.5rem;
  background: #ffffff; border-radius: 4px; overflow: hidden; color: #57606a; font-size: 0.875rem; }
.gallery-thumb img { max-width: 100%; max-height: 100%; object-fit: contain; }
.gallery-type { color: var(--muted); font-size: 0.8125rem; }
.gallery-name { font-weight: 600; }
`;

let examplesPromise = null;

async function loadExamples() {
  examplesPromise ??= fetch('/api/examples').then((response) => {
    if (!response.ok) throw new Error(`The examples could not be loaded (${response.status}).`);
    return response.json().then((body) => body.examples);
  });
  try {
    return await examplesPromise;
  } catch (error) {
    examplesPromise = null; // try again next time
    throw error;
  }
}

function element(tag, properties = {}, children = []) {
  const node = document.createElement(tag);
  Object.assign(node, properties);
  node.append(...children);
  return node;
}

/**
 * Adds the gallery. `anchor`: the button the gallery's button follows; `currentType()`: the
 * editor's diagram type; `onPick(example)`: opens an example ({diagram_type, name, title, source}).
 */
export function initGallery({ anchor, nonce, currentType, onPick }) {
  if (!anchor || typeof HTMLDialogElement === 'undefined') return;
  const style = element('style', { textContent: STYLE });
  if (nonce) style.nonce = nonce;
  document.head.append(style);

  const open = element('button', { type: 'button', className: 'button', id: 'gallery-button', textContent: 'Browse examples' });
  open.setAttribute('aria-haspopup', 'dialog');
  anchor.after(' ', open);

  const title = element('h2', { id: 'gallery-title', textContent: 'Examples' });
  const filter = element('select', { id: 'gallery-type' });
  const close = element('button', { type: 'button', className: 'button small', id: 'gallery-close', textContent: 'Close' });
  const status = element('p', { className: 'gallery-status', id: 'gallery-status' });
  status.setAttribute('role', 'status');
  const grid = element('ul', { className: 'gallery-grid', id: 'gallery-grid' });
  grid.setAttribute('aria-labelledby', 'gallery-title');
  const dialog = element('dialog', { className: 'gallery', id: 'gallery' }, [
    element('div', { className: 'gallery-head' }, [
      title,
      element('label', {}, ['Diagram type ', filter]),
      close,
    ]),
    status,
    grid,
  ]);
  dialog.setAttribute('aria-labelledby', 'gallery-title');
  document.body.append(dialog);

  let examples = [];

  function show(type) {
    const chosen = examples.filter((example) => !type || example.diagram_type === type);
    grid.replaceChildren(
      ...chosen.map((example) => {
        const image = element('img', { alt: '', loading: 'lazy', decoding: 'async', src: example.image });
        const thumb = element('span', { className: 'gallery-thumb' }, [image]);
        image.addEventListener('error', () => thumb.replaceChildren('No preview (the render failed)'), { once: true });
        const item = element('button', { type: 'button', className: 'gallery-item' }, [
          thumb,
          element('span', { className: 'gallery-type', textContent: example.type_title }),
          element('span', { className: 'gallery-name', textContent: example.title }),
        ]);
        item.dataset.type = example.diagram_type;
        item.dataset.name = example.name;
        item.addEventListener('click', () => {
          dialog.close();
          onPick(example);
        });
        return element('li', {}, [item]);
      }),
    );
    const what = type ? examples.find((example) => example.diagram_type === type)?.type_title : 'all types';
    status.textContent = `${chosen.length} example${chosen.length === 1 ? '' : 's'} of ${what}.`;
  }

  open.addEventListener('click', async () => {
    dialog.showModal();
    if (!examples.length) {
      status.textContent = 'Loading the examples…';
      try {
        examples = await loadExamples();
      } catch (error) {
        status.textContent = error.message;
        return;
      }
      const types = [];
      for (const example of examples) {
        if (!types.some(([name]) => name === example.diagram_type)) types.push([example.diagram_type, example.type_title]);
      }
      filter.replaceChildren(
        new Option('All types', ''),
        ...types.map(([name, label]) => {
          const count = examples.filter((example) => example.diagram_type === name).length;
          return new Option(`${label} (${count})`, name);
        }),
      );
    }
    const type = currentType();
    filter.value = examples.some((example) => example.diagram_type === type) ? type : '';
    show(filter.value);
    filter.focus();
  });
  filter.addEventListener('change', () => show(filter.value));
  close.addEventListener('click', () => dialog.close());
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener('close', () => open.focus());
}
