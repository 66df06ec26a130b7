// End to end: the staff area at /staff, in its own browser profile (a reviewer's laptop),
// beside a volunteer's phone (the fixture's profile). The reviewer signs in, filters,
// searches a name, opens the submission, reads a field's history, corrects an answer and
// sends it back with a comment; the phone receives the comment, corrects another field
// offline and syncs, and both edits stand. Then a conflict made on purpose is found by its
// filter and resolved. Every screen passes axe at 1280 px and at 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, adminSession, createEnrolment, postAsAdmin } from './server.mjs';
import { artifacts, launchBrowser } from './browser.mjs';
import { finaliseRegistration, home, open, syncNow } from './screens.mjs';
import { useServerAndBrowser } from './fixture.mjs';
import { violations } from './axe.mjs';

const fixture = useServerAndBrowser({ demo: true });
let laptop;
before(async () => { laptop = await launchBrowser(); });
after(async () => { await laptop?.close(); });

const VOLUNTEER = { first: 'Palesa', surname: 'Mokhethi', city: 'Bloemfontein', phone: '+27821234567' };

/** The phone's first screen, with a registration finalised and sent. */
async function phoneWithARegistration() {
  const { link } = await createEnrolment(fixture.server, 'maseru-nurses', { name: 'Maseru nurses' });
  const phone = await fixture.browser.context.newPage();
  await phone.goto(link);
  await phone.getByRole('button', { name: 'New: Diaspora member registration' }).waitFor();
  await finaliseRegistration(phone, VOLUNTEER);
  await phone.getByTestId('sync-status').filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
  return phone;
}

/**
 * The staff area at 1280 px, signed in as the demo admin (the laptop's profile keeps the
 * session after the first sign-in, which is tried with a wrong password first).
 */
async function signedIn() {
  const page = await laptop.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(new URL('/staff', fixture.server.url).href);
  const table = page.getByRole('heading', { name: 'Submissions', exact: true });
  const email = page.getByLabel('E-mail address');
  await table.or(email).waitFor();
  if (await email.isVisible()) {
    await email.fill(ADMIN.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The e-mail address or the password is wrong' }).waitFor();
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await table.waitFor();
  return page;
}

/**
 * Applies the table's filters until `row` is shown: the table filters by the validator's
 * judgement, made within a second or two of a sync or a change, so a person who just
 * synced applies the filters again.
 */
async function applyUntilShown(page, row) {
  for (let i = 0; i < 30; i += 1) {
    await page.getByRole('button', { name: 'Apply filters' }).click();
    try {
      await row.first().waitFor({ timeout: 1000 });
      return;
    } catch {
      // Not judged yet.
    }
  }
  await row.first().waitFor();
}

/** The question `label` on a submission's page. */
const question = (page, label) => page.getByTestId('question').filter({
  has: page.locator('.label', { hasText: label }),
});

/** Opens a question's history (a click on its summary, if it is closed). */
async function showHistory(q) {
  const history = q.getByTestId('history');
  if (!(await history.evaluate((details) => details.open))) await history.locator('summary').click();
}

test('a reviewer corrects and returns a submission in the browser; the phone corrects another field offline; both stand', async () => {
  const phone = await phoneWithARegistration();
  const page = await signedIn();
  assert.deepEqual(await violations(page), [], 'the table at 1280 px');

  // Filter by association, then search the surname.
  await page.getByLabel('Association').selectOption('maseru-nurses');
  await page.getByLabel('Search names and phone numbers').fill('mokhe');
  const rows = page.getByTestId('submission-row');
  await applyUntilShown(page, rows.filter({ hasText: 'Mokhethi' }));
  assert.equal(await rows.count(), 1, 'one submission matches');
  assert.match(page.url(), /association=maseru-nurses/, 'the filters are in the address');
  await page.screenshot({ path: join(artifacts, 'staff-table.png'), fullPage: true });

  // The submission, laid out by its form, with a field's history.
  await rows.getByRole('link').click();
  await page.getByRole('heading', { name: /Mokhethi/ }).waitFor();
  const city = question(page, 'City or town');
  await city.locator('.value', { hasText: VOLUNTEER.city }).waitFor();
  await city.getByText('History (1)').waitFor();
  await showHistory(city);
  await city.getByTestId('history').getByText(/device dev-/).waitFor();
  assert.equal(await question(page, 'Which other country?').count(), 0, 'a question that is not relevant is not shown');
  assert.deepEqual(await violations(page), [], 'a submission at 1280 px');

  // A correction, judged again at once, and the verdict with a comment.
  await city.getByRole('button', { name: 'Correct: City or town' }).click();
  await page.getByLabel('Correct: City or town').fill('Welkom');
  await city.getByRole('button', { name: 'Save' }).click();
  await page.getByTestId('saved').waitFor();
  await city.locator('.value', { hasText: 'Welkom' }).waitFor();
  await city.getByText('History (2)').waitFor();
  const comment = 'Please check the e-mail address with the member.';
  await page.getByLabel('Review status').selectOption('has_issues');
  await page.getByLabel('Comment for the volunteer').fill(comment);
  await page.getByRole('button', { name: 'Save the review' }).click();
  await page.getByTestId('review-status').filter({ hasText: 'has issues' }).waitFor();
  await page.getByTestId('comments').getByText(comment).waitFor();
  await showHistory(city);
  await city.getByTestId('history').getByText(/reviewer #/).waitFor();
  await page.screenshot({ path: join(artifacts, 'staff-submission-history.png'), fullPage: true });

  // The phone receives the comment and, offline, corrects the e-mail address.
  await syncNow(phone);
  await phone.getByTestId('sent-row').filter({ hasText: '1 returned for correction' }).waitFor({ timeout: 30_000 });
  await open(phone, 'sent');
  const item = phone.getByTestId('submission').filter({ hasText: 'a reviewer asks for corrections' });
  await item.getByText(comment).waitFor({ timeout: 30_000 });
  await fixture.browser.context.setOffline(true);
  await item.getByRole('button', { name: /^Correct: / }).click();
  await phone.getByRole('button', { name: 'Next' }).click();
  await phone.getByLabel('E-mail address').fill('palesa@example.org');
  await phone.getByLabel('E-mail address').blur();
  await phone.waitForTimeout(500);
  await phone.getByRole('button', { name: /^Back to the list/ }).click();
  await phone.getByTestId('sync-status').filter({ hasText: 'Offline: 1 submission waits' }).waitFor({ timeout: 30_000 });
  await fixture.browser.context.setOffline(false);
  await syncNow(phone);
  await phone.getByTestId('sync-status').filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });

  // Both edits stand on the server.
  await page.reload();
  await question(page, 'City or town').locator('.value', { hasText: 'Welkom' }).waitFor({ timeout: 30_000 });
  await question(page, 'E-mail address').locator('.value', { hasText: 'palesa@example.org' }).waitFor();
  await page.getByTestId('comments').getByText(comment).waitFor();

  // At 360 px, and in Sesotho, the same screens pass axe.
  await page.setViewportSize({ width: 360, height: 740 });
  assert.deepEqual(await violations(page), [], 'a submission at 360 px');
  await page.getByLabel('Language', { exact: true }).selectOption('st');
  await page.getByRole('button', { name: 'Khutlela lipalong' }).waitFor();
  assert.deepEqual(await violations(page), [], 'a submission at 360 px in Sesotho');
  await page.getByRole('button', { name: 'Khutlela lipalong' }).click();
  await page.getByTestId('submission-row').first().waitFor();
  assert.deepEqual(await violations(page), [], 'the table at 360 px in Sesotho');
  await page.screenshot({ path: join(artifacts, 'staff-table-360-st.png'), fullPage: true });
  await page.getByLabel('Puo', { exact: true }).selectOption('en');
  await phone.close();
  await page.close();
});

test('a conflict made on purpose is found by its filter and resolved in the browser, and the phone receives the resolution', async () => {
  const phone = await fixture.browser.context.newPage();
  await phone.goto(fixture.server.url);
  await phone.getByTestId('sync-status').filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
  const page = await signedIn();
  await page.getByLabel('Search names and phone numbers').fill('Palesa Mokhethi');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByTestId('submission-row').getByRole('link').click();
  const city = question(page, 'City or town');
  await city.locator('.value', { hasText: 'Welkom' }).waitFor();

  // Offline, the phone writes one city; online, the reviewer writes another.
  await fixture.browser.context.setOffline(true);
  await open(phone, 'sent');
  await phone.getByRole('button', { name: /^Correct: / }).first().click();
  await phone.getByRole('button', { name: 'Next' }).click();
  await phone.getByLabel('City or town').fill('Kroonstad');
  await phone.getByLabel('City or town').blur();
  await phone.waitForTimeout(500);
  await phone.getByRole('button', { name: /^Back to the list/ }).click();
  await phone.getByTestId('sync-status').filter({ hasText: 'Offline: 1 submission waits' }).waitFor({ timeout: 30_000 });
  await city.getByRole('button', { name: 'Correct: City or town' }).click();
  await page.getByLabel('Correct: City or town').fill('Sasolburg');
  await city.getByRole('button', { name: 'Save' }).click();
  await city.locator('.value', { hasText: 'Sasolburg' }).waitFor();
  await fixture.browser.context.setOffline(false);
  await syncNow(phone);
  await phone.getByTestId('sync-status').filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });

  // The table's filter finds it; the submission lists both values and who wrote them.
  await page.getByRole('button', { name: 'Back to the submissions' }).click();
  await page.getByLabel('With conflicts only').check();
  const row = page.getByTestId('submission-row').filter({ hasText: 'Mokhethi' });
  await applyUntilShown(page, row.filter({ hasText: '1 conflict' }));
  await row.getByRole('link').click();
  const conflict = page.getByTestId('conflict').filter({ hasText: 'City or town' });
  await conflict.getByText('Kroonstad').waitFor();
  await conflict.getByText('Sasolburg').waitFor();
  await conflict.getByText(/device dev-/).waitFor();
  await conflict.getByText(/reviewer #/).waitFor();
  assert.deepEqual(await violations(page), [], 'a conflict at 1280 px');
  await page.screenshot({ path: join(artifacts, 'staff-conflict.png'), fullPage: true });

  // The reviewer keeps the volunteer's value: the conflict is gone, the choice recorded.
  await conflict.getByRole('listitem').filter({ hasText: 'Kroonstad' })
    .getByRole('button', { name: 'Keep this value' }).click();
  await page.getByTestId('saved').waitFor();
  assert.equal(await page.getByTestId('conflict').count(), 0, 'no conflict is left');
  await question(page, 'City or town').locator('.value', { hasText: 'Kroonstad' }).waitFor();

  // The phone receives the resolution.
  await syncNow(phone);
  await phone.getByTestId('sync-status').filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
  await open(phone, 'sent');
  await phone.getByRole('button', { name: /^Correct: / }).first().click();
  await phone.getByRole('button', { name: 'Next' }).click();
  assert.equal(await phone.getByLabel('City or town').inputValue(), 'Kroonstad');
  await phone.close();
  await page.close();
});

test('a bulk status change sets every selected submission', async () => {
  const page = await signedIn();
  await page.getByTestId('submission-row').first().waitFor({ timeout: 30_000 });
  await page.getByLabel('Select all shown').check();
  assert.match(await page.getByTestId('selected-count').textContent(), /^[1-9]\d* selected$/);
  await page.getByLabel('New status').selectOption('approved');
  await page.getByRole('button', { name: 'Set the status of the selected' }).click();
  await page.getByTestId('bulk-message').filter({ hasText: /changed\.$/ }).waitFor();
  await page.getByRole('group', { name: 'Filters' }).getByLabel('Review status').selectOption('approved');
  await applyUntilShown(page, page.getByTestId('submission-row').filter({ hasText: 'Mokhethi' }));
  await page.close();
});

/** The submission `id` as the server holds it now (asked from Node, not the browser). */
async function onTheServer(id) {
  const session = await adminSession(fixture.server);
  const response = await fetch(new URL(`/api/submissions/${id}`, fixture.server.url), {
    headers: { cookie: session.cookie },
  });
  assert.equal(response.status, 200);
  return response.json();
}

test('a reviewer takes an association offline, reviews and corrects with no network, and sends it all when the network returns', async () => {
  const page = await signedIn();
  await page.getByRole('group', { name: 'Filters' }).getByLabel('Association').selectOption('maseru-nurses');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByRole('button', { name: "Take maseru-nurses's submissions offline" }).click();
  await page.getByTestId('offline-message').filter({ hasText: 'are on this computer' }).waitFor({ timeout: 60_000 });
  await page.getByTestId('offline-summary').filter({ hasText: '0 with changes not sent yet' }).waitFor();

  // No network: the copy is read and changed on this computer.
  await laptop.context.setOffline(true);
  await page.getByRole('link', { name: 'Open the offline copy' }).click();
  const row = page.getByTestId('offline-row').filter({ hasText: 'Mokhethi' });
  await row.getByRole('link').click();
  await page.getByTestId('offline-badge').waitFor();
  const id = page.url().split('#/offline/')[1];
  const city = question(page, 'City or town');
  await city.getByRole('button', { name: 'Correct: City or town' }).click();
  await page.getByLabel('Correct: City or town').fill('Mafeteng');
  await city.getByRole('button', { name: 'Save' }).click();
  await city.locator('.value', { hasText: 'Mafeteng' }).waitFor();
  const comment = 'Checked with the member on the phone, offline.';
  await page.getByLabel('Review status').selectOption('approved');
  await page.getByLabel('Comment for the volunteer').fill(comment);
  await page.getByRole('button', { name: 'Save the review' }).click();
  await page.getByTestId('review-status').filter({ hasText: 'approved' }).waitFor();
  await showHistory(city);
  await city.getByTestId('history').getByText('Mafeteng').waitFor();
  assert.deepEqual(await violations(page), [], 'a submission of the offline copy');

  // The laptop's browser is closed and opened again, still with no network: the staff
  // area's service worker opens the page, and the copy is there with the changes.
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  await page.reload();
  await page.getByTestId('no-network').waitFor();
  await question(page, 'City or town').locator('.value', { hasText: 'Mafeteng' }).waitFor();
  await page.getByTestId('review-status').filter({ hasText: 'approved' }).waitFor();
  await page.screenshot({ path: join(artifacts, 'staff-offline-submission.png'), fullPage: true });
  await page.goBack();
  await page.getByTestId('offline-summary').filter({ hasText: '1 with changes not sent yet' }).waitFor();
  await row.getByText('not sent').waitFor();
  let held = await onTheServer(id);
  assert.notEqual(held.answers.city, 'Mafeteng', 'nothing reached the server while offline');

  // The network returns: everything is sent, with the same merge as a phone's.
  await laptop.context.setOffline(false);
  await page.getByRole('button', { name: 'Send changes' }).click();
  await page.getByTestId('offline-message').filter({ hasText: 'Changes sent: 1 accepted' }).waitFor({ timeout: 30_000 });
  await page.getByTestId('offline-summary').filter({ hasText: '0 with changes not sent yet' }).waitFor();
  held = await onTheServer(id);
  assert.equal(held.answers.city, 'Mafeteng');
  assert.equal(held.review_status, 'approved');
  assert.ok(held.comments.some((c) => c.text === comment), 'the comment is on the server');

  // And the volunteer's phone receives it.
  const phone = await fixture.browser.context.newPage();
  await phone.goto(fixture.server.url);
  await syncNow(phone);
  await phone.getByTestId('sync-status').filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
  await open(phone, 'sent');
  await phone.getByTestId('submission').filter({ hasText: comment }).waitFor({ timeout: 30_000 });
  await phone.close();
  await page.close();
});

/** The key of `answers` (an export's JSON line) for the question `name`: with its groups' names. */
const exportedKey = (answers, name) => Object.keys(answers).find((key) => key === name || key.endsWith(`-${name}`));

test('an export of the filtered submissions downloads from the browser, and holds what the server holds', async () => {
  const page = await signedIn();
  await page.getByTestId('submission-row').first().waitFor({ timeout: 30_000 });
  const panel = page.getByTestId('export-panel');
  await panel.filter({ hasText: 'Choose a form in the filters' }).waitFor();
  await page.getByRole('group', { name: 'Filters' }).getByLabel('Form', { exact: true })
    .selectOption('diaspora_registration');
  await applyUntilShown(page, page.getByTestId('submission-row'));
  assert.deepEqual(await violations(page), [], 'the export panel passes axe');

  await panel.getByLabel('Format').selectOption('jsonl');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    panel.getByRole('button', { name: 'Download the export' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^diaspora_registration-\d{4}-\d{2}-\d{2}\.jsonl$/);
  const path = join(artifacts, download.suggestedFilename());
  await download.saveAs(path);
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  assert.ok(lines.length >= 1, 'the registration made in the first test at least');
  await panel.getByTestId('export-message')
    .filter({ hasText: `${lines.length} submission${lines.length === 1 ? '' : 's'} exported` }).waitFor();
  await page.screenshot({ path: join(artifacts, 'staff-export.png') });

  for (const line of lines) {
    const held = await onTheServer(line.KEY);
    assert.equal(line.FormVersion, held.form_version);
    assert.equal(line.ReviewState, held.review_status);
    for (const [name, value] of Object.entries(held.answers)) {
      const key = exportedKey(line.answers, name);
      if (value === '' || (Array.isArray(value) && value.length === 0)) {
        assert.ok(key === undefined || line.answers[key] === null, `${name}: unanswered`);
        continue;
      }
      assert.ok(key !== undefined, `${name} is in the export of ${line.KEY}`);
      const exported = line.answers[key];
      if (Array.isArray(value) && typeof value[0] === 'object') {
        assert.equal(exported.length, value.length, `${name}: as many entries`);
      } else if (Array.isArray(value)) {
        assert.deepEqual([...exported].sort(), [...value].sort(), name);
      } else if (typeof exported === 'number') {
        assert.equal(exported, Number(value), `${name}: a number`);
      } else {
        assert.equal(exported, value, name);
      }
    }
  }

  await panel.getByLabel('Format').selectOption('xlsx');
  const [workbook] = await Promise.all([
    page.waitForEvent('download'),
    panel.getByRole('button', { name: 'Download the export' }).click(),
  ]);
  assert.match(workbook.suggestedFilename(), /\.xlsx$/);
  const xlsx = join(artifacts, workbook.suggestedFilename());
  await workbook.saveAs(xlsx);
  assert.equal(readFileSync(xlsx).subarray(0, 2).toString(), 'PK', 'an Office Open XML file (a zip)');

  // The panel at 360 px, in English and in Sesotho.
  await page.setViewportSize({ width: 360, height: 740 });
  await panel.screenshot({ path: join(artifacts, 'staff-export-360.png') });
  await page.getByLabel('Language', { exact: true }).selectOption('st');
  await panel.getByRole('button', { name: 'Jarolla lipalo' }).waitFor();
  await panel.screenshot({ path: join(artifacts, 'staff-export-360-st.png') });
  await page.getByLabel('Puo', { exact: true }).selectOption('en');

  // On the record: the admin's two exports.
  const session = await adminSession(fixture.server);
  const log = await (await fetch(new URL('/api/audit?action=export', fixture.server.url), {
    headers: { cookie: session.cookie },
  })).json();
  assert.ok(log.entries.length >= 2, JSON.stringify(log));
  assert.match(log.entries[0].detail, /format=xlsx/);
  assert.equal(log.entries[0].address, '127.0.0.1');
  await page.close();
});

test('a register is imported from the staff area: checked first, then written, then listed, and a second import adds nobody', async () => {
  const page = await signedIn();
  await page.setViewportSize({ width: 1280, height: 900 });
  const form = page.getByRole('group', { name: 'Filters' }).getByLabel('Form', { exact: true });
  await form.locator('option[value="diaspora_registration"]').waitFor({ state: 'attached' });
  await form.selectOption('diaspora_registration');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const panel = page.getByTestId('import-panel');
  // The reference form's own questions (consent first: the rest is asked only with it), a
  // member number as the key, and a notes column left out by hand.
  const register = [
    'member_no,consent,first_name,surname,Notes',
    'IMP-1,yes,Lineo,Mohapi,met at the 2019 gathering',
    'IMP-2,yes,Teboho,Ramakatsa,',
  ].join('\n');
  await panel.getByLabel(/^Spreadsheet/).setInputFiles({
    name: 'register.csv', mimeType: 'text/csv', buffer: Buffer.from(register),
  });
  await panel.getByLabel('Association').fill('imported-members');
  await panel.getByLabel('Key column (optional)').fill('member_no');
  await panel.getByRole('button', { name: 'Import', exact: true }).click();
  await panel.getByTestId('import-message').filter({ hasText: 'Notes' }).waitFor();
  await panel.getByLabel('Columns to match (optional)').fill('Notes=');
  await panel.getByRole('button', { name: 'Check the file' }).click();
  await panel.getByTestId('import-message').filter({ hasText: '2 rows read: 2 would be imported' }).waitFor();
  await panel.getByRole('button', { name: 'Import', exact: true }).click();
  await panel.getByTestId('import-message').filter({ hasText: '2 rows read: 2 imported' }).waitFor();
  assert.deepEqual(await violations(page), [], 'the import panel passes axe');
  await page.screenshot({ path: join(artifacts, 'staff-import.png') });
  await applyUntilShown(page, page.getByTestId('submission-row').filter({ hasText: 'Ramakatsa' }));
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await panel.getByTestId('import-message').filter({ hasText: '0 imported (0 with issues the form finds), 2 imported before' }).waitFor();
  await page.close();
});

/** The audit log as the server holds it (asked from Node with the admin's session). */
async function auditOnTheServer(session, query) {
  const response = await fetch(new URL(`/api/audit?limit=1000&${query}`, fixture.server.url), {
    headers: { cookie: session.cookie },
  });
  assert.equal(response.status, 200);
  return (await response.json()).entries;
}

/**
 * Waits until the audit log's table shows exactly the server's `entries` (the newest
 * `count` of them): each row's time, actor and action, in order.
 */
async function auditShows(page, entries, count = entries.length) {
  const want = entries.slice(0, count).map((e) => [e.at, e.actor, e.action].join(' '));
  const shown = () => page.getByTestId('audit-row').evaluateAll((rows) => rows.map((row) => [
    row.querySelector('time').getAttribute('datetime'),
    row.querySelector('[data-testid="audit-actor"] code').textContent,
    row.querySelector('[data-testid="audit-action"] code').textContent,
  ].join(' ')));
  for (let i = 0; i < 100; i += 1) {
    if (JSON.stringify(await shown()) === JSON.stringify(want)) return;
    await page.waitForTimeout(100);
  }
  assert.deepEqual(await shown(), want, 'the table shows the server\'s entries, newest first');
}

const REVIEWER = { email: 'reviewer@example.org', password: 'an e2e reviewer password', name: 'Thato Mofokeng' };

test('an admin reads the audit log in the browser, filters it by action and actor and pages back; a reviewer may not', async () => {
  // On the record from Node: more enrolments than a page holds, then a reviewer's account.
  const session = await adminSession(fixture.server);
  const me = await (await fetch(new URL('/api/session', fixture.server.url), { headers: { cookie: session.cookie } })).json();
  const admin = `user:${me.user.id}`;
  for (let i = 0; i < 105; i += 1) {
    const created = await postAsAdmin(fixture.server, session, '/api/enrolments', {
      association: 'audit-trail', forms: ['diaspora_registration'], uses: 1,
    });
    assert.equal(created.status, 201);
  }
  const added = await postAsAdmin(fixture.server, session, '/api/users', {
    email: REVIEWER.email, display_name: REVIEWER.name, role: 'reviewer', password: REVIEWER.password,
  });
  const account = await added.text();
  assert.equal(added.status, 201, account);
  const reviewer = `user:${JSON.parse(account).id}`;

  // The header leads an admin to the log: the newest entry first, the reviewer's account.
  const page = await signedIn();
  await page.getByRole('navigation').getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log' }).waitFor();
  assert.match(page.url(), /\/staff#\/audit$/);
  // Asked after the page opened: signing in on it is on the record too.
  let everything = await auditOnTheServer(session, '');
  await auditShows(page, everything, 100);
  const newest = page.getByTestId('audit-row').filter({ hasText: 'user.add' }).first();
  assert.equal(await newest.getByTestId('audit-actor').locator('code').textContent(), admin);
  await newest.getByText(`role reviewer`).waitFor();
  await page.getByTestId('audit-status').filter({ hasText: 'Showing 100; there are more.' }).waitFor();
  assert.deepEqual(await violations(page), [], 'the audit log at 1280 px');
  await page.screenshot({ path: join(artifacts, 'staff-audit.png') });

  // One action: the newest page of it, then older pages until there are none.
  await page.getByLabel('Action', { exact: true }).selectOption('enrolment.create');
  await page.waitForURL(/#\/audit\?action=enrolment\.create$/);
  const enrolments = await auditOnTheServer(session, 'action=enrolment.create');
  assert.ok(enrolments.length > 100, 'more than a page');
  await auditShows(page, enrolments, 100);
  const rows = page.getByTestId('audit-row');
  const older = page.getByTestId('audit-older');
  assert.equal(await older.textContent(), 'Load older entries');
  while (await older.isVisible()) {
    const before = await rows.count();
    await older.click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="audit-row"]').length > n, before);
  }
  await auditShows(page, enrolments);
  await page.getByTestId('audit-status').filter({ hasText: `Showing ${enrolments.length}.` }).waitFor();

  // An actor and an action together (Enter applies the actor); a reload and Back keep them.
  await page.getByLabel('Action', { exact: true }).selectOption('user.add');
  await page.waitForURL(/#\/audit\?action=user\.add$/);
  await page.getByLabel('Who', { exact: true }).fill(admin);
  await page.getByLabel('Who', { exact: true }).press('Enter');
  await page.waitForURL(/#\/audit\?action=user\.add&actor=user%3A\d+$/);
  const additions = await auditOnTheServer(session, `action=user.add&actor=${encodeURIComponent(admin)}`);
  assert.equal(additions.length, 1, 'the admin added one account');
  await auditShows(page, additions);
  await page.reload();
  await auditShows(page, additions);
  assert.equal(await page.getByLabel('Action', { exact: true }).inputValue(), 'user.add');
  assert.equal(await page.getByLabel('Who', { exact: true }).inputValue(), admin);
  await page.goBack();
  await auditShows(page, await auditOnTheServer(session, 'action=user.add'));
  assert.equal(await page.getByLabel('Who', { exact: true }).inputValue(), '');

  // No network: the page says so and what to do; Try again once it is back.
  await laptop.context.setOffline(true);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.getByRole('alert').filter({ hasText: 'The audit log could not be loaded. The server could not be reached. Check the connection and try again.' }).waitFor();
  await laptop.context.setOffline(false);
  await page.getByRole('button', { name: 'Try again' }).click();
  await auditShows(page, await auditOnTheServer(session, 'action=user.add'));

  // A reviewer, in a browser of their own: no link in the header, a plain sentence on the
  // page, and the server refuses them.
  const theirs = await launchBrowser();
  try {
    const other = await theirs.context.newPage();
    await other.setViewportSize({ width: 1280, height: 900 });
    await other.goto(new URL('/staff#/audit', fixture.server.url).href);
    await other.getByLabel('E-mail address').fill(REVIEWER.email);
    await other.getByLabel('Password').fill(REVIEWER.password);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByTestId('audit-admins-only')
      .filter({ hasText: 'Only administrators can read the audit log.' }).waitFor();
    assert.equal(await other.getByTestId('audit-row').count(), 0);
    await other.getByRole('navigation').getByRole('link', { name: 'Submissions' }).waitFor();
    assert.equal(await other.getByRole('link', { name: 'Audit log' }).count(), 0, 'no link for a reviewer');
    assert.equal(await other.evaluate(async () => (await fetch('/api/audit')).status), 403);
    assert.deepEqual(await violations(other), [], 'a reviewer on the audit log');
  } finally {
    await theirs.close();
  }

  // The admin sees the reviewer's sign-in, under the reviewer's name, by a click on its actor.
  await page.getByLabel('Action', { exact: true }).selectOption({ label: 'All actions' });
  await page.waitForURL(/#\/audit$/);
  everything = await auditOnTheServer(session, '');
  await auditShows(page, everything, 100);
  const signIn = page.getByTestId('audit-row').filter({ hasText: reviewer }).filter({ hasText: 'session.open' });
  await signIn.getByText(REVIEWER.name).waitFor();
  await signIn.getByTestId('audit-actor').click();
  await page.waitForURL(new RegExp(`#/audit\\?actor=${encodeURIComponent(reviewer)}$`));
  await auditShows(page, await auditOnTheServer(session, `actor=${encodeURIComponent(reviewer)}`));

  // At 360 px the table scrolls inside its box, not the page; in Sesotho too.
  await page.setViewportSize({ width: 360, height: 740 });
  assert.deepEqual(await violations(page), [], 'the audit log at 360 px');
  const widths = await page.evaluate(() => {
    const box = document.querySelector('.table-scroll');
    return { page: document.documentElement.scrollWidth, box: box.clientWidth, table: box.scrollWidth };
  });
  assert.ok(widths.page <= 360, `the page is no wider than the screen: ${JSON.stringify(widths)}`);
  assert.ok(widths.table > widths.box, `the table scrolls inside its box: ${JSON.stringify(widths)}`);
  await page.getByLabel('Language', { exact: true }).selectOption('st');
  await page.getByRole('heading', { name: 'Buka ea tlhahlobo' }).waitFor();
  assert.deepEqual(await violations(page), [], 'the audit log at 360 px in Sesotho');
  await page.screenshot({ path: join(artifacts, 'staff-audit-360-st.png'), fullPage: true });
  await page.getByLabel('Puo', { exact: true }).selectOption('en');
  await page.close();
});
