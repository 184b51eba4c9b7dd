//! Typed errors. Only [`EtlError::NotEtl`] stops a whole file; every other
//! error describes one damaged buffer or record, which is skipped and
//! reported in [`crate::Trace::damage`] while reading goes on.

/// What went wrong reading an `.etl` file, a buffer or a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EtlError {
    /// The input does not start with an ETL buffer holding a logfile header.
    #[error("not an ETL trace: {0}")]
    NotEtl(String),
    /// A buffer header's size or offsets are impossible (damage or a foreign block).
    #[error("damaged buffer header: {0}")]
    BadBufferHeader(String),
    /// The file ends inside a buffer.
    #[error("the file ends inside the buffer ({available} of {expected} bytes present)")]
    Truncated {
        /// Bytes the buffer header announces.
        expected: u64,
        /// Bytes actually present.
        available: u64,
    },
    /// The buffer is compressed (buffer flag 0x40); decompression is not supported yet.
    #[error("compressed buffer (flag 0x40) is not supported yet; its records were skipped")]
    Compressed,
    /// A record header is not one of the known kinds; the rest of the buffer was skipped.
    #[error("unrecognised record header {marker:#010x}; the rest of the buffer was skipped")]
    UnknownRecord {
        /// The first four bytes of the record.
        marker: u32,
    },
    /// A record's size is smaller than its header or runs past the end of the buffer data.
    #[error(
        "record size {size} is impossible here ({room} bytes left in the buffer); the rest of the buffer was skipped"
    )]
    BadRecordSize {
        /// The size the record announces.
        size: u64,
        /// Bytes left in the buffer data.
        room: u64,
    },
    /// A record's size is sound but its inside is not (e.g. extended data
    /// items running past the record); that record alone was skipped.
    #[error("damaged record skipped: {0}")]
    BadRecord(String),
    /// The first buffer has no readable `TRACE_LOGFILE_HEADER`; times cannot be converted.
    #[error("no readable logfile header: {0}")]
    NoLogfileHeader(String),
}
