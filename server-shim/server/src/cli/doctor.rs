//! `doctor` and `config example`: checking a deployment, and the settings file to start from.

use super::*;
use clap::Subcommand;
use server_shim::doctor::{Level, diagnose};

/// `doctor`: every check, one line each; fails when one is an error.
pub(crate) async fn run(args: serve::ServeArgs) -> anyhow::Result<()> {
    let checks = diagnose(args.settings()).await;
    for check in &checks {
        println!(
            "{:<8} {:<14} {}",
            check.level.as_str(),
            check.name,
            check.said
        );
    }
    let errors = checks.iter().filter(|c| c.level == Level::Error).count();
    let warnings = checks.iter().filter(|c| c.level == Level::Warning).count();
    if errors > 0 {
        anyhow::bail!(
            "{errors} error(s), {warnings} warning(s): fix the errors before relying on this shim"
        );
    }
    println!("no errors, {warnings} warning(s)");
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print a complete, commented settings file for `serve --config`.
    Example,
}

/// The settings file to start from (also `deploy/shim.toml.example`).
pub(crate) const EXAMPLE: &str = include_str!("../../../../deploy/shim.toml.example");

pub(crate) fn config(command: ConfigCommand) {
    match command {
        ConfigCommand::Example => print!("{EXAMPLE}"),
    }
}
