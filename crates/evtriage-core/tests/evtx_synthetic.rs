//! `.evtx` decoding on files this test writes itself (no corpus needed):
//! template definitions with literal and substituted values, an optional
//! substitution left null, array expansion, UserData as a nested BinXML
//! fragment, a damaged record between good ones, and byte-flipped copies that
//! must never panic.

use std::sync::Arc;

use evtriage_core::{Collect, DataSection, Locator, ReadOptions, Reader, Severity};

/// Builds BinXML, with names stored inline (at the position that names them).
struct Bx {
    /// Offset of `buf[0]` in the chunk.
    base: usize,
    buf: Vec<u8>,
}

impl Bx {
    fn new(base: usize) -> Self {
        Bx { base, buf: Vec::new() }
    }
    fn pos(&self) -> usize {
        self.base + self.buf.len()
    }
    fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn utf16(&mut self, s: &str) -> &mut Self {
        for u in s.encode_utf16() {
            self.u16(u);
        }
        self
    }
    /// A name reference followed by the name itself.
    fn name(&mut self, s: &str) -> &mut Self {
        let at = self.pos() as u32 + 4;
        self.u32(at).u32(0).u16(0).u16(s.encode_utf16().count() as u16).utf16(s).u16(0)
    }
    /// Element start; `dep` for template definitions.
    fn open(&mut self, name: &str, attrs: bool, dep: bool) -> &mut Self {
        self.u8(if attrs { 0x41 } else { 0x01 });
        if dep {
            self.u16(0xffff);
        }
        self.u32(0).name(name);
        if attrs {
            self.u32(0);
        }
        self
    }
    fn attr(&mut self, name: &str, more: bool) -> &mut Self {
        self.u8(if more { 0x46 } else { 0x06 }).name(name)
    }
    fn text(&mut self, s: &str) -> &mut Self {
        self.u8(0x05).u8(0x01).u16(s.encode_utf16().count() as u16).utf16(s)
    }
    fn sub(&mut self, idx: u16, ty: u8, optional: bool) -> &mut Self {
        self.u8(if optional { 0x0e } else { 0x0d }).u16(idx).u8(ty)
    }
    fn close_start(&mut self) -> &mut Self {
        self.u8(0x02)
    }
    fn close_empty(&mut self) -> &mut Self {
        self.u8(0x03)
    }
    fn end(&mut self) -> &mut Self {
        self.u8(0x04)
    }
}

fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect()
}

/// Value types.
const STR: u8 = 0x01;
const U8: u8 = 0x04;
const U16: u8 = 0x06;
const U64: u8 = 0x0a;
const BIN: u8 = 0x0e;
const FILETIME: u8 = 0x11;
const SID: u8 = 0x13;
const BINXML: u8 = 0x21;
const STR_ARRAY: u8 = 0x81;

/// The classic-looking template: System fields and three Data items plus Binary.
fn classic_template(b: &mut Bx) {
    b.u8(0x0f).u8(1).u8(1).u8(0);
    b.open("Event", true, true).attr("xmlns", false).text("http://schemas.microsoft.com/win/2004/08/events/event");
    b.close_start();
    b.open("System", false, true).close_start();
    b.open("Provider", true, true).attr("Name", true).text("Service Control Manager").attr("Guid", false);
    b.text("{555908d1-a6d7-4695-8e1e-26931d2012f4}").close_empty();
    b.open("EventID", false, true).close_start().sub(0, U16, false).end();
    b.open("Level", false, true).close_start().sub(1, U8, false).end();
    b.open("TimeCreated", true, true).attr("SystemTime", false).sub(2, FILETIME, false).close_empty();
    b.open("EventRecordID", false, true).close_start().sub(3, U64, false).end();
    b.open("Channel", false, true).close_start().text("System").end();
    b.open("Computer", false, true).close_start().sub(4, STR, false).end();
    b.open("Security", true, true).attr("UserID", false).sub(5, SID, true).close_empty();
    b.end(); // System
    b.open("EventData", false, true).close_start();
    b.open("Data", true, true).attr("Name", false).text("param1").close_start().sub(6, STR, false).end();
    b.open("Data", true, true).attr("Name", false).text("param2").close_start().sub(7, STR, false).end();
    b.open("Data", true, true).attr("Name", false).text("list").close_start().sub(8, STR_ARRAY, true).end();
    b.open("Binary", false, true).close_start().sub(9, BIN, true).end();
    b.end(); // EventData
    b.end(); // Event
    b.u8(0x00);
}

/// A template whose UserData is one substitution holding a BinXML fragment.
fn userdata_template(b: &mut Bx) {
    b.u8(0x0f).u8(1).u8(1).u8(0);
    b.open("Event", false, true).close_start();
    b.open("System", false, true).close_start();
    b.open("Provider", true, true).attr("Name", false).text("Microsoft-Windows-Eventlog").close_empty();
    b.open("EventID", false, true).close_start().sub(0, U16, false).end();
    b.open("EventRecordID", false, true).close_start().sub(1, U64, false).end();
    b.end();
    b.open("UserData", false, true).close_start().sub(2, BINXML, false).end();
    b.end();
    b.u8(0x00);
}

/// A substitution value: bytes, or a BinXML fragment built at its final chunk offset.
enum Val {
    Bytes(Vec<u8>),
    Nested(fn(usize) -> Vec<u8>),
}

impl Val {
    fn at(&self, offset: usize) -> Vec<u8> {
        match self {
            Val::Bytes(b) => b.clone(),
            Val::Nested(f) => f(offset),
        }
    }
}

struct Rec {
    values: Vec<(u8, Val)>,
    template: fn(&mut Bx),
    template_key: u8,
}

const FT: u64 = 133_500_000_001_234_567; // 2024-01-18T…, with 100 ns digits

/// Writes a one-chunk file. `junk_after` puts a damaged record after that record.
fn build_file(recs: &[Rec], junk_after: Option<usize>) -> Vec<u8> {
    let mut chunk = vec![0u8; 65536];
    let mut at = 512usize;
    let mut defs: Vec<(u8, u32)> = Vec::new();
    let mut last_offset = 512;
    let first_id = 100u64;
    let mut id = first_id;
    for (n, r) in recs.iter().enumerate() {
        let start = at;
        let mut b = Bx::new(start + 24);
        b.u8(0x0f).u8(1).u8(1).u8(0);
        b.u8(0x0c).u8(1).u32(1);
        match defs.iter().find(|(k, _)| *k == r.template_key) {
            Some((_, off)) => {
                b.u32(*off);
            }
            None => {
                let def_at = b.pos() as u32 + 4;
                b.u32(def_at);
                defs.push((r.template_key, def_at));
                let mut body = Bx::new(def_at as usize + 24);
                (r.template)(&mut body);
                b.u32(0).buf.extend_from_slice(&[0x5a; 16]);
                b.u32(body.buf.len() as u32);
                b.buf.extend_from_slice(&body.buf);
            }
        }
        b.u32(r.values.len() as u32);
        for (ty, v) in &r.values {
            b.u16(v.at(0).len() as u16).u8(*ty).u8(0);
        }
        for (_, v) in &r.values {
            let bytes = v.at(b.pos());
            b.buf.extend_from_slice(&bytes);
        }
        b.u8(0x00);
        let size = 24 + b.buf.len() + 4;
        let head = &mut chunk[start..start + 24];
        head[0..4].copy_from_slice(b"\x2a\x2a\x00\x00");
        head[4..8].copy_from_slice(&(size as u32).to_le_bytes());
        head[8..16].copy_from_slice(&id.to_le_bytes());
        head[16..24].copy_from_slice(&FT.to_le_bytes());
        chunk[start + 24..start + 24 + b.buf.len()].copy_from_slice(&b.buf);
        chunk[start + size - 4..start + size].copy_from_slice(&(size as u32).to_le_bytes());
        last_offset = start;
        at = start + size;
        id += 1;
        if junk_after == Some(n) {
            chunk[at..at + 40].copy_from_slice(&[0x77; 40]);
            at += 40;
        }
    }
    let h = &mut chunk[0..512];
    h[0..8].copy_from_slice(b"ElfChnk\0");
    h[8..16].copy_from_slice(&1u64.to_le_bytes());
    h[16..24].copy_from_slice(&(recs.len() as u64).to_le_bytes());
    h[24..32].copy_from_slice(&first_id.to_le_bytes());
    h[32..40].copy_from_slice(&(id - 1).to_le_bytes());
    h[40..44].copy_from_slice(&128u32.to_le_bytes());
    h[44..48].copy_from_slice(&(last_offset as u32).to_le_bytes());
    h[48..52].copy_from_slice(&(at as u32).to_le_bytes());
    let mut file = vec![0u8; 4096];
    file[0..8].copy_from_slice(b"ElfFile\0");
    file[24..32].copy_from_slice(&id.to_le_bytes());
    file[32..36].copy_from_slice(&128u32.to_le_bytes());
    file[36..38].copy_from_slice(&2u16.to_le_bytes());
    file[38..40].copy_from_slice(&3u16.to_le_bytes());
    file[40..42].copy_from_slice(&4096u16.to_le_bytes());
    file[42..44].copy_from_slice(&1u16.to_le_bytes());
    file.extend_from_slice(&chunk);
    file
}

fn classic(event_id: u16, record_id: u64, sid: bool, list: &[&str]) -> Rec {
    let sid_bytes = if sid { vec![1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0] } else { Vec::new() };
    let list_bytes: Vec<u8> = list.iter().flat_map(|s| utf16z(s)).collect();
    Rec {
        values: vec![
            (U16, Val::Bytes(event_id.to_le_bytes().to_vec())),
            (U8, Val::Bytes(vec![2])),
            (FILETIME, Val::Bytes(FT.to_le_bytes().to_vec())),
            (U64, Val::Bytes(record_id.to_le_bytes().to_vec())),
            (STR, Val::Bytes(utf16z("DC01.example.test"))),
            (if sid { SID } else { 0 }, Val::Bytes(sid_bytes)),
            (STR, Val::Bytes(utf16z("Intersite Messaging"))),
            (STR, Val::Bytes(utf16z("%%58"))),
            (if list.is_empty() { 0 } else { STR_ARRAY }, Val::Bytes(list_bytes)),
            (BIN, Val::Bytes(vec![0x5e, 0, 0, 0xc0])),
        ],
        template: classic_template,
        template_key: 1,
    }
}

/// `<LogFileCleared><SubjectUserName>admin</…><SubjectDomainName>EXAMPLE</…></…>`
/// as plain elements, built to sit at chunk offset `at`.
fn log_cleared_fragment(at: usize) -> Vec<u8> {
    let mut nested = Bx::new(at);
    nested.u8(0x0f).u8(1).u8(1).u8(0);
    nested.open("LogFileCleared", false, false).close_start();
    nested.open("SubjectUserName", false, false).close_start().text("admin").end();
    nested.open("SubjectDomainName", false, false).close_start().text("EXAMPLE").end();
    nested.end().u8(0x00);
    nested.buf
}

fn userdata(record_id: u64) -> Rec {
    Rec {
        values: vec![
            (U16, Val::Bytes(1102u16.to_le_bytes().to_vec())),
            (U64, Val::Bytes(record_id.to_le_bytes().to_vec())),
            (BINXML, Val::Nested(log_cleared_fragment)),
        ],
        template: userdata_template,
        template_key: 2,
    }
}

fn read(bytes: &[u8], threads: usize) -> (Collect, evtriage_core::InputSummary) {
    let reader = Reader::new(ReadOptions::new().threads(threads));
    let mut sink = Collect::default();
    let s = reader.read_bytes(Arc::from("synthetic.evtx"), bytes, &mut sink);
    (sink, s)
}

#[test]
fn templates_map_every_field() {
    let recs = vec![classic(7023, 100, true, &["a", "b", "c"]), classic(7026, 101, false, &[])];
    let file = build_file(&recs, None);
    let (sink, s) = read(&file, 1);
    assert_eq!(s.records, 2, "{:?}", sink.diagnostics);
    assert_eq!(s.skipped, 0);
    let evs: Vec<_> = sink.events().collect();
    let e = evs[0];
    assert_eq!(e.provider.name.as_deref(), Some("Service Control Manager"));
    assert_eq!(e.provider.guid.map(|g| g.to_string()).as_deref(), Some("{555908d1-a6d7-4695-8e1e-26931d2012f4}"));
    assert_eq!(e.event_id, 7023);
    assert_eq!(e.level, Some(2));
    assert_eq!(e.record_id, Some(100));
    assert_eq!(e.channel.as_deref(), Some("System"));
    assert_eq!(e.computer.as_deref(), Some("DC01.example.test"));
    assert_eq!(e.user_sid.as_deref(), Some("S-1-5-18"));
    let t = e.time.expect("time");
    assert_eq!(t.timestamp_subsec_nanos() % 1000, 700, "100 ns digits kept: {t}");
    let data: Vec<(Option<&str>, &str)> = e.data.iter().map(|d| (d.name.as_deref(), d.value.as_str())).collect();
    assert_eq!(
        data,
        vec![
            (Some("param1"), "Intersite Messaging"),
            (Some("param2"), "%%58"),
            (Some("list"), "a"),
            (Some("list"), "b"),
            (Some("list"), "c"),
        ]
    );
    assert_eq!(e.binary.as_deref(), Some(&[0x5e, 0, 0, 0xc0][..]));
    assert_eq!(e.origin.locator, Locator::Evtx { chunk: 0, record_id: 100 });

    // The second record reuses the definition by offset; its optional SID is null.
    let e = evs[1];
    assert_eq!(e.event_id, 7026);
    assert_eq!(e.user_sid, None);
    assert_eq!(e.data_named("list"), Some(""));
    assert_eq!(e.data.len(), 3);
}

#[test]
fn userdata_fragment_is_flattened() {
    let recs = vec![classic(1, 100, true, &[]), userdata(101)];
    let (sink, s) = read(&build_file(&recs, None), 1);
    assert_eq!(s.records, 2, "{:?}", sink.diagnostics);
    let e = sink.events().nth(1).expect("second event");
    assert_eq!(e.event_id, 1102);
    assert_eq!(e.data_section, DataSection::UserData);
    let data: Vec<(Option<&str>, &str)> = e.data.iter().map(|d| (d.name.as_deref(), d.value.as_str())).collect();
    assert_eq!(data, vec![(Some("SubjectUserName"), "admin"), (Some("SubjectDomainName"), "EXAMPLE")]);
}

#[test]
fn a_damaged_record_is_skipped_and_reading_goes_on() {
    let recs = vec![classic(1, 100, true, &[]), classic(2, 101, true, &[]), classic(3, 102, true, &[])];
    let file = build_file(&recs, Some(0));
    for threads in [1, 2] {
        let (sink, s) = read(&file, threads);
        assert_eq!(s.records, 3);
        assert_eq!(s.skipped, 1);
        let ids: Vec<u32> = sink.events().map(|e| e.event_id).collect();
        assert_eq!(ids, vec![1, 2, 3]);
        // (A note on the chunk's records checksum, which the damage breaks, comes first.)
        let d = sink.diagnostics.iter().find(|d| d.severity != Severity::Note).expect("the skipped record");
        assert_eq!(d.severity, Severity::Skipped);
        assert!(matches!(d.locator, Locator::EvtxOffset { chunk: 0, .. }), "{d}");
        assert!(d.message.contains("magic"), "{d}");
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let recs = vec![classic(7023, 100, true, &["x", "y"]), userdata(101), classic(7026, 102, false, &[])];
    let good = build_file(&recs, None);
    let mut seed: u64 = 0x1234_5678;
    let mut next = || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    let used = 4096 + 2048;
    for round in 0..300 {
        let mut bad = good.clone();
        for _ in 0..1 + round % 8 {
            let i = 4096 + next() % 2048;
            bad[i] ^= 1 << (next() % 8);
        }
        if round % 50 == 0 {
            bad.truncate(used + next() % 4096);
        }
        let (sink, s) = read(&bad, 1 + round % 2);
        assert!(s.records <= 6 && sink.records.len() as u64 <= s.records, "round {round}");
    }
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/evtx").join(name)
}

fn read_fixture(name: &str, threads: usize) -> (Collect, evtriage_core::InputSummary) {
    let reader = Reader::new(ReadOptions::new().threads(threads));
    let mut sink = Collect::default();
    let mut s = reader.read_path(&fixture(name), &mut sink);
    (sink, s.remove(0))
}

/// The generated fixtures of `fixtures/evtx/README.md`, read by evtriage (which,
/// unlike a checksum-validating reader, keeps chunks whose CRC32 is wrong).
#[test]
fn writer_fixtures_read_as_documented() {
    for (file, records, skipped) in [
        ("multi-chunk.evtx", 1000, 0),
        ("three-chunks.evtx", 150, 0),
        ("damaged-chunk-magic.evtx", 100, 1),
        ("damaged-chunk-header-crc.evtx", 150, 0),
        ("damaged-chunk-data-crc.evtx", 150, 0),
        ("damaged-record-magic.evtx", 149, 1),
        ("damaged-file-header-crc.evtx", 150, 0),
        // 100 whole chunks' records, 101 and 102 from the incomplete chunk;
        // record 103 is cut (reported) and the cut chunk itself is reported.
        ("truncated.evtx", 102, 2),
    ] {
        for threads in [1, 2] {
            let (sink, s) = read_fixture(file, threads);
            assert_eq!((s.records, s.skipped), (records, skipped), "{file} threads={threads}: {:?}", sink.diagnostics);
            let ids: Vec<u64> = sink.events().filter_map(|e| e.record_id).collect();
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            assert_eq!(ids, sorted, "{file}: record order");
        }
    }
    let (sink, _) = read_fixture("damaged-record-magic.evtx", 2);
    assert!(!sink.events().any(|e| e.record_id == Some(11)));
    assert!(matches!(sink.diagnostics[0].locator, Locator::EvtxOffset { chunk: 0, .. }));
    let (sink, _) = read_fixture("damaged-chunk-magic.evtx", 2);
    assert_eq!(sink.diagnostics[0].locator, Locator::EvtxOffset { chunk: 1, offset: 0 });
    let ids: Vec<u64> = sink.events().filter_map(|e| e.record_id).collect();
    assert_eq!(ids, (1..=50).chain(101..=150).collect::<Vec<u64>>());
    let (sink, _) = read_fixture("truncated.evtx", 1);
    let d: Vec<String> = sink.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(d[1].contains("chunk 2 is incomplete: the file ends 3000 bytes into it"), "{d:?}");
}

#[test]
fn example_dc_boot_has_the_ismserv_7023() {
    let (sink, s) = read_fixture("example-dc-boot.evtx", 2);
    assert_eq!((s.records, s.skipped), (12, 0));
    let e = sink.events().find(|e| e.event_id == 7023).expect("a 7023");
    assert_eq!(e.provider.name.as_deref(), Some("Service Control Manager"));
    assert_eq!(e.field("param2"), Some("%%58"));
    let ism: Vec<u8> = "IsmServ\0".encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert_eq!(e.binary.as_deref(), Some(ism.as_slice()));
    assert_eq!(e.computer.as_deref(), Some("DC1.contoso.com"));
}

/// Byte flips over real corpus files, read on the calling thread so that a
/// panic would fail the test. Slow in debug builds; run on demand:
/// `EVTRIAGE_CORPUS=… cargo test -p evtriage-core --test evtx_synthetic -- --ignored corpus_flips`.
#[test]
#[ignore = "slow; run on demand"]
fn corpus_flips_never_panic() {
    let Some(root) = evtriage_testutil::corpus_root() else { return };
    let files = ["omerbenamram_security.evtx", "anotherc0ne_EventLog_System.evtx", "omerbenamram_sysmon_dirty.evtx"];
    let mut seed: u64 = 42;
    let mut next = || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize
    };
    for f in files {
        let good = std::fs::read(std::path::PathBuf::from(&root).join("evtx").join(f)).expect("corpus file");
        for round in 0..40 {
            let mut bad = good.clone();
            for _ in 0..200 {
                let i = 4096 + next() % (good.len() - 4096);
                bad[i] ^= 1 << (next() % 8);
            }
            let (sink, s) = read(&bad, 1);
            assert!(sink.records.len() as u64 <= s.records, "{f} round {round}");
        }
    }
}

/// A template nested deeper than our decoder follows: the record still comes
/// through, rendered by the `evtx` crate as XML and read by `event_parser`.
fn deep_template(b: &mut Bx) {
    b.u8(0x0f).u8(1).u8(1).u8(0);
    b.open("Event", false, true).close_start();
    b.open("System", false, true).close_start();
    b.open("Provider", true, true).attr("Name", false).text("Deep-Provider").close_empty();
    b.open("EventID", false, true).close_start().sub(0, U16, false).end();
    b.open("EventRecordID", false, true).close_start().sub(1, U64, false).end();
    b.end();
    b.open("UserData", false, true).close_start();
    for _ in 0..70 {
        b.open("Level", false, true).close_start();
    }
    b.open("Leaf", false, true).close_start().text("deep value").end();
    for _ in 0..70 {
        b.end();
    }
    b.end();
    b.end();
    b.u8(0x00);
}

#[test]
fn records_our_decoder_cannot_map_come_through_the_crates_xml() {
    let deep = Rec {
        values: vec![
            (U16, Val::Bytes(4242u16.to_le_bytes().to_vec())),
            (U64, Val::Bytes(101u64.to_le_bytes().to_vec())),
        ],
        template: deep_template,
        template_key: 3,
    };
    let recs = vec![classic(1, 100, true, &[]), deep];
    let (sink, s) = read(&build_file(&recs, None), 1);
    assert_eq!((s.records, s.skipped), (2, 0), "{:?}", sink.diagnostics);
    let e = sink.events().nth(1).expect("the deep record");
    assert_eq!(e.provider.name.as_deref(), Some("Deep-Provider"));
    assert_eq!(e.event_id, 4242);
    assert_eq!(e.record_id, Some(101));
    assert_eq!(e.origin.locator, Locator::Evtx { chunk: 0, record_id: 101 });
    assert_eq!(e.data_named("Leaf"), Some("deep value"));
}
