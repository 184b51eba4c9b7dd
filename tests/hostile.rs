//! Hostile inputs outside `.evtx` (issue 22): the case folder is the
//! boundary, a file of zeros is judged from its first bytes, a file that
//! grows while read is read up to its size at open. Memory is checked by
//! running the binary under an address-space limit (`prlimit`), never by
//! timing.

use std::path::Path;
use std::process::Command;

use crate::util::{evtriage, fixture, json, p, scratch};

/// Runs the binary with `args` under an address-space limit of `bytes`
/// (`prlimit --as`); `None` when `prlimit` is not installed (said on stdout).
fn under_limit(bytes: u64, args: &[&str]) -> Option<std::process::Output> {
    let mut c = Command::new("prlimit");
    c.arg(format!("--as={bytes}")).arg(env!("CARGO_BIN_EXE_evtriage")).args(args);
    match c.output() {
        Ok(o) => Some(o),
        Err(e) => {
            println!("SKIPPED: prlimit cannot run ({e}); the memory bound is not checked");
            None
        }
    }
}

#[cfg(unix)]
#[test]
fn links_that_leave_the_case_are_not_followed() {
    let dir = scratch("hostile-links");
    let case = dir.join("case");
    let outside = dir.join("outside");
    std::fs::create_dir_all(case.join("sub")).expect("case");
    std::fs::create_dir_all(&outside).expect("outside");
    std::fs::copy(fixture("inputs/netstat_anob_ex1.txt"), case.join("netstat.txt")).expect("copy");
    // A secret-looking file outside the case, and links to it and to its folder.
    std::fs::copy(fixture("inputs/tasklist_svc.txt"), outside.join("tasklist.txt")).expect("copy");
    let link = |target: &Path, at: &Path| std::os::unix::fs::symlink(target, at).expect("symlink");
    link(&outside, &case.join("outside-folder"));
    link(&outside.join("tasklist.txt"), &case.join("sub/outside-file.txt"));
    // A link inside the case (read once), and a loop.
    link(&case.join("netstat.txt"), &case.join("sub/netstat-again.txt"));
    link(&case, &case.join("sub/loop"));

    let run = evtriage(&["inputs", "--format", "json", p(&case)]);
    let v = json(&run.stdout);
    let files: Vec<&str> = v["files"].as_array().expect("files").iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(files, [p(&case.join("netstat.txt"))], "{}", run.stdout);
    let unread: Vec<(String, String)> = v["unread"]
        .as_array()
        .expect("unread")
        .iter()
        .map(|u| (u["path"].as_str().unwrap_or("").to_string(), u["reason"].as_str().unwrap_or("").to_string()))
        .collect();
    let outside_canonical = std::fs::canonicalize(&outside).expect("canonical");
    for (at, target) in [
        ("outside-folder", outside_canonical.clone()),
        ("sub/outside-file.txt", outside_canonical.join("tasklist.txt")),
    ] {
        let (_, reason) = unread
            .iter()
            .find(|(path, _)| path == p(&case.join(at)))
            .unwrap_or_else(|| panic!("{at} is not listed as not read: {unread:?}"));
        assert_eq!(
            reason,
            &format!(
                "symbolic link to {}, outside the paths given: not followed (--follow-symlinks follows it)",
                target.display()
            )
        );
    }
    // Asked to, it follows them: the process table outside is read.
    let run = evtriage(&["inputs", "--format", "json", "--follow-symlinks", p(&case)]);
    let v = json(&run.stdout);
    let formats: Vec<&str> =
        v["files"].as_array().expect("files").iter().filter_map(|f| f["format"].as_str()).collect();
    assert_eq!(formats, ["netstat", "tasklist"], "{}", run.stdout);
    // Giving the outside folder itself is the user's choice: it is read.
    let run = evtriage(&["inputs", "--format", "json", p(&case), p(&outside)]);
    assert_eq!(json(&run.stdout)["files"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_large_file_of_zeros_is_judged_from_its_first_bytes() {
    let dir = scratch("hostile-zeros");
    let path = dir.join("zeros.bin");
    // 4 GiB, sparse: no disk is used, but reading it whole would take 4 GiB of memory.
    let f = std::fs::File::create(&path).expect("create");
    f.set_len(4 << 30).expect("set_len");
    drop(f);
    let Some(out) = under_limit(1 << 30, &["inputs", p(&path)]) else { return };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("not a format evtriage reads (binary content (not text) near byte 0)"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_file_that_grows_while_read_is_read_up_to_its_size_at_open() {
    let dir = scratch("hostile-growing");
    let path = dir.join("netstat.txt");
    let row = "  TCP    10.0.0.5:49712         10.0.0.6:135           ESTABLISHED     700\r\n";
    let head =
        "\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n";
    let mut text = String::from(head);
    for _ in 0..200_000 {
        text.push_str(row);
    }
    std::fs::write(&path, &text).expect("write");
    // A writer keeps appending while evtriage reads; it stops when evtriage is done.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (path, stop) = (path.clone(), stop.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(&path).expect("append");
            // About 8 MB a second at most: the disk is not filled.
            let block = row.repeat(100);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if f.write_all(block.as_bytes()).is_err() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        })
    };
    let run = evtriage(&["inputs", "--format", "json", p(&path)]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = writer.join();
    let v = json(&run.stdout);
    let records = v["files"][0]["records"].as_u64().expect("records");
    // Every row present when the file was opened, and perhaps some written
    // before evtriage opened it; never an endless read.
    assert!(records >= 200_000, "{records}");
    let grew = v["files"][0]["diagnostics"].as_array().is_some_and(|d| {
        d.iter().any(|d| d["message"].as_str().is_some_and(|m| m.contains("the file grew while it was read")))
    });
    assert!(grew, "no note that the file grew: {}", run.stdout);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn one_giant_xml_element_is_skipped_in_bounded_memory() {
    let dir = scratch("hostile-giant-data");
    let path = dir.join("big.xml");
    let event = |n: u32, data: &str| {
        format!(
            "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider Name=\"Service Control Manager\"/><EventID>7036</EventID><Level>4</Level><TimeCreated SystemTime=\"2024-05-14T08:00:0{n}.000Z\"/><EventRecordID>{n}</EventRecordID><Channel>System</Channel><Computer>DC1</Computer></System><EventData><Data Name=\"param1\">{data}</Data><Data Name=\"param2\">running</Data></EventData></Event>\r\n"
        )
    };
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        let giant = "A".repeat(50 << 20);
        let text = format!("<Events>\r\n{}{}{}</Events>\r\n", event(1, "Netlogon"), event(2, &giant), event(3, "DNS"));
        f.write_all(text.as_bytes()).expect("write");
    }
    // Before: the 50 MiB value was held in a piece, then in the event, then in its JSON line.
    let Some(out) = under_limit(400 << 20, &["dump", "--format", "jsonl", p(&path)]) else { return };
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let ids: Vec<u64> = stdout.lines().filter_map(|l| json(l)["record_id"].as_u64()).collect();
    assert_eq!(ids, [1, 3], "{stderr}");
    assert!(
        stderr.contains("(line 3): a record longer than 16 MiB starts here (")
            && stderr.contains("skipped, the rest of the file is read"),
        "{stderr}"
    );
}

#[test]
fn a_giant_value_is_quoted_not_copied_into_findings_and_reports() {
    let dir = scratch("hostile-giant-value");
    let path = dir.join("system.xml");
    let event = |n: u32, service: &str, computer: &str| {
        format!(
            "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System><Provider Name=\"Service Control Manager\" Guid=\"{{555908d1-a6d7-4695-8e1e-26931d2012f4}}\" EventSourceName=\"Service Control Manager\"/><EventID Qualifiers=\"49152\">7000</EventID><Level>2</Level><TimeCreated SystemTime=\"2024-05-14T08:00:0{n}.000Z\"/><EventRecordID>{n}</EventRecordID><Channel>System</Channel><Computer>{computer}</Computer></System><EventData><Data Name=\"param1\">{service}</Data><Data Name=\"param2\">%%2</Data></EventData></Event>\r\n"
        )
    };
    // A 10 MB service name (under the 16 MiB record limit, so it is read) and a 1 MB computer name.
    let text = format!(
        "<Events>\r\n{}{}</Events>\r\n",
        event(1, &"S".repeat(10 << 20), "DC1"),
        event(2, "Spooler", &"C".repeat(1 << 20))
    );
    std::fs::write(&path, text).expect("write");
    let report = dir.join("report.json");
    let run = evtriage(&["analyze", "--format", "json", "-o", p(&report), p(&path)]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // The text, Markdown and HTML reports too.
    for format in ["text", "markdown", "html"] {
        let out = dir.join(format!("report.{format}"));
        evtriage(&["analyze", "--format", format, "-o", p(&out), p(&path)]);
        let size = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(u64::MAX);
        assert!(size < 200_000, "{format}: {size} bytes");
    }
    let _ = std::fs::remove_file(&path);
    let written = std::fs::read_to_string(&report).expect("report");
    // Two findings: the report is bounded by them, not by the values (11.5 MB before).
    assert!(written.len() < 100_000, "{} bytes", written.len());
    let v = json(&written);
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 2);
    for f in findings {
        for field in ["service", "computer", "cause"] {
            let s = f[field].as_str().unwrap_or("");
            assert!(s.len() < 12_000, "{field}: {} bytes", s.len());
        }
    }
    let service =
        findings.iter().find_map(|f| f["service"].as_str().filter(|s| s.starts_with("SSS"))).expect("the long one");
    assert!(service.ends_with(&format!("… ({} more bytes)", (10 << 20) - 4096)), "{service:.40}");
}

#[test]
fn a_half_million_row_netstat_is_read_in_bounded_memory() {
    let dir = scratch("hostile-netstat");
    let path = dir.join("netstat.txt");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        f.write_all(b"\r\nActive Connections\r\n\r\n  Proto  Local Address          Foreign Address        State           PID\r\n")
            .expect("write");
        for i in 0..500_000u32 {
            writeln!(
                f,
                "  TCP    10.0.0.5:{}      10.1.0.6:443           ESTABLISHED     {}\r",
                1025 + i % 60000,
                700 + i % 50
            )
            .expect("write");
        }
    }
    // Before: read whole, 660 MB for a million rows in dump and 893 MB in analyze (every socket kept).
    for args in [vec!["dump", "--format", "jsonl", p(&path)], vec!["analyze", "--format", "json", p(&path)]] {
        let Some(out) = under_limit(300 << 20, &args) else { return };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.code().is_some_and(|c| c == 0 || c == 1), "{args:?}: {stderr}");
        if args[0] == "dump" {
            assert_eq!(out.stdout.iter().filter(|b| **b == b'\n').count(), 500_000, "{stderr}");
        } else {
            let v = json(&String::from_utf8_lossy(&out.stdout));
            assert_eq!(v["inputs"][0]["records"].as_u64(), Some(500_000));
        }
    }
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_text_input_read_whole_has_a_size_limit() {
    let dir = scratch("hostile-whole-text");
    let path = dir.join("owstest.txt");
    // PowerShell Format-List output whose first 64 KiB (what recognises it)
    // are blocks, then (sparse) 300 MiB in all: read whole, it would take about 3 GB.
    let mut text = String::new();
    while text.len() < 80 << 10 {
        text.push_str("Id      : 1013\r\nType    : Error\r\nMessage : The remote server returned an error: (401) Unauthorized.\r\n\r\n");
    }
    std::fs::write(&path, text).expect("write");
    let f = std::fs::OpenOptions::new().write(true).open(&path).expect("open");
    f.set_len(300 << 20).expect("set_len");
    drop(f);
    let Some(out) = under_limit(300 << 20, &["inputs", p(&path)]) else { return };
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "314572800 bytes of powershell-list output, more than the 64 MiB a text input of this kind is read whole up to; not read"
        ),
        "{stdout}"
    );
}
