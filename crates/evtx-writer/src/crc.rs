//! CRC32 (IEEE 802.3, the zlib one), as evtx uses for its header and record checksums.
//!
//! Twenty lines are cheaper than a dependency for a test-support crate.

const fn table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static TABLE: [u32; 256] = table();

/// CRC32 of the concatenation of `parts`.
pub fn crc32(parts: &[&[u8]]) -> u32 {
    let mut c = !0u32;
    for part in parts {
        for &b in *part {
            c = TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
        }
    }
    !c
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_value() {
        // The check value of CRC-32/ISO-HDLC.
        assert_eq!(super::crc32(&[b"1234", b"56789"]), 0xCBF4_3926);
    }
}
