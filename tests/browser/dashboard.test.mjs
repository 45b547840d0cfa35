// Browser tests of the dashboard: Debian's chromium driven by playwright-core, against
// `chromatune dashboard` serving a store made by small real sweeps (`chromatune run`:
// coordinator in process, worker groups under mpirun, `noop` trials). Screenshots are saved
// under $CHROMATUNE_ARTIFACTS (default: a temporary folder, printed).
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {spawn, execFileSync} from 'node:child_process';
import {mkdtempSync, writeFileSync, mkdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {chromium} from 'playwright-core';

const BIN = process.env.CHROMATUNE_BIN;
assert.ok(BIN, 'CHROMATUNE_BIN must name the chromatune binary');
const work = mkdtempSync(join(tmpdir(), 'ct-browser-'));
const shots = process.env.CHROMATUNE_ARTIFACTS || join(work, 'screenshots');
mkdirSync(shots, {recursive: true});
const db = join(work, 'dash.sqlite');
const XSS = '<script>alert(1)</script>';

let dashboard, browser, base;
const consoleErrors = [];

function sweepYaml(name, values) {
  return `name: "${name}"
task: classification
dataset: fashion-mnist
shots: [1, 2, 4]
replicates: {data_seeds: [1, 2, 3], train_seeds: [1]}
methods:
  - {name: noop, value: [${values.join(', ')}], sleep_ms: 20}
retries: 0
`;
}

function runSweep(name, values) {
  const file = join(work, `sweep-${values.join('-')}.yaml`);
  writeFileSync(file, sweepYaml(name, values));
  execFileSync(BIN, ['run', file, '--db', db, '--workers', '1', '--ranks', '1', '--no-progress'],
               {stdio: ['ignore', 'pipe', 'inherit'], timeout: 240000});
}

function startDashboard() {
  return new Promise((resolve, reject) => {
    const child = spawn(BIN, ['dashboard', '--db', db, '--listen', '127.0.0.1:0'],
                        {stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    const timer = setTimeout(() => reject(new Error('dashboard did not start: ' + out)), 20000);
    child.stdout.on('data', d => {
      out += d;
      const m = out.match(/dashboard at (http:\/\/[^\s]+)/);
      if (m) { clearTimeout(timer); resolve({child, url: m[1].replace(/\/$/, '')}); }
    });
    child.on('exit', code => reject(new Error(`dashboard exited with ${code}: ${out}`)));
  });
}

async function openPage(hash) {
  const page = await browser.newPage({viewport: {width: 1400, height: 1000}});
  page.on('console', msg => { if (msg.type() === 'error') consoleErrors.push(`${hash}: ${msg.text()}`); });
  page.on('pageerror', err => consoleErrors.push(`${hash}: ${err.message}`));
  page.on('dialog', async d => { consoleErrors.push(`${hash}: a dialog opened: ${d.message()}`); await d.dismiss(); });
  await page.goto(`${base}/${hash}`);
  await page.waitForFunction(h => document.body.dataset.ready === h, hash || '#/', {timeout: 15000});
  return page;
}

before(async () => {
  runSweep('noop-a', [0.4, 0.6]);
  runSweep(XSS, [0.5, 0.7]);
  ({child: dashboard, url: base} = await startDashboard());
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (dashboard) dashboard.kill('SIGTERM');
  console.log(`screenshots in ${shots}`);
  if (!process.env.CHROMATUNE_ARTIFACTS) rmSync(join(work, 'dash.sqlite.artifacts'), {recursive: true, force: true});
});

test('sweeps page lists both sweeps with progress, the hostile name as text', async () => {
  const page = await openPage('#/');
  const names = await page.$$eval('table.sweeps tbody tr td:first-child', tds => tds.map(t => t.textContent));
  assert.deepEqual(names.sort(), [XSS, 'noop-a'].sort());
  assert.equal(await page.$$eval('table.sweeps .bar span.done', s => s.length), 2);
  await page.screenshot({path: join(shots, 'sweeps.png'), fullPage: true});
  await page.close();
});

test('sweep page draws the accuracy plot with CI bands and replicate points', async () => {
  const page = await openPage('#/sweep/noop-a');
  const means = await page.$$eval('svg[data-kind="accuracy"] .marks circle.mean', c => c.length);
  assert.equal(means, 6, '2 settings x 3 shot counts');
  // Every replicate: 2 settings x 3 shots x 3 data seeds.
  assert.equal(await page.$$eval('svg[data-kind="accuracy"] .marks circle.replicate', c => c.length), 18);
  assert.ok(await page.$$eval('svg[data-kind="accuracy"] .marks polyline', c => c.length) >= 2);
  assert.ok((await page.$$eval('table.cells tbody tr', r => r.length)) === 6);
  // Sections are elements; no stray text (such as "null" for an absent section).
  assert.deepEqual(await page.evaluate(() => [...document.querySelector('main').childNodes]
      .filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent)), []);
  await page.screenshot({path: join(shots, 'sweep.png'), fullPage: true});
  await page.close();
});

test('trial table filters and sorts', async () => {
  const page = await openPage('#/sweep/noop-a');
  assert.match(await page.textContent('#trial-table .note'), /^18 trials/);
  await page.fill('#trial-table input[name="q"]', '0.6');
  await page.press('#trial-table input[name="q"]', 'Enter');
  await page.waitForFunction(() => /^9 trials/.test(document.querySelector('#trial-table .note').textContent));
  const values = await page.$$eval('table.trials tbody tr td:nth-child(7)', tds => tds.map(t => t.textContent));
  assert.equal(values.length, 9);
  assert.ok(values.every(v => v === '0.600'));
  await page.selectOption('#trial-table select[name="state"]', 'failed');
  await page.waitForFunction(() => /^0 trials/.test(document.querySelector('#trial-table .note').textContent));
  await page.close();
});

test('trial page shows its curves and parameters', async () => {
  const page = await openPage('#/trial/1');
  assert.ok(await page.$$eval('svg[data-kind="curve"] .marks > *', m => m.length) >= 1);
  assert.match(await page.textContent('pre.params'), /"method": "noop"/);
  await page.screenshot({path: join(shots, 'trial.png'), fullPage: true});
  await page.close();
});

test('hostile sweep name is shown as text, never run', async () => {
  const page = await openPage('#/sweep/' + encodeURIComponent(XSS));
  assert.equal(await page.textContent('h1 .sweep-name'), XSS);
  assert.equal(await page.evaluate(() => document.querySelectorAll('main script').length), 0);
  await page.screenshot({path: join(shots, 'hostile-name.png'), fullPage: true});
  await page.close();
});

test('two sweeps side by side on the same cells', async () => {
  const page = await openPage('#/compare?' + new URLSearchParams({a: 'noop-a', b: XSS}).toString());
  assert.ok(await page.$$eval('svg[data-kind="compare"] .marks circle.mean', c => c.length) >= 6);
  assert.ok(await page.$$eval('table.compare tbody tr', r => r.length) >= 4);
  await page.screenshot({path: join(shots, 'compare.png'), fullPage: true});
  await page.close();
});

test('plots download as SVG and PNG, tables as CSV', async () => {
  const page = await openPage('#/sweep/noop-a');
  for (const [label, ext] of [['SVG', '.svg'], ['PNG', '.png']]) {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`.plot .tools button:text-is("${label}")`),
    ]);
    assert.ok(download.suggestedFilename().endsWith(ext));
  }
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('h2:has-text("Cells") button')]);
  assert.ok(csv.suggestedFilename().endsWith('.csv'));
  await page.close();
});

test('no console errors on any page', () => {
  assert.deepEqual(consoleErrors, []);
});
