//! One entry point for every input format: [`read`] looks at the bytes, decides what they are,
//! and says which format it found. When nothing fits, the error lists what was tried and why
//! each failed.

use base64::Engine as _;
use serde_json::Value;

use super::{binary, convertllb, dumpllb, provenance, Definition, Format};
use crate::error::{Location, ParseError};

/// Reads a definition in any supported format.
pub fn read(input: &[u8]) -> Result<(Format, Definition), ParseError> {
    let text = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    let trimmed = trim_ascii(text);
    if trimmed.is_empty() {
        // An empty file is a valid, empty pb.Definition (the loader then says so).
        return Ok((Format::Protobuf, binary::read(&[])?));
    }
    if matches!(trimmed.first(), Some(b'{') | Some(b'[')) {
        return read_json(trimmed);
    }
    if trimmed.iter().all(|&b| is_base64_byte(b)) {
        let compact: Vec<u8> = trimmed
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(&compact)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&compact))
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&compact))
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&compact));
        if let Ok(bytes) = decoded {
            if let Ok(def) = binary::read_as(&bytes, Format::ProtobufBase64) {
                if !def.ops.is_empty() {
                    return Ok((Format::ProtobufBase64, def));
                }
            }
        }
    }
    match binary::read(input) {
        Ok(def) if plausible(&def) => Ok((Format::Protobuf, def)),
        Ok(_) => Err(unknown(
            input,
            "it decodes, but holds no op (no def entries)",
        )),
        Err(e) => Err(unknown(input, &format!("{} ({})", e.message, e.location))),
    }
}

/// A binary read that found at least one op.
fn plausible(def: &Definition) -> bool {
    !def.ops.is_empty()
}

fn unknown(input: &[u8], binary_why: &str) -> ParseError {
    let first = input
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| input[i])
        .unwrap_or(0);
    let json_why = format!("does not start with '{{' or '[' (first byte 0x{first:02x})");
    let b64_why = match input.iter().position(|&b| !is_base64_byte(b)) {
        Some(at) => format!("byte {at} (0x{:02x}) is not a base64 character", input[at]),
        None => "decodes, but not to a pb.Definition".to_string(),
    };
    ParseError {
        format: None,
        location: Location::Input,
        message: "not an LLB definition in any format llbsim reads".into(),
        tried: vec![
            (Format::Protobuf, binary_why.to_string()),
            (Format::ProtobufBase64, b64_why),
            (Format::DumpLlb, json_why.clone()),
            (Format::ProvenanceV1, json_why.clone()),
            (Format::ConvertLlb, json_why),
        ],
    }
}

fn read_json(text: &[u8]) -> Result<(Format, Definition), ParseError> {
    // Check the syntax of the whole stream first, without building values: a truncated or broken
    // document fails fast, before any allocation.
    let mut count = 0;
    for v in serde_json::Deserializer::from_slice(text).into_iter::<serde::de::IgnoredAny>() {
        if let Err(e) = v {
            return Err(json_syntax_error(count + 1, &e));
        }
        count += 1;
    }
    let mut values = Vec::with_capacity(count);
    for v in serde_json::Deserializer::from_slice(text).into_iter::<Value>() {
        match v {
            Ok(v) => values.push(v),
            Err(e) => return Err(json_syntax_error(values.len() + 1, &e)),
        }
    }
    // A single array of records is the same as a stream of them.
    if let [Value::Array(items)] = values.as_slice() {
        values = items.clone();
    }
    let Some(first) = values.first() else {
        return Err(ParseError {
            format: None,
            location: Location::Input,
            message: "empty JSON array".into(),
            tried: Vec::new(),
        });
    };
    let Some(obj) = first.as_object() else {
        return Err(ParseError {
            format: None,
            location: Location::Json {
                record: Some(1),
                path: "$".into(),
            },
            message: "expected JSON objects".into(),
            tried: Vec::new(),
        });
    };
    if obj.contains_key("Op") || obj.contains_key("Digest") || obj.contains_key("OpMetadata") {
        return Ok((Format::DumpLlb, dumpllb::from_values(&values)?));
    }
    if obj.get("def").is_some_and(Value::is_object) && values.len() == 1 {
        return Ok((Format::ConvertLlb, convertllb::from_value(first)?));
    }
    if provenance::looks_like(first) && values.len() == 1 {
        return provenance::from_value(first);
    }
    let keys: Vec<&str> = obj.keys().take(8).map(String::as_str).collect();
    let why = format!("top-level keys are {keys:?}");
    Err(ParseError {
        format: None,
        location: Location::Json {
            record: Some(1),
            path: "$".into(),
        },
        message: "JSON, but not an LLB definition format llbsim reads".into(),
        tried: vec![
            (Format::DumpLlb, format!("no \"Op\"/\"Digest\" keys; {why}")),
            (Format::ConvertLlb, "no \"def\" object".into()),
            (
                Format::ProvenanceV02,
                "no \"predicate\", \"buildConfig\" or \"buildDefinition\"".into(),
            ),
        ],
    })
}

fn json_syntax_error(record: usize, e: &serde_json::Error) -> ParseError {
    ParseError {
        format: None,
        location: Location::Json {
            record: Some(record),
            path: format!("line {}, column {}", e.line(), e.column()),
        },
        message: format!("invalid JSON: {e}"),
        tried: Vec::new(),
    }
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
        || b.is_ascii_whitespace()
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}
