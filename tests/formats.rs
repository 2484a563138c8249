//! The JSON formats other than dump-llb: SLSA provenance (v0.2, v1, statement, predicate alone,
//! DSSE envelope) and convertllb output. There are no such files in the corpus, so the tests
//! build them from the corpus's dump-llb streams the way BuildKit builds them (provenance:
//! `toBuildSteps`, depth first from the terminal, `local.unique`/`local.session` stripped;
//! convertllb: protojson of each op in a digest-keyed map), then check they load to the same
//! graph as the binary definition.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use base64::Engine as _;
use serde_json::{json, Map, Value};

use llbsim::{load_bytes, Format, Graph, LoadOptions};

fn corpus(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/corpus")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn records(name: &str) -> Vec<Value> {
    let text = String::from_utf8(corpus(&format!("{name}.json"))).expect("utf8");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect()
}

fn load(bytes: &[u8]) -> Graph {
    load_bytes(bytes, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn digests(g: &Graph) -> Vec<String> {
    let mut v: Vec<String> = g.vertices().iter().map(|v| v.digest.to_string()).collect();
    v.sort();
    v
}

/// BuildKit's `toBuildSteps`: steps depth first from the terminal (inputs before the op).
fn build_config(name: &str, with_mapping: bool) -> Value {
    let recs = records(name);
    let by_digest: HashMap<String, &Value> = recs
        .iter()
        .map(|r| (r["Digest"].as_str().expect("Digest").to_string(), r))
        .collect();
    let terminal = recs.last().expect("terminal")["Digest"]
        .as_str()
        .expect("Digest")
        .to_string();
    let mut order: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    fn walk(
        d: &str,
        by: &HashMap<String, &Value>,
        seen: &mut std::collections::HashSet<String>,
        order: &mut Vec<String>,
    ) {
        if !seen.insert(d.to_string()) {
            return;
        }
        if let Some(inputs) = by[d]["Op"]["inputs"].as_array() {
            for i in inputs {
                walk(i["digest"].as_str().expect("digest"), by, seen, order);
            }
        }
        order.push(d.to_string());
    }
    walk(&terminal, &by_digest, &mut seen, &mut order);
    let index: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let steps: Vec<Value> = order
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut op = by_digest[d.as_str()]["Op"].clone();
            let inputs: Vec<Value> = op["inputs"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|inp| {
                            let k = index[inp["digest"].as_str().expect("digest")];
                            json!(format!("step{k}:{}", inp["index"].as_i64().unwrap_or(0)))
                        })
                        .collect()
                })
                .unwrap_or_default();
            if let Some(o) = op.as_object_mut() {
                o.remove("inputs");
            }
            if let Some(attrs) = op
                .pointer_mut("/Op/source/attrs")
                .and_then(Value::as_object_mut)
            {
                attrs.remove("local.unique");
                attrs.remove("local.session");
                if attrs.is_empty() {
                    if let Some(src) = op.pointer_mut("/Op/source").and_then(Value::as_object_mut) {
                        src.remove("attrs");
                    }
                }
            }
            let mut step = json!({"id": format!("step{i}"), "op": op});
            if !inputs.is_empty() {
                step["inputs"] = json!(inputs);
            }
            step
        })
        .collect();
    let mut cfg = json!({"llbDefinition": steps});
    if with_mapping {
        let mapping: BTreeMap<&str, String> = order
            .iter()
            .enumerate()
            .map(|(i, d)| (d.as_str(), format!("step{i}")))
            .collect();
        cfg["digestMapping"] = json!(mapping);
    }
    cfg
}

fn v1_statement(cfg: Value) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v1",
        "subject": [{"name": "pkg:docker/x", "digest": {"sha256": "00"}}],
        "predicate": {
            "buildDefinition": {
                "buildType": "https://github.com/moby/buildkit/blob/master/docs/attestations/slsa-definitions.md",
                "externalParameters": {"configSource": {}, "request": {"frontend": "dockerfile.v0"}},
                "internalParameters": {"buildConfig": cfg, "builderPlatform": "linux/amd64"}
            },
            "runDetails": {"builder": {"id": ""}, "metadata": {"invocationId": "x", "buildkit_metadata": {}}}
        }
    })
}

fn v02_statement(cfg: Value) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [],
        "predicate": {
            "builder": {"id": ""},
            "buildType": "https://mobyproject.org/buildkit@v1",
            "invocation": {"configSource": {}, "parameters": {}, "environment": {}},
            "buildConfig": cfg,
            "metadata": {"https://mobyproject.org/buildkit@v1#metadata": {}}
        }
    })
}

const NAMES: &[&str] = &[
    "df-dockerfile-frontend",
    "df-hack-lint",
    "ex-buildkit0",
    "ex-nested-llb",
    "synth-lattice6",
];

#[test]
fn provenance_v1_and_v02_load_to_the_same_vertices() {
    for name in NAMES {
        let want = load(&corpus(&format!("{name}.pb")));
        for (stmt, format) in [
            (v1_statement(build_config(name, true)), Format::ProvenanceV1),
            (
                v02_statement(build_config(name, true)),
                Format::ProvenanceV02,
            ),
        ] {
            let g = load(stmt.to_string().as_bytes());
            assert_eq!(g.format, format, "{name}");
            assert_eq!(digests(&g), digests(&want), "{name} {format:?}");
            assert_eq!(
                g.vertex(g.target().vertex).digest,
                want.vertex(want.target().vertex).digest
            );
            // No metadata in provenance: names are the derived ones.
            for v in g.vertices() {
                assert_eq!(v.metadata, Default::default());
            }
        }
    }
}

#[test]
fn provenance_predicate_alone_and_dsse_envelope() {
    let name = "df-hack-lint";
    let want = digests(&load(&corpus(&format!("{name}.pb"))));
    let stmt = v1_statement(build_config(name, true));
    let predicate = stmt["predicate"].clone();
    assert_eq!(digests(&load(predicate.to_string().as_bytes())), want);
    let envelope = json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": base64::engine::general_purpose::STANDARD.encode(stmt.to_string()),
        "signatures": []
    });
    assert_eq!(digests(&load(envelope.to_string().as_bytes())), want);
    let buildx = json!({"SLSA": v02_statement(build_config(name, true))["predicate"].clone()});
    assert_eq!(digests(&load(buildx.to_string().as_bytes())), want);
}

#[test]
fn provenance_without_digest_mapping_still_loads() {
    // Only synthetic graphs: without the mapping, stripped local.unique changes digests.
    for name in ["synth-chain20", "ex-buildkit1"] {
        let want = load(&corpus(&format!("{name}.pb")));
        let g = load(
            v1_statement(build_config(name, false))
                .to_string()
                .as_bytes(),
        );
        assert_eq!(
            digests(&g),
            digests(&want),
            "{name}: no local sources, so digests recompute exactly"
        );
    }
    // With local sources and no mapping, digests differ but the shape is the same.
    let want = load(&corpus("df-dockerfile-frontend.pb"));
    let g = load(
        v1_statement(build_config("df-dockerfile-frontend", false))
            .to_string()
            .as_bytes(),
    );
    assert_eq!(g.len(), want.len());
    assert_eq!(g.edge_count(), want.edge_count());
}

#[test]
fn provenance_with_a_dangling_step_says_where() {
    let mut cfg = build_config("synth-chain20", true);
    cfg["llbDefinition"][3]["inputs"] = json!(["step99:0"]);
    let err = load_bytes(
        v1_statement(cfg).to_string().as_bytes(),
        &LoadOptions::default(),
    )
    .expect_err("dangling");
    let msg = err.to_string();
    assert!(
        msg.contains("llbDefinition[3].inputs[0]") && msg.contains("step99"),
        "{msg}"
    );
}

#[test]
fn mode_min_provenance_explains_itself() {
    let mut stmt = v1_statement(json!(null));
    stmt["predicate"]["buildDefinition"]["internalParameters"] =
        json!({"builderPlatform": "linux/amd64"});
    let err = load_bytes(stmt.to_string().as_bytes(), &LoadOptions::default()).expect_err("min");
    assert!(err.to_string().contains("mode=max"), "{err}");
}

/// Go's custom JSON of an op (dump-llb) to protojson, as `protojson.Marshal` writes it.
fn protojson(v: &Value, key: Option<&str>) -> Value {
    const INT64: &[&str] = &[
        "index",
        "input",
        "output",
        "secondaryInput",
        "timestamp",
        "size",
        "builder",
        "Soft",
        "Hard",
        "memory",
        "memorySwap",
        "cpuQuota",
    ];
    const MAPS: &[&str] = &["attrs", "description", "caps"];
    const ENUMS: &[(&str, &[&str])] = &[
        ("mountType", &["BIND", "SECRET", "SSH", "CACHE", "TMPFS"]),
        ("network", &["UNSET", "HOST", "NONE"]),
        ("security", &["SANDBOX", "INSECURE"]),
        ("contentCache", &["DEFAULT", "ON", "OFF"]),
        ("sharing", &["SHARED", "PRIVATE", "LOCKED"]),
    ];
    match v {
        Value::Object(o) if key.is_some_and(|k| MAPS.contains(&k)) => Value::Object(o.clone()),
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, v) in o {
                // Go's wrappers around oneofs disappear: their member goes to the top level.
                if k == "Op" || k == "Action" || k == "User" {
                    if let Value::Object(inner) = v {
                        for (ik, iv) in inner {
                            let ik = if ik == "byId" { "byID" } else { ik.as_str() };
                            out.insert(ik.to_string(), protojson(iv, Some(ik)));
                        }
                    }
                    continue;
                }
                let camel: String = {
                    let mut s = String::new();
                    let mut up = false;
                    for c in k.chars() {
                        if c == '_' {
                            up = true;
                        } else if up {
                            s.extend(c.to_uppercase());
                            up = false;
                        } else {
                            s.push(c);
                        }
                    }
                    s
                };
                let converted = if let Some((_, names)) = ENUMS.iter().find(|(n, _)| *n == k) {
                    json!(names[v.as_u64().unwrap_or(0) as usize])
                } else if INT64.contains(&k.as_str()) && v.is_i64() {
                    if v.as_i64() == Some(0) {
                        continue;
                    }
                    json!(v.as_i64().unwrap_or(0).to_string())
                } else {
                    protojson(v, Some(k))
                };
                out.insert(camel, converted);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| protojson(x, key)).collect()),
        other => other.clone(),
    }
}

fn convertllb(name: &str) -> Value {
    let mut def = Map::new();
    let mut metadata = Map::new();
    for r in records(name) {
        let d = r["Digest"].as_str().expect("Digest").to_string();
        def.insert(d.clone(), protojson(&r["Op"], None));
        if r["OpMetadata"].as_object().is_some_and(|m| !m.is_empty()) {
            metadata.insert(d, r["OpMetadata"].clone());
        }
    }
    json!({"def": def, "metadata": metadata, "source": {}})
}

#[test]
fn convertllb_loads_to_the_same_graph_with_names() {
    for name in NAMES.iter().chain(&["df-buildkit", "df-parser-mail"]) {
        let want = load(&corpus(&format!("{name}.pb")));
        let doc = convertllb(name);
        let g = load(serde_json::to_string_pretty(&doc).expect("json").as_bytes());
        assert_eq!(g.format, Format::ConvertLlb);
        assert!(g.notes.is_empty(), "{name}: {:?}", g.notes);
        let named = |g: &Graph| {
            let mut v: Vec<(String, String)> = g
                .vertices()
                .iter()
                .map(|v| (v.digest.to_string(), v.name.clone()))
                .collect();
            v.sort();
            v
        };
        assert_eq!(named(&g), named(&want), "{name}");
        assert_eq!(g.target(), want.target(), "{name}");
    }
}

#[test]
fn base64_of_the_binary_definition() {
    let pb = corpus("df-hack-shfmt.pb");
    let text = base64::engine::general_purpose::STANDARD.encode(&pb);
    let wrapped: String = text
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned() + "\n")
        .collect();
    let g = load(wrapped.as_bytes());
    assert_eq!(g.format, Format::ProtobufBase64);
    assert_eq!(digests(&g), digests(&load(&pb)));
}

#[test]
fn pretty_printed_and_array_dump_llb_streams() {
    let recs = records("df-hack-shfmt");
    let want = digests(&load(&corpus("df-hack-shfmt.pb")));
    let pretty: String = recs
        .iter()
        .map(|r| serde_json::to_string_pretty(r).expect("json") + "\n")
        .collect();
    assert_eq!(digests(&load(pretty.as_bytes())), want);
    let array = serde_json::to_string(&recs).expect("json");
    assert_eq!(digests(&load(array.as_bytes())), want);
}

#[test]
fn unknown_json_names_what_was_tried() {
    let err = load_bytes(br#"{"hello": "world"}"#, &LoadOptions::default()).expect_err("not llb");
    let msg = err.to_string();
    assert!(
        msg.contains("tried dump-llb JSON") && msg.contains("tried convertllb JSON"),
        "{msg}"
    );
    let err =
        load_bytes(b"\x00\x01\x02 definitely not", &LoadOptions::default()).expect_err("not llb");
    let msg = err.to_string();
    assert!(
        msg.contains("tried binary pb.Definition") && msg.contains("tried base64"),
        "{msg}"
    );
}
