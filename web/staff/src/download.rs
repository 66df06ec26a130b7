//! Files handed to the browser as downloads: bytes made here (an export fetched, a chart's
//! CSV or SVG) and a chart drawn as a PNG picture.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Hands `bytes` to the browser as a download named `name`, of type `mime` (empty: none).
pub fn save(bytes: &[u8], name: &str, mime: &str) -> Result<(), JsValue> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    if !mime.is_empty() {
        options.set_type(mime);
    }
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let clicked = click(&url, name);
    web_sys::Url::revoke_object_url(&url)?;
    clicked
}

/// Follows a link to `href` that downloads it as `name`.
fn click(href: &str, name: &str) -> Result<(), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(href);
    link.set_download(name);
    link.click();
    Ok(())
}

/// Draws the SVG document `svg` (`width` × `height` CSS pixels) at twice its size on a white
/// canvas, and hands the picture to the browser as the PNG download `name`.
///
/// The SVG is loaded as a `data:` image, which the page's Content-Security-Policy allows
/// (`img-src 'self' data:`) and which does not taint the canvas.
pub async fn save_png(svg: &str, width: u32, height: u32, name: &str) -> Result<(), JsValue> {
    const SCALE: u32 = 2;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let image = web_sys::HtmlImageElement::new()?;
    let loaded = js_sys::Promise::new(&mut |resolve, reject| {
        image.set_onload(Some(&resolve));
        image.set_onerror(Some(&reject));
    });
    let encoded = String::from(js_sys::encode_uri_component(svg));
    image.set_src(&format!("data:image/svg+xml;charset=utf-8,{encoded}"));
    JsFuture::from(loaded).await?;
    image.set_onload(None);
    image.set_onerror(None);
    let canvas: web_sys::HtmlCanvasElement = document.create_element("canvas")?.dyn_into()?;
    canvas.set_width(width * SCALE);
    canvas.set_height(height * SCALE);
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into()?;
    context.scale(f64::from(SCALE), f64::from(SCALE))?;
    context.set_fill_style_str("#fff");
    context.fill_rect(0.0, 0.0, f64::from(width), f64::from(height));
    context.draw_image_with_html_image_element(&image, 0.0, 0.0)?;
    let url = canvas.to_data_url_with_type("image/png")?;
    click(&url, name)
}
