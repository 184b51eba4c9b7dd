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

use crate::error::{Error, Outcome};

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: clap_complete::Shell, mut cmd: clap::Command) -> Result<Outcome, Error> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "evtriage", &mut buf);
    write_out(&buf)
}

/// Writes the man page (roff) to stdout.
pub fn man(cmd: clap::Command) -> Result<Outcome, Error> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| Error::Packaging(format!("cannot render the man page: {e}.")))?;
    write_out(&buf)
}

fn write_out(buf: &[u8]) -> Result<Outcome, Error> {
    crate::ui::write_stdout(buf)
        .map_err(|e| Error::writing(e, |e| Error::Packaging(format!("cannot write to stdout: {e}."))))?;
    Ok(Outcome::Success)
}
