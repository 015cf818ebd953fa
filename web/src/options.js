// The diagram options a render sends, as the server computes them for the no-JavaScript form
// (src/routes/editor/form.rs): the "more options" lines, then the theme and background controls.

export class OptionsError extends Error {}

/**
 * @param {{format: string, theme: string, background: string, extraOptions: string}} state
 * @param {object|null} kind the type's entry of the editor data (its `theme` and `background`)
 */
export function diagramOptions(state, kind) {
  const options = {};
  state.extraOptions.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = line.indexOf('=');
    if (at <= 0 || !line.slice(0, at).trim()) {
      throw new OptionsError(`Diagram options line ${index + 1}: write one option a line as name=value (got "${line}").`);
    }
    options[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  });
  if (kind?.theme && state.theme) options[kind.theme.option] = state.theme;
  const background = kind?.background;
  if (background && state.background && (!background.formats.length || background.formats.includes(state.format))) {
    options[background.option] = state.background === 'white' ? background.white : background.transparent;
  }
  return options;
}
