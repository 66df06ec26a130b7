// The Phones screen of the staff area: the admin makes an enrolment link for an
// association, with its QR code (the server's SVG, drawn under the page's CSP); a phone
// opens the link and is enrolled; the admin sees the phone listed and revokes it. A
// coordinator sees and enrols only their own association. The screen passes axe at 1280 px
// and at 360 px (in Sesotho too), where its tables' rows are cards that fit the screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adminSession, postAsAdmin } from './server.mjs';
import { asAdmin, signedIn } from './staff.mjs';
import { artifacts, launchBrowser } from './browser.mjs';
import { useServerAndBrowser } from './fixture.mjs';
import { violations } from './axe.mjs';

const fixture = useServerAndBrowser({ demo: true });
// A second browser, with a profile of its own: the volunteer's phone, then the coordinator.
let phone;
before(async () => { phone = await launchBrowser(); });
after(async () => { await phone?.close(); });

const COORDINATOR = { email: 'coordinator@example.org', password: 'a coordinator password' };

/** Errors the page reports, among them anything the CSP refused. */
function consoleProblems(page) {
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) {
      problems.push(message.text());
    }
  });
  return problems;
}

/** The staff area's Phones screen, from the header. */
async function openPhones(page) {
  await page.getByTestId('nav-phones').click();
  await page.getByRole('heading', { name: 'Phones', exact: true }).waitFor();
  assert.match(page.url(), /#\/phones$/);
}

test('an admin makes an enrolment link, a phone opens it, and the admin revokes the phone', async () => {
  const page = await signedIn(fixture.browser.context, fixture.server);
  const problems = consoleProblems(page);
  await openPhones(page);
  assert.equal(await page.getByTestId('nav-phones').getAttribute('aria-current'), 'page');

  // The form checks itself before sending.
  const form = page.getByTestId('enrol-form');
  const reference = form.getByRole('checkbox', { name: /Diaspora member registration/ });
  assert.equal(await reference.isChecked(), true, 'the only published form is ticked');
  await page.getByLabel('Association', { exact: true }).fill('two words');
  await page.getByLabel('How many phones may use it').fill('0');
  await form.getByRole('button', { name: 'Create the link' }).click();
  await page.getByText("Use 1 to 64 letters, digits, '-', '_' or '.' for the association's code.").waitFor();
  await page.getByText('Enter a whole number from 1 to 500.').waitFor();
  assert.equal(await page.getByLabel('Association', { exact: true }).getAttribute('aria-invalid'), 'true');

  await page.getByLabel('Association', { exact: true }).fill('thaba-tseka-nurses');
  await page.getByLabel('How many phones may use it').fill('1');
  await reference.check();
  await form.getByRole('button', { name: 'Create the link' }).click();
  const card = page.getByTestId('enrolment-link-card');
  await card.waitFor();
  const link = await card.getByTestId('new-link').inputValue();
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/enrol#\S+$/);
  await card.getByText('Valid until').waitFor();
  await card.getByText('for one phone.').waitFor();

  // The QR code: the server's SVG, drawn at a size a phone's camera reads from a screen.
  const qr = card.getByRole('img', { name: 'QR code of the link' });
  const svg = qr.locator('svg');
  await svg.waitFor();
  const box = await svg.boundingBox();
  assert.ok(box.width >= 240 && box.height >= 240, `the QR code is ${box.width} × ${box.height} px`);
  const drawn = await svg.evaluate((element) => ({
    paths: element.querySelectorAll('path').length,
    dark: getComputedStyle(element.querySelector('path')).fill,
  }));
  assert.equal(drawn.paths, 1);
  assert.equal(drawn.dark, 'rgb(0, 0, 0)', 'its presentation attributes apply under the CSP');

  // Copy: to the clipboard where the page may write it, else the link is selected.
  await fixture.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(fixture.server.url).origin });
  await card.getByRole('button', { name: 'Copy the link' }).click();
  await card.getByTestId('copied').filter({ hasText: /The link is copied\.|The link is selected/ }).waitFor();
  if (/copied/.test(await card.getByTestId('copied').textContent())) {
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
  }

  assert.deepEqual(await violations(page), [], 'the Phones screen with a new link passes axe at 1280 px');
  await page.screenshot({ path: join(artifacts, 'staff-phones-link.png'), fullPage: true });

  // Printed, the card alone: its QR code and link. (Print marks the card while the browser
  // prints; the test marks it and shows the page as printed.)
  await card.evaluate((element) => element.setAttribute('data-printing', ''));
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.locator('.staff-header').isVisible(), false, 'the header is not printed');
  assert.equal(await card.getByRole('button', { name: 'Print' }).isVisible(), false, 'nor the buttons');
  assert.equal(await svg.isVisible(), true);
  assert.equal(await card.getByText(link, { exact: true }).isVisible(), true, 'the link in full');
  await page.screenshot({ path: join(artifacts, 'staff-phones-print.png'), fullPage: true });
  await page.emulateMedia({ media: 'screen' });
  await card.evaluate((element) => element.removeAttribute('data-printing'));

  // The link's enrolment is listed, open.
  const enrolment = page.getByTestId('enrolment-row').filter({ hasText: 'thaba-tseka-nurses' });
  await enrolment.filter({ hasText: 'open' }).waitFor();

  // The phone opens the link and is enrolled.
  const handset = await phone.context.newPage();
  await handset.goto(link);
  await handset.getByTestId('enrolment').filter({ hasText: 'Registering for thaba-tseka-nurses' }).waitFor();
  const { device, credential } = await handset.evaluate(() => JSON.parse(localStorage.getItem('letsema.device.v1')));
  await handset.screenshot({ path: join(artifacts, 'staff-phones-enrolled-phone.png'), fullPage: true });
  await handset.close();

  // Reloaded, the screen lists the phone, and the link used up.
  await page.reload();
  await page.getByRole('heading', { name: 'Phones', exact: true }).waitFor();
  const row = page.locator(`[data-testid="device-row"][data-device="${device.id}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /thaba-tseka-nurses/);
  await enrolment.filter({ hasText: 'used up' }).waitFor();

  // Revoke, after a confirmation (Cancel first: nothing happens).
  await row.getByRole('button', { name: /^Revoke / }).click();
  await row.getByText('Revoke this phone?').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Yes, revoke', 'the confirmation has the focus');
  assert.deepEqual(await violations(page), [], 'the confirmation passes axe');
  await row.getByRole('button', { name: 'Cancel' }).click();
  await row.getByRole('button', { name: /^Revoke / }).click();
  await row.getByRole('button', { name: 'Yes, revoke' }).click();
  await page.getByTestId('phones-said').filter({ hasText: 'The phone is revoked.' }).waitFor();
  await row.filter({ hasText: 'revoked' }).waitFor();
  assert.equal(await row.getByRole('button').count(), 0, 'a revoked phone has no Revoke button');
  const session = await adminSession(fixture.server);
  const { devices } = await asAdmin(fixture.server, session, '/api/devices');
  assert.equal(devices.find((d) => d.id === device.id).revoked, true, 'the server revoked it');
  const refused = await fetch(new URL('/api/device', fixture.server.url), {
    headers: { authorization: `Bearer ${credential}` },
  });
  assert.equal(refused.status, 401, 'the phone\'s credential no longer works');
  await page.screenshot({ path: join(artifacts, 'staff-phones-revoked.png'), fullPage: true });

  // A public survey link, for admins.
  const publicForm = page.getByTestId('public-link-form');
  await publicForm.getByLabel('Label (optional)').fill('Diaspora day');
  await publicForm.getByRole('button', { name: 'Create the public link' }).click();
  const publicCard = page.getByTestId('public-link-card');
  await publicCard.waitFor();
  assert.match(await publicCard.getByTestId('new-link').inputValue(), /\/survey#\S+$/);
  await publicCard.locator('svg').waitFor();
  const publicRow = page.getByTestId('public-link-row').filter({ hasText: 'Diaspora day' });
  await publicRow.getByRole('button', { name: 'Revoke Diaspora day' }).click();
  await publicRow.getByRole('button', { name: 'Yes, revoke' }).click();
  await page.getByTestId('phones-said').filter({ hasText: 'The link is revoked.' }).waitFor();
  await publicRow.filter({ hasText: 'revoked' }).waitFor();

  // At a phone's width, in English and in Sesotho.
  await page.setViewportSize({ width: 360, height: 740 });
  // Each row is a card that fits the screen, each value with its column's name before it:
  // nothing to scroll sideways.
  const tables = page.locator('.phones-panel .table-scroll');
  assert.equal(await tables.count(), 3);
  for (const region of await tables.all()) {
    const { scroll, client } = await region.evaluate((element) => ({ scroll: element.scrollWidth, client: element.clientWidth }));
    assert.ok(scroll <= client, `a Phones table is ${scroll} px wide in ${client} px`);
  }
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the page does not scroll sideways');
  const phoneCell = row.locator('td').first();
  assert.equal(await phoneCell.evaluate((cell) => getComputedStyle(cell, '::before').content), '"Phone: "');
  assert.equal(await page.getByRole('columnheader', { name: 'Phone', exact: true }).count(), 1, 'screen readers still have the header');
  assert.deepEqual(await violations(page), [], 'the Phones screen passes axe at 360 px');
  await page.screenshot({ path: join(artifacts, 'staff-phones-360.png'), fullPage: true });
  await page.getByLabel('Language').selectOption('st');
  await page.getByRole('heading', { name: 'Mehala', exact: true }).waitFor();
  await page.getByTestId('phones-said').filter({ hasText: 'Sehokelo se hlakotsoe.' }).waitFor();
  await page.getByTestId('public-link-card').getByText('Se sebetsa ho fihlela:').waitFor();
  assert.deepEqual(await violations(page), [], 'the Phones screen passes axe at 360 px in Sesotho');
  await page.screenshot({ path: join(artifacts, 'staff-phones-360-st.png'), fullPage: true });
  await page.getByLabel('Puo').selectOption('en');
  assert.deepEqual(problems.filter((p) => /Content Security Policy/i.test(p)), [], 'nothing refused by the CSP');
  await page.close();
});

test('a coordinator enrols phones for their own association only', async () => {
  const { server } = fixture;
  const session = await adminSession(server);
  const added = await postAsAdmin(server, session, '/api/users', {
    email: COORDINATOR.email, display_name: 'Lerato Coordinator', role: 'coordinator',
    associations: ['leribe-midwives'], password: COORDINATOR.password,
  });
  assert.equal(added.status, 201, await added.text());

  const page = await phone.context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(new URL('/staff', server.url).href);
  await page.getByLabel('E-mail address').fill(COORDINATOR.email);
  await page.getByLabel('Password').fill(COORDINATOR.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Submissions', exact: true }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Audit log' }).count(), 0, 'no audit log for a coordinator');
  await openPhones(page);

  // The association is a choice of their own, and nothing of another association shows.
  const association = page.getByLabel('Association', { exact: true });
  assert.deepEqual(await association.locator('option').allTextContents(), ['leribe-midwives']);
  await page.getByRole('heading', { name: 'Enrolled phones' }).waitFor();
  await page.getByText('No phone is enrolled yet.').waitFor();
  assert.equal(await page.getByTestId('enrolment-row').filter({ hasText: 'thaba-tseka-nurses' }).count(), 0);
  assert.equal(await page.getByTestId('public-link-form').count(), 0, 'public links are for admins');

  await page.getByLabel('How many phones may use it').fill('5');
  await page.getByLabel("The association's name (optional)").fill('Leribe Midwives');
  await page.getByRole('button', { name: 'Create the link' }).click();
  const card = page.getByTestId('enrolment-link-card');
  await card.getByText('for 5 phones.').waitFor();
  await page.getByTestId('enrolment-row').filter({ hasText: 'leribe-midwives' }).first().waitFor();
  const rows = await page.getByTestId('enrolment-row').evaluateAll((all) => all.map((r) => r.dataset.association));
  assert.deepEqual([...new Set(rows)], ['leribe-midwives']);
  assert.deepEqual(await violations(page), [], 'the coordinator\'s Phones screen passes axe');
  await page.screenshot({ path: join(artifacts, 'staff-phones-coordinator.png'), fullPage: true });
  await page.close();
});
