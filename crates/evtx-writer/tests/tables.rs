//! The chunk string and template tables: with many names and many templates per chunk,
//! every bucket chain is walked here and must hold exactly what the records define.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{expected, read_with_evtx_crate};
use evtriage_evtx_writer::{samples, write_evtx, WriteOptions, CHUNK_SIZE, FILE_HEADER_SIZE};

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn name_hash(name: &str) -> u32 {
    name.encode_utf16().fold(0u32, |h, u| h.wrapping_mul(65_599).wrapping_add(u32::from(u)))
}

#[test]
fn every_name_and_template_is_in_its_bucket_chain() {
    let events = samples::many_shapes(400);
    let file = write_evtx(&events, &WriteOptions::default()).unwrap();
    let (read, errors) = read_with_evtx_crate(&file.bytes);
    assert_eq!(errors, 0);
    assert_eq!(read, expected(&events, &file));

    let mut total_templates = 0;
    for c in 0..file.chunk_count() {
        let d = &file.bytes[FILE_HEADER_SIZE + c * CHUNK_SIZE..][..CHUNK_SIZE];
        // Strings: walk the 64 chains.
        let mut in_table = BTreeMap::new();
        for bucket in 0..64 {
            let mut off = u32_at(d, 128 + bucket * 4) as usize;
            while off != 0 {
                let count = u16_at(d, off + 6) as usize;
                let units: Vec<u16> = (0..count).map(|i| u16_at(d, off + 8 + i * 2)).collect();
                let name = String::from_utf16(&units).unwrap();
                assert_eq!(u16_at(d, off + 8 + count * 2), 0, "NUL after {name}");
                assert_eq!(u16_at(d, off + 4), (name_hash(&name) & 0xFFFF) as u16, "stored hash of {name}");
                assert_eq!(name_hash(&name) as usize % 64, bucket, "bucket of {name}");
                assert!(in_table.insert(off, name).is_none(), "a loop in bucket {bucket}");
                off = u32_at(d, off) as usize;
            }
        }
        let names: BTreeSet<&str> = in_table.values().map(String::as_str).collect();
        assert_eq!(names.len(), in_table.len(), "chunk {c}: each name written once");
        for must in ["Event", "System", "Provider", "EventData", "Data", "Name", "Binary"] {
            assert!(names.contains(must), "chunk {c} lacks {must}");
        }

        // Templates: walk the 32 chains; each definition follows its instance's header.
        let mut templates = BTreeSet::new();
        for bucket in 0..32 {
            let mut off = u32_at(d, 384 + bucket * 4) as usize;
            while off != 0 {
                assert_eq!(d[off - 10], 0x0c, "instance token before the template at {off:#x}");
                assert_eq!(u32_at(d, off - 4) as usize, off, "instance points at its inline template");
                let id = u32_at(d, off - 8);
                assert_eq!(u32_at(d, off + 4), id, "template id = first 4 bytes of its GUID");
                assert_eq!(id as usize % 32, bucket);
                assert!(templates.insert(off), "a loop in template bucket {bucket}");
                off = u32_at(d, off) as usize;
            }
        }
        // Every record's template instance points at a template of the table.
        for r in file.records.iter().filter(|r| r.chunk == c as u64) {
            let at = r.offset as usize + 24;
            assert_eq!(&d[at..at + 6], &[0x0f, 1, 1, 0, 0x0c, 1]);
            let def = u32_at(d, at + 10) as usize;
            assert!(templates.contains(&def), "record {} uses a template outside the table", r.record_id);
        }
        assert!(templates.len() > 32, "chunk {c}: {} templates, so chains are exercised", templates.len());
        total_templates += templates.len();
    }
    assert!(total_templates >= 100);
}
