//! Damaged inputs never panic and never lose the good part: every fixture is
//! read cut short at many points and with bytes overwritten.

use std::path::PathBuf;
use std::sync::Arc;

use evtriage_core::ReadOptions;
use evtriage_core::{Collect, Format, Reader};

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/inputs");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x != "md"))
        .map(|p| {
            (
                p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                std::fs::read(&p).expect("read"),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn truncated_and_corrupted_fixtures_do_not_panic() {
    let reader = Reader::default();
    let all = fixtures();
    assert!(all.len() >= 12);
    for (name, bytes) in &all {
        let mut full = Collect::default();
        let whole = reader.read_bytes(Arc::from(name.as_str()), bytes, &mut full);
        assert!(whole.records > 0, "{name} reads records");
        for cut in (0..bytes.len()).step_by(37) {
            let mut sink = Collect::default();
            let s = reader.read_bytes(Arc::from(name.as_str()), bytes.get(..cut).unwrap_or(&[]), &mut sink);
            // A prefix never yields more than the whole (a record cut short may be dropped).
            assert!(s.records <= whole.records + 1, "{name} cut at {cut}: {} > {}", s.records, whole.records);
        }
        for at in (0..bytes.len()).step_by(53) {
            for b in [0u8, b'<', b'"', 0xff, b'\n'] {
                let mut damaged = bytes.clone();
                if let Some(x) = damaged.get_mut(at) {
                    *x = b;
                }
                let mut sink = Collect::default();
                reader.read_bytes(Arc::from(name.as_str()), &damaged, &mut sink);
            }
        }
    }
}

#[test]
fn a_damaged_line_costs_only_that_line() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/inputs/netstat_anob_ex1.txt");
    let text = std::fs::read_to_string(path).expect("fixture");
    let damaged = text.replacen("  TCP    0.0.0.0:3101           0.0.0.0:0", "  TCP    0.0.0.0", 1);
    let mut sink = Collect::default();
    let s = Reader::default().read_bytes("n.txt".into(), damaged.as_bytes(), &mut sink);
    assert_eq!((s.format, s.records, s.skipped), (Format::Netstat, 7, 1));
}

#[test]
fn event_filter_counts_without_delivering() {
    let opts =
        ReadOptions::new().threads(1).event_filter(Arc::new(|k: &evtriage_core::EventKey<'_>| k.event_id == 7023));
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/inputs/eventviewer_system_ismserv.xml");
    let mut sink = Collect::default();
    let s = Reader::new(opts).read_file(&path, &mut sink);
    // Three events read, as an evtx input counts them; two passed over.
    assert_eq!((s.records, s.filtered), (3, 2));
    assert_eq!(sink.events().map(|e| e.event_id).collect::<Vec<_>>(), [7023]);
}

#[test]
fn code_page_text_is_read_in_the_code_page_of_its_words() {
    // German netstat saved in the ANSI code page (PowerShell's `Out-File -Encoding Default`): Ö is 0xD6.
    let mut bytes = b"\r\nAktive Verbindungen\r\n\r\n  Proto  Lokale Adresse         Remoteadresse          Status           PID\r\n".to_vec();
    bytes.extend_from_slice(b"  TCP    0.0.0.0:135            0.0.0.0:0              ABH\xd6REN          904\r\n");
    let mut sink = Collect::default();
    let s = Reader::default().read_bytes("de.txt".into(), &bytes, &mut sink);
    assert_eq!((s.format, s.records), (Format::Netstat, 1));
    assert_eq!(s.encoding.as_deref(), Some("code page 1252 (Windows-1252)"));
    assert_eq!(s.language.as_deref(), Some("de"));
    let state = sink.records.first().and_then(|r| match r {
        evtriage_core::Record::Socket(s) => Some((s.state.clone(), s.state_localized.clone())),
        _ => None,
    });
    assert_eq!(state, Some((Some("LISTENING".into()), Some("ABHÖREN".into()))));
}

#[test]
fn wrapped_services_of_a_bad_row_go_nowhere() {
    let text = "Image Name                     PID Services\n========================= ======== =============\nsvchost.exe                    904 RpcSs\nbad.exe                       x904 A, B,\n                                   C, D\nlsass.exe                      712 Kdc\n";
    let mut sink = Collect::default();
    let s = Reader::default().read_bytes("t.txt".into(), text.as_bytes(), &mut sink);
    assert_eq!((s.format, s.records, s.skipped), (Format::Tasklist, 2, 1));
    let services: Vec<Vec<String>> = sink
        .records
        .iter()
        .filter_map(|r| match r {
            evtriage_core::Record::Process(p) => Some(p.services.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(services, [vec!["RpcSs".to_string()], vec!["Kdc".to_string()]]);
}
