// The form view on the 1,000-question benchmark form, in headless Chromium with the CPU
// four times slower: the browser test `typing_in_the_thousand_question_form_redraws_quickly`
// (web/app/tests/form_view.rs), built with the app's own wasm-release profile, is served by
// wasm-bindgen-test-runner in its interactive mode and opened here under CPU throttling;
// this prints the input -> render times it reports. (The test's own assertion is the
// unthrottled budget of 12.5 ms, so under throttling it may fail: only its measurement is
// read.) Run by `./dev perf`, which builds the test and sets LETSEMA_FORM_VIEW_TEST_WASM.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { launchBrowser } from '../browser.mjs';

const wasm = process.env.LETSEMA_FORM_VIEW_TEST_WASM;
if (!wasm) throw new Error('set LETSEMA_FORM_VIEW_TEST_WASM (./dev perf does)');

const port = await new Promise((resolve, reject) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
  probe.on('error', reject);
});
const runner = spawn('wasm-bindgen-test-runner', [wasm, 'typing_in_the_thousand_question_form'], {
  env: { ...process.env, NO_HEADLESS: '1', WASM_BINDGEN_TEST_ADDRESS: `127.0.0.1:${port}` },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let runnerOutput = '';
runner.stdout.on('data', (chunk) => { runnerOutput += chunk; });
runner.stderr.on('data', (chunk) => { runnerOutput += chunk; });
const browser = await launchBrowser();
try {
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (!runnerOutput.includes(url)) {
    if (runner.exitCode !== null || Date.now() > deadline) {
      throw new Error(`wasm-bindgen-test-runner did not start: ${runnerOutput}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const page = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const pattern = /input to render: median ([\d.]+) ms, worst ([\d.]+) ms/;
  const logged = new Promise((resolve) => {
    page.on('console', (message) => {
      const found = message.text().match(pattern);
      if (found) resolve(found);
    });
  });
  await page.goto(url);
  const fromPage = page.waitForFunction((source) => {
    const found = document.body.innerText.match(new RegExp(source));
    return found ? [found[1], found[2]] : null;
  }, pattern.source, { timeout: 300_000 }).then((handle) => handle.jsonValue())
    .then(([, median, worst]) => [null, median, worst]);
  const [, median, worst] = await Promise.race([logged, fromPage]);
  console.log(`answer -> screen on the 1,000-question form, CPU 4x slower: median ${Number(median).toFixed(1)} ms, worst ${Number(worst).toFixed(1)} ms over 36 answers (target <= 50 ms)`);
} finally {
  await browser.close();
  runner.kill();
}
