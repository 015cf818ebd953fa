// Light and dark mode. Loaded in <head> before the page paints, so a remembered choice never
// flashes the other theme. Without a remembered choice the page follows the system; the
// header's toggle remembers an explicit choice in localStorage.

const KEY = 'kroki-web.theme';
const root = document.documentElement;
const systemDark = window.matchMedia('(prefers-color-scheme: dark)');

function remembered() {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'dark' || value === 'light' ? value : null;
  } catch {
    return null; // storage disabled: follow the system
  }
}

function effective() {
  return remembered() ?? (systemDark.matches ? 'dark' : 'light');
}

function apply() {
  root.dataset.theme = effective();
  const button = document.getElementById('theme-toggle');
  if (button) {
    button.setAttribute('aria-pressed', String(effective() === 'dark'));
    button.title = effective() === 'dark' ? 'Switch to light mode' : 'Switch to dark mode';
  }
  document.dispatchEvent(new CustomEvent('kroki:theme', { detail: effective() }));
}

apply();
systemDark.addEventListener('change', apply);

document.addEventListener('DOMContentLoaded', () => {
  const button = document.getElementById('theme-toggle');
  if (!button) return;
  button.hidden = false;
  button.addEventListener('click', () => {
    try {
      localStorage.setItem(KEY, effective() === 'dark' ? 'light' : 'dark');
    } catch {
      root.dataset.theme = effective() === 'dark' ? 'light' : 'dark';
      return;
    }
    apply();
  });
  apply();
});
