//! Field-level differences between two paired ops, named as a Dockerfile author knows them.
//!
//! An input that points at another (changed) vertex is not a field change: that is the cascade.
//! What is reported about inputs is their wiring: a different number of inputs, a different
//! output index, or a slot now fed by a vertex paired with something other than the A op's input
//! at that slot.

use std::collections::{BTreeMap, BTreeSet};

use super::align::Alignment;
use crate::graph::{Graph, VertexId};
use crate::llb::pb;

/// The field name of a custom-name difference: reported, but never a reason to be a root cause
/// (`llb.customname` is metadata, outside the digest).
pub const CUSTOM_NAME: &str = "custom name";

/// One field that differs. `None` means "not set" on that side.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// What differs, in Dockerfile terms (`env VERSION`, `args`, `mount /root/.cache type`).
    pub field: String,
    /// The A value.
    pub old: Option<String>,
    /// The B value.
    pub new: Option<String>,
    /// For an env change: the `ENV`/`ARG` line above the step that declares the variable
    /// (`Dockerfile:3: ENV …`), found in B's Dockerfile text; a guess, absent without a source map.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared: Option<String>,
}

#[derive(Default)]
struct Diff(Vec<Change>);

impl Diff {
    fn cmp(&mut self, field: impl Into<String>, old: impl ToString, new: impl ToString) {
        let (old, new) = (old.to_string(), new.to_string());
        if old != new {
            self.0.push(Change {
                field: field.into(),
                old: Some(old),
                new: Some(new),
                declared: None,
            });
        }
    }

    fn opt(&mut self, field: impl Into<String>, old: Option<String>, new: Option<String>) {
        if old != new {
            self.0.push(Change {
                field: field.into(),
                old,
                new,
                declared: None,
            });
        }
    }

    /// Per key of two maps.
    fn map(
        &mut self,
        prefix: &str,
        old: &BTreeMap<String, String>,
        new: &BTreeMap<String, String>,
    ) {
        let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for k in keys {
            self.opt(
                format!("{prefix} {k}"),
                old.get(k).cloned(),
                new.get(k).cloned(),
            );
        }
    }
}

/// The differences between A's `av` and B's `bv`.
pub fn diff(a: &Graph, av: VertexId, b: &Graph, bv: VertexId, al: &Alignment) -> Vec<Change> {
    let (x, y) = (a.vertex(av), b.vertex(bv));
    let mut d = Diff::default();
    d.cmp("op kind", x.kind().as_str(), y.kind().as_str());
    match (&x.op.op, &y.op.op) {
        (Some(pb::OpKind::Exec(e)), Some(pb::OpKind::Exec(f))) => exec(&mut d, e, f),
        (Some(pb::OpKind::Source(s)), Some(pb::OpKind::Source(t))) => source(&mut d, s, t),
        (Some(pb::OpKind::File(s)), Some(pb::OpKind::File(t))) => file(&mut d, s, t),
        (Some(s), Some(t)) if x.kind() == y.kind() => d.cmp("op", fmt_op(s), fmt_op(t)),
        _ => {}
    }
    d.cmp(
        "platform",
        platform(&x.op.platform),
        platform(&y.op.platform),
    );
    let cons = |c: &Option<pb::WorkerConstraints>| {
        c.as_ref().map(|c| c.filter.join(", ")).unwrap_or_default()
    };
    d.cmp(
        "constraints",
        cons(&x.op.constraints),
        cons(&y.op.constraints),
    );
    let custom = |v: &crate::graph::Vertex| v.metadata.description.get("llb.customname").cloned();
    d.opt(CUSTOM_NAME, custom(x), custom(y));
    inputs(&mut d, a, av, b, bv, al);
    d.0
}

fn fmt_op(k: &pb::OpKind) -> String {
    format!("{k:?}")
}

fn platform(p: &Option<pb::Platform>) -> String {
    match p {
        None => String::new(),
        Some(p) if p.variant.is_empty() => format!("{}/{}", p.os, p.architecture),
        Some(p) => format!("{}/{}/{}", p.os, p.architecture, p.variant),
    }
}

fn inputs(d: &mut Diff, a: &Graph, av: VertexId, b: &Graph, bv: VertexId, al: &Alignment) {
    let (x, y) = (a.vertex(av), b.vertex(bv));
    d.cmp("inputs", x.inputs.len(), y.inputs.len());
    for (slot, (ai, bi)) in x.inputs.iter().zip(&y.inputs).enumerate() {
        d.cmp(format!("input {slot} output"), ai.index, bi.index);
        let paired = al.pair.get(bi.vertex.index()).copied().flatten();
        if let Some((was, _)) = paired {
            if was != ai.vertex {
                d.cmp(
                    format!("input {slot}"),
                    &a.vertex(ai.vertex).name,
                    &b.vertex(bi.vertex).name,
                );
            }
        }
    }
}

fn env_map(env: &[String]) -> BTreeMap<String, String> {
    env.iter()
        .map(|e| match e.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (e.clone(), String::new()),
        })
        .collect()
}

fn exec(d: &mut Diff, e: &pb::ExecOp, f: &pb::ExecOp) {
    let none = pb::Meta::default();
    let (m, n) = (
        e.meta.as_ref().unwrap_or(&none),
        f.meta.as_ref().unwrap_or(&none),
    );
    d.cmp("args", m.args.join(" "), n.args.join(" "));
    d.map("env", &env_map(&m.env), &env_map(&n.env));
    d.cmp("cwd", &m.cwd, &n.cwd);
    d.cmp("user", &m.user, &n.user);
    d.cmp("hostname", &m.hostname, &n.hostname);
    let hosts = |m: &pb::Meta| {
        let v: Vec<String> = m
            .extra_hosts
            .iter()
            .map(|h| format!("{}:{}", h.host, h.ip))
            .collect();
        v.join(", ")
    };
    d.cmp("add-host", hosts(m), hosts(n));
    let ulimits = |m: &pb::Meta| {
        let v: Vec<String> = m
            .ulimit
            .iter()
            .map(|u| format!("{}={}:{}", u.name, u.soft, u.hard))
            .collect();
        v.join(", ")
    };
    d.cmp("ulimit", ulimits(m), ulimits(n));
    d.cmp("cgroup parent", &m.cgroup_parent, &n.cgroup_parent);
    d.cmp(
        "proxy env",
        format!("{:?}", m.proxy_env),
        format!("{:?}", n.proxy_env),
    );
    d.cmp(
        "valid exit codes",
        format!("{:?}", m.valid_exit_codes),
        format!("{:?}", n.valid_exit_codes),
    );
    d.cmp("network", net(e.network), net(f.network));
    d.cmp("security", security(e.security), security(f.security));
    let secrets = |e: &pb::ExecOp| -> BTreeMap<String, String> {
        e.secretenv
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    format!("id={} optional={}", s.id, s.optional),
                )
            })
            .collect()
    };
    d.map("secret env", &secrets(e), &secrets(f));
    let cdi = |e: &pb::ExecOp| {
        let v: Vec<&str> = e.cdi_devices.iter().map(|c| c.name.as_str()).collect();
        v.join(", ")
    };
    d.cmp("devices", cdi(e), cdi(f));
    mounts(d, &e.mounts, &f.mounts);
}

fn net(n: i32) -> &'static str {
    match pb::NetMode::try_from(n) {
        Ok(pb::NetMode::Unset) => "default",
        Ok(pb::NetMode::Host) => "host",
        Ok(pb::NetMode::None) => "none",
        Err(_) => "unknown",
    }
}

fn security(s: i32) -> &'static str {
    match pb::SecurityMode::try_from(s) {
        Ok(pb::SecurityMode::Sandbox) => "sandbox",
        Ok(pb::SecurityMode::Insecure) => "insecure",
        Err(_) => "unknown",
    }
}

fn mount_type(t: i32) -> &'static str {
    match pb::MountType::try_from(t) {
        Ok(pb::MountType::Bind) => "bind",
        Ok(pb::MountType::Secret) => "secret",
        Ok(pb::MountType::Ssh) => "ssh",
        Ok(pb::MountType::Cache) => "cache",
        Ok(pb::MountType::Tmpfs) => "tmpfs",
        Err(_) => "unknown",
    }
}

fn sharing(s: i32) -> &'static str {
    match pb::CacheSharingOpt::try_from(s) {
        Ok(pb::CacheSharingOpt::Shared) => "shared",
        Ok(pb::CacheSharingOpt::Private) => "private",
        Ok(pb::CacheSharingOpt::Locked) => "locked",
        Err(_) => "unknown",
    }
}

/// A mount in one line, for a mount only one side has.
fn mount_summary(m: &pb::Mount) -> String {
    let mut s = format!("type={}", mount_type(m.mount_type));
    if let Some(c) = &m.cache_opt {
        s.push_str(&format!(",id={},sharing={}", c.id, sharing(c.sharing)));
    }
    if let Some(c) = &m.secret_opt {
        s.push_str(&format!(",id={}", c.id));
    }
    if let Some(c) = &m.ssh_opt {
        s.push_str(&format!(",id={}", c.id));
    }
    if !m.selector.is_empty() {
        s.push_str(&format!(",source={}", m.selector));
    }
    if m.readonly {
        s.push_str(",readonly");
    }
    s
}

fn mounts(d: &mut Diff, old: &[pb::Mount], new: &[pb::Mount]) {
    let by_dest = |ms: &[pb::Mount]| -> BTreeMap<String, pb::Mount> {
        ms.iter().map(|m| (m.dest.clone(), m.clone())).collect()
    };
    let (o, n) = (by_dest(old), by_dest(new));
    let dests: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    for dest in dests {
        let f = |what: &str| format!("mount {dest} {what}").trim_end().to_string();
        match (o.get(dest), n.get(dest)) {
            (Some(m), Some(k)) => {
                d.cmp(
                    f("type"),
                    mount_type(m.mount_type),
                    mount_type(k.mount_type),
                );
                d.cmp(f("source"), &m.selector, &k.selector);
                d.cmp(f("readonly"), m.readonly, k.readonly);
                d.cmp(f("from scratch"), m.input < 0, k.input < 0);
                d.cmp(f("output"), m.output, k.output);
                let cid = |m: &pb::Mount| m.cache_opt.as_ref().map(|c| c.id.clone());
                d.opt(f("cache id"), cid(m), cid(k));
                let csh =
                    |m: &pb::Mount| m.cache_opt.as_ref().map(|c| sharing(c.sharing).to_string());
                d.opt(f("sharing"), csh(m), csh(k));
                let sec = |m: &pb::Mount| {
                    m.secret_opt.as_ref().map(|s| {
                        format!(
                            "id={} uid={} gid={} mode={:o} optional={}",
                            s.id, s.uid, s.gid, s.mode, s.optional
                        )
                    })
                };
                d.opt(f("secret"), sec(m), sec(k));
                let ssh = |m: &pb::Mount| {
                    m.ssh_opt.as_ref().map(|s| {
                        format!(
                            "id={} uid={} gid={} mode={:o} optional={}",
                            s.id, s.uid, s.gid, s.mode, s.optional
                        )
                    })
                };
                d.opt(f("ssh"), ssh(m), ssh(k));
                let tmp = |m: &pb::Mount| m.tmpfs_opt.as_ref().map(|t| t.size.to_string());
                d.opt(f("tmpfs size"), tmp(m), tmp(k));
                d.cmp(f("content cache"), m.content_cache, k.content_cache);
            }
            (m, k) => d.opt(f(""), m.map(mount_summary), k.map(mount_summary)),
        }
    }
}

/// `docker-image://repo:tag@sha256:…` split into the reference and its pin.
fn image_pin(id: &str) -> Option<(&str, &str)> {
    let rest = id.strip_prefix("docker-image://")?;
    Some(match rest.split_once('@') {
        Some((r, pin)) => (r, pin),
        None => (rest, ""),
    })
}

fn source(d: &mut Diff, s: &pb::SourceOp, t: &pb::SourceOp) {
    match (image_pin(&s.identifier), image_pin(&t.identifier)) {
        (Some((r, p)), Some((q, o))) => {
            d.cmp("image", r, q);
            d.cmp("image pin", p, o);
        }
        _ => d.cmp("source", &s.identifier, &t.identifier),
    }
    d.map("attr", &s.attrs, &t.attrs);
}

fn chown(o: &Option<pb::ChownOpt>) -> String {
    let user = |u: &Option<pb::UserOpt>| match u.as_ref().and_then(|u| u.user.as_ref()) {
        None => String::new(),
        Some(pb::UserOptKind::ById(id)) => id.to_string(),
        Some(pb::UserOptKind::ByName(n)) => n.name.clone(),
    };
    match o {
        None => String::new(),
        Some(c) => match (user(&c.user), user(&c.group)) {
            (u, g) if g.is_empty() => u,
            (u, g) => format!("{u}:{g}"),
        },
    }
}

fn mode(m: i32) -> String {
    if m < 0 {
        String::new()
    } else {
        format!("{m:o}")
    }
}

fn action_kind(a: &Option<pb::FileActionKind>) -> &'static str {
    match a {
        None => "none",
        Some(pb::FileActionKind::Copy(_)) => "copy",
        Some(pb::FileActionKind::Mkfile(_)) => "mkfile",
        Some(pb::FileActionKind::Mkdir(_)) => "mkdir",
        Some(pb::FileActionKind::Rm(_)) => "rm",
        Some(pb::FileActionKind::Symlink(_)) => "symlink",
    }
}

fn file(d: &mut Diff, s: &pb::FileOp, t: &pb::FileOp) {
    d.cmp("file actions", s.actions.len(), t.actions.len());
    let many = s.actions.len() > 1 || t.actions.len() > 1;
    for (i, (x, y)) in s.actions.iter().zip(&t.actions).enumerate() {
        let p = if many {
            format!("action {i} ")
        } else {
            String::new()
        };
        let mut c = |field: &str, old: String, new: String| d.cmp(format!("{p}{field}"), old, new);
        c("input", x.input.to_string(), y.input.to_string());
        c(
            "secondary input",
            x.secondary_input.to_string(),
            y.secondary_input.to_string(),
        );
        c("output", x.output.to_string(), y.output.to_string());
        match (&x.action, &y.action) {
            (Some(pb::FileActionKind::Copy(a)), Some(pb::FileActionKind::Copy(b))) => {
                c("copy src", a.src.clone(), b.src.clone());
                c("copy dest", a.dest.clone(), b.dest.clone());
                c("chown", chown(&a.owner), chown(&b.owner));
                c("chmod", mode(a.mode), mode(b.mode));
                c("chmod (symbolic)", a.mode_str.clone(), b.mode_str.clone());
                c(
                    "follow symlinks",
                    a.follow_symlink.to_string(),
                    b.follow_symlink.to_string(),
                );
                c(
                    "copy dir contents",
                    a.dir_copy_contents.to_string(),
                    b.dir_copy_contents.to_string(),
                );
                c(
                    "unpack archives",
                    a.attempt_unpack_docker_compatibility.to_string(),
                    b.attempt_unpack_docker_compatibility.to_string(),
                );
                c(
                    "create dest path",
                    a.create_dest_path.to_string(),
                    b.create_dest_path.to_string(),
                );
                c(
                    "allow wildcard",
                    a.allow_wildcard.to_string(),
                    b.allow_wildcard.to_string(),
                );
                c(
                    "allow empty wildcard",
                    a.allow_empty_wildcard.to_string(),
                    b.allow_empty_wildcard.to_string(),
                );
                c(
                    "timestamp",
                    a.timestamp.to_string(),
                    b.timestamp.to_string(),
                );
                c(
                    "include patterns",
                    a.include_patterns.join(", "),
                    b.include_patterns.join(", "),
                );
                c(
                    "exclude patterns",
                    a.exclude_patterns.join(", "),
                    b.exclude_patterns.join(", "),
                );
                c(
                    "replace existing dest paths",
                    a.always_replace_existing_dest_paths.to_string(),
                    b.always_replace_existing_dest_paths.to_string(),
                );
                c(
                    "required paths",
                    a.required_paths.join(", "),
                    b.required_paths.join(", "),
                );
            }
            (Some(pb::FileActionKind::Mkdir(a)), Some(pb::FileActionKind::Mkdir(b))) => {
                c("mkdir path", a.path.clone(), b.path.clone());
                c("mkdir mode", mode(a.mode), mode(b.mode));
                c(
                    "mkdir parents",
                    a.make_parents.to_string(),
                    b.make_parents.to_string(),
                );
                c("chown", chown(&a.owner), chown(&b.owner));
                c(
                    "timestamp",
                    a.timestamp.to_string(),
                    b.timestamp.to_string(),
                );
            }
            (Some(pb::FileActionKind::Mkfile(a)), Some(pb::FileActionKind::Mkfile(b))) => {
                c("mkfile path", a.path.clone(), b.path.clone());
                c("mkfile mode", mode(a.mode), mode(b.mode));
                let text = |d: &[u8]| String::from_utf8_lossy(d).into_owned();
                c("mkfile data", text(&a.data), text(&b.data));
                c("chown", chown(&a.owner), chown(&b.owner));
                c(
                    "timestamp",
                    a.timestamp.to_string(),
                    b.timestamp.to_string(),
                );
            }
            (Some(pb::FileActionKind::Rm(a)), Some(pb::FileActionKind::Rm(b))) => {
                c("rm path", a.path.clone(), b.path.clone());
                c(
                    "rm allow not found",
                    a.allow_not_found.to_string(),
                    b.allow_not_found.to_string(),
                );
                c(
                    "rm allow wildcard",
                    a.allow_wildcard.to_string(),
                    b.allow_wildcard.to_string(),
                );
            }
            (Some(pb::FileActionKind::Symlink(a)), Some(pb::FileActionKind::Symlink(b))) => {
                c("symlink old path", a.oldpath.clone(), b.oldpath.clone());
                c("symlink new path", a.newpath.clone(), b.newpath.clone());
                c("chown", chown(&a.owner), chown(&b.owner));
                c(
                    "timestamp",
                    a.timestamp.to_string(),
                    b.timestamp.to_string(),
                );
            }
            (a, b) => c("action", action_kind(a).into(), action_kind(b).into()),
        }
    }
}
