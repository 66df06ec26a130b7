// End to end: a coordinator's enrolment link, opened on a phone, enrols it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adminSession, createEnrolment, postAsAdmin } from './server.mjs';
import { artifacts } from './browser.mjs';
import { useServerAndBrowser } from './fixture.mjs';

const fixture = useServerAndBrowser({ demo: true });

/** An enrolment link for `association`, made by the admin. */
async function enrolmentLink(association) {
  const body = await createEnrolment(fixture.server, association);
  assert.match(body.qr_svg, /<svg/);
  return body.link;
}

test('opening an enrolment link enrols the phone for its association', async () => {
  const link = await enrolmentLink('maseru-nurses');
  const page = fixture.browser.context.pages()[0] ?? await fixture.browser.context.newPage();
  await page.goto(link);
  await page.getByTestId('enrolment').filter({ hasText: 'Registering for maseru-nurses' }).waitFor();
  // The secret is gone from the address bar.
  assert.equal(new URL(page.url()).hash, '');
  assert.equal(new URL(page.url()).pathname, '/');
  await page.screenshot({ path: join(artifacts, 'enrolled.png'), fullPage: true });

  // The credential works; the link is used up.
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('letsema.device.v1')));
  const me = await fetch(new URL('/api/device', fixture.server.url), {
    headers: { authorization: `Bearer ${stored.credential}` },
  });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).association, 'maseru-nurses');

  // A reload remembers the enrolment.
  await page.reload();
  await page.getByTestId('enrolment').filter({ hasText: 'maseru-nurses' }).waitFor();
});

test('a used-up link says so, in words a volunteer can act on', async () => {
  const link = await enrolmentLink('leribe-midwives');
  const context = fixture.browser.context;
  const first = await context.newPage();
  await first.goto(link);
  await first.getByTestId('enrolment').filter({ hasText: 'leribe-midwives' }).waitFor();
  await first.evaluate(() => localStorage.removeItem('letsema.device.v1'));
  const second = await context.newPage();
  await second.goto(link);
  await second.getByTestId('enrolment').filter({ hasText: 'ask your coordinator for a new one' }).waitFor();
  await first.close();
  await second.close();
});

test('a public survey link opens the survey on an anonymous browser', async () => {
  const session = await adminSession(fixture.server);
  const created = await postAsAdmin(fixture.server, session, '/api/public-links', {
    form: 'diaspora_registration', label: 'Diaspora day',
  });
  assert.equal(created.status, 201);
  const { link, public_link: publicLink } = await created.json();
  assert.match(link, /\/survey#/);

  const page = await fixture.browser.context.newPage();
  await page.goto(link);
  await page.getByTestId('enrolment').filter({ hasText: 'Ready for the survey' }).waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the secret left the address bar');
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('letsema.device.v1')));
  assert.equal(stored.device.public, true);
  assert.equal(stored.device.association, publicLink.association);
  await page.screenshot({ path: join(artifacts, 'survey-link.png'), fullPage: true });
  await page.evaluate(() => localStorage.removeItem('letsema.device.v1'));
  await page.close();
});

test('a named association shows its name instead of its code', async () => {
  const { link } = await createEnrolment(fixture.server, 'berea-farmers', { name: "Berea Farmers' Union" });
  const page = await fixture.browser.context.newPage();
  await page.goto(link);
  await page.getByTestId('enrolment')
    .filter({ hasText: "Registering for Berea Farmers' Union" }).waitFor();
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('letsema.device.v1')));
  assert.equal(stored.device.association, 'berea-farmers');
  assert.equal(stored.device.association_name, "Berea Farmers' Union");
  await page.evaluate(() => localStorage.removeItem('letsema.device.v1'));
  await page.close();
});

test('a link received as text and pasted on the start page enrols the phone', async () => {
  const link = await enrolmentLink('quthing-farmers');
  const page = await fixture.browser.context.newPage();
  await page.goto(fixture.server.url);
  // A browser not enrolled (the earlier tests enrolled this profile).
  await page.evaluate(() => localStorage.removeItem('letsema.device.v1'));
  await page.reload();
  await page.getByRole('heading', { name: 'Get started' }).waitFor();
  await page.screenshot({ path: join(artifacts, 'start-page.png'), fullPage: true });
  await page.getByLabel('Enrolment or survey link').fill(link);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByTestId('enrolment').filter({ hasText: 'Registering for quthing-farmers' }).waitFor();
  await page.close();
});
