//! `links`: payment links.

use super::*;
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum LinksCommand {
    /// Make a payment link and print its URL.
    Create {
        /// The price, like 15.00.
        #[arg(long)]
        amount: String,
        /// Its currency, like USD or USDT.
        #[arg(long)]
        currency: String,
        /// What is paid for, shown to the payer.
        #[arg(long)]
        description: String,
        /// A fresh invoice on every visit (a donation, a fixed-price product); default: once.
        #[arg(long)]
        reusable: bool,
        /// The link starts no invoice after this many hours.
        #[arg(long)]
        expires_in_hours: Option<u64>,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// List a shop's links, newest first.
    List {
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// Stop a link: its page says it is disabled.
    Disable {
        /// The link's id (lnk_...).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// Take payments through a link again.
    Enable {
        /// The link's id (lnk_...).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
}

pub(crate) async fn run(command: LinksCommand) -> anyhow::Result<()> {
    match command {
        LinksCommand::Create {
            amount,
            currency,
            description,
            reusable,
            expires_in_hours,
            shop,
        } => {
            let (store, owner) = shop.open().await?;
            let request = server_shim::services::links::NewLinkRequest {
                amount,
                currency,
                description,
                reusable,
                expires_in_seconds: expires_in_hours.map(|h| h.saturating_mul(3600)),
            };
            let link = server_shim::services::links::new_link(
                &owner,
                request,
                server_shim::services::now(),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            store.create_link(&link).await?;
            println!("link {} for {} {}", link.id, link.amount, link.currency);
            println!("url: {}", shop.url(&link.id));
        }
        LinksCommand::List { shop } => {
            let (store, owner) = shop.open().await?;
            println!("id\tkind\tprice\tenabled\tuses\tdescription\turl");
            for link in store.links(&owner.id).await? {
                println!(
                    "{}\t{}\t{} {}\t{}\t{}\t{}\t{}",
                    link.id,
                    if link.reusable { "reusable" } else { "once" },
                    link.amount,
                    link.currency,
                    if link.enabled { "yes" } else { "no" },
                    link.uses,
                    link.description,
                    shop.url(&link.id)
                );
            }
        }
        LinksCommand::Disable { id, shop } => set_enabled(Offer::Link, &shop, &id, false).await?,
        LinksCommand::Enable { id, shop } => set_enabled(Offer::Link, &shop, &id, true).await?,
    }
    Ok(())
}
