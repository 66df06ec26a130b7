// Finishes a web build: copies web/static into the output folder beside wasm-bindgen's
// pkg/, writes the service worker with this build's id and file list, and leaves brotli and
// gzip copies of every file for the server to send to browsers that accept them.
//
//   node web/build.mjs OUT_DIR            finish the build in OUT_DIR
//   node web/build.mjs --report OUT_DIR   print the sizes of a finished build
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const report = args[0] === '--report';
const out = report ? args[1] : args[0];
if (!out) {
  console.error('usage: node web/build.mjs [--report] OUT_DIR');
  process.exit(2);
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

const isCompressedCopy = (path) => path.endsWith('.br') || path.endsWith('.gz');
const appFiles = () => filesUnder(out)
  .filter((path) => !isCompressedCopy(path) && !relative(out, path).startsWith('.'))
  .map((path) => relative(out, path).split('\\').join('/'))
  .sort();

// The documents' module (docs/) is loaded after the first screen is drawn, the camera's QR
// reader (scan.js) only when it is used; the staff area
// (staff/) is a bundle of its own that volunteers never download; everything else is what a
// first visit downloads before it.
const isLater = (path) => path.startsWith('docs/') || path === 'scan.js';
const isStaff = (path) => path.startsWith('staff/');

function printSizes() {
  const rows = appFiles().filter((path) => path !== 'sw.js').map((path) => {
    const raw = statSync(join(out, path)).size;
    const size = (suffix) => { try { return statSync(join(out, path + suffix)).size; } catch { return raw; } };
    return { path, raw, gzip: size('.gz'), brotli: size('.br') };
  });
  const sum = (selected) => selected.reduce((total, row) => ({
    raw: total.raw + row.raw, gzip: total.gzip + row.gzip, brotli: total.brotli + row.brotli,
  }), { raw: 0, gzip: 0, brotli: 0 });
  const kb = (bytes) => (bytes / 1000).toFixed(1).padStart(8) + ' KB';
  const line = (label, row) => console.log(label.padEnd(44) + kb(row.raw) + kb(row.gzip) + kb(row.brotli));
  console.log('file'.padEnd(44) + 'raw'.padStart(11) + 'gzip'.padStart(11) + 'brotli'.padStart(11));
  for (const row of rows) line(row.path, row);
  const volunteers = rows.filter((row) => !isStaff(row.path));
  line('first load (all but docs/, scan.js, staff/)', sum(volunteers.filter((row) => !isLater(row.path))));
  line('later or when used (docs/, scan.js)', sum(volunteers.filter((row) => isLater(row.path))));
  line('everything a first visit downloads', sum(volunteers));
  line('the staff area (staff/, never a volunteer)', sum(rows.filter((row) => isStaff(row.path))));
}

if (report) {
  printSizes();
  process.exit(0);
}

// 1. The static files.
for (const source of filesUnder(join(here, 'static'))) {
  const name = relative(join(here, 'static'), source);
  if (name === 'sw.template.js' || name === join('staff', 'sw.template.js')) continue;
  const target = join(out, name);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
}

// 2. The service worker: its id is a hash of every file it caches, so any change of the app
// makes a new service worker and a new cache.
// The staff area is not the volunteers' app: their service worker neither caches it nor
// changes when it does.
const cached = appFiles().filter((path) => !isStaff(path));
const hash = createHash('sha256');
for (const path of cached) hash.update(path).update(readFileSync(join(out, path)));
const buildId = hash.digest('hex').slice(0, 16);
const urls = ['/', ...cached.map((path) => '/' + path)];
const template = readFileSync(join(here, 'static', 'sw.template.js'), 'utf8');
writeFileSync(join(out, 'sw.js'), template
  .replace('__BUILD_ID__', buildId)
  .replace('__APP_FILES__', JSON.stringify(urls, null, 2)));

// 2b. The staff area's own service worker (scope /staff): its files only, with an id of
// their own, so that a reviewer's laptop opens the staff area with no network.
const staffFiles = appFiles().filter((path) => isStaff(path) && path !== 'staff/sw.js');
const staffHash = createHash('sha256');
for (const path of staffFiles) staffHash.update(path).update(readFileSync(join(out, path)));
const staffBuildId = staffHash.digest('hex').slice(0, 16);
const staffTemplate = readFileSync(join(here, 'static', 'staff', 'sw.template.js'), 'utf8');
writeFileSync(join(out, 'staff', 'sw.js'), staffTemplate
  .replace('__BUILD_ID__', staffBuildId)
  .replace('__STAFF_FILES__', JSON.stringify(['/staff', '/icon.svg', ...staffFiles.map((path) => '/' + path)], null, 2)));

// 3. Compressed copies, at the highest levels: they are made once and sent many times.
for (const path of appFiles()) {
  const bytes = readFileSync(join(out, path));
  writeFileSync(join(out, path + '.br'), brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  }));
  writeFileSync(join(out, path + '.gz'), gzipSync(bytes, { level: 9 }));
}

console.error(`web build ${buildId}:`);
printSizes();
