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

/// `health`: whether the shim on this machine answers `/healthz` (a container's HEALTHCHECK, where
/// there is no shell nor curl).
#[derive(clap::Args)]
pub(crate) struct HealthArgs {
    /// What to ask [default: http://<SHIM_LISTEN, 0.0.0.0 as 127.0.0.1>/healthz].
    #[arg(long)]
    url: Option<String>,
    /// The address `serve` listens on.
    #[arg(long, env = "SHIM_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
}

pub(crate) async fn health(args: HealthArgs) -> anyhow::Result<()> {
    let url = args.url.unwrap_or_else(|| {
        let listen = args
            .listen
            .replace("0.0.0.0:", "127.0.0.1:")
            .replace("[::]:", "[::1]:");
        format!("http://{listen}/healthz")
    });
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?;
    let answer = http
        .get(&url)
        .send()
        .await
        .with_context(|| format!("{url} does not answer"))?;
    if !answer.status().is_success() {
        anyhow::bail!("{url} answered {}", answer.status());
    }
    println!("ok: {url}");
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
