//! OpenCart, as the adapter meets it: not an emulator of OpenCart's API (the shim cannot use it)
//! but the extension's own catalog controller, served by PHP's built-in server over minimal stubs
//! of OpenCart (`plugins/opencart/tests/server/router.php`). Orders, settings and the nonce table
//! live in a JSON state file, which the tests read and edit under the same lock as the router.
//!
//! Needs `php` on the `PATH` (`cargo xtask setup` installs it).

use crate::php::PhpShop;
use serde_json::{Value, json};

/// The id of the extension's "Crypto underpaid" status in these shops.
pub const UNDERPAID: u32 = 17;

/// One OpenCart shop with the extension installed: `php -S` on a free port, stopped on drop.
#[derive(Debug)]
pub struct OpenCartShop {
    php: PhpShop,
    version: String,
}

impl OpenCartShop {
    /// A shop of `version` (`3`, `4.0.0` or `4.0.2`: the three ways of routing) whose extension
    /// has `secret` as its shared secret, and no orders.
    ///
    /// # Panics
    /// When PHP is missing or the server does not start within 10 s (a test's setup failing).
    pub fn start(version: &str, secret: &str) -> OpenCartShop {
        // The extension's own underpaid status, as made when it was installed (OpenCart's
        // default statuses end at 16).
        let initial = json!({
            "config": { "payment_crypto_checkout_secret": secret,
                "payment_crypto_checkout_status_underpaid": UNDERPAID },
            "orders": {},
            "nonces": {},
        });
        OpenCartShop {
            php: PhpShop::start(
                &format!("opencart-{version}"),
                "opencart/tests/server/router.php",
                "OPENCART_STATE",
                &[("OPENCART_VERSION", version)],
                &initial,
            ),
            version: version.to_owned(),
        }
    }

    /// The routing flavour it was started as (`3`, `4.0.0`, `4.0.2`): the shim's `version`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The shop's address, as the adapter's `site`.
    pub fn site(&self) -> &str {
        self.php.site()
    }

    /// The whole state: `config`, `orders` (by id, each with its `history` of
    /// `{order_status_id, comment, notify}`), `nonces`.
    pub fn state(&self) -> Value {
        self.edit(|_| ())
    }

    /// An order with its history, or `Null`.
    pub fn order(&self, id: u64) -> Value {
        self.state()["orders"][id.to_string()].clone()
    }

    /// Adds an order of `total` in the default currency, in status `status` (0: not confirmed).
    pub fn add_order(&self, id: u64, status: u32, total: &str, currency: &str, value: &str) {
        self.edit(|state| {
            state["orders"][id.to_string()] = json!({ "order_id": id, "order_status_id": status,
                "total": total, "currency_code": currency, "currency_value": value, "history": [] });
        });
    }

    /// What the merchant does in the admin: a history entry with a new status.
    pub fn set_status(&self, id: u64, status: u32, comment: &str) {
        self.edit(|state| {
            let order = &mut state["orders"][id.to_string()];
            order["order_status_id"] = json!(status);
            if let Some(history) = order["history"].as_array_mut() {
                history.push(
                    json!({ "order_status_id": status, "comment": comment, "notify": false }),
                );
            }
        });
    }

    /// The shop answers `503` to the next `count` requests (its host is down, or overloaded).
    pub fn go_down_for(&self, count: u32) {
        self.edit(|state| state["down"] = json!(count));
    }

    fn edit(&self, change: impl FnOnce(&mut Value)) -> Value {
        self.php.edit(change)
    }
}
