//! Terminal manners shared by every subcommand: colour, quiet mode, progress
//! and one-sentence errors.
//!
//! The rules followed here are the ones users of ripgrep or cargo expect:
//! - colour only when writing to a terminal, unless `--color always`;
//!   `NO_COLOR` (any non-empty value, <https://no-color.org>) turns it off
//!   under `--color auto`;
//! - a progress bar only on stderr, only when stderr is a terminal, and never
//!   with `-q`; output on stdout is never mixed with it, so pipes stay clean;
//! - errors are one sentence: what failed, the path, and what to do
//!   (`crate::error` decides which, and the exit status).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use std::collections::HashMap;

use evtriage_core::{Diagnostic, InputSummary, Locator, Record, Sink, Unread};
use evtriage_print::text::paint;
use evtriage_rules::Progress;

/// Input text (paths, member names, reasons) made safe for a terminal.
pub fn safe(text: &str) -> String {
    evtriage_core::display::terminal_safe(text, false).into_owned()
}

/// When to colour output (`--color`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the output is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always colour (e.g. when piping into `less -R`).
    Always,
    /// Never colour.
    Never,
}

/// The terminal settings a subcommand runs with.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ui {
    /// Whether stdout gets ANSI colour.
    pub color: bool,
    /// Whether stderr gets ANSI colour.
    pub color_err: bool,
    /// `-q`: no progress, no notes; only results and errors.
    pub quiet: bool,
}

impl Ui {
    /// Settles `--color` and `-q` against the environment and the terminals.
    pub fn new(choice: ColorChoice, quiet: bool) -> Ui {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |tty: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !no_color,
        };
        Ui { color: decide(std::io::stdout().is_terminal()), color_err: decide(std::io::stderr().is_terminal()), quiet }
    }

    /// Prints an error on stderr: `evtriage: error: <sentence>`.
    pub fn error(&self, sentence: &str) {
        eprintln!("evtriage: {} {sentence}", paint(self.color_err, "1;31", "error:"));
    }

    /// Prints a note on stderr unless quiet.
    pub fn note(&self, sentence: &str) {
        if !self.quiet {
            eprintln!("evtriage: {} {sentence}", paint(self.color_err, "1;36", "note:"));
        }
    }

    /// Lists on stderr the inputs that gave no record at all, with the reason
    /// (at most 20; then how many more). Not silenced by `-q`: an input that
    /// was not read is a result, not a note.
    pub fn report_unread(&self, unread: &[Unread]) {
        if unread.is_empty() {
            return;
        }
        let label = paint(self.color_err, "1;33", "not read:");
        for u in unread.iter().take(20) {
            eprintln!("evtriage: {label} {}: {}", safe(&u.path), safe(&u.reason));
        }
        if unread.len() > 20 {
            eprintln!("evtriage: … and {} more input(s) not read; `evtriage inputs` lists them all", unread.len() - 20);
        }
    }
}

/// A progress bar over the bytes of the input files, on stderr, only when
/// stderr is a terminal and not quiet. It is sized from the files the reader
/// found ([`Progress::Files`]) and moves as their records arrive: inside an
/// evtx file the chunk index of a record's locator gives the byte position.
pub struct ProgressBar {
    bar: Option<indicatif::ProgressBar>,
    /// File name → (bytes of the files before it, its size, short name).
    starts: HashMap<String, (u64, u64, String)>,
    current: String,
}

impl ProgressBar {
    /// A bar that shows only where `ui` allows it.
    pub fn new(ui: &Ui) -> ProgressBar {
        let bar = (!ui.quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} [{bar:30}] {bytes}/{total_bytes} {wide_msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar
        });
        ProgressBar { bar, starts: HashMap::new(), current: String::new() }
    }

    /// Moves the bar as the reading goes on.
    pub fn update(&mut self, progress: Progress<'_>) {
        let Some(bar) = &self.bar else { return };
        match progress {
            Progress::Files(files) => {
                let mut total = 0u64;
                for f in files {
                    let size = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
                    self.starts.insert(f.to_string_lossy().into_owned(), (total, size, short_name(f)));
                    total += size;
                }
                bar.set_length(total);
            }
            Progress::Begin(input) => self.advance(&input.path, Locator::File),
            Progress::Record(origin) => self.advance(&origin.source, origin.locator),
            Progress::End(_) => {}
        }
    }

    fn advance(&mut self, source: &str, locator: Locator) {
        let Some(bar) = &self.bar else { return };
        // A zip member is `archive.zip!member`: the archive is the file.
        let file = source.split('!').next().unwrap_or(source);
        let Some((start, size, short)) = self.starts.get(file) else { return };
        if file != self.current {
            self.current = file.to_string();
            bar.set_message(short.clone());
        }
        let within = match locator {
            Locator::Evtx { chunk, .. } => (4096 + chunk.saturating_mul(65536)).min(*size),
            _ => 0,
        };
        let pos = start + within;
        if pos > bar.position() {
            bar.set_position(pos);
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A sink that passes everything on and tells a [`ProgressBar`] (for the
/// commands that read into a sink of their own, such as `timeline`).
pub struct WithProgress<'a> {
    /// Where the records go.
    pub inner: &'a mut dyn Sink,
    /// The bar to move.
    pub bar: &'a mut ProgressBar,
}

impl Sink for WithProgress<'_> {
    fn record(&mut self, record: Record) {
        self.bar.update(Progress::Record(record.origin()));
        self.inner.record(record);
    }
    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.inner.diagnostic(diagnostic);
    }
    fn begin_read(&mut self, files: &[PathBuf]) {
        self.bar.update(Progress::Files(files));
        self.inner.begin_read(files);
    }
    fn begin_input(&mut self, input: &InputSummary) {
        self.bar.update(Progress::Begin(input));
        self.inner.begin_input(input);
    }
    fn end_input(&mut self, input: &InputSummary) {
        self.bar.update(Progress::End(input));
        self.inner.end_input(input);
    }
}

fn short_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Writes `bytes` to standard output, flushed.
pub fn write_stdout(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush())
}

/// An I/O error as a lowercase reason without the OS error number.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
