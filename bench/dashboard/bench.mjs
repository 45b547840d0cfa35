// Times the dashboard on a large sweep: the API calls its sweep page makes, over HTTP from
// Node (first call on a fresh server = cold, then the median of warm repeats), and the page
// itself in Debian's chromium (navigation start until every plot of the sweep page is drawn
// and the trial table is filled), on a fresh server (cold) and again (warm).
//
// Usage: node bench/dashboard/bench.mjs --bin CHROMATUNE --db STORE --sweep NAME [--b NAME]
//                                       [--rounds N] [--repeats N]
// --b: second sweep for the compare call (default: the same sweep on both sides).
import {parseArgs} from 'node:util';
import {resolve} from 'node:path';
import {startDashboard, launchChromium, gotoRendered} from '../../tests/browser/dashboard_util.mjs';

const {values: args} = parseArgs({options: {
  bin: {type: 'string'}, db: {type: 'string'}, sweep: {type: 'string'}, b: {type: 'string'},
  rounds: {type: 'string', default: '3'}, repeats: {type: 'string', default: '5'},
}});
if (!args.bin || !args.db || !args.sweep) {
  console.error('usage: node bench/dashboard/bench.mjs --bin CHROMATUNE --db STORE --sweep NAME [--b NAME] [--rounds N] [--repeats N]');
  process.exit(2);
}
const rounds = Number(args.rounds), repeats = Number(args.repeats);
const sweep = args.sweep, other = args.b || args.sweep;

// The calls the sweep page makes (app.js viewSweep + trialTable), plus paging, sorting,
// filtering and the compare view.
const calls = [
  ['sweeps', 'sweeps', {}],
  ['summary', 'summary', {sweep, metric: 'accuracy', baseline: 'finetune'}],
  ['trials, first page', 'trials', {sweep, limit: 50, sort: 'id', desc: '0', offset: 0}],
  ['trials, sorted by value, page 1000', 'trials', {sweep, limit: 50, sort: 'value', desc: '1', offset: 50000}],
  ['trials, text filter', 'trials', {sweep, limit: 50, q: 'finetune', sort: 'id', desc: '0', offset: 0}],
  ['compare', 'compare', {a: sweep, b: other, metric: 'accuracy'}],
];

const median = xs => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeCall(base, route, params) {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v1/dashboard/${route}?${new URLSearchParams(params)}`);
  const body = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`${route}: HTTP ${res.status}: ${body.slice(0, 200)}`);
  return {ms, bytes: body.length};
}

// Milliseconds from navigation start until app.js marked the sweep page rendered.
async function timePage(browser, base) {
  const page = await browser.newPage({viewport: {width: 1400, height: 1000}});
  const errors = [];
  page.on('pageerror', e => errors.push(e.message));
  // The moment app.js marks the route rendered (after drawing), not when polling notices.
  await page.addInitScript(() => {
    new MutationObserver(() => {
      if (window.readyAtMs === undefined && document.body && document.body.dataset.ready) {
        window.readyAtMs = performance.now();
      }
    }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-ready']});
  });
  const hash = '#/sweep/' + encodeURIComponent(sweep);
  await gotoRendered(page, base, hash, 60000);
  const ms = await page.evaluate(() => window.readyAtMs);
  const drawn = await page.$$eval('svg.chart .marks', ms => ms.filter(m => m.childElementCount > 0).length);
  const rows = await page.$$eval('table.trials tbody tr', r => r.length);
  const elements = await page.evaluate(() => document.getElementsByTagName('*').length);
  await page.close();
  if (errors.length) throw new Error('page errors: ' + errors.join('; '));
  return {ms, drawn, rows, elements};
}

const bin = resolve(args.bin);
const cold = new Map(), warm = new Map(), bytes = new Map();
const pageCold = [], pageWarm = [];
let pageInfo;
const browser = await launchChromium();
try {
  for (let r = 0; r < rounds; ++r) {
    // Cold API: a fresh server, each call once in the page's order.
    let d = await startDashboard(bin, args.db);
    try {
      for (const [name, route, params] of calls) {
        const t = await timeCall(d.url, route, params);
        (cold.get(name) || cold.set(name, []).get(name)).push(t.ms);
        bytes.set(name, t.bytes);
      }
      for (const [name, route, params] of calls) {
        for (let i = 0; i < repeats; ++i) {
          (warm.get(name) || warm.set(name, []).get(name)).push((await timeCall(d.url, route, params)).ms);
        }
      }
    } finally { d.child.kill('SIGTERM'); }
    // Cold page: a fresh server, so the summary is aggregated for this load.
    d = await startDashboard(bin, args.db);
    try {
      const c = await timePage(browser, d.url);
      pageCold.push(c.ms);
      pageInfo = c;
      pageWarm.push((await timePage(browser, d.url)).ms);
    } finally { d.child.kill('SIGTERM'); }
  }
} finally { await browser.close(); }

console.log(`sweep "${sweep}" in ${args.db}; ${rounds} rounds, ${repeats} warm repeats per call`);
console.log('');
console.log('| what | cold ms (median) | warm ms (median) | response bytes |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name] of calls) {
  console.log(`| API ${name} | ${median(cold.get(name)).toFixed(1)} | ${median(warm.get(name)).toFixed(1)} | ${bytes.get(name)} |`);
}
console.log(`| page in chromium, navigation to plots drawn | ${median(pageCold).toFixed(0)} | ${median(pageWarm).toFixed(0)} | |`);
console.log('');
console.log(`page: ${pageInfo.drawn} plots with marks, ${pageInfo.rows} trial rows, ${pageInfo.elements} DOM elements; ` +
            `all cold page loads (ms): ${pageCold.map(x => x.toFixed(0)).join(', ')}`);
