// End to end: Lighthouse 12 (its default mobile settings: a phone's screen, simulated slow
// 4G and a four times slower CPU) audits the real server's app, first the start page of a
// browser that is not enrolled, then the enrolled volunteer's workspace. Accessibility and
// best practices must score 100; the performance scores and the PWA checks are printed.
//
// Lighthouse 12 removed its PWA category (and with it the installable-manifest,
// service-worker, splash-screen, themed-omnibox and maskable-icon audits); what is left of
// it (viewport, is-on-https, redirects-http) is reported with the same Chromium checks the
// old audits were built on: the page's manifest and installability errors from the
// debugging protocol, and whether a service worker controls the page.
//
// Lighthouse drives the fixture's Chromium through a debugging port, in the same profile,
// so the workspace it audits is the one the enrolment made. Reports land in
// tests/e2e/artifacts/lighthouse-*.report.{json,html}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lighthouse from 'lighthouse';
import { createEnrolment } from './server.mjs';
import { artifacts } from './browser.mjs';
import { useServerAndBrowser } from './fixture.mjs';

const fixture = useServerAndBrowser({ demo: true }, { args: ['--remote-debugging-port=0'] });

/** Chromium writes the port it chose into the profile's DevToolsActivePort file. */
function debuggingPort() {
  return Number(readFileSync(join(fixture.browser.profile, 'DevToolsActivePort'), 'utf8').split('\n')[0]);
}

/**
 * Runs Lighthouse on `url` in the fixture's browser and saves its reports as
 * `lighthouse-NAME.report.{json,html}`. `keepStorage` keeps the profile's storage (the
 * enrolment, the service worker and its cache) instead of Lighthouse's clearing it first.
 */
async function audit(name, url, { keepStorage = false } = {}) {
  const result = await lighthouse(url, {
    port: debuggingPort(),
    output: ['json', 'html'],
    logLevel: 'error',
    onlyCategories: ['performance', 'accessibility', 'best-practices'],
    disableStorageReset: keepStorage,
  });
  assert.ok(result, 'Lighthouse returned a result');
  const [json, html] = result.report;
  writeFileSync(join(artifacts, `lighthouse-${name}.report.json`), json);
  writeFileSync(join(artifacts, `lighthouse-${name}.report.html`), html);
  const { lhr } = result;
  assert.equal(lhr.runtimeError, undefined, `Lighthouse's run failed: ${JSON.stringify(lhr.runtimeError)}`);
  return lhr;
}

/** The audits of a category that count and did not pass, as readable lines. */
function failing(lhr, category) {
  return lhr.categories[category].auditRefs
    .filter((ref) => ref.weight > 0)
    .map((ref) => lhr.audits[ref.id])
    .filter((audit) => audit.score !== null && audit.score < 1)
    .map((audit) => {
      const nodes = (audit.details?.items ?? [])
        .map((item) => item.node?.selector ?? item.node?.snippet ?? item.description ?? item.url)
        .filter(Boolean)
        .slice(0, 5);
      return `${audit.id}: ${audit.title}${nodes.length ? ` (${nodes.join('; ')})` : ''}`;
    });
}

const score = (lhr, category) => Math.round(lhr.categories[category].score * 100);
const metric = (lhr, id) => lhr.audits[id].displayValue;

/** Prints a run's scores, its metrics and what is left of the PWA checks. */
function report(name, lhr) {
  console.log(`Lighthouse ${lhr.lighthouseVersion}, ${name} (${lhr.finalDisplayedUrl}), ` +
    `${lhr.configSettings.formFactor}, ${lhr.configSettings.throttlingMethod} throttling: ` +
    `performance ${score(lhr, 'performance')}, accessibility ${score(lhr, 'accessibility')}, ` +
    `best practices ${score(lhr, 'best-practices')}`);
  console.log(`  FCP ${metric(lhr, 'first-contentful-paint')}, LCP ${metric(lhr, 'largest-contentful-paint')}, ` +
    `TBT ${metric(lhr, 'total-blocking-time')}, CLS ${metric(lhr, 'cumulative-layout-shift')}, ` +
    `Speed Index ${metric(lhr, 'speed-index')}`);
  const perf = failing(lhr, 'performance');
  if (perf.length) console.log(`  performance metrics short of 100: ${perf.join(', ')}`);
  for (const id of ['viewport', 'is-on-https', 'redirects-http']) {
    const a = lhr.audits[id];
    const verdict = a.score === null ? 'not applicable' : a.score === 1 ? 'pass' : 'FAIL';
    console.log(`  PWA-related audit ${id} (${a.title}): ${verdict}`);
  }
}

/**
 * The checks Lighthouse 11's PWA audits made (installable-manifest, service-worker,
 * themed-omnibox, maskable-icon), asked of Chromium directly on an open page of the app.
 */
async function pwaChecks(page) {
  const cdp = await page.context().newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  const manifest = await cdp.send('Page.getAppManifest');
  await cdp.detach();
  const parsed = JSON.parse(manifest.data || '{}');
  const icons = parsed.icons ?? [];
  return {
    manifest: manifest.url,
    manifestErrors: manifest.errors.map((e) => e.message),
    installabilityErrors: (installabilityErrors ?? []).map((e) => e.errorId + (e.errorArguments.length
      ? ` (${e.errorArguments.map((a) => `${a.name}=${a.value}`).join(', ')})` : '')),
    serviceWorkerControlsPage: await page.evaluate(() => navigator.serviceWorker.controller !== null),
    themeColor: await page.evaluate(() => document.querySelector('meta[name="theme-color"]')?.content ?? null),
    manifestThemeColor: parsed.theme_color ?? null,
    display: parsed.display ?? null,
    icons: icons.map((i) => `${i.src} (${i.sizes}, ${i.purpose ?? 'any'})`),
    maskableIcon: icons.some((i) => (i.purpose ?? '').split(' ').includes('maskable')),
  };
}

function printPwa(pwa) {
  const list = (xs) => (xs.length ? xs.join('; ') : 'none');
  console.log('  PWA checks (Lighthouse 12 has no PWA category; asked of Chromium, as its 11.x audits did):');
  console.log(`    installable: ${pwa.installabilityErrors.length ? 'no' : 'yes'} ` +
    `(installability errors: ${list(pwa.installabilityErrors)})`);
  console.log(`    manifest ${pwa.manifest}: errors ${list(pwa.manifestErrors)}; display ${pwa.display}; ` +
    `icons ${list(pwa.icons)}; maskable icon ${pwa.maskableIcon ? 'yes' : 'no'}`);
  console.log(`    a service worker controls the page: ${pwa.serviceWorkerControlsPage ? 'yes' : 'no'}; ` +
    `theme-color ${pwa.themeColor} (manifest ${pwa.manifestThemeColor})`);
}

function assertPerfect(name, lhr) {
  for (const category of ['accessibility', 'best-practices']) {
    assert.equal(score(lhr, category), 100,
      `${name}: ${category} scored ${score(lhr, category)}; failing audits:\n  ${failing(lhr, category).join('\n  ')}`);
  }
}

test('Lighthouse (mobile): accessibility and best practices score 100', { timeout: 240_000 }, async () => {
  // 1. The start page of a browser that is not enrolled: a first visit, storage cleared.
  const start = await audit('start', fixture.server.url);
  report('the start page, not enrolled', start);

  // 2. Enrol this profile as the accessibility test does, and audit the workspace with the
  // enrolment, the service worker and its cache kept: the volunteer's everyday visit.
  const { link } = await createEnrolment(fixture.server, 'mohales-hoek-nurses');
  const page = await fixture.browser.context.newPage();
  await page.goto(link);
  await page.getByRole('button', { name: 'New: Diaspora member registration' }).waitFor();
  await page.getByTestId('sync-status').filter({ hasText: 'Nothing finalised yet, so nothing to send.' }).waitFor({ timeout: 30_000 });
  await page.reload();
  await page.getByRole('button', { name: 'New: Diaspora member registration' }).waitFor();
  const pwa = await pwaChecks(page);
  await page.close();

  const workspace = await audit('workspace', fixture.server.url, { keepStorage: true });
  report('the enrolled workspace', workspace);
  printPwa(pwa);
  const summary = (lhr) => ({
    url: lhr.finalDisplayedUrl,
    scores: Object.fromEntries(Object.entries(lhr.categories).map(([id, c]) => [id, Math.round(c.score * 100)])),
    metrics: Object.fromEntries(['first-contentful-paint', 'largest-contentful-paint', 'total-blocking-time',
      'cumulative-layout-shift', 'speed-index'].map((id) => [id, lhr.audits[id].numericValue])),
  });
  writeFileSync(join(artifacts, 'lighthouse-summary.json'), JSON.stringify({
    lighthouse: workspace.lighthouseVersion,
    settings: { formFactor: workspace.configSettings.formFactor, throttling: workspace.configSettings.throttlingMethod },
    start: summary(start),
    workspace: summary(workspace),
    pwa,
  }, null, 2) + '\n');
  // The storage was kept, so what Lighthouse loaded was the workspace: it still opens.
  const again = await fixture.browser.context.newPage();
  await again.goto(fixture.server.url);
  await again.getByRole('button', { name: 'New: Diaspora member registration' }).waitFor({ timeout: 10_000 });
  await again.close();

  assertPerfect('the start page', start);
  assertPerfect('the workspace', workspace);
});
