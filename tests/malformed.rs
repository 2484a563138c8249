//! Hostile and broken input: whatever the bytes, `load_bytes` returns (an error, usually) and
//! never panics, overflows the stack or hangs; and every error says where the problem is.
//!
//! * every corpus file cut short, at every 97th byte;
//! * deterministic garbage, and corpus files with bytes flipped;
//! * wrong wire types, absurd lengths, overlong varints, invalid UTF-8;
//! * 100,000-deep nesting, in protobuf and in JSON;
//! * JSON whose listed digests form cycles.
#![cfg(not(target_arch = "wasm32"))]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use llbsim::llb::{encode_op, Digest};
use llbsim::testutil::{self, exec, image, raw_definition, terminal, wire};
use llbsim::{Error, Graph, LoadErrorKind, LoadOptions, Location};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/corpus");

fn load(bytes: &[u8]) -> Result<Graph, Error> {
    llbsim::load_bytes(bytes, &LoadOptions::default())
}

/// Every `.pb` and `.json` file of the corpus (testdata/corpus), sorted by name.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(CORPUS)
        .expect("corpus dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("pb" | "json")))
        .map(|p| {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("?")
                .to_string();
            (name, std::fs::read(&p).expect("corpus file"))
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "corpus at {CORPUS}: {} files",
        files.len()
    );
    files
}

/// Whether an error's message is non-empty and says where the problem is: a byte offset, an op
/// of `def`, or a JSON path; or it is about the definition as a whole (no op, too few ops,
/// nothing recognisable), in which case there is no narrower place to name.
fn says_where(e: &Error) -> Result<(), String> {
    let text = e.to_string();
    if text.trim().is_empty() {
        return Err("empty message".into());
    }
    let ok = match e {
        Error::Load(l) => match &l.op {
            Some((i, d)) => text.contains(&format!("op {i}")) && text.contains(d.as_str()),
            None => matches!(
                l.kind,
                LoadErrorKind::EmptyDefinition | LoadErrorKind::TooFewVertexes(_)
            ),
        },
        Error::Parse(p) => match &p.location {
            Location::Byte(o) => text.contains(&format!("byte {o}")),
            Location::Op { index, .. } => text.contains(&format!("op {index}")),
            // A JSON syntax error's path is serde_json's "line L, column C", which its message
            // already gives (as "at line L column C").
            Location::Json { path, .. } => {
                !path.is_empty() && (text.contains(path.as_str()) || text.contains(" at line "))
            }
            // "not an LLB definition in any format": the binary reader's reason carries the
            // offset, unless the input was valid protobuf with no op at all.
            Location::Input => {
                p.tried.iter().any(|(_, why)| why.contains("byte "))
                    || text.contains("holds no op")
                    || text.contains("empty JSON array")
            }
        },
    };
    if ok {
        Ok(())
    } else {
        Err(format!("does not say where: {text:?} ({e:?})"))
    }
}

/// What one input did.
enum Outcome {
    Loaded(usize),
    Failed(Error),
    Panicked(String),
}

fn run(bytes: &[u8]) -> Outcome {
    match catch_unwind(AssertUnwindSafe(|| {
        let r = load(bytes);
        // Whatever loads must also be summarisable.
        if let Ok(g) = &r {
            let s = llbsim::inspect::summary(g);
            assert_eq!(s.vertices.len(), g.len());
            let _ = llbsim::inspect::dot(g);
            let _ = llbsim::inspect::text(g);
        }
        r
    })) {
        Ok(Ok(g)) => Outcome::Loaded(g.len()),
        Ok(Err(e)) => Outcome::Failed(e),
        Err(p) => Outcome::Panicked(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        ),
    }
}

/// Asserts that `bytes` is refused, with a located message, and returns the error.
#[track_caller]
fn refused(what: &str, bytes: &[u8]) -> Error {
    match run(bytes) {
        Outcome::Failed(e) => {
            if let Err(why) = says_where(&e) {
                panic!("{what}: {why}");
            }
            e
        }
        Outcome::Loaded(n) => panic!("{what}: loaded {n} vertices"),
        Outcome::Panicked(m) => panic!("{what}: panicked: {m}"),
    }
}

/// Runs `f` on a thread with a `stack`-byte stack and waits at most `secs` for it.
fn bounded<T: Send + 'static>(
    stack: usize,
    secs: u64,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn");
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => {
            handle.join().expect("join");
            v
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("no answer within {secs}s: a hang"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("the thread died: {:?}", handle.join().err())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Truncated corpus files.

#[derive(Default)]
struct Tally {
    cuts: usize,
    loaded: Vec<String>,
    failed: usize,
    unlocated: Vec<String>,
    panicked: Vec<String>,
}

/// Feeds every `(file, cut)` to the loader, on all cores.
fn truncations(files: &[(String, Vec<u8>)], jobs: &[(usize, usize)]) -> Tally {
    let next = AtomicUsize::new(0);
    let tally = Mutex::new(Tally::default());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(f, cut)) = jobs.get(i) else { break };
                let (name, data) = &files[f];
                let outcome = run(&data[..cut]);
                let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                t.cuts += 1;
                match outcome {
                    Outcome::Loaded(n) => t.loaded.push(format!("{name}[..{cut}]: {n} vertices")),
                    Outcome::Failed(e) => {
                        t.failed += 1;
                        if let Err(why) = says_where(&e) {
                            t.unlocated.push(format!("{name}[..{cut}]: {why}"));
                        }
                    }
                    Outcome::Panicked(m) => t.panicked.push(format!("{name}[..{cut}]: {m}")),
                }
            });
        }
    });
    tally.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// Cuts at 0, 97, 194, … below the length; for files over `full_below` bytes, only every
/// `k`-th of those cuts, so that at most about `max_cuts` are made (each cut re-reads the whole
/// prefix, so the exhaustive run over the 2 MB files is quadratic).
/// `(file index, cut length)` for every 97th byte of every file.
fn cuts(files: &[(String, Vec<u8>)]) -> Vec<(usize, usize)> {
    let mut jobs = Vec::new();
    for (f, (_, data)) in files.iter().enumerate() {
        jobs.extend((0..data.len()).step_by(97).map(|cut| (f, cut)));
    }
    jobs
}

fn check_truncations(tally: &Tally) {
    eprintln!(
        "truncations: {} cuts, {} errors, {} loaded, {} panics",
        tally.cuts,
        tally.failed,
        tally.loaded.len(),
        tally.panicked.len()
    );
    for l in &tally.loaded {
        eprintln!("  still loads: {l}");
    }
    assert!(tally.panicked.is_empty(), "panics: {:#?}", tally.panicked);
    assert!(tally.unlocated.is_empty(), "{:#?}", tally.unlocated);
    // A cut that lands exactly on a record boundary (JSON) or between two top-level fields
    // (.pb) is a shorter, well-formed definition and may load: its last op is taken as the
    // terminal. Those are rare at a 97-byte stride.
    let errors = tally.failed as f64 / tally.cuts as f64;
    assert!(errors >= 0.95, "only {:.1}% of cuts fail", errors * 100.0);
}

/// Every corpus file cut at every 97th byte (0, 97, 194, …): about 74,000 inputs, none of which
/// may panic, and every error must say where. Cuts that land exactly after a whole JSON record
/// (the last whole op becomes the terminal) or exactly between two top-level fields of a `.pb`
/// (most often inside the metadata section, which follows `def`) are shorter definitions that
/// still load; `check_truncations` bounds how many may.
///
/// Measured on 2026-11-21 (test profile, 2 cores): 74,071 cuts, 73,767 errors (99.59%), 304 still
/// load, 0 panics, every error located; about 18 s since readers check a document's structure
/// before decoding it.
#[test]
fn truncated_corpus_files_fail_cleanly_at_every_97th_byte() {
    let files = corpus();
    let jobs = cuts(&files);
    // The cut at 0 is the empty file, for every file.
    assert_eq!(jobs.iter().filter(|(_, c)| *c == 0).count(), files.len());
    let tally = truncations(&files, &jobs);
    check_truncations(&tally);
}

#[test]
fn a_cut_at_a_record_boundary_is_a_shorter_definition() {
    // The first three records of a dump-llb stream: the third op becomes the terminal.
    let json = std::fs::read(Path::new(CORPUS).join("synth-chain20.json")).expect("file");
    let text = std::str::from_utf8(&json).expect("utf-8");
    let end = text
        .match_indices('\n')
        .nth(2)
        .map(|(i, _)| i + 1)
        .expect("3 lines");
    let g = load(&json[..end]).expect("three whole records load");
    assert_eq!(g.len(), 2, "source and chain-0; chain-1 is the terminal");
    // Likewise a .pb cut between two def elements.
    let pb = std::fs::read(Path::new(CORPUS).join("synth-chain20.pb")).expect("file");
    let def = llbsim::llb::binary::read(&pb).expect("reads");
    let third = &def.ops[2];
    let end = third.offset.expect("offset") + third.bytes.len();
    let g = load(&pb[..end]).expect("three whole ops load");
    assert_eq!(g.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Garbage.

/// xorshift64*: small, deterministic, good enough to make garbage.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n";
    let json_tokens: &[&[u8]] = &[
        b"{",
        b"}",
        b"[",
        b"]",
        b":",
        b",",
        b"\"",
        b"\"Op\"",
        b"\"Digest\"",
        b"\"inputs\"",
        b"\"digest\"",
        b"\"exec\"",
        b"\"source\"",
        b"\"def\"",
        b"\"predicate\"",
        b"null",
        b"-1",
        b"0",
        b"1e999",
        b"true",
        b"\"sha256:0\"",
        b" ",
    ];
    let mut outcomes = [0usize; 2];
    for i in 0..3000 {
        let len = rng.below(if i % 10 == 0 { 8192 } else { 512 });
        let mut bytes = Vec::with_capacity(len);
        match i % 4 {
            0 => bytes.extend((0..len).map(|_| rng.next() as u8)),
            1 => bytes.extend((0..len).map(|_| *rng.pick(b64))),
            2 => {
                while bytes.len() < len {
                    let token: &&[u8] = rng.pick(json_tokens);
                    bytes.extend_from_slice(token);
                }
            }
            _ => {
                // protobuf-shaped: keys of fields 1-3 (and some others), then lengths and bytes.
                while bytes.len() < len {
                    let field = *rng.pick(&[1u32, 1, 1, 2, 3, 4, 5, 10, 11]);
                    let wt = *rng.pick(&[0u8, 1, 2, 2, 2, 3, 4, 5, 6, 7]);
                    wire::key(&mut bytes, field, wt);
                    let n = rng.below(64);
                    wire::varint(&mut bytes, n as u64);
                    bytes.extend((0..n).map(|_| rng.next() as u8));
                }
            }
        }
        match run(&bytes) {
            Outcome::Loaded(_) => outcomes[0] += 1,
            Outcome::Failed(e) => {
                outcomes[1] += 1;
                if let Err(why) = says_where(&e) {
                    panic!(
                        "garbage #{i} ({:02x?}…): {why}",
                        &bytes[..bytes.len().min(32)]
                    );
                }
            }
            Outcome::Panicked(m) => panic!("garbage #{i} {:02x?}: panicked: {m}", bytes),
        }
    }
    eprintln!("garbage: {} loaded, {} refused", outcomes[0], outcomes[1]);
    assert!(outcomes[1] > 2900);
}

#[test]
fn corpus_files_with_flipped_bytes_never_panic() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let small: Vec<(String, Vec<u8>)> = corpus()
        .into_iter()
        .filter(|(_, d)| d.len() < 32 * 1024)
        .collect();
    let (mut loaded, mut failed) = (0, 0);
    for i in 0..1500 {
        let (name, data) = rng.pick(&small);
        let mut bytes = data.clone();
        for _ in 0..1 + rng.below(8) {
            let at = rng.below(bytes.len());
            bytes[at] = match rng.below(3) {
                0 => rng.next() as u8,
                1 => bytes[at] ^ (1 << rng.below(8)),
                _ => *rng.pick(b"{}[]\":,0-9\x00\x0a\xff"),
            };
        }
        match run(&bytes) {
            Outcome::Loaded(_) => loaded += 1,
            Outcome::Failed(e) => {
                failed += 1;
                if let Err(why) = says_where(&e) {
                    panic!("{name} mutation #{i}: {why}");
                }
            }
            Outcome::Panicked(m) => panic!("{name} mutation #{i}: panicked: {m}"),
        }
    }
    eprintln!("flipped bytes: {loaded} loaded, {failed} refused");
}

// ---------------------------------------------------------------------------------------------
// Wire-level damage.

fn alpine_bytes() -> Vec<u8> {
    encode_op(&image("alpine:latest"))
}

#[test]
fn wrong_wire_types_in_the_definition() {
    // def (field 1) as a varint.
    let e = refused("def as varint", &[0x08, 0x01]);
    assert!(e.to_string().contains("byte 0"), "{e}");
    assert!(e.to_string().contains("wire type 0"), "{e}");
    // metadata (field 2) as a fixed32, after a good op.
    let mut bytes = Vec::new();
    wire::len_field(&mut bytes, 1, &alpine_bytes());
    let at = bytes.len();
    wire::key(&mut bytes, 2, wire::I32);
    bytes.extend_from_slice(&[1, 2, 3, 4]);
    let e = refused("metadata as fixed32", &bytes);
    assert!(e.to_string().contains(&format!("byte {at}")), "{e}");
    // Source (field 3) as a fixed64.
    let mut bytes = Vec::new();
    wire::len_field(&mut bytes, 1, &alpine_bytes());
    wire::key(&mut bytes, 3, wire::I64);
    bytes.extend_from_slice(&[0; 8]);
    refused("source as fixed64", &bytes);
    // Wire types 6 and 7 do not exist; 3 and 4 are groups.
    for wt in [3u8, 4, 6, 7] {
        let mut bytes = Vec::new();
        wire::len_field(&mut bytes, 1, &alpine_bytes());
        wire::key(&mut bytes, 9, wt);
        refused(&format!("unknown field with wire type {wt}"), &bytes);
    }
}

#[test]
fn wrong_wire_types_inside_an_op() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("inputs as varint", {
            let mut b = Vec::new();
            wire::varint_field(&mut b, 1, 1);
            b
        }),
        ("exec as fixed32", {
            let mut b = Vec::new();
            wire::key(&mut b, 2, wire::I32);
            b.extend_from_slice(&[0; 4]);
            b
        }),
        ("input index as a message", {
            let mut input = Vec::new();
            wire::len_field(&mut input, 2, b"xx");
            let mut b = Vec::new();
            wire::len_field(&mut b, 1, &input);
            b
        }),
        ("end group without start", {
            let mut b = Vec::new();
            wire::key(&mut b, 15, 4);
            b
        }),
        ("unclosed group", {
            let mut b = Vec::new();
            wire::key(&mut b, 15, wire::START_GROUP);
            b
        }),
    ];
    for (what, op) in cases {
        let bytes = raw_definition(&[alpine_bytes(), op.clone()], &[]);
        let e = refused(what, &bytes);
        match &e {
            Error::Load(l) => {
                assert!(matches!(l.kind, LoadErrorKind::ParseOp(_)), "{what}: {e}");
                assert_eq!(l.op, Some((1, Digest::of(&op))), "{what}");
            }
            Error::Parse(_) => {
                panic!("{what}: the op's bytes are BuildKit's problem, at load: {e}")
            }
        }
    }
}

#[test]
fn absurd_lengths() {
    for len in [1u64 << 62, u64::MAX, u64::from(u32::MAX) + 1, 1 << 31] {
        // A def element claiming `len` bytes.
        let mut bytes = Vec::new();
        wire::key(&mut bytes, 1, wire::LEN);
        wire::varint(&mut bytes, len);
        bytes.extend_from_slice(b"tiny");
        let e = refused(&format!("def of {len} bytes"), &bytes);
        assert!(e.to_string().contains("byte 1"), "{e}");
        assert!(e.to_string().contains("runs past the end"), "{e}");

        // Metadata and Source claiming it, after a good op.
        for field in [2, 3] {
            let mut bytes = Vec::new();
            wire::len_field(&mut bytes, 1, &alpine_bytes());
            wire::key(&mut bytes, field, wire::LEN);
            wire::varint(&mut bytes, len);
            refused(&format!("field {field} of {len} bytes"), &bytes);
        }

        // Inside an op: its inputs claiming it.
        let mut op = Vec::new();
        wire::key(&mut op, 1, wire::LEN);
        wire::varint(&mut op, len);
        op.extend_from_slice(b"tiny");
        let e = refused("op field of absurd length", &raw_definition(&[op], &[]));
        assert!(e
            .to_string()
            .starts_with("failed to load LLB: failed to parse llb proto op: "));

        // Inside a metadata entry.
        let mut entry = Vec::new();
        wire::len_field(&mut entry, 1, Digest::of(b"x").as_str().as_bytes());
        wire::key(&mut entry, 2, wire::LEN);
        wire::varint(&mut entry, len);
        let mut bytes = Vec::new();
        wire::len_field(&mut bytes, 1, &alpine_bytes());
        wire::len_field(&mut bytes, 2, &entry);
        refused("metadata entry of absurd length", &bytes);
    }
}

#[test]
fn overlong_and_truncated_varints() {
    // An 11-byte varint as a length.
    let mut bytes = vec![0x0a];
    bytes.extend_from_slice(&[0xff; 10]);
    bytes.push(0x01);
    let e = refused("11-byte varint", &bytes);
    assert!(e.to_string().contains("varint longer than 10 bytes"), "{e}");
    // A varint cut off at the end.
    let e = refused("truncated varint", &[0x0a, 0x80]);
    assert!(e.to_string().contains("truncated varint"), "{e}");
    // A key that is all continuation bytes.
    refused("endless key", &[0x80; 64]);
    // Field number 0.
    refused("field 0", &[0x02, 0x00]);
}

#[test]
fn invalid_utf8_in_strings() {
    let base = image("alpine:latest");
    // In an op (an exec arg): a load error for that op. (BuildKit's own message differs; see
    // the ignored tests in loader_errors.rs.)
    let mut bad = encode_op(&exec(&testutil::digest(&base), &["ab~"]));
    let at = bad.windows(3).position(|w| w == b"ab~").expect("arg");
    bad[at + 2] = 0xff;
    let t = terminal(&Digest::of(&bad));
    let bytes = raw_definition(&[encode_op(&base), bad.clone(), encode_op(&t)], &[]);
    let e = refused("invalid UTF-8 in an exec arg", &bytes);
    assert!(e.to_string().contains("op 1"), "{e}");

    // In a source identifier and in an attr value.
    let mut src = Vec::new();
    wire::len_field(&mut src, 1, b"docker-image://\xc3\x28");
    let mut op = Vec::new();
    wire::len_field(&mut op, 3, &src);
    refused(
        "invalid UTF-8 in an identifier",
        &raw_definition(&[op.clone(), encode_op(&terminal(&Digest::of(&op)))], &[]),
    );

    // In a metadata key (the outer message).
    let mut entry = Vec::new();
    wire::len_field(&mut entry, 1, b"sha256:\xff\xfe");
    let mut bytes = Vec::new();
    wire::len_field(&mut bytes, 1, &alpine_bytes());
    wire::len_field(&mut bytes, 2, &entry);
    refused("invalid UTF-8 in a metadata key", &bytes);

    // In JSON.
    let mut json = br#"{"Op":{"Op":{"source":{"identifier":"docker-image://"#.to_vec();
    json.extend_from_slice(b"\xff\"}}},\"Digest\":\"\"}");
    refused("invalid UTF-8 in JSON", &json);
}

// ---------------------------------------------------------------------------------------------
// Deep nesting.

const DEEP: usize = 100_000;
/// The stack of a wasm32 module by default; the loader must not need more, whatever the depth.
const STACK: usize = 1 << 20;

#[test]
fn deeply_nested_build_op_definitions() {
    // Op.build -> BuildOp.def -> Definition.source -> Source.infos -> SourceInfo.definition ->
    // Definition.source -> … 100,000 levels down.
    let field_at = |level: usize| match level {
        0 => 5, // Op.build
        1 => 3, // BuildOp.def
        l => [3, 2, 3][(l - 2) % 3],
    };
    let op = wire::nested(DEEP, field_at, b"");
    let bytes = raw_definition(std::slice::from_ref(&op), &[]);
    let e = bounded(STACK, 60, move || match run(&bytes) {
        Outcome::Failed(e) => e,
        Outcome::Loaded(n) => panic!("loaded {n}"),
        Outcome::Panicked(m) => panic!("panicked: {m}"),
    });
    says_where(&e).expect("located");
    match &e {
        Error::Load(l) => {
            assert!(matches!(l.kind, LoadErrorKind::ParseOp(_)), "{e}");
            assert_eq!(l.op, Some((0, Digest::of(&op))));
        }
        Error::Parse(_) => panic!("{e}"),
    }
}

#[test]
fn deeply_nested_source_maps() {
    // Definition.source -> Source.infos -> SourceInfo.definition -> Definition.source -> …
    let nest = wire::nested(DEEP, |l| [3, 2, 3][l % 3], b"");
    let mut bytes = Vec::new();
    wire::len_field(&mut bytes, 1, &alpine_bytes());
    bytes.extend_from_slice(&nest);
    let e = bounded(STACK, 60, move || match run(&bytes) {
        Outcome::Failed(e) => e,
        Outcome::Loaded(n) => panic!("loaded {n}"),
        Outcome::Panicked(m) => panic!("panicked: {m}"),
    });
    says_where(&e).expect("located");
}

#[test]
fn deeply_nested_groups() {
    // 100,000 start-group tags of an unknown field inside an op.
    let mut op = Vec::new();
    for _ in 0..DEEP {
        wire::key(&mut op, 15, wire::START_GROUP);
    }
    let bytes = raw_definition(&[op], &[]);
    let e = bounded(STACK, 60, move || match run(&bytes) {
        Outcome::Failed(e) => e,
        Outcome::Loaded(n) => panic!("loaded {n}"),
        Outcome::Panicked(m) => panic!("panicked: {m}"),
    });
    says_where(&e).expect("located");
}

#[test]
fn deeply_nested_json() {
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // Arrays and objects.
    cases.push(("arrays", b"[".repeat(DEEP)));
    let mut arrays = b"[".repeat(DEEP);
    arrays.extend(b"]".repeat(DEEP));
    cases.push(("balanced arrays", arrays));
    // A dump-llb record with a BuildOp whose nested definition's source map nests 100k deep.
    let mut rec = br#"{"Op":{"Op":{"build":{"def":"#.to_vec();
    for _ in 0..DEEP / 3 {
        rec.extend_from_slice(br#"{"Source":{"infos":[{"definition":"#);
    }
    rec.extend_from_slice(b"{}");
    for _ in 0..DEEP / 3 {
        rec.extend_from_slice(b"}]}}");
    }
    rec.extend_from_slice(br#"}}}}"#);
    cases.push(("dump-llb build op", rec));
    // buildx's {"SLSA": …} wrapper, 100k times.
    let mut slsa = br#"{"SLSA":"#.repeat(DEEP);
    slsa.extend_from_slice(b"{}");
    slsa.extend(b"}".repeat(DEEP));
    cases.push(("SLSA wrappers", slsa));
    for (what, bytes) in cases {
        let e = bounded(STACK, 60, move || match run(&bytes) {
            Outcome::Failed(e) => e,
            Outcome::Loaded(n) => panic!("loaded {n}"),
            Outcome::Panicked(m) => panic!("panicked: {m}"),
        });
        if let Err(why) = says_where(&e) {
            panic!("{what}: {why}");
        }
    }
}

#[test]
fn nested_dsse_envelopes() {
    // Each level is {"payload": base64(<the level below>)}: the size grows by 4/3 per level,
    // so 40 levels is about as deep as a real file can get.
    use base64::Engine as _;
    let mut doc = br#"{"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}"#.to_vec();
    for _ in 0..40 {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&doc);
        doc = format!(r#"{{"payloadType":"application/vnd.in-toto+json","payload":"{b64}"}}"#)
            .into_bytes();
    }
    let e = bounded(STACK, 60, move || match run(&doc) {
        Outcome::Failed(e) => e,
        Outcome::Loaded(n) => panic!("loaded {n}"),
        Outcome::Panicked(m) => panic!("panicked: {m}"),
    });
    says_where(&e).expect("located");
    assert!(e.to_string().contains("buildConfig"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Cycles that JSON can spell (a digest covers its inputs, so binary input cannot).

fn exec_json(input: &str, arg: &str) -> String {
    format!(
        r#"{{"inputs":[{{"digest":"{input}"}}],"Op":{{"exec":{{"meta":{{"args":["{arg}"]}},"mounts":[{{"dest":"/"}}]}}}}}}"#
    )
}

fn dump_llb(records: &[(String, &str)]) -> Vec<u8> {
    records
        .iter()
        .map(|(op, digest)| format!(r#"{{"Op":{op},"Digest":"{digest}","OpMetadata":null}}"#))
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

fn fake(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

#[track_caller]
fn assert_cycle(what: &str, bytes: Vec<u8>) {
    let e = bounded(8 << 20, 30, move || match run(&bytes) {
        Outcome::Failed(e) => e,
        Outcome::Loaded(n) => panic!("loaded {n}"),
        Outcome::Panicked(m) => panic!("panicked: {m}"),
    });
    says_where(&e).expect("located");
    match &e {
        Error::Load(l) => {
            assert!(matches!(l.kind, LoadErrorKind::Cycle(_)), "{what}: {e}");
            assert!(
                e.to_string()
                    .contains("invalid LLB: input cycle through sha256:"),
                "{what}: {e}"
            );
        }
        Error::Parse(_) => panic!("{what}: {e}"),
    }
}

#[test]
fn a_two_op_cycle_in_dump_llb_json() {
    let (a, b, t) = (fake('a'), fake('b'), fake('f'));
    let records = [
        (exec_json(&b, "a"), a.as_str()),
        (exec_json(&a, "b"), b.as_str()),
        (format!(r#"{{"inputs":[{{"digest":"{a}"}}]}}"#), t.as_str()),
    ];
    assert_cycle("a <-> b", dump_llb(&records));
}

#[test]
fn a_self_loop_and_an_unreachable_cycle() {
    let (a, b, c, s, t) = (fake('a'), fake('b'), fake('c'), fake('5'), fake('f'));
    // a's input is a.
    let records = [
        (exec_json(&a, "a"), a.as_str()),
        (format!(r#"{{"inputs":[{{"digest":"{a}"}}]}}"#), t.as_str()),
    ];
    assert_cycle("self loop", dump_llb(&records));
    // b <-> c, not reachable from the target (a source): every op is re-digested, so found.
    let source =
        r#"{"Op":{"source":{"identifier":"docker-image://docker.io/library/alpine:latest"}}}"#;
    let records = [
        (source.to_string(), s.as_str()),
        (exec_json(&c, "b"), b.as_str()),
        (exec_json(&b, "c"), c.as_str()),
        (format!(r#"{{"inputs":[{{"digest":"{s}"}}]}}"#), t.as_str()),
    ];
    assert_cycle("unreachable b <-> c", dump_llb(&records));
}

#[test]
fn a_cycle_through_the_terminal() {
    let (a, t) = (fake('a'), fake('f'));
    let records = [
        (exec_json(&t, "a"), a.as_str()),
        (format!(r#"{{"inputs":[{{"digest":"{a}"}}]}}"#), t.as_str()),
    ];
    assert_cycle("a -> terminal -> a", dump_llb(&records));
}

#[test]
fn a_long_cycle() {
    let n = 20_000;
    let names: Vec<String> = (0..n).map(|i| format!("sha256:{i:064x}")).collect();
    let mut records: Vec<(String, &str)> = (0..n)
        .map(|i| {
            (
                exec_json(&names[(i + 1) % n], &i.to_string()),
                names[i].as_str(),
            )
        })
        .collect();
    let t = fake('f');
    records.push((
        format!(r#"{{"inputs":[{{"digest":"{}"}}]}}"#, names[0]),
        t.as_str(),
    ));
    assert_cycle("20,000-op ring", dump_llb(&records));
}

#[test]
fn a_cycle_in_convertllb_json() {
    let (a, b, t) = (fake('a'), fake('b'), fake('f'));
    let json = format!(
        r#"{{"def":{{"{a}":{},"{b}":{},"{t}":{{"inputs":[{{"digest":"{a}"}}]}}}}}}"#,
        exec_json(&b, "a"),
        exec_json(&a, "b")
    );
    assert_cycle("convertllb a <-> b", json.into_bytes());
}

#[test]
fn a_cycle_in_provenance() {
    // Older provenance names inputs inside the op; digestMapping pins each step's digest.
    let (x, y) = (fake('a'), fake('b'));
    let step = |id: &str, op: String| format!(r#"{{"id":"{id}","op":{op}}}"#);
    let json = format!(
        r#"{{"predicateType":"https://slsa.dev/provenance/v0.2","predicate":{{"buildConfig":{{"llbDefinition":[{},{},{}],"digestMapping":{{"{x}":"step0","{y}":"step1"}}}}}}}}"#,
        step("step0", exec_json(&y, "a")),
        step("step1", exec_json(&x, "b")),
        step("step2", format!(r#"{{"inputs":[{{"digest":"{x}"}}]}}"#)),
    );
    assert_cycle("provenance step0 <-> step1", json.into_bytes());
}
