//! `users`: the console's accounts.

use super::*;
use clap::Subcommand;
use server_shim::services::console::Accounts;
use server_shim::store::ConsoleRole;

#[derive(Subcommand)]
pub(crate) enum UsersCommand {
    /// Give someone a console account: for one shop (--shop NAME --role owner|staff), or an
    /// operator's for every shop (--operator). Prints a new password once, unless
    /// --password-stdin reads one.
    Add {
        /// What they sign in with.
        #[arg(long)]
        email: String,
        /// The shop they work for.
        #[arg(
            long,
            conflicts_with = "operator",
            required_unless_present = "operator"
        )]
        shop: Option<String>,
        /// owner (everything, refunds and payouts too) or staff (sees everything, moves no money).
        #[arg(long, value_parser = ["owner", "staff"], default_value = "staff")]
        role: String,
        /// Every shop, and the operator's pages.
        #[arg(long)]
        operator: bool,
        /// Read the password (12 characters or more) from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Set a user's password (prints a new one, unless --password-stdin); signs them out
    /// everywhere.
    Password {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the console's users.
    List(DatabaseArgs),
    /// Remove a user; their sessions end at once.
    Remove {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// The password to set: read from standard input, or a new random one (and whether it is new).
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let password = line.trim_end_matches(['\r', '\n']).to_owned();
        return Ok((password, false));
    }
    // 20 characters of a 32-letter alphabet without look-alikes: 100 bits.
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let bytes: [u8; 20] = server_shim::domain::random_bytes()?;
    let password = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok((password, true))
}

fn say_password(password: &str, new: bool) {
    if new {
        println!("password: {password}");
        println!("(shown once: hand it over privately; `users password` sets another)");
    }
}

pub(crate) async fn run(command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Add {
            email,
            shop,
            role,
            operator,
            password_stdin,
            database,
        } => {
            let store = open_store(&database).await?;
            let role = match operator {
                true => ConsoleRole::Operator,
                false => ConsoleRole::parse(&role).unwrap_or(ConsoleRole::Staff),
            };
            let (password, new) = password(password_stdin)?;
            let user = Accounts(&store)
                .add_user(&email, &password, shop.as_deref(), role)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let scope = shop.map_or_else(|| "every shop".to_owned(), |s| format!("shop {s}"));
            println!("user {} added: {} of {scope}", user.email, role.as_str());
            say_password(&password, new);
        }
        UsersCommand::Password {
            email,
            password_stdin,
            database,
        } => {
            let store = open_store(&database).await?;
            let (password, new) = password(password_stdin)?;
            if !Accounts(&store)
                .set_password(&email, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                anyhow::bail!("no console user {email:?} (see `server-shim users list`)");
            }
            println!("password of {} changed; their sessions ended", email.trim());
            say_password(&password, new);
        }
        UsersCommand::List(database) => {
            let store = open_store(&database).await?;
            let shops = store.list_shops().await?;
            for user in Accounts(&store).users().await? {
                let shop = user
                    .shop_id
                    .as_ref()
                    .and_then(|id| shops.iter().find(|s| &s.id == id))
                    .map_or("*", |s| s.name.as_str());
                println!("{}\t{}\t{shop}", user.email, user.role.as_str());
            }
        }
        UsersCommand::Remove { email, database } => {
            let store = open_store(&database).await?;
            if !Accounts(&store)
                .remove_user(&email)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                anyhow::bail!("no console user {email:?} (see `server-shim users list`)");
            }
            println!("user {} removed", email.trim());
        }
    }
    Ok(())
}
