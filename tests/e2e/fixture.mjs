// What every end-to-end test file starts with: a real server and a browser, started before
// the file's tests and stopped after them.
import { before, after } from 'node:test';
import { startServer } from './server.mjs';
import { launchBrowser } from './browser.mjs';

/**
 * Registers the hooks that start a server (with `options`, see `startServer`) and a browser
 * (with `browserOptions`, see `launchBrowser`) before this file's tests and stop both after
 * them. Returns an object whose `server` and `browser` are set once they have started.
 */
export function useServerAndBrowser(options = {}, browserOptions = {}) {
  const fixture = { server: undefined, browser: undefined };
  before(async () => {
    fixture.server = await startServer(options);
    fixture.browser = await launchBrowser(browserOptions);
  });
  after(async () => {
    await fixture.browser?.close();
    await fixture.server?.stop();
    fixture.server?.cleanup();
  });
  return fixture;
}
