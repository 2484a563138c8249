//! wasm-bindgen tests that run in headless Chromium: the binding as the page uses it.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn loads_dump_llb_text_in_the_browser() {
    let text = include_str!("../testdata/corpus/df-hack-lint.json");
    let out = llbsim::wasm::load_definition(JsValue::from_str(text)).expect("loads");
    let vertices = js_sys::Reflect::get(&out, &"vertices".into()).expect("vertices");
    assert_eq!(js_sys::Array::from(&vertices).length(), 24);
}

#[wasm_bindgen_test]
fn garbage_is_a_parse_error_that_names_what_was_tried() {
    let err =
        llbsim::wasm::load_definition(JsValue::from_str("this is not llb")).expect_err("garbage");
    let msg = js_sys::Reflect::get(&err, &"message".into())
        .expect("message")
        .as_string()
        .unwrap_or_default();
    assert!(msg.contains("tried"), "{msg}");
    let kind = js_sys::Reflect::get(&err, &"kind".into())
        .expect("kind")
        .as_string();
    assert_eq!(kind.as_deref(), Some("parse"));
}

#[wasm_bindgen_test]
fn a_100k_op_chain_loads_in_the_browser() {
    let bytes = llbsim::testutil::chain(100_000);
    let graph = llbsim::load_bytes(&bytes, &Default::default()).expect("loads");
    assert_eq!(graph.len(), 100_001);
}
