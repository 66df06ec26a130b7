// Loads the WebAssembly app. Kept in its own file so that the content security policy
// needs no inline script.
//
// The app is two modules: the screens (pkg/, loaded now) and the submission documents
// (docs/, automerge, loaded when the screens first ask for them through
// window.letsemaDocs, which they do once the first screen is drawn). See ARCHITECTURE.md.
// The camera's code reader (scan.js) is loaded only when it is used.
import init from './pkg/letsema_web.js';

let docs;
window.letsemaDocs = () => {
  docs ??= import('./docs/letsema_web_docs.js')
    .then(async (module) => {
      await module.default({ module_or_path: '/docs/letsema_web_docs_bg.wasm' });
      return module;
    })
    .catch((error) => {
      docs = undefined; // Try again on the next call.
      throw error;
    });
  return docs;
};

// The camera's code reader (scan.js), loaded when "Scan the QR code" (the start page) or
// "Scan the barcode" (a barcode question) is first tapped:
// window.letsemaScan(video, onCode, signal, kinds), see scan.js.
window.letsemaScan = (video, onCode, signal, kinds) =>
  import('./scan.js').then((module) => module.scan(video, onCode, signal, kinds));

init({ module_or_path: '/pkg/letsema_web_bg.wasm' }).catch((error) => {
  const root = document.getElementById('app');
  if (root) {
    root.textContent = 'Letsema could not start: ' + error + '. Reload the page; if it keeps failing, your browser may lack WebAssembly.';
  }
});
