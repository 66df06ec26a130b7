// End to end: the server is too busy to take a phone's sync requests (its queue of sync work
// is full: 503 with Retry-After). The volunteer is told so honestly, in words that say the
// work is safe and when the app tries again; the submission waits on the phone, and reaches
// the server, once, when the server has room again.
//
// The refusals are made by Playwright in front of the real server (`page.route`: the app's
// service worker leaves /api/ alone, so the page's own requests are what is answered).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adminSession, createEnrolment } from './server.mjs';
import { artifacts } from './browser.mjs';
import { finaliseRefusal, openSyncDetail, syncNow } from './screens.mjs';
import { useServerAndBrowser } from './fixture.mjs';

const fixture = useServerAndBrowser({ demo: true });

async function storedDocuments(session) {
  const metrics = await fetch(new URL('/metrics', fixture.server.url), { headers: { cookie: session.cookie } });
  assert.equal(metrics.status, 200);
  const line = (await metrics.text()).split('\n').find((l) => l.startsWith('letsema_documents'));
  return Number(line?.split(' ').pop() ?? 0);
}

test('a busy server is told honestly, the submission waits on the phone and is sent once it has room', async () => {
  const session = await adminSession(fixture.server);
  const { link } = await createEnrolment(fixture.server, 'mafeteng-teachers');
  const page = await fixture.browser.context.newPage();

  // Every sync request is turned away before the server stores anything: come back in ten
  // minutes (longer than a round waits, so each round ends at once).
  let turnedAway = 0;
  await page.route('**/api/sync', async (route) => {
    turnedAway += 1;
    await route.fulfill({
      status: 503,
      headers: { 'retry-after': '600', 'content-type': 'application/json' },
      body: JSON.stringify({ error: { code: 'server_busy', message: 'The server is busy: try again later.' } }),
    });
  });

  await page.goto(link);
  const start = page.getByRole('button', { name: 'New: Diaspora member registration' });
  await start.waitFor();
  await finaliseRefusal(page, start);

  // Said plainly: busy, safe on the phone, and when the app tries again (ten minutes asked,
  // stretched by up to half again at random).
  await page.getByTestId('sync-status').filter({ hasText: 'The server is busy' }).waitFor({ timeout: 30_000 });
  await openSyncDetail(page);
  const busy = page.getByTestId('sync-busy');
  await busy.filter({ hasText: 'The server cannot take your submissions just now.' }).waitFor({ timeout: 30_000 });
  const said = await busy.textContent();
  assert.match(said, /They are safe on this phone; the app will try again in about 1[0-5] minutes\./);
  assert.equal(await page.getByTestId('sync-error').count(), 0, 'not shown as an error');
  assert.ok(turnedAway >= 1);
  assert.equal(await storedDocuments(session), 0, 'the server took nothing');
  await page.screenshot({ path: join(artifacts, 'busy-waiting.png'), fullPage: true });

  // The same in Sesotho.
  await page.getByLabel('Language', { exact: true }).selectOption('st');
  await busy.filter({ hasText: 'Seva e ke ke ea amohela liforomo tsa hao hona joale.' }).waitFor();
  await page.getByLabel('Puo', { exact: true }).selectOption('en');

  // The server has room again: "Sync now" sends it, once.
  await page.unroute('**/api/sync');
  await syncNow(page);
  await page.getByTestId('sync-status').filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
  assert.equal(await busy.count(), 0, 'no longer said busy');
  assert.equal(await storedDocuments(session), 1, 'the server holds the submission, once');
  await page.close();
});
