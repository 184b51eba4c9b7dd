//! Packaging helpers: `evtriage completions SHELL` and the hidden `evtriage man`.
//!
//! Both print to stdout and are generated from the same clap definition as
//! the parser, so they never drift from the real flags. Typical install:
//!
//! ```sh
//! evtriage completions bash > ~/.local/share/bash-completion/completions/evtriage
//! evtriage completions zsh  > ~/.zfunc/_evtriage
//! evtriage completions fish > ~/.config/fish/completions/evtriage.fish
//! evtriage man > ~/.local/share/man/man1/evtriage.1
//! ```
//!
//! `docs/evtriage.1` in the repository is the output of `evtriage man`; a
//! test fails when it is stale.

use std::io::Write;
use std::process::ExitCode;

use super::ui::Ui;

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell, mut cmd: clap::Command, ui: Ui) -> ExitCode {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "evtriage", &mut buf);
    write_out(&buf, ui)
}

/// Writes the man page (roff) to stdout.
pub fn man(cmd: clap::Command, ui: Ui) -> ExitCode {
    let mut buf = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut buf) {
        ui.error(&format!("cannot render the man page: {e}."));
        return ExitCode::FAILURE;
    }
    write_out(&buf, ui)
}

fn write_out(buf: &[u8], ui: Ui) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(buf).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            ui.error(&format!("cannot write to stdout: {e}."));
            ExitCode::FAILURE
        }
    }
}
