// End to end: the camera reads an enrolment link's QR code on the start page, and a
// barcode question's answer in a form.
//
// Headless Chromium on Linux has no BarcodeDetector (Chrome on Android has): where the
// browser lacks it the button is not shown, which the first test checks. The others stand
// in a detector that answers with what the test says the camera sees, on Chromium's fake
// camera (a real MediaStream): what they test is the app around the reading — the camera
// turned on and off, each code judged, a link of this server opened and enrolling the
// phone, the camera's failures explained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { adminSession, createEnrolment, postAsAdmin, publishForm } from './server.mjs';
import { artifacts } from './browser.mjs';
import { useServerAndBrowser } from './fixture.mjs';
import { violations } from './axe.mjs';

const fixture = useServerAndBrowser({ demo: true }, {
  args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
});

/** Stands a BarcodeDetector in: `detect` reads `window.cameraSees` (null: no code). */
function standInDetector() {
  window.cameraSees = null;
  window.framesLookedAt = 0;
  window.BarcodeDetector = class {
    static async getSupportedFormats() { return ['qr_code', 'ean_13', 'code_128']; }
    constructor({ formats }) { window.detectorFormats = formats; }
    async detect(video) {
      if (!(video instanceof HTMLVideoElement) || !(video.srcObject instanceof MediaStream)) {
        throw new TypeError('detect() was not given the playing camera');
      }
      window.cameraStream = video.srcObject;
      window.framesLookedAt += 1;
      return window.cameraSees ? [{ format: 'qr_code', rawValue: window.cameraSees }] : [];
    }
  };
}

/** A fresh start page (this profile not enrolled), with `setUp` run before the app. */
async function startPage(setUp) {
  const page = await fixture.browser.context.newPage();
  if (setUp) await page.addInitScript(setUp);
  await page.goto(fixture.server.url);
  await page.getByRole('heading', { name: 'Get started' }).waitFor();
  return page;
}

const cameraIsOn = (page) => page.evaluate(() =>
  window.cameraStream?.getVideoTracks().some((track) => track.readyState === 'live') ?? false);

test('a browser that cannot read QR codes is not offered the camera', async () => {
  const page = await startPage();
  assert.equal(await page.evaluate(() => 'BarcodeDetector' in window), false,
    'this Chromium reads QR codes now: the test below can use its own reader');
  assert.equal(await page.getByRole('button', { name: 'Scan the QR code' }).count(), 0);
  // Pasting the link is still offered.
  await page.getByLabel('Enrolment or survey link').waitFor();
  await page.close();
});

test('stopping the camera turns it off and hides its picture', async () => {
  const page = await startPage(standInDetector);
  await page.getByRole('button', { name: 'Scan the QR code' }).click();
  await page.getByTestId('scan-status')
    .filter({ hasText: 'Point the camera at the QR code your coordinator shows you.' }).waitFor();
  await page.waitForFunction(() => window.framesLookedAt > 2);
  assert.equal(await cameraIsOn(page), true);
  assert.deepEqual(await page.evaluate(() => window.detectorFormats), ['qr_code']);
  assert.equal(await page.getByTestId('scan-camera').isVisible(), true);
  // The button pressed became the stop button: focus stays where the finger or keyboard was.
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Stop the camera');

  await page.getByRole('button', { name: 'Stop the camera' }).click();
  await page.getByRole('button', { name: 'Scan the QR code' }).waitFor();
  await page.waitForFunction(() =>
    window.cameraStream.getVideoTracks().every((track) => track.readyState === 'ended'));
  assert.equal(await page.getByTestId('scan-camera').isVisible(), false);
  const frames = await page.evaluate(() => window.framesLookedAt);
  await page.waitForTimeout(600);
  assert.equal(await page.evaluate(() => window.framesLookedAt), frames, 'still reading after the stop');
  await page.close();
});

test('a refused camera says what to do instead', async () => {
  const page = await startPage(() => {
    window.BarcodeDetector = class {
      static async getSupportedFormats() { return ['qr_code']; }
      async detect() { return []; }
    };
    navigator.mediaDevices.getUserMedia = async () => {
      throw new DOMException('Permission denied', 'NotAllowedError');
    };
  });
  await page.getByRole('button', { name: 'Scan the QR code' }).click();
  await page.getByTestId('scan-status').filter({
    hasText: "The camera may not be used: allow it for this site in the browser's settings. Or paste the link instead.",
  }).waitFor();
  // The button is back, for another try once the camera is allowed.
  await page.getByRole('button', { name: 'Scan the QR code' }).waitFor();
  await page.close();

  // A reader that knows no QR codes (a phone without the reader's data, say).
  const other = await startPage(() => {
    window.BarcodeDetector = class {
      static async getSupportedFormats() { return ['ean_13']; }
      async detect() { return []; }
    };
  });
  await other.getByRole('button', { name: 'Scan the QR code' }).click();
  await other.getByTestId('scan-status').filter({
    hasText: 'This browser cannot read such codes with the camera. Or paste the link instead.',
  }).waitFor();
  await other.close();
});

test("an enrolment link's QR code, read with the camera, enrols the phone", async () => {
  const { link } = await createEnrolment(fixture.server, 'berea-farmers', { name: "Berea Farmers' Union" });
  const page = await startPage(standInDetector);
  await page.getByRole('button', { name: 'Scan the QR code' }).click();
  await page.waitForFunction(() => window.framesLookedAt > 0);

  // Another server's link is not opened: the camera keeps looking.
  await page.evaluate(() => { window.cameraSees = 'https://elsewhere.example.org/enrol#a-code'; });
  await page.getByTestId('scan-status').filter({
    hasText: `That QR code is not an enrolment or survey link of this server (${fixture.server.url.replace(/\/$/, '')}).`,
  }).waitFor();
  await page.screenshot({ path: join(artifacts, 'scan-wrong-code.png'), fullPage: true });
  assert.deepEqual(await violations(page), [], 'the start page with the camera on passes axe');
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await cameraIsOn(page), true);

  // The coordinator's code: opened, and the phone is enrolled.
  await page.evaluate((text) => { window.cameraSees = text; }, link);
  await page.getByTestId('enrolment')
    .filter({ hasText: "Registering for Berea Farmers' Union" }).waitFor();
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('letsema.device.v1')));
  assert.equal(stored.device.association, 'berea-farmers');
  await page.screenshot({ path: join(artifacts, 'scan-enrolled.png'), fullPage: true });
  await page.close();
});

const TUBES = `
| survey |
| | type | name | label |
| | barcode | tube | The sample tube's barcode |
| | text | note | Anything to add? |
| settings |
| | form_id | form_title | version |
| | tubes | Sample tubes | 1 |
`;

test("a barcode question's answer is read with the camera", async () => {
  const session = await adminSession(fixture.server);
  const published = await publishForm(fixture.server, session, 'tubes.md', TUBES);
  assert.equal(published.status, 201, await published.text());
  const created = await postAsAdmin(fixture.server, session, '/api/enrolments', {
    association: 'mafeteng-clinic', forms: ['tubes'], uses: 1,
  });
  assert.equal(created.status, 201);
  const { link } = await created.json();

  const page = await fixture.browser.context.newPage();
  await page.addInitScript(standInDetector);
  await page.goto(link);
  await page.getByRole('button', { name: 'New: Sample tubes' }).click();
  const answer = page.getByLabel("The sample tube's barcode");
  await answer.waitFor();
  // Only the barcode question has the camera.
  assert.equal(await page.getByRole('button', { name: 'Scan the barcode' }).count(), 1);

  await page.getByRole('button', { name: 'Scan the barcode' }).click();
  await page.getByTestId('scan-status').filter({ hasText: 'Point the camera at the barcode.' }).waitFor();
  await page.waitForFunction(() => window.framesLookedAt > 0);
  assert.deepEqual(await page.evaluate(() => window.detectorFormats), ['qr_code', 'ean_13', 'code_128'],
    'a barcode may be of any format the browser reads');
  await page.evaluate(() => { window.cameraSees = '4006381333931'; });

  // The code is the answer; the camera is off again.
  await page.waitForFunction(() =>
    document.querySelector('input.lf-input')?.value === '4006381333931');
  await page.waitForFunction(() =>
    window.cameraStream.getVideoTracks().every((track) => track.readyState === 'ended'));
  await page.getByRole('button', { name: 'Scan the barcode' }).waitFor();
  assert.equal(await page.getByTestId('scan-camera').isVisible(), false);
  await page.screenshot({ path: join(artifacts, 'scan-barcode.png'), fullPage: true });
  assert.deepEqual(await violations(page), [], 'the barcode question passes axe');

  // The answer is the engine's, not only the text box's: it is still there after a page away.
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByText('Page 2 of 2').waitFor();
  await page.getByRole('button', { name: 'Previous' }).click();
  await page.getByText('Page 1 of 2').waitFor();
  assert.equal(await page.getByLabel("The sample tube's barcode").inputValue(), '4006381333931');
  await page.close();
});
