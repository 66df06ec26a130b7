// How fast the app becomes usable on a repeat visit with the network off, in headless
// Chromium with the CPU throttled four times: an enrolled phone opens the app and the time is
// taken from the navigation's start to the moment its "New: …" form button is on screen and
// enabled (the app has started, opened its storage and listed its forms). A second time is
// taken when the documents' module (loaded after the first screen) has answered too: the
// sending status no longer says it is looking. Run by `./dev perf`; prints each run and the
// medians. Not part of `./dev test`: it is a measurement.
import { createEnrolment, startServer } from '../server.mjs';
import { launchBrowser } from '../browser.mjs';

const RUNS = Number(process.env.LETSEMA_PERF_RUNS ?? 7);
const server = await startServer({ demo: true });
const browser = await launchBrowser();
try {
  const { link } = await createEnrolment(server, 'perf');

  const page = await browser.context.newPage();
  await page.goto(link);
  const start = page.getByRole('button', { name: 'New: Diaspora member registration' });
  await start.waitFor();
  await page.getByTestId('offline-readiness').filter({ hasText: 'ready' }).waitFor({ timeout: 30_000 });

  await browser.context.setOffline(true);
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const status = page.getByTestId('sync-status');
  const times = [];
  const complete = [];
  for (let run = 0; run < RUNS; run += 1) {
    await page.reload({ waitUntil: 'commit' });
    await start.waitFor({ state: 'visible', timeout: 30_000 });
    const ms = await page.evaluate(() => performance.now());
    times.push(ms);
    await status.filter({ hasText: /^(Everything is sent\.|\d+ submissions? waits? to be sent\.)$/ }).waitFor({ timeout: 30_000 });
    const all = await page.evaluate(() => performance.now());
    complete.push(all);
    console.log(`run ${run + 1}: interactive after ${ms.toFixed(0)} ms, documents' module ready after ${all.toFixed(0)} ms`);
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`repeat load, offline, CPU 4x slower: interactive median ${median(times).toFixed(0)} ms over ${RUNS} runs (target < 1000 ms); documents' module ready median ${median(complete).toFixed(0)} ms`);
} finally {
  await browser.close();
  await server.stop();
  server.cleanup();
}
