//! `wallets`: static deposit addresses and what reached them.

use super::*;
use clap::Subcommand;
use server_shim::store::WalletRecord;

#[derive(Subcommand)]
pub(crate) enum WalletsCommand {
    /// A shop's wallets, newest first: customer, coin, address, credited total.
    List {
        /// Only this customer's.
        #[arg(long)]
        customer: Option<String>,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// One wallet and every deposit that reached it.
    Show {
        /// The wallet's id (wal_...).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

pub(crate) async fn run(command: WalletsCommand) -> anyhow::Result<()> {
    match command {
        WalletsCommand::List { customer, shop } => {
            let (store, owner) = shop.open().await?;
            println!("id\tcustomer\tcoin\taddress\tblocked\tcredited\tdeposits");
            for wallet in store.wallets(&owner.id, customer.as_deref()).await? {
                let deposits = store.deposits(&wallet.id).await?;
                let credited: rust_decimal::Decimal = deposits
                    .iter()
                    .filter(|d| d.credited)
                    .map(|d| d.merchant_amount)
                    .sum();
                println!(
                    "{}\t{}\t{} {}\t{}\t{}\t{}\t{}",
                    wallet.id,
                    wallet.customer,
                    wallet.currency,
                    wallet.network,
                    address(&wallet),
                    if wallet.blocked { "yes" } else { "no" },
                    credited.normalize(),
                    deposits.len()
                );
            }
        }
        WalletsCommand::Show { id, database } => {
            let store = open_store(&database).await?;
            let Some(wallet) = store.wallet(&id).await? else {
                anyhow::bail!("no wallet {id:?} (see `server-shim wallets list --shop ...`)");
            };
            println!(
                "{} of {}: {} {} at {}{}",
                wallet.id,
                wallet.customer,
                wallet.currency,
                wallet.network,
                address(&wallet),
                if wallet.blocked { " (blocked)" } else { "" }
            );
            println!("deposit\ttxid\tamount\tcredited amount\tstatus\tcredited");
            for deposit in store.deposits(&wallet.id).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    deposit.gateway_uuid,
                    deposit.txid.as_deref().unwrap_or("-"),
                    deposit.amount.normalize(),
                    deposit.merchant_amount.normalize(),
                    deposit.status,
                    if deposit.credited { "yes" } else { "no" }
                );
            }
        }
    }
    Ok(())
}

/// The wallet's address, or why it has none.
fn address(wallet: &WalletRecord) -> &str {
    wallet
        .address
        .as_deref()
        .unwrap_or("(not made at the gateway)")
}
