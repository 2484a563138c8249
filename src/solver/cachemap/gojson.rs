//! A tiny JSON value and writer whose output is byte for byte what Go's `encoding/json.Marshal`
//! gives for the same value: compact, keys in the order they were added (Go: struct field order),
//! HTML-safe string escaping (`<`, `>`, `&` as `\u003c`, `\u003e`, `\u0026`), U+2028 and U+2029
//! escaped, control characters as `\b \f \n \r \t` or `\u00XX`, each byte of invalid UTF-8 as
//! `\ufffd`, and `[]byte` as standard padded base64.
//!
//! Omitting zero values (`omitempty`) is the builder's job: [`Obj`] has helpers that add a field
//! only when Go would keep it.

use base64::Engine;

/// A JSON value, already in Go's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum J {
    /// `null` (a nil pointer, slice or map without `omitempty`).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A signed integer (Go's `int`, `int32`, `int64`, enums).
    Int(i64),
    /// An unsigned integer (`uint32`, `uint64`).
    Uint(u64),
    /// A string, as raw bytes (Go strings may hold invalid UTF-8).
    Str(Vec<u8>),
    /// A `[]byte`, written as base64.
    Bytes(Vec<u8>),
    /// An array.
    Arr(Vec<J>),
    /// An object, keys in order.
    Obj(Vec<(String, J)>),
}

impl J {
    /// A string value.
    pub fn str(s: &str) -> J {
        J::Str(s.as_bytes().to_vec())
    }

    /// An array of strings.
    pub fn strs(v: &[String]) -> J {
        J::Arr(v.iter().map(|s| J::str(s)).collect())
    }

    /// The value as Go's `json.Marshal` writes it.
    pub fn to_go_json(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// The value as text (the output is always valid UTF-8: every non-ASCII byte that is not
    /// part of valid UTF-8 was replaced).
    pub fn to_go_string(&self) -> String {
        String::from_utf8_lossy(&self.to_go_json()).into_owned()
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            J::Null => out.extend_from_slice(b"null"),
            J::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            J::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
            J::Uint(n) => out.extend_from_slice(n.to_string().as_bytes()),
            J::Str(s) => write_string(out, s),
            J::Bytes(b) => {
                out.push(b'"');
                let enc = base64::engine::general_purpose::STANDARD.encode(b);
                out.extend_from_slice(enc.as_bytes());
                out.push(b'"');
            }
            J::Arr(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            J::Obj(fields) => {
                out.push(b'{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_string(out, k.as_bytes());
                    out.push(b':');
                    v.write(out);
                }
                out.push(b'}');
            }
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Go's `appendString` with HTML escaping on.
pub fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.extend_from_slice(b"\\\""),
                '\\' => out.extend_from_slice(b"\\\\"),
                '\u{8}' => out.extend_from_slice(b"\\b"),
                '\u{c}' => out.extend_from_slice(b"\\f"),
                '\n' => out.extend_from_slice(b"\\n"),
                '\r' => out.extend_from_slice(b"\\r"),
                '\t' => out.extend_from_slice(b"\\t"),
                '<' | '>' | '&' | '\u{0}'..='\u{1f}' => {
                    let b = c as u8;
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[(b >> 4) as usize]);
                    out.push(HEX[(b & 0xf) as usize]);
                }
                '\u{2028}' | '\u{2029}' => {
                    out.extend_from_slice(b"\\u202");
                    out.push(HEX[(c as u32 & 0xf) as usize]);
                }
                _ => {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        // Go decodes one byte at a time past an invalid sequence: one U+FFFD per byte.
        for _ in chunk.invalid() {
            out.extend_from_slice(b"\\ufffd");
        }
    }
    out.push(b'"');
}

/// An object under construction, with Go's `omitempty` rules as helpers.
#[derive(Default)]
pub struct Obj(Vec<(String, J)>);

impl Obj {
    /// An empty object.
    pub fn new() -> Obj {
        Obj(Vec::new())
    }

    /// Adds a field unconditionally (no `omitempty`).
    pub fn put(mut self, k: &str, v: J) -> Obj {
        self.0.push((k.to_string(), v));
        self
    }

    /// `string` with `omitempty`.
    pub fn s(self, k: &str, v: &str) -> Obj {
        if v.is_empty() {
            self
        } else {
            self.put(k, J::str(v))
        }
    }

    /// Signed integer with `omitempty`.
    pub fn i(self, k: &str, v: i64) -> Obj {
        if v == 0 {
            self
        } else {
            self.put(k, J::Int(v))
        }
    }

    /// Unsigned integer with `omitempty`.
    pub fn u(self, k: &str, v: u64) -> Obj {
        if v == 0 {
            self
        } else {
            self.put(k, J::Uint(v))
        }
    }

    /// `bool` with `omitempty`.
    pub fn b(self, k: &str, v: bool) -> Obj {
        if v {
            self.put(k, J::Bool(true))
        } else {
            self
        }
    }

    /// `[]byte` with `omitempty`.
    pub fn bytes(self, k: &str, v: &[u8]) -> Obj {
        if v.is_empty() {
            self
        } else {
            self.put(k, J::Bytes(v.to_vec()))
        }
    }

    /// `[]string` with `omitempty`.
    pub fn ss(self, k: &str, v: &[String]) -> Obj {
        if v.is_empty() {
            self
        } else {
            self.put(k, J::strs(v))
        }
    }

    /// A slice of anything with `omitempty`.
    pub fn arr(self, k: &str, v: Vec<J>) -> Obj {
        if v.is_empty() {
            self
        } else {
            self.put(k, J::Arr(v))
        }
    }

    /// A pointer with `omitempty`: kept when present, even if it points at a zero struct.
    pub fn opt(self, k: &str, v: Option<J>) -> Obj {
        match v {
            Some(v) => self.put(k, v),
            None => self,
        }
    }

    /// A map with `omitempty` (the entries must already be sorted by key, as Go sorts them).
    pub fn map(self, k: &str, entries: Vec<(String, J)>) -> Obj {
        if entries.is_empty() {
            self
        } else {
            self.put(k, J::Obj(entries))
        }
    }

    /// The finished object.
    pub fn done(self) -> J {
        J::Obj(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[u8]) -> String {
        J::Str(b.to_vec()).to_go_string()
    }

    #[test]
    fn escapes_like_go() {
        assert_eq!(s(b"a<b>&c"), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(s("x\u{2028}y\u{2029}".as_bytes()), r#""x\u2028y\u2029""#);
        assert_eq!(
            s(b"\x00\x01\x08\x0c\n\r\t\x1f\x7f"),
            "\"\\u0000\\u0001\\b\\f\\n\\r\\t\\u001f\x7f\""
        );
        assert_eq!(s(b"q\"b\\"), r#""q\"b\\""#);
        assert_eq!(s("é日本🎉".as_bytes()), "\"é日本🎉\"");
    }

    #[test]
    fn invalid_utf8_is_one_replacement_per_byte() {
        assert_eq!(s(b"a\xffb"), r#""a\ufffdb""#);
        // A truncated three-byte sequence: Go replaces each byte.
        assert_eq!(s(b"\xe2\x82A"), r#""\ufffd\ufffdA""#);
        // A UTF-16 surrogate encoded in UTF-8 is invalid: three bytes, three replacements.
        assert_eq!(s(b"\xed\xa0\x80"), r#""\ufffd\ufffd\ufffd""#);
    }

    #[test]
    fn values_and_omitempty() {
        let v = Obj::new()
            .s("a", "")
            .i("n", 0)
            .i("m", -1)
            .b("f", false)
            .bytes("d", b"hi>")
            .arr("e", vec![])
            .opt("p", Some(Obj::new().done()))
            .put("z", J::Arr(vec![J::Null, J::Uint(7)]))
            .done();
        assert_eq!(
            v.to_go_string(),
            r#"{"m":-1,"d":"aGk+","p":{},"z":[null,7]}"#
        );
    }
}
