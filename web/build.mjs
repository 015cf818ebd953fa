// Builds the browser assets into ../static/ (committed, so `cargo build` needs no Node):
//   editor.js  the editor page's script, CodeMirror included (an ES module)
//   theme.js   the light/dark switch, run in <head> before the page paints (a classic script)
// and copies axe-core's browser build for the browser tests. Run by `make assets` after
// `npm ci`, so the output depends only on package-lock.json and src/.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const common = {
  bundle: true,
  minify: true,
  target: ['es2022', 'chrome100', 'firefox110', 'safari16'],
  legalComments: 'eof',
  charset: 'utf8',
  logLevel: 'info',
};

await esbuild.build({
  ...common,
  entryPoints: [join(here, 'src/editor.js')],
  format: 'esm',
  outfile: join(here, '../static/editor.js'),
});
await esbuild.build({
  ...common,
  entryPoints: [join(here, 'src/theme.js')],
  format: 'iife',
  outfile: join(here, '../static/theme.js'),
});

const vendor = join(here, '../tests/browser/vendor');
mkdirSync(vendor, { recursive: true });
copyFileSync(join(here, 'node_modules/axe-core/axe.min.js'), join(vendor, 'axe.min.js'));
console.log('copied axe-core to tests/browser/vendor/axe.min.js');
