//! Names of kernel (system and PerfInfo) records.
//!
//! Kernel records carry no GUID: the high byte of their hook id is an event
//! *group*, which stands for one of the classic kernel event classes of the
//! `MSNT_SystemTrace` MOF hierarchy, and the low byte is the event type
//! (opcode). The GUIDs below are those classes' published GUIDs.

use crate::guid::Guid;

/// The event class name and GUID of a kernel hook group, for the common groups.
pub fn kernel_group(group: u8) -> Option<(&'static str, Guid)> {
    const C: [u8; 8] = [0x9d, 0xda, 0x00, 0xc0, 0x4f, 0xd7, 0xba, 0x7c];
    const H: [u8; 8] = [0x84, 0xf4, 0x00, 0x00, 0xf8, 0x04, 0x64, 0xe3];
    Some(match group {
        0x00 => ("EventTrace", Guid::from_fields(0x68fdd900, 0x4a3e, 0x11d1, H)),
        0x01 => ("DiskIo", Guid::from_fields(0x3d6fa8d4, 0xfe05, 0x11d0, C)),
        0x02 => ("PageFault", Guid::from_fields(0x3d6fa8d3, 0xfe05, 0x11d0, C)),
        0x03 => ("Process", Guid::from_fields(0x3d6fa8d0, 0xfe05, 0x11d0, C)),
        0x04 => ("FileIo", Guid::from_fields(0x90cbdc39, 0x4a3e, 0x11d1, H)),
        0x05 => ("Thread", Guid::from_fields(0x3d6fa8d1, 0xfe05, 0x11d0, C)),
        0x06 => {
            ("TcpIp", Guid::from_fields(0x9a280ac0, 0xc8e0, 0x11d1, [0x84, 0xe2, 0x00, 0xc0, 0x4f, 0xb9, 0x98, 0xa2]))
        }
        0x08 => {
            ("UdpIp", Guid::from_fields(0xbf3a50c5, 0xa9c9, 0x4988, [0xa0, 0x05, 0x2d, 0xf0, 0xb7, 0xc8, 0x0f, 0x80]))
        }
        0x09 => (
            "Registry",
            Guid::from_fields(0xae53722e, 0xc863, 0x11d2, [0x86, 0x59, 0x00, 0xc0, 0x4f, 0xa3, 0x21, 0xa1]),
        ),
        0x0f => (
            "PerfInfo",
            Guid::from_fields(0xce1dbfb4, 0x137e, 0x4da6, [0x87, 0xb0, 0x3f, 0x59, 0xaa, 0x10, 0x2c, 0xbc]),
        ),
        0x14 => {
            ("Image", Guid::from_fields(0x2cb15d1d, 0x5fc1, 0x11d2, [0xab, 0xe1, 0x00, 0xa0, 0xc9, 0x11, 0xf5, 0x18]))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_groups_have_their_class_guids() {
        assert_eq!(
            kernel_group(3).map(|(n, g)| (n, g.to_string())),
            Some(("Process", "{3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c}".to_string()))
        );
        assert_eq!(
            kernel_group(0).map(|(_, g)| g.to_string()).as_deref(),
            Some("{68fdd900-4a3e-11d1-84f4-0000f80464e3}")
        );
        assert_eq!(kernel_group(0x7f), None);
    }
}
