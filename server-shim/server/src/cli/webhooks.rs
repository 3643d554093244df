//! `webhooks`: the gateway's webhooks as received.

use super::*;
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum WebhooksCommand {
    /// List webhooks, newest first, with what became of each.
    List {
        /// Only those not applied yet (waiting for the gateway, or for a retry).
        #[arg(long)]
        pending: bool,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

pub(crate) async fn run(command: WebhooksCommand) -> anyhow::Result<()> {
    let WebhooksCommand::List {
        pending,
        limit,
        database,
    } = command;
    let store = open_store(&database).await?;
    println!("id\treceived\tkind\torder\tstatus\tattempts\toutcome");
    for hook in store.webhooks(pending, limit.clamp(1, 10_000)).await? {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            hook.id,
            hook.received_at,
            hook.webhook.kind,
            hook.webhook.order_id,
            hook.webhook.gateway_status,
            hook.attempts,
            hook.outcome.as_deref().unwrap_or("not processed yet")
        );
    }
    Ok(())
}
