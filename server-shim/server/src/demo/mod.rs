//! The demo: the shim with an in-process sandbox under `/cryptomus` and a small store, on one
//! port; and, on the next port, an example page of another origin with a pay button. Behind the
//! `demo` cargo feature (on by default): a release build for operators
//! (`--no-default-features`) links neither the store nor the fake gateway.
//!
//! - [`store`]: the demo storefront's pages and the pay page's sandbox panel.
//! - [`Application::build_demo`] composes it all.

pub mod store;

pub use store::{DemoStore, define_demo_button, example_site, router};

use crate::app::{
    Application, Settings, bind, open_store, redact_url, start_workers, warn_if_no_widget,
};
use crate::domain::{Shop, ShopId, ShopToken};
use crate::routes::{self, AppState, PayPageExtra};
use crate::services::Services;
use anyhow::Context as _;
use cryptomus_sandbox::{Sandbox, SandboxConfig};
use shim_gateway::{CryptomusClient, GatewayConfig};
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// The shop the demo makes for its store, by name and id.
pub const DEMO_SHOP: &str = "demo";
const DEMO_SHOP_ID: &str = "shop_demo";

/// What the demo exposes to tests and the CLI.
#[derive(Debug, Clone)]
pub struct DemoHandles {
    /// The demo shop's API token, fresh each start.
    pub shop_token: String,
    /// The in-process sandbox.
    pub sandbox: Sandbox,
    /// The example page with the demo's pay button, on another origin than the shim.
    pub examples_url: String,
}

/// The demo's example site listens next to the shim: on the port after the shim's (8081 beside
/// 8080), or on any free port when that one is taken or the shim's port was picked for it.
async fn bind_examples(
    shim: &TcpListener,
    any_port: bool,
) -> anyhow::Result<(TcpListener, String)> {
    let shim = shim.local_addr()?;
    let next = SocketAddr::new(shim.ip(), shim.port().wrapping_add(1));
    if !any_port && let Ok(bound) = bind(&next.to_string()).await {
        return Ok(bound);
    }
    bind(&SocketAddr::new(shim.ip(), 0).to_string()).await
}

impl Application {
    /// The demo: shim, an in-process sandbox under `/cryptomus`, and a small store, on one port.
    /// The gateway settings are ignored; the public URL is the listening one.
    pub async fn build_demo(settings: &Settings) -> anyhow::Result<Self> {
        let (listener, url) = bind(&settings.listen).await?;
        let (examples_listener, examples_url) =
            bind_examples(&listener, settings.listen.ends_with(":0")).await?;
        let sandbox_url = format!("{url}/cryptomus");
        let config = SandboxConfig::generate(sandbox_url.clone());
        let sandbox = match &settings.sandbox_state {
            Some(url) => Sandbox::open(config, url, true)
                .await
                .context("cannot open the sandbox state")?,
            None => Sandbox::new(config),
        };
        sandbox.spawn_expiry();
        let config = sandbox.config();
        let store = open_store(&settings.database_url).await?;
        // The demo makes its own shop, "demo", and rotates its token on every start: it must never
        // be one an operator made (a production database given to the demo by mistake).
        if let Some(theirs) = store
            .list_shops()
            .await?
            .into_iter()
            .find(|s| s.name == DEMO_SHOP && s.id.0 != DEMO_SHOP_ID)
        {
            anyhow::bail!(
                "{} already has a shop named {:?} that the demo did not make (id {}): give `server-shim demo` a database of its own with --database-url",
                redact_url(&settings.database_url),
                theirs.name,
                theirs.id.0
            );
        }
        let mut gateway_config = GatewayConfig::new(
            sandbox_url,
            config.merchant.clone(),
            config.payment_key.clone(),
        );
        // The demo pays out from the sandbox's balance.
        gateway_config.payout_key = Some(config.payout_key.clone());
        let gateway = CryptomusClient::new(gateway_config)?;
        let public_url = settings.public_url.clone().unwrap_or_else(|| url.clone());
        let services = Services::new(
            store.clone(),
            gateway,
            config.payment_key.clone(),
            &public_url,
            settings.egress.clone(),
        );
        let metrics = std::sync::Arc::<crate::metrics::Metrics>::default();
        let workers = start_workers(&services, settings, &metrics);

        let token = ShopToken::generate()?;
        let shop = Shop {
            id: ShopId(DEMO_SHOP_ID.into()),
            name: DEMO_SHOP.into(),
        };
        let shop = store
            .upsert_shop_token(&shop, &token.hash(), crate::services::now())
            .await?;
        // The demo store hears about payments the way a shop does: signed callbacks.
        let callback_secret = format!(
            "whsec_{}",
            hex::encode(crate::domain::random_bytes::<24>()?)
        );
        store
            .set_shop_callback(
                &shop.name,
                Some((&format!("{public_url}/shop/callback"), &callback_secret)),
            )
            .await?;
        // The example page's pay button, for its origin (by address and by name).
        let examples_port = examples_listener.local_addr()?.port();
        define_demo_button(
            &services,
            &shop,
            vec![
                examples_url.clone(),
                format!("http://localhost:{examples_port}"),
            ],
        )
        .await?;
        let examples = example_site(&url);
        let state = AppState::new(
            services.clone(),
            metrics,
            PayPageExtra {
                script: Some("/demo/panel.js"),
                head: routes::pay_page::widget_preloads(&settings.widget_dir),
            },
            &settings.rate_limit,
            settings.metrics_token.clone(),
        );
        warn_if_no_widget(&settings.widget_dir);
        let router = routes::router(state.clone(), settings.widget_dir.clone())
            .merge(router(DemoStore::new(services, shop, callback_secret)))
            .nest("/cryptomus", cryptomus_sandbox::router(sandbox.clone()));
        let mut app = Self::assemble(listener, url, router, state, settings, workers).await?;
        app.demo = Some(DemoHandles {
            shop_token: token.reveal().to_owned(),
            sandbox,
            examples_url,
        });
        app.examples = Some((examples_listener, examples));
        Ok(app)
    }

    /// The demo's token and sandbox, when built by [`Application::build_demo`].
    pub fn demo(&self) -> Option<&DemoHandles> {
        self.demo.as_ref()
    }
}
