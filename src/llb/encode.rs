//! Deterministic protobuf encoding of ops, byte-exact with Go's
//! `proto.MarshalOptions{Deterministic: true}`.
//!
//! An op's digest is the sha256 of these bytes, so the rules matter (facts §1.12):
//! fields in ascending number order; zero scalars omitted; present sub-messages emitted even
//! when empty; a oneof member emitted even when zero; maps sorted by key with **both** key and
//! value written in every entry (prost leaves empty ones out, which is why this module exists);
//! repeated numbers packed.

use std::collections::BTreeMap;

use super::pb::*;

/// Encodes `op` the way BuildKit does before hashing it.
pub fn encode_op(op: &Op) -> Vec<u8> {
    let mut w = Writer::default();
    op.write(&mut w);
    w.buf
}

/// Encodes a whole definition (used to build test inputs and by the fuzz target; BuildKit never
/// hashes a definition, so field order here only has to be valid).
pub fn encode_definition(def: &Definition) -> Vec<u8> {
    let mut w = Writer::default();
    def.write(&mut w);
    w.buf
}

/// A protobuf byte writer with proto3 presence rules.
#[derive(Default)]
struct Writer {
    buf: Vec<u8>,
}

const VARINT: u64 = 0;
const LEN: u64 = 2;

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn tag(&mut self, field: u32, wire: u64) {
        self.varint((u64::from(field) << 3) | wire);
    }

    /// A signed integer, sign-extended to 64 bits (so `-1` takes ten bytes), always written.
    fn int_always(&mut self, field: u32, v: i64) {
        self.tag(field, VARINT);
        self.varint(v as u64);
    }

    fn int(&mut self, field: u32, v: i64) {
        if v != 0 {
            self.int_always(field, v);
        }
    }

    fn uint(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.tag(field, VARINT);
            self.varint(v);
        }
    }

    fn boolean(&mut self, field: u32, v: bool) {
        if v {
            self.tag(field, VARINT);
            self.varint(1);
        }
    }

    fn bytes_always(&mut self, field: u32, v: &[u8]) {
        self.tag(field, LEN);
        self.varint(v.len() as u64);
        self.buf.extend_from_slice(v);
    }

    fn bytes(&mut self, field: u32, v: &[u8]) {
        if !v.is_empty() {
            self.bytes_always(field, v);
        }
    }

    fn string(&mut self, field: u32, v: &str) {
        self.bytes(field, v.as_bytes());
    }

    fn strings(&mut self, field: u32, v: &[String]) {
        for s in v {
            self.bytes_always(field, s.as_bytes());
        }
    }

    fn packed(&mut self, field: u32, v: impl IntoIterator<Item = i64>) {
        let mut inner = Writer::default();
        for x in v {
            inner.varint(x as u64);
        }
        self.bytes(field, &inner.buf);
    }

    /// A sub-message, written whenever it is present, even when empty.
    fn message<M: Wire>(&mut self, field: u32, m: &M) {
        let mut inner = Writer::default();
        m.write(&mut inner);
        self.bytes_always(field, &inner.buf);
    }

    fn optional<M: Wire>(&mut self, field: u32, m: &Option<M>) {
        if let Some(m) = m {
            self.message(field, m);
        }
    }

    fn messages<M: Wire>(&mut self, field: u32, v: &[M]) {
        for m in v {
            self.message(field, m);
        }
    }

    /// A map: entries sorted by key (the `BTreeMap` order is byte order for UTF-8 strings, as in
    /// Go), key and value always written.
    fn map<V>(&mut self, field: u32, m: &BTreeMap<String, V>, value: impl Fn(&mut Writer, &V)) {
        for (k, v) in m {
            let mut entry = Writer::default();
            entry.bytes_always(1, k.as_bytes());
            value(&mut entry, v);
            self.bytes_always(field, &entry.buf);
        }
    }
}

/// A message that can be written deterministically.
trait Wire {
    fn write(&self, w: &mut Writer);
}

impl Wire for Definition {
    fn write(&self, w: &mut Writer) {
        for d in &self.def {
            w.bytes_always(1, d);
        }
        w.map(2, &self.metadata, |w, v| w.message(2, v));
        w.optional(3, &self.source);
    }
}

impl Wire for Op {
    fn write(&self, w: &mut Writer) {
        // BuildKit's marshaller (vtprotobuf) writes the oneof after every other field, so
        // platform (10) and constraints (11) come before the op kind (2..8). The corpus pins this.
        w.messages(1, &self.inputs);
        w.optional(10, &self.platform);
        w.optional(11, &self.constraints);
        match &self.op {
            Some(OpKind::Exec(m)) => w.message(2, m),
            Some(OpKind::Source(m)) => w.message(3, m),
            Some(OpKind::File(m)) => w.message(4, m),
            Some(OpKind::Build(m)) => w.message(5, m),
            Some(OpKind::Merge(m)) => w.message(6, m),
            Some(OpKind::Diff(m)) => w.message(7, m),
            Some(OpKind::Passthrough(m)) => w.message(8, m),
            None => {}
        }
    }
}

impl Wire for Input {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.digest);
        w.int(2, self.index);
    }
}

impl Wire for ExecOp {
    fn write(&self, w: &mut Writer) {
        w.optional(1, &self.meta);
        w.messages(2, &self.mounts);
        w.int(3, i64::from(self.network));
        w.int(4, i64::from(self.security));
        w.messages(5, &self.secretenv);
        w.messages(6, &self.cdi_devices);
    }
}

impl Wire for Meta {
    fn write(&self, w: &mut Writer) {
        w.strings(1, &self.args);
        w.strings(2, &self.env);
        w.string(3, &self.cwd);
        w.string(4, &self.user);
        w.optional(5, &self.proxy_env);
        w.messages(6, &self.extra_hosts);
        w.string(7, &self.hostname);
        w.messages(9, &self.ulimit);
        w.string(10, &self.cgroup_parent);
        w.boolean(11, self.remove_mount_stubs_recursive);
        w.packed(12, self.valid_exit_codes.iter().map(|&c| i64::from(c)));
    }
}

impl Wire for HostIp {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.host);
        w.string(2, &self.ip);
    }
}

impl Wire for Ulimit {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.name);
        w.int(2, self.soft);
        w.int(3, self.hard);
    }
}

impl Wire for ProxyEnv {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.http_proxy);
        w.string(2, &self.https_proxy);
        w.string(3, &self.ftp_proxy);
        w.string(4, &self.no_proxy);
        w.string(5, &self.all_proxy);
    }
}

impl Wire for SecretEnv {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.id);
        w.string(2, &self.name);
        w.boolean(3, self.optional);
    }
}

impl Wire for CdiDevice {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.name);
        w.boolean(2, self.optional);
    }
}

impl Wire for Mount {
    fn write(&self, w: &mut Writer) {
        w.int(1, self.input);
        w.string(2, &self.selector);
        w.string(3, &self.dest);
        w.int(4, self.output);
        w.boolean(5, self.readonly);
        w.int(6, i64::from(self.mount_type));
        w.optional(19, &self.tmpfs_opt);
        w.optional(20, &self.cache_opt);
        w.optional(21, &self.secret_opt);
        w.optional(22, &self.ssh_opt);
        w.string(23, &self.result_id);
        w.int(24, i64::from(self.content_cache));
    }
}

impl Wire for TmpfsOpt {
    fn write(&self, w: &mut Writer) {
        w.int(1, self.size);
    }
}

impl Wire for CacheOpt {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.id);
        w.int(2, i64::from(self.sharing));
    }
}

impl Wire for SecretOpt {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.id);
        w.uint(2, u64::from(self.uid));
        w.uint(3, u64::from(self.gid));
        w.uint(4, u64::from(self.mode));
        w.boolean(5, self.optional);
    }
}

impl Wire for SshOpt {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.id);
        w.uint(2, u64::from(self.uid));
        w.uint(3, u64::from(self.gid));
        w.uint(4, u64::from(self.mode));
        w.boolean(5, self.optional);
    }
}

impl Wire for SourceOp {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.identifier);
        w.map(2, &self.attrs, |w, v| w.bytes_always(2, v.as_bytes()));
    }
}

impl Wire for FileOp {
    fn write(&self, w: &mut Writer) {
        w.messages(2, &self.actions);
    }
}

impl Wire for FileAction {
    fn write(&self, w: &mut Writer) {
        w.int(1, self.input);
        w.int(2, self.secondary_input);
        w.int(3, self.output);
        match &self.action {
            Some(FileActionKind::Copy(m)) => w.message(4, m),
            Some(FileActionKind::Mkfile(m)) => w.message(5, m),
            Some(FileActionKind::Mkdir(m)) => w.message(6, m),
            Some(FileActionKind::Rm(m)) => w.message(7, m),
            Some(FileActionKind::Symlink(m)) => w.message(8, m),
            None => {}
        }
    }
}

impl Wire for FileActionCopy {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.src);
        w.string(2, &self.dest);
        w.optional(3, &self.owner);
        w.int(4, i64::from(self.mode));
        w.boolean(5, self.follow_symlink);
        w.boolean(6, self.dir_copy_contents);
        w.boolean(7, self.attempt_unpack_docker_compatibility);
        w.boolean(8, self.create_dest_path);
        w.boolean(9, self.allow_wildcard);
        w.boolean(10, self.allow_empty_wildcard);
        w.int(11, self.timestamp);
        w.strings(12, &self.include_patterns);
        w.strings(13, &self.exclude_patterns);
        w.boolean(14, self.always_replace_existing_dest_paths);
        w.string(15, &self.mode_str);
        w.strings(16, &self.required_paths);
    }
}

impl Wire for FileActionMkFile {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.path);
        w.int(2, i64::from(self.mode));
        w.bytes(3, &self.data);
        w.optional(4, &self.owner);
        w.int(5, self.timestamp);
    }
}

impl Wire for FileActionMkDir {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.path);
        w.int(2, i64::from(self.mode));
        w.boolean(3, self.make_parents);
        w.optional(4, &self.owner);
        w.int(5, self.timestamp);
    }
}

impl Wire for FileActionRm {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.path);
        w.boolean(2, self.allow_not_found);
        w.boolean(3, self.allow_wildcard);
    }
}

impl Wire for FileActionSymlink {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.oldpath);
        w.string(2, &self.newpath);
        w.optional(3, &self.owner);
        w.int(4, self.timestamp);
    }
}

impl Wire for ChownOpt {
    fn write(&self, w: &mut Writer) {
        w.optional(1, &self.user);
        w.optional(2, &self.group);
    }
}

impl Wire for UserOpt {
    fn write(&self, w: &mut Writer) {
        match &self.user {
            Some(UserOptKind::ByName(m)) => w.message(1, m),
            // A oneof member is written even at its zero value.
            Some(UserOptKind::ById(id)) => {
                w.tag(2, VARINT);
                w.varint(u64::from(*id));
            }
            None => {}
        }
    }
}

impl Wire for NamedUserOpt {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.name);
        w.int(2, self.input);
    }
}

impl Wire for BuildOp {
    fn write(&self, w: &mut Writer) {
        w.int(1, self.builder);
        w.map(2, &self.inputs, |w, v| w.message(2, v));
        w.optional(3, &self.def);
        w.map(4, &self.attrs, |w, v| w.bytes_always(2, v.as_bytes()));
    }
}

impl Wire for BuildInput {
    fn write(&self, w: &mut Writer) {
        w.int(1, self.input);
    }
}

impl Wire for MergeOp {
    fn write(&self, w: &mut Writer) {
        w.messages(1, &self.inputs);
    }
}

impl Wire for MergeInput {
    fn write(&self, w: &mut Writer) {
        w.int(1, self.input);
    }
}

impl Wire for DiffOp {
    fn write(&self, w: &mut Writer) {
        w.optional(1, &self.lower);
        w.optional(2, &self.upper);
    }
}

impl Wire for LowerDiffInput {
    fn write(&self, w: &mut Writer) {
        w.int(1, self.input);
    }
}

impl Wire for UpperDiffInput {
    fn write(&self, w: &mut Writer) {
        w.int(1, self.input);
    }
}

impl Wire for PassthroughOp {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.id);
        w.packed(2, self.outputs.iter().copied());
    }
}

impl Wire for OpMetadata {
    fn write(&self, w: &mut Writer) {
        w.boolean(1, self.ignore_cache);
        w.map(2, &self.description, |w, v| w.bytes_always(2, v.as_bytes()));
        w.optional(4, &self.export_cache);
        w.map(5, &self.caps, |w, v| {
            w.tag(2, VARINT);
            w.varint(u64::from(*v));
        });
        w.optional(6, &self.progress_group);
        w.optional(7, &self.linux_resources);
    }
}

impl Wire for ExportCache {
    fn write(&self, w: &mut Writer) {
        w.boolean(1, self.value);
    }
}

impl Wire for ProgressGroup {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.id);
        w.string(2, &self.name);
        w.boolean(3, self.weak);
    }
}

impl Wire for LinuxResources {
    fn write(&self, w: &mut Writer) {
        w.int(1, self.memory);
        w.int(2, self.memory_swap);
        w.uint(3, self.cpu_shares);
        w.uint(4, self.cpu_period);
        w.int(5, self.cpu_quota);
        w.string(6, &self.cpuset_cpus);
        w.string(7, &self.cpuset_mems);
    }
}

impl Wire for Platform {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.architecture);
        w.string(2, &self.os);
        w.string(3, &self.variant);
        w.string(4, &self.os_version);
        w.strings(5, &self.os_features);
    }
}

impl Wire for WorkerConstraints {
    fn write(&self, w: &mut Writer) {
        w.strings(1, &self.filter);
    }
}

impl Wire for Source {
    fn write(&self, w: &mut Writer) {
        w.map(1, &self.locations, |w, v| w.message(2, v));
        w.messages(2, &self.infos);
    }
}

impl Wire for Locations {
    fn write(&self, w: &mut Writer) {
        w.messages(1, &self.locations);
    }
}

impl Wire for Location {
    fn write(&self, w: &mut Writer) {
        w.int(1, i64::from(self.source_index));
        w.messages(2, &self.ranges);
    }
}

impl Wire for Range {
    fn write(&self, w: &mut Writer) {
        w.optional(1, &self.start);
        w.optional(2, &self.end);
    }
}

impl Wire for Position {
    fn write(&self, w: &mut Writer) {
        w.int(1, i64::from(self.line));
        w.int(2, i64::from(self.character));
    }
}

impl Wire for SourceInfo {
    fn write(&self, w: &mut Writer) {
        w.string(1, &self.filename);
        w.bytes(2, &self.data);
        w.optional(3, &self.definition);
        w.string(4, &self.language);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llb::Digest;

    fn alpine() -> Op {
        Op {
            inputs: vec![],
            op: Some(OpKind::Source(SourceOp {
                identifier: "docker-image://docker.io/library/alpine:latest".into(),
                attrs: BTreeMap::new(),
            })),
            platform: Some(Platform {
                architecture: "amd64".into(),
                os: "linux".into(),
                ..Default::default()
            }),
            constraints: Some(WorkerConstraints::default()),
        }
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// The first op of the corpus's `ex-buildkit0` (written by BuildKit's Go client). Note the
    /// order: platform and constraints come before the oneof. (The facts brief's §1.14 vector
    /// puts the source first and gets `sha256:665ba8…`; the real client does not.)
    #[test]
    fn go_client_source_op() {
        let bytes = encode_op(&alpine());
        assert_eq!(hex(&bytes), "520e0a05616d64363412056c696e75785a001a300a2e646f636b65722d696d6167653a2f2f646f636b65722e696f2f6c6962726172792f616c70696e653a6c6174657374");
        assert_eq!(
            Digest::of(&bytes).as_str(),
            "sha256:a7f9733e307dd352c82d43053b783dd17bb2ec2c36214908ce393e41545c8b51"
        );
    }

    #[test]
    fn terminal_op_is_inputs_only() {
        let src = Digest::of(&encode_op(&alpine()));
        let term = Op {
            inputs: vec![Input {
                digest: src.to_string(),
                index: 0,
            }],
            ..Default::default()
        };
        let bytes = encode_op(&term);
        // 0a 49 (input, 73 bytes) 0a 47 (digest, 71 bytes); index 0 is omitted.
        assert_eq!(bytes.len(), 75);
        assert_eq!(hex(&bytes[..4]), "0a490a47");
        assert_eq!(&bytes[4..], src.as_str().as_bytes());
    }

    #[test]
    fn negative_one_takes_ten_bytes() {
        let mut w = Writer::default();
        w.int(1, -1);
        assert_eq!(hex(&w.buf), "08ffffffffffffffffff01");
    }

    #[test]
    fn map_entries_keep_empty_keys_and_values() {
        let mut attrs = BTreeMap::new();
        attrs.insert(String::new(), String::new());
        let op = SourceOp {
            identifier: String::new(),
            attrs,
        };
        let mut w = Writer::default();
        op.write(&mut w);
        // field 2, len 4: key (tag 0a, len 0), value (tag 12, len 0)
        assert_eq!(hex(&w.buf), "12040a001200");
    }

    #[test]
    fn zero_user_id_is_emitted() {
        let u = UserOpt {
            user: Some(UserOptKind::ById(0)),
        };
        let mut w = Writer::default();
        u.write(&mut w);
        assert_eq!(hex(&w.buf), "1000");
    }

    #[test]
    fn prost_decodes_what_we_encode() {
        use prost::Message;
        let bytes = encode_op(&alpine());
        let back = Op::decode(bytes.as_slice()).expect("valid");
        assert_eq!(back, alpine());
    }
}
