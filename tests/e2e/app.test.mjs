// End to end: the real server, the built app, headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artifacts } from './browser.mjs';
import { useServerAndBrowser } from './fixture.mjs';

const fixture = useServerAndBrowser();

test('the health endpoint reports the version and a working database', async () => {
  const response = await fetch(new URL('/api/health', fixture.server.url));
  assert.equal(response.status, 200);
  const health = await response.json();
  assert.equal(health.status, 'ok');
  assert.match(health.version, /^\d+\.\d+\.\d+/);
  assert.equal(health.database.state, 'ok');
  assert.equal(health.database.journal_mode, 'wal');
});

test('the app is sent compressed with brotli, with a strict content security policy', async () => {
  const response = await fetch(new URL('/pkg/letsema_web_bg.wasm', fixture.server.url), {
    headers: { 'accept-encoding': 'br' },
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-encoding'), 'br');
  assert.equal(response.headers.get('content-type'), 'application/wasm');
  const csp = response.headers.get('content-security-policy');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval';/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
});

test('the app renders, and a reload with the network off still renders it', async () => {
  const { context } = fixture.browser;
  const page = context.pages()[0] ?? await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));

  await page.goto(fixture.server.url);
  // Rendered by the WebAssembly app, not present in the HTML: proves the module ran.
  await page.getByRole('heading', { name: 'Letsema' }).waitFor();
  await assertEngineRendered(page);
  await page.getByTestId('server').filter({ hasText: 'working' }).waitFor();
  // The start page says what a newcomer can do: a link that is not this server's is
  // explained, staff are sent to their sign-in.
  await page.getByRole('heading', { name: 'Get started' }).waitFor();
  await page.getByLabel('Enrolment or survey link').fill('https://elsewhere.example/enrol#abc');
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByRole('alert').filter({ hasText: 'That is not an enrolment or survey link of this server' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Sign in as staff' }).getAttribute('href'), '/staff/');
  await page.getByTestId('offline-readiness').filter({ hasText: 'ready' }).waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.screenshot({ path: join(artifacts, 'home-online.png'), fullPage: true });

  // The network off, and the server gone too: nothing can answer but the service worker.
  await context.setOffline(true);
  assert.equal(await fixture.server.stop(), 0, 'the server stops cleanly on SIGTERM');
  await page.reload();
  await page.getByRole('heading', { name: 'Letsema' }).waitFor();
  await assertEngineRendered(page);
  await page.getByTestId('network').filter({ hasText: 'offline' }).waitFor();
  await page.getByTestId('server').filter({ hasText: 'not reachable' }).waitFor();
  await page.screenshot({ path: join(artifacts, 'home-offline.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

async function assertEngineRendered(page) {
  const engine = page.getByTestId('engine');
  await engine.filter({ hasText: /\d+\.\d+\.\d+ \(wasm32\)/ }).waitFor();
}
