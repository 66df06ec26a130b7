// End to end: a reviewer's verdict and comment (given with `letsema review`, through the
// staff sync) reach the phone; the volunteer corrects the submission offline, and the
// correction reaches the server when the network returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ADMIN, createEnrolment } from './server.mjs';
import { artifacts } from './browser.mjs';
import { finaliseRefusal, home, open, syncNow } from './screens.mjs';
import { useServerAndBrowser } from './fixture.mjs';

const fixture = useServerAndBrowser({ demo: true });

/** Runs `letsema review` as the demo admin; its standard output. */
function review(args) {
  const run = spawnSync(process.env.LETSEMA_BIN,
    ['review', '--url', fixture.server.url, '--email', ADMIN.email, ...args],
    { input: ADMIN.password + '\n', encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, `letsema review ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

test("a reviewer's comment reaches the phone, which corrects the submission and sends it again", async () => {
  const { link } = await createEnrolment(fixture.server, 'maseru-nurses');
  const context = fixture.browser.context;
  const page = await context.newPage();
  await page.goto(link);
  const start = page.getByRole('button', { name: 'New: Diaspora member registration' });
  await start.waitFor();

  // The volunteer records a refusal and sends it.
  await finaliseRefusal(page, start);
  const status = page.getByTestId('sync-status');
  await status.filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
  await open(page, 'sent');
  await page.getByTestId('submission').filter({ hasText: 'sent, not reviewed yet' }).waitFor({ timeout: 30_000 });

  // The reviewer finds it and sends it back with a comment.
  const listing = review([]);
  const id = listing.match(/^([0-9a-f-]{36}) /m)?.[1];
  assert.ok(id, `the submission is listed: ${listing}`);
  assert.match(listing, /association maseru-nurses\s+not reviewed/);
  const comment = 'The member agreed on the phone: please register them.';
  assert.match(review([id, '--status', 'has_issues', '--comment', comment]), /has_issues, 1 comment/);

  // The phone receives the verdict and the comment.
  await home(page);
  await syncNow(page);
  await page.getByTestId('sent-row').filter({ hasText: '1 returned for correction' }).waitFor({ timeout: 30_000 });
  await open(page, 'sent');
  const item = page.getByTestId('submission').filter({ hasText: 'a reviewer asks for corrections' });
  await item.waitFor({ timeout: 30_000 });
  await item.getByText(comment).waitFor();
  await page.screenshot({ path: join(artifacts, 'review-comment.png'), fullPage: true });

  // Offline, the volunteer corrects it; the correction is kept and waits to be sent.
  await context.setOffline(true);
  await item.getByRole('button', { name: 'Correct: Diaspora member registration' }).click();
  const yes = page.getByRole('radio', { name: 'Yes' }).first();
  await yes.waitFor();
  assert.equal(await page.getByRole('radio', { name: 'No' }).isChecked(), true, 'the sent answer is shown');
  await yes.check();
  await page.waitForTimeout(500);
  await page.getByRole('button', { name: /^Back to the list/ }).click();
  await status.filter({ hasText: 'Offline: 1 submission waits' }).waitFor({ timeout: 30_000 });

  // Online again: the correction reaches the server, with the review kept.
  await context.setOffline(false);
  await status.filter({ hasText: 'Everything is sent.' }).waitFor({ timeout: 30_000 });
  const shown = JSON.parse(review([id]));
  assert.equal(shown.answers.consent, 'yes', 'the server holds the correction');
  assert.equal(shown.status, 'has_issues');
  assert.deepEqual(shown.comments, [comment]);
  await page.screenshot({ path: join(artifacts, 'review-corrected.png'), fullPage: true });
  await page.close();
});
