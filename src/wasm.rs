//! The wasm binding: the only module that knows about JavaScript. It converts between JS values
//! and the library's types and does nothing else.

use wasm_bindgen::prelude::*;

use crate::{inspect, load_bytes, Error, LoadOptions};

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The crate version, for the page's footer.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Reads and loads a definition given as bytes (`Uint8Array`) or text (`string`), in any
/// format llbsim reads. Returns the same structure as `llbsim inspect --format json`:
/// `{format, format_name, capabilities, vertices: [{digest, name, kind, inputs: [{digest, index}]}],
///   target: {digest, index}, kinds, edges, notes}`.
///
/// On failure throws an `Error` whose `message` says what and where, with extra properties
/// `kind` (`"parse"` or `"load"`) and `location` (text, possibly empty).
#[wasm_bindgen(js_name = loadDefinition)]
pub fn load_definition(input: JsValue) -> Result<JsValue, JsValue> {
    let bytes: Vec<u8> = if let Some(s) = input.as_string() {
        s.into_bytes()
    } else if input.is_instance_of::<js_sys::Uint8Array>()
        || input.is_instance_of::<js_sys::ArrayBuffer>()
    {
        js_sys::Uint8Array::new(&input).to_vec()
    } else {
        return Err(js_sys::Error::new(
            "loadDefinition expects a string, Uint8Array or ArrayBuffer",
        )
        .into());
    };
    match load_bytes(&bytes, &LoadOptions::default()) {
        Ok(graph) => {
            let summary = inspect::summary(&graph);
            let ser = serde_wasm_bindgen::Serializer::json_compatible();
            serde::Serialize::serialize(&summary, &ser)
                .map_err(|e| js_sys::Error::new(&e.to_string()).into())
        }
        Err(e) => Err(error_to_js(&e)),
    }
}

fn error_to_js(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let kind = match e {
        Error::Parse(_) => "parse",
        Error::Load(_) => "load",
    };
    let _ = js_sys::Reflect::set(&err, &"kind".into(), &kind.into());
    let _ = js_sys::Reflect::set(&err, &"location".into(), &e.location().into());
    err.into()
}
