//! The demo: shim, in-process sandbox and demo store on one port.

use super::*;
use clap::Args;
use server_shim::{Application, Settings};
use std::path::PathBuf;

#[derive(Args)]
pub(crate) struct DemoArgs {
    /// Address to listen on. Only the flag sets it: SHIM_LISTEN is `serve`'s, and a demo started
    /// beside a production shim must not take its address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// The demo keeps its data in memory unless told otherwise (the sandbox always does). Only the
    /// flag sets it: SHIM_DATABASE_URL is `serve`'s, and the demo must not write into it.
    #[arg(long, default_value = "sqlite::memory:")]
    database_url: String,
    /// Directory with the built widget.
    #[arg(long, env = "SHIM_WIDGET_DIR", default_value = "widget/dist")]
    widget_dir: PathBuf,
    /// Keep the in-process sandbox's state in SQLite (e.g. sqlite://sandbox.db); use with a file
    /// --database-url so that the whole demo survives a restart.
    #[arg(long)]
    sandbox_state: Option<String>,
}

/// The demo shop's console account, with a fresh password each start: its email and password.
async fn console_user(store: &Store) -> anyhow::Result<(&'static str, String)> {
    use server_shim::services::console::Accounts;
    const EMAIL: &str = "merchant@demo.example";
    let password = hex::encode(server_shim::domain::random_bytes::<8>()?);
    let accounts = Accounts(store);
    let fail = |e: server_shim::services::console::UserError| anyhow::anyhow!("{e}");
    if !accounts
        .set_password(EMAIL, &password)
        .await
        .map_err(fail)?
    {
        accounts
            .add_user(
                EMAIL,
                &password,
                Some(server_shim::demo::DEMO_SHOP),
                server_shim::store::ConsoleRole::Owner,
            )
            .await
            .map_err(fail)?;
    }
    Ok((EMAIL, password))
}

pub(crate) async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let settings = Settings {
        listen: args.listen,
        widget_dir: args.widget_dir,
        sandbox_state: args.sandbox_state,
        ..Settings::local(&args.database_url)
    };
    let app = Application::build_demo(&settings).await?;
    let sandbox = app.demo().map(|demo| demo.sandbox.clone());
    println!("demo store: {}/", app.url());
    if let Some(demo) = app.demo() {
        println!("demo shop token: {}", demo.shop_token);
        println!(
            "pay button example (another origin): {}/",
            demo.examples_url
        );
        println!(
            "sandbox: {}/cryptomus (merchant {})",
            app.url(),
            demo.sandbox.config().merchant
        );
        let (email, password) = console_user(app.store()).await?;
        println!(
            "console: {}/console (sign in as {email}, password {password})",
            app.url()
        );
    }
    println!("press Ctrl-C to stop");
    app.run_until(shutdown_signal()).await?;
    if let Some(sandbox) = sandbox {
        sandbox
            .persist_now()
            .await
            .context("cannot save the sandbox state")?;
    }
    Ok(())
}
