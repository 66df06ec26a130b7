// Ways around the volunteer's app, as a person takes them: the first screen holds the sync's
// line (its detail a tap away), the main action, and rows to the drafts, the submissions and
// "This phone" (the app's and the server's state, storage and backups).

/** Opens the sync line's detail on the first screen, if it is not open. */
export async function openSyncDetail(page) {
  const summary = page.getByTestId('sync-status');
  const open = await summary.evaluate((element) => element.closest('details')?.open ?? true);
  if (!open) await summary.click();
}

/** "Sync now", from the first screen. */
export async function syncNow(page) {
  await openSyncDetail(page);
  await page.getByRole('button', { name: 'Sync now' }).click();
}

/** Goes to a screen from the first one: 'drafts', 'waiting', 'sent' or 'phone'. */
export async function open(page, screen) {
  if (screen === 'phone') {
    await page.getByRole('button', { name: 'This phone' }).click();
  } else {
    await page.getByTestId(`${screen}-row`).click();
  }
}

/** Back to the first screen from a list or from "This phone". */
export async function home(page) {
  await page.getByRole('button', { name: 'Back to the first screen' }).click();
}

/** Waits until the app starts without a network (said on "This phone"), and comes back. */
export async function offlineReady(page) {
  await open(page, 'phone');
  await page.getByTestId('offline-readiness').filter({ hasText: 'ready' }).waitFor({ timeout: 30_000 });
  await home(page);
}

/**
 * Records a refusal (consent "No": the shortest complete submission) and finalises it,
 * starting with `start` (the first screen's "New: …" button, unless another is given).
 */
export async function finaliseRefusal(page, start = page.getByRole('button', { name: 'New: Diaspora member registration' })) {
  await start.click();
  await page.getByRole('radio', { name: 'No' }).check();
  const finalise = page.getByRole('button', { name: 'Finalise' });
  for (let i = 0; i < 10 && !(await finalise.isVisible()); i += 1) {
    await page.getByRole('button', { name: 'Next' }).click();
  }
  await finalise.click();
}

/**
 * Fills in a whole registration with consent (every required answer of the reference form,
 * `first`, `surname`, `city` and `phone` as given) and finalises it, starting with `start`.
 */
export async function finaliseRegistration(page, { first, surname, city, phone },
  start = page.getByRole('button', { name: 'New: Diaspora member registration' })) {
  await start.click();
  await page.getByRole('radio', { name: 'Yes', exact: true }).first().check();
  await page.getByRole('button', { name: 'Next' }).click();
  // Radio buttons are a radiogroup, check boxes a group.
  const group = (name) => page.getByRole('radiogroup', { name }).or(page.getByRole('group', { name }));
  await group(/diaspora association/).getByRole('radio', { name: 'Lesotho Health Professionals Abroad', exact: true }).check();
  await page.getByLabel('First name(s)').fill(first);
  await page.getByLabel('Surname').fill(surname);
  await group(/^Sex/).getByRole('radio', { name: 'Female', exact: true }).check();
  await page.getByLabel('Date of birth').fill('1988-04-12');
  await group(/Country of residence/).getByRole('radio', { name: 'South Africa', exact: true }).check();
  const region = page.getByRole('combobox', { name: 'Province or region' });
  await region.waitFor();
  await region.selectOption({ index: 1 });
  await page.getByLabel('City or town').fill(city);
  await page.getByLabel('How many years have you lived outside Lesotho?').fill('6');
  await group(/citizenships/).getByRole('checkbox', { name: 'Lesotho', exact: true }).check();
  await page.getByRole('combobox', { name: 'Profession' }).selectOption({ index: 1 });
  await group(/Highest qualification/).getByRole('radio', { name: 'Diploma', exact: true }).check();
  await group(/professional council/).getByRole('radio', { name: 'No', exact: true }).check();
  await group(/Employment status/).getByRole('radio', { name: 'Student', exact: true }).check();
  await group(/languages/).getByRole('checkbox', { name: 'Sesotho', exact: true }).check();
  await page.getByLabel('Phone number').fill(phone);
  await group(/take part/).getByRole('checkbox', { name: 'Mentoring', exact: true }).check();
  await page.getByLabel('Phone number').blur();
  const finalise = page.getByRole('button', { name: 'Finalise' });
  for (let i = 0; i < 10 && !(await finalise.isVisible()); i += 1) {
    await page.getByRole('button', { name: 'Next' }).click();
  }
  await finalise.click();
}
