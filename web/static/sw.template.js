// Letsema's service worker: keeps the app's files so that it starts with the network off.
//
// The build writes BUILD_ID (a hash of the app's files) and the list of files below, so a
// new build is a new service worker: the browser installs it in the background, it fills a
// new cache, and the old cache is deleted once the new one is complete. The API is never
// cached here: the app's data lives in its own storage.
const BUILD_ID = '__BUILD_ID__';
const CACHE = 'letsema-app-' + BUILD_ID;
const APP_FILES = __APP_FILES__;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(APP_FILES.map((path) => new Request(path, { cache: 'no-cache' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith('letsema-app-') && key !== CACHE)
          .map((key) => caches.delete(key)),
      ))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')
      || url.pathname === '/staff' || url.pathname.startsWith('/staff/')) {
    return; // The network, as if there were no service worker (the staff area is not the app).
  }
  if (request.mode === 'navigate') {
    // Every address of the app is the same page: answer from the cache, so that opening
    // the app never waits for a slow network.
    event.respondWith(
      caches.match('/index.html', { cacheName: CACHE })
        .then((cached) => cached || fetch(request)),
    );
    return;
  }
  event.respondWith(
    caches.match(request, { cacheName: CACHE, ignoreSearch: true })
      .then((cached) => cached || fetch(request)),
  );
});
