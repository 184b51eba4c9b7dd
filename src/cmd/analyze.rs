//! `evtriage analyze PATH...`: read everything, run the rules, print the findings.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use evtriage_print::{HtmlReport, JsonReport, MarkdownReport, ReportSink, SurroundingsOptions, TextReport};
use evtriage_rules::{Analyzer, RuleSet};

use crate::error::{Error, Outcome};

/// Output format of `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text, grouped per computer.
    Text,
    /// The versioned JSON contract (see docs/rules.md).
    Json,
    /// One self-contained HTML page (inline CSS, no script, no network), with the minutes around each finding.
    Html,
    /// Markdown for pasting into a ticket, with the minutes around each finding.
    Markdown,
}

/// Arguments of `evtriage analyze`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  evtriage analyze case-1234.zip                          # findings as text, grouped per computer
  evtriage analyze logs/ --format html -o report.html     # one self-contained page to attach to the case
  evtriage analyze logs/ --format markdown > ticket.md    # for pasting into a ticket
  evtriage analyze logs/ --format json | jq '.findings[].kb'
  evtriage analyze logs/ --rules my-rules/                # add your own rules (docs/rules.md)

Exit status: 0 read, no fault; 1 faults or security findings; 2 error (a missing path,
rules that do not load, no record at all readable, output not writable).")]
pub struct AnalyzeArgs {
    /// Files, folders or zip archives to read (evtx, XML exports, ETW text, netstat, .reg, ...).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Add the rules (*.toml) in DIR to the built-in ones; may be repeated.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// HTML and Markdown: show the events within this many minutes of each finding (0 = none).
    #[arg(long, value_name = "MINUTES", default_value_t = 5)]
    pub context: u32,
    /// Worker threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// HTML and Markdown: also show stale records carved from .evtx slack
    /// space in the minutes around each finding, marked. Findings never rest
    /// on them.
    #[arg(long)]
    pub recovered: bool,
    /// Follow symbolic links inside the folders given whose target lies
    /// outside every path given (by default they are listed as not read).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// The language of a log's display information (LocaleMetaData beside the
    /// .evtx) when it has several: an LCID (1031) or a name (de-DE); else en-US,
    /// else the one present.
    #[arg(long, value_name = "LCID|NAME", value_parser = crate::cmd::locale_arg)]
    pub locale: Option<u32>,
    /// The time zone of the machine that wrote text exports of events (Event
    /// Viewer CSV/text, wevtutil /f:text, Get-WinEvent output), which write
    /// local times without saying their zone: UTC (the default), an offset
    /// (+02:00, -0530) or an IANA name (Europe/Berlin, with daylight saving).
    #[arg(long, value_name = "ZONE", value_parser = crate::cmd::source_tz_arg, allow_hyphen_values = true)]
    pub source_tz: Option<evtriage_core::SourceTz>,
}

/// Runs `analyze`: [`Outcome::Flagged`] when there are faults (informational
/// "by design" findings do not count); an error for a missing path, rules
/// that do not load, no record read at all, or a report that cannot be
/// written.
/// Colour follows the global `--color` (and `NO_COLOR`); a report written to a file is never coloured.
pub fn run(args: AnalyzeArgs, ui: crate::ui::Ui) -> Result<Outcome, Error> {
    Error::check_paths(&args.paths)?;
    let rules = load_rules(&args.rules).map_err(Error::Rules)?;
    let mut bar = crate::ui::ProgressBar::new(&ui);
    let mut analyzer = Analyzer::new(rules.clone())
        .threads(args.threads)
        .follow_symlinks(args.follow_symlinks)
        .progress(|p| bar.update(p));
    if let Some(lcid) = args.locale {
        analyzer = analyzer.locale(lcid);
    }
    if let Some(zone) = args.source_tz.clone() {
        analyzer = analyzer.source_tz(zone);
    }
    let report = analyzer.analyze(&args.paths);
    bar.finish();
    warn_rule_problems(&rules, &ui);
    let color = args.output.is_none() && ui.color;
    let mut buf: Vec<u8> = Vec::new();
    let written = match args.format {
        Format::Json => JsonReport.write_report(&report, &mut buf),
        Format::Text => TextReport { color }.write_report(&report, &mut buf).map(|()| {
            // Input text (computer names, messages) must not reach the terminal as escapes; our own colours stay.
            if let std::borrow::Cow::Owned(safe) =
                evtriage_core::display::terminal_safe(&String::from_utf8_lossy(&buf), true)
            {
                buf = safe.into_bytes();
            }
        }),
        Format::Html | Format::Markdown => {
            // A second read of the inputs, bounded per finding (see evtriage_print::context).
            let options = SurroundingsOptions {
                minutes: args.context,
                recovered: args.recovered,
                follow_symlinks: args.follow_symlinks,
                locale: args.locale,
                source_tz: args.source_tz.clone(),
                ..Default::default()
            };
            let around = evtriage_print::collect_surroundings(&report, &args.paths, &options);
            if args.format == Format::Html {
                HtmlReport { surroundings: Some(&around), title: None }.write_report(&report, &mut buf)
            } else {
                MarkdownReport { surroundings: Some(&around) }.write_report(&report, &mut buf)
            }
        }
    };
    let result = written.and_then(|()| match &args.output {
        Some(path) => std::fs::write(path, &buf),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&buf).and_then(|()| out.flush())
        }
    });
    result.map_err(|e| {
        Error::writing(e, |e| {
            let target =
                args.output.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "standard output".into());
            Error::Write(format!(
                "cannot write the report to {target}: {}; check that the folder exists and is writable.",
                crate::ui::io_reason(e)
            ))
        })
    })?;
    // Nothing read at all is an error, whatever the report says (the report lists why).
    let stale: u64 = report.inputs.iter().map(|i| i.stale).sum();
    if report.inputs.iter().all(|i| i.records == 0) {
        return Err(Error::NothingRead { unread: Vec::new(), stale, then: "the report lists why for each input." });
    }
    Ok(Outcome::flagged_if(report.faults() > 0))
}

/// Warns on stderr about the user's rules whose sources or remediation have
/// problems (see `evtriage_rules::audit`); the built-in rules have none.
fn warn_rule_problems(rules: &RuleSet, ui: &crate::ui::Ui) {
    for r in rules.rules().iter().filter(|r| !matches!(r.origin, evtriage_rules::RuleOrigin::Builtin(_))) {
        for p in evtriage_rules::audit::problems(r) {
            ui.note(&format!("{} ({}): {}", p, r.origin, "its findings may not be trustworthy"));
        }
    }
}

/// The built-in rules plus the user's rule folders; an error message on failure.
pub fn load_rules(dirs: &[PathBuf]) -> Result<RuleSet, String> {
    let mut set = RuleSet::builtin().map_err(|e| format!("the built-in rules do not load: {e}"))?;
    for d in dirs {
        set.load_dir(d).map_err(|e| e.to_string())?;
    }
    Ok(set)
}
