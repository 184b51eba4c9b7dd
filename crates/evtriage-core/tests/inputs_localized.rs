//! Localized console captures, built here from the confirmed strings of
//! `data/console.tsv` and written in the code page a console of that
//! language uses: each is recognised, decoded in that code page, its
//! language named, and normalised to the English model.

use evtriage_core::console::{words, Kind};
use evtriage_core::{Collect, Format, InputSummary, Reader, Record};

/// The OEM code page of a console in each language (Microsoft's defaults:
/// 850 western Europe, 852 central Europe, 866 Cyrillic, 932/936/949/950 East Asia).
const CODE_PAGES: &[(&str, u16)] = &[
    ("de", 850),
    ("fr", 850),
    ("es", 850),
    ("it", 850),
    ("pt-BR", 850),
    ("pl", 852),
    ("ru", 866),
    ("ja", 932),
    ("zh-CN", 936),
    ("zh-TW", 950),
    ("ko", 949),
];

/// `text` in code page `cp` (the encoders are `encoding_rs`'s and `oem_cp`'s).
fn encode(text: &str, cp: u16) -> Vec<u8> {
    let enc = match cp {
        866 => Some(encoding_rs::IBM866),
        932 => Some(encoding_rs::SHIFT_JIS),
        936 => Some(encoding_rs::GBK),
        949 => Some(encoding_rs::EUC_KR),
        950 => Some(encoding_rs::BIG5),
        _ => None,
    };
    if let Some(enc) = enc {
        let (bytes, _, bad) = enc.encode(text);
        assert!(!bad, "{text:?} does not fit code page {cp}");
        return bytes.into_owned();
    }
    let table = oem_cp::code_table::ENCODING_TABLE_CP_MAP.get(&cp).expect("known code page");
    oem_cp::encode_string_checked(text, table).unwrap_or_else(|| panic!("{text:?} does not fit code page {cp}"))
}

/// The localized string of `kind` meaning `english` in `lang`, if confirmed.
fn word(lang: &str, kind: Kind, english: &str) -> Option<&'static str> {
    words().iter().find(|w| w.lang == lang && w.kind == kind && w.english == english).map(|w| w.localized)
}

fn read(name: &str, bytes: &[u8]) -> (InputSummary, Collect) {
    let mut sink = Collect::default();
    let summary = Reader::default().read_bytes(name.into(), bytes, &mut sink);
    (summary, sink)
}

#[test]
fn netstat_in_every_language_and_code_page() {
    for &(lang, cp) in CODE_PAGES {
        let title = word(lang, Kind::NetstatTitle, "Active Connections").expect("every language has its title");
        let header: Vec<&str> = ["Proto", "Local Address", "Foreign Address", "State"]
            .iter()
            .map(|en| word(lang, Kind::NetstatHeader, en).unwrap_or(en))
            .collect();
        let listening = word(lang, Kind::NetstatState, "LISTENING").unwrap_or("LISTENING");
        let established = word(lang, Kind::NetstatState, "ESTABLISHED").unwrap_or("ESTABLISHED");
        let text = format!(
            "\r\n{title}\r\n\r\n  {}  {}  {}  {}  PID\r\n  TCP    0.0.0.0:389            0.0.0.0:0              {listening}  700\r\n  TCP    10.0.0.5:49712         10.0.0.6:135           {established}  700\r\n  UDP    0.0.0.0:1812           *:*                                    1460\r\n",
            header[0], header[1], header[2], header[3]
        );
        let (summary, sink) = read(&format!("netstat-{lang}.txt"), &encode(&text, cp));
        assert_eq!(summary.format, Format::Netstat, "{lang}");
        assert_eq!(summary.records, 3, "{lang}: {:?}", sink.diagnostics);
        assert_eq!(summary.skipped, 0, "{lang}: {:?}", sink.diagnostics);
        let encoding = summary.encoding.as_deref().unwrap_or("");
        if text.is_ascii() {
            // Italian and Portuguese titles and headers need no accent: plain ASCII is UTF-8.
            assert_eq!(encoding, "UTF-8", "{lang}");
        } else {
            assert!(encoding.starts_with(&format!("code page {cp} ")), "{lang}: {encoding}");
        }
        assert_eq!(summary.language.as_deref(), Some(lang), "{lang}");
        let sockets: Vec<_> = sink
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Socket(s) => Some(s),
                _ => None,
            })
            .collect();
        let first = sockets.first().expect("a socket");
        assert_eq!(first.state.as_deref(), Some("LISTENING"), "{lang}");
        assert!(first.is_listening(), "{lang}");
        assert_eq!(first.pid, Some(700));
        // The original is kept when it was translated.
        let kept = (listening != "LISTENING").then(|| listening.to_string());
        assert_eq!(first.state_localized, kept, "{lang}");
        assert_eq!(sockets.get(1).and_then(|s| s.state.as_deref()), Some("ESTABLISHED"), "{lang}");
        assert_eq!(sockets.get(2).map(|s| (s.local_port, s.state.is_none())), Some((1812, true)), "{lang}");
    }
}

#[test]
fn a_german_capture_is_not_read_as_windows_1252() {
    // The case the issue reports: `ABHÖREN` in code page 850 read as 1252 is `ABH™REN`.
    let text = "Aktive Verbindungen\r\n\r\n  Proto  Lokale Adresse         Remoteadresse          Status           PID\r\n  TCP    0.0.0.0:25             0.0.0.0:0              ABHÖREN          1234\r\n";
    let (summary, sink) = read("netstat.txt", &encode(text, 850));
    assert_eq!(summary.encoding.as_deref(), Some("code page 850 (OEM Multilingual Latin 1)"));
    let Some(Record::Socket(s)) = sink.records.first() else { panic!("{:?}", sink.records) };
    assert_eq!((s.state.as_deref(), s.state_localized.as_deref()), (Some("LISTENING"), Some("ABHÖREN")));
    // An English capture names its language and stays UTF-8 (ASCII).
    let english = "Active Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n  TCP    0.0.0.0:25             0.0.0.0:0              LISTENING       1234\r\n";
    let (summary, _) = read("netstat-en.txt", english.as_bytes());
    assert_eq!((summary.encoding.as_deref(), summary.language.as_deref()), (Some("UTF-8"), Some("en")));
}

#[test]
fn tasklist_svc_in_chinese_and_korean() {
    for (lang, cp) in [("zh-CN", 936u16), ("ko", 949)] {
        let image = word(lang, Kind::TasklistHeader, "Image Name").expect("image header");
        let services = word(lang, Kind::TasklistHeader, "Services").expect("services header");
        let na = word(lang, Kind::TasklistNa, "N/A").unwrap_or("N/A");
        let text = format!(
            "\r\n{image}                       PID {services}\r\n========================= ======== ============================================\r\nSystem Idle Process              0 {na}\r\ndns.exe                       1460 DNS\r\n"
        );
        let (summary, sink) = read(&format!("tasklist-{lang}.txt"), &encode(&text, cp));
        assert_eq!(summary.format, Format::Tasklist, "{lang}");
        assert_eq!(summary.language.as_deref(), Some(lang));
        let procs: Vec<_> = sink
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Process(p) => Some((p.pid, p.image.as_str(), p.services.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(
            procs,
            vec![(0, "System Idle Process", vec![]), (1460, "dns.exe", vec!["DNS".to_string()])],
            "{lang}"
        );
    }
}

#[test]
fn systeminfo_in_every_language_with_its_labels() {
    for &(lang, cp) in CODE_PAGES {
        let label = |en: &str| word(lang, Kind::SysteminfoLabel, en);
        let mut text = String::from("\r\n");
        let mut lines = 0;
        for (en, value) in [
            ("Host Name", "SRV01"),
            ("OS Name", "Microsoft Windows Server 2019 Datacenter"),
            ("OS Version", "10.0.17763 N/A Build 17763"),
            ("Time Zone", "(UTC+09:00) Osaka"),
            ("Domain", "contoso.com"),
        ] {
            if let Some(l) = label(en) {
                text.push_str(&format!("{l}:                 {value}\r\n"));
                lines += 1;
            }
        }
        let hotfix = label("Hotfix(s)");
        if let Some(h) = hotfix {
            text.push_str(&format!("{h}:                 2\r\n                           [01]: KB4534273\r\n                           [02]: KB953230\r\n"));
            lines += 1;
        }
        let (summary, sink) = read(&format!("systeminfo-{lang}.txt"), &encode(&text, cp));
        if lines < 4 {
            // Polish: only two labels are confirmed, too few to tell the output.
            assert_eq!(lang, "pl");
            assert_ne!(summary.format, Format::Systeminfo);
            continue;
        }
        assert_eq!(summary.format, Format::Systeminfo, "{lang}");
        assert_eq!(summary.language.as_deref(), Some(lang), "{lang}");
        let computer = sink
            .records
            .iter()
            .find_map(|r| match r {
                Record::Computer(c) => Some(c),
                _ => None,
            })
            .expect("the computer");
        assert_eq!(computer.computer.as_deref(), Some("SRV01"), "{lang}");
        assert_eq!(computer.os_build, Some(17763), "{lang}");
        assert_eq!(computer.utc_offset_minutes, label("Time Zone").map(|_| 540), "{lang}");
        let kbs: Vec<_> = sink
            .records
            .iter()
            .filter_map(|r| match r {
                Record::Update(u) => Some((u.kb.as_str(), u.computer.as_deref())),
                _ => None,
            })
            .collect();
        if hotfix.is_some() {
            assert_eq!(computer.hotfix_count, Some(2), "{lang}");
            assert_eq!(kbs, vec![("KB4534273", Some("SRV01")), ("KB953230", Some("SRV01"))], "{lang}");
        } else {
            // Korean: the hotfix label is not confirmed; its lines are not read.
            assert!(kbs.is_empty(), "{lang}");
        }
    }
}

#[test]
fn text_without_known_words_keeps_the_old_fallback() {
    // A few accented letters in otherwise ASCII text of no known tool: Windows-1252, marked.
    let mut bytes = b"Some text of a tool evtriage does not know, caf".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b"\r\n");
    let d = evtriage_core::text::decode(&bytes).expect("text");
    assert_eq!(d.encoding, evtriage_core::text::Encoding::Windows1252);
    assert!(d.lossy);
    assert!(d.text.contains("café"));
}

#[test]
fn formats_md_lists_the_confirmed_strings() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/formats.md");
    let doc = std::fs::read_to_string(&path).expect("docs/formats.md");
    let table = evtriage_core::console::markdown_table();
    let (start, end) = ("<!-- console:start -->\n", "<!-- console:end -->");
    let (Some(a), Some(b)) = (doc.find(start), doc.find(end)) else {
        panic!("docs/formats.md lacks the console markers")
    };
    let block = format!("\n{table}\n");
    if std::env::var_os("EVTRIAGE_WRITE_DOCS").is_some() {
        let new = format!("{}{start}{block}{}", &doc[..a], &doc[b..]);
        std::fs::write(&path, new).expect("write docs/formats.md");
        return;
    }
    assert_eq!(
        &doc[a + start.len()..b],
        block,
        "docs/formats.md's table of localized strings is stale: run this test with EVTRIAGE_WRITE_DOCS=1"
    );
}
