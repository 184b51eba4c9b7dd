//! The extended data items of an `EVENT_HEADER` record (related activity
//! id, user SID, terminal session id, …), which both the record decoder and
//! the TraceLogging decoder read.

use crate::bytes::{array16_at, u32_at, u8_at};
use crate::guid::Guid;

/// One extended data item of an `EVENT_HEADER` record (related activity id,
/// SID, terminal session id, stack trace, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedItem {
    /// `ExtType` (1 related activity id, 2 SID, 3 terminal session id, 4 instance info, 5/6 stack trace, …).
    pub ext_type: u16,
    /// The item's bytes.
    pub data: Vec<u8>,
}

impl ExtendedItem {
    /// `EVENT_HEADER_EXT_TYPE_RELATED_ACTIVITYID`.
    pub const RELATED_ACTIVITY_ID: u16 = 1;
    /// `EVENT_HEADER_EXT_TYPE_SID`.
    pub const SID: u16 = 2;
    /// `EVENT_HEADER_EXT_TYPE_TS_ID` (terminal session id).
    pub const TS_ID: u16 = 3;

    /// The related activity id, for an item of that type.
    pub fn related_activity_id(&self) -> Option<Guid> {
        if self.ext_type != Self::RELATED_ACTIVITY_ID {
            return None;
        }
        array16_at(&self.data, 0).map(Guid)
    }

    /// The user SID as text (`S-1-5-18`), for an item of that type.
    pub fn sid(&self) -> Option<String> {
        if self.ext_type != Self::SID {
            return None;
        }
        sid_to_string(&self.data)
    }
}

/// A binary SID (revision, count, 48-bit big-endian authority, sub-authorities) as `S-R-A-S1-…`.
pub fn sid_to_string(b: &[u8]) -> Option<String> {
    let revision = u8_at(b, 0)?;
    let count = usize::from(u8_at(b, 1)?);
    if revision != 1 || count > 15 {
        return None;
    }
    let authority = b.get(2..8)?.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    let mut s = format!("S-{revision}-{authority}");
    for i in 0..count {
        s.push('-');
        s.push_str(&u32_at(b, 8 + 4 * i)?.to_string());
    }
    Some(s)
}
