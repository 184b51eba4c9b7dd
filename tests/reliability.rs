//! Determinism and containment of the `evtriage` binary.
//!
//! - The same inputs give byte-identical JSON whatever the order of the
//!   paths on the command line and whatever the number of threads.
//! - Hostile inputs (zip members named `../x`, link loops, damaged files)
//!   make evtriage write nothing besides its standard output.
//!
//! Subcommands and flags that land later (`dump --threads`, `analyze`) are
//! detected from `--help`, so these tests cover them as soon as they exist.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{bin, corpus, root as repo};

fn help(args: &[&str]) -> String {
    let out = bin().args(args).arg("--help").output().expect("run evtriage --help");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn run(args: &[String], cwd: Option<&Path>) -> Output {
    let mut c = bin();
    c.args(args);
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    c.output().expect("run evtriage")
}

/// Inputs of every kind: the text fixtures one by one, the evtx fixtures as a folder, and corpus files when present.
fn inputs() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(repo().join("fixtures/inputs"))
        .expect("fixtures/inputs")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e != "md"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    v.sort();
    v.push(repo().join("fixtures/evtx").to_string_lossy().into_owned());
    // Rule scenarios: inputs on which `analyze` has findings to report.
    if repo().join("fixtures/rules").is_dir() {
        v.push(repo().join("fixtures/rules").to_string_lossy().into_owned());
    }
    if let Some(p) = corpus("netstat") {
        v.push(p.to_string_lossy().into_owned());
    }
    v
}

/// A fixed permutation (no randomness in tests): reversed, then the halves swapped.
fn permutations(v: &[String]) -> Vec<Vec<String>> {
    let mut reversed = v.to_vec();
    reversed.reverse();
    let mut rotated = v.to_vec();
    rotated.rotate_left(v.len() / 2);
    // And a path given twice.
    let mut doubled = rotated.clone();
    if let Some(first) = v.first() {
        doubled.push(first.clone());
    }
    vec![v.to_vec(), reversed, rotated, doubled]
}

/// Runs `sub` over every permutation with every flag set; all outputs must be
/// byte-identical. Returns the output.
fn assert_same_output(sub: &[&str], extra: &[Vec<String>]) -> Vec<u8> {
    let base = inputs();
    let mut reference: Option<Vec<u8>> = None;
    // Every thread setting on the given order, every order with the first setting.
    for (n, paths) in permutations(&base).into_iter().enumerate() {
        for flags in extra.iter().take(if n == 0 { extra.len() } else { 1 }) {
            let mut args: Vec<String> = sub.iter().map(|s| s.to_string()).collect();
            args.extend(flags.iter().cloned());
            args.extend(paths.iter().cloned());
            let out = run(&args, None);
            assert!(out.status.success() || out.status.code() == Some(1), "{args:?}: {:?}", out.status);
            assert!(!out.stdout.is_empty(), "{args:?}: no output");
            match &reference {
                None => reference = Some(out.stdout),
                Some(r) => {
                    assert!(r == &out.stdout, "{sub:?} output differs for flags {flags:?} and path order {paths:?}")
                }
            }
        }
    }
    reference.unwrap_or_default()
}

fn thread_flags(sub: &str) -> Vec<Vec<String>> {
    if help(&[sub]).contains("--threads") {
        ["1", "2", "4", "0"].iter().map(|n| vec!["--threads".to_string(), n.to_string()]).collect()
    } else {
        eprintln!("{sub} has no --threads yet; only path order is varied");
        vec![vec![]]
    }
}

#[test]
fn dump_is_byte_identical_whatever_the_path_order_and_threads() {
    let mut flags = thread_flags("dump");
    if help(&["dump"]).contains("jsonl") {
        for f in &mut flags {
            f.extend(["--format".to_string(), "jsonl".to_string()]);
        }
    }
    let out = assert_same_output(&["dump"], &flags);
    assert!(out.iter().filter(|b| **b == b'\n').count() > 100, "dump printed the records");
}

#[test]
fn inputs_json_is_byte_identical_whatever_the_path_order() {
    let out = assert_same_output(&["inputs", "--format", "json"], &[vec![]]);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("inputs JSON");
    assert!(v["files"].as_array().map_or(0, Vec::len) > 20);
}

#[test]
fn analyze_json_is_byte_identical_whatever_the_path_order_and_threads() {
    if !help(&[]).contains("analyze") {
        eprintln!("skipped: no `analyze` subcommand yet (rules not merged)");
        return;
    }
    let mut flags = thread_flags("analyze");
    for f in &mut flags {
        f.extend(["--format".to_string(), "json".to_string()]);
    }
    let out = assert_same_output(&["analyze"], &flags);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("analyze JSON");
    let findings = v["findings"].as_array().map_or(0, Vec::len);
    assert!(findings > 0, "the rule fixtures give findings, so the comparison covers them");
}

/// Every path below `dir` (to see that nothing new appears).
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if std::fs::symlink_metadata(&p).map(|m| m.is_dir()).unwrap_or(false) {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

fn hostile_zip() -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default();
    let netstat = std::fs::read(repo().join("fixtures/inputs/netstat_anob_ex1.txt")).expect("fixture");
    for name in ["../../../escaped.txt", "/tmp/evtriage-absolute.txt", "a/../../up.txt", "ok/netstat.txt"] {
        w.start_file(name, opts).expect("member");
        w.write_all(&netstat).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

#[test]
fn hostile_inputs_make_evtriage_write_nothing() {
    let root = std::env::temp_dir().join(format!("evtriage-rel-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let work = root.join("work");
    std::fs::create_dir_all(work.join("case/sub")).expect("mkdir");
    std::fs::write(work.join("case/hostile.zip"), hostile_zip()).expect("write");
    std::fs::write(work.join("case/truncated.evtx"), b"ElfFile\0\x01\x02\x03").expect("write");
    std::fs::write(work.join("case/garbage.etl"), [0xffu8; 300]).expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink("..", work.join("case/sub/loop")).expect("symlink");
    let before_root = listing(&root);
    let mut commands: Vec<Vec<String>> = vec![
        vec!["dump".into(), "case".into()],
        vec!["inputs".into(), "--format".into(), "json".into(), "case".into()],
    ];
    let analyze = help(&[]).contains("analyze");
    if analyze {
        commands.push(vec!["analyze".into(), "case".into()]);
        commands.push(vec!["analyze".into(), "--format".into(), "json".into(), "case".into()]);
    }
    for args in &commands {
        let out = run(args, Some(&work));
        assert!(out.status.code().is_some(), "{args:?} was killed by a signal");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    }
    // The zip members named ../ or absolute were reported, not read or written.
    let out = run(&["inputs".into(), "--format".into(), "json".into(), "case".into()], Some(&work));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("leaves the archive"), "{text}");
    assert_eq!(listing(&root), before_root, "evtriage wrote inside the input tree");
    // With -o, the report is the one new file.
    if analyze && help(&["analyze"]).contains("--output") {
        let out = run(
            &["analyze".into(), "--format".into(), "json".into(), "-o".into(), "report.json".into(), "case".into()],
            Some(&work),
        );
        assert!(out.status.code().is_some(), "analyze -o was killed by a signal");
        let mut expected = before_root.clone();
        expected.push(work.join("report.json"));
        expected.sort();
        assert_eq!(listing(&root), expected, "analyze -o wrote something besides its report");
        let report = std::fs::read_to_string(work.join("report.json")).expect("report written");
        assert!(report.contains("\"version\""), "{report}");
    }
    assert!(!Path::new("/tmp/evtriage-absolute.txt").exists());
    assert!(!root.join("escaped.txt").exists() && !std::env::temp_dir().join("escaped.txt").exists());
    let _ = std::fs::remove_dir_all(&root);
}

/// Control characters in `bytes` other than tab, newline and SGR colour sequences.
fn terminal_controls(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut found = Vec::new();
    let mut rest: &str = &text;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}' {
            let body = rest.get(2..).unwrap_or("");
            let params = body.bytes().take_while(|b| b.is_ascii_digit() || *b == b';').count();
            if rest.starts_with("\u{1b}[") && body.as_bytes().get(params) == Some(&b'm') {
                rest = body.get(params + 1..).unwrap_or("");
                continue;
            }
        }
        if c.is_control() && c != '\n' && c != '\t' {
            found.push(rest.chars().take(12).collect());
        }
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    found
}

#[test]
fn input_text_never_reaches_the_terminal_as_escape_sequences() {
    let root = std::env::temp_dir().join(format!("evtriage-rel-esc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("mkdir");
    // An event whose computer name sets the window title and whose data
    // clears the screen and writes the clipboard (OSC 52).
    let xml = "<Events><Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System>\
        <Provider Name=\"Service Control Manager\"/><EventID>7023</EventID><Level>2</Level>\
        <TimeCreated SystemTime=\"2024-03-02T06:01:14.120Z\"/><Computer>DC1&#x1b;]0;pwned&#x7;</Computer></System>\
        <EventData><Data Name=\"param1\">Evil&#x1b;[2J&#x1b;]52;c;ZXZpbA==&#x7;Svc</Data><Data Name=\"param2\">%%58</Data>\
        </EventData></Event></Events>\r\n";
    std::fs::write(root.join("events.xml"), xml).expect("write");
    // A zip member and a file whose names carry escapes.
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file("evil\u{1b}]0;pwned\u{7}\u{1b}[2J.txt", SimpleFileOptions::default()).expect("member");
    w.write_all(&std::fs::read(repo().join("fixtures/inputs/netstat_anob_ex1.txt")).expect("fixture")).expect("w");
    std::fs::write(root.join("case.zip"), w.finish().expect("finish").into_inner()).expect("write");
    std::fs::write(root.join("name\u{1b}[31mred.txt"), b"not a log\n").expect("write");
    let dir = root.to_string_lossy().into_owned();
    let mut commands: Vec<Vec<String>> = vec![vec!["inputs".into(), dir.clone()], vec!["dump".into(), dir.clone()]];
    for format in ["table", "csv"] {
        if help(&["dump"]).contains(format) {
            commands.push(vec!["dump".into(), "--format".into(), format.into(), dir.clone()]);
        }
    }
    if help(&[]).contains("timeline") {
        commands.push(vec!["timeline".into(), dir.clone()]);
    }
    if help(&[]).contains("analyze") {
        commands.push(vec!["analyze".into(), dir.clone()]);
        commands.push(vec!["analyze".into(), "--color".into(), "always".into(), dir.clone()]);
        for format in ["markdown", "html"] {
            if help(&["analyze"]).contains(format) {
                commands.push(vec!["analyze".into(), "--format".into(), format.into(), dir.clone()]);
            }
        }
    }
    for args in &commands {
        let out = run(args, None);
        assert!(out.status.code().is_some(), "{args:?} killed");
        let stdout = terminal_controls(&out.stdout);
        assert!(stdout.is_empty(), "{args:?} printed terminal controls on stdout: {stdout:?}");
        let stderr = terminal_controls(&out.stderr);
        assert!(stderr.is_empty(), "{args:?} printed terminal controls on stderr: {stderr:?}");
    }
    // The evidence is still shown, with the escapes neutralised.
    if help(&[]).contains("timeline") {
        let out = run(&["timeline".into(), dir.clone()], None);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("DC1\u{fffd}]0;pwned\u{fffd}"), "{text}");
        assert!(text.contains("Evil\u{fffd}[2J\u{fffd}]52;c;ZXZpbA==\u{fffd}Svc"), "{text}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// Peak resident memory (KiB) of `evtriage args…`, measured by GNU time; `None` when it is not installed.
fn peak_rss_kib(args: &[String]) -> Option<u64> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        return None;
    }
    let out = Command::new(time).arg("-f").arg("%M").arg(env!("CARGO_BIN_EXE_evtriage")).args(args).output().ok()?;
    String::from_utf8_lossy(&out.stderr).lines().last()?.trim().parse().ok()
}

#[test]
fn evtx_memory_does_not_grow_with_the_number_of_files() {
    let root = std::env::temp_dir().join(format!("evtriage-rel-mem-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (one, many) = (root.join("one"), root.join("many"));
    std::fs::create_dir_all(&one).expect("mkdir");
    std::fs::create_dir_all(&many).expect("mkdir");
    let evtx = std::fs::read(repo().join("fixtures/evtx/multi-chunk.evtx")).expect("fixture");
    std::fs::write(one.join("0.evtx"), &evtx).expect("write");
    for i in 0..24 {
        std::fs::write(many.join(format!("{i}.evtx")), &evtx).expect("write");
    }
    let run_dump = |dir: &Path| {
        let args = ["dump".to_string(), "--threads".into(), "2".into(), dir.to_string_lossy().into_owned()];
        peak_rss_kib(&args)
    };
    let (Some(small), Some(large)) = (run_dump(&one), run_dump(&many)) else {
        eprintln!("skipped: /usr/bin/time (GNU time) not available to measure peak memory");
        let _ = std::fs::remove_dir_all(&root);
        return;
    };
    let _ = std::fs::remove_dir_all(&root);
    eprintln!("peak RSS: {small} KiB for 1 file, {large} KiB for 24");
    // 24 × 452 KiB of input: records are streamed chunk by chunk, so the peak
    // may not grow by anything like the 10.6 MiB of input (or its 24,000
    // records, some 30 MiB held at once); thread-pool and allocator noise stays
    // within a few MiB.
    assert!(large < small + 8 * 1024, "peak RSS {small} KiB for 1 file, {large} KiB for 24");
}
