// The last diagrams, kept in this browser's localStorage and listed for restoring.

const KEY = 'kroki-web.history';
export const MAX_ENTRIES = 30;

function read() {
  try {
    const entries = JSON.parse(localStorage.getItem(KEY) ?? '[]');
    return Array.isArray(entries) ? entries.filter((entry) => entry && typeof entry.source === 'string') : [];
  } catch {
    return [];
  }
}

function write(entries) {
  try {
    localStorage.setItem(KEY, JSON.stringify(entries));
  } catch {
    // Full or disabled storage: history is a convenience, the editor goes on without it.
  }
}

/** A short title for a source: its first line that says something. */
export function titleOf(source) {
  const line = source
    .split('\n')
    .map((text) => text.trim())
    .find((text) => text && !/^(@start\w*|@end\w*|[{}[\]]|\/\/.*|#.*|'.*|%%.*|<\?xml.*)$/i.test(text));
  const title = line ?? 'Empty diagram';
  return title.length > 70 ? `${title.slice(0, 69)}…` : title;
}

function ago(time) {
  const seconds = Math.round((Date.now() - time) / 1000);
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(time).toLocaleDateString();
}

export class History {
  constructor({ list, empty, clear, titleOfType, onRestore }) {
    this.list = list;
    this.empty = empty;
    this.titleOfType = titleOfType;
    this.onRestore = onRestore;
    clear.addEventListener('click', () => {
      write([]);
      this.render();
      clear.blur();
      this.empty.focus?.();
    });
    window.addEventListener('storage', (event) => {
      if (event.key === KEY) this.render();
    });
    this.render();
  }

  entries() {
    return read();
  }

  /** Saves a diagram under its document id, moving it to the top; an identical one goes. */
  save(entry) {
    const same = (other) =>
      other.id === entry.id ||
      (other.type === entry.type &&
        other.format === entry.format &&
        other.source === entry.source &&
        (other.theme ?? '') === (entry.theme ?? '') &&
        (other.background ?? '') === (entry.background ?? '') &&
        (other.extraOptions ?? '') === (entry.extraOptions ?? ''));
    const entries = read().filter((other) => !same(other));
    entries.unshift({ ...entry, savedAt: Date.now() });
    write(entries.slice(0, MAX_ENTRIES));
    this.render();
  }

  remove(id) {
    write(read().filter((entry) => entry.id !== id));
    this.render();
  }

  render() {
    const entries = read();
    this.empty.hidden = entries.length > 0;
    this.list.replaceChildren(
      ...entries.map((entry) => {
        const item = document.createElement('li');
        item.className = 'history-entry';
        const restore = document.createElement('button');
        restore.type = 'button';
        restore.className = 'history-restore';
        restore.dataset.id = entry.id;
        const title = document.createElement('span');
        title.className = 'history-title';
        title.textContent = titleOf(entry.source);
        const meta = document.createElement('span');
        meta.className = 'history-meta';
        meta.textContent = `${this.titleOfType(entry.type)} · ${String(entry.format).toUpperCase()} · ${ago(entry.savedAt)}`;
        restore.append(title, meta);
        restore.addEventListener('click', () => this.onRestore(entry));
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'icon-button history-remove';
        remove.setAttribute('aria-label', `Remove “${titleOf(entry.source)}” from history`);
        remove.textContent = '×';
        remove.addEventListener('click', () => this.remove(entry.id));
        item.append(restore, remove);
        return item;
      }),
    );
  }
}

/**
 * Whether an edit replaced the source wholesale (a new diagram, so a new history entry) rather
 * than changed it: what the edit kept (the common start and end) is under half the old text,
 * and it removed at least 20 characters. Deleting everything counts; typing or editing a line does not.
 */
export function isReplacement(before, after) {
  if (before.length < 20) return false;
  const limit = Math.min(before.length, after.length);
  let start = 0;
  while (start < limit && before[start] === after[start]) start++;
  let end = 0;
  while (end < limit - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  const kept = start + end;
  return kept < before.length / 2 && before.length - kept >= 20;
}
