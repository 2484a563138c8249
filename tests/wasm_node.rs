//! wasm-bindgen tests that run in Node: the core, compiled to wasm, on big and real inputs.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test]
fn a_100k_op_chain_loads_in_wasm() {
    let bytes = llbsim::testutil::chain(100_000);
    let graph = llbsim::load_bytes(&bytes, &Default::default()).expect("loads");
    assert_eq!(graph.len(), 100_001);
    assert_eq!(
        graph.vertex(graph.target().vertex).name,
        "sh -c echo chain-99999"
    );
}

#[wasm_bindgen_test]
fn corpus_loads_through_the_js_api() {
    let bytes: &[u8] = include_bytes!("../testdata/corpus/df-dockerfile-frontend.pb");
    let out = llbsim::wasm::load_definition(js_sys::Uint8Array::from(bytes).into()).expect("loads");
    let vertices = js_sys::Reflect::get(&out, &"vertices".into()).expect("vertices");
    assert_eq!(js_sys::Array::from(&vertices).length(), 10);
    let format = js_sys::Reflect::get(&out, &"format".into()).expect("format");
    assert_eq!(format.as_string().as_deref(), Some("protobuf"));
}

#[wasm_bindgen_test]
fn errors_come_back_as_js_errors() {
    let err = llbsim::wasm::load_definition(JsValue::from_str("")).expect_err("empty");
    let msg = js_sys::Reflect::get(&err, &"message".into())
        .expect("message")
        .as_string()
        .unwrap_or_default();
    assert_eq!(msg, "failed to load LLB: invalid empty definition");
    let kind = js_sys::Reflect::get(&err, &"kind".into())
        .expect("kind")
        .as_string();
    assert_eq!(kind.as_deref(), Some("load"));
}

#[wasm_bindgen_test]
fn solve_in_wasm_then_a_warm_rebuild_runs_nothing() {
    let bytes: &[u8] = include_bytes!("../testdata/corpus/df-dockerfile-frontend.pb");
    let opts = js_sys::Object::new();
    js_sys::Reflect::set(&opts, &"thenWarm".into(), &JsValue::TRUE).expect("set");
    js_sys::Reflect::set(&opts, &"variant".into(), &"plain".into()).expect("set");
    let out = llbsim::wasm::solve_definition(js_sys::Uint8Array::from(bytes).into(), opts.into())
        .expect("solves");
    let jobs = js_sys::Array::from(&js_sys::Reflect::get(&out, &"jobs".into()).expect("jobs"));
    assert_eq!(jobs.length(), 2);
    let actions = |job: JsValue| -> Vec<String> {
        let rows = js_sys::Array::from(&js_sys::Reflect::get(&job, &"rows".into()).expect("rows"));
        rows.iter()
            .map(|r| {
                js_sys::Reflect::get(&r, &"action".into())
                    .ok()
                    .and_then(|a| a.as_string())
                    .unwrap_or_default()
            })
            .collect()
    };
    assert_eq!(
        actions(jobs.get(0)).iter().filter(|a| *a == "ran").count(),
        10
    );
    assert_eq!(
        actions(jobs.get(1)).iter().filter(|a| *a == "ran").count(),
        0
    );
}

#[wasm_bindgen_test]
fn a_10k_chain_solves_in_wasm() {
    let bytes = llbsim::testutil::chain(10_000);
    let out = llbsim::wasm::solve_bench(&bytes, "plain", false).expect("solves");
    let n = js_sys::Reflect::get(&out, &"vertices".into())
        .expect("vertices")
        .as_f64();
    assert_eq!(n, Some(10_001.0));
}

#[wasm_bindgen_test]
fn a_session_streams_to_subscribers_and_keeps_its_cache() {
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    let bytes: &[u8] = include_bytes!("../testdata/corpus/df-dockerfile-frontend.pb");
    let mut s = llbsim::wasm::Session::new(js_sys::Uint8Array::from(bytes).into(), JsValue::NULL)
        .expect("opens");
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let sink = seen.clone();
    let cb = Closure::<dyn FnMut(JsValue, JsValue)>::new(move |job: JsValue, _msg: JsValue| {
        sink.borrow_mut().push(job.as_string().unwrap_or_default());
    });
    s.subscribe(cb.as_ref().unchecked_ref::<js_sys::Function>().clone());
    let run = s.scenario("cancel-shared").expect("runs");
    let jobs = js_sys::Array::from(&js_sys::Reflect::get(&run, &"jobs".into()).expect("jobs"));
    assert_eq!(jobs.length(), 2);
    let messages = |i: u32| {
        js_sys::Array::from(&js_sys::Reflect::get(&jobs.get(i), &"messages".into()).expect("m"))
    };
    let total = messages(0).length() + messages(1).length();
    assert_eq!(
        seen.borrow().len() as u32,
        total,
        "every message was delivered"
    );
    let last = messages(1).get(messages(1).length() - 1);
    let encore = js_sys::Reflect::get(&last, &"encore".into()).expect("encore");
    assert_eq!(encore.as_bool(), Some(true));
    // A build on the same session after a cold one is warm.
    s.build(JsValue::NULL).expect("cold");
    let warm = s.build(JsValue::NULL).expect("warm");
    let jobs = js_sys::Array::from(&js_sys::Reflect::get(&warm, &"jobs".into()).expect("jobs"));
    let rows = js_sys::Array::from(&js_sys::Reflect::get(&jobs.get(0), &"rows".into()).expect("r"));
    let ran = rows
        .iter()
        .filter(|r| {
            js_sys::Reflect::get(r, &"action".into())
                .ok()
                .and_then(|a| a.as_string())
                .as_deref()
                == Some("ran")
        })
        .count();
    assert_eq!(ran, 0);
    assert!(s.scenario("nope").is_err());
}
