//! GUIDs as ETW stores them.

use std::fmt;

/// A GUID, kept as its 16 bytes in Windows (mixed-endian) order — the same
/// layout as `evtriage_core::Guid` — and shown as
/// `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` in lowercase.
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
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{{{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}}}",
            b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
        )
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
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
    }
}
