//! `buttons`: pay buttons.

use super::*;
use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum ButtonsCommand {
    /// Define a pay button and print the script tag that shows it.
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
        /// An origin whose pages may show the button, like https://shop.example (repeat or
        /// separate with commas).
        #[arg(long = "origin", required = true, value_delimiter = ',')]
        origins: Vec<String>,
        /// Where the payer goes after paying.
        #[arg(long)]
        url_success: Option<String>,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// List a shop's buttons, newest first.
    List {
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// Stop a button: clicks say it is disabled.
    Disable {
        /// The button's id (btn_...).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
    /// Take payments through a button again.
    Enable {
        /// The button's id (btn_...).
        #[arg(long)]
        id: String,
        #[command(flatten)]
        shop: LinkShopArgs,
    },
}

pub(crate) async fn run(command: ButtonsCommand) -> anyhow::Result<()> {
    match command {
        ButtonsCommand::Create {
            amount,
            currency,
            description,
            origins,
            url_success,
            shop,
        } => {
            let (store, owner) = shop.open().await?;
            let request = server_shim::services::buttons::NewButtonRequest {
                amount,
                currency,
                description,
                allowed_origins: origins,
                url_success,
            };
            let button = server_shim::services::buttons::new_button(
                &owner,
                request,
                server_shim::services::now(),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            store.create_button(&button).await?;
            println!(
                "button {} for {} {} on {}",
                button.id,
                button.amount,
                button.currency,
                button.allowed_origins.join(", ")
            );
            println!("paste into your page: {}", shop.snippet(&button.id));
        }
        ButtonsCommand::List { shop } => {
            let (store, owner) = shop.open().await?;
            println!("id\tprice\tenabled\tuses\torigins\tdescription");
            for button in store.buttons(&owner.id).await? {
                println!(
                    "{}\t{} {}\t{}\t{}\t{}\t{}",
                    button.id,
                    button.amount,
                    button.currency,
                    if button.enabled { "yes" } else { "no" },
                    button.uses,
                    button.allowed_origins.join(","),
                    button.description,
                );
            }
        }
        ButtonsCommand::Disable { id, shop } => {
            set_enabled(Offer::Button, &shop, &id, false).await?;
        }
        ButtonsCommand::Enable { id, shop } => {
            set_enabled(Offer::Button, &shop, &id, true).await?;
        }
    }
    Ok(())
}
