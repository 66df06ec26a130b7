// Loads the staff area's WebAssembly module (its own bundle: the volunteers' app never
// downloads it), and registers its service worker, which keeps the staff area's files so
// that the offline copy can be opened with no network. Kept in its own file so that the
// content security policy needs no inline script.
import init from './pkg/letsema_staff.js';

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/staff/sw.js', { scope: '/staff' }).catch((error) => {
    console.warn('The staff area will not open without a network:', error);
  });
}

init({ module_or_path: '/staff/pkg/letsema_staff_bg.wasm' }).catch((error) => {
  const root = document.getElementById('app');
  if (root) {
    root.textContent = 'The staff area could not start: ' + error + '. Reload the page; if it keeps failing, your browser may lack WebAssembly.';
  }
});
