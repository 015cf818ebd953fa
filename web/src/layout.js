// The workspace's layout: a divider between source and diagram (dragged, or moved with the
// arrow keys; remembered in localStorage), a full-screen diagram view (Esc leaves), and on
// narrow screens two tabs, Source and Diagram, so the diagram is one tap away.

const KEY = 'kroki-web.split';
export const MIN_SPLIT = 20;
export const MAX_SPLIT = 80;
const STEP = 5;

/** A split percentage kept within bounds; anything unreadable is the default, 50. */
export function clampSplit(value) {
  const number = Number(value);
  if (!Number.isFinite(number)) return 50;
  return Math.round(Math.min(MAX_SPLIT, Math.max(MIN_SPLIT, number)));
}

function stored() {
  try {
    const value = localStorage.getItem(KEY);
    return value === null ? 50 : clampSplit(value);
  } catch {
    return 50;
  }
}

export class Layout {
  constructor({ workspace, divider, resultPane, fullscreenButton, viewport, tabs, onResize }) {
    this.workspace = workspace;
    this.divider = divider;
    this.resultPane = resultPane;
    this.fullscreenButton = fullscreenButton;
    this.viewport = viewport;
    this.tabs = [...tabs];
    this.onResize = onResize;
    this.setSplit(stored(), { save: false });
    this.listenDivider();
    this.listenFullscreen();
    for (const tab of this.tabs) tab.addEventListener('click', () => this.showPane(tab.dataset.showPane));
    this.showPane('source');
  }

  setSplit(percent, { save = true } = {}) {
    this.split = clampSplit(percent);
    this.workspace.style.setProperty('--split', `${this.split}%`);
    this.divider.setAttribute('aria-valuenow', String(this.split));
    this.divider.setAttribute('aria-valuetext', `Source ${this.split}%, diagram ${100 - this.split}%`);
    if (save) {
      try {
        localStorage.setItem(KEY, String(this.split));
      } catch {
        // Storage refused: the split holds for this page.
      }
    }
    this.onResize?.();
  }

  listenDivider() {
    const divider = this.divider;
    let dragging = null;
    divider.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      dragging = event.pointerId;
      try {
        divider.setPointerCapture(event.pointerId);
      } catch {
        // Not an active pointer (a synthetic event): the drag works without capture.
      }
      divider.classList.add('is-dragging');
      event.preventDefault();
    });
    divider.addEventListener('pointermove', (event) => {
      if (dragging !== event.pointerId) return;
      const rect = this.workspace.getBoundingClientRect();
      this.setSplit(((event.clientX - rect.left) / rect.width) * 100, { save: false });
    });
    const end = (event) => {
      if (dragging !== event.pointerId) return;
      dragging = null;
      divider.classList.remove('is-dragging');
      this.setSplit(this.split);
    };
    divider.addEventListener('pointerup', end);
    divider.addEventListener('pointercancel', end);
    divider.addEventListener('keydown', (event) => {
      const moves = {
        ArrowLeft: this.split - STEP,
        ArrowRight: this.split + STEP,
        Home: MIN_SPLIT,
        End: MAX_SPLIT,
        Enter: 50,
      };
      if (!(event.key in moves)) return;
      event.preventDefault();
      this.setSplit(moves[event.key]);
    });
  }

  get fullscreen() {
    return this.resultPane.classList.contains('is-fullscreen');
  }

  setFullscreen(on) {
    this.resultPane.classList.toggle('is-fullscreen', on);
    document.documentElement.classList.toggle('has-fullscreen', on);
    this.fullscreenButton.setAttribute('aria-pressed', String(on));
    this.fullscreenButton.textContent = on ? 'Exit full screen' : 'Full screen';
    this.fullscreenButton.title = on ? 'Leave full screen (Esc)' : 'Show the diagram on the whole page (Esc leaves)';
    this.onResize?.();
    (on ? this.viewport : this.fullscreenButton).focus();
  }

  listenFullscreen() {
    this.fullscreenButton.addEventListener('click', () => this.setFullscreen(!this.fullscreen));
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.fullscreen) {
        event.preventDefault();
        this.setFullscreen(false);
      }
    });
  }

  /** On narrow screens, shows the `source` or the `diagram` pane (wide screens show both). */
  showPane(name) {
    this.workspace.dataset.pane = name;
    for (const tab of this.tabs) tab.setAttribute('aria-pressed', String(tab.dataset.showPane === name));
    if (name === 'diagram') this.onResize?.();
  }
}
