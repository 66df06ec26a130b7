// Loads the staff area's WebAssembly module (its own bundle: the volunteers' app never
// downloads it). Kept in its own file so that the content security policy needs no inline
// script.
import init from './pkg/letsema_staff.js';

init({ module_or_path: '/staff/pkg/letsema_staff_bg.wasm' }).catch((error) => {
  const root = document.getElementById('app');
  if (root) {
    root.textContent = 'The staff area could not start: ' + error + '. Reload the page; if it keeps failing, your browser may lack WebAssembly.';
  }
});
