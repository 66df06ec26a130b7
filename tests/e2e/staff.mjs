// What the staff area's browser tests share: the staff area opened and signed in as the demo
// admin, and the server's own answers read and registers imported through its API.
import assert from 'node:assert/strict';
import { ADMIN } from './server.mjs';

/** The staff area at 1280 px in a new page of `context`, signed in as the demo admin. */
export async function signedIn(context, server) {
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(new URL('/staff', server.url).href);
  const table = page.getByRole('heading', { name: 'Submissions', exact: true });
  const email = page.getByLabel('E-mail address');
  await table.or(email).waitFor();
  if (await email.isVisible()) {
    await email.fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await table.waitFor();
  return page;
}

/** GET `path` as the admin of `session`; the JSON answer. */
export async function asAdmin(server, session, path) {
  const response = await fetch(new URL(path, server.url), { headers: { cookie: session.cookie } });
  assert.equal(response.status, 200, path);
  return response.json();
}

/** Imports `rows` (CSV lines under `header`) into `association` as the admin. */
export async function importRegister(server, session, association, header, rows) {
  const url = new URL(`/api/imports?form=diaspora_registration&association=${association}&name=register.csv`, server.url);
  const response = await fetch(url, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/octet-stream' },
    body: [header, ...rows].join('\n'),
  });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return JSON.parse(text);
}
