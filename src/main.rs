//! The `evtriage` command: a thin front end over `evtriage-core` and `evtriage-rules`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod cmd;
mod error;
mod time;
mod ui;

/// mimalloc instead of the system allocator: decoding allocates many small,
/// short-lived strings per event, and glibc malloc/free took about a quarter
/// of the CPU time (docs/performance.md). Binary only; the libraries leave
/// the choice to their users.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use cmd::{completions, explain, timeline};

/// Offline triage of Windows logs: read .evtx, XML exports, ETW traces and
/// netstat captures, and name the known problem with evidence.
#[derive(Parser)]
#[command(name = "evtriage", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour output: auto (terminal and no NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value = "auto", value_name = "WHEN")]
    color: ui::ColorChoice,
    /// Quiet: no progress bar and no notes on stderr; only results and errors.
    #[arg(short, long, global = true)]
    quiet: bool,
}

const EXAMPLES: &str = "\
Examples:
  evtriage inputs case-1234.zip            # what was collected, and what could not be read
  evtriage timeline logs/ --around '2024-03-05 14:02' --window 10m
  evtriage explain 0x5b %%58               # Windows error codes, offline
  evtriage completions bash > ~/.local/share/bash-completion/completions/evtriage

Docs: docs/collecting.md (what to collect on the server), docs/formats.md (what evtriage reads).";

#[derive(Subcommand)]
enum Command {
    /// Print the records read from the given files, folders or archives.
    Dump(cmd::dump::DumpArgs),
    /// Name the known problem: run the rules over the given files, folders or archives.
    Analyze(cmd::analyze::AnalyzeArgs),
    /// List, show and test the rules.
    Rules(cmd::rules::RulesArgs),
    /// Explain Windows error codes offline (Win32, NERR, Winsock, LDAP, NTSTATUS, HRESULT), like Err.exe.
    ///
    /// CODE may be decimal (58, -2147024882), hex (0x5b), an insertion (%%2147942414) or a name
    /// (ERROR_BAD_NET_RESP). Exits 0 when at least one code is known, 1 when none is.
    Explain {
        /// The codes to explain.
        #[arg(required = true, value_name = "CODE", allow_negative_numbers = true)]
        codes: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: explain::ExplainFormat,
    },
    /// List each input file with the format detected, records read and skipped, and diagnostics.
    Inputs {
        /// Files, folders or zip archives to read.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output shape.
        #[arg(long, value_enum, default_value = "table")]
        format: cmd::inputs::InputsFormat,
        /// The language of LocaleMetaData to read, as in `dump --locale`.
        #[arg(long, value_name = "LCID|NAME", value_parser = cmd::locale_arg)]
        locale: Option<u32>,
        /// The time zone of text exports' local times, as in `dump --source-tz`.
        #[arg(long, value_name = "ZONE", value_parser = cmd::source_tz_arg, allow_hyphen_values = true)]
        source_tz: Option<evtriage_core::SourceTz>,
        /// Follow symbolic links whose target lies outside the paths given, as in `dump --follow-symlinks`.
        #[arg(long)]
        follow_symlinks: bool,
    },
    /// Merge every event and trace record into one UTC-ordered timeline, with boot separators.
    Timeline(timeline::TimelineArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    #[command(hide = true)]
    Man,
}

/// Parses the command line, runs the command, and maps its result to the
/// exit status, in one place ([`error::exit`]): 0 success (or a closed
/// pipe), 1 an answer that calls for attention (faults, failing fixtures,
/// unknown codes), 2 an error. Usage errors found by the parser exit 2 too.
fn main() -> ExitCode {
    let cli = Cli::parse();
    let ui = ui::Ui::new(cli.color, cli.quiet);
    let result = match cli.command {
        Command::Timeline(args) => timeline::run(args, ui),
        Command::Completions { shell } => completions::completions(shell, Cli::command()),
        Command::Man => completions::man(Cli::command()),
        Command::Dump(args) => cmd::dump::run(args),
        Command::Analyze(args) => cmd::analyze::run(args, ui),
        Command::Rules(args) => cmd::rules::run(args),
        Command::Explain { codes, format } => explain::run(&codes, format),
        Command::Inputs { paths, format, locale, source_tz, follow_symlinks } => {
            cmd::inputs::run(&paths, format, (locale, source_tz), follow_symlinks)
        }
    };
    ExitCode::from(error::exit(result, &ui))
}
