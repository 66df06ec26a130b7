// The newcomer's path (issue 21, "First run"): a server started with no administrator
// prints a one-time set-up link; opened in a browser, it creates the first administrator,
// who lands on the Phones screen and makes an enrolment link; a phone opens it, registers
// a member and syncs; the administrator finds the submission in the staff table; the set-up
// link then answers 404. Every step is saved as a screenshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artifacts, launchBrowser } from './browser.mjs';
import { useServerAndBrowser } from './fixture.mjs';
import { finaliseRegistration, syncNow } from './screens.mjs';
import { violations } from './axe.mjs';

const fixture = useServerAndBrowser({ demo: true, admin: false });
let phone;
before(async () => { phone = await launchBrowser(); });
after(async () => { await phone?.close(); });

const FIRST_ADMIN = { email: 'first@example.org', name: 'Mpho Administrator', password: 'the first admin password' };
const MEMBER = { first: 'Nthabiseng', surname: 'Ramakatsa', city: 'Durban', phone: '+27825550199' };

test('a set-up link with the wrong token is refused in words that say which link to use', async () => {
  const page = await phone.context.newPage();
  await page.goto(new URL('/staff/?setup#not-the-token', fixture.server.url).href);
  const setup = page.getByTestId('setup');
  await setup.getByLabel('E-mail address').fill('someone@example.org');
  await setup.getByLabel('Your name').fill('Someone');
  await setup.getByLabel('Password', { exact: true }).fill('a long enough password');
  await setup.getByLabel('Password again').fill('a long enough password');
  await setup.getByRole('button', { name: 'Create the administrator' }).click();
  await page.getByRole('alert')
    .filter({ hasText: 'This set-up link is not valid: use the link the server printed when it started.' }).waitFor();
  await page.screenshot({ path: join(artifacts, 'first-run-0-wrong-link.png'), fullPage: true });
  await page.close();
});

test('the set-up link makes the first administrator, who enrols a phone and sees its submission', async () => {
  const { server } = fixture;
  const printed = await server.output(/\/setup#/);
  const setupLink = printed.match(/(https?:\/\/\S+\/setup#[A-Za-z0-9_-]+)/)?.[1];
  assert.ok(setupLink, `a set-up link in ${printed}`);
  assert.equal(new URL(setupLink).origin, new URL(server.url).origin);

  // Before set-up, /setup leads to the staff area's set-up screen.
  const before = await fetch(new URL('/setup', server.url), { redirect: 'manual' });
  assert.equal(before.status, 303);
  assert.equal(before.headers.get('location'), '/staff/?setup');

  // 1. The link opens the set-up screen (the token travels after # across the redirect).
  const page = await fixture.browser.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(setupLink);
  await page.getByRole('heading', { name: 'Set up Letsema' }).waitFor();
  await page.getByText('Create the first administrator account. This link works once.').waitFor();
  assert.equal(new URL(page.url()).search, '?setup');
  await page.getByText('At least 12 characters.').waitFor();
  assert.deepEqual(await violations(page), [], 'the set-up screen passes axe');
  await page.screenshot({ path: join(artifacts, 'first-run-1-setup.png'), fullPage: true });

  // The form checks itself: passwords that differ are refused before anything is sent.
  const setup = page.getByTestId('setup');
  await setup.getByLabel('E-mail address').fill(FIRST_ADMIN.email);
  await setup.getByLabel('Your name').fill(FIRST_ADMIN.name);
  await setup.getByLabel('Password', { exact: true }).fill(FIRST_ADMIN.password);
  await setup.getByLabel('Password again').fill(`${FIRST_ADMIN.password}!`);
  await setup.getByRole('button', { name: 'Create the administrator' }).click();
  await page.getByText('The two passwords differ').waitFor();

  // 2. The first administrator, signed in, lands on Phones with what to do next.
  await setup.getByLabel('Password again').fill(FIRST_ADMIN.password);
  await setup.getByRole('button', { name: 'Create the administrator' }).click();
  await page.getByRole('heading', { name: 'Phones', exact: true }).waitFor();
  await page.getByTestId('phones-notice')
    .filter({ hasText: 'You are the administrator. Next: create an enrolment link for a phone.' }).waitFor();
  const address = new URL(page.url());
  assert.equal(address.search, '', 'set-up left the address');
  assert.equal(address.hash, '#/phones', 'and so did its token');
  assert.equal(await page.getByTestId('signed-in-as').textContent(), FIRST_ADMIN.name);
  await page.screenshot({ path: join(artifacts, 'first-run-2-phones.png'), fullPage: true });

  // 3. An enrolment link for the association.
  await page.getByLabel('Association', { exact: true }).fill('thaba-tseka-nurses');
  await page.getByRole('checkbox', { name: /Diaspora member registration/ }).check();
  await page.getByRole('button', { name: 'Create the link' }).click();
  const card = page.getByTestId('enrolment-link-card');
  await card.locator('svg').waitFor();
  const link = await card.getByTestId('new-link').inputValue();
  assert.match(link, /\/enrol#/);
  await page.screenshot({ path: join(artifacts, 'first-run-3-link.png'), fullPage: true });

  // 4. A phone opens it, registers a member, and syncs.
  const handset = await phone.context.newPage();
  await handset.goto(link);
  await handset.getByTestId('enrolment').filter({ hasText: 'Registering for thaba-tseka-nurses' }).waitFor();
  await handset.getByRole('button', { name: 'New: Diaspora member registration' }).waitFor();
  await handset.screenshot({ path: join(artifacts, 'first-run-4-phone-enrolled.png'), fullPage: true });
  await finaliseRegistration(handset, MEMBER);
  const sent = handset.getByTestId('sync-status').filter({ hasText: 'Everything is sent.' });
  try {
    await sent.waitFor({ timeout: 15_000 });
  } catch {
    await syncNow(handset);
    await sent.waitFor({ timeout: 30_000 });
  }
  await handset.screenshot({ path: join(artifacts, 'first-run-5-phone-sent.png'), fullPage: true });

  // 5. The administrator finds it in the table (listed once the server has judged it).
  await page.getByRole('link', { name: 'Submissions', exact: true }).click();
  await page.getByRole('heading', { name: 'Submissions', exact: true }).waitFor();
  const row = page.getByTestId('submission-row').filter({ hasText: MEMBER.surname });
  for (let i = 0; i < 30 && (await row.count()) === 0; i += 1) {
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForTimeout(1000);
  }
  await row.first().waitFor();
  await page.screenshot({ path: join(artifacts, 'first-run-6-submission.png'), fullPage: true });

  // 6. The link was used: /setup answers 404, and so does its token.
  const after = await fetch(new URL('/setup', server.url), { redirect: 'manual' });
  assert.equal(after.status, 404);
  const token = new URL(setupLink).hash.slice(1);
  const again = await fetch(new URL('/api/setup', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, email: 'second@example.org', name: 'Second', password: 'another long password' }),
  });
  assert.equal(again.status, 404);

  // Opening the used link again says set-up is over, with the sign-in form.
  const late = await phone.context.newPage();
  await late.goto(new URL(`/staff/?setup#${token}`, server.url).href);
  const setupAgain = late.getByTestId('setup');
  await setupAgain.getByLabel('E-mail address').fill('second@example.org');
  await setupAgain.getByLabel('Your name').fill('Second');
  await setupAgain.getByLabel('Password', { exact: true }).fill('another long password');
  await setupAgain.getByLabel('Password again').fill('another long password');
  await setupAgain.getByRole('button', { name: 'Create the administrator' }).click();
  await late.getByText('Set-up is over: an administrator exists already. Sign in.').waitFor();
  await late.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.equal(new URL(late.url()).search, '');
  await late.screenshot({ path: join(artifacts, 'first-run-7-over.png'), fullPage: true });
  await late.close();
  await page.close();
  await handset.close();
});
