//! `evtriage rules list|show|test`: the rule catalogue and rule fixtures.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use evtriage_rules::catalog;
use evtriage_rules::fixtures::{self, Outcome};

/// Arguments of `evtriage rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Add the rules (*.toml) in DIR to the built-in ones; may be repeated.
    #[arg(long = "rules", value_name = "DIR", global = true)]
    pub rules: Vec<PathBuf>,
    #[command(subcommand)]
    pub command: RulesCommand,
}

/// Catalogue formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// One line per rule.
    Text,
    /// The Markdown catalogue (as in docs/rules.md).
    Markdown,
    /// JSON, for tools.
    Json,
}

/// `rules` subcommands.
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Show one rule: where it comes from and its file.
    Show {
        /// The rule id.
        id: String,
    },
    /// Run the rules' fixtures: positive cases must fire with the expected
    /// confidence, negative cases must not fire.
    Test {
        /// The fixtures folder, laid out as RULE-ID/{positive,negative}/CASE/.
        #[arg(long, value_name = "DIR", default_value = "fixtures/rules")]
        fixtures: PathBuf,
        /// Only this rule's cases.
        #[arg(long = "rule", value_name = "ID")]
        rule: Option<String>,
    },
}

/// Prints a rule's sources as comment lines above its file.
fn print_sources(rule: &evtriage_rules::Rule) {
    let sources = &rule.spec.sources;
    if sources.is_empty() {
        println!("# Sources: none given");
        return;
    }
    println!("# Sources:");
    for s in sources {
        let mut head = format!("#   - {}", s.title);
        if let Some(kb) = s.kb_id() {
            head.push_str(&format!(" ({kb})"));
        }
        if let Some(who) = s.third_party() {
            head.push_str(&format!(" [third-party: {who}]"));
        }
        println!("{head}");
        if let Some(u) = &s.url {
            println!("#     {u}");
        }
        println!("#     {}", s.says.trim());
    }
}

/// Runs `rules`.
pub fn run(args: RulesArgs) -> ExitCode {
    let set = match super::analyze::load_rules(&args.rules) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("evtriage: {e}");
            return ExitCode::from(2);
        }
    };
    match args.command {
        RulesCommand::List { format } => {
            let text = match format {
                ListFormat::Text => catalog::text(&set),
                ListFormat::Markdown => catalog::markdown(&set),
                ListFormat::Json => catalog::json(&set) + "\n",
            };
            print!("{text}");
            ExitCode::SUCCESS
        }
        RulesCommand::Show { id } => match set.get(&id) {
            Some(rule) => {
                println!("# {} ({})", rule.id(), rule.origin);
                print_sources(rule);
                for p in evtriage_rules::audit::problems(rule) {
                    println!("# PROBLEM: {}", p.message);
                }
                print!("{}", rule.source_text);
                if !rule.source_text.ends_with('\n') {
                    println!();
                }
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("evtriage: no rule `{id}`; `evtriage rules list` shows them");
                ExitCode::from(2)
            }
        },
        RulesCommand::Test { fixtures: dir, rule } => {
            if !dir.is_dir() {
                eprintln!("evtriage: {} is not a folder of rule fixtures", dir.display());
                return ExitCode::from(2);
            }
            let results = fixtures::run(&set, &dir, rule.as_deref());
            let (mut pass, mut fail, mut skip) = (0, 0, 0);
            // A rule's sources and remediation are part of what is tested.
            for r in set.rules().iter().filter(|r| rule.as_deref().is_none_or(|id| id == r.id())) {
                for p in evtriage_rules::audit::problems(r) {
                    fail += 1;
                    println!("FAIL {} sources: {}", r.id(), p.message);
                }
            }
            for r in &results {
                let label = format!("{} {} {}", r.rule, r.kind, r.path.display());
                match &r.outcome {
                    Outcome::Pass => {
                        pass += 1;
                        println!("PASS {label}");
                    }
                    Outcome::Fail(why) => {
                        fail += 1;
                        println!("FAIL {label}: {why}");
                    }
                    Outcome::Skip(why) => {
                        skip += 1;
                        println!("SKIP {label}: {why}");
                    }
                }
            }
            println!("{pass} passed, {fail} failed, {skip} skipped");
            if results.is_empty() {
                eprintln!("evtriage: no fixture cases found under {}", dir.display());
                return ExitCode::from(2);
            }
            if fail > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}
