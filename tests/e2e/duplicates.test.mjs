// People registered twice, reviewed in the staff area: a register imported with one member
// in both Sesotho spellings and another registered twice; the reviewer opens the candidates,
// reads the reasons, merges a pair field by field, undoes the merge, and tells another pair
// apart ("not the same person"). What the page shows is checked against the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adminSession } from './server.mjs';
import { asAdmin as getAsAdmin, importRegister as importInto, signedIn as openStaffArea } from './staff.mjs';
import { artifacts, launchBrowser } from './browser.mjs';
import { useServerAndBrowser } from './fixture.mjs';
import { violations } from './axe.mjs';

const HEADER = 'consent,first_name,surname,dob,phone,country,region,city';

const fixture = useServerAndBrowser({ demo: true });
let laptop;
before(async () => { laptop = await launchBrowser(); });
after(async () => { await laptop?.close(); });

const asAdmin = (session, path) => getAsAdmin(fixture.server, session, path);
const importRegister = (session, association, rows) => importInto(fixture.server, session, association, HEADER, rows);
const signedIn = () => openStaffArea(laptop.context, fixture.server);

/** The open candidate pairs on the server, once `count` are found (the validator compares each arrival). */
async function pairsOnTheServer(session, count, status = 'open') {
  let pairs = [];
  for (let i = 0; i < 100; i += 1) {
    ({ pairs } = await asAdmin(session, `/api/duplicates?status=${status}`));
    if (pairs.length === count) return pairs;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`${count} ${status} pairs were never found: ${JSON.stringify(pairs.map((pair) => [pair.first.instance_name, pair.second.instance_name, pair.explanation]))}`);
}

test('a reviewer reads why two registrations may be one person, merges them field by field, undoes it, and tells another pair apart', async () => {
  const session = await adminSession(fixture.server);
  await importRegister(session, 'church-jhb', [
    'yes,Tšepo,Mokhothu,1988-04-05,+27821234567,south_africa,gauteng,Johannesburg',
    'yes,Lineo,Mokoena,1990-03-14,+27825550101,south_africa,gauteng,Johannesburg',
  ]);
  await importRegister(session, 'nurses-dbn', [
    'yes,Tshepo,Mokgothu,1988-05-04,0821234567,south_africa,kwazulu_natal,Durban',
    'yes,Lineo,Mokoena,1990-03-14,0825550101,south_africa,kwazulu_natal,Durban',
  ]);
  const open = await pairsOnTheServer(session, 2);
  const spelling = open.find((pair) => pair.explanation.includes('after spelling rules'));
  assert.ok(spelling, JSON.stringify(open));

  // The header leads to the candidates; each pair with its reasons.
  const page = await signedIn();
  await page.getByTestId('nav-duplicates').click();
  await page.getByRole('heading', { name: 'Duplicates' }).waitFor();
  const rows = page.getByTestId('pair');
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  const mokhothu = rows.filter({ hasText: 'Mokhothu, Tšepo' });
  assert.equal(await mokhothu.getByTestId('pair-reasons').textContent(), spelling.explanation);
  await mokhothu.getByText('Mokgothu, Tshepo').waitFor();
  assert.deepEqual(await violations(page), [], 'the list of candidates passes axe');
  await page.screenshot({ path: join(artifacts, 'staff-duplicates.png'), fullPage: true });

  // Side by side: keep the Johannesburg registration, with the Durban phone number.
  await mokhothu.getByTestId('compare').click();
  const comparison = page.getByTestId('comparison');
  await comparison.waitFor();
  await page.getByTestId('row-phone').waitFor();
  assert.match(await page.getByTestId('row-surname').textContent(), /Mokhothu.*Mokgothu/);
  assert.ok(await page.getByTestId('keep-1').isChecked(), 'the older registration is kept by default');
  await page.getByTestId('pick-phone-2').check();
  assert.deepEqual(await violations(page), [], 'the comparison passes axe');
  await page.screenshot({ path: join(artifacts, 'staff-duplicates-compare.png'), fullPage: true });
  await page.getByTestId('merge').click();
  await page.getByTestId('compare-notice').filter({ hasText: 'Merged' }).waitFor();
  await page.getByTestId('undo-merge').waitFor();

  const johannesburg = spelling.first.association === 'church-jhb' ? spelling.first : spelling.second;
  const durban = johannesburg === spelling.first ? spelling.second : spelling.first;
  let kept = await asAdmin(session, `/api/submissions/${johannesburg.id}`);
  assert.equal(kept.answers.phone, '0821234567', 'the value picked from the other registration');
  assert.equal(kept.answers.surname, 'Mokhothu', 'the rest stays the kept one\'s');
  assert.deepEqual(kept.merges[0].merged, [durban.id]);
  const merged = await asAdmin(session, `/api/submissions/${durban.id}`);
  assert.equal(merged.duplicate_of, johannesburg.id);
  await pairsOnTheServer(session, 1, 'merged');
  await page.screenshot({ path: join(artifacts, 'staff-duplicates-merged.png'), fullPage: true });

  // Undone: the phone number is the kept registration's own again, the pair is open again.
  await page.getByTestId('undo-merge').click();
  await page.getByTestId('compare-notice').filter({ hasText: 'undone' }).waitFor();
  await page.getByTestId('merge').waitFor();
  kept = await asAdmin(session, `/api/submissions/${johannesburg.id}`);
  assert.equal(kept.answers.phone, '+27821234567');
  assert.ok(kept.merges[0].undone_at, 'the merge is recorded as undone');
  await pairsOnTheServer(session, 2);

  // The other pair: not the same person. It leaves the open list for its own.
  await page.getByRole('link', { name: 'Back to the duplicates' }).click();
  await rows.nth(1).waitFor();
  await rows.filter({ hasText: 'Mokoena, Lineo' }).getByTestId('compare').click();
  await page.getByTestId('not-same').click();
  await page.getByTestId('compare-notice').filter({ hasText: 'will not be proposed again' }).waitFor();
  await page.getByTestId('propose-again').waitFor();
  const different = await pairsOnTheServer(session, 1, 'different');
  assert.ok(different[0].decided_by, 'who decided is on the pair');
  await page.getByRole('link', { name: 'Back to the duplicates' }).click();
  await page.getByTestId('pairs-different').click();
  await page.waitForURL(/#\/duplicates\?status=different$/);
  await rows.filter({ hasText: 'Mokoena, Lineo' }).waitFor();
  assert.equal(await rows.count(), 1);
  await page.getByTestId('pairs-open').click();
  await rows.filter({ hasText: 'Mokhothu, Tšepo' }).waitFor();
  assert.equal(await rows.count(), 1, 'only the pair merged and undone is open');

  // In Sesotho, at a phone's width.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.getByLabel('Language').selectOption('st');
  await page.getByRole('heading', { name: 'Lingoliso tse habeli' }).waitFor();
  assert.match(await rows.filter({ hasText: 'Mokhothu, Tšepo' }).getByTestId('pair-reasons').textContent(),
    /mabitso a tšoanang ha a ngoloa ka mopeleto o le mong/, 'the reasons in Sesotho');
  assert.deepEqual(await violations(page), [], 'the list at 360 px in Sesotho passes axe');
  await page.screenshot({ path: join(artifacts, 'staff-duplicates-360-st.png'), fullPage: true });
  await page.getByLabel('Puo').selectOption('en');
  await page.close();
});

test('a person registered three times is compared in three columns, merged into one with a value from the third, and the merge undone', async () => {
  const session = await adminSession(fixture.server);
  const before = (await asAdmin(session, '/api/duplicates?status=open')).pairs.length;
  await importRegister(session, 'church-jhb', ['yes,Nthabiseng,Mokhele,1975-09-21,+27831112233,south_africa,gauteng,Johannesburg']);
  await importRegister(session, 'nurses-dbn', ['yes,Nthabiseng,Mokhele,1975-09-21,0831112233,south_africa,kwazulu_natal,Durban']);
  await importRegister(session, 'teachers-cpt', ['yes,Nthabiseng,Mokgele,1975-09-21,0027831112233,south_africa,western_cape,Cape Town']);
  const open = await pairsOnTheServer(session, before + 3);
  const hers = open.filter((pair) => pair.first.instance_name?.includes('Nthabiseng'));
  assert.equal(hers.length, 3, JSON.stringify(open));
  const ids = [...new Set(hers.flatMap((pair) => [pair.first.id, pair.second.id]))];
  assert.equal(ids.length, 3);

  // The list offers her three registrations at once; the oldest is kept by default.
  const page = await signedIn();
  await page.getByTestId('nav-duplicates').click();
  const rows = page.getByTestId('pair');
  await rows.nth(before + 2).waitFor();
  await rows.filter({ hasText: 'Nthabiseng' }).first().getByTestId('compare-three').click();
  await page.getByRole('heading', { name: 'Three registrations compared' }).waitFor();
  await page.getByTestId('row-phone').waitFor();
  assert.equal(await page.getByTestId('comparison').locator('thead th').count(), 4, 'a column per registration');
  assert.ok(await page.getByTestId('keep-1').isChecked());
  await page.getByTestId('pick-phone-3').check();
  const phone3 = (await page.getByTestId('row-phone').locator('td').nth(2).textContent()).trim();
  const city1 = (await page.getByTestId('row-city').locator('td').nth(0).textContent()).trim();
  const phone1 = (await page.getByTestId('row-phone').locator('td').nth(0).textContent()).trim();
  assert.notEqual(phone3, phone1);
  assert.deepEqual(await violations(page), [], 'the comparison of three passes axe');
  await page.screenshot({ path: join(artifacts, 'staff-duplicates-three.png'), fullPage: true });
  assert.equal(await page.getByTestId('not-same').count(), 0, '"not the same person" is decided a pair at a time');
  await page.getByTestId('merge').click();
  await page.getByTestId('compare-notice').filter({ hasText: 'Merged' }).waitFor();

  const registrations = await Promise.all(ids.map((id) => asAdmin(session, `/api/submissions/${id}`)));
  const kept = registrations.find((registration) => registration.duplicate_of === null);
  const others = registrations.filter((registration) => registration !== kept);
  assert.equal(kept.answers.phone, phone3, 'the phone number picked from the third column');
  assert.equal(kept.answers.city, city1, 'the rest stays the kept one\'s');
  assert.deepEqual([...kept.merges.at(-1).merged].sort(), others.map((other) => other.id).sort());
  for (const other of others) assert.equal(other.duplicate_of, kept.id);
  await pairsOnTheServer(session, before, 'open');

  // Undone: all three count on their own again, and their three pairs are open again.
  await page.getByTestId('undo-merge').click();
  await page.getByTestId('compare-notice').filter({ hasText: 'undone' }).waitFor();
  assert.equal((await asAdmin(session, `/api/submissions/${kept.id}`)).answers.phone, phone1);
  await pairsOnTheServer(session, before + 3);
  await page.close();
});
