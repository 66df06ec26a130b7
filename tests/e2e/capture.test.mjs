// End to end: an enrolled phone fills in the reference form with the network off, finds the
// draft after a reload, finalises it, and the submission reaches the server when the network
// returns, without the form open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { adminSession, createEnrolment } from './server.mjs';
import { artifacts } from './browser.mjs';
import { home, offlineReady, open } from './screens.mjs';
import { useServerAndBrowser } from './fixture.mjs';

const fixture = useServerAndBrowser({ demo: true });

async function storedDocuments(session) {
  const metrics = await fetch(new URL('/metrics', fixture.server.url), { headers: { cookie: session.cookie } });
  assert.equal(metrics.status, 200);
  const line = (await metrics.text()).split('\n').find((l) => l.startsWith('letsema_documents'));
  return Number(line?.split(' ').pop() ?? 0);
}

test('a submission filled in offline survives a reload and is sent when the network returns', async () => {
  const session = await adminSession(fixture.server);
  const { link } = await createEnrolment(fixture.server, 'mafeteng-teachers');
  assert.equal(await storedDocuments(session), 0);

  const context = fixture.browser.context;
  const page = await context.newPage();
  await page.goto(link);
  await page.getByTestId('enrolment').filter({ hasText: 'Registering for mafeteng-teachers' }).waitFor();
  const start = page.getByRole('button', { name: 'New: Diaspora member registration' });
  await start.waitFor();
  // One language switch for the app's words and the forms' labels: English by default (the
  // browser speaks English); Sesotho is kept across a reload; then back to English.
  assert.equal(await page.getByLabel('Language', { exact: true }).inputValue(), 'en');
  await page.getByLabel('Language', { exact: true }).selectOption('st');
  await page.getByRole('button', { name: 'E ncha: Diaspora member registration' }).waitFor();
  await page.reload();
  await page.getByRole('button', { name: 'E ncha: Diaspora member registration' }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'st');
  await page.getByLabel('Puo', { exact: true }).selectOption('en');
  await start.waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  // The app is ready offline before the network goes.
  await offlineReady(page);

  await context.setOffline(true);
  await start.click();
  // The consent question, by its label; declining makes the rest not apply.
  await page.getByRole('radio', { name: 'No' }).check();
  await page.getByText('Without your consent we cannot register you.').waitFor();
  await page.screenshot({ path: join(artifacts, 'capture-offline.png'), fullPage: true });

  // A reload with the network off: the app starts from its cache and the draft is there.
  await page.waitForTimeout(500);
  await page.reload();
  await page.getByTestId('drafts-row').filter({ hasText: '1' }).waitFor();
  await open(page, 'drafts');
  const draft = page.getByRole('button', { name: /^Continue: Diaspora member registration/ });
  await draft.waitFor();
  await draft.click();
  assert.equal(await page.getByRole('radio', { name: 'No' }).isChecked(), true, 'the answer was kept');

  // To the last page, and finalise.
  const finalise = page.getByRole('button', { name: 'Finalise' });
  for (let i = 0; i < 10 && !(await finalise.isVisible()); i += 1) {
    await page.getByRole('button', { name: 'Next' }).click();
  }
  await finalise.click();
  await page.getByTestId('sync-status').filter({ hasText: 'Offline: 1 submission waits' }).waitFor();
  await page.getByTestId('notice').filter({ hasText: 'It will be sent when there is a network.' }).waitFor();
  await page.screenshot({ path: join(artifacts, 'capture-waiting.png'), fullPage: true });

  // Still offline: a backup file holds the unsent submission.
  await open(page, 'phone');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Save a backup file' }).click(),
  ]);
  const backupPath = join(artifacts, 'backup.json');
  await download.saveAs(backupPath);
  const backup = JSON.parse(await readFile(backupPath, 'utf8'));
  assert.equal(backup.documents.length, 1, 'the unsent submission is in the backup');
  assert.equal(backup.drafts.length, 0);
  assert.equal(JSON.stringify(backup).includes(link.split('#')[1]), false, 'no secret in the backup');

  // The network returns: the app sends it on its own, with no form open.
  await home(page);
  await context.setOffline(false);
  await page.getByTestId('sync-status').filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
  assert.equal(await storedDocuments(session), 1, 'the server holds the submission');
  await page.screenshot({ path: join(artifacts, 'capture-sent.png'), fullPage: true });

  // What the phone computed came with the answers, as ODK keeps it in the submission: when
  // the form was started, and the day (the server lists it once it has judged it).
  const asAdmin = async (path) => (await fetch(new URL(path, fixture.server.url), { headers: { cookie: session.cookie } })).json();
  let listed = [];
  for (let i = 0; i < 50 && listed.length === 0; i += 1) {
    ({ submissions: listed } = await asAdmin('/api/submissions?form=diaspora_registration'));
    if (listed.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const { answers } = await asAdmin(`/api/submissions/${listed[0].id}`);
  assert.match(answers.start, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/, JSON.stringify(answers));
  assert.match(answers.today, /^\d{4}-\d{2}-\d{2}$/, JSON.stringify(answers));
  await page.close();
});

test('two tabs edit the same draft offline and both edits are kept', async () => {
  const context = fixture.browser.context;
  // The device enrolled by the first test; its forms are kept.
  const first = await context.newPage();
  await first.goto(fixture.server.url);
  const start = first.getByRole('button', { name: 'New: Diaspora member registration' });
  await start.waitFor();
  await context.setOffline(true);
  await start.click();
  await first.getByRole('radio', { name: 'Yes' }).first().check();
  await first.waitForTimeout(300);
  await first.getByRole('button', { name: /^Back to the list/ }).click();

  // Both tabs open the draft, each as its own writer (session).
  const second = await context.newPage();
  await second.goto(fixture.server.url);
  for (const page of [first, second]) {
    await open(page, 'drafts');
    await page.getByRole('button', { name: /^Continue: Diaspora member registration/ }).first().click();
    // The registration questions are on the page after consent.
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('First name(s)').waitFor();
  }
  await first.getByLabel('First name(s)').fill('Palesa');
  await first.getByLabel('First name(s)').blur();
  await second.getByLabel('Surname').fill('Mokoena');
  await second.getByLabel('Surname').blur();
  await first.waitForTimeout(800);
  await first.getByRole('button', { name: /^Back to the list/ }).click();
  await second.getByRole('button', { name: /^Back to the list/ }).click();

  // Reopened, the draft holds both answers. (Its name is what the tab that saved last
  // computed from the answers it held: each tab saw one name only.)
  await first.reload();
  await open(first, 'drafts');
  await first.getByRole('button', { name: /^Continue: (Mokoena|Palesa)/ }).first().click();
  await first.getByRole('button', { name: 'Next' }).click();
  await first.getByLabel('First name(s)').waitFor();
  assert.equal(await first.getByLabel('First name(s)').inputValue(), 'Palesa');
  assert.equal(await first.getByLabel('Surname').inputValue(), 'Mokoena');
  await first.screenshot({ path: join(artifacts, 'two-tabs-merged.png'), fullPage: true });
  await context.setOffline(false);
  await first.close();
  await second.close();
});
