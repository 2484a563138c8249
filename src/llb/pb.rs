//! The LLB wire types: BuildKit's `solver/pb/ops.proto`, field for field.
//!
//! Decoding goes through [`prost`]; field numbers, names and types follow the proto file exactly
//! (see `docs/buildkit-facts.md` §1). Maps are `BTreeMap`s so that iteration is sorted and
//! deterministic everywhere. Encoding for digests does **not** use prost (its map entries skip
//! empty keys and values, Go's deterministic marshal does not): see [`super::encode`].
//!
//! Integers keep their wire types (`i64` for indexes, where `-1` means "none").

use std::collections::BTreeMap;

/// `pb.Definition`: what `llb.WriteTo` writes and `buildctl build` reads.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Definition {
    /// Each element is one marshalled [`Op`]; the last one is the terminal op.
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub def: Vec<Vec<u8>>,
    /// Per-op metadata keyed by the op's digest as it appears in `def`.
    #[prost(btree_map = "string, message", tag = "2")]
    pub metadata: BTreeMap<String, OpMetadata>,
    /// The source map (capital `Source` in Go).
    #[prost(message, optional, tag = "3")]
    pub source: Option<Source>,
}

/// `pb.Op`: one vertex of the build graph.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Op {
    /// Edges to other ops, by digest and output index.
    #[prost(message, repeated, tag = "1")]
    pub inputs: Vec<Input>,
    /// What the op does; `None` on the terminal op.
    #[prost(oneof = "OpKind", tags = "2, 3, 4, 5, 6, 7, 8")]
    pub op: Option<OpKind>,
    /// Target platform (absent on file ops built by the Go client).
    #[prost(message, optional, tag = "10")]
    pub platform: Option<Platform>,
    /// Worker constraints (present but empty on client-built ops).
    #[prost(message, optional, tag = "11")]
    pub constraints: Option<WorkerConstraints>,
}

/// The `op` oneof of [`Op`].
// Variants differ in size (an exec carries much more than a merge); boxing them would only
// complicate every match for a few hundred bytes per op.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum OpKind {
    /// Run a process.
    #[prost(message, tag = "2")]
    Exec(ExecOp),
    /// Bring in content: image, git, local, http, oci-layout.
    #[prost(message, tag = "3")]
    Source(SourceOp),
    /// File actions: copy, mkfile, mkdir, rm, symlink.
    #[prost(message, tag = "4")]
    File(FileOp),
    /// A nested build (experimental).
    #[prost(message, tag = "5")]
    Build(BuildOp),
    /// Layer several inputs on top of each other.
    #[prost(message, tag = "6")]
    Merge(MergeOp),
    /// The difference between two inputs.
    #[prost(message, tag = "7")]
    Diff(DiffOp),
    /// Pass inputs through unchanged (newest op kind).
    #[prost(message, tag = "8")]
    Passthrough(PassthroughOp),
}

/// `pb.Input`: an edge to output `index` of the op with `digest`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Message)]
pub struct Input {
    /// `sha256:<hex>` of the input op's bytes.
    #[prost(string, tag = "1")]
    pub digest: String,
    /// Output index of the input op.
    #[prost(int64, tag = "2")]
    pub index: i64,
}

/// `pb.ExecOp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExecOp {
    /// Process arguments, environment and the like.
    #[prost(message, optional, tag = "1")]
    pub meta: Option<Meta>,
    /// Mounts; one of them must be the rootfs (`dest == "/"`).
    #[prost(message, repeated, tag = "2")]
    pub mounts: Vec<Mount>,
    /// [`NetMode`].
    #[prost(enumeration = "NetMode", tag = "3")]
    pub network: i32,
    /// [`SecurityMode`].
    #[prost(enumeration = "SecurityMode", tag = "4")]
    pub security: i32,
    /// Secrets exposed as environment variables.
    #[prost(message, repeated, tag = "5")]
    pub secretenv: Vec<SecretEnv>,
    /// CDI devices.
    #[prost(message, repeated, tag = "6")]
    pub cdi_devices: Vec<CdiDevice>,
}

/// `pb.Meta`: the process of an exec op.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Meta {
    /// argv.
    #[prost(string, repeated, tag = "1")]
    pub args: Vec<String>,
    /// `K=V` pairs.
    #[prost(string, repeated, tag = "2")]
    pub env: Vec<String>,
    /// Working directory.
    #[prost(string, tag = "3")]
    pub cwd: String,
    /// User to run as.
    #[prost(string, tag = "4")]
    pub user: String,
    /// Proxy settings (not part of the cache key).
    #[prost(message, optional, tag = "5")]
    pub proxy_env: Option<ProxyEnv>,
    /// `/etc/hosts` additions.
    #[prost(message, repeated, tag = "6")]
    pub extra_hosts: Vec<HostIp>,
    /// Hostname.
    #[prost(string, tag = "7")]
    pub hostname: String,
    /// Resource limits.
    #[prost(message, repeated, tag = "9")]
    pub ulimit: Vec<Ulimit>,
    /// cgroup parent.
    #[prost(string, tag = "10")]
    pub cgroup_parent: String,
    /// Remove mount stubs recursively after the run.
    #[prost(bool, tag = "11")]
    pub remove_mount_stubs_recursive: bool,
    /// Exit codes that count as success (packed).
    #[prost(int32, repeated, packed = "true", tag = "12")]
    pub valid_exit_codes: Vec<i32>,
}

/// `pb.HostIP`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HostIp {
    /// Host name.
    #[prost(string, tag = "1")]
    pub host: String,
    /// Address.
    #[prost(string, tag = "2")]
    pub ip: String,
}

/// `pb.Ulimit`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Ulimit {
    /// Limit name, e.g. `nofile`.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Soft limit.
    #[prost(int64, tag = "2")]
    pub soft: i64,
    /// Hard limit.
    #[prost(int64, tag = "3")]
    pub hard: i64,
}

/// `pb.ProxyEnv`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProxyEnv {
    /// `http_proxy`.
    #[prost(string, tag = "1")]
    pub http_proxy: String,
    /// `https_proxy`.
    #[prost(string, tag = "2")]
    pub https_proxy: String,
    /// `ftp_proxy`.
    #[prost(string, tag = "3")]
    pub ftp_proxy: String,
    /// `no_proxy`.
    #[prost(string, tag = "4")]
    pub no_proxy: String,
    /// `all_proxy`.
    #[prost(string, tag = "5")]
    pub all_proxy: String,
}

/// `pb.SecretEnv`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SecretEnv {
    /// Secret ID.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Variable name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Missing secret is not an error.
    #[prost(bool, tag = "3")]
    pub optional: bool,
}

/// `pb.CDIDevice`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CdiDevice {
    /// Device name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Missing device is not an error.
    #[prost(bool, tag = "2")]
    pub optional: bool,
}

/// `pb.Mount`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Mount {
    /// Index into `Op.inputs`, or `-1` for scratch.
    #[prost(int64, tag = "1")]
    pub input: i64,
    /// Sub-path of the input.
    #[prost(string, tag = "2")]
    pub selector: String,
    /// Mount point; `/` is the rootfs.
    #[prost(string, tag = "3")]
    pub dest: String,
    /// Output index produced by this mount, or `-1`.
    #[prost(int64, tag = "4")]
    pub output: i64,
    /// Read-only mount.
    #[prost(bool, tag = "5")]
    pub readonly: bool,
    /// [`MountType`].
    #[prost(enumeration = "MountType", tag = "6")]
    pub mount_type: i32,
    /// tmpfs options.
    #[prost(message, optional, tag = "19")]
    pub tmpfs_opt: Option<TmpfsOpt>,
    /// Cache mount options.
    #[prost(message, optional, tag = "20")]
    pub cache_opt: Option<CacheOpt>,
    /// Secret mount options.
    #[prost(message, optional, tag = "21")]
    pub secret_opt: Option<SecretOpt>,
    /// SSH mount options.
    #[prost(message, optional, tag = "22")]
    pub ssh_opt: Option<SshOpt>,
    /// Result ID (gateway mounts).
    #[prost(string, tag = "23")]
    pub result_id: String,
    /// [`MountContentCache`].
    #[prost(enumeration = "MountContentCache", tag = "24")]
    pub content_cache: i32,
}

/// `pb.TmpfsOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TmpfsOpt {
    /// Size in bytes.
    #[prost(int64, tag = "1")]
    pub size: i64,
}

/// `pb.CacheOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct CacheOpt {
    /// Cache ID.
    #[prost(string, tag = "1")]
    pub id: String,
    /// [`CacheSharingOpt`].
    #[prost(enumeration = "CacheSharingOpt", tag = "2")]
    pub sharing: i32,
}

/// `pb.SecretOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SecretOpt {
    /// Secret ID.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Owner uid.
    #[prost(uint32, tag = "2")]
    pub uid: u32,
    /// Owner gid.
    #[prost(uint32, tag = "3")]
    pub gid: u32,
    /// File mode.
    #[prost(uint32, tag = "4")]
    pub mode: u32,
    /// Missing secret is not an error.
    #[prost(bool, tag = "5")]
    pub optional: bool,
}

/// `pb.SSHOpt` (same shape as [`SecretOpt`]).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SshOpt {
    /// SSH agent ID.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Owner uid.
    #[prost(uint32, tag = "2")]
    pub uid: u32,
    /// Owner gid.
    #[prost(uint32, tag = "3")]
    pub gid: u32,
    /// Socket mode.
    #[prost(uint32, tag = "4")]
    pub mode: u32,
    /// Missing agent is not an error.
    #[prost(bool, tag = "5")]
    pub optional: bool,
}

/// `pb.SourceOp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SourceOp {
    /// `scheme://ref`.
    #[prost(string, tag = "1")]
    pub identifier: String,
    /// Scheme-specific attributes.
    #[prost(btree_map = "string, string", tag = "2")]
    pub attrs: BTreeMap<String, String>,
}

/// `pb.FileOp` (field 1 is unused).
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileOp {
    /// The actions, in order.
    #[prost(message, repeated, tag = "2")]
    pub actions: Vec<FileAction>,
}

/// `pb.FileAction`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileAction {
    /// Input index (`< len(inputs)`: an op input; beyond: an earlier action; `-1`: scratch).
    #[prost(int64, tag = "1")]
    pub input: i64,
    /// Copy source, same index rules.
    #[prost(int64, tag = "2")]
    pub secondary_input: i64,
    /// Output index this action produces, or `-1`.
    #[prost(int64, tag = "3")]
    pub output: i64,
    /// What the action does.
    #[prost(oneof = "FileActionKind", tags = "4, 5, 6, 7, 8")]
    pub action: Option<FileActionKind>,
}

/// The `action` oneof of [`FileAction`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum FileActionKind {
    /// Copy files.
    #[prost(message, tag = "4")]
    Copy(FileActionCopy),
    /// Create a file.
    #[prost(message, tag = "5")]
    Mkfile(FileActionMkFile),
    /// Create a directory.
    #[prost(message, tag = "6")]
    Mkdir(FileActionMkDir),
    /// Remove a path.
    #[prost(message, tag = "7")]
    Rm(FileActionRm),
    /// Create a symlink.
    #[prost(message, tag = "8")]
    Symlink(FileActionSymlink),
}

/// `pb.FileActionCopy`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileActionCopy {
    /// Source path.
    #[prost(string, tag = "1")]
    pub src: String,
    /// Destination path.
    #[prost(string, tag = "2")]
    pub dest: String,
    /// Ownership.
    #[prost(message, optional, tag = "3")]
    pub owner: Option<ChownOpt>,
    /// Mode, `-1` = unset.
    #[prost(int32, tag = "4")]
    pub mode: i32,
    /// Follow symlinks in `src`.
    #[prost(bool, tag = "5")]
    pub follow_symlink: bool,
    /// Copy a directory's contents rather than the directory.
    #[prost(bool, tag = "6")]
    pub dir_copy_contents: bool,
    /// Unpack archives like `ADD`.
    #[prost(bool, tag = "7")]
    pub attempt_unpack_docker_compatibility: bool,
    /// Create missing parents of `dest`.
    #[prost(bool, tag = "8")]
    pub create_dest_path: bool,
    /// `src` may be a wildcard.
    #[prost(bool, tag = "9")]
    pub allow_wildcard: bool,
    /// A wildcard may match nothing.
    #[prost(bool, tag = "10")]
    pub allow_empty_wildcard: bool,
    /// Timestamp, `-1` = unset.
    #[prost(int64, tag = "11")]
    pub timestamp: i64,
    /// Include patterns.
    #[prost(string, repeated, tag = "12")]
    pub include_patterns: Vec<String>,
    /// Exclude patterns.
    #[prost(string, repeated, tag = "13")]
    pub exclude_patterns: Vec<String>,
    /// Replace existing destination paths.
    #[prost(bool, tag = "14")]
    pub always_replace_existing_dest_paths: bool,
    /// Symbolic mode (`u+x`).
    #[prost(string, tag = "15")]
    pub mode_str: String,
    /// Paths that must exist.
    #[prost(string, repeated, tag = "16")]
    pub required_paths: Vec<String>,
}

/// `pb.FileActionMkFile`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileActionMkFile {
    /// Path.
    #[prost(string, tag = "1")]
    pub path: String,
    /// Mode.
    #[prost(int32, tag = "2")]
    pub mode: i32,
    /// Content.
    #[prost(bytes = "vec", tag = "3")]
    pub data: Vec<u8>,
    /// Ownership.
    #[prost(message, optional, tag = "4")]
    pub owner: Option<ChownOpt>,
    /// Timestamp, `-1` = unset.
    #[prost(int64, tag = "5")]
    pub timestamp: i64,
}

/// `pb.FileActionMkDir`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileActionMkDir {
    /// Path.
    #[prost(string, tag = "1")]
    pub path: String,
    /// Mode.
    #[prost(int32, tag = "2")]
    pub mode: i32,
    /// `mkdir -p`.
    #[prost(bool, tag = "3")]
    pub make_parents: bool,
    /// Ownership.
    #[prost(message, optional, tag = "4")]
    pub owner: Option<ChownOpt>,
    /// Timestamp, `-1` = unset.
    #[prost(int64, tag = "5")]
    pub timestamp: i64,
}

/// `pb.FileActionRm`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileActionRm {
    /// Path.
    #[prost(string, tag = "1")]
    pub path: String,
    /// A missing path is not an error.
    #[prost(bool, tag = "2")]
    pub allow_not_found: bool,
    /// `path` may be a wildcard.
    #[prost(bool, tag = "3")]
    pub allow_wildcard: bool,
}

/// `pb.FileActionSymlink`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FileActionSymlink {
    /// Link target.
    #[prost(string, tag = "1")]
    pub oldpath: String,
    /// Link path.
    #[prost(string, tag = "2")]
    pub newpath: String,
    /// Ownership.
    #[prost(message, optional, tag = "3")]
    pub owner: Option<ChownOpt>,
    /// Timestamp, `-1` = unset.
    #[prost(int64, tag = "4")]
    pub timestamp: i64,
}

/// `pb.ChownOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ChownOpt {
    /// Owning user.
    #[prost(message, optional, tag = "1")]
    pub user: Option<UserOpt>,
    /// Owning group.
    #[prost(message, optional, tag = "2")]
    pub group: Option<UserOpt>,
}

/// `pb.UserOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UserOpt {
    /// By name or by numeric ID.
    #[prost(oneof = "UserOptKind", tags = "1, 2")]
    pub user: Option<UserOptKind>,
}

/// The `user` oneof of [`UserOpt`].
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum UserOptKind {
    /// A name looked up in an input's `/etc/passwd`.
    #[prost(message, tag = "1")]
    ByName(NamedUserOpt),
    /// A numeric ID (emitted even when 0).
    #[prost(uint32, tag = "2")]
    ById(u32),
}

/// `pb.NamedUserOpt`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NamedUserOpt {
    /// User or group name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Input providing `/etc/passwd`.
    #[prost(int64, tag = "2")]
    pub input: i64,
}

/// `pb.BuildOp` (experimental nested build).
#[derive(Clone, PartialEq, prost::Message)]
pub struct BuildOp {
    /// Builder input index, `-1` = LLB builder.
    #[prost(int64, tag = "1")]
    pub builder: i64,
    /// Named inputs.
    #[prost(btree_map = "string, message", tag = "2")]
    pub inputs: BTreeMap<String, BuildInput>,
    /// A nested definition.
    #[prost(message, optional, tag = "3")]
    pub def: Option<Definition>,
    /// Attributes.
    #[prost(btree_map = "string, string", tag = "4")]
    pub attrs: BTreeMap<String, String>,
}

/// `pb.BuildInput`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BuildInput {
    /// Input index.
    #[prost(int64, tag = "1")]
    pub input: i64,
}

/// `pb.MergeOp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MergeOp {
    /// Layers, bottom first.
    #[prost(message, repeated, tag = "1")]
    pub inputs: Vec<MergeInput>,
}

/// `pb.MergeInput`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MergeInput {
    /// Input index.
    #[prost(int64, tag = "1")]
    pub input: i64,
}

/// `pb.DiffOp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct DiffOp {
    /// The base side.
    #[prost(message, optional, tag = "1")]
    pub lower: Option<LowerDiffInput>,
    /// The changed side.
    #[prost(message, optional, tag = "2")]
    pub upper: Option<UpperDiffInput>,
}

/// `pb.LowerDiffInput`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LowerDiffInput {
    /// Input index, `-1` = scratch.
    #[prost(int64, tag = "1")]
    pub input: i64,
}

/// `pb.UpperDiffInput`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct UpperDiffInput {
    /// Input index, `-1` = scratch.
    #[prost(int64, tag = "1")]
    pub input: i64,
}

/// `pb.PassthroughOp`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PassthroughOp {
    /// Identifier.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Input indexes passed through (packed).
    #[prost(int64, repeated, packed = "true", tag = "2")]
    pub outputs: Vec<i64>,
}

/// `pb.OpMetadata`: per-op options that are not part of the digest.
#[derive(Clone, PartialEq, prost::Message)]
pub struct OpMetadata {
    /// Never use the cache for this op.
    #[prost(bool, tag = "1")]
    pub ignore_cache: bool,
    /// Free text; the solver reads `llb.customname`.
    #[prost(btree_map = "string, string", tag = "2")]
    pub description: BTreeMap<String, String>,
    /// Cache export override.
    #[prost(message, optional, tag = "4")]
    pub export_cache: Option<ExportCache>,
    /// LLB capabilities the op needs.
    #[prost(btree_map = "string, bool", tag = "5")]
    pub caps: BTreeMap<String, bool>,
    /// Progress group.
    #[prost(message, optional, tag = "6")]
    pub progress_group: Option<ProgressGroup>,
    /// Resource limits.
    #[prost(message, optional, tag = "7")]
    pub linux_resources: Option<LinuxResources>,
}

/// `pb.ExportCache`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ExportCache {
    /// Export this vertex's cache or not.
    #[prost(bool, tag = "1")]
    pub value: bool,
}

/// `pb.ProgressGroup`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProgressGroup {
    /// Group ID.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Group display name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Hidden until a non-weak member starts.
    #[prost(bool, tag = "3")]
    pub weak: bool,
}

/// `pb.LinuxResources`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct LinuxResources {
    /// Memory limit.
    #[prost(int64, tag = "1")]
    pub memory: i64,
    /// Memory + swap limit.
    #[prost(int64, tag = "2")]
    pub memory_swap: i64,
    /// CPU shares.
    #[prost(uint64, tag = "3")]
    pub cpu_shares: u64,
    /// CPU period.
    #[prost(uint64, tag = "4")]
    pub cpu_period: u64,
    /// CPU quota.
    #[prost(int64, tag = "5")]
    pub cpu_quota: i64,
    /// CPU set.
    #[prost(string, tag = "6")]
    pub cpuset_cpus: String,
    /// Memory nodes.
    #[prost(string, tag = "7")]
    pub cpuset_mems: String,
}

/// `pb.Platform` (Architecture comes before OS on the wire).
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Platform {
    /// CPU architecture, e.g. `amd64`.
    #[prost(string, tag = "1")]
    pub architecture: String,
    /// OS, e.g. `linux`.
    #[prost(string, tag = "2")]
    pub os: String,
    /// Variant, e.g. `v7`.
    #[prost(string, tag = "3")]
    pub variant: String,
    /// OS version (Windows).
    #[prost(string, tag = "4")]
    pub os_version: String,
    /// OS features.
    #[prost(string, repeated, tag = "5")]
    pub os_features: Vec<String>,
}

/// `pb.WorkerConstraints`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WorkerConstraints {
    /// Worker filters.
    #[prost(string, repeated, tag = "1")]
    pub filter: Vec<String>,
}

/// `pb.Source`: the source map.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Source {
    /// Locations per op digest.
    #[prost(btree_map = "string, message", tag = "1")]
    pub locations: BTreeMap<String, Locations>,
    /// Source files.
    #[prost(message, repeated, tag = "2")]
    pub infos: Vec<SourceInfo>,
}

/// `pb.Locations`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Locations {
    /// The locations.
    #[prost(message, repeated, tag = "1")]
    pub locations: Vec<Location>,
}

/// `pb.Location`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Location {
    /// Index into `Source.infos`.
    #[prost(int32, tag = "1")]
    pub source_index: i32,
    /// Line ranges.
    #[prost(message, repeated, tag = "2")]
    pub ranges: Vec<Range>,
}

/// `pb.Range`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Range {
    /// Start.
    #[prost(message, optional, tag = "1")]
    pub start: Option<Position>,
    /// End.
    #[prost(message, optional, tag = "2")]
    pub end: Option<Position>,
}

/// `pb.Position`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Position {
    /// 1-based line.
    #[prost(int32, tag = "1")]
    pub line: i32,
    /// Column.
    #[prost(int32, tag = "2")]
    pub character: i32,
}

/// `pb.SourceInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SourceInfo {
    /// File name, e.g. `Dockerfile`.
    #[prost(string, tag = "1")]
    pub filename: String,
    /// File content.
    #[prost(bytes = "vec", tag = "2")]
    pub data: Vec<u8>,
    /// LLB of the file's own source, if any.
    #[prost(message, optional, tag = "3")]
    pub definition: Option<Definition>,
    /// Language, e.g. `Dockerfile`.
    #[prost(string, tag = "4")]
    pub language: String,
}

/// `pb.NetMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum NetMode {
    /// Sandbox (default).
    Unset = 0,
    /// Host network (needs the `network.host` entitlement).
    Host = 1,
    /// No network.
    None = 2,
}

/// `pb.SecurityMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum SecurityMode {
    /// Sandboxed (default).
    Sandbox = 0,
    /// Privileged (needs the `security.insecure` entitlement).
    Insecure = 1,
}

/// `pb.MountType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MountType {
    /// Bind mount of an input.
    Bind = 0,
    /// Secret file.
    Secret = 1,
    /// SSH agent socket.
    Ssh = 2,
    /// Persistent cache directory.
    Cache = 3,
    /// tmpfs.
    Tmpfs = 4,
}

/// `pb.MountContentCache`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MountContentCache {
    /// Content-based cache keys where safe.
    Default = 0,
    /// Always content-based.
    On = 1,
    /// Never content-based.
    Off = 2,
}

/// `pb.CacheSharingOpt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum CacheSharingOpt {
    /// Shared between concurrent builds.
    Shared = 0,
    /// Private copy per build.
    Private = 1,
    /// One build at a time.
    Locked = 2,
}
