//! `solver::cachemap` on what the corpus lacks: diff and passthrough ops, cache-mount id and
//! sharing clearing, `ContentCache`, owners by name, Go's JSON escaping, non-default file
//! indexes, platform normalization, pinned images with a layer limit, and the default model's
//! content checksum stand-in. Expected pre-images are written out by hand from BuildKit's rules
//! (`testdata/cachemaps/README.md`).

use llbsim::llb::{pb, Digest};
use llbsim::solver::cachemap::{cache_map, gojson::J};
use llbsim::solver::ops::{CacheMap, CacheMapDep, StubOps};
use llbsim::solver::Variant;

fn op(kind: pb::OpKind, inputs: usize) -> pb::Op {
    pb::Op {
        inputs: (0..inputs)
            .map(|i| pb::Input {
                digest: format!("sha256:{:064x}", i),
                index: 0,
            })
            .collect(),
        op: Some(kind),
        platform: Some(platform("linux", "amd64", "")),
        constraints: None,
    }
}

fn platform(os: &str, arch: &str, variant: &str) -> pb::Platform {
    pb::Platform {
        os: os.into(),
        architecture: arch.into(),
        variant: variant.into(),
        ..Default::default()
    }
}

/// The pre-image is what was hashed, and the digest is its sha256.
fn exact(cm: &CacheMap, preimage: &str) {
    assert!(cm.basis.exact, "{:?}", cm.basis);
    assert_eq!(cm.basis.preimage, preimage);
    assert_eq!(cm.digest, Digest::of(preimage.as_bytes()).to_string());
}

fn mount(input: i64, dest: &str, output: i64) -> pb::Mount {
    pb::Mount {
        input,
        dest: dest.into(),
        output,
        ..Default::default()
    }
}

fn exec(mounts: Vec<pb::Mount>, inputs: usize) -> pb::Op {
    let e = pb::ExecOp {
        meta: Some(pb::Meta {
            args: vec!["true".into()],
            ..Default::default()
        }),
        mounts,
        ..Default::default()
    };
    op(pb::OpKind::Exec(e), inputs)
}

const EXEC_TAIL: &str = r#","OS":"linux","Arch":"amd64"}"#;

#[test]
fn diff_op() {
    let d = |lower: i64, upper: i64| {
        pb::OpKind::Diff(pb::DiffOp {
            lower: Some(pb::LowerDiffInput { input: lower }),
            upper: Some(pb::UpperDiffInput { input: upper }),
        })
    };
    let cm = cache_map(&op(d(0, 1), 2));
    exact(
        &cm,
        r#"{"Type":"buildkit.diff.v0","Diff":{"lower":{},"upper":{"input":1}}}"#,
    );
    assert_eq!(cm.deps, vec![CacheMapDep::default(); 2]);
    let cm = cache_map(&op(d(-1, 0), 1));
    exact(
        &cm,
        r#"{"Type":"buildkit.diff.v0","Diff":{"lower":{"input":-1},"upper":{}}}"#,
    );
    assert_eq!(cm.deps.len(), 1);
}

#[test]
fn passthrough_op() {
    let p = pb::OpKind::Passthrough(pb::PassthroughOp {
        id: "a<b".into(),
        outputs: vec![0, 2],
    });
    let cm = cache_map(&op(p, 3));
    exact(
        &cm,
        r#"{"Type":"buildkit.passthrough.v0","Passthrough":{"id":"a\u003cb","outputs":[0,2]}}"#,
    );
    assert_eq!(cm.deps, vec![CacheMapDep::default(); 3]);
}

#[test]
fn merge_deps_follow_the_merge_inputs() {
    let m = pb::OpKind::Merge(pb::MergeOp {
        inputs: vec![pb::MergeInput { input: 0 }, pb::MergeInput { input: 1 }],
    });
    let cm = cache_map(&op(m, 2));
    exact(
        &cm,
        r#"{"Type":"buildkit.merge.v0","Merge":{"inputs":[{},{"input":1}]}}"#,
    );
    assert_eq!(cm.deps.len(), 2);
}

fn cache_mount(id: &str, dest: &str, sharing: i32) -> pb::Mount {
    pb::Mount {
        mount_type: pb::MountType::Cache as i32,
        cache_opt: Some(pb::CacheOpt {
            id: id.into(),
            sharing,
        }),
        ..mount(-1, dest, -1)
    }
}

#[test]
fn cache_mount_id_and_sharing() {
    let run = |m: pb::Mount| cache_map(&exec(vec![mount(0, "/", 0), m], 1));
    let head =
        r#"{"Type":"buildkit.exec.v0","Exec":{"meta":{"args":["true"]},"mounts":[{"dest":"/"},"#;
    // The Dockerfile default (id = dest, shared) and a namespaced one keep their options.
    let cm = run(cache_mount("/root/.cache", "/root/.cache", 0));
    let kept = r#"{"input":-1,"dest":"/root/.cache","output":-1,"mountType":3,"cacheOpt":{"ID":"/root/.cache"}}]}"#;
    exact(&cm, &format!("{head}{kept}{EXEC_TAIL}"));
    assert!(!cm.basis.cleared.iter().any(|c| c.contains("cacheOpt")));
    let cm = run(cache_mount("ns//root/.cache", "/root/.cache", 0));
    assert!(cm
        .basis
        .preimage
        .contains(r#""cacheOpt":{"ID":"ns//root/.cache"}"#));
    // A custom id, or private or locked sharing, is cleared: the options serialize as `{}`.
    let cleared = r#"{"input":-1,"dest":"/root/.cache","output":-1,"mountType":3,"cacheOpt":{}}]}"#;
    for (id, sharing) in [("mycache", 0), ("/root/.cache", 1), ("/root/.cache", 2)] {
        let cm = run(cache_mount(id, "/root/.cache", sharing));
        exact(&cm, &format!("{head}{cleared}{EXEC_TAIL}"));
        assert!(
            cm.basis
                .cleared
                .iter()
                .any(|c| c.starts_with("cacheOpt.ID/sharing of mount 1")),
            "{:?}",
            cm.basis.cleared
        );
    }
}

#[test]
fn cache_mount_with_an_input_counts_as_a_dep() {
    let mut m = cache_mount("c", "/c", 0);
    m.input = 1;
    m.selector = "sub".into();
    let cm = cache_map(&exec(vec![mount(0, "/", 0), m], 2));
    assert_eq!(cm.deps[1].paths, vec!["/sub"]);
    assert_eq!(
        cm.deps[1].selector,
        Digest::of(b"/sub").to_string(),
        "{:?}",
        cm.deps
    );
    // Writable, with an output of -1: content-based.
    assert!(cm.deps[1].content && cm.deps[1].preprocess);
}

#[test]
fn content_cache_on_off_and_the_last_mount_decides() {
    let ro = |sel: &str, dest: &str, cc: pb::MountContentCache| pb::Mount {
        selector: sel.into(),
        readonly: true,
        content_cache: cc as i32,
        ..mount(1, dest, -1)
    };
    let base = || mount(0, "/", 0);
    let cm = cache_map(&exec(
        vec![base(), ro("src", "/src", pb::MountContentCache::Default)],
        2,
    ));
    assert!(cm.deps[1].content);
    assert!(
        !cm.deps[0].content,
        "a root mount is never content-based by default"
    );
    assert_eq!(cm.deps[0].selector, Digest::of(b"/").to_string());
    let cm = cache_map(&exec(
        vec![base(), ro("src", "/src", pb::MountContentCache::Off)],
        2,
    ));
    assert!(!cm.deps[1].content && cm.basis.exact);
    let cm = cache_map(&exec(
        vec![base(), ro("src", "/src", pb::MountContentCache::On)],
        2,
    ));
    assert!(cm.deps[1].content);
    // ON on a writable partial mount with an output: BuildKit's CacheMap fails.
    let mut bad = ro("src", "/src", pb::MountContentCache::On);
    bad.readonly = false;
    bad.output = 1;
    let cm = cache_map(&exec(vec![base(), bad], 2));
    assert!(!cm.basis.exact);
    assert!(
        cm.basis.stand_in.contains("invalid mount cache content"),
        "{}",
        cm.basis.stand_in
    );
    // Two mounts of input 1: both selectors (mount order, duplicates kept), last one decides.
    let cm = cache_map(&exec(
        vec![
            base(),
            ro("a", "/a", pb::MountContentCache::Default),
            ro("a", "/b", pb::MountContentCache::Off),
        ],
        2,
    ));
    assert_eq!(cm.deps[1].paths, vec!["/a", "/a"]);
    assert_eq!(cm.deps[1].selector, Digest::of(b"/a\0/a").to_string());
    assert!(!cm.deps[1].content);
}

#[test]
fn exec_clears_what_never_counts() {
    let mut o = exec(
        vec![pb::Mount {
            selector: "x".into(),
            ..mount(0, "/", 0)
        }],
        1,
    );
    if let Some(pb::OpKind::Exec(e)) = &mut o.op {
        let m = e.meta.as_mut().expect("meta");
        m.args = vec![
            "sh".into(),
            "-c".into(),
            "a<b && c>d\u{2028}\u{1}\t\"".into(),
        ];
        m.proxy_env = Some(pb::ProxyEnv {
            http_proxy: "http://p".into(),
            ..Default::default()
        });
        m.extra_hosts = vec![pb::HostIp {
            host: "h".into(),
            ip: "10.0.0.1".into(),
        }];
    }
    let cm = cache_map(&o);
    exact(
        &cm,
        &format!(
            "{}{}",
            r#"{"Type":"buildkit.exec.v0","Exec":{"meta":{"args":["sh","-c","a\u003cb \u0026\u0026 c\u003ed\u2028\u0001\t\""],"extraHosts":[{"Host":"h"}]}}"#,
            EXEC_TAIL
        ),
    );
    let cleared = cm.basis.cleared.join("\n");
    for want in [
        "mounts[0].selector",
        "meta.proxy_env",
        "meta.extraHosts[0].IP",
        "mounts (a lone writable root bind mount is dropped: legacy)",
    ] {
        assert!(cleared.contains(want), "{cleared}");
    }
    assert!(cm.basis.counted.iter().any(|c| c == "meta.args"));
    // The root selector went to the dep, not the digest.
    assert_eq!(cm.deps[0].paths, vec!["/x"]);
}

#[test]
fn go_json_escapes_invalid_utf8_per_byte() {
    let v = J::Str(b"a\xff\xe2\x82<\x7f".to_vec());
    assert_eq!(v.to_go_string(), "\"a\\ufffd\\ufffd\\ufffd\\u003c\x7f\"");
}

fn owner(name: &str, input: i64) -> Option<pb::UserOpt> {
    Some(pb::UserOpt {
        user: Some(pb::UserOptKind::ByName(pb::NamedUserOpt {
            name: name.into(),
            input,
        })),
    })
}

fn mkdir_action(
    input: i64,
    user: Option<pb::UserOpt>,
    group: Option<pb::UserOpt>,
) -> pb::FileAction {
    pb::FileAction {
        input,
        secondary_input: -1,
        output: 0,
        action: Some(pb::FileActionKind::Mkdir(pb::FileActionMkDir {
            path: "/d".into(),
            mode: 0o755,
            owner: Some(pb::ChownOpt { user, group }),
            ..Default::default()
        })),
    }
}

fn file(actions: Vec<pb::FileAction>, inputs: usize) -> pb::Op {
    let mut o = op(pb::OpKind::File(pb::FileOp { actions }), inputs);
    o.platform = None;
    o
}

#[test]
fn owners_by_name_select_passwd_and_group() {
    // On scratch, the owner's input 0 is only read for its passwd and group files.
    let cm = cache_map(&file(
        vec![mkdir_action(-1, owner("app", 0), owner("staff", 0))],
        1,
    ));
    assert_eq!(cm.deps[0].paths, vec!["/etc/passwd", "/etc/group"]);
    assert_eq!(
        cm.deps[0].selector,
        Digest::of(b"/etc/passwd\0/etc/group").to_string()
    );
    assert!(cm.deps[0].content && cm.deps[0].preprocess);
    let action = r#"{"path":"/d","mode":493,"owner":{"user":{"User":{"byName":{"name":"app"}}},"group":{"User":{"byName":{"name":"staff"}}}}}"#;
    let b64 = base64_std(action.as_bytes());
    exact(
        &cm,
        &format!(r#"{{"Type":"buildkit.file.v0","Actions":["{b64}"],"indexes":[[-1,-1,0]]}}"#),
    );
    // The action's own input cannot be selected.
    let cm = cache_map(&file(vec![mkdir_action(0, owner("app", 0), None)], 1));
    assert_eq!(
        cm.deps[0],
        CacheMapDep {
            preprocess: true,
            ..Default::default()
        }
    );
    // A negative input stops processOwner: the group is not looked at either.
    let cm = cache_map(&file(
        vec![mkdir_action(-1, owner("app", -1), owner("staff", 0))],
        1,
    ));
    assert!(cm.deps[0].paths.is_empty() && cm.basis.exact);
    // By ID: `byId` 0 is omitted.
    let root = Some(pb::UserOpt {
        user: Some(pb::UserOptKind::ById(0)),
    });
    let cm = cache_map(&file(vec![mkdir_action(0, root, None)], 1));
    let action = r#"{"path":"/d","mode":493,"owner":{"user":{"User":{}}}}"#;
    exact(
        &cm,
        &format!(
            r#"{{"Type":"buildkit.file.v0","Actions":["{}"]}}"#,
            base64_std(action.as_bytes())
        ),
    );
}

#[test]
fn copy_source_goes_to_the_selector_and_indexes_when_not_default() {
    let copy = |input, secondary, output, src: &str| pb::FileAction {
        input,
        secondary_input: secondary,
        output,
        action: Some(pb::FileActionKind::Copy(pb::FileActionCopy {
            src: src.into(),
            dest: "/out/".into(),
            mode: -1,
            timestamp: -1,
            ..Default::default()
        })),
    };
    // Both actions produce outputs: not the default chain, so indexes are hashed.
    let cm = cache_map(&file(
        vec![copy(0, 1, 0, "/src/"), copy(0, 1, 1, "/b/c.txt")],
        2,
    ));
    let act = |src: &str| {
        base64_std(
            format!(r#"{{"src":"{src}","dest":"/out/","mode":-1,"timestamp":-1}}"#).as_bytes(),
        )
    };
    exact(
        &cm,
        &format!(
            r#"{{"Type":"buildkit.file.v0","Actions":["{}","{}"],"indexes":[[0,1,0],[0,1,1]]}}"#,
            act("src"),
            act("c.txt")
        ),
    );
    // Input 0 is an action's input (no selector); input 1 has both sources, descending.
    assert_eq!(cm.deps[0].selector, "");
    assert_eq!(cm.deps[1].paths, vec!["/src/", "/b/c.txt"]);
    assert!(cm
        .basis
        .cleared
        .iter()
        .any(|c| c.contains(r#""/src/" -> "src""#)));
    // The default chain: the indexes are left out.
    let cm = cache_map(&file(vec![copy(0, 1, -1, "a"), copy(2, -1, 0, "b")], 2));
    assert!(
        !cm.basis.preimage.contains("indexes"),
        "{}",
        cm.basis.preimage
    );
}

#[test]
fn mkfile_data_is_base64_inside_base64() {
    let a = pb::FileAction {
        input: 0,
        secondary_input: -1,
        output: 0,
        action: Some(pb::FileActionKind::Mkfile(pb::FileActionMkFile {
            path: "/f".into(),
            mode: 0o644,
            data: b"hi\n".to_vec(),
            timestamp: -1,
            ..Default::default()
        })),
    };
    let cm = cache_map(&file(vec![a], 1));
    let inner = r#"{"path":"/f","mode":420,"data":"aGkK","timestamp":-1}"#;
    exact(
        &cm,
        &format!(
            r#"{{"Type":"buildkit.file.v0","Actions":["{}"]}}"#,
            base64_std(inner.as_bytes())
        ),
    );
}

#[test]
fn exec_platform_is_normalized() {
    for ((arch, variant), shown, tail) in [
        (
            ("x86_64", ""),
            "linux/amd64",
            r#""OS":"linux","Arch":"amd64"}"#,
        ),
        (
            ("aarch64", ""),
            "linux/arm64",
            r#""OS":"linux","Arch":"arm64"}"#,
        ),
        (
            ("arm64", "v8"),
            "linux/arm64",
            r#""OS":"linux","Arch":"arm64"}"#,
        ),
        (
            ("arm", ""),
            "linux/arm/v7",
            r#""OS":"linux","Arch":"arm","Variant":"v7"}"#,
        ),
    ] {
        let mut o = exec(vec![mount(0, "/", 0)], 1);
        o.platform = Some(platform("Linux", arch, variant));
        let cm = cache_map(&o);
        assert_eq!(cm.basis.platform.as_deref(), Some(shown));
        assert!(cm.basis.preimage.ends_with(tail), "{}", cm.basis.preimage);
    }
    // No platform: the daemon's default.
    let mut o = exec(vec![mount(0, "/", 0)], 1);
    o.platform = None;
    assert!(cache_map(&o).basis.preimage.ends_with(EXEC_TAIL));
}

fn image(identifier: &str, attrs: &[(&str, &str)], p: pb::Platform) -> pb::Op {
    let mut o = op(
        pb::OpKind::Source(pb::SourceOp {
            identifier: identifier.into(),
            attrs: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }),
        0,
    );
    o.platform = Some(p);
    o
}

#[test]
fn pinned_image_with_variant_and_layer_limit() {
    let pin = format!("sha256:{}", "ab".repeat(32));
    let id = format!("docker-image://docker.io/library/alpine:3@{pin}");
    let cm = cache_map(&image(
        &id,
        &[("image.layerlimit", "2")],
        platform("linux", "arm", ""),
    ));
    let json =
        format!(r#"{{"Digest":"{pin}","OS":"linux","Arch":"arm","Variant":"v7","Limit":2}}"#);
    let key = Digest::of(json.as_bytes()).to_string();
    exact(&cm, &format!("buildkit.source.v0:{key}"));
    assert!(cm.deps.is_empty());
    assert_eq!(cm.basis.platform.as_deref(), Some("linux/arm/v7"));
    // A bad layer limit or a checksum that is not the pin: the source would fail.
    for attrs in [
        [("image.layerlimit", "0")],
        [("image.checksum", "sha256:00")],
    ] {
        let cm = cache_map(&image(&id, &attrs, platform("linux", "amd64", "")));
        assert!(!cm.basis.exact && cm.basis.stand_in.contains("would fail"));
    }
}

#[test]
fn other_sources_are_stand_ins() {
    for (id, why) in [
        ("docker-image://docker.io/library/alpine:latest", "registry"),
        ("local://context", "session"),
        ("git://github.com/moby/buildkit", "git"),
        ("https://example.com/x", "network"),
        ("oci-layout://store", "session"),
        ("weird://x", "not modelled"),
    ] {
        let cm = cache_map(&image(id, &[], platform("linux", "amd64", "")));
        assert!(
            !cm.basis.exact && cm.basis.stand_in.contains(why),
            "{id}: {:?}",
            cm.basis
        );
        assert_eq!(
            cm.digest,
            cache_map(&image(id, &[], platform("linux", "amd64", ""))).digest
        );
    }
}

#[test]
fn default_content_checksum_follows_result_and_paths() {
    let ops = StubOps::new(Variant::Default);
    let dep = |paths: &[&str]| CacheMapDep {
        content: true,
        paths: paths.iter().map(|p| p.to_string()).collect(),
        ..Default::default()
    };
    let a = ops.content_digest("r1", Some(&dep(&["/a", "/a/b"])));
    assert_eq!(
        a,
        ops.content_digest("r1", Some(&dep(&["/a"]))),
        "deduplicated paths"
    );
    assert_ne!(a, ops.content_digest("r2", Some(&dep(&["/a"]))));
    assert_ne!(a, ops.content_digest("r1", Some(&dep(&["/b"]))));
    // The oracle's contracts hash the result ID alone, whatever the dep.
    for v in [Variant::Plain, Variant::Content] {
        let o = StubOps::new(v);
        let want = Digest::of(b"oracle-content:r1").to_string();
        assert_eq!(o.content_digest("r1", Some(&dep(&["/a"]))), want);
        assert_eq!(o.content_digest("r1", None), want);
    }
}

fn base64_std(b: &[u8]) -> String {
    J::Bytes(b.to_vec())
        .to_go_string()
        .trim_matches('"')
        .to_string()
}
