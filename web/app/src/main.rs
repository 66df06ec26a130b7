//! The web app's entry point: wasm-bindgen calls `main` when the module loads.

fn main() {
    letsema_web::start();
}
