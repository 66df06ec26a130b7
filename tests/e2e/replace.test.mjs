// End to end: a phone is lost with work that was never sent, but its volunteer saved a
// backup file. The coordinator makes a replacement link for the lost device; a new phone
// (another browser, nothing shared) opens it, becomes that device, restores the backup, and
// the work reaches the server. The lost phone's credential stops working.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adminSession, createEnrolment, postAsAdmin } from './server.mjs';
import { artifacts, launchBrowser } from './browser.mjs';
import { finaliseRefusal, home, offlineReady, open } from './screens.mjs';
import { useServerAndBrowser } from './fixture.mjs';

const fixture = useServerAndBrowser({ demo: true });

test('a replacement phone restores a lost phone\'s backup and sends its work', async () => {
  const association = 'berea-teachers';
  const { link } = await createEnrolment(fixture.server, association);
  const context = fixture.browser.context;
  const lost = await context.newPage();
  await lost.goto(link);
  const start = lost.getByRole('button', { name: 'New: Diaspora member registration' });
  await start.waitFor();
  await offlineReady(lost);
  const { device, credential } = await lost.evaluate(() => JSON.parse(localStorage.getItem('letsema.device.v1')));

  // Offline, a registration is finalised and kept in a backup file; then the phone is lost.
  await context.setOffline(true);
  await finaliseRefusal(lost, start);
  await lost.getByTestId('sync-status').filter({ hasText: 'Offline: 1 submission waits' }).waitFor();
  await open(lost, 'phone');
  const [download] = await Promise.all([
    lost.waitForEvent('download'),
    lost.getByRole('button', { name: 'Save a backup file' }).click(),
  ]);
  const backupPath = join(artifacts, 'lost-phone-backup.json');
  await download.saveAs(backupPath);
  await lost.close();

  // The coordinator's replacement link for that device.
  const session = await adminSession(fixture.server);
  const created = await postAsAdmin(fixture.server, session, '/api/enrolments', {
    association, forms: ['diaspora_registration'], uses: 1, replaces: device.id,
  });
  assert.equal(created.status, 201, await created.clone().text());
  const replacement = (await created.json()).link;

  // A new phone: its own browser profile, online.
  const newPhone = await launchBrowser();
  try {
    const page = await newPhone.context.newPage();
    await page.goto(replacement);
    await page.getByTestId('enrolment').filter({ hasText: `Registering for ${association}` }).waitFor();
    const enrolled = await page.evaluate(() => JSON.parse(localStorage.getItem('letsema.device.v1')));
    assert.equal(enrolled.device.id, device.id, 'the new phone is the lost device');
    assert.equal(enrolled.replaced, true);

    await open(page, 'phone');
    await page.locator('#restore').setInputFiles(backupPath);
    await page.getByTestId('backup-message').filter({ hasText: '1 submission(s) added' }).waitFor();
    await page.getByRole('button', { name: 'Sync now' }).click();
    await home(page);
    await open(page, 'sent');
    await page.getByTestId('submission').filter({ hasText: 'sent, not reviewed yet' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(artifacts, 'replacement-sent.png'), fullPage: true });

    const metrics = await fetch(new URL('/metrics', fixture.server.url), { headers: { cookie: session.cookie } });
    const documents = (await metrics.text()).split('\n').find((line) => line.startsWith('letsema_documents'));
    assert.equal(Number(documents?.split(' ').pop()), 1, 'the server holds the restored submission');

    const old = await fetch(new URL('/api/device', fixture.server.url), {
      headers: { authorization: `Bearer ${credential}` },
    });
    assert.equal(old.status, 401, "the lost phone's credential no longer works");
  } finally {
    await newPhone.close();
  }
});
