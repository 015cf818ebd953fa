// The editor page's script: turns the server-rendered form (which works on its own) into a live
// editor. Everything here is an enhancement; without it the form submits to the server.

import { createSourceEditor } from './source-editor.js';
import { Preview } from './preview.js';
import { RenderScheduler } from './render.js';
import { apiError, errorLine } from './errors.js';
import { History, isReplacement } from './history.js';
import { curlCommand, decodeSource, encodeSource, fragmentState, imagePath, shareLink, snippets } from './share.js';
import { Layout } from './layout.js';
import { canCopyImages, copyPng, copyText, rasterize } from './clipboard.js';
import { OptionsError, diagramOptions } from './options.js';
import { initGallery } from './gallery.js';

const $ = (id) => document.getElementById(id);

async function loadData(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`The editor's data could not be loaded (${response.status}).`);
  const data = await response.json();
  data.byName = new Map();
  for (const kind of data.types) {
    for (const name of [kind.name, ...kind.aliases]) data.byName.set(name, kind);
  }
  return data;
}

/** A render that failed on the server's side, told apart from the browser refusing a copy. */
class RenderFailure extends Error {}

function newId() {
  return crypto.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function humanSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function start() {
  const form = $('editor-form');
  if (!form || !window.fetch) return;
  document.documentElement.classList.add('has-js');
  for (const element of document.querySelectorAll('.js-only')) element.hidden = false;

  const fields = {
    type: $('type'),
    format: $('format'),
    theme: $('theme'),
    background: $('background'),
    options: $('options'),
    live: $('live'),
    themeField: $('theme-field'),
    backgroundField: $('background-field'),
  };
  const status = $('status');
  const actionStatus = $('action-status');
  const errorPanel = $('error-panel');
  const download = $('download');
  const openImage = $('open-image');
  const copyPngButton = $('copy-png');
  const nonce = document.querySelector('meta[name="csp-nonce"]')?.content;
  const dataPromise = loadData(form.dataset.editorData);
  let data = null;
  let docId = newId();
  let shown = null; // the last good render: { url, blob, payload }
  let displayToken = 0;
  let linkToken = 0;
  let linksReady = Promise.resolve();
  let errorKey = '';
  /** The longest request target the server serves (MAX_URI_LENGTH): longer links cannot work. */
  const maxUri = Number(form.dataset.maxUri) || 16384;
  let lastText = null;

  const kindOf = (name) => data?.byName.get(name) ?? null;
  const titleOfType = (name) => kindOf(name)?.title ?? name;

  const editor = createSourceEditor($('source'), {
    nonce,
    type: fields.type.value,
    onChange: () => {
      const text = editor.text;
      // A source replaced wholesale is another diagram: it gets its own history entry.
      if (lastText !== null && isReplacement(lastText, text)) docId = newId();
      lastText = text;
      changed();
    },
    onRenderNow: () => scheduler.schedule({ now: true, force: true }),
  });

  lastText = editor.text;

  /** An edit: render it (live preview), or show that the diagram no longer matches the source. */
  function changed() {
    if (fields.live.checked) {
      scheduler.schedule();
    } else {
      preview.setStale(true);
      status.textContent = 'Changed: press Render (Ctrl+Enter) to update the diagram';
    }
  }

  const preview = new Preview({ viewport: $('viewport'), content: $('preview'), zoomLabel: $('zoom-level') });
  const serverImage = $('diagram');
  if (serverImage && !serverImage.complete) serverImage.addEventListener('load', () => preview.refit(), { once: true });
  preview.refit();

  function state() {
    return {
      type: fields.type.value,
      format: fields.format.value,
      theme: fields.themeField.hidden ? '' : fields.theme.value,
      background: fields.backgroundField.hidden ? '' : fields.background.value,
      extraOptions: fields.options.value,
      source: editor.text,
    };
  }

  const history = new History({
    list: $('history-list'),
    empty: $('history-empty'),
    clear: $('history-clear'),
    titleOfType,
    onRestore: (entry) => {
      applyState(entry, entry.id);
      say(`Restored “${entry.source.split('\n').find((line) => line.trim()) ?? 'diagram'}” from history.`);
    },
  });

  const scheduler = new RenderScheduler({
    payload() {
      if (!data) return null; // the first render waits for the editor's data
      const current = state();
      if (!current.source.trim()) {
        showError(null);
        preview.showPlaceholder('Write a diagram source to see it here.');
        return null;
      }
      let options;
      try {
        options = diagramOptions(current, kindOf(current.type));
      } catch (error) {
        if (!(error instanceof OptionsError)) throw error;
        showError({ status: 400, code: 'invalid_options', message: error.message });
        showOptionsError(error.message);
        preview.setStale(shown !== null);
        status.textContent = 'Not rendered: fix the diagram options';
        updateLinks(false);
        return null;
      }
      showOptionsError(null);
      return {
        diagram_type: current.type,
        output_format: current.format,
        diagram_source: current.source,
        diagram_options: options,
      };
    },
    onStart() {
      preview.setBusy(true);
      status.textContent = 'Rendering…';
    },
    async onSuccess({ blob, payload, ms }) {
      const token = ++displayToken;
      const kind = kindOf(payload.diagram_type);
      const format = data.formats[payload.output_format];
      const name = `${payload.diagram_type}-diagram.${format.file_extension}`;
      const url = URL.createObjectURL(blob);
      if (format.text) {
        const text = await blob.text();
        if (token !== displayToken) return URL.revokeObjectURL(url);
        preview.showText(text);
      } else if (payload.output_format === 'pdf') {
        preview.showDocument(url, name);
      } else {
        await preview.showImage(url, `${kind?.title ?? payload.diagram_type} diagram`);
        if (token !== displayToken) return URL.revokeObjectURL(url);
      }
      if (shown) URL.revokeObjectURL(shown.url);
      shown = { url, blob, payload };
      showError(null);
      editor.markErrorLine(null);
      preview.setStale(false);
      download.href = url;
      download.download = name;
      download.removeAttribute('aria-disabled');
      download.textContent = 'Download';
      download.removeAttribute('title');
      // Kroki answered: an outage notice from page load no longer holds.
      for (const notice of document.querySelectorAll('.notice.outage')) notice.remove();
      status.textContent = `Rendered in ${Math.round(ms)} ms · ${humanSize(blob.size)}`;
      updateLinks(true);
      const current = state();
      if (current.source !== kind?.example) history.save({ id: docId, ...current });
      countRender();
    },
    onError(failure) {
      displayToken++;
      showError(failure);
      editor.markErrorLine(failure.code === 'diagram_error' ? errorLine(failure.message) : null);
      preview.setStale(shown !== null);
      if (!shown) preview.showPlaceholder('The diagram will appear here once it renders.');
      if (shown) {
        // Download still saves the last good diagram: say so on the button.
        download.textContent = 'Download previous';
        download.title = 'The source has an error: this saves the last diagram that rendered';
      }
      status.textContent = failure.status ? `Error ${failure.status}` : 'Not rendered';
      updateLinks(false);
      countRender();
    },
    onSettled() {
      preview.setBusy(false);
    },
  });

  /** Counts shown outcomes on the viewport (`data-renders`), which the browser tests wait on. */
  function countRender() {
    const viewport = $('viewport');
    viewport.dataset.renders = String(Number(viewport.dataset.renders ?? 0) + 1);
  }

  function showError(failure) {
    const key = failure ? `${failure.status}|${failure.code}|${failure.message}` : '';
    if (key === errorKey) return;
    errorKey = key;
    if (!failure) {
      errorPanel.replaceChildren();
      return;
    }
    const box = document.createElement('div');
    box.className = 'error-box';
    box.dataset.status = failure.status;
    box.dataset.code = failure.code;
    const title = document.createElement('p');
    title.className = 'error-title';
    title.textContent =
      failure.code === 'diagram_error' ? 'Kroki could not render this diagram ' : 'The diagram could not be rendered ';
    const code = document.createElement('span');
    code.className = 'error-code';
    code.textContent = failure.status ? `(${failure.status} ${failure.code})` : `(${failure.code})`;
    title.append(code);
    const message = document.createElement('pre');
    message.className = 'error-message';
    message.textContent = failure.message;
    box.append(title, message);
    if (failure.requestId && failure.status >= 500 && !failure.message.includes(failure.requestId)) {
      const id = document.createElement('p');
      id.className = 'error-request';
      id.textContent = `Request id ${failure.requestId}: the details are in the server's log.`;
      box.append(id);
    }
    const line = failure.code === 'diagram_error' ? errorLine(failure.message) : null;
    if (line) {
      box.dataset.line = line;
      const where = document.createElement('p');
      where.className = 'error-line';
      const go = document.createElement('button');
      go.type = 'button';
      go.className = 'button small';
      go.textContent = `Go to line ${line}`;
      go.addEventListener('click', () => editor.goToLine(line));
      const text = editor.text.split('\n')[line - 1];
      where.append(`Line ${line}`);
      if (text !== undefined) {
        const quote = document.createElement('code');
        quote.textContent = text;
        where.append(': ', quote);
      }
      where.append(' ', go);
      box.append(where);
    }
    errorPanel.replaceChildren(box);
  }

  /** Recomputes the share link, image URL and embed snippets for the current state. */
  function updateLinks(rendered) {
    const token = ++linkToken;
    const current = state();
    let options = {};
    try {
      options = diagramOptions(current, kindOf(current.type));
    } catch {
      // Invalid options: the share link still keeps them as typed.
    }
    linksReady = encodeSource(current.source).then((encoded) => {
      if (token !== linkToken || encoded === null) return;
      const share = shareLink(current, encoded, maxUri);
      $('share-link').value = location.origin + share;
      const path = imagePath({ ...current, options }, encoded);
      const image = location.origin + path;
      // The gateway refuses request targets over the limit: such an image URL is not handed out.
      const imageFits = path.length <= maxUri;
      const alt = `${titleOfType(current.type)} diagram`;
      const embed = snippets(image, alt);
      const give = rendered && imageFits;
      $('image-url').value = give ? image : '';
      $('embed-markdown').value = give ? embed.markdown : '';
      $('embed-html').value = give ? embed.html : '';
      $('embed-asciidoc').value = give ? embed.asciidoc : '';
      const note = $('link-note');
      note.hidden = imageFits || !rendered;
      if (!imageFits) {
        $('link-note-text').textContent =
          `This diagram is too large for an image URL (${path.length.toLocaleString('en')} characters; ` +
          `this server accepts up to ${maxUri.toLocaleString('en')}), so there is no image URL or embed snippet. ` +
          'Use Download, or render it by POST: save the source as the file the command names, then run';
        $('curl-command').value = curlCommand(
          location.origin,
          { ...current, options },
          data?.formats[current.format]?.file_extension,
        );
      }
      if (rendered) openImage.href = imageFits ? image : shown?.url ?? image;
      // The address bar always follows the diagram, so a reload never brings back an older one.
      if (location.pathname + location.search + location.hash !== share) {
        window.history.replaceState(null, '', share);
      }
    });
    return linksReady;
  }

  /** Shows the type's formats, themes and background, keeping what still applies. */
  function syncTypeFields(kind, preferredFormat, { announce = false } = {}) {
    const format = kind.formats.includes(preferredFormat) ? preferredFormat : kind.default_format;
    const notices = $('notices');
    notices.replaceChildren();
    if (announce && preferredFormat && format !== preferredFormat) {
      // As the server does without JavaScript: a format the type lacks falls back, visibly.
      const notice = document.createElement('p');
      notice.className = 'notice';
      notice.textContent = `${kind.title} cannot be rendered as ${preferredFormat.toUpperCase()}; showing ${format.toUpperCase()} instead.`;
      notices.append(notice);
      say(notice.textContent);
    }
    fields.format.replaceChildren(
      ...kind.formats.map((name) => new Option(name.toUpperCase(), name, false, name === format)),
    );
    fields.format.value = format;
    const theme = fields.theme.value;
    fields.themeField.hidden = !kind.theme;
    fields.theme.replaceChildren(
      ...(kind.theme?.choices ?? []).map(([value, label]) => new Option(label, value, false, value === theme)),
    );
    if (kind.theme && !kind.theme.choices.some(([value]) => value === theme)) fields.theme.value = '';
    fields.backgroundField.hidden = !kind.background;
    if (!kind.background) fields.background.value = '';
    document.title = `${kind.title} editor · kroki-web`;
    form.dataset.type = kind.name;
    editor.setType(kind.name);
  }

  async function onTypeChange(previousType) {
    data ??= await dataPromise;
    const kind = kindOf(fields.type.value);
    if (!kind) return;
    syncTypeFields(kind, fields.format.value, { announce: true });
    const source = editor.text;
    const previous = kindOf(previousType);
    // An untouched example (or nothing) gives way to the new type's example.
    if (!source.trim() || (previous && source === previous.example)) {
      editor.setText(kind.example ?? '');
    }
    // Another type is another diagram, even with the same text: its own history entry.
    docId = newId();
    scheduler.schedule({ now: true });
  }

  async function loadExample() {
    data ??= await dataPromise;
    const kind = kindOf(fields.type.value);
    editor.setText(kind?.example ?? '');
    docId = newId();
    scheduler.schedule({ now: true, force: true });
  }

  /** Opens a whole state (from history or an import). */
  async function applyState(next, id) {
    data ??= await dataPromise;
    const kind = kindOf(next.type);
    if (!kind) return;
    fields.type.value = kind.name;
    fields.theme.value = next.theme ?? '';
    syncTypeFields(kind, next.format);
    fields.theme.value = next.theme ?? '';
    fields.background.value = next.background ?? '';
    fields.options.value = next.extraOptions ?? next.options ?? '';
    if (fields.options.value) fields.options.closest('details').open = true;
    editor.setText(next.source);
    docId = id ?? newId();
    scheduler.schedule({ now: true, force: true });
  }

  /** Shows an invalid options line beside the options themselves (opened), or clears it. */
  function showOptionsError(message) {
    const box = $('options-error');
    box.textContent = message ?? '';
    box.hidden = !message;
    if (message) {
      fields.options.setAttribute('aria-invalid', 'true');
      fields.options.setAttribute('aria-describedby', 'options-error');
      fields.options.closest('details').open = true;
    } else {
      fields.options.removeAttribute('aria-invalid');
      fields.options.removeAttribute('aria-describedby');
    }
  }

  function say(text) {
    actionStatus.textContent = '';
    // A fresh text node each time, so a repeated message is announced again.
    requestAnimationFrame(() => {
      actionStatus.textContent = text;
    });
  }

  // --- wiring ---------------------------------------------------------------------------------

  // The form remembers the type its fields were last set up for (`data-type`).
  fields.type.addEventListener('change', () => onTypeChange(form.dataset.type));
  fields.format.addEventListener('change', () => scheduler.schedule({ now: true }));
  fields.theme.addEventListener('change', () => scheduler.schedule({ now: true }));
  fields.background.addEventListener('change', () => scheduler.schedule({ now: true }));
  fields.options.addEventListener('input', changed);
  fields.live.addEventListener('change', () => {
    if (fields.live.checked) scheduler.schedule({ now: true });
  });

  const layout = new Layout({
    workspace: document.querySelector('.workspace'),
    divider: $('divider'),
    resultPane: document.querySelector('.result-pane'),
    fullscreenButton: $('fullscreen'),
    viewport: $('viewport'),
    tabs: document.querySelectorAll('[data-show-pane]'),
    onResize: () => preview.refit(),
  });

  const typeSearch = $('type-search');
  /** The type a search names: an exact name, alias or title first, then any partial match. */
  function findType(text) {
    const wanted = text.trim().toLowerCase();
    if (!wanted || !data) return null;
    return (
      data.types.find(
        (kind) => kind.title.toLowerCase() === wanted || kind.name === wanted || kind.aliases.includes(wanted),
      ) ??
      data.types.find(
        (kind) =>
          kind.title.toLowerCase().includes(wanted) ||
          kind.name.includes(wanted) ||
          kind.description.toLowerCase().includes(wanted),
      ) ??
      null
    );
  }
  function chooseSearched() {
    const kind = findType(typeSearch.value);
    if (!kind) {
      if (typeSearch.value.trim()) say(`No diagram type matches “${typeSearch.value.trim()}”.`);
      return;
    }
    typeSearch.value = '';
    if (kind.name !== fields.type.value) {
      fields.type.value = kind.name;
      fields.type.dispatchEvent(new Event('change'));
    }
    say(`${kind.title} selected.`);
  }
  // A suggestion picked from the list arrives as one replacement; typed letters wait for Enter.
  typeSearch.addEventListener('input', (event) => {
    if (event.inputType === undefined || event.inputType === 'insertReplacementText') chooseSearched();
  });
  typeSearch.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    chooseSearched();
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    editor.sync();
    if (event.submitter?.id === 'example-button') {
      loadExample();
    } else {
      scheduler.schedule({ now: true, force: true });
      // On a phone, Render shows the diagram tab.
      layout.showPane('diagram');
    }
  });

  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === 'Enter' && !event.defaultPrevented) {
      event.preventDefault();
      scheduler.schedule({ now: true, force: true });
    }
  });

  download.addEventListener('click', (event) => {
    if (download.getAttribute('aria-disabled') === 'true') event.preventDefault();
  });

  $('zoom-in').addEventListener('click', () => preview.zoomIn());
  $('zoom-out').addEventListener('click', () => preview.zoomOut());
  $('zoom-fit').addEventListener('click', () => preview.fitWidth());
  $('zoom-actual').addEventListener('click', () => preview.actualSize());

  for (const button of document.querySelectorAll('[data-copy]')) {
    button.addEventListener('click', async () => {
      await linksReady;
      const field = $(button.dataset.copy);
      if (!field.value) return say('Nothing to copy yet: render a diagram first.');
      const label = document.querySelector(`label[for="${field.id}"]`)?.firstChild?.textContent?.trim() ?? 'Text';
      say((await copyText(field.value, field)) ? `${label} copied.` : `Copying was refused: select the text and copy it.`);
    });
  }

  $('share-button').addEventListener('click', async () => {
    await linksReady;
    const field = $('share-link');
    say((await copyText(field.value, field)) ? 'Share link copied.' : 'Copying was refused: the link is in the Share field.');
  });

  if (canCopyImages()) {
    copyPngButton.addEventListener('click', () => {
      if (!shown) return say('Nothing to copy yet: render a diagram first.');
      const { payload, blob } = shown;
      const kind = kindOf(payload.diagram_type);
      let png;
      if (payload.output_format === 'png') {
        png = Promise.resolve(blob);
      } else if (kind?.formats.includes('png')) {
        png = fetch('/api/generate', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ ...payload, output_format: 'png' }),
        }).then(async (response) => {
          if (response.ok) return response.blob();
          const failure = apiError(await response.json().catch(() => null), response.status);
          throw new RenderFailure(`The PNG could not be rendered (${failure.status} ${failure.code}): ${failure.message}`);
        });
      } else {
        png = rasterize($('diagram'));
      }
      copyPng(png).then(
        () => say('PNG copied to the clipboard.'),
        (error) =>
          say(error instanceof RenderFailure ? error.message : `The browser refused to copy the image: ${error.message}`),
      );
    });
  } else {
    copyPngButton.hidden = true;
  }

  $('import-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = $('import-url');
    const message = $('import-message');
    const response = await fetch(`/api/decode?url=${encodeURIComponent(input.value)}`);
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', 'import-message');
      message.textContent = apiError(body, response.status).message;
      return;
    }
    input.removeAttribute('aria-invalid');
    await applyState({
      type: body.diagram_type,
      format: body.output_format,
      theme: body.theme,
      background: body.background,
      extraOptions: body.options,
      source: body.diagram_source,
    });
    message.textContent = `Opened a ${titleOfType(body.diagram_type)} diagram from the URL.`;
    input.value = '';
  });

  initGallery({
    anchor: $('example-button'),
    nonce,
    currentType: () => fields.type.value,
    onPick: async (example) => {
      const current = state();
      const sameType = example.diagram_type === current.type;
      await applyState({ ...current, type: example.diagram_type, source: example.source, extraOptions: sameType ? current.extraOptions : '' });
      say(`Opened the example “${example.title}” (${example.type_title}).`);
    },
  });

  // A server-rendered error marks its line at once; the first render confirms it.
  const serverError = errorPanel.querySelector('.error-box');
  if (serverError) {
    errorKey = '';
    if (serverError.dataset.line) editor.markErrorLine(Number(serverError.dataset.line));
  }

  // A fragment share link (`/#type=…&src=…`, for diagrams too large for a query) opens here.
  const shared = fragmentState(location.hash);
  const sharedSource = shared ? decodeSource(shared.src).catch(() => null) : Promise.resolve(null);

  // A fragment link pasted into the address bar of an open editor does not reload the page.
  window.addEventListener('hashchange', async () => {
    const next = fragmentState(location.hash);
    const source = next ? await decodeSource(next.src).catch(() => null) : null;
    if (next && source !== null && kindOf(next.type)) await applyState({ ...next, source });
  });

  Promise.all([dataPromise, sharedSource]).then(
    async ([loaded, source]) => {
      data = loaded;
      history.render();
      if (shared && source !== null && kindOf(shared.type)) {
        await applyState({ ...shared, source });
        say(`Opened a ${titleOfType(shared.type)} diagram from the link.`);
      } else {
        if (shared) say('The link could not be opened: its diagram does not decode.');
        scheduler.schedule({ now: true, force: true });
      }
    },
    (error) => {
      status.textContent = error.message;
    },
  );
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', start);
} else {
  start();
}
