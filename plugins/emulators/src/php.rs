//! A shop whose plugin really runs: PHP's built-in server on a free port, serving a router script
//! of the plugin's tests (the plugin's own code over stubs of its platform), with the shop's
//! orders and settings in a JSON state file that the router and the tests read and edit under one
//! lock. Stopped, with the workers `PHP_CLI_SERVER_WORKERS` forks, when dropped.
//!
//! Needs `php` on the `PATH` (`cargo xtask setup` installs it).

use serde_json::Value;
use std::fs::File;
use std::io::{Read as _, Seek as _, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `php -S` shop with its state file.
#[derive(Debug)]
pub struct PhpShop {
    php: Child,
    site: String,
    state: PathBuf,
    dir: PathBuf,
}

impl PhpShop {
    /// Serves `router` (a path under `plugins/`) with `initial` as the state, its path in the
    /// environment variable `state_var`, and `env` besides.
    ///
    /// # Panics
    /// When PHP is missing or the server does not start within 10 s (a test's setup failing).
    #[allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]
    pub fn start(
        name: &str,
        router: &str,
        state_var: &str,
        env: &[(&str, &str)],
        initial: &Value,
    ) -> PhpShop {
        let dir =
            std::env::temp_dir().join(format!("{name}-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let state = dir.join("state.json");
        std::fs::write(&state, serde_json::to_vec_pretty(initial).unwrap()).unwrap();
        let router = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(router);
        // A port another test freed a moment ago may be taken again before PHP binds it (the
        // probe below would then reach the other listener): PHP, failing to bind, exits, and a
        // new port is tried.
        let mut attempts = 0;
        let (php, port) = loop {
            attempts += 1;
            let port = free_port();
            let mut php = Command::new("php")
                .arg("-S")
                .arg(format!("127.0.0.1:{port}"))
                .arg(&router)
                .env(state_var, &state)
                .envs(env.iter().copied())
                // Several requests at once, as a real shop's PHP-FPM would take them.
                .env("PHP_CLI_SERVER_WORKERS", "4")
                // A group of its own, so that its workers are stopped with it.
                .process_group(0)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("php is needed: run `cargo xtask setup`");
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut up = false;
            while Instant::now() < deadline {
                if php.try_wait().ok().flatten().is_some() {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    // Still ours a moment later: PHP is the one listening.
                    std::thread::sleep(Duration::from_millis(100));
                    up = php.try_wait().ok().flatten().is_none();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if up {
                break (php, port);
            }
            let _ = php.kill();
            let _ = php.wait();
            assert!(attempts < 5, "php -S did not start");
        };
        PhpShop {
            php,
            site: format!("http://127.0.0.1:{port}"),
            state,
            dir,
        }
    }

    /// The shop's address.
    pub fn site(&self) -> &str {
        &self.site
    }

    /// Reads the state, lets `change` edit it and writes it back, under the router's lock; the
    /// state afterwards.
    #[allow(clippy::unwrap_used)]
    pub fn edit(&self, change: impl FnOnce(&mut Value)) -> Value {
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

impl PhpShop {
    /// The strings listed under `key` in the state (a log, say).
    pub fn strings(&self, key: &str) -> Vec<String> {
        self.edit(|_| ())[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    }
}

impl Drop for PhpShop {
    fn drop(&mut self) {
        // The whole group: `php -S` and the workers it forked.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.php.id())])
            .status();
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
