//! `outbox`: inspect and replay the callbacks to shops.

use super::*;
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum OutboxCommand {
    /// List callbacks, newest first.
    List {
        /// Only callbacks in this state: pending, delivered or failed.
        #[arg(long, value_parser = ["pending", "delivered", "failed"])]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// The callbacks of deposits and payouts, instead of those of invoices.
        #[arg(long)]
        events: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Send a callback again (a failed one, or one the shop lost).
    Replay {
        /// The callback's id, from `outbox list` (with `--events`: from `outbox list --events`).
        #[arg(long)]
        id: i64,
        /// A callback of a deposit or a payout, instead of one of an invoice.
        #[arg(long)]
        events: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

pub(crate) async fn run(command: OutboxCommand) -> anyhow::Result<()> {
    match command {
        OutboxCommand::List {
            status,
            limit,
            events: true,
            database,
        } => {
            let store = open_store(&database).await?;
            println!("id\tstatus\tattempts\tkind\tsubject\ttells of\tlast error");
            for job in store
                .event_callbacks(status.as_deref(), limit.clamp(1, 10_000))
                .await?
            {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    job.id,
                    job.status,
                    job.attempts,
                    job.kind,
                    job.subject,
                    job.subject_status,
                    job.last_error.unwrap_or_default()
                );
            }
        }
        OutboxCommand::List {
            status,
            limit,
            events: false,
            database,
        } => {
            let store = open_store(&database).await?;
            println!("id\tstatus\tattempts\tinvoice\tversion\tlast error");
            for job in store
                .jobs(status.as_deref(), limit.clamp(1, 10_000))
                .await?
            {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    job.id,
                    job.status,
                    job.attempts,
                    job.invoice_id,
                    job.version,
                    job.last_error.unwrap_or_default()
                );
            }
        }
        OutboxCommand::Replay {
            id,
            events,
            database,
        } => {
            let store = open_store(&database).await?;
            let now = server_shim::services::now();
            let (found, list) = if events {
                (
                    store.replay_event_callback(id, now).await?,
                    "outbox list --events",
                )
            } else {
                (store.replay_job(id, now).await?, "outbox list")
            };
            if !found {
                anyhow::bail!("no callback with id {id} (see `server-shim {list}`)");
            }
            println!("callback {id} will be sent again by the running shim");
        }
    }
    Ok(())
}
