//! Reading LLB messages from JSON, in every dialect BuildKit writes:
//!
//! * Go `encoding/json` of the pb structs with BuildKit's custom marshallers (`dump-llb`,
//!   provenance): `{"Op": {"exec": …}}`, `{"Action": {"copy": …}}`, `{"User": {"byName": …}}`,
//!   proto field names, enums and int64 as numbers, bytes as base64. Older BuildKit wrote the
//!   oneof keys capitalised (`Exec`, `Mkdir`, `ByName`); Go's decoder matches keys without regard
//!   to case, and so does this one.
//! * protojson (`convertllb`): oneofs at the top level, lowerCamelCase names, int64 as strings,
//!   enums as their names.
//!
//! Every error carries a JSON path, so a user can find the bad value.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};

use super::{pb, Format};
use crate::error::{Location, ParseError};

/// Where a JSON value sits: the format being read, which record of a stream, and the path.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    pub format: Format,
    pub record: Option<usize>,
}

impl Ctx {
    pub fn error(&self, path: &str, message: impl Into<String>) -> ParseError {
        ParseError::new(
            self.format,
            Location::Json {
                record: self.record,
                path: path.to_string(),
            },
            message,
        )
    }
}

type R<T> = Result<T, ParseError>;

/// A JSON value with its location.
#[derive(Clone, Copy)]
pub(crate) struct J<'a> {
    pub v: &'a Value,
    pub path: &'a str,
    pub ctx: Ctx,
}

/// lowerCamelCase of a proto field name, as protojson names it.
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn find<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<(&'v String, &'v Value)> {
    if let Some(kv) = obj.get_key_value(name) {
        return Some(kv);
    }
    let cam = camel(name);
    if let Some(kv) = obj.get_key_value(cam.as_str()) {
        return Some(kv);
    }
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name) || k.eq_ignore_ascii_case(&cam))
}

/// Owns child paths so that `J` can borrow them.
pub(crate) struct Child {
    path: String,
}

impl<'a> J<'a> {
    pub fn root(v: &'a Value, path: &'a str, ctx: Ctx) -> J<'a> {
        J { v, path, ctx }
    }

    pub fn err(&self, message: impl Into<String>) -> ParseError {
        self.ctx.error(self.path, message)
    }

    fn kind(&self) -> &'static str {
        match self.v {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }

    pub fn object(&self) -> R<&'a Map<String, Value>> {
        self.v
            .as_object()
            .ok_or_else(|| self.err(format!("expected an object, found {}", self.kind())))
    }

    /// The value under `name` (proto name, its camelCase form, or either in another case),
    /// treating `null` as absent. Returns the child path holder and the value.
    pub fn get(&self, name: &str) -> R<Option<(Child, &'a Value)>> {
        let obj = self.object()?;
        Ok(find(obj, name).filter(|(_, v)| !v.is_null()).map(|(k, v)| {
            (
                Child {
                    path: format!("{}.{}", self.path, k),
                },
                v,
            )
        }))
    }

    pub fn child<'c>(&self, c: &'c Child, v: &'c Value) -> J<'c>
    where
        'a: 'c,
    {
        J {
            v,
            path: &c.path,
            ctx: self.ctx,
        }
    }

    /// Runs `f` on the value under `name`, if present.
    pub fn with<T>(&self, name: &str, f: impl FnOnce(J<'_>) -> R<T>) -> R<Option<T>> {
        match self.get(name)? {
            Some((c, v)) => f(J {
                v,
                path: &c.path,
                ctx: self.ctx,
            })
            .map(Some),
            None => Ok(None),
        }
    }

    pub fn string(&self, name: &str) -> R<String> {
        Ok(self.with(name, |j| j.as_string())?.unwrap_or_default())
    }

    pub fn as_string(&self) -> R<String> {
        match self.v {
            Value::String(s) => Ok(s.clone()),
            _ => Err(self.err(format!("expected a string, found {}", self.kind()))),
        }
    }

    pub fn boolean(&self, name: &str) -> R<bool> {
        Ok(self
            .with(name, |j| match j.v {
                Value::Bool(b) => Ok(*b),
                _ => Err(j.err(format!("expected true or false, found {}", j.kind()))),
            })?
            .unwrap_or(false))
    }

    /// An integer: a JSON number (Go) or a decimal string (protojson int64).
    pub fn as_i64(&self) -> R<i64> {
        match self.v {
            Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| self.err(format!("{n} is not a 64-bit integer"))),
            Value::String(s) => s
                .parse()
                .map_err(|_| self.err(format!("{s:?} is not an integer"))),
            _ => Err(self.err(format!("expected an integer, found {}", self.kind()))),
        }
    }

    pub fn i64(&self, name: &str) -> R<i64> {
        Ok(self.with(name, |j| j.as_i64())?.unwrap_or(0))
    }

    pub fn i32(&self, name: &str) -> R<i32> {
        Ok(self
            .with(name, |j| {
                let v = j.as_i64()?;
                i32::try_from(v).map_err(|_| j.err(format!("{v} does not fit in int32")))
            })?
            .unwrap_or(0))
    }

    pub fn u32(&self, name: &str) -> R<u32> {
        Ok(self
            .with(name, |j| {
                let v = j.as_i64()?;
                u32::try_from(v).map_err(|_| j.err(format!("{v} does not fit in uint32")))
            })?
            .unwrap_or(0))
    }

    pub fn u64(&self, name: &str) -> R<u64> {
        Ok(self
            .with(name, |j| match j.v {
                Value::Number(n) => n
                    .as_u64()
                    .ok_or_else(|| j.err(format!("{n} is not a uint64"))),
                Value::String(s) => s
                    .parse()
                    .map_err(|_| j.err(format!("{s:?} is not a uint64"))),
                _ => Err(j.err(format!("expected an integer, found {}", j.kind()))),
            })?
            .unwrap_or(0))
    }

    /// An enum: its number (Go) or its name (protojson).
    pub fn enumeration(&self, name: &str, names: &[&str]) -> R<i32> {
        Ok(self
            .with(name, |j| match j.v {
                Value::String(s) => match names.iter().position(|n| n == s) {
                    Some(i) => Ok(i as i32),
                    None => s.parse().map_err(|_| {
                        j.err(format!(
                            "unknown value {s:?} (expected one of {})",
                            names.join(", ")
                        ))
                    }),
                },
                _ => {
                    let v = j.as_i64()?;
                    i32::try_from(v).map_err(|_| j.err(format!("{v} does not fit in an enum")))
                }
            })?
            .unwrap_or(0))
    }

    /// Bytes, base64-encoded (standard or URL alphabet, padded or not: protojson accepts all).
    pub fn as_bytes(&self) -> R<Vec<u8>> {
        let s = self.as_string()?;
        let engines = [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        engines
            .iter()
            .find_map(|e| e.decode(s.as_bytes()).ok())
            .ok_or_else(|| self.err("not valid base64"))
    }

    pub fn bytes(&self, name: &str) -> R<Vec<u8>> {
        Ok(self.with(name, |j| j.as_bytes())?.unwrap_or_default())
    }

    /// A JSON array under `name`, mapped element by element.
    pub fn list<T>(&self, name: &str, f: impl Fn(J<'_>) -> R<T>) -> R<Vec<T>> {
        Ok(self.with(name, |j| j.items(&f))?.unwrap_or_default())
    }

    pub fn items<T>(&self, f: &impl Fn(J<'_>) -> R<T>) -> R<Vec<T>> {
        let arr = self
            .v
            .as_array()
            .ok_or_else(|| self.err(format!("expected an array, found {}", self.kind())))?;
        arr.iter()
            .enumerate()
            .map(|(i, v)| {
                let path = format!("{}[{i}]", self.path);
                f(J {
                    v,
                    path: &path,
                    ctx: self.ctx,
                })
            })
            .collect()
    }

    pub fn strings(&self, name: &str) -> R<Vec<String>> {
        self.list(name, |j| j.as_string())
    }

    /// A JSON object under `name` as a sorted map.
    pub fn map<T>(&self, name: &str, f: impl Fn(J<'_>) -> R<T>) -> R<BTreeMap<String, T>> {
        Ok(self.with(name, |j| j.entries(&f))?.unwrap_or_default())
    }

    pub fn entries<T>(&self, f: &impl Fn(J<'_>) -> R<T>) -> R<BTreeMap<String, T>> {
        let obj = self.object()?;
        obj.iter()
            .map(|(k, v)| {
                let path = format!("{}[{k:?}]", self.path);
                Ok((
                    k.clone(),
                    f(J {
                        v,
                        path: &path,
                        ctx: self.ctx,
                    })?,
                ))
            })
            .collect()
    }

    /// A message under `name`; present-but-empty (`{}`) gives `Some(default)`.
    pub fn message<T>(&self, name: &str, f: impl FnOnce(J<'_>) -> R<T>) -> R<Option<T>> {
        self.with(name, |j| {
            j.object()?;
            f(j)
        })
    }
}

const NET_MODES: &[&str] = &["UNSET", "HOST", "NONE"];
const SECURITY_MODES: &[&str] = &["SANDBOX", "INSECURE"];
const MOUNT_TYPES: &[&str] = &["BIND", "SECRET", "SSH", "CACHE", "TMPFS"];
const CONTENT_CACHE: &[&str] = &["DEFAULT", "ON", "OFF"];
const SHARING: &[&str] = &["SHARED", "PRIVATE", "LOCKED"];

const OP_KINDS: &[&str] = &[
    "exec",
    "source",
    "file",
    "build",
    "merge",
    "diff",
    "passthrough",
];
const ACTION_KINDS: &[&str] = &["copy", "mkfile", "mkdir", "rm", "symlink"];

/// Finds the one oneof member present in `obj` among `names` (any case).
fn oneof<'v>(j: &J<'v>, names: &[&'static str]) -> R<Option<(String, &'static str, &'v Value)>> {
    let obj = j.object()?;
    let mut found = None;
    for (k, v) in obj {
        if v.is_null() {
            continue;
        }
        if let Some(n) = names.iter().find(|n| k.eq_ignore_ascii_case(n)) {
            if let Some((_, prev, _)) = found {
                return Err(j.err(format!(
                    "both {prev:?} and {k:?} are set; an op has one kind"
                )));
            }
            found = Some((format!("{}.{k}", j.path), *n, v));
        }
    }
    Ok(found)
}

/// Reads a `pb.Op` in either JSON dialect.
pub(crate) fn op(j: J<'_>) -> R<pb::Op> {
    let inputs = j.list("inputs", |j| {
        Ok(pb::Input {
            digest: j.string("digest")?,
            index: j.i64("index")?,
        })
    })?;
    // Go's custom marshaller nests the oneof under "Op"; protojson puts it at the top level.
    let kind = match j.get("Op")? {
        Some((c, v)) => {
            let w = j.child(&c, v);
            match oneof(&w, OP_KINDS)? {
                Some((path, name, v)) => Some(op_kind(
                    J {
                        v,
                        path: &path,
                        ctx: j.ctx,
                    },
                    name,
                )?),
                None => None,
            }
        }
        None => match oneof(&j, OP_KINDS)? {
            Some((path, name, v)) => Some(op_kind(
                J {
                    v,
                    path: &path,
                    ctx: j.ctx,
                },
                name,
            )?),
            None => None,
        },
    };
    Ok(pb::Op {
        inputs,
        op: kind,
        platform: j.message("platform", platform)?,
        constraints: j.message("constraints", |j| {
            Ok(pb::WorkerConstraints {
                filter: j.strings("filter")?,
            })
        })?,
    })
}

fn op_kind(j: J<'_>, name: &str) -> R<pb::OpKind> {
    j.object()?;
    Ok(match name {
        "exec" => pb::OpKind::Exec(exec(j)?),
        "source" => pb::OpKind::Source(pb::SourceOp {
            identifier: j.string("identifier")?,
            attrs: j.map("attrs", |j| j.as_string())?,
        }),
        "file" => pb::OpKind::File(pb::FileOp {
            actions: j.list("actions", file_action)?,
        }),
        "build" => pb::OpKind::Build(pb::BuildOp {
            builder: j.i64("builder")?,
            inputs: j.map("inputs", |j| {
                Ok(pb::BuildInput {
                    input: j.i64("input")?,
                })
            })?,
            def: j.message("def", definition)?,
            attrs: j.map("attrs", |j| j.as_string())?,
        }),
        "merge" => pb::OpKind::Merge(pb::MergeOp {
            inputs: j.list("inputs", |j| {
                Ok(pb::MergeInput {
                    input: j.i64("input")?,
                })
            })?,
        }),
        "diff" => pb::OpKind::Diff(pb::DiffOp {
            lower: j.message("lower", |j| {
                Ok(pb::LowerDiffInput {
                    input: j.i64("input")?,
                })
            })?,
            upper: j.message("upper", |j| {
                Ok(pb::UpperDiffInput {
                    input: j.i64("input")?,
                })
            })?,
        }),
        _ => pb::OpKind::Passthrough(pb::PassthroughOp {
            id: j.string("id")?,
            outputs: j.list("outputs", |j| j.as_i64())?,
        }),
    })
}

fn platform(j: J<'_>) -> R<pb::Platform> {
    Ok(pb::Platform {
        architecture: j.string("Architecture")?,
        os: j.string("OS")?,
        variant: j.string("Variant")?,
        os_version: j.string("OSVersion")?,
        os_features: j.strings("OSFeatures")?,
    })
}

fn exec(j: J<'_>) -> R<pb::ExecOp> {
    Ok(pb::ExecOp {
        meta: j.message("meta", meta)?,
        mounts: j.list("mounts", mount)?,
        network: j.enumeration("network", NET_MODES)?,
        security: j.enumeration("security", SECURITY_MODES)?,
        secretenv: j.list("secretenv", |j| {
            Ok(pb::SecretEnv {
                id: j.string("ID")?,
                name: j.string("name")?,
                optional: j.boolean("optional")?,
            })
        })?,
        cdi_devices: j.list("cdiDevices", |j| {
            Ok(pb::CdiDevice {
                name: j.string("name")?,
                optional: j.boolean("optional")?,
            })
        })?,
    })
}

fn meta(j: J<'_>) -> R<pb::Meta> {
    Ok(pb::Meta {
        args: j.strings("args")?,
        env: j.strings("env")?,
        cwd: j.string("cwd")?,
        user: j.string("user")?,
        proxy_env: j.message("proxy_env", |j| {
            Ok(pb::ProxyEnv {
                http_proxy: j.string("http_proxy")?,
                https_proxy: j.string("https_proxy")?,
                ftp_proxy: j.string("ftp_proxy")?,
                no_proxy: j.string("no_proxy")?,
                all_proxy: j.string("all_proxy")?,
            })
        })?,
        extra_hosts: j.list("extraHosts", |j| {
            Ok(pb::HostIp {
                host: j.string("Host")?,
                ip: j.string("IP")?,
            })
        })?,
        hostname: j.string("hostname")?,
        ulimit: j.list("ulimit", |j| {
            Ok(pb::Ulimit {
                name: j.string("Name")?,
                soft: j.i64("Soft")?,
                hard: j.i64("Hard")?,
            })
        })?,
        cgroup_parent: j.string("cgroupParent")?,
        remove_mount_stubs_recursive: j.boolean("removeMountStubsRecursive")?,
        valid_exit_codes: j.list("validExitCodes", |j| {
            let v = j.as_i64()?;
            i32::try_from(v).map_err(|_| j.err(format!("{v} does not fit in int32")))
        })?,
    })
}

fn mount(j: J<'_>) -> R<pb::Mount> {
    Ok(pb::Mount {
        input: j.i64("input")?,
        selector: j.string("selector")?,
        dest: j.string("dest")?,
        output: j.i64("output")?,
        readonly: j.boolean("readonly")?,
        mount_type: j.enumeration("mountType", MOUNT_TYPES)?,
        tmpfs_opt: j.message("TmpfsOpt", |j| {
            Ok(pb::TmpfsOpt {
                size: j.i64("size")?,
            })
        })?,
        cache_opt: j.message("cacheOpt", |j| {
            Ok(pb::CacheOpt {
                id: j.string("ID")?,
                sharing: j.enumeration("sharing", SHARING)?,
            })
        })?,
        secret_opt: j.message("secretOpt", |j| {
            Ok(pb::SecretOpt {
                id: j.string("ID")?,
                uid: j.u32("uid")?,
                gid: j.u32("gid")?,
                mode: j.u32("mode")?,
                optional: j.boolean("optional")?,
            })
        })?,
        ssh_opt: j.message("SSHOpt", |j| {
            Ok(pb::SshOpt {
                id: j.string("ID")?,
                uid: j.u32("uid")?,
                gid: j.u32("gid")?,
                mode: j.u32("mode")?,
                optional: j.boolean("optional")?,
            })
        })?,
        result_id: j.string("resultID")?,
        content_cache: j.enumeration("contentCache", CONTENT_CACHE)?,
    })
}

fn file_action(j: J<'_>) -> R<pb::FileAction> {
    let action = match j.get("Action")? {
        Some((c, v)) => {
            let w = j.child(&c, v);
            match oneof(&w, ACTION_KINDS)? {
                Some((path, name, v)) => Some(action_kind(
                    J {
                        v,
                        path: &path,
                        ctx: j.ctx,
                    },
                    name,
                )?),
                None => None,
            }
        }
        None => match oneof(&j, ACTION_KINDS)? {
            Some((path, name, v)) => Some(action_kind(
                J {
                    v,
                    path: &path,
                    ctx: j.ctx,
                },
                name,
            )?),
            None => None,
        },
    };
    Ok(pb::FileAction {
        input: j.i64("input")?,
        secondary_input: j.i64("secondaryInput")?,
        output: j.i64("output")?,
        action,
    })
}

fn action_kind(a: J<'_>, name: &str) -> R<pb::FileActionKind> {
    a.object()?;
    Ok(match name {
        "copy" => pb::FileActionKind::Copy(pb::FileActionCopy {
            src: a.string("src")?,
            dest: a.string("dest")?,
            owner: a.message("owner", chown)?,
            mode: a.i32("mode")?,
            follow_symlink: a.boolean("followSymlink")?,
            dir_copy_contents: a.boolean("dirCopyContents")?,
            attempt_unpack_docker_compatibility: a.boolean("attemptUnpackDockerCompatibility")?,
            create_dest_path: a.boolean("createDestPath")?,
            allow_wildcard: a.boolean("allowWildcard")?,
            allow_empty_wildcard: a.boolean("allowEmptyWildcard")?,
            timestamp: a.i64("timestamp")?,
            include_patterns: a.strings("include_patterns")?,
            exclude_patterns: a.strings("exclude_patterns")?,
            always_replace_existing_dest_paths: a.boolean("alwaysReplaceExistingDestPaths")?,
            mode_str: a.string("modeStr")?,
            required_paths: a.strings("required_paths")?,
        }),
        "mkfile" => pb::FileActionKind::Mkfile(pb::FileActionMkFile {
            path: a.string("path")?,
            mode: a.i32("mode")?,
            data: a.bytes("data")?,
            owner: a.message("owner", chown)?,
            timestamp: a.i64("timestamp")?,
        }),
        "mkdir" => pb::FileActionKind::Mkdir(pb::FileActionMkDir {
            path: a.string("path")?,
            mode: a.i32("mode")?,
            make_parents: a.boolean("makeParents")?,
            owner: a.message("owner", chown)?,
            timestamp: a.i64("timestamp")?,
        }),
        "rm" => pb::FileActionKind::Rm(pb::FileActionRm {
            path: a.string("path")?,
            allow_not_found: a.boolean("allowNotFound")?,
            allow_wildcard: a.boolean("allowWildcard")?,
        }),
        _ => pb::FileActionKind::Symlink(pb::FileActionSymlink {
            oldpath: a.string("oldpath")?,
            newpath: a.string("newpath")?,
            owner: a.message("owner", chown)?,
            timestamp: a.i64("timestamp")?,
        }),
    })
}

fn chown(j: J<'_>) -> R<pb::ChownOpt> {
    Ok(pb::ChownOpt {
        user: j.message("user", user_opt)?,
        group: j.message("group", user_opt)?,
    })
}

fn user_opt(j: J<'_>) -> R<pb::UserOpt> {
    let named = |j: J<'_>| -> R<pb::UserOptKind> {
        Ok(pb::UserOptKind::ByName(pb::NamedUserOpt {
            name: j.string("name")?,
            input: j.i64("input")?,
        }))
    };
    // Go's custom form {"User": {...}} falls back to byID 0 when neither member is set.
    if let Some((c, v)) = j.get("User")? {
        let w = j.child(&c, v);
        if let Some(k) = w.message("byName", named)? {
            return Ok(pb::UserOpt { user: Some(k) });
        }
        return Ok(pb::UserOpt {
            user: Some(pb::UserOptKind::ById(w.u32("byID")?)),
        });
    }
    if let Some(k) = j.message("byName", named)? {
        return Ok(pb::UserOpt { user: Some(k) });
    }
    if j.get("byID")?.is_some() {
        return Ok(pb::UserOpt {
            user: Some(pb::UserOptKind::ById(j.u32("byID")?)),
        });
    }
    Ok(pb::UserOpt { user: None })
}

/// A nested `pb.Definition` (BuildOp.def, SourceInfo.definition).
pub(crate) fn definition(j: J<'_>) -> R<pb::Definition> {
    Ok(pb::Definition {
        def: j.list("def", |j| j.as_bytes())?,
        metadata: j.map("metadata", op_metadata)?,
        source: j.message("Source", source)?,
    })
}

/// `pb.OpMetadata` (Go JSON or protojson; `llb.OpMetadata` has the same tags).
pub(crate) fn op_metadata(j: J<'_>) -> R<pb::OpMetadata> {
    if j.v.is_null() {
        return Ok(pb::OpMetadata::default());
    }
    j.object()?;
    Ok(pb::OpMetadata {
        ignore_cache: j.boolean("ignore_cache")?,
        description: j.map("description", |j| j.as_string())?,
        export_cache: j.message("export_cache", |j| {
            Ok(pb::ExportCache {
                value: j.boolean("Value")?,
            })
        })?,
        caps: j.map("caps", |j| match j.v {
            Value::Bool(b) => Ok(*b),
            _ => Err(j.err("expected true or false")),
        })?,
        progress_group: j.message("progress_group", |j| {
            Ok(pb::ProgressGroup {
                id: j.string("id")?,
                name: j.string("name")?,
                weak: j.boolean("weak")?,
            })
        })?,
        linux_resources: j.message("linux_resources", |j| {
            Ok(pb::LinuxResources {
                memory: j.i64("memory")?,
                memory_swap: j.i64("memorySwap")?,
                cpu_shares: j.u64("cpuShares")?,
                cpu_period: j.u64("cpuPeriod")?,
                cpu_quota: j.i64("cpuQuota")?,
                cpuset_cpus: j.string("cpusetCpus")?,
                cpuset_mems: j.string("cpusetMems")?,
            })
        })?,
    })
}

/// `pb.Locations`: where in the source files one op came from.
pub(crate) fn locations(j: J<'_>) -> R<pb::Locations> {
    let position = |j: J<'_>| {
        Ok(pb::Position {
            line: j.i32("line")?,
            character: j.i32("character")?,
        })
    };
    Ok(pb::Locations {
        locations: j.list("locations", |j| {
            Ok(pb::Location {
                source_index: j.i32("sourceIndex")?,
                ranges: j.list("ranges", |j| {
                    Ok(pb::Range {
                        start: j.message("start", position)?,
                        end: j.message("end", position)?,
                    })
                })?,
            })
        })?,
    })
}

/// `pb.Source`, the source map.
pub(crate) fn source(j: J<'_>) -> R<pb::Source> {
    Ok(pb::Source {
        locations: j.map("locations", locations)?,
        infos: j.list("infos", |j| {
            Ok(pb::SourceInfo {
                filename: j.string("filename")?,
                data: j.bytes("data")?,
                definition: j.message("definition", definition)?,
                language: j.string("language")?,
            })
        })?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> R<pb::Op> {
        let v: Value = serde_json::from_str(text).expect("test JSON");
        let ctx = Ctx {
            format: Format::DumpLlb,
            record: Some(1),
        };
        op(J::root(&v, "$", ctx))
    }

    #[test]
    fn both_casings_and_protojson_agree() {
        let current = read(r#"{"Op":{"file":{"actions":[{"input":-1,"secondaryInput":-1,"output":0,"Action":{"mkdir":{"path":"/x","mode":493,"timestamp":-1}}}]}}}"#).expect("current");
        let legacy = read(r#"{"Op":{"File":{"actions":[{"input":-1,"secondaryInput":-1,"output":0,"Action":{"Mkdir":{"path":"/x","mode":493,"timestamp":-1}}}]}}}"#).expect("legacy");
        let proto = read(r#"{"file":{"actions":[{"input":"-1","secondaryInput":"-1","mkdir":{"path":"/x","mode":493,"timestamp":"-1"}}]}}"#).expect("protojson");
        assert_eq!(current, legacy);
        assert_eq!(current, proto);
    }

    #[test]
    fn errors_carry_a_path() {
        let e = read(r#"{"Op":{"exec":{"mounts":[{"dest":"/","input":"x"}]}}}"#).expect_err("bad");
        assert_eq!(
            e.location,
            Location::Json {
                record: Some(1),
                path: "$.Op.exec.mounts[0].input".into()
            }
        );
    }

    #[test]
    fn enums_by_number_or_name() {
        let a =
            read(r#"{"exec":{"network":"NONE","mounts":[{"mountType":"CACHE"}]}}"#).expect("names");
        let b =
            read(r#"{"Op":{"exec":{"network":2,"mounts":[{"mountType":3}]}}}"#).expect("numbers");
        assert_eq!(a, b);
    }

    #[test]
    fn user_opt_forms() {
        let go = read(r#"{"Op":{"file":{"actions":[{"Action":{"copy":{"owner":{"user":{"User":{}},"group":{"User":{"byName":{"name":"g"}}}}}}}]}}}"#).expect("go");
        let pj = read(r#"{"file":{"actions":[{"copy":{"owner":{"user":{"byID":0},"group":{"byName":{"name":"g"}}}}}]}}"#).expect("protojson");
        assert_eq!(go, pj);
    }
}
