// The highlighting colours, one palette per page theme. Every colour keeps a contrast of at least
// 4.5:1 against the editor's background and its active-line tint in its theme (web/test checks).

export const PALETTES = {
  light: {
    background: '#ffffff',
    keyword: '#cf222e',
    string: '#0a3069',
    comment: '#57606a',
    number: '#0550ae',
    type: '#8250df',
    name: '#953800',
    tag: '#116329',
    meta: '#6639ba',
    invalid: '#82071e',
  },
  dark: {
    background: '#0d1117',
    keyword: '#ff7b72',
    string: '#a5d6ff',
    comment: '#8b949e',
    number: '#79c0ff',
    type: '#d2a8ff',
    name: '#ffa657',
    tag: '#7ee787',
    meta: '#d2a8ff',
    invalid: '#ffa198',
  },
};
