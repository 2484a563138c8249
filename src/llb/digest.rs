//! Content digests in the `sha256:<hex>` form BuildKit uses for ops (go-digest `FromBytes`).

use std::fmt;

use sha2::{Digest as _, Sha256};

/// An op digest such as `sha256:665ba8b2…`.
///
/// Digests that come from input (an op's `inputs[].digest`) are kept verbatim, whatever they
/// hold, so that errors can quote them; digests computed here are always `sha256:` + 64 hex.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Digest(String);

impl Digest {
    /// The digest of `bytes`: `"sha256:" + lowercase_hex(sha256(bytes))`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(format!("sha256:{}", hex(&Sha256::digest(bytes))))
    }

    /// Parses a digest listed in a document: `sha256:` and 64 lowercase hex digits.
    pub fn parse(s: &str) -> Option<Digest> {
        let hex = s.strip_prefix("sha256:")?;
        let ok = hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Digest(s.to_string()))
    }

    /// Wraps a digest string taken from input, unchecked.
    pub fn from_raw(s: impl Into<String>) -> Digest {
        Digest(s.into())
    }

    /// The digest as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 hex characters, for compact display.
    pub fn short(&self) -> &str {
        let hex = self.0.strip_prefix("sha256:").unwrap_or(&self.0);
        hex.get(..12).unwrap_or(hex)
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl From<&str> for Digest {
    fn from(s: &str) -> Digest {
        Digest(s.to_string())
    }
}
