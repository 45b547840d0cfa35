// Browser test of the dashboard in token mode (issue 18 item 6): Debian's chromium driven by
// playwright-core against `chromatune coordinator --token-file` (no worker groups, so the
// sweeps stay open). The login form, a viewer who sees results and no cancel button, the
// "my sweeps" filter, a user who cancels their own sweep (and no one else's) with the
// button, a session request without its CSRF token refused, and logout.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, writeFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {launchChromium} from './dashboard_util.mjs';
import {startCoordinator, api as apiAt, noopSweep as sweep, login as loginAt} from './coordinator_util.mjs';

const BIN = process.env.CHROMATUNE_BIN;
assert.ok(BIN, 'CHROMATUNE_BIN must name the chromatune binary');
const work = mkdtempSync(join(tmpdir(), 'ct-login-'));
const TOKENS = {alice: 'alice-token-0123456789ab', bob: 'bob-token-0123456789abcd',
                vera: 'viewer-token-0123456789a'};
let coordinator, browser, base;

function api(method, path, token, body) { return apiAt(base, method, path, token, body); }

function login(page, token) { return loginAt(page, base, token); }

before(async () => {
  writeFileSync(join(work, 'tokens'),
                `alice ${TOKENS.alice} user\nbob ${TOKENS.bob} user\nvera ${TOKENS.vera} viewer\n`);
  ({child: coordinator, url: base} = await startCoordinator(BIN, join(work, 'runs.db'), join(work, 'tokens')));
  for (const [who, name] of [['alice', 'alice-a'], ['alice', 'alice-b'], ['bob', 'bob-a']]) {
    const r = await api('POST', '/api/v1/sweeps', TOKENS[who], {yaml: sweep(name), origin: name + '.yaml'});
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (coordinator) coordinator.kill('SIGTERM');
  rmSync(work, {recursive: true, force: true});
});

test('without a session the page asks for a token; a wrong token is refused', async () => {
  const page = await browser.newPage();
  await page.goto(base + '/#/');
  await page.waitForFunction(() => document.body.dataset.ready === 'login');
  assert.equal(await page.$$eval('table.sweeps', t => t.length), 0, 'no data before login');
  await page.fill('#token', 'not-a-token-0123456789');
  await page.click('#login button[type="submit"]');
  await page.waitForSelector('#login-error:not([hidden])');
  assert.match(await page.textContent('#login-error'), /login refused/);
  await page.close();
});

test('a viewer sees every sweep and no cancel button; logout ends the session', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await login(page, TOKENS.vera);
  const names = await page.$$eval('table.sweeps tbody tr td:first-child', tds => tds.map(t => t.textContent));
  assert.deepEqual(names.sort(), ['alice-a', 'alice-b', 'bob-a']);
  assert.equal(await page.$$eval('button.cancel', b => b.length), 0);
  assert.match(await page.textContent('#who'), /vera \(viewer\)/);
  const [cookie] = await context.cookies();
  assert.equal(cookie.name, 'ct_session');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.ok(cookie.expires > Date.now() / 1000, 'the session cookie expires');
  assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read it');
  await page.click('#logout');
  await page.waitForFunction(() => document.body.dataset.ready === 'login');
  const after = await page.evaluate(async () => (await fetch('/api/v1/dashboard/sweeps')).status);
  assert.equal(after, 401);
  await context.close();
});

test('a user filters to their sweeps and cancels their own, with CSRF protection', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await login(page, TOKENS.alice);
  // Cancel buttons on alice's open sweeps only.
  const buttons = await page.$$eval('button.cancel', b => b.map(x => x.dataset.sweep));
  assert.deepEqual(buttons.sort(), ['alice-a', 'alice-b']);
  await page.check('#my-sweeps');
  await page.waitForFunction(() => document.querySelectorAll('table.sweeps tbody tr').length === 2);
  const mine = await page.$$eval('table.sweeps tbody tr td:first-child', tds => tds.map(t => t.textContent));
  assert.deepEqual(mine.sort(), ['alice-a', 'alice-b']);

  // The session's cookie alone does not change state: the CSRF token is needed.
  const forged = await page.evaluate(async () => (await fetch('/api/v1/sweeps/alice-b/cancel', {
    method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'})).status);
  assert.equal(forged, 403);
  // Nor can alice's session cancel bob's sweep, CSRF token or not.
  const others = await page.evaluate(async () => {
    const me = await (await fetch('/api/v1/session')).json();
    return (await fetch('/api/v1/sweeps/bob-a/cancel', {method: 'POST', body: '{}',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf}})).status;
  });
  assert.equal(others, 403);

  // The button asks once more, then cancels.
  await page.click('button.cancel[data-sweep="alice-a"]');
  assert.match(await page.textContent('button.cancel[data-sweep="alice-a"]'), /click again/);
  await page.click('button.cancel[data-sweep="alice-a"]');
  await page.waitForFunction(() => !document.querySelector('button.cancel[data-sweep="alice-a"]'));
  const a = await api('GET', '/api/v1/sweeps/alice-a', TOKENS.bob);
  assert.equal(a.body.cancelled, true);
  for (const name of ['alice-b', 'bob-a']) {
    assert.equal((await api('GET', '/api/v1/sweeps/' + name, TOKENS.bob)).body.cancelled, false, name);
  }
  await context.close();
});
