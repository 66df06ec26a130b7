// End to end: browser faults on a phone. The device is full while a volunteer types or
// syncs (IndexedDB refuses writes with QuotaExceededError), the database connection is
// closed under the page, and a new version of the app is deployed while the phone holds a
// draft and unsent submissions. Nothing typed is lost, the volunteer is told, and the work
// reaches the server.
//
// Chromium ignores DevTools' quota override for IndexedDB, so the full device is made by a
// hook into the page's IndexedDB API (`installFaults`, before the app loads): read-write
// transactions abort as they commit, with a QuotaExceededError, as Chromium's own do.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { ADMIN, createEnrolment } from './server.mjs';
import { artifacts, launchBrowser } from './browser.mjs';
import { finaliseRefusal, home, offlineReady, open, syncNow } from './screens.mjs';
import { useServerAndBrowser } from './fixture.mjs';

// The server serves a copy of the built app, which the last test changes as a deployment of
// a new version would.
const webDir = mkdtempSync(join(tmpdir(), 'letsema-web-'));
if (process.env.LETSEMA_WEB_DIR) cpSync(process.env.LETSEMA_WEB_DIR, webDir, { recursive: true });
const fixture = useServerAndBrowser({ demo: true, webDir });
after(() => rmSync(webDir, { recursive: true, force: true }));

/** Runs in the page before the app: hooks to make the device full and to close connections. */
function installFaults() {
  let full = false;
  const realCommit = IDBTransaction.prototype.commit;
  IDBTransaction.prototype.commit = function commit() {
    if (full && this.mode !== 'readonly') {
      Object.defineProperty(this, 'error', {
        value: new DOMException('The quota has been exceeded.', 'QuotaExceededError'),
        configurable: true,
      });
      this.abort();
      return undefined;
    }
    return realCommit.apply(this, arguments);
  };
  const connections = [];
  const realOpen = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function open() {
    const request = realOpen.apply(this, arguments);
    request.addEventListener('success', () => connections.push(request.result));
    return request;
  };
  window.letsemaFaults = {
    fill() { full = true; },
    free() { full = false; },
    /** Closes every connection the page opened, as the browser does when it must. */
    closeConnections() {
      const closed = connections.splice(0);
      for (const connection of closed) connection.close();
      return closed.length;
    },
    /** Whether leaving the page now would ask the person first. */
    asksBeforeLeaving() {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    },
  };
}

/** When each stored draft was last saved, by id (read from the app's IndexedDB). */
function draftsSavedAt(page) {
  return page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open('letsema');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      return await new Promise((resolve, reject) => {
        const request = db.transaction(['drafts']).objectStore('drafts').getAll();
        request.onsuccess = () => resolve(Object.fromEntries(request.result.map((d) => [d.id, d.updated_at])));
        request.onerror = () => reject(request.error);
      });
    } finally {
      db.close();
    }
  });
}

/** Runs `letsema review` as the demo admin; its standard output. */
function review(args) {
  const run = spawnSync(process.env.LETSEMA_BIN,
    ['review', '--url', fixture.server.url, '--email', ADMIN.email, ...args],
    { input: ADMIN.password + '\n', encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, `letsema review ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

/** The ids of the submissions the server holds for `association`. */
function submissionsOf(association) {
  return review([]).split('\n')
    .filter((line) => line.includes(`association ${association} `))
    .map((line) => line.split(' ')[0]);
}

/** A fresh phone (its own browser profile, so its own storage), enrolled in `association`. */
async function enrolledPhone(association) {
  const browser = await launchBrowser();
  const { link } = await createEnrolment(fixture.server, association);
  const page = await browser.context.newPage();
  await page.addInitScript(installFaults);
  await page.goto(link);
  await page.getByTestId('enrolment').filter({ hasText: association }).waitFor();
  await page.getByRole('button', { name: 'New: Diaspora member registration' }).waitFor();
  return { browser, page };
}

/** Starts a registration, agrees, and goes to the registration questions. */
async function startRegistration(page) {
  await page.getByRole('button', { name: 'New: Diaspora member registration' }).click();
  await page.getByRole('radio', { name: 'Yes' }).first().check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('First name(s)').waitFor();
}

/** Opens the only draft (listed by its name, or the form's title before it has one) and goes
 * to the registration questions. */
async function openDraft(page) {
  await open(page, 'drafts');
  await page.getByRole('button', { name: /^Continue: / }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('First name(s)').waitFor();
}

async function answer(page, label, value) {
  await page.getByLabel(label).fill(value);
  await page.getByLabel(label).blur();
}

/** Records a refusal and finalises it; back on the first screen. */
async function finaliseAndReturn(page) {
  await finaliseRefusal(page);
  await page.getByRole('button', { name: 'New: Diaspora member registration' }).waitFor();
}

/** Waits up to `ms` for `check` to hold. */
async function eventually(check, what, ms = 20_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`never: ${what}`);
}

test('answers typed while the device is full are kept, the volunteer is told, and they are saved when space returns', async () => {
  const { browser, page } = await enrolledPhone('quthing-farmers');
  try {
    await startRegistration(page);
    await answer(page, 'First name(s)', 'Palesa');
    await page.waitForTimeout(500);

    // Full: told plainly, at once.
    await page.evaluate(() => window.letsemaFaults.fill());
    await answer(page, 'Surname', 'Mokoena');
    const problem = page.getByRole('alert').filter({ hasText: 'could not be saved yet' });
    await problem.waitFor();
    const said = await problem.textContent();
    assert.match(said, /storage is full/);
    assert.match(said, /Nothing saved before was lost/);
    assert.match(said, /free space/);
    await page.screenshot({ path: join(artifacts, 'faults-full.png'), fullPage: true });
    // Space returns: the next answer's save holds the refused one too, and the warning goes.
    await page.evaluate(() => window.letsemaFaults.free());
    await answer(page, 'City or town', 'Mafeteng');
    await problem.waitFor({ state: 'detached' });

    // Full again; the volunteer goes back to the list with an answer unsaved.
    const before = await draftsSavedAt(page);
    await page.evaluate(() => window.letsemaFaults.fill());
    await answer(page, 'Phone number', '+26650001234');
    await problem.waitFor();
    assert.equal(await page.evaluate(() => window.letsemaFaults.asksBeforeLeaving()), true,
      'leaving the page would lose it: the browser asks first');
    await page.getByRole('button', { name: /^Back to the list/ }).click();
    await openDraft(page);
    assert.equal(await page.getByLabel('Phone number').inputValue(), '+26650001234',
      'the unsaved answer is still there');

    // Space returns and nobody types: the app saves it by itself.
    await page.evaluate(() => window.letsemaFaults.free());
    await eventually(async () => {
      const now = await draftsSavedAt(page);
      return Object.keys(before).every((id) => now[id] > before[id]);
    }, 'the kept answer is saved');
    assert.equal(await page.evaluate(() => window.letsemaFaults.asksBeforeLeaving()), false);

    // After a reload (what a closed tab would find), every answer is there.
    await page.reload();
    await openDraft(page);
    assert.equal(await page.getByLabel('First name(s)').inputValue(), 'Palesa');
    assert.equal(await page.getByLabel('Surname').inputValue(), 'Mokoena');
    assert.equal(await page.getByLabel('City or town').inputValue(), 'Mafeteng');
    assert.equal(await page.getByLabel('Phone number').inputValue(), '+26650001234');
  } finally {
    await browser.close();
  }
});

test('a sync that cannot store what it brings says so, acknowledges nothing, and brings it once space returns', async () => {
  const { browser, page } = await enrolledPhone('berea-weavers');
  try {
    await finaliseAndReturn(page);
    await page.getByTestId('sync-status').filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
    await open(page, 'sent');
    const item = page.getByTestId('submission');
    await item.filter({ hasText: 'sent, not reviewed yet' }).waitFor({ timeout: 30_000 });
    await home(page);
    const [id] = submissionsOf('berea-weavers');
    assert.ok(id, 'the server holds the submission');
    const comment = 'Please call the member back.';
    review([id, '--status', 'has_issues', '--comment', comment]);

    // Full: the sync brings the comment but cannot store it, and says why.
    await page.evaluate(() => window.letsemaFaults.fill());
    await syncNow(page);
    await page.getByTestId('sync-error').filter({ hasText: 'storage is full' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(artifacts, 'faults-sync-full.png'), fullPage: true });
    await open(page, 'sent');
    await item.filter({ hasText: 'sent, not reviewed yet' }).waitFor();
    assert.equal(await item.getByText(comment).count(), 0, 'not stored, so not shown');
    await home(page);

    // Space returns: the next sync brings it.
    await page.evaluate(() => window.letsemaFaults.free());
    await syncNow(page);
    await page.getByTestId('sent-row').filter({ hasText: '1 returned for correction' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('sync-error').waitFor({ state: 'detached' });
    await open(page, 'sent');
    await item.filter({ hasText: 'a reviewer asks for corrections' }).getByText(comment).waitFor();
    // And it is kept: after a reload, offline, it is still there.
    await browser.context.setOffline(true);
    await page.reload();
    await open(page, 'sent');
    await item.getByText(comment).waitFor();
    await browser.context.setOffline(false);
  } finally {
    await browser.close();
  }
});

test('a database connection closed under the page is opened again and no answer is lost', async () => {
  const { browser, page } = await enrolledPhone('leribe-miners');
  try {
    await startRegistration(page);
    await answer(page, 'First name(s)', 'Thabo');
    await page.waitForTimeout(500);

    // The browser closes the page's connections (both modules'): typing goes on.
    const closed = await page.evaluate(() => window.letsemaFaults.closeConnections());
    assert.ok(closed >= 2, `the screens' and the documents' connections were open (${closed})`);
    await answer(page, 'Surname', 'Mokhele');
    await page.waitForTimeout(800);
    assert.equal(await page.getByRole('alert').count(), 0, 'saved without a problem');

    // The list still shows the forms and the draft, by its name (read through a new
    // connection).
    await page.evaluate(() => window.letsemaFaults.closeConnections());
    await page.getByRole('button', { name: /^Back to the list/ }).click();
    await page.getByRole('button', { name: 'New: Diaspora member registration' }).waitFor();
    await page.getByTestId('drafts-row').filter({ hasText: '1' }).waitFor();
    await open(page, 'drafts');
    await page.getByRole('button', { name: /^Continue: Mokhele, Thabo/ }).waitFor();
    assert.equal(await page.getByTestId('storage-problem').count(), 0);

    await page.reload();
    await openDraft(page);
    assert.equal(await page.getByLabel('First name(s)').inputValue(), 'Thabo', 'typed before the close');
    assert.equal(await page.getByLabel('Surname').inputValue(), 'Mokhele', 'typed after the close');
  } finally {
    await browser.close();
  }
});

/** Deploys a "new version" of the app in `webDir`: another build id, a changed file. */
function deployNewVersion() {
  const write = (path, text) => {
    const bytes = Buffer.from(text);
    writeFileSync(join(webDir, path), bytes);
    writeFileSync(join(webDir, path + '.br'), brotliCompressSync(bytes));
    writeFileSync(join(webDir, path + '.gz'), gzipSync(bytes));
  };
  write('style.css', readFileSync(join(webDir, 'style.css'), 'utf8') + '\n/* e2e: a new version */\n');
  const sw = readFileSync(join(webDir, 'sw.js'), 'utf8');
  const old = sw.match(/const BUILD_ID = '([^']+)'/)[1];
  const next = 'e2e' + old.slice(3).split('').reverse().join('');
  write('sw.js', sw.replace(`const BUILD_ID = '${old}'`, `const BUILD_ID = '${next}'`));
  return { old: 'letsema-app-' + old, next: 'letsema-app-' + next };
}

test('a new version deployed while the phone holds a draft and unsent submissions keeps them all, and sends them', async () => {
  const association = 'mokhotlong-herders';
  const { browser, page } = await enrolledPhone(association);
  const { context } = browser;
  try {
    await offlineReady(page);

    // Offline: two submissions finalised, one draft left.
    await context.setOffline(true);
    await finaliseAndReturn(page);
    await finaliseAndReturn(page);
    await startRegistration(page);
    await answer(page, 'First name(s)', 'Lineo');
    await answer(page, 'Surname', 'Ramoeletsi');
    await page.waitForTimeout(500);
    await page.getByRole('button', { name: /^Back to the list/ }).click();
    const status = page.getByTestId('sync-status');
    await status.filter({ hasText: 'Offline: 2 submissions wait' }).waitFor();

    // A new version is deployed. Still offline, the phone starts from its cache.
    const cache = deployNewVersion();
    await page.reload();
    await status.filter({ hasText: 'Offline: 2 submissions wait' }).waitFor();
    await page.getByTestId('drafts-row').filter({ hasText: '1' }).waitFor();
    await open(page, 'drafts');
    await page.getByRole('button', { name: /^Continue: Ramoeletsi, Lineo/ }).waitFor();
    await home(page);

    // The network returns for the app's files but the server's sync is unreachable: the
    // browser installs the new version, which takes over, while the work is unsent.
    await context.route('**/api/sync', (route) => route.abort('internetdisconnected'));
    await context.setOffline(false);
    await page.reload();
    await eventually(async () => {
      const keys = await page.evaluate(() => caches.keys());
      return keys.includes(cache.next) && !keys.includes(cache.old);
    }, 'the new version is installed and the old cache deleted', 30_000);
    await page.reload();
    assert.match(await page.evaluate(() => fetch('/style.css').then((r) => r.text())), /a new version/,
      'the new version runs');
    await status.filter({ hasText: /2 submissions wait/ }).waitFor();
    await openDraft(page);
    assert.equal(await page.getByLabel('First name(s)').inputValue(), 'Lineo');
    assert.equal(await page.getByLabel('Surname').inputValue(), 'Ramoeletsi');
    await page.getByRole('button', { name: /^Back to the list/ }).click();
    assert.deepEqual(submissionsOf(association), [], 'nothing was sent yet');
    await page.screenshot({ path: join(artifacts, 'faults-updated.png'), fullPage: true });

    // The sync reaches the server: both submissions arrive.
    await context.unroute('**/api/sync');
    await syncNow(page);
    await status.filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
    const sent = submissionsOf(association);
    assert.equal(sent.length, 2, 'the server holds both submissions');
    for (const id of sent) assert.equal(JSON.parse(review([id])).answers.consent, 'no');
    await page.getByTestId('drafts-row').filter({ hasText: '1' }).waitFor();
    await open(page, 'drafts');
    await page.getByRole('button', { name: /^Continue: Ramoeletsi, Lineo/ }).waitFor();
  } finally {
    await browser.close();
  }
});
