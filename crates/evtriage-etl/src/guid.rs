//! GUIDs as ETW stores them.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// A GUID, kept as its 16 bytes in Windows (mixed-endian) order and shown
/// (and serialised) as `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` in
/// lowercase. The one GUID type of the workspace: `evtriage_core::Guid` is
/// this type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// Builds a GUID from its textual fields (`data1-data2-data3-data4`).
    pub const fn from_fields(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> Guid {
        let a = d1.to_le_bytes();
        let b = d2.to_le_bytes();
        let c = d3.to_le_bytes();
        Guid([a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4], d4[5], d4[6], d4[7]])
    }

    /// Whether all bytes are zero.
    pub fn is_nil(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }

    /// Parses `{0a1b…}` or `0a1b…` (braces optional, case-insensitive).
    pub fn parse(text: &str) -> Option<Guid> {
        let t = text.trim();
        let t = t.strip_prefix('{').unwrap_or(t);
        let t = t.strip_suffix('}').unwrap_or(t);
        // 32 hex digits in five dash-separated groups; no allocation (this is on hot paths).
        let mut raw = [0u8; 16];
        let (mut digits, mut dashes) = (0usize, 0usize);
        for c in t.bytes() {
            if c == b'-' {
                dashes += 1;
                continue;
            }
            let v = (c as char).to_digit(16)? as u8;
            let slot = raw.get_mut(digits / 2)?;
            *slot = (*slot << 4) | v;
            digits += 1;
        }
        if digits != 32 || dashes != 4 {
            return None;
        }
        // Windows stores the first three groups little-endian.
        let mut out = raw;
        out[0..4].copy_from_slice(&[raw[3], raw[2], raw[1], raw[0]]);
        out[4..6].copy_from_slice(&[raw[5], raw[4]]);
        out[6..8].copy_from_slice(&[raw[7], raw[6]]);
        Some(Guid(out))
    }

    /// The `{xxxxxxxx-…}` text in a stack buffer, without allocating (Display,
    /// Serialize and the fast JSON writer use it).
    pub fn text_buf(&self) -> [u8; 38] {
        const ORDER: [usize; 16] = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'-'; 38];
        out[0] = b'{';
        out[37] = b'}';
        let mut n = 1;
        for (i, idx) in ORDER.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                n += 1;
            }
            let b = self.0[*idx];
            out[n] = HEX[usize::from(b >> 4)];
            out[n + 1] = HEX[usize::from(b & 15)];
            n += 2;
        }
        out
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buf = self.text_buf();
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Guid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let buf = self.text_buf();
        s.serialize_str(std::str::from_utf8(&buf).map_err(serde::ser::Error::custom)?)
    }
}

impl<'de> Deserialize<'de> for Guid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Guid::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a GUID: {s}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_to_text() {
        let g = Guid::from_fields(0x099614a5, 0x5dd7, 0x4788, [0x8b, 0xc9, 0xe2, 0x9f, 0x43, 0xdb, 0x28, 0xfc]);
        assert_eq!(g.to_string(), "{099614a5-5dd7-4788-8bc9-e29f43db28fc}");
        assert_eq!(g.0[0], 0xa5);
        assert!(!g.is_nil());
        assert!(Guid::default().is_nil());
        assert_eq!(Guid::parse("{099614A5-5DD7-4788-8BC9-E29F43DB28FC}"), Some(g));
        assert_eq!(Guid::parse("099614a5-5dd7-4788-8bc9-e29f43db28fc"), Some(g));
        assert_eq!(Guid::parse("099614a5-5dd7-4788-8bc9"), None);
    }
}
