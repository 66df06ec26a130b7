// End to end: a form that reads attached files (its choices from places.csv, a price looked
// up in prices.csv) is published with them through the API, downloaded by an enrolled phone
// with its definition, and filled in with the network off: the data came with the form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adminSession, postAsAdmin, publishForm } from './server.mjs';
import { artifacts } from './browser.mjs';
import { offlineReady } from './screens.mjs';
import { useServerAndBrowser } from './fixture.mjs';

const fixture = useServerAndBrowser({ demo: true });

const FORM = `
| survey |
| | type | name | label | calculation |
| | select_one_from_file places.csv | place | Where do you live? | |
| | calculate | district | | instance('places')/root/item[name = \${place}]/district |
| | select_one fruits | fruit | Which fruit? | |
| | calculate | price | | pulldata('prices', 'price', 'name', \${fruit}) |
| | note | total | The \${fruit} costs \${price} maloti in \${district}. | |
| choices |
| | list_name | name | label |
| | fruits | apple | Apple |
| | fruits | banana | Banana |
| settings |
| | form_id | form_title | version |
| | shop | Fruit prices | 1 |
`;

test('a form publishes with its files and works offline on a phone', async () => {
  const session = await adminSession(fixture.server);
  const published = await publishForm(fixture.server, session, 'shop.md', FORM, {
    'places.csv': 'name,label,district\nM,Maseru city,Maseru\nTY,Teyateyaneng,Berea\n',
    'prices.csv': 'name,price\napple,3\nbanana,5\n',
  });
  assert.equal(published.status, 201, await published.text());

  const created = await postAsAdmin(fixture.server, session, '/api/enrolments', {
    association: 'berea-growers', forms: ['shop'], uses: 1,
  });
  assert.equal(created.status, 201);
  const { link } = await created.json();

  const context = fixture.browser.context;
  const page = await context.newPage();
  await page.goto(link);
  const start = page.getByRole('button', { name: 'New: Fruit prices' });
  await start.waitFor();
  await offlineReady(page);

  await context.setOffline(true);
  await start.click();
  // The choices are the rows of places.csv, which came with the form.
  await page.getByRole('radio', { name: 'Teyateyaneng' }).check();
  assert.equal(await page.getByRole('radio', { name: 'Maseru city' }).count(), 1);
  await page.getByRole('radio', { name: 'Banana' }).check();
  // The lookups in both files, computed on the phone with the network off.
  await page.getByText('The banana costs 5 maloti in Berea.').waitFor();
  await page.screenshot({ path: join(artifacts, 'attached-files-offline.png'), fullPage: true });
  await page.getByRole('radio', { name: 'Apple' }).check();
  await page.getByText('The apple costs 3 maloti in Berea.').waitFor();
  await context.setOffline(false);
  await page.close();
});
