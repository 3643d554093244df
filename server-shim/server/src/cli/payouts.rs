//! `payouts`: payouts from the merchant's balance.

use super::*;
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum PayoutsCommand {
    /// A shop's payouts, newest first.
    List {
        #[command(flatten)]
        shop: LinkShopArgs,
    },
}

pub(crate) async fn run(command: PayoutsCommand) -> anyhow::Result<()> {
    match command {
        PayoutsCommand::List { shop } => {
            let (store, owner) = shop.open().await?;
            println!("id\torder\tamount\taddress\tfee from\tstatus\ttxid");
            for payout in store.payouts(&owner.id).await? {
                println!(
                    "{}\t{}\t{} {} ({})\t{}\t{}\t{}{}\t{}",
                    payout.id,
                    payout.order_id,
                    payout.amount.normalize(),
                    payout.currency,
                    payout.network,
                    payout.address,
                    if payout.is_subtract {
                        "balance"
                    } else {
                        "amount"
                    },
                    payout.status,
                    if payout.is_final { " (final)" } else { "" },
                    payout.txid.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(())
}
