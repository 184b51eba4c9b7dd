//! The same LDAP client messages give the same typed `trace.ldap`, whatever
//! the source: ETW text, tracerpt XML, tracerpt CSV, or a binary `.etl`.

use std::path::PathBuf;
use std::sync::Arc;

use evtriage_core::{Collect, LdapClientMessage, Reader};
use evtriage_etl::writer::{EtlWriter, EventSpec, Layout, WriterConfig};

fn ldap_of(sink: &Collect) -> Vec<LdapClientMessage> {
    sink.events().filter_map(|e| e.trace.as_ref()?.ldap.clone()).collect()
}

fn expected() -> [LdapClientMessage; 2] {
    [
        LdapClientMessage {
            operation: "LdapParallelConnect".into(),
            connection: Some(0x1a2b_3c40),
            error: None,
            timeout_ms: Some(45_000),
            failed: false,
        },
        LdapClientMessage {
            operation: "LdapConnect".into(),
            connection: Some(0x1a2b_3c40),
            error: Some(0x5b),
            timeout_ms: None,
            failed: true,
        },
    ]
}

#[test]
fn text_xml_and_csv_agree() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/inputs");
    for name in ["tracerpt_ldap_client.xml", "tracerpt_ldap_client.csv", "ldap_client_trace.txt"] {
        let mut sink = Collect::default();
        Reader::default().read_file(&dir.join(name), &mut sink);
        let got = ldap_of(&sink);
        assert_eq!(got.get(..2), Some(&expected()[..]), "{name}");
    }
}

#[test]
fn etl_messages_are_parsed_too() {
    let cfg = WriterConfig::default();
    let raw = cfg.start_raw;
    let mut w = EtlWriter::new(cfg);
    let [first, second] = [
        "LdapParallelConnect called for connection 0x1a2b3c40 with timeout 45 sec 0 usec.  Total count is 1.",
        "LdapConnect failed to open connection 0x1a2b3c40, error = 0x5b.",
    ];
    w.event(&EventSpec::ldap_message(8, first, raw, 0));
    w.event(&EventSpec::ldap_message(2, second, raw + 1, 0));
    let bytes = w.finish(Layout::Rotated(1));
    let mut sink = Collect::default();
    Reader::default().read_bytes(Arc::from("boot-ldap.etl"), &bytes, &mut sink);
    assert_eq!(ldap_of(&sink), expected());
}
