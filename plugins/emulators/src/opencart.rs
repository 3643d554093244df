//! OpenCart, as the adapter meets it: not an emulator of OpenCart's API (the shim cannot use it)
//! but the extension's own catalog controller, served by PHP's built-in server over minimal stubs
//! of OpenCart (`plugins/opencart/tests/server/router.php`). Orders, settings and the nonce table
//! live in a JSON state file, which the tests read and edit under the same lock as the router.
//!
//! Needs `php` on the `PATH` (`cargo xtask setup` installs it).

use serde_json::{Value, json};
use std::fs::File;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One OpenCart shop with the extension installed: `php -S` on a free port, stopped on drop.
#[derive(Debug)]
pub struct OpenCartShop {
    php: Child,
    site: String,
    state: PathBuf,
    dir: PathBuf,
}

impl OpenCartShop {
    /// A shop of `version` (`3`, `4.0.0` or `4.0.2`: the three ways of routing) whose extension
    /// has `secret` as its shared secret, and no orders.
    ///
    /// # Panics
    /// When PHP is missing or the server does not start within 10 s (a test's setup failing).
    #[allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]
    pub fn start(version: &str, secret: &str) -> OpenCartShop {
        let dir = std::env::temp_dir().join(format!(
            "opencart-{version}-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let state = dir.join("state.json");
        let initial = json!({
            "config": { "payment_crypto_checkout_secret": secret },
            "orders": {},
            "nonces": {},
        });
        std::fs::write(&state, serde_json::to_vec_pretty(&initial).unwrap()).unwrap();
        let port = free_port();
        let router =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../opencart/tests/server/router.php");
        let php = Command::new("php")
            .arg("-S")
            .arg(format!("127.0.0.1:{port}"))
            .arg(&router)
            .env("OPENCART_STATE", &state)
            .env("OPENCART_VERSION", version)
            // Several requests at once, as a real shop's PHP-FPM would take them.
            .env("PHP_CLI_SERVER_WORKERS", "4")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("php is needed: run `cargo xtask setup`");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "php -S did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        OpenCartShop {
            php,
            site: format!("http://127.0.0.1:{port}"),
            state,
            dir,
        }
    }

    /// The shop's address, as the adapter's `site`.
    pub fn site(&self) -> &str {
        &self.site
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

    /// Reads the state, lets `change` edit it and writes it back, under the router's lock.
    #[allow(clippy::unwrap_used)]
    fn edit(&self, change: impl FnOnce(&mut Value)) -> Value {
        let mut file = File::options()
            .read(true)
            .write(true)
            .open(&self.state)
            .unwrap();
        file.lock().unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        let mut state: Value = serde_json::from_str(&text).unwrap();
        let before = state.clone();
        change(&mut state);
        if state != before {
            file.set_len(0).unwrap();
            file.rewind().unwrap();
            file.write_all(&serde_json::to_vec_pretty(&state).unwrap())
                .unwrap();
        }
        file.unlock().unwrap();
        state
    }
}

impl Drop for OpenCartShop {
    fn drop(&mut self) {
        let _ = self.php.kill();
        let _ = self.php.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[allow(clippy::unwrap_used)]
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
