//! # evtriage-rules
//!
//! Maps patterns of typed records (from `evtriage-core`) to known,
//! KB-documented causes, with evidence. The engine and the rule format land
//! with the rules issue; this crate is the seam the CLI already depends on.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// The version of the findings JSON contract.
pub const REPORT_VERSION: u32 = 1;
