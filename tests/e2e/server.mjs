// Starts the real `letsema serve` for a test, on a free loopback port and a fresh data
// directory, and stops it afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const bin = process.env.LETSEMA_BIN;
const webDir = process.env.LETSEMA_WEB_DIR;

export const ADMIN = { email: 'admin@example.org', password: 'an e2e admin password' };

/**
 * With LETSEMA_E2E_BACKEND=postgres, each server gets a new database in the cluster that
 * LETSEMA_TEST_POSTGRES_URL names (./dev test starts one), given to `letsema` as
 * LETSEMA_DATABASE_URL; otherwise its embedded database in the data directory.
 */
function databaseEnv() {
  if (process.env.LETSEMA_E2E_BACKEND !== 'postgres') return {};
  const cluster = process.env.LETSEMA_TEST_POSTGRES_URL;
  if (!cluster) throw new Error('LETSEMA_E2E_BACKEND=postgres needs LETSEMA_TEST_POSTGRES_URL (./dev test sets it)');
  const name = `e2e_${randomBytes(8).toString('hex')}`;
  const created = spawnSync('psql', [cluster, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`creating a test database failed: ${created.stderr || created.error}`);
  const url = new URL(cluster);
  url.pathname = `/${name}`;
  return { LETSEMA_DATABASE_URL: url.toString() };
}

/**
 * Starts a server; resolves once it prints its address. With `demo`, the reference form is
 * published and an admin account (ADMIN) exists, unless `admin` is false: then the server
 * has no administrator and prints its one-time set-up link (see `output`). `webDir` serves
 * another copy of the web app than LETSEMA_WEB_DIR (a test that deploys a new version
 * changes its copy).
 */
export async function startServer({ demo = false, admin = demo, webDir: appDir = webDir } = {}) {
  if (!bin || !appDir) {
    throw new Error('set LETSEMA_BIN and LETSEMA_WEB_DIR (./dev test does)');
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'letsema-e2e-'));
  const database = databaseEnv();
  const args = ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--web-dir', appDir];
  if (admin) {
    const added = spawnSync(bin, ['user', 'add', ADMIN.email, '--role', 'admin', '--data-dir', dataDir], {
      input: ADMIN.password + '\n',
      encoding: 'utf8',
      env: { ...process.env, ...database },
    });
    if (added.status !== 0) throw new Error(`letsema user add failed: ${added.stderr}`);
  }
  if (demo) args.push('--demo');
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...database, RUST_LOG: 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  // Everything the server prints, kept for `output`.
  let stdout = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s: ${stderr}`)), 20_000);
    child.stdout.on('data', () => {
      const match = stdout.match(/serving (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}: ${stderr}`)); });
  });
  return {
    url,
    /**
     * The first line the server printed that matches `pattern`, waiting for it up to
     * `timeout` ms (a server without an admin prints its set-up link: /\/setup#/).
     */
    async output(pattern, { timeout = 5_000 } = {}) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const line = stdout.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) return line;
        if (Date.now() > deadline) throw new Error(`the server printed no line like ${pattern}: ${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    /** Stops the server (SIGTERM) and waits for it to exit; returns its exit code. */
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
    /** Removes the data directory and, on PostgreSQL, drops the server's database. */
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
      if (database.LETSEMA_DATABASE_URL) {
        const name = new URL(database.LETSEMA_DATABASE_URL).pathname.slice(1);
        spawnSync('psql', [process.env.LETSEMA_TEST_POSTGRES_URL, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
      }
    },
  };
}

/** Signs in as the admin of a demo server; returns the cookie pair and the CSRF token. */
export async function adminSession(server) {
  const response = await fetch(new URL('/api/session', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  if (response.status !== 200) throw new Error(`signing in failed: ${response.status}`);
  const cookie = response.headers.get('set-cookie').split(';')[0];
  const { csrf_token: csrf } = await response.json();
  return { cookie, csrf };
}

/** POSTs `body` as JSON to `path` as the admin; returns the response. */
export async function postAsAdmin(server, session, path, body) {
  return fetch(new URL(path, server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf },
    body: JSON.stringify(body),
  });
}

/**
 * Publishes, as the admin, the form `source` (file name `name`, which gives its format) with
 * the attached `files` (an object of file name to contents) as the API's multipart POST;
 * returns the response.
 */
export async function publishForm(server, session, name, source, files = {}) {
  const body = new FormData();
  body.append('form', new Blob([source]), name);
  for (const [file, contents] of Object.entries(files)) body.append('file', new Blob([contents]), file);
  return fetch(new URL(`/api/forms?name=${encodeURIComponent(name)}`, server.url), {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
    body,
  });
}

/**
 * Creates, as the admin, an enrolment for `association` with one use (and, with `name`, the
 * association's display name); returns its answer.
 */
export async function createEnrolment(server, association, { name } = {}) {
  const session = await adminSession(server);
  const created = await postAsAdmin(server, session, '/api/enrolments', {
    association, forms: ['diaspora_registration'], uses: 1,
    ...(name === undefined ? {} : { association_name: name }),
  });
  if (created.status !== 201) throw new Error(`creating an enrolment failed: ${created.status}`);
  return created.json();
}
