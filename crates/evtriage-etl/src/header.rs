//! The two file-level headers: `WMI_BUFFER_HEADER` at the start of every
//! buffer and `TRACE_LOGFILE_HEADER` in the first record of the first buffer.
//!
//! Layouts follow Geoff Chappell's descriptions of both structures (Windows 7
//! and later, which is what every supported Windows writes); see `docs/etl.md`.

use crate::bytes::{i64_at, u16_at, u32_at, u64_at, u8_at, utf16z_at};

/// Size of `WMI_BUFFER_HEADER` in a file: records start at this offset.
pub const BUFFER_HEADER_SIZE: usize = 0x48;

/// Buffer flag: the buffer is compressed (Windows 8 and later).
pub const BUFFER_FLAG_COMPRESSED: u16 = 0x40;

/// Buffer type 4: the buffer holding the logfile header.
pub const BUFFER_TYPE_HEADER: u16 = 4;

/// The header of one buffer (`WMI_BUFFER_HEADER`, 72 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BufferHeader {
    /// Size of the whole buffer in the file, header included (`BufferSize`, offset 0x00).
    pub buffer_size: u32,
    /// Where the data ended when the buffer was saved (`SavedOffset`, 0x04).
    pub saved_offset: u32,
    /// `CurrentOffset` (0x08); in files often larger than the buffer (not used).
    pub current_offset: u32,
    /// When the buffer was flushed, in the trace's clock units (`TimeStamp`, 0x10).
    pub timestamp: i64,
    /// Sequence number of the buffer within the logger (`SequenceNumber`, 0x18).
    pub sequence_number: i64,
    /// The clock bits at 0x20 (`ClockType` in the low 3 bits); not reliable in files.
    pub clock_bits: u64,
    /// Processor that filled the buffer (`ClientContext.ProcessorIndex`, 0x28).
    pub processor: u16,
    /// Logger id (`ClientContext.LoggerId`, 0x2A).
    pub logger_id: u16,
    /// `State` (0x2C).
    pub state: u32,
    /// Offset just past the last record (`Offset`, 0x30): the filled part.
    pub filled_offset: u32,
    /// `BufferFlag` (0x34): 0x1 flush marker, 0x2 events lost, 0x4 buffer lost,
    /// 0x20 processor index, 0x40 compressed.
    pub flags: u16,
    /// `BufferType` (0x36): 0 generic, 1 rundown, 2 context swap, 3 reference time,
    /// 4 header, 5 batched, 6 empty marker, 7 debug info.
    pub buffer_type: u16,
}

impl BufferHeader {
    /// Reads a buffer header from the first 72 bytes of `b`.
    pub fn parse(b: &[u8]) -> Option<BufferHeader> {
        if b.len() < BUFFER_HEADER_SIZE {
            return None;
        }
        Some(BufferHeader {
            buffer_size: u32_at(b, 0x00)?,
            saved_offset: u32_at(b, 0x04)?,
            current_offset: u32_at(b, 0x08)?,
            timestamp: i64_at(b, 0x10)?,
            sequence_number: i64_at(b, 0x18)?,
            clock_bits: u64_at(b, 0x20)?,
            processor: u16_at(b, 0x28)?,
            logger_id: u16_at(b, 0x2a)?,
            state: u32_at(b, 0x2c)?,
            filled_offset: u32_at(b, 0x30)?,
            flags: u16_at(b, 0x34)?,
            buffer_type: u16_at(b, 0x36)?,
        })
    }

    /// Whether the compressed flag (0x40) is set.
    pub fn is_compressed(&self) -> bool {
        self.flags & BUFFER_FLAG_COMPRESSED != 0
    }

    /// End of the record data inside a buffer of `size` bytes: the filled
    /// offset when it is plausible, else the saved offset, else `None`.
    pub fn data_end(&self, size: usize) -> Option<usize> {
        [self.filled_offset, self.saved_offset]
            .into_iter()
            .map(|o| o as usize)
            .find(|&o| (BUFFER_HEADER_SIZE..=size).contains(&o))
    }
}

/// The trace-wide header (`TRACE_LOGFILE_HEADER`) and the names after it.
///
/// Times are raw `FILETIME` values (100 ns since 1601, UTC); [`crate::Clock`]
/// converts them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogfileHeader {
    /// Size of every buffer in the file (`BufferSize`).
    pub buffer_size: u32,
    /// Windows version that wrote the trace: major, minor, sub-version, sub-minor.
    pub version: [u8; 4],
    /// Build number of the writing Windows (`ProviderVersion`).
    pub provider_version: u32,
    /// Number of processors (`NumberOfProcessors`).
    pub processors: u32,
    /// When the trace stopped, `FILETIME` (`EndTime`); 0 if it was not stopped cleanly.
    pub end_time: i64,
    /// Timer resolution in 100 ns units (`TimerResolution`).
    pub timer_resolution: u32,
    /// Maximum file size in MB (`MaximumFileSize`).
    pub max_file_size: u32,
    /// `LogFileMode` (0x2 = circular, 0x8000000 = ...); see Microsoft's logging mode constants.
    pub log_file_mode: u32,
    /// Buffers written (`BuffersWritten`).
    pub buffers_written: u32,
    /// Pointer size of the writing system in bytes (`PointerSize`, 4 or 8).
    pub pointer_size: u32,
    /// Events lost (`EventsLost`).
    pub events_lost: u32,
    /// CPU speed in MHz (`CpuSpeedInMHz`); the frequency of the CPU-cycle clock.
    pub cpu_speed_mhz: u32,
    /// Boot time, `FILETIME` (`BootTime`).
    pub boot_time: i64,
    /// QPC frequency in Hz (`PerfFreq`).
    pub perf_freq: i64,
    /// When the trace started, `FILETIME` (`StartTime`).
    pub start_time: i64,
    /// Clock type (`ReservedFlags`): 1 QPC, 2 system time, 3 CPU cycle counter.
    pub clock_type: u32,
    /// Buffers lost (`BuffersLost`).
    pub buffers_lost: u32,
    /// Session name, e.g. `AMSITraceSession`.
    pub logger_name: String,
    /// The path the trace was written to on the traced machine.
    pub log_file_name: String,
    /// The header record's own timestamp (raw clock units): the clock value at `start_time`.
    pub start_raw: i64,
}

/// `LogFileMode` bit of a circular (`bincirc`) trace.
pub const LOG_FILE_MODE_CIRCULAR: u32 = 0x2;

impl LogfileHeader {
    /// Parses the header from the MOF data of the header record (`data`,
    /// after the system record header). `pointer_size` is 8 for a 64-bit
    /// record (`system64`) and 4 for a 32-bit one; it sets the layout.
    pub fn parse(data: &[u8], pointer_size: usize, start_raw: i64) -> Option<LogfileHeader> {
        // Two pointers (LoggerName, LogFileName) at 0x38 change the layout after them.
        let tz = 0x38 + 2 * pointer_size;
        // TIME_ZONE_INFORMATION is 172 bytes, then 4 bytes of alignment.
        let after_tz = tz + 172 + 4;
        let end = after_tz + 32;
        if data.len() < end {
            return None;
        }
        let mut h = LogfileHeader {
            buffer_size: u32_at(data, 0)?,
            version: [u8_at(data, 4)?, u8_at(data, 5)?, u8_at(data, 6)?, u8_at(data, 7)?],
            provider_version: u32_at(data, 8)?,
            processors: u32_at(data, 12)?,
            end_time: i64_at(data, 16)?,
            timer_resolution: u32_at(data, 24)?,
            max_file_size: u32_at(data, 28)?,
            log_file_mode: u32_at(data, 32)?,
            buffers_written: u32_at(data, 36)?,
            pointer_size: u32_at(data, 44)?,
            events_lost: u32_at(data, 48)?,
            cpu_speed_mhz: u32_at(data, 52)?,
            boot_time: i64_at(data, after_tz)?,
            perf_freq: i64_at(data, after_tz + 8)?,
            start_time: i64_at(data, after_tz + 16)?,
            clock_type: u32_at(data, after_tz + 24)?,
            buffers_lost: u32_at(data, after_tz + 28)?,
            logger_name: String::new(),
            log_file_name: String::new(),
            start_raw,
        };
        if let Some((name, next)) = utf16z_at(data, end) {
            h.logger_name = name;
            if let Some((file, _)) = utf16z_at(data, next) {
                h.log_file_name = file;
            }
        }
        Some(h)
    }

    /// Whether the trace was written in circular mode (`-mode Circular`, `bincirc`).
    pub fn is_circular(&self) -> bool {
        self.log_file_mode & LOG_FILE_MODE_CIRCULAR != 0
    }
}
