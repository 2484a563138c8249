//! Finding fields that `ops.proto` does not define.
//!
//! BuildKit keeps unknown fields when it parses an op and writes them back when it re-marshals
//! it, so an op from a newer client keeps its digest. prost drops them, so before re-digesting
//! the loader asks [`has_unknown_fields`]: when the answer is yes, the op's digest is kept
//! rather than recomputed from incomplete bytes. The schema below lists, for every message an op
//! can contain, its field numbers and which of them are messages (walked in turn).

/// A message's fields: `(number, sub-message schema if the field is a message)`.
struct Schema(&'static [(u64, Option<&'static Schema>)]);

const S: Option<&Schema> = None;

static INPUT: Schema = Schema(&[(1, S), (2, S)]);
static PLATFORM: Schema = Schema(&[(1, S), (2, S), (3, S), (4, S), (5, S)]);
static CONSTRAINTS: Schema = Schema(&[(1, S)]);
static HOST_IP: Schema = Schema(&[(1, S), (2, S)]);
static ULIMIT: Schema = Schema(&[(1, S), (2, S), (3, S)]);
static PROXY_ENV: Schema = Schema(&[(1, S), (2, S), (3, S), (4, S), (5, S)]);
static META: Schema = Schema(&[
    (1, S),
    (2, S),
    (3, S),
    (4, S),
    (5, Some(&PROXY_ENV)),
    (6, Some(&HOST_IP)),
    (7, S),
    (9, Some(&ULIMIT)),
    (10, S),
    (11, S),
    (12, S),
]);
static TMPFS_OPT: Schema = Schema(&[(1, S)]);
static CACHE_OPT: Schema = Schema(&[(1, S), (2, S)]);
static SECRET_OPT: Schema = Schema(&[(1, S), (2, S), (3, S), (4, S), (5, S)]);
static MOUNT: Schema = Schema(&[
    (1, S),
    (2, S),
    (3, S),
    (4, S),
    (5, S),
    (6, S),
    (19, Some(&TMPFS_OPT)),
    (20, Some(&CACHE_OPT)),
    (21, Some(&SECRET_OPT)),
    (22, Some(&SECRET_OPT)),
    (23, S),
    (24, S),
]);
static SECRET_ENV: Schema = Schema(&[(1, S), (2, S), (3, S)]);
static CDI_DEVICE: Schema = Schema(&[(1, S), (2, S)]);
static EXEC: Schema = Schema(&[
    (1, Some(&META)),
    (2, Some(&MOUNT)),
    (3, S),
    (4, S),
    (5, Some(&SECRET_ENV)),
    (6, Some(&CDI_DEVICE)),
]);
static STRING_MAP_ENTRY: Schema = Schema(&[(1, S), (2, S)]);
static SOURCE: Schema = Schema(&[(1, S), (2, Some(&STRING_MAP_ENTRY))]);
static NAMED_USER: Schema = Schema(&[(1, S), (2, S)]);
static USER_OPT: Schema = Schema(&[(1, Some(&NAMED_USER)), (2, S)]);
static CHOWN: Schema = Schema(&[(1, Some(&USER_OPT)), (2, Some(&USER_OPT))]);
static COPY: Schema = Schema(&[
    (1, S),
    (2, S),
    (3, Some(&CHOWN)),
    (4, S),
    (5, S),
    (6, S),
    (7, S),
    (8, S),
    (9, S),
    (10, S),
    (11, S),
    (12, S),
    (13, S),
    (14, S),
    (15, S),
    (16, S),
]);
static MKFILE: Schema = Schema(&[(1, S), (2, S), (3, S), (4, Some(&CHOWN)), (5, S)]);
static MKDIR: Schema = Schema(&[(1, S), (2, S), (3, S), (4, Some(&CHOWN)), (5, S)]);
static RM: Schema = Schema(&[(1, S), (2, S), (3, S)]);
static SYMLINK: Schema = Schema(&[(1, S), (2, S), (3, Some(&CHOWN)), (4, S)]);
static FILE_ACTION: Schema = Schema(&[
    (1, S),
    (2, S),
    (3, S),
    (4, Some(&COPY)),
    (5, Some(&MKFILE)),
    (6, Some(&MKDIR)),
    (7, Some(&RM)),
    (8, Some(&SYMLINK)),
]);
static FILE: Schema = Schema(&[(2, Some(&FILE_ACTION))]);
static ONE_INT: Schema = Schema(&[(1, S)]);
static BUILD_INPUT_ENTRY: Schema = Schema(&[(1, S), (2, Some(&ONE_INT))]);
static EXPORT_CACHE: Schema = Schema(&[(1, S)]);
static PROGRESS_GROUP: Schema = Schema(&[(1, S), (2, S), (3, S)]);
static LINUX_RESOURCES: Schema = Schema(&[(1, S), (2, S), (3, S), (4, S), (5, S), (6, S), (7, S)]);
static OP_METADATA: Schema = Schema(&[
    (1, S),
    (2, Some(&STRING_MAP_ENTRY)),
    (4, Some(&EXPORT_CACHE)),
    (5, Some(&STRING_MAP_ENTRY)),
    (6, Some(&PROGRESS_GROUP)),
    (7, Some(&LINUX_RESOURCES)),
]);
static METADATA_ENTRY: Schema = Schema(&[(1, S), (2, Some(&OP_METADATA))]);
static POSITION: Schema = Schema(&[(1, S), (2, S)]);
static RANGE: Schema = Schema(&[(1, Some(&POSITION)), (2, Some(&POSITION))]);
static LOCATION: Schema = Schema(&[(1, S), (2, Some(&RANGE))]);
static LOCATIONS: Schema = Schema(&[(1, Some(&LOCATION))]);
static LOCATIONS_ENTRY: Schema = Schema(&[(1, S), (2, Some(&LOCATIONS))]);
static SOURCE_INFO: Schema = Schema(&[(1, S), (2, S), (3, Some(&DEFINITION)), (4, S)]);
static SOURCE_MAP: Schema = Schema(&[(1, Some(&LOCATIONS_ENTRY)), (2, Some(&SOURCE_INFO))]);
static DEFINITION: Schema = Schema(&[(1, S), (2, Some(&METADATA_ENTRY)), (3, Some(&SOURCE_MAP))]);
static BUILD: Schema = Schema(&[
    (1, S),
    (2, Some(&BUILD_INPUT_ENTRY)),
    (3, Some(&DEFINITION)),
    (4, Some(&STRING_MAP_ENTRY)),
]);
static MERGE: Schema = Schema(&[(1, Some(&ONE_INT))]);
static DIFF: Schema = Schema(&[(1, Some(&ONE_INT)), (2, Some(&ONE_INT))]);
static PASSTHROUGH: Schema = Schema(&[(1, S), (2, S)]);
static OP: Schema = Schema(&[
    (1, Some(&INPUT)),
    (2, Some(&EXEC)),
    (3, Some(&SOURCE)),
    (4, Some(&FILE)),
    (5, Some(&BUILD)),
    (6, Some(&MERGE)),
    (7, Some(&DIFF)),
    (8, Some(&PASSTHROUGH)),
    (10, Some(&PLATFORM)),
    (11, Some(&CONSTRAINTS)),
]);

/// Whether the bytes of an `Op` (already known to decode) hold a field `ops.proto` does not
/// define, at any depth. Walks with an explicit stack.
pub fn has_unknown_fields(op_bytes: &[u8]) -> bool {
    let mut stack: Vec<(&[u8], &Schema)> = vec![(op_bytes, &OP)];
    while let Some((mut buf, schema)) = stack.pop() {
        while !buf.is_empty() {
            let Some((key, rest)) = varint(buf) else {
                return true;
            };
            buf = rest;
            let (field, wire) = (key >> 3, key & 7);
            let known = schema.0.iter().find(|(n, _)| *n == field);
            let rest = match wire {
                0 => varint(buf).map(|(_, r)| r),
                1 => buf.get(8..),
                5 => buf.get(4..),
                2 => varint(buf).and_then(|(len, r)| {
                    let len = usize::try_from(len).ok()?;
                    let body = r.get(..len)?;
                    if let Some((_, Some(sub))) = known {
                        stack.push((body, sub));
                    }
                    r.get(len..)
                }),
                _ => None,
            };
            match (known, rest) {
                (Some(_), Some(rest)) => buf = rest,
                _ => return true,
            }
        }
    }
    false
}

fn varint(buf: &[u8]) -> Option<(u64, &[u8])> {
    let mut v = 0u64;
    for (i, &b) in buf.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some((v, &buf[i + 1..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llb::encode_op;
    use crate::testutil;

    #[test]
    fn client_ops_have_none() {
        let op = testutil::exec(&crate::Digest::of(b"x"), &["sh", "-c", "true"]);
        assert!(!has_unknown_fields(&encode_op(&op)));
        assert!(!has_unknown_fields(&encode_op(&testutil::image("alpine"))));
    }

    #[test]
    fn a_new_top_level_or_nested_field_is_found() {
        let mut top = encode_op(&testutil::image("alpine"));
        top.extend_from_slice(&[0x60, 0x01]); // field 12, varint 1
        assert!(has_unknown_fields(&top));
        // inside platform (field 10): field 9 varint
        let op = testutil::image("alpine");
        let mut bytes = encode_op(&op);
        let at = bytes.iter().position(|&b| b == 0x52).expect("platform");
        bytes[at + 1] += 2;
        bytes.splice(at + 2..at + 2, [0x48, 0x01]);
        assert!(has_unknown_fields(&bytes));
    }
}
