// Saves the README's dashboard screenshot: the page of one sweep (plots and the top of the
// cells table) as served by `chromatune dashboard` on a real store.
//
// Usage (from the repository root, after `make` and scripts/setup):
//   node tests/browser/screenshot.mjs --db runs/demo.sqlite --sweep demo-grounding \
//        [--out docs/img/dashboard.png] [--bin build/chromatune] [--width 1280] [--height 900]
// Exits non-zero with a message when the store, the sweep or the page fails; refuses to
// write a PNG over 300 KB (the README image budget).
import {mkdirSync, statSync, rmSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import {parseArgs} from 'node:util';
import {startDashboard, launchChromium, gotoRendered} from './dashboard_util.mjs';

const kMaxBytes = 300 * 1024;

const {values: args} = parseArgs({options: {
  db: {type: 'string'}, sweep: {type: 'string'}, out: {type: 'string', default: 'docs/img/dashboard.png'},
  bin: {type: 'string', default: process.env.CHROMATUNE_BIN || 'build/chromatune'},
  width: {type: 'string', default: '1280'}, height: {type: 'string', default: '900'},
}});
if (!args.db || !args.sweep) {
  console.error('usage: node tests/browser/screenshot.mjs --db FILE --sweep NAME [--out PNG] [--bin CHROMATUNE] [--width W] [--height H]');
  process.exit(2);
}
const width = Number(args.width), height = Number(args.height);
if (!(width >= 320 && height >= 240)) {
  console.error(`screenshot.mjs: --width/--height: need at least 320x240, got ${args.width}x${args.height}`);
  process.exit(2);
}

let dashboard, browser;
try {
  const started = await startDashboard(resolve(args.bin), args.db);
  dashboard = started.child;
  browser = await launchChromium();
  const page = await browser.newPage({viewport: {width, height}});
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  await gotoRendered(page, started.url, '#/sweep/' + encodeURIComponent(args.sweep), 60000);
  const plots = await page.$$eval('svg.chart', s => s.length);
  if (plots === 0) throw new Error(`sweep "${args.sweep}" has no plots to show (no finished trials?)`);
  if (errors.length) throw new Error('page errors: ' + errors.join('; '));
  mkdirSync(dirname(resolve(args.out)), {recursive: true});
  await page.screenshot({path: args.out, fullPage: false});
  const bytes = statSync(args.out).size;
  if (bytes > kMaxBytes) {
    rmSync(args.out);
    throw new Error(`${args.out}: ${bytes} bytes is over the ${kMaxBytes}-byte budget; use a smaller --width/--height`);
  }
  console.log(`${args.out}: ${width}x${height}, ${bytes} bytes, ${plots} plots of sweep "${args.sweep}" from ${args.db}`);
} catch (e) {
  console.error('screenshot.mjs: ' + (e.message || e));
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  if (dashboard) dashboard.kill('SIGTERM');
}
