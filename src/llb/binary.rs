//! Binary `pb.Definition`: what `llb.WriteTo` writes and `buildctl build` reads from stdin.
//!
//! The outer message is walked here by hand so that every `def` element keeps its exact bytes and
//! its byte offset (the digest is the sha256 of those bytes, and an error can say where it is).
//! Metadata entries, the source map and each op are decoded with prost.
//!
//! An op that fails to decode does not fail the whole read: BuildKit reports it at load time,
//! in `def` order, as `failed to parse llb proto op: …`, and [`crate::load`] does the same.

use std::collections::BTreeMap;

use prost::Message;

use super::{pb, DefOp, Definition, Digest, Format, OpDecodeError};
use crate::error::{Location, ParseError};

/// Reads a binary `pb.Definition`. An empty input is a valid, empty definition.
pub fn read(bytes: &[u8]) -> Result<Definition, ParseError> {
    read_as(bytes, Format::Protobuf)
}

pub(crate) fn read_as(bytes: &[u8], format: Format) -> Result<Definition, ParseError> {
    let err = |offset: usize, msg: String| ParseError::new(format, Location::Byte(offset), msg);
    // First walk the outer message without decoding anything, so that a truncated or garbled
    // input fails at once, at the offset where its structure breaks.
    let mut fields: Vec<(u64, usize, &[u8])> = Vec::new();
    let mut n_ops = 0usize;
    let mut r = Reader { buf: bytes, pos: 0 };
    while !r.done() {
        let at = r.pos;
        let (field, wire) = r.key().map_err(|m| err(at, m))?;
        let start = r.pos;
        match (field, wire) {
            (1..=3, WIRE_LEN) => {
                let what = match field {
                    1 => format!("def[{n_ops}]"),
                    2 => "metadata".to_string(),
                    _ => "Source".to_string(),
                };
                let data = r
                    .len_delimited()
                    .map_err(|m| err(start, format!("{what}: {m}")))?;
                n_ops += usize::from(field == 1);
                fields.push((field, start + varint_len(data.len() as u64), data));
            }
            (1..=3, w) => {
                return Err(err(
                    at,
                    format!("field {field} has wire type {w}, expected 2 (length-delimited)"),
                ))
            }
            (_, w) => r
                .skip(w)
                .map_err(|m| err(at, format!("unknown field {field}: {m}")))?,
        }
    }
    let mut def = Definition {
        ops: Vec::with_capacity(n_ops),
        metadata: BTreeMap::new(),
        source: None,
        notes: Vec::new(),
    };
    for (field, offset, data) in fields {
        match field {
            1 => def.ops.push(DefOp {
                digest: Digest::of(data),
                bytes: data.to_vec(),
                op: decode_op(data),
                offset: Some(offset),
                pinned: false,
            }),
            2 => {
                let entry = MetadataEntry::decode(data)
                    .map_err(|e| err(offset, format!("metadata entry: {e}")))?;
                def.metadata
                    .insert(Digest::from_raw(entry.key), entry.value.unwrap_or_default());
            }
            _ => {
                // A repeated message field merges in protobuf; the last one wins here, which is
                // what every real producer (one occurrence) gives anyway.
                def.source = Some(
                    pb::Source::decode(data).map_err(|e| err(offset, format!("Source: {e}")))?,
                );
            }
        }
    }
    Ok(def)
}

/// Decodes one op. prost checks UTF-8 where BuildKit's parser does not; when that is the only
/// problem, the op's inputs are read on their own so the loader can go on as BuildKit does.
fn decode_op(data: &[u8]) -> Result<pb::Op, OpDecodeError> {
    pb::Op::decode(data).map_err(|e| {
        let malformed = OpDecodeError::Malformed(e.to_string());
        if !e.to_string().contains("UTF-8") {
            return malformed;
        }
        match InputsOnly::decode(data) {
            Ok(only) => OpDecodeError::InvalidUtf8 {
                inputs: only
                    .inputs
                    .into_iter()
                    .map(|i| pb::Input {
                        digest: String::from_utf8_lossy(&i.digest).into_owned(),
                        index: i.index,
                    })
                    .collect(),
            },
            Err(_) => malformed,
        }
    })
}

/// An `Op` read for its inputs only, with digests as raw bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct InputsOnly {
    #[prost(message, repeated, tag = "1")]
    inputs: Vec<RawInput>,
}

/// `pb.Input` with the digest as bytes.
#[derive(Clone, PartialEq, prost::Message)]
struct RawInput {
    #[prost(bytes = "vec", tag = "1")]
    digest: Vec<u8>,
    #[prost(int64, tag = "2")]
    index: i64,
}

/// One entry of `Definition.metadata`.
#[derive(Clone, PartialEq, prost::Message)]
struct MetadataEntry {
    #[prost(string, tag = "1")]
    key: String,
    #[prost(message, optional, tag = "2")]
    value: Option<pb::OpMetadata>,
}

const WIRE_VARINT: u8 = 0;
const WIRE_I64: u8 = 1;
const WIRE_LEN: u8 = 2;
const WIRE_I32: u8 = 5;

fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// A bounds-checked cursor over protobuf bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err("truncated varint".into());
            };
            self.pos += 1;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err("varint longer than 10 bytes".into())
    }

    fn key(&mut self) -> Result<(u64, u8), String> {
        let k = self.varint()?;
        let field = k >> 3;
        if field == 0 {
            return Err("invalid field number 0 (not a protobuf message?)".into());
        }
        Ok((field, (k & 7) as u8))
    }

    fn len_delimited(&mut self) -> Result<&'a [u8], String> {
        let len = self.varint()?;
        let remaining = self.buf.len() - self.pos;
        if len > remaining as u64 {
            return Err(format!(
                "length {len} runs past the end of the input ({remaining} bytes left)"
            ));
        }
        let start = self.pos;
        self.pos += len as usize;
        Ok(&self.buf[start..self.pos])
    }

    fn skip(&mut self, wire: u8) -> Result<(), String> {
        let n = match wire {
            WIRE_VARINT => return self.varint().map(|_| ()),
            WIRE_LEN => return self.len_delimited().map(|_| ()),
            WIRE_I64 => 8,
            WIRE_I32 => 4,
            w => return Err(format!("unsupported wire type {w}")),
        };
        if self.buf.len() - self.pos < n {
            return Err("truncated fixed-width field".into());
        }
        self.pos += n;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_is_an_empty_definition() {
        let def = read(&[]).expect("empty is valid");
        assert!(def.ops.is_empty());
    }

    #[test]
    fn truncated_length_names_the_offset() {
        // field 1, length 200, only 3 bytes follow
        let e = read(&[0x0a, 0xc8, 0x01, 1, 2, 3]).expect_err("truncated");
        assert_eq!(e.location, Location::Byte(1));
        assert!(e.message.contains("runs past the end"), "{e}");
    }

    #[test]
    fn garbage_op_is_kept_for_the_loader() {
        // field 1 holding one byte 0xff (a truncated varint key)
        let def = read(&[0x0a, 0x01, 0xff]).expect("outer message is fine");
        assert_eq!(def.ops.len(), 1);
        assert!(def.ops[0].op.is_err());
        assert_eq!(def.ops[0].offset, Some(2));
    }
}
