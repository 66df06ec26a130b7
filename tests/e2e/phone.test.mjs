// End to end: the volunteer's phone at 360 × 640, as a person uses it in the field. The first
// screen is for work (the main action on screen without scrolling, counts, one sync line);
// every control is touch-sized; the states are honest (nothing is "sent" on a phone that has
// sent nothing, a draft is never counted as waiting); a survey taker gets one form and a
// thank-you page. Screenshots of each screen in English and Sesotho go to artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adminSession, createEnrolment, postAsAdmin } from './server.mjs';
import { artifacts, launchBrowser } from './browser.mjs';
import { finaliseRefusal, home, open } from './screens.mjs';
import { useServerAndBrowser } from './fixture.mjs';

const fixture = useServerAndBrowser({ demo: true });
const PHONE = { width: 360, height: 640 };

/** The visible controls smaller than 44 × 44 CSS pixels (WCAG 2.5.5), described. */
function smallControls(page) {
  return page.evaluate(() => {
    const controls = document.querySelectorAll(
      'button, select, summary, input:not(.visually-hidden), label.button, a[href]');
    return [...controls]
      .filter((element) => element.getClientRects().length > 0)
      .map((element) => ({ element, box: element.getBoundingClientRect() }))
      .filter(({ box }) => box.width < 44 || box.height < 44)
      .map(({ element, box }) =>
        `${element.tagName.toLowerCase()} "${(element.textContent || element.id).trim().slice(0, 40)}" ` +
        `${box.width.toFixed(0)}×${box.height.toFixed(0)}`);
  });
}

/** Screenshots of the page in English and in Sesotho, named `phone-NAME-LANG.png`. */
async function shootBoth(page, name) {
  await page.screenshot({ path: join(artifacts, `phone-${name}-en.png`), fullPage: true });
  await page.getByLabel('Language', { exact: true }).selectOption('st');
  await page.getByLabel('Puo', { exact: true }).waitFor();
  await page.screenshot({ path: join(artifacts, `phone-${name}-st.png`), fullPage: true });
  await page.getByLabel('Puo', { exact: true }).selectOption('en');
  await page.getByLabel('Language', { exact: true }).waitFor();
}

test('the first screen is made for work, every control is touch-sized, and the states are honest', async () => {
  const { link } = await createEnrolment(fixture.server, 'maseru-nurses');
  const { context } = fixture.browser;
  const page = await context.newPage();
  await page.setViewportSize(PHONE);
  await page.goto(link);
  const start = page.getByRole('button', { name: 'New: Diaspora member registration' });
  await start.waitFor();

  // The main action is the first large button, on screen without scrolling.
  const box = await start.boundingBox();
  assert.ok(box.y + box.height <= PHONE.height, `the start button ends at ${box.y + box.height} px`);
  assert.ok(box.width >= PHONE.width - 40, `the start button is full width (${box.width} px)`);
  // Nothing sent on a phone that has sent nothing.
  const status = page.getByTestId('sync-status');
  await status.filter({ hasText: 'Nothing finalised yet, so nothing to send.' }).waitFor({ timeout: 30_000 });
  for (const row of ['drafts', 'waiting', 'sent']) {
    await page.getByTestId(`${row}-row`).filter({ hasText: /0$/ }).waitFor();
  }
  assert.deepEqual(await smallControls(page), [], 'the first screen');
  await shootBoth(page, 'home');

  // A draft is a draft: counted as one, never as waiting or sent.
  await start.click();
  await page.getByRole('radio', { name: 'Yes' }).first().check();
  await page.waitForTimeout(300);
  await page.getByRole('button', { name: /^Back to the list/ }).click();
  await page.getByTestId('drafts-row').filter({ hasText: /1$/ }).waitFor();
  await page.getByTestId('waiting-row').filter({ hasText: /0$/ }).waitFor();
  await status.filter({ hasText: 'Nothing finalised yet, so nothing to send.' }).waitFor();
  await open(page, 'drafts');
  const draft = page.getByRole('button', { name: /^Continue: / });
  await draft.filter({ hasText: 'draft, not finalised' }).waitFor();
  // Named by the form's instance_name once there are names to give, with an unambiguous
  // date ("3 Dec 2026, 06:08", never "03/12/2026").
  await draft.click();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('First name(s)').fill('Palesa');
  await page.getByLabel('Surname').fill('Mokoena');
  await page.getByLabel('Surname').blur();
  await page.waitForTimeout(300);
  await page.getByRole('button', { name: /^Back to the list/ }).click();
  await open(page, 'drafts');
  const named = page.getByRole('button', { name: /^Continue: Mokoena, Palesa/ });
  await named.waitFor();
  assert.match(await named.textContent(), /started \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}, \d{2}:\d{2}/);
  assert.deepEqual(await smallControls(page), [], 'the drafts');
  await shootBoth(page, 'drafts');
  await home(page);

  // Finalised offline: the app says what happens next, and the line says it waits.
  await context.setOffline(true);
  await finaliseRefusal(page, start);
  await page.getByTestId('notice').filter({ hasText: 'It will be sent when there is a network.' }).waitFor();
  await status.filter({ hasText: 'Offline: 1 submission waits; it goes when there is a network.' }).waitFor();
  await page.getByTestId('waiting-row').filter({ hasText: /1$/ }).waitFor();
  await shootBoth(page, 'waiting');
  // The network returns: sent, and said so only now.
  await context.setOffline(false);
  await status.filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
  await page.getByTestId('sent-row').filter({ hasText: /1$/ }).waitFor();
  await page.getByTestId('waiting-row').filter({ hasText: /0$/ }).waitFor();
  await open(page, 'sent');
  await page.getByTestId('submission').filter({ hasText: 'sent, not reviewed yet' }).waitFor();
  assert.deepEqual(await smallControls(page), [], 'the submissions');
  await shootBoth(page, 'sent');
  await home(page);

  // The technical details are on "This phone", not on the first screen.
  assert.equal(await page.getByTestId('engine').count(), 0, 'no engine version on the first screen');
  await open(page, 'phone');
  await page.getByTestId('engine').filter({ hasText: /\d+\.\d+\.\d+ \(wasm32\)/ }).waitFor();
  await page.getByTestId('server').filter({ hasText: 'working' }).waitFor();
  // The file chooser is a labelled button in the chosen language.
  await page.getByText('Choose a backup file to restore').waitFor();
  assert.deepEqual(await smallControls(page), [], 'this phone');
  await shootBoth(page, 'this-phone');
  await page.close();
});

test('a survey taker gets one form, no workspace, and a thank-you page; the answers are sent', async () => {
  const session = await adminSession(fixture.server);
  const created = await postAsAdmin(fixture.server, session, '/api/public-links', {
    form: 'diaspora_registration', label: 'Diaspora day',
  });
  assert.equal(created.status, 201);
  const { link } = await created.json();
  // A browser of its own: a survey taker's phone has never been a volunteer's.
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize(PHONE);
    await page.goto(link);
    const start = page.getByRole('button', { name: 'Start: Diaspora member registration' });
    await start.waitFor();
    await page.getByRole('heading', { name: 'Diaspora member registration' }).waitFor();
    // None of the volunteer's workspace.
    for (const name of ['This phone', 'Sync now', 'Save a backup file']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `no "${name}"`);
    }
    assert.equal(await page.getByTestId('drafts-row').count(), 0, 'no list of drafts');
    assert.deepEqual(await smallControls(page), [], 'the survey start');
    await shootBoth(page, 'survey');

    await finaliseRefusal(page, start);
    await page.getByRole('heading', { name: 'Thank you' }).waitFor();
    await page.getByTestId('sync-status').filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
    assert.deepEqual(await smallControls(page), [], 'the thank-you page');
    await shootBoth(page, 'thanks');
    // "Fill in another" opens a new one.
    await page.getByRole('button', { name: 'Fill in another' }).click();
    await page.getByRole('radio', { name: 'No' }).waitFor();
  } finally {
    await browser.close();
  }
});
