// The result panel's view: shows an image, a text or a document note, and lets the user zoom
// (buttons, Ctrl/Cmd + wheel, keys), pan (drag, wheel, arrow keys) and fit the diagram.

const MIN_SCALE = 0.05;
const MAX_SCALE = 16;
const STEP = 1.25;
const PAD = 16;

export class Preview {
  constructor({ viewport, content, zoomLabel }) {
    this.viewport = viewport;
    this.content = content;
    this.zoomLabel = zoomLabel;
    this.scale = 1;
    this.x = PAD;
    this.y = PAD;
    // `auto` fits large diagrams and shows small ones at 100%; `width` fits the width.
    this.mode = 'auto';
    this.listen();
    new ResizeObserver(() => this.refit()).observe(viewport);
  }

  /** Shows an image once it has loaded, so the old one stays until then. Resolves the <img>. */
  async showImage(url, alt) {
    const img = new Image();
    img.alt = alt;
    img.id = 'diagram';
    img.draggable = false;
    img.src = url;
    try {
      await img.decode();
    } catch {
      // An image the browser cannot decode still replaces the old one; its alt text shows.
    }
    this.replace(img);
    return img;
  }

  showText(text) {
    const pre = document.createElement('pre');
    pre.id = 'diagram-text';
    pre.className = 'diagram-text';
    pre.textContent = text;
    this.replace(pre);
  }

  showDocument(url, name) {
    const note = document.createElement('p');
    note.className = 'document-ready';
    note.append('The PDF is ready. ');
    const open = document.createElement('a');
    open.href = url;
    open.target = '_blank';
    open.rel = 'noopener';
    open.textContent = 'Open it';
    const download = document.createElement('a');
    download.href = url;
    download.download = name;
    download.textContent = `download ${name}`;
    note.append(open, ' or ', download, '.');
    this.replace(note);
  }

  showPlaceholder(text) {
    const note = document.createElement('p');
    note.className = 'placeholder';
    note.textContent = text;
    this.replace(note);
  }

  replace(element) {
    this.content.replaceChildren(element);
    this.refit();
  }

  setStale(stale) {
    this.viewport.classList.toggle('is-stale', stale);
  }

  setBusy(busy) {
    this.viewport.classList.toggle('is-busy', busy);
    this.viewport.setAttribute('aria-busy', String(busy));
  }

  /** The shown element's natural size, in CSS pixels. */
  size() {
    const element = this.content.firstElementChild;
    if (!element) return { width: 0, height: 0 };
    if (element instanceof HTMLImageElement) {
      return { width: element.naturalWidth || 300, height: element.naturalHeight || 150 };
    }
    return { width: element.scrollWidth, height: element.scrollHeight };
  }

  available() {
    return {
      width: Math.max(1, this.viewport.clientWidth - 2 * PAD),
      height: Math.max(1, this.viewport.clientHeight - 2 * PAD),
    };
  }

  /** Re-applies the fitting mode after the content or the viewport changed size. */
  refit() {
    const { width, height } = this.size();
    const room = this.available();
    if (!width || !height) return this.apply();
    if (this.mode === 'auto') {
      this.scale = Math.min(1, room.width / width, room.height / height);
    } else if (this.mode === 'width') {
      this.scale = room.width / width;
    }
    if (this.mode !== 'free') {
      this.center();
    }
    this.apply();
  }

  center() {
    const { width, height } = this.size();
    const room = this.available();
    this.x = PAD + Math.max(0, (room.width - width * this.scale) / 2);
    this.y = PAD + Math.max(0, (room.height - height * this.scale) / 2);
  }

  fitWidth() {
    this.mode = 'width';
    this.refit();
  }

  actualSize() {
    this.mode = 'free';
    this.scale = 1;
    this.center();
    this.apply();
  }

  /** Zooms by `factor` around a point of the viewport (its centre by default). */
  zoom(factor, at) {
    const rect = this.viewport.getBoundingClientRect();
    const px = at ? at.x - rect.left : rect.width / 2;
    const py = at ? at.y - rect.top : rect.height / 2;
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    this.x = px - ((px - this.x) * scale) / this.scale;
    this.y = py - ((py - this.y) * scale) / this.scale;
    this.scale = scale;
    this.mode = 'free';
    this.apply();
  }

  pan(dx, dy) {
    this.x += dx;
    this.y += dy;
    this.mode = 'free';
    this.apply();
  }

  apply() {
    this.content.style.transform = `translate(${this.x}px, ${this.y}px) scale(${this.scale})`;
    this.zoomLabel.value = `${Math.round(this.scale * 100)}%`;
    this.zoomLabel.textContent = this.zoomLabel.value;
  }

  listen() {
    const viewport = this.viewport;
    let drag = null;
    viewport.addEventListener('pointerdown', (event) => {
      if (event.button !== 0 || event.target.closest('a, button')) return;
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY };
      viewport.setPointerCapture(event.pointerId);
      viewport.classList.add('is-dragging');
    });
    viewport.addEventListener('pointermove', (event) => {
      if (!drag || drag.id !== event.pointerId) return;
      this.pan(event.clientX - drag.x, event.clientY - drag.y);
      drag.x = event.clientX;
      drag.y = event.clientY;
    });
    const endDrag = () => {
      drag = null;
      viewport.classList.remove('is-dragging');
    };
    viewport.addEventListener('pointerup', endDrag);
    viewport.addEventListener('pointercancel', endDrag);
    viewport.addEventListener(
      'wheel',
      (event) => {
        if (event.ctrlKey || event.metaKey) {
          event.preventDefault();
          this.zoom(Math.exp(-event.deltaY / 300), { x: event.clientX, y: event.clientY });
          return;
        }
        // Plain wheel pans while the diagram overflows; otherwise the page scrolls.
        const { width, height } = this.size();
        const room = this.available();
        if (width * this.scale > room.width || height * this.scale > room.height) {
          event.preventDefault();
          this.pan(-event.deltaX, -event.deltaY);
        }
      },
      { passive: false },
    );
    viewport.addEventListener('keydown', (event) => {
      if (event.target !== viewport || event.ctrlKey || event.metaKey || event.altKey) return;
      const actions = {
        '+': () => this.zoom(STEP),
        '=': () => this.zoom(STEP),
        '-': () => this.zoom(1 / STEP),
        _: () => this.zoom(1 / STEP),
        0: () => this.fitWidth(),
        1: () => this.actualSize(),
        ArrowLeft: () => this.pan(40, 0),
        ArrowRight: () => this.pan(-40, 0),
        ArrowUp: () => this.pan(0, 40),
        ArrowDown: () => this.pan(0, -40),
      };
      const action = actions[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    });
  }

  zoomIn() {
    this.zoom(STEP);
  }

  zoomOut() {
    this.zoom(1 / STEP);
  }
}
