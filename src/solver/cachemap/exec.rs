//! `ExecOp.CacheMap` (`solver/llbsolver/ops/exec.go`): the exec op minus what must not change
//! its key, with the op's platform, hashed as Go JSON; one dep per input with the mounts'
//! selectors.

use super::gojson::{Obj, J};
use super::{pbjson, platform, sha256_hex, Built};
use crate::llb::pb;
use crate::solver::ops::{CacheMapBasis, CacheMapDep};

/// BuildKit's `execCacheType`.
pub const RULE: &str = "buildkit.exec.v0";

const ROOT: &str = "/";

pub(super) fn cache_map(op: &pb::Op, e: &pb::ExecOp) -> Result<Built, String> {
    let mut counted = Vec::new();
    let mut cleared = Vec::new();
    let mut body = e.clone();

    let Some(m) = body.meta.as_mut() else {
        return Err("the exec op has no meta (BuildKit's CacheMap would dereference nil)".into());
    };
    count_meta(m, &mut counted);
    for (i, h) in m.extra_hosts.iter_mut().enumerate() {
        if !h.ip.is_empty() {
            cleared.push(format!(
                "meta.extraHosts[{i}].IP (only the host name counts, not its address)"
            ));
            h.ip.clear();
        }
    }
    if m.proxy_env.take().is_some() {
        cleared.push("meta.proxy_env (proxy settings never affect the cache)".into());
    }

    for (i, m) in body.mounts.iter_mut().enumerate() {
        counted.push(format!("mounts[{i}] {}", describe_mount(m)));
        if !m.selector.is_empty() {
            cleared.push(format!(
                "mounts[{i}].selector (selectors go to the input's key, not the op's)"
            ));
            m.selector.clear();
        }
        if should_clear_cache_opts(m) {
            if let Some(c) = m.cache_opt.as_mut() {
                c.id.clear();
                c.sharing = 0;
            }
            cleared.push(format!(
                "cacheOpt.ID/sharing of mount {i} (a custom cache id or a private or locked \
                 cache does not change what the step computes)"
            ));
        }
    }
    if is_legacy_root_only(&body.mounts) {
        body.mounts.clear();
        cleared.push("mounts (a lone writable root bind mount is dropped: legacy)".into());
    }
    if body.network != 0 {
        counted.push(format!("network ({})", body.network));
    }
    if body.security != 0 {
        counted.push(format!("security ({})", body.security));
    }
    if !body.secretenv.is_empty() {
        counted.push(format!("secretenv ({})", body.secretenv.len()));
    }
    if !body.cdi_devices.is_empty() {
        counted.push(format!("cdiDevices ({})", body.cdi_devices.len()));
    }

    let p = platform::runtime_platform(op);
    let preimage = Obj::new()
        .put("Type", J::str(RULE))
        .put("Exec", pbjson::exec_op(&body))
        .put("OS", J::str(&p.os))
        .put("Arch", J::str(&p.architecture))
        .s("Variant", &p.variant)
        .s("OSVersion", &p.os_version)
        .ss("OSFeatures", &p.os_features)
        .done()
        .to_go_json();

    let deps = mount_deps(e, op.inputs.len())?
        .into_iter()
        .map(|d| CacheMapDep {
            selector: if d.selectors.is_empty() {
                String::new()
            } else {
                sha256_hex(d.selectors.join("\0").as_bytes())
            },
            content: d.content,
            preprocess: true,
            paths: d.selectors,
        })
        .collect();

    Ok(Built {
        digest: sha256_hex(&preimage),
        deps,
        basis: CacheMapBasis {
            rule: RULE.into(),
            exact: true,
            platform: Some(platform::display(&p)),
            counted,
            cleared,
            ..CacheMapBasis::default()
        },
        preimage,
    })
}

fn count_meta(m: &pb::Meta, counted: &mut Vec<String>) {
    let simple: [(&str, bool); 9] = [
        ("meta.args", !m.args.is_empty()),
        ("meta.env", !m.env.is_empty()),
        ("meta.cwd", !m.cwd.is_empty()),
        ("meta.user", !m.user.is_empty()),
        ("meta.hostname", !m.hostname.is_empty()),
        ("meta.ulimit", !m.ulimit.is_empty()),
        ("meta.cgroupParent", !m.cgroup_parent.is_empty()),
        (
            "meta.removeMountStubsRecursive",
            m.remove_mount_stubs_recursive,
        ),
        ("meta.validExitCodes", !m.valid_exit_codes.is_empty()),
    ];
    for (name, present) in simple {
        if present {
            counted.push(name.to_string());
        }
    }
    for (i, h) in m.extra_hosts.iter().enumerate() {
        counted.push(format!("meta.extraHosts[{i}] {}", h.host));
    }
}

fn describe_mount(m: &pb::Mount) -> String {
    let kind = match m.mount_type {
        0 => "bind".to_string(),
        1 => "secret".to_string(),
        2 => "ssh".to_string(),
        3 => "cache".to_string(),
        4 => "tmpfs".to_string(),
        n => format!("type {n}"),
    };
    let mut flags = vec![kind];
    if m.readonly {
        flags.push("readonly".into());
    }
    if m.input == -1 {
        flags.push("scratch".into());
    } else {
        flags.push(format!("input {}", m.input));
    }
    format!("{} ({})", m.dest, flags.join(", "))
}

/// `checkShouldClearCacheOpts`: a cache mount keeps its id and sharing only in the Dockerfile
/// default shapes (id = dest, or `<namespace>/<dest>`, shared).
fn should_clear_cache_opts(m: &pb::Mount) -> bool {
    let Some(c) = &m.cache_opt else {
        return false;
    };
    if c.sharing != 0 {
        return true;
    }
    if c.id == m.dest {
        return false;
    }
    !matches!(c.id.split_once('/'), Some((_, rest)) if rest == m.dest)
}

/// Old BuildKit left the mounts out of the key; a plain `RUN` (one writable root bind mount)
/// keeps that key.
fn is_legacy_root_only(mounts: &[pb::Mount]) -> bool {
    let [m] = mounts else {
        return false;
    };
    m.dest == ROOT
        && m.selector.is_empty()
        && !m.readonly
        && m.mount_type == pb::MountType::Bind as i32
        && m.cache_opt.is_none()
        && m.ssh_opt.is_none()
        && m.secret_opt.is_none()
        && m.result_id.is_empty()
}

#[derive(Default)]
struct Dep {
    selectors: Vec<String>,
    content: bool,
}

/// `getMountDeps`.
fn mount_deps(e: &pb::ExecOp, num_inputs: usize) -> Result<Vec<Dep>, String> {
    let mut deps: Vec<Dep> = (0..num_inputs).map(|_| Dep::default()).collect();
    for m in &e.mounts {
        let t = m.mount_type;
        if t == pb::MountType::Secret as i32
            || t == pb::MountType::Ssh as i32
            || t == pb::MountType::Tmpfs as i32
            || m.input == -1
        {
            continue;
        }
        let dep = usize::try_from(m.input)
            .ok()
            .and_then(|i| deps.get_mut(i))
            .ok_or_else(|| format!("invalid mountinput {} (dest {})", m.input, m.dest))?;
        let sel = join_rooted(&m.selector);
        let mut content = m.output == -1 || m.readonly || sel == ROOT;
        match m.content_cache {
            2 => content = false,
            1 if !content => {
                return Err(format!(
                    "invalid mount cache content (dest {}): content-based caching is not safe \
                     for a writable partial mount",
                    m.dest
                ))
            }
            0 if m.dest == ROOT => content = false,
            _ => {}
        }
        dep.selectors.push(sel);
        dep.content = content;
    }
    Ok(deps)
}

/// Go's `path.Join("/", p)`: a cleaned absolute path.
pub fn join_rooted(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `dedupePaths`: drop paths under another path of the list, sort.
pub fn dedupe_paths(paths: &[String]) -> Vec<String> {
    if paths.len() <= 1 {
        return paths.to_vec();
    }
    let mut uniq: Vec<&String> = paths.iter().collect();
    uniq.sort();
    uniq.dedup();
    let under = |p1: &str, p2: &str| {
        let parent = if p2.ends_with('/') {
            p2.to_string()
        } else {
            format!("{p2}/")
        };
        p1 != p2 && p1.starts_with(&parent)
    };
    uniq.iter()
        .filter(|p1| !uniq.iter().any(|p2| under(p1, p2)))
        .map(|p| p.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooted_join_cleans_like_go() {
        assert_eq!(join_rooted(""), "/");
        assert_eq!(join_rooted("/"), "/");
        assert_eq!(join_rooted("src/"), "/src");
        assert_eq!(join_rooted("a//b/./c/../d"), "/a/b/d");
        assert_eq!(join_rooted("../../x"), "/x");
    }

    #[test]
    fn dedupe_keeps_top_paths() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            dedupe_paths(&v(&["/a/b", "/a", "/ab", "/a"])),
            v(&["/a", "/ab"])
        );
        assert_eq!(dedupe_paths(&v(&["/", "/x"])), v(&["/"]));
    }
}
