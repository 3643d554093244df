//! The command line, one module per command group. See `server-shim --help`.

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use server_shim::domain::Shop;
use server_shim::store::Store;

mod backup;
mod buttons;
#[cfg(feature = "demo")]
mod demo;
mod doctor;
mod links;
mod outbox;
mod payouts;
#[cfg(feature = "demo")]
mod sandbox;
mod serve;
mod shops;
mod users;
mod wallets;
mod webhooks;

#[derive(Parser)]
#[command(
    name = "server-shim",
    version,
    about = "Crypto checkout shim for the Cryptomus gateway"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run the shim in production against the gateway.
    Serve(serve::ServeArgs),
    /// Run shim, an in-process sandbox and a demo store on one port.
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
    /// Run only the Cryptomus-compatible sandbox.
    #[cfg(feature = "demo")]
    Sandbox(sandbox::SandboxArgs),
    /// Apply database migrations and exit (--dry-run: only say which are pending).
    Migrate(MigrateArgs),
    /// Write a consistent copy of the database while the shim runs (SQLite itself; PostgreSQL
    /// with pg_dump).
    Backup(backup::BackupArgs),
    /// Put a backup back into a new (or, with --force, the stopped shim's) database.
    Restore(backup::RestoreArgs),
    /// Check a deployment with `serve`'s settings: configuration, database, gateway and keys,
    /// clock, public URL, widget; each ok, warning or error with what to do.
    Doctor(serve::ServeArgs),
    /// Whether the shim on this machine answers /healthz (exit status 0), for a container's
    /// HEALTHCHECK.
    Health(doctor::HealthArgs),
    /// The settings file.
    Config {
        #[command(subcommand)]
        command: doctor::ConfigCommand,
    },
    /// Manage the shops allowed to create invoices.
    Shops {
        #[command(subcommand)]
        command: shops::ShopsCommand,
    },
    /// Inspect and replay the callbacks to shops.
    Outbox {
        #[command(subcommand)]
        command: outbox::OutboxCommand,
    },
    /// Payment links: make them, list them, stop and restart them.
    Links {
        #[command(subcommand)]
        command: links::LinksCommand,
    },
    /// Pay buttons: define them (the price lives here, not in the page), list, stop, restart.
    Buttons {
        #[command(subcommand)]
        command: buttons::ButtonsCommand,
    },
    /// Inspect the gateway's webhooks as received (the durable inbox).
    Webhooks {
        #[command(subcommand)]
        command: webhooks::WebhooksCommand,
    },
    /// Static deposit addresses and what reached them (shops make them with POST /v1/wallets).
    Wallets {
        #[command(subcommand)]
        command: wallets::WalletsCommand,
    },
    /// Payouts from the merchant's balance (shops make them with POST /v1/payouts).
    Payouts {
        #[command(subcommand)]
        command: payouts::PayoutsCommand,
    },
    /// The console's accounts (the console is at /console).
    Users {
        #[command(subcommand)]
        command: users::UsersCommand,
    },
}

#[derive(Args)]
pub(crate) struct DatabaseArgs {
    /// sqlite://path (created if missing) or postgres://user@host/db.
    #[arg(long, env = "SHIM_DATABASE_URL", default_value = "sqlite://shim.db")]
    pub(crate) database_url: String,
}

#[derive(Args)]
pub(crate) struct MigrateArgs {
    /// List the migrations that would be applied, and apply none.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Args)]
pub(crate) struct LinkShopArgs {
    /// The shop's name.
    #[arg(long)]
    pub(crate) shop: String,
    /// The shim's public URL, to print full link URLs.
    #[arg(long, env = "SHIM_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    #[command(flatten)]
    pub(crate) database: DatabaseArgs,
}

impl LinkShopArgs {
    async fn open(&self) -> anyhow::Result<(Store, Shop)> {
        let store = open_store(&self.database).await?;
        let shop = store
            .list_shops()
            .await?
            .into_iter()
            .find(|s| s.name == self.shop)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no shop named {:?} (see `server-shim shops list`)",
                    self.shop
                )
            })?;
        Ok((store, shop))
    }

    fn url(&self, id: &str) -> String {
        match &self.public_url {
            Some(base) => format!("{}/l/{id}", base.trim_end_matches('/')),
            None => format!("/l/{id} (on the shim; set SHIM_PUBLIC_URL for the full URL)"),
        }
    }

    fn snippet(&self, id: &str) -> String {
        let base = self.public_url.as_deref().unwrap_or("https://YOUR-SHIM");
        server_shim::services::buttons::snippet(base.trim_end_matches('/'), id)
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Offer {
    Link,
    Button,
}

/// Disables or enables a shop's link or button, saying what it did.
pub(crate) async fn set_enabled(
    offer: Offer,
    shop: &LinkShopArgs,
    id: &str,
    enabled: bool,
) -> anyhow::Result<()> {
    let (store, owner) = shop.open().await?;
    let (found, what) = match offer {
        Offer::Link => (
            store.set_link_enabled(&owner.id, id, enabled).await?,
            "link",
        ),
        Offer::Button => (
            store.set_button_enabled(&owner.id, id, enabled).await?,
            "button",
        ),
    };
    if !found {
        anyhow::bail!(
            "shop {:?} has no {what} {id:?} (see `server-shim {what}s list`)",
            owner.name
        );
    }
    println!(
        "{what} {id} {}",
        if enabled {
            "takes payments again"
        } else {
            "is disabled"
        }
    );
    Ok(())
}

pub(crate) async fn open_store(database: &DatabaseArgs) -> anyhow::Result<Store> {
    server_shim::app::open_store(&database.database_url).await
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down");
}

/// `migrate`: applies pending migrations, or with `--dry-run` lists them.
async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let store = Store::connect(&args.database.database_url).await?;
    let status = store.migration_status().await?;
    if let Some(newest) = status.unknown.iter().max() {
        anyhow::bail!(
            "this database has migration {newest}, which this server-shim does not know: a newer version migrated it; run that version, or restore the backup made before the upgrade"
        );
    }
    if status.pending.is_empty() {
        println!(
            "database up to date ({}, {} migrations)",
            store.backend(),
            status.applied.len()
        );
        return Ok(());
    }
    for (version, description) in &status.pending {
        println!("pending: {version} {description}");
    }
    if args.dry_run {
        println!(
            "{} pending; nothing applied (--dry-run)",
            status.pending.len()
        );
        return Ok(());
    }
    store.migrate().await?;
    println!(
        "database migrated ({}): {} applied",
        store.backend(),
        status.pending.len()
    );
    Ok(())
}

/// Runs one command to its end.
pub(crate) async fn run(command: Command) -> anyhow::Result<()> {
    // Each command's work is a future of its own, boxed: one state machine per command rather
    // than all of them folded into this one.
    let work: std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>>>> = match command {
        Command::Serve(args) => Box::pin(serve::run(args)),
        #[cfg(feature = "demo")]
        Command::Demo(args) => Box::pin(demo::run(args)),
        #[cfg(feature = "demo")]
        Command::Sandbox(args) => Box::pin(sandbox::run(args)),
        Command::Migrate(args) => Box::pin(migrate(args)),
        Command::Backup(args) => Box::pin(backup::backup(args)),
        Command::Restore(args) => Box::pin(backup::restore(args)),
        Command::Doctor(args) => Box::pin(doctor::run(args)),
        Command::Health(args) => Box::pin(doctor::health(args)),
        Command::Config { command } => Box::pin(async move {
            doctor::config(command);
            Ok(())
        }),
        Command::Shops { command } => Box::pin(shops::run(command)),
        Command::Outbox { command } => Box::pin(outbox::run(command)),
        Command::Links { command } => Box::pin(links::run(command)),
        Command::Buttons { command } => Box::pin(buttons::run(command)),
        Command::Webhooks { command } => Box::pin(webhooks::run(command)),
        Command::Wallets { command } => Box::pin(wallets::run(command)),
        Command::Payouts { command } => Box::pin(payouts::run(command)),
        Command::Users { command } => Box::pin(users::run(command)),
    };
    work.await
}
