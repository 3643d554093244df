//! `server-shim doctor`: checks a deployment the way the gateway, the shop and payers will meet
//! it, and says for each check whether it is fine, worth a look, or in the way, with what to do.

use crate::app::Settings;
use crate::store::Store;
use secrecy::ExposeSecret as _;
use shim_gateway::{ApiKey, CryptomusClient, GatewayConfig, GatewayError, MerchantId};
use std::time::Duration;

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Fine.
    Ok,
    /// Works, but worth a look.
    Warning,
    /// In the way: the shim will not work as it should until it is fixed.
    Error,
}

impl Level {
    /// Its word in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One check's outcome.
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// How it went.
    pub level: Level,
    /// What was found, and what to do about it.
    pub said: String,
}

fn check(name: &'static str, level: Level, said: impl Into<String>) -> Check {
    Check {
        name,
        level,
        said: said.into(),
    }
}

/// Gives up on a remote check after this long.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Checks `settings` (or says why they could not be read): the configuration, the database, the
/// gateway and the keys, the clock, the public URL, the widget, the metrics token.
pub async fn diagnose(settings: Result<Settings, String>) -> Vec<Check> {
    let settings = match settings {
        Ok(settings) => settings,
        Err(e) => return vec![check("configuration", Level::Error, e)],
    };
    let mut checks = configuration(&settings);
    checks.push(database(&settings.database_url).await);
    checks.extend(gateway(&settings).await);
    checks.push(clock(&settings.gateway_url).await);
    if let Some(url) = &settings.public_url {
        checks.push(public_url(url).await);
    }
    checks.push(widget(&settings.widget_dir));
    checks
}

/// What `serve` needs set, and how safely it is set.
fn configuration(settings: &Settings) -> Vec<Check> {
    let mut checks = Vec::new();
    let required = [
        (
            "SHIM_PUBLIC_URL",
            settings.public_url.is_some(),
            "the URL the gateway and payers reach the shim at",
        ),
        (
            "SHIM_MERCHANT_UUID",
            settings.merchant_uuid.is_some(),
            "your merchant uuid (Cryptomus dashboard)",
        ),
        (
            "SHIM_PAYMENT_KEY",
            settings.payment_key.is_some(),
            "your payment API key (Cryptomus dashboard)",
        ),
    ];
    let missing: Vec<String> = required
        .iter()
        .filter(|(_, set, _)| !set)
        .map(|(name, _, what)| format!("{name} ({what})"))
        .collect();
    checks.push(if missing.is_empty() {
        check(
            "configuration",
            Level::Ok,
            "the public URL, the merchant uuid and the payment key are set",
        )
    } else {
        check(
            "configuration",
            Level::Error,
            format!("not set: {}", missing.join(", ")),
        )
    });
    checks.push(if settings.metrics_token.is_some() {
        check("metrics", Level::Ok, "/metrics asks for its token")
    } else {
        check("metrics", Level::Warning, "/metrics is open to anyone who reaches the shim: set SHIM_METRICS_TOKEN (16 characters or more, `openssl rand -hex 24`)")
    });
    checks.push(if settings.payout_key.is_some() {
        check(
            "payouts",
            Level::Ok,
            "the payout key is set: shops the operator allows may pay out",
        )
    } else {
        check(
            "payouts",
            Level::Ok,
            "no payout key: payouts are refused (set SHIM_PAYOUT_KEY to allow them)",
        )
    });
    checks
}

async fn database(url: &str) -> Check {
    let redacted = crate::app::redact_url(url);
    let store = match Store::connect(url).await {
        Ok(store) => store,
        Err(e) => {
            return check(
                "database",
                Level::Error,
                format!(
                    "cannot open {redacted}: {e}; check SHIM_DATABASE_URL, that the server runs and lets this user in"
                ),
            );
        }
    };
    let status = match store.migration_status().await {
        Ok(status) => status,
        Err(e) => {
            return check(
                "database",
                Level::Error,
                format!("{redacted} answers but cannot be read: {e}"),
            );
        }
    };
    if let Some(newest) = status.unknown.iter().max() {
        return check(
            "database",
            Level::Error,
            format!(
                "{redacted} was migrated by a newer server-shim (migration {newest}): run that version, or restore the backup made before the upgrade"
            ),
        );
    }
    if !status.pending.is_empty() {
        return check(
            "database",
            Level::Warning,
            format!(
                "{redacted}: {} migrations pending; `serve` applies them at start (`server-shim migrate --dry-run` lists them; take a backup first)",
                status.pending.len()
            ),
        );
    }
    let invoices = store.invoice_count().await.unwrap_or(0);
    check(
        "database",
        Level::Ok,
        format!(
            "{redacted} ({}), up to date, {invoices} invoices",
            store.backend()
        ),
    )
}

/// A signed call with the merchant's keys (reading the balance changes nothing).
async fn gateway(settings: &Settings) -> Vec<Check> {
    let (Some(merchant), Some(key)) = (&settings.merchant_uuid, &settings.payment_key) else {
        return vec![check(
            "gateway",
            Level::Error,
            "not checked: the merchant uuid and the payment key are needed for a signed call",
        )];
    };
    let mut config = GatewayConfig::new(
        settings.gateway_url.clone(),
        MerchantId::new(merchant.clone()),
        ApiKey::new(key.expose_secret().to_owned()),
    );
    config.timeout = TIMEOUT;
    config.attempts = 1;
    config.payout_key = settings
        .payout_key
        .as_ref()
        .map(|k| ApiKey::new(k.expose_secret().to_owned()));
    let client = match CryptomusClient::new(config) {
        Ok(client) => client,
        Err(e) => return vec![check("gateway", Level::Error, e.to_string())],
    };
    let said = |e: &GatewayError, key: &str| match e {
        GatewayError::InvalidSign => format!(
            "{} refused the signature: check SHIM_MERCHANT_UUID and {key}",
            settings.gateway_url
        ),
        GatewayError::Unavailable(_) => format!(
            "cannot reach {}: {e}; check SHIM_GATEWAY_URL and the outgoing network",
            settings.gateway_url
        ),
        other => format!("{} refused a signed call: {other}", settings.gateway_url),
    };
    let mut checks = vec![match client.balance().await {
        Ok(_) => check(
            "gateway",
            Level::Ok,
            format!(
                "{} answered a call signed with the payment key",
                settings.gateway_url
            ),
        ),
        Err(e) => check("gateway", Level::Error, said(&e, "SHIM_PAYMENT_KEY")),
    }];
    if settings.payout_key.is_some() {
        checks.push(match client.payout_services().await {
            Ok(_) => check(
                "payout key",
                Level::Ok,
                "the gateway answered a call signed with the payout key",
            ),
            Err(e) => check("payout key", Level::Error, said(&e, "SHIM_PAYOUT_KEY")),
        });
    }
    checks
}

/// This machine's clock against the gateway's (`Date`): signatures with times in them, and
/// invoices' expiry, need them to agree.
async fn clock(gateway_url: &str) -> Check {
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .unwrap_or_default();
    let response = match http.get(gateway_url).send().await {
        Ok(response) => response,
        Err(e) => {
            return check(
                "clock",
                Level::Warning,
                format!("not checked: {gateway_url} did not answer ({e})"),
            );
        }
    };
    let Some(date) = response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|d| d.to_str().ok())
        .and_then(http_date)
    else {
        return check(
            "clock",
            Level::Warning,
            "not checked: the gateway's answer has no readable Date",
        );
    };
    let skew = (crate::services::now() - date).abs();
    match skew {
        0..=5 => check(
            "clock",
            Level::Ok,
            format!("within {skew} s of the gateway's"),
        ),
        6..=60 => check(
            "clock",
            Level::Warning,
            format!("{skew} s off the gateway's: run a time service (systemd-timesyncd, chrony)"),
        ),
        _ => check(
            "clock",
            Level::Error,
            format!(
                "{skew} s off the gateway's: signed callbacks and webhooks are refused when times differ by minutes; run a time service (systemd-timesyncd, chrony)"
            ),
        ),
    }
}

/// An HTTP date (`Fri, 04 Dec 2026 23:05:09 GMT`) as unix seconds.
fn http_date(text: &str) -> Option<i64> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text, &format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// The public URL, from outside: HTTPS, and a running shim answering `/healthz` there.
async fn public_url(url: &str) -> Check {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return check("public URL", Level::Error, format!("{url:?} is not a URL"));
    };
    let local = matches!(
        parsed.host_str(),
        Some("localhost" | "127.0.0.1" | "::1" | "[::1]")
    );
    let health = format!("{}/healthz", url.trim_end_matches('/'));
    let http = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .unwrap_or_default();
    let reached = match http.get(&health).send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => Err(format!(
            "{health} answered {}: is a shim behind it? check the proxy's routes",
            response.status()
        )),
        Err(e) if e.is_connect() || e.is_timeout() => Err(format!(
            "{health} cannot be reached ({e}): start `server-shim serve`, check DNS, the firewall and the proxy"
        )),
        Err(e) => Err(format!(
            "{health}: {e}; a certificate the gateway and browsers accept is needed (Caddy or certbot)"
        )),
    };
    match (reached, parsed.scheme(), local) {
        (Err(said), _, _) => check("public URL", Level::Error, said),
        (Ok(()), "https", _) => check(
            "public URL",
            Level::Ok,
            format!("{health} answers over HTTPS with a valid certificate"),
        ),
        (Ok(()), _, true) => check(
            "public URL",
            Level::Warning,
            format!(
                "{health} answers, over plain HTTP on this machine: fine to try things, but the gateway and payers need an HTTPS URL"
            ),
        ),
        (Ok(()), _, false) => check(
            "public URL",
            Level::Error,
            format!(
                "{health} answers over plain HTTP: payers' pages and the gateway's webhooks need HTTPS; put a TLS proxy in front (deploy/README.md)"
            ),
        ),
    }
}

fn widget(dir: &std::path::Path) -> Check {
    use crate::routes::widget::WidgetFiles;
    if matches!(WidgetFiles::pick(dir), WidgetFiles::Embedded(_)) {
        check("widget", Level::Ok, "served from inside this binary")
    } else if dir.join("embed.js").is_file() {
        check(
            "widget",
            Level::Ok,
            format!("served from {}", dir.display()),
        )
    } else {
        check(
            "widget",
            Level::Error,
            format!(
                "{} has no embed.js: run `cargo xtask build-widget`, or set SHIM_WIDGET_DIR to where it was built",
                dir.display()
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_read() {
        assert_eq!(http_date("Thu, 01 Jan 1970 00:01:40 GMT"), Some(100));
        assert_eq!(http_date("yesterday"), None);
    }
}
