// The staff area's service worker (scope /staff): keeps the staff area's files so that a
// reviewer's laptop opens it with no network, to work on the offline copy. The build writes
// BUILD_ID (a hash of those files) and their list. The API is never cached here: the copy
// lives in IndexedDB. It answers nothing outside /staff (the volunteers' app has its own).
const BUILD_ID = '__BUILD_ID__';
const CACHE = 'letsema-staff-' + BUILD_ID;
const STAFF_FILES = __STAFF_FILES__;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(STAFF_FILES.map((path) => new Request(path, { cache: 'no-cache' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith('letsema-staff-') && key !== CACHE)
          .map((key) => caches.delete(key)),
      ))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  const staff = url.pathname === '/staff' || url.pathname.startsWith('/staff/') || url.pathname === '/icon.svg';
  if (request.method !== 'GET' || url.origin !== self.location.origin || !staff) {
    return; // The network, as if there were no service worker.
  }
  if (request.mode === 'navigate') {
    // Every address of the staff area is the same page: the network first (a new version
    // is seen at once), the cache when there is no network.
    event.respondWith(
      fetch(request).catch(() => caches.match('/staff', { cacheName: CACHE })),
    );
    return;
  }
  event.respondWith(
    fetch(request).catch(() => caches.match(request, { cacheName: CACHE, ignoreSearch: true })),
  );
});
