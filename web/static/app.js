// Loads the WebAssembly app. Kept in its own file so that the content security policy
// needs no inline script.
import init from './pkg/letsema_web.js';

init({ module_or_path: '/pkg/letsema_web_bg.wasm' }).catch((error) => {
  const root = document.getElementById('app');
  if (root) {
    root.textContent = 'Letsema could not start: ' + error + '. Reload the page; if it keeps failing, your browser may lack WebAssembly.';
  }
});
