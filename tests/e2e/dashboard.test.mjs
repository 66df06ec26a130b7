// The dashboard in the staff area: registers imported into two associations; every chart's
// bars and table hold exactly what GET /api/dashboard counts, before and after a filter;
// the skills view narrows to doctors in South Africa; each download (CSV, SVG, PNG) holds
// the chart; the page passes axe in English at 1280 px and in Sesotho at 360 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { adminSession, createEnrolment } from './server.mjs';
import { asAdmin, importRegister, signedIn } from './staff.mjs';
import { artifacts } from './browser.mjs';
import { useServerAndBrowser } from './fixture.mjs';
import { violations } from './axe.mjs';

const fixture = useServerAndBrowser({ demo: true });
const FORM = 'diaspora_registration';
const HEADER = 'consent,first_name,surname,dob,phone,country,region,city,profession,specialisation,engagement,months_available,years_abroad';

/** Every chart's rows as `[key, count]`, from the server's answer, in the page's order. */
function expectedCharts(dashboard) {
  const counts = (list) => list.map((row) => [row.key, row.count]);
  const { completeness } = dashboard;
  return {
    countries: counts(dashboard.countries),
    regions: dashboard.regions.map((row) => [`${row.country}/${row.key}`, row.count]),
    professions: counts(dashboard.professions),
    specialisations: dashboard.specialisations.map((row) => [`${row.profession}/${row.key}`, row.count]),
    engagement: counts(dashboard.engagement),
    months_available: counts(dashboard.months_available),
    years_abroad: counts(dashboard.years_abroad),
    by_month: counts(dashboard.by_month),
    associations: counts(dashboard.associations),
    devices: counts(dashboard.devices),
    review: counts(dashboard.review),
    completeness: [
      ['complete', completeness.complete],
      ['with_issues', completeness.with_issues],
      ['with_conflicts', completeness.with_conflicts],
    ],
  };
}

/** A chart's table rows as `[key, first number]`, and its bars as `[key, count]`. */
async function drawn(page, id) {
  const figure = page.getByTestId(`chart-${id}`);
  const table = await figure.locator('tbody tr').evaluateAll((rows) => rows.map((row) => [
    row.dataset.key, Number(row.querySelector('td.number').textContent),
  ]));
  const bars = await figure.locator('svg g[data-key]').evaluateAll((groups) => groups.map((g) => [
    g.dataset.key, Number(g.dataset.count),
  ]));
  return { table, bars };
}

/** Checks every chart on the page against `dashboard`, the server's counts. */
async function chartsMatch(page, dashboard) {
  await page.getByTestId('dashboard-total').and(page.locator(`[data-total="${dashboard.total}"]`)).waitFor();
  for (const [id, rows] of Object.entries(expectedCharts(dashboard))) {
    const { table, bars } = await drawn(page, id);
    assert.deepEqual(table, rows, `the table of ${id} holds the server's counts`);
    const nonZero = rows.some(([, count]) => count > 0);
    const shown = !nonZero ? [] : id === 'by_month' ? rows : rows.slice(0, 15);
    assert.deepEqual(bars, shown, `the bars of ${id} are the server's counts`);
  }
}

/** The counts the server gives for `query`, once `total` submissions are counted. */
async function countedOnTheServer(session, query, total) {
  for (let i = 0; i < 100; i += 1) {
    const dashboard = await asAdmin(fixture.server, session, `/api/dashboard?${query}`);
    if (dashboard.total === total) return dashboard;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`the dashboard never counted ${total} for ${query}`);
}

/** Clicks `button` and reads the file it downloads. */
async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const path = join(artifacts, file.suggestedFilename());
  await file.saveAs(path);
  return { name: file.suggestedFilename(), bytes: readFileSync(path) };
}

test('the dashboard draws what the server counts, filters it, narrows the skills, and downloads each chart', async () => {
  const { server } = fixture;
  // Two associations, named when their coordinators were enrolled.
  await createEnrolment(server, 'church-jhb', { name: 'Church, Johannesburg' });
  await createEnrolment(server, 'nurses-dbn', { name: 'Nurses, Durban' });
  const session = await adminSession(server);
  await importRegister(server, session, 'church-jhb', HEADER, [
    'yes,Palesa,Mohapi,1985-02-11,+27821110001,south_africa,gauteng,Johannesburg,doctor,Paediatrics,short_term mentoring,3,12',
    'yes,Thabo,Letsie,1979-07-30,+27821110002,south_africa,gauteng,Pretoria,doctor,Paediatrics,short_term,6,20',
    'yes,Mpho,Ramoeletsi,1990-10-02,+27821110003,south_africa,western_cape,Cape Town,nurse,Theatre nursing,short_term telemedicine,2,8',
    'yes,Lerato,Sekhesa,1988-01-19,+27821110004,south_africa,kwazulu_natal,Durban,teacher,,investment,,5',
  ]);
  await importRegister(server, session, 'nurses-dbn', HEADER, [
    'yes,Karabo,Mokete,1983-05-05,+447700900001,uk,england,London,doctor,Surgery,short_term,1,15',
    'yes,Nthabiseng,Molapo,1992-12-24,+447700900002,uk,scotland,Glasgow,nurse,Midwifery,skills_transfer,,4',
  ]);
  const everything = await countedOnTheServer(session, `form=${FORM}`, 6);
  // The server counts what was imported (the charts are then checked against the server).
  const byKey = (list) => Object.fromEntries(list.map((row) => [row.key, row.count]));
  assert.equal(byKey(everything.countries).south_africa, 4);
  assert.equal(byKey(everything.countries).uk, 2);
  assert.equal(byKey(everything.professions).doctor, 3);
  assert.equal(byKey(everything.engagement).short_term, 4);
  assert.equal(byKey(everything.associations)['church-jhb'], 4);

  // The header leads to the dashboard; the newest form is counted unless another is chosen.
  const page = await signedIn(fixture.browser.context, server);
  await page.getByTestId('nav-dashboard').click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await chartsMatch(page, everything);
  const countries = page.getByTestId('chart-countries');
  assert.equal(await countries.locator('figcaption').textContent(), 'Country of residence');
  assert.equal(await countries.locator('tr[data-key="south_africa"] td').first().textContent(), 'South Africa');
  const associations = page.getByTestId('chart-associations');
  assert.equal(await associations.locator('tr[data-key="nurses-dbn"] td').first().textContent(), 'Nurses, Durban');
  assert.deepEqual(await violations(page), [], 'the dashboard passes axe');
  await page.screenshot({ path: join(artifacts, 'staff-dashboard.png'), fullPage: true });

  // The skills a ministry can act on: doctors in South Africa, by specialisation and months.
  await page.getByLabel('Profession', { exact: true }).last().selectOption('doctor');
  await page.waitForURL(/skill_profession=doctor/);
  await page.getByLabel('Country', { exact: true }).selectOption('south_africa');
  await page.waitForURL(/skill_profession=doctor&skill_country=south_africa/);
  const skills = page.getByTestId('chart-skills');
  await skills.locator('tbody tr').first().waitFor({ state: 'attached' });
  const skillRows = await skills.locator('tbody tr').evaluateAll((rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent)));
  assert.deepEqual(skillRows, [['Doctor', 'Paediatrics', 'South Africa', '2', '0', '0', '1', '1', '0', '9']],
    'two paediatricians: one could give 3 months a year, one 6; 9 months in all');
  await skills.getByText('Table').click();
  await page.screenshot({ path: join(artifacts, 'staff-dashboard-skills.png'), fullPage: true });

  // Downloads: the table as CSV, the picture as SVG and as PNG.
  const csv = await download(page, countries.getByTestId('download-csv'));
  assert.equal(csv.name, `${FORM}-countries.csv`);
  const lines = csv.bytes.toString('utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
  assert.equal(lines[0], 'key,Country,Members');
  assert.deepEqual(lines.slice(1), everything.countries.map((row) => `${row.key},${row.label ?? (row.key ? row.key : 'Not given')},${row.count}`));
  const svg = await download(page, countries.getByTestId('download-svg'));
  assert.equal(svg.name, `${FORM}-countries.svg`);
  const picture = svg.bytes.toString('utf8');
  assert.match(picture, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(picture, />Country of residence<\/text>/, 'a downloaded picture carries its title');
  assert.match(picture, /<g data-key="south_africa" data-count="4">/);
  const png = await download(page, countries.getByTestId('download-png'));
  assert.equal(png.name, `${FORM}-countries.png`);
  assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
  assert.equal(png.bytes.readUInt32BE(16), 1440, 'drawn at twice the chart\'s 720 px');

  // A filter: one association's members only; the charts follow the server again.
  await page.getByLabel('Association', { exact: true }).selectOption('nurses-dbn');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/association=nurses-dbn/);
  const nurses = await countedOnTheServer(session, `form=${FORM}&association=nurses-dbn`, 2);
  await chartsMatch(page, nurses);
  assert.deepEqual((await drawn(page, 'countries')).bars.filter(([, count]) => count > 0), [['uk', 2]]);

  // In Sesotho, at a phone's width: the form's own Sesotho labels.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.getByLabel('Language').selectOption('st');
  await page.getByRole('heading', { name: 'Kakaretso' }).waitFor();
  assert.equal(await countries.locator('tr[data-key="uk"] td').first().textContent(), 'United Kingdom (Borithane)');
  assert.deepEqual(await violations(page), [], 'the dashboard at 360 px in Sesotho passes axe');
  await page.screenshot({ path: join(artifacts, 'staff-dashboard-360-st.png'), fullPage: true });
  await page.getByLabel('Puo').selectOption('en');
  await page.close();
});
