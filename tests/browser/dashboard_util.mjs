// Shared by the browser test, the README screenshot (screenshot.mjs) and the dashboard bench
// (bench/dashboard): start `chromatune dashboard` on a store, launch Debian's chromium
// through playwright-core, and open a page of the dashboard until it has rendered.
import {spawn} from 'node:child_process';
import {chromium} from 'playwright-core';

// Starts `BIN dashboard --db DB` on a free loopback port. Resolves to {child, url} once the
// server prints its address; rejects if it exits first or says nothing within 20 s.
export function startDashboard(bin, db, extraArgs = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['dashboard', '--db', db, '--listen', '127.0.0.1:0', ...extraArgs],
                        {stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    const timer = setTimeout(() => reject(new Error('dashboard did not start: ' + out)), 20000);
    child.stdout.on('data', d => {
      out += d;
      const m = out.match(/dashboard at (http:\/\/[^\s]+)/);
      if (m) { clearTimeout(timer); resolve({child, url: m[1].replace(/\/$/, '')}); }
    });
    child.on('exit', code => { clearTimeout(timer); reject(new Error(`dashboard exited with ${code}: ${out}`)); });
  });
}

// Headless chromium from /usr/bin, no sandbox (containers), nothing fetched from the network.
// `extraArgs`: more command-line switches (the TLS test pins its certificate with one).
export function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu',
           '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });
}

// Navigates `page` to `base/hash` and waits until the page marks that route as rendered
// (app.js sets body[data-ready] to the hash after drawing it, or to "error").
export async function gotoRendered(page, base, hash, timeout = 15000) {
  await page.goto(`${base}/${hash}`);
  await page.waitForFunction(h => document.body.dataset.ready === h || document.body.dataset.ready === 'error',
                             hash || '#/', {timeout});
  const ready = await page.evaluate(() => document.body.dataset.ready);
  if (ready === 'error') {
    throw new Error(`${hash}: the page shows an error: ${await page.textContent('main')}`);
  }
}
