// End to end: the main screens pass axe-core's WCAG 2 A and AA rules (labels, names,
// contrast, structure) at 360 px, in English and in Sesotho.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEnrolment } from './server.mjs';
import { useServerAndBrowser } from './fixture.mjs';
import { violations } from './axe.mjs';

const fixture = useServerAndBrowser({ demo: true });

test('the main screens have no WCAG 2 A or AA violations', async () => {
  const { link } = await createEnrolment(fixture.server, 'mohales-hoek-nurses');
  const page = await fixture.browser.context.newPage();
  await page.goto(link);
  await page.getByRole('button', { name: 'New: Diaspora member registration' }).waitFor();
  await page.getByTestId('sync-status').filter({ hasText: 'Nothing finalised yet, so nothing to send.' }).waitFor({ timeout: 30_000 });
  // The check itself can fail: an input without a label is reported.
  await page.evaluate(() => {
    const probe = document.createElement('input');
    probe.id = 'axe-probe';
    document.querySelector('main')?.append(probe);
  });
  assert.ok((await violations(page)).some((line) => line.startsWith('label:')), 'axe reports a missing label');
  await page.evaluate(() => document.getElementById('axe-probe')?.remove());
  assert.deepEqual(await violations(page), [], 'the workspace');

  await page.getByRole('button', { name: 'New: Diaspora member registration' }).click();
  await page.getByRole('radio', { name: 'Yes' }).first().check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('First name(s)').waitFor();
  assert.deepEqual(await violations(page), [], 'the registration page of the form');

  // The last page, with what still needs an answer.
  const finalise = page.getByRole('button', { name: 'Finalise' });
  for (let i = 0; i < 10 && !(await finalise.isVisible()); i += 1) {
    await page.getByRole('button', { name: 'Next' }).click();
  }
  assert.deepEqual(await violations(page), [], 'the issues page');

  await page.getByLabel('Language').selectOption('st');
  await page.getByRole('button', { name: /Khutlela/ }).first().waitFor();
  assert.deepEqual(await violations(page), [], 'the same page in Sesotho');
  await page.close();
});
