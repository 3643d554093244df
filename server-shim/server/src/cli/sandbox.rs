//! The Cryptomus-compatible sandbox on its own.

use super::*;
use clap::Args;
use cryptomus_sandbox::{Sandbox, SandboxConfig};
use shim_gateway::{ApiKey, MerchantId};

#[derive(Args)]
pub(crate) struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: String,
    /// Merchant uuid clients must send (generated when not given).
    #[arg(long)]
    merchant: Option<String>,
    /// Payment key (generated when not given).
    #[arg(long)]
    payment_key: Option<String>,
    /// Payout key (generated when not given).
    #[arg(long)]
    payout_key: Option<String>,
    /// Seed for uuids and addresses, to repeat a run exactly.
    #[arg(long)]
    seed: Option<u64>,
    /// Keep the sandbox's state in SQLite (e.g. sqlite://sandbox.db) so it survives a restart;
    /// in memory when not given.
    #[arg(long)]
    state: Option<String>,
}

pub(crate) async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let mut config = SandboxConfig::generate(url.clone());
    let given_identity = args.merchant.is_some()
        || args.payment_key.is_some()
        || args.payout_key.is_some()
        || args.seed.is_some();
    if let Some(m) = args.merchant {
        config.merchant = MerchantId::new(m);
    }
    if let Some(k) = args.payment_key {
        config.payment_key = ApiKey::new(k);
    }
    if let Some(k) = args.payout_key {
        config.payout_key = ApiKey::new(k);
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    // A restarted sandbox keeps its stored identity unless told another on the command line.
    let keep_identity = !given_identity;
    let sandbox = match &args.state {
        Some(url) => Sandbox::open(config, url, keep_identity)
            .await
            .context("cannot open the sandbox state")?,
        None => Sandbox::new(config),
    };
    let config = sandbox.config();
    println!("sandbox listening on {url}");
    println!("merchant: {}", config.merchant);
    // The sandbox's keys are test keys the operator needs to configure clients.
    println!(
        "payment key: {}",
        secrecy::ExposeSecret::expose_secret(config.payment_key.expose())
    );
    println!(
        "payout key: {}",
        secrecy::ExposeSecret::expose_secret(config.payout_key.expose())
    );
    sandbox.spawn_expiry();
    axum::serve(listener, cryptomus_sandbox::router(sandbox.clone()))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    sandbox
        .persist_now()
        .await
        .context("cannot save the sandbox state")?;
    Ok(())
}
