//! Traces built with the test-only writer: LDAP client boot traces in 32- and
//! 64-bit layouts, several processors, a wrapped circular file, every header
//! kind, the three clocks, and damage.

use chrono::{DateTime, Duration, Utc};
use evtriage_etl::writer::{
    encode_full, encode_instance, encode_kernel, encode_message, ldap_search_payload, EtlWriter, EventSpec, Layout,
    WriterConfig,
};
use evtriage_etl::{parse, EtlError, Guid, HeaderKind, LdapClientEvent, LDAP_CLIENT_PROVIDER};

const FREQ: i64 = 3_000_000;
const START_RAW: i64 = 50_000_000;

fn start() -> DateTime<Utc> {
    DateTime::from_timestamp(1_717_236_000, 0).expect("valid")
}

fn config(pointer_size: u32) -> WriterConfig {
    WriterConfig {
        buffer_size: 512,
        pointer_size,
        perf_freq: FREQ,
        start_time: start(),
        start_raw: START_RAW,
        circular: true,
        ..WriterConfig::default()
    }
}

/// Raw QPC value `ms` milliseconds after the start.
fn at_ms(ms: i64) -> i64 {
    START_RAW + ms * FREQ / 1000
}

/// The messages of a KB4530043-like boot: the ISM service's LDAP client
/// connecting, timing out and failing, spread over three processors.
fn boot_messages() -> Vec<(u16, String, i64, u16)> {
    let mut v = Vec::new();
    for i in 0..30u16 {
        let conn = 0x1a2b_3c40 + u32::from(i) * 0x100;
        let ms = i64::from(i) * 700;
        let cpu = i % 3;
        v.push((
            8,
            format!("LdapParallelConnect called for connection {conn:#x} with timeout 45 sec 0 usec."),
            ms,
            cpu,
        ));
        v.push((2, format!("LdapConnect failed to open connection {conn:#x}, error = 0x5b."), ms + 350, (cpu + 1) % 3));
    }
    v
}

fn write_boot(pointer_size: u32, header32: bool, layout: Layout) -> Vec<u8> {
    let mut w = EtlWriter::new(config(pointer_size));
    for (id, text, ms, cpu) in boot_messages() {
        let mut e = EventSpec::ldap_message(id, &text, at_ms(ms), cpu);
        e.header32 = header32;
        w.event(&e);
    }
    w.finish(layout)
}

fn check_boot(bytes: &[u8], header_kind: HeaderKind, logfile_kind_64: bool) {
    let t = parse(bytes).expect("parses");
    assert!(t.damage.is_empty(), "{:?}", t.damage);
    let h = t.logfile.as_ref().expect("header");
    assert_eq!(h.pointer_size, if logfile_kind_64 { 8 } else { 4 });
    assert!(h.is_circular());
    assert_eq!(h.log_file_name, "c:\\boot-ldap.etl");
    // Many small buffers, so ordering is really exercised.
    assert!(t.stats.buffers > 10, "only {} buffers", t.stats.buffers);
    assert_eq!(t.stats.by_kind.get(&header_kind), Some(&60));
    assert_eq!(t.stats.by_provider.get(&LDAP_CLIENT_PROVIDER), Some(&60));

    let mut expected = boot_messages();
    expected.sort_by_key(|(_, _, ms, _)| *ms);
    assert_eq!(t.events.len(), expected.len());
    for (e, (id, text, ms, cpu)) in t.events.iter().zip(&expected) {
        assert_eq!(e.kind, header_kind);
        assert_eq!(e.event_id(), *id);
        assert_eq!(e.processor, u32::from(*cpu));
        assert_eq!(e.ldap.as_ref(), Some(&LdapClientEvent::Message(text.clone())));
        assert_eq!(e.time, Some(start() + Duration::milliseconds(*ms)));
        assert_eq!((e.process_id, e.level()), (Some(812), Some(5)));
    }
}

#[test]
fn ldap_boot_trace_64bit_in_order() {
    check_boot(&write_boot(8, false, Layout::InOrder), HeaderKind::EventHeader64, true);
}

#[test]
fn ldap_boot_trace_32bit_headers() {
    check_boot(&write_boot(4, true, Layout::InOrder), HeaderKind::EventHeader32, false);
}

#[test]
fn ldap_boot_trace_wrapped_circular_file() {
    let bytes = write_boot(8, false, Layout::Rotated(7));
    let t = parse(&bytes).expect("parses");
    // The file really is out of order: the first data buffer is not the oldest.
    let seqs: Vec<i64> = t.buffers.iter().skip(1).map(|b| b.header.sequence_number).collect();
    assert_ne!(seqs.first(), Some(&1));
    assert!(seqs.windows(2).any(|w| w[0] > w[1]));
    check_boot(&bytes, HeaderKind::EventHeader64, true);
}

#[test]
fn ldap_search_event_and_extended_items() {
    let mut w = EtlWriter::new(config(8));
    let mut e = EventSpec::ldap_message(30, "", at_ms(10), 1);
    e.payload =
        ldap_search_payload(2, "(&(objectClass=nTDSDSA)(invocationId=*))", "CN=Sites,CN=Configuration", "cn", 812);
    e.extended = vec![(3, 1u32.to_le_bytes().to_vec()), (1, vec![0xab; 16])];
    w.event(&e);
    w.event(&EventSpec::ldap_message(5, "ldap_bind_s returned 0x31\r\n", at_ms(20), 1));
    let t = parse(&w.finish(Layout::InOrder)).expect("parses");
    assert!(t.damage.is_empty(), "{:?}", t.damage);
    let first = t.events.first().expect("event");
    assert_eq!(
        first.ldap,
        Some(LdapClientEvent::Search {
            scope: 2,
            filter: "(&(objectClass=nTDSDSA)(invocationId=*))".into(),
            dn: "CN=Sites,CN=Configuration".into(),
            attributes: "cn".into(),
            process_id: 812,
        })
    );
    assert_eq!(first.extended.len(), 2);
    assert_eq!(first.extended.first().map(|x| (x.ext_type, x.data.clone())), Some((3, vec![1, 0, 0, 0])));
    assert_eq!(first.extended.get(1).map(|x| x.data.len()), Some(16));
    let second = t.events.get(1).expect("event");
    assert_eq!(second.ldap, Some(LdapClientEvent::Message("ldap_bind_s returned 0x31".into())));
}

#[test]
fn every_header_kind_and_skipped_messages() {
    let guid = Guid::from_fields(0x11223344, 0x5566, 0x7788, [1, 2, 3, 4, 5, 6, 7, 8]);
    let mut w = EtlWriter::new(config(8));
    w.record(0, at_ms(1), &encode_kernel(0x01, 0x0310, 7, 8, at_ms(1), &[1, 2, 3, 4]));
    w.record(0, at_ms(2), &encode_kernel(0x04, 0x0524, 9, 10, at_ms(2), &[5; 12]));
    w.record(0, at_ms(3), &encode_kernel(0x10, 0x0f2e, 0, 0, at_ms(3), &[6; 8]));
    w.record(0, at_ms(4), &encode_message(17, &[0; 20]));
    w.record(0, at_ms(5), &encode_full(false, guid, 11, 3, 12, 13, at_ms(5), b"mof"));
    w.record(0, at_ms(6), &encode_full(true, guid, 12, 4, 14, 15, at_ms(6), b""));
    w.record(0, at_ms(7), &encode_instance(false, guid, 13, at_ms(7), b"i32"));
    w.record(0, at_ms(8), &encode_instance(true, guid, 14, at_ms(8), b"i64!"));
    let t = parse(&w.finish(Layout::InOrder)).expect("parses");
    assert!(t.damage.is_empty(), "{:?}", t.damage);
    let names: Vec<&str> = t.events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(names, vec!["system32", "compact64", "perfinfo32", "full32", "full64", "instance32", "instance64"]);
    assert_eq!(t.stats.messages_skipped, 1);
    assert_eq!(t.stats.by_kind.get(&HeaderKind::Message), Some(&1));
    let sys = t.events.first().expect("system");
    assert_eq!(
        (sys.hook_id, sys.thread_id, sys.process_id, sys.payload.clone()),
        (Some(0x0310), Some(7), Some(8), vec![1, 2, 3, 4])
    );
    let compact = t.events.get(1).expect("compact");
    assert_eq!((compact.event_id(), compact.payload.len(), compact.process_id), (0x24, 12, Some(10)));
    let perf = t.events.get(2).expect("perfinfo");
    assert_eq!((perf.hook_id, perf.process_id, perf.payload.len()), (Some(0x0f2e), None, 8));
    let full = t.events.get(3).expect("full");
    assert_eq!(
        (full.provider, full.event_id(), full.level(), full.payload.clone()),
        (Some(guid), 11, Some(3), b"mof".to_vec())
    );
    assert_eq!(full.time, Some(start() + Duration::milliseconds(5)));
    let inst = t.events.get(6).expect("instance64");
    assert_eq!(
        (inst.provider, inst.event_id(), inst.process_id, inst.payload.clone()),
        (Some(guid), 14, Some(22), b"i64!".to_vec())
    );
}

#[test]
fn system_time_and_cpu_cycle_clocks() {
    let t0 = start();
    let ft = evtriage_etl::clock::utc_to_filetime(t0);
    let mut w = EtlWriter::new(WriterConfig { clock_type: 2, start_raw: ft, ..config(8) });
    w.event(&EventSpec::ldap_message(1, "a", ft + 12_345_678, 0));
    let t = parse(&w.finish(Layout::InOrder)).expect("parses");
    assert_eq!(t.events.first().and_then(|e| e.time), Some(t0 + Duration::nanoseconds(1_234_567_800)));

    let mut w = EtlWriter::new(WriterConfig { clock_type: 3, cpu_speed_mhz: 2500, start_raw: 1000, ..config(8) });
    w.event(&EventSpec::ldap_message(1, "b", 1000 + 2_500_000_000 * 3, 0));
    let t = parse(&w.finish(Layout::InOrder)).expect("parses");
    assert_eq!(t.events.first().and_then(|e| e.time), Some(t0 + Duration::seconds(3)));
}

#[test]
fn damaged_buffers_are_skipped_and_reported() {
    let good = write_boot(8, false, Layout::InOrder);
    let total = parse(&good).expect("parses").events.len();
    let bs = 512usize;

    // Buffer 2: impossible size. Buffer 3: compressed. Buffer 4: garbage record after the first.
    let mut bad = good.clone();
    bad.get_mut(2 * bs..2 * bs + 4).expect("in range").copy_from_slice(&0x7fff_fff3u32.to_le_bytes());
    let flags = 3 * bs + 0x34;
    bad.get_mut(flags..flags + 2).expect("in range").copy_from_slice(&0x0060u16.to_le_bytes());
    let t4 = parse(&good).expect("parses");
    let b4 = t4.buffers.get(4).expect("buffer 4");
    let second = t4.events.iter().filter(|e| e.buffer == 4).nth(1).expect("two records").offset as usize;
    let in_buffer_4 = t4.events.iter().filter(|e| e.buffer == 4).count();
    bad.get_mut(4 * bs + second..4 * bs + second + 4).expect("in range").copy_from_slice(&[0x10, 0, 0x77, 0x40]);

    let t = parse(&bad).expect("still parses");
    assert_eq!(t.stats.buffers, t4.stats.buffers);
    assert_eq!(t.damage.len(), 3, "{:?}", t.damage);
    let d0 = t.damage.first().expect("damage");
    assert_eq!((d0.buffer, d0.file_offset), (2, 2 * bs as u64));
    assert!(matches!(d0.error, EtlError::BadBufferHeader(_)));
    let d1 = t.damage.get(1).expect("damage");
    assert_eq!((d1.buffer, d1.error.clone()), (3, EtlError::Compressed));
    let d2 = t.damage.get(2).expect("damage");
    assert_eq!((d2.buffer, d2.record_offset), (4, Some(second as u32)));
    assert!(matches!(d2.error, EtlError::UnknownRecord { marker: 0x4077_0010 }));
    assert_eq!(b4.index, 4);
    let lost = t4.events.iter().filter(|e| e.buffer == 2 || e.buffer == 3).count() + (in_buffer_4 - 1);
    assert_eq!(t.events.len(), total - lost);
    // What survived is still decoded and ordered.
    assert!(t.events.iter().all(|e| matches!(e.ldap, Some(LdapClientEvent::Message(_)))));
    assert!(t.events.windows(2).all(|w| w[0].raw_timestamp <= w[1].raw_timestamp));
}

#[test]
fn truncated_file_keeps_the_buffers_before_the_cut() {
    let good = write_boot(8, false, Layout::InOrder);
    let full = parse(&good).expect("parses");
    let cut = 5 * 512 + 200;
    let t = parse(good.get(..cut).expect("in range")).expect("parses");
    let d = t.damage.first().expect("truncation reported");
    assert_eq!((d.buffer, d.file_offset), (5, 5 * 512));
    assert!(matches!(d.error, EtlError::Truncated { expected: 512, available: 200 }), "{:?}", t.damage);
    // The record cut in half is reported too, with its offset; nothing else.
    assert!(t.damage.iter().skip(1).all(|d| d.buffer == 5 && d.record_offset.is_some()));
    let before = full.events.iter().filter(|e| e.buffer < 5).count();
    assert!(t.events.len() >= before);
    assert!(t.events.len() <= full.events.len());
    // Not an ETL file at all.
    assert!(matches!(parse(b"ElfFile\0 not a trace"), Err(EtlError::NotEtl(_))));
    assert!(matches!(parse(&[]), Err(EtlError::NotEtl(_))));
}

#[test]
fn a_record_damaged_inside_costs_only_itself() {
    let mut w = EtlWriter::new(config(8));
    for i in 0..3u16 {
        let mut e = EventSpec::ldap_message(4, &format!("message {i}"), at_ms(i64::from(i)), 0);
        e.extended = vec![(3, 7u32.to_le_bytes().to_vec())];
        w.event(&e);
    }
    let good = w.finish(Layout::InOrder);
    let t = parse(&good).expect("parses");
    assert_eq!(t.events.len(), 3);
    let middle = t.events.get(1).expect("middle");
    // The middle record's first extended item now claims 0xfff0 bytes.
    let at = 512 * middle.buffer as usize + middle.offset as usize + 80 + 6;
    let mut bad = good.clone();
    bad.get_mut(at..at + 2).expect("in range").copy_from_slice(&0xfff0u16.to_le_bytes());
    let t = parse(&bad).expect("parses");
    let texts: Vec<String> = t.events.iter().filter_map(|e| e.ldap.as_ref().map(LdapClientEvent::text)).collect();
    assert_eq!(texts, vec!["message 0".to_string(), "message 2".to_string()]);
    let d = t.damage.first().expect("damage");
    assert_eq!((d.buffer, d.record_offset), (middle.buffer, Some(middle.offset)));
    assert!(matches!(d.error, EtlError::BadRecord(_)));
}

#[test]
fn zero_filled_slots_of_a_preallocated_file_are_not_damage() {
    let mut bytes = write_boot(8, false, Layout::InOrder);
    let written = parse(&bytes).expect("parses");
    // Three reserved slots, then a zero tail shorter than a buffer header.
    bytes.extend(vec![0u8; 3 * 512 + 40]);
    let t = parse(&bytes).expect("parses");
    assert!(t.damage.is_empty(), "{:?}", t.damage);
    assert_eq!(t.stats.empty_slots, 4);
    assert_eq!(t.stats.buffers, written.stats.buffers);
    assert_eq!(t.events, written.events);
}
