//! The `ops.proto` messages as Go's `encoding/json` writes the generated structs of
//! `solver/pb/ops.pb.go`: fields in struct order, keys from the `json:"…,omitempty"` tags (the
//! proto field names as written in `ops.proto`), zero values left out, enums as integers, maps
//! sorted by key, `[]byte` as base64. `UserOpt` has its own `MarshalJSON` in BuildKit
//! (`{"User":{"byName":…}}` / `{"User":{"byId":N}}`), reproduced here.
//!
//! Only the messages reachable from what a `CacheMap` marshals are here: `ExecOp`, the file
//! actions, `MergeOp`, `DiffOp`, `BuildOp` (with its nested `Definition`), `PassthroughOp`,
//! and `Platform`.

use super::gojson::{Obj, J};
use crate::llb::pb;

/// `pb.ExecOp`.
pub fn exec_op(e: &pb::ExecOp) -> J {
    Obj::new()
        .opt("meta", e.meta.as_ref().map(meta))
        .arr("mounts", e.mounts.iter().map(mount).collect())
        .i("network", e.network.into())
        .i("security", e.security.into())
        .arr("secretenv", e.secretenv.iter().map(secret_env).collect())
        .arr("cdiDevices", e.cdi_devices.iter().map(cdi_device).collect())
        .done()
}

/// `pb.Meta`.
pub fn meta(m: &pb::Meta) -> J {
    Obj::new()
        .ss("args", &m.args)
        .ss("env", &m.env)
        .s("cwd", &m.cwd)
        .s("user", &m.user)
        .opt("proxy_env", m.proxy_env.as_ref().map(proxy_env))
        .arr("extraHosts", m.extra_hosts.iter().map(host_ip).collect())
        .s("hostname", &m.hostname)
        .arr("ulimit", m.ulimit.iter().map(ulimit).collect())
        .s("cgroupParent", &m.cgroup_parent)
        .b("removeMountStubsRecursive", m.remove_mount_stubs_recursive)
        .arr(
            "validExitCodes",
            m.valid_exit_codes
                .iter()
                .map(|&c| J::Int(c.into()))
                .collect(),
        )
        .done()
}

fn proxy_env(p: &pb::ProxyEnv) -> J {
    Obj::new()
        .s("http_proxy", &p.http_proxy)
        .s("https_proxy", &p.https_proxy)
        .s("ftp_proxy", &p.ftp_proxy)
        .s("no_proxy", &p.no_proxy)
        .s("all_proxy", &p.all_proxy)
        .done()
}

fn host_ip(h: &pb::HostIp) -> J {
    Obj::new().s("Host", &h.host).s("IP", &h.ip).done()
}

fn ulimit(u: &pb::Ulimit) -> J {
    Obj::new()
        .s("Name", &u.name)
        .i("Soft", u.soft)
        .i("Hard", u.hard)
        .done()
}

fn secret_env(s: &pb::SecretEnv) -> J {
    Obj::new()
        .s("ID", &s.id)
        .s("name", &s.name)
        .b("optional", s.optional)
        .done()
}

fn cdi_device(d: &pb::CdiDevice) -> J {
    Obj::new()
        .s("name", &d.name)
        .b("optional", d.optional)
        .done()
}

/// `pb.Mount`.
pub fn mount(m: &pb::Mount) -> J {
    Obj::new()
        .i("input", m.input)
        .s("selector", &m.selector)
        .s("dest", &m.dest)
        .i("output", m.output)
        .b("readonly", m.readonly)
        .i("mountType", m.mount_type.into())
        .opt(
            "TmpfsOpt",
            m.tmpfs_opt
                .as_ref()
                .map(|t| Obj::new().i("size", t.size).done()),
        )
        .opt(
            "cacheOpt",
            m.cache_opt.as_ref().map(|c| {
                Obj::new()
                    .s("ID", &c.id)
                    .i("sharing", c.sharing.into())
                    .done()
            }),
        )
        .opt(
            "secretOpt",
            m.secret_opt
                .as_ref()
                .map(|s| id_opt(&s.id, s.uid, s.gid, s.mode, s.optional)),
        )
        .opt(
            "SSHOpt",
            m.ssh_opt
                .as_ref()
                .map(|s| id_opt(&s.id, s.uid, s.gid, s.mode, s.optional)),
        )
        .s("resultID", &m.result_id)
        .i("contentCache", m.content_cache.into())
        .done()
}

/// `pb.SecretOpt` and `pb.SSHOpt` have the same fields and tags.
fn id_opt(id: &str, uid: u32, gid: u32, mode: u32, optional: bool) -> J {
    Obj::new()
        .s("ID", id)
        .u("uid", uid.into())
        .u("gid", gid.into())
        .u("mode", mode.into())
        .b("optional", optional)
        .done()
}

/// `pb.FileActionCopy`.
pub fn copy(c: &pb::FileActionCopy) -> J {
    Obj::new()
        .s("src", &c.src)
        .s("dest", &c.dest)
        .opt("owner", c.owner.as_ref().map(chown))
        .i("mode", c.mode.into())
        .b("followSymlink", c.follow_symlink)
        .b("dirCopyContents", c.dir_copy_contents)
        .b(
            "attemptUnpackDockerCompatibility",
            c.attempt_unpack_docker_compatibility,
        )
        .b("createDestPath", c.create_dest_path)
        .b("allowWildcard", c.allow_wildcard)
        .b("allowEmptyWildcard", c.allow_empty_wildcard)
        .i("timestamp", c.timestamp)
        .ss("include_patterns", &c.include_patterns)
        .ss("exclude_patterns", &c.exclude_patterns)
        .b(
            "alwaysReplaceExistingDestPaths",
            c.always_replace_existing_dest_paths,
        )
        .s("modeStr", &c.mode_str)
        .ss("required_paths", &c.required_paths)
        .done()
}

/// `pb.FileActionMkFile`.
pub fn mkfile(m: &pb::FileActionMkFile) -> J {
    Obj::new()
        .s("path", &m.path)
        .i("mode", m.mode.into())
        .bytes("data", &m.data)
        .opt("owner", m.owner.as_ref().map(chown))
        .i("timestamp", m.timestamp)
        .done()
}

/// `pb.FileActionMkDir`.
pub fn mkdir(m: &pb::FileActionMkDir) -> J {
    Obj::new()
        .s("path", &m.path)
        .i("mode", m.mode.into())
        .b("makeParents", m.make_parents)
        .opt("owner", m.owner.as_ref().map(chown))
        .i("timestamp", m.timestamp)
        .done()
}

/// `pb.FileActionRm`.
pub fn rm(r: &pb::FileActionRm) -> J {
    Obj::new()
        .s("path", &r.path)
        .b("allowNotFound", r.allow_not_found)
        .b("allowWildcard", r.allow_wildcard)
        .done()
}

/// `pb.FileActionSymlink`.
pub fn symlink(s: &pb::FileActionSymlink) -> J {
    Obj::new()
        .s("oldpath", &s.oldpath)
        .s("newpath", &s.newpath)
        .opt("owner", s.owner.as_ref().map(chown))
        .i("timestamp", s.timestamp)
        .done()
}

fn chown(c: &pb::ChownOpt) -> J {
    Obj::new()
        .opt("user", c.user.as_ref().map(user_opt))
        .opt("group", c.group.as_ref().map(user_opt))
        .done()
}

/// `pb.UserOpt` through BuildKit's own `MarshalJSON` (`solver/pb/json.go`): a wrapper object
/// `User` holding `byName` (omitempty pointer) then `byId` (omitempty integer, so ID 0 vanishes).
pub fn user_opt(u: &pb::UserOpt) -> J {
    let inner = match &u.user {
        Some(pb::UserOptKind::ByName(n)) => Obj::new().put(
            "byName",
            Obj::new().s("name", &n.name).i("input", n.input).done(),
        ),
        Some(pb::UserOptKind::ById(id)) => Obj::new().u("byId", (*id).into()),
        None => Obj::new(),
    };
    Obj::new().put("User", inner.done()).done()
}

/// `pb.MergeOp`.
pub fn merge_op(m: &pb::MergeOp) -> J {
    Obj::new()
        .arr(
            "inputs",
            m.inputs
                .iter()
                .map(|i| Obj::new().i("input", i.input).done())
                .collect(),
        )
        .done()
}

/// `pb.DiffOp`.
pub fn diff_op(d: &pb::DiffOp) -> J {
    Obj::new()
        .opt(
            "lower",
            d.lower
                .as_ref()
                .map(|l| Obj::new().i("input", l.input).done()),
        )
        .opt(
            "upper",
            d.upper
                .as_ref()
                .map(|u| Obj::new().i("input", u.input).done()),
        )
        .done()
}

/// `pb.PassthroughOp`.
pub fn passthrough_op(p: &pb::PassthroughOp) -> J {
    Obj::new()
        .s("id", &p.id)
        .arr("outputs", p.outputs.iter().map(|&o| J::Int(o)).collect())
        .done()
}

/// `pb.BuildOp`.
pub fn build_op(b: &pb::BuildOp) -> J {
    Obj::new()
        .i("builder", b.builder)
        .map(
            "inputs",
            b.inputs
                .iter()
                .map(|(k, v)| (k.clone(), Obj::new().i("input", v.input).done()))
                .collect(),
        )
        .opt("def", b.def.as_ref().map(definition))
        .map("attrs", str_map(&b.attrs))
        .done()
}

fn str_map(m: &std::collections::BTreeMap<String, String>) -> Vec<(String, J)> {
    m.iter().map(|(k, v)| (k.clone(), J::str(v))).collect()
}

/// `pb.Definition`. `def` is `[][]byte`: each op's bytes in base64.
pub fn definition(d: &pb::Definition) -> J {
    Obj::new()
        .arr("def", d.def.iter().map(|b| J::Bytes(b.clone())).collect())
        .map(
            "metadata",
            d.metadata
                .iter()
                .map(|(k, v)| (k.clone(), op_metadata(v)))
                .collect(),
        )
        .opt("Source", d.source.as_ref().map(source))
        .done()
}

fn op_metadata(m: &pb::OpMetadata) -> J {
    Obj::new()
        .b("ignore_cache", m.ignore_cache)
        .map("description", str_map(&m.description))
        .opt(
            "export_cache",
            m.export_cache
                .as_ref()
                .map(|e| Obj::new().b("Value", e.value).done()),
        )
        .map(
            "caps",
            m.caps
                .iter()
                .map(|(k, v)| (k.clone(), J::Bool(*v)))
                .collect(),
        )
        .opt(
            "progress_group",
            m.progress_group.as_ref().map(|g| {
                Obj::new()
                    .s("id", &g.id)
                    .s("name", &g.name)
                    .b("weak", g.weak)
                    .done()
            }),
        )
        .opt(
            "linux_resources",
            m.linux_resources.as_ref().map(linux_resources),
        )
        .done()
}

fn linux_resources(r: &pb::LinuxResources) -> J {
    Obj::new()
        .i("memory", r.memory)
        .i("memorySwap", r.memory_swap)
        .u("cpuShares", r.cpu_shares)
        .u("cpuPeriod", r.cpu_period)
        .i("cpuQuota", r.cpu_quota)
        .s("cpusetCpus", &r.cpuset_cpus)
        .s("cpusetMems", &r.cpuset_mems)
        .done()
}

fn source(s: &pb::Source) -> J {
    Obj::new()
        .map(
            "locations",
            s.locations
                .iter()
                .map(|(k, v)| {
                    let locs = v.locations.iter().map(location).collect();
                    (k.clone(), Obj::new().arr("locations", locs).done())
                })
                .collect(),
        )
        .arr("infos", s.infos.iter().map(source_info).collect())
        .done()
}

fn location(l: &pb::Location) -> J {
    let pos = |p: &pb::Position| {
        Obj::new()
            .i("line", p.line.into())
            .i("character", p.character.into())
            .done()
    };
    let ranges = l
        .ranges
        .iter()
        .map(|r| {
            Obj::new()
                .opt("start", r.start.as_ref().map(pos))
                .opt("end", r.end.as_ref().map(pos))
                .done()
        })
        .collect();
    Obj::new()
        .i("sourceIndex", l.source_index.into())
        .arr("ranges", ranges)
        .done()
}

fn source_info(s: &pb::SourceInfo) -> J {
    Obj::new()
        .s("filename", &s.filename)
        .bytes("data", &s.data)
        .opt("definition", s.definition.as_ref().map(definition))
        .s("language", &s.language)
        .done()
}

/// `pb.Platform` (Architecture first, as in the Go struct).
pub fn platform(p: &pb::Platform) -> J {
    Obj::new()
        .s("Architecture", &p.architecture)
        .s("OS", &p.os)
        .s("Variant", &p.variant)
        .s("OSVersion", &p.os_version)
        .ss("OSFeatures", &p.os_features)
        .done()
}
