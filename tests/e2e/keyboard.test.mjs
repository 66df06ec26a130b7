// End to end: the app with the keyboard only. A volunteer who cannot use the touch screen
// (or a screen reader user) starts a registration, answers, moves between pages and gets
// back to the list with Tab, arrows, Space and Enter; focus is always visible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createEnrolment } from './server.mjs';
import { artifacts } from './browser.mjs';
import { useServerAndBrowser } from './fixture.mjs';

const fixture = useServerAndBrowser({ demo: true });

/** What has the focus: its tag, type, accessible text and whether it shows a focus ring. */
function focused(page) {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    const label = element.labels?.[0]?.textContent ?? '';
    return {
      tag: element.tagName.toLowerCase(),
      type: element.getAttribute('type') ?? '',
      text: (element.textContent || label || element.getAttribute('aria-label') || '').trim(),
      value: element.value ?? '',
      ring: style.outlineStyle !== 'none' && style.outlineWidth !== '0px',
    };
  });
}

/** Presses `key` (Tab) until `wanted(focused)` holds; fails after `most` presses. */
async function tabTo(page, wanted, what, { most = 40, key = 'Tab' } = {}) {
  for (let press = 0; press < most; press += 1) {
    await page.keyboard.press(key);
    const now = await focused(page);
    if (now && wanted(now)) return now;
  }
  assert.fail(`Tab never reached ${what}`);
}

test('a registration can be started, answered and left with the keyboard alone', async () => {
  const { link } = await createEnrolment(fixture.server, 'quthing-engineers');
  const page = await fixture.browser.context.newPage();
  await page.goto(link);
  await page.getByRole('button', { name: 'New: Diaspora member registration' }).waitFor();

  const start = await tabTo(page, (f) => f.tag === 'button' && f.text.startsWith('New:'), 'the New button');
  assert.ok(start.ring, 'the focused button shows a focus ring');
  await page.keyboard.press('Enter');

  // The consent question: Tab reaches its radios, an arrow key chooses.
  await page.getByRole('radio', { name: 'Yes' }).first().waitFor();
  const radio = await tabTo(page, (f) => f.type === 'radio', 'the consent radios');
  assert.ok(radio.ring, 'the focused radio shows a focus ring');
  await page.keyboard.press('Space');
  const chosen = await page.getByRole('radio', { name: 'Yes' }).first().isChecked()
    || await page.getByRole('radio', { name: 'No' }).isChecked();
  assert.ok(chosen, 'Space chose an answer');
  if (!(await page.getByRole('radio', { name: 'Yes' }).first().isChecked())) {
    await page.keyboard.press('ArrowUp');
  }
  assert.equal(await page.getByRole('radio', { name: 'Yes' }).first().isChecked(), true, 'the arrows move the choice');

  // Next, with Enter; then type into the first text field reached with Tab.
  await tabTo(page, (f) => f.tag === 'button' && f.text === 'Next', 'the Next button');
  await page.keyboard.press('Enter');
  await page.getByLabel('First name(s)').waitFor();
  await tabTo(page, (f) => f.tag === 'input' && f.text.startsWith('First name'), 'First name(s)');
  await page.keyboard.type('Lineo');
  assert.equal(await page.getByLabel('First name(s)').inputValue(), 'Lineo');
  await page.screenshot({ path: join(artifacts, 'keyboard.png'), fullPage: true });

  // Back to the list (above the form) with Shift+Tab: the draft is there, by its name.
  await tabTo(page, (f) => f.tag === 'button' && f.text.startsWith('Back to the list'), 'Back to the list',
    { key: 'Shift+Tab' });
  await page.keyboard.press('Enter');
  await tabTo(page, (f) => f.tag === 'button' && f.text.startsWith('Drafts'), 'the drafts');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: /^Continue: Lineo/ }).waitFor();
  await page.close();
});
