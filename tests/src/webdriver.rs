//! A small W3C WebDriver client: ChromeDriver started on a free port, one headless Chromium
//! session, and the few commands the tests use.

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The Enter key, for [`Browser::press`].
pub const ENTER: &str = "\u{E007}";
/// The Escape key.
pub const ESCAPE: &str = "\u{E00C}";
/// The Tab key.
pub const TAB: &str = "\u{E004}";

/// A browser session. Call [`Browser::close`] at the end; the driver process is killed on drop.
#[derive(Debug)]
pub struct Browser {
    http: reqwest::Client,
    session: String,
    _driver: Child,
    _profile: TempDir,
}

/// What a browser's pages may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limits {
    None,
    NoScript,
    NoWebAssembly,
}

#[derive(Debug)]
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        // A browser whose session was not closed (a test that failed half way) outlives its
        // driver: end its processes, found by their own profile folder, before removing it.
        let _ = std::process::Command::new("pkill")
            .args(["-f", "--"])
            .arg(format!("--user-data-dir={}", self.0.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn program(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

impl Browser {
    /// Starts ChromeDriver (`$CHROMEDRIVER` or `chromedriver`) and a headless Chromium
    /// (`$CHROMIUM` or `chromium`) with a fresh profile and a phone-sized window.
    pub async fn start() -> Result<Self> {
        Self::launch(Limits::None).await
    }

    /// A browser whose pages run no script at all (a locked-down office machine). WebDriver's
    /// own scripts ([`Browser::eval`]) still run.
    pub async fn start_without_script() -> Result<Self> {
        Self::launch(Limits::NoScript).await
    }

    /// A browser whose pages run script but have no WebAssembly: V8 without its compilers, as in
    /// iOS Lockdown Mode.
    pub async fn start_without_webassembly() -> Result<Self> {
        Self::launch(Limits::NoWebAssembly).await
    }

    async fn launch(limits: Limits) -> Result<Self> {
        let port = free_port()?;
        let driver_path = program("CHROMEDRIVER", "chromedriver");
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {} (run `cargo xtask setup`)",
                    driver_path.display()
                )
            })?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("{base}/status")).send().await.ok();
            if let Some(r) = ready
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                break;
            }
            if Instant::now() > deadline {
                bail!("chromedriver did not become ready on port {port}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = TempDir(
            std::env::temp_dir().join(format!("e2e-chromium-{port}-{}", std::process::id())),
        );
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=420,1100",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!("--user-data-dir={}", profile.0.display())])
        .chain((limits == Limits::NoWebAssembly).then(|| "--js-flags=--jitless".to_owned()))
        .collect::<Vec<_>>();
        let mut options = json!({ "args": args });
        if limits == Limits::NoScript {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        if let Some(binary) = std::env::var_os("CHROMIUM") {
            options["binary"] = json!(binary.to_string_lossy());
        }
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options
        }}});
        let response: Value = http
            .post(format!("{base}/session"))
            .json(&capabilities)
            .send()
            .await?
            .json()
            .await?;
        let session = response["value"]["sessionId"]
            .as_str()
            .with_context(|| format!("no browser session: {response}"))?
            .to_owned();
        Ok(Self {
            http,
            session: format!("{base}/session/{session}"),
            _driver: driver,
            _profile: profile,
        })
    }

    async fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response: Value = request.send().await?.json().await?;
        if let Some(error) = response["value"].get("error") {
            bail!(
                "webdriver {path}: {error}: {}",
                response["value"]["message"]
            );
        }
        Ok(response["value"].clone())
    }

    /// Navigates to `url` and waits for the load event.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.command(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .map(|_| ())
    }

    /// The value of the browser's cookie `name` for the current page, `HttpOnly` ones included
    /// (what the browser would send with a request of the page's).
    pub async fn cookie(&self, name: &str) -> Result<Option<String>> {
        let cookies = self.command(reqwest::Method::GET, "/cookie", None).await?;
        Ok(cookies.as_array().and_then(|all| {
            all.iter()
                .find(|c| c["name"] == name)
                .and_then(|c| c["value"].as_str())
                .map(str::to_owned)
        }))
    }

    /// Lays pages out for `media` (`print`; `""` for the screen again) from now on, through
    /// Chromium's DevTools.
    pub async fn emulate_media(&self, media: &str) -> Result<()> {
        let body = json!({ "cmd": "Emulation.setEmulatedMedia", "params": { "media": media } });
        self.command(reqwest::Method::POST, "/goog/cdp/execute", Some(body))
            .await
            .map(|_| ())
    }

    /// The page's markup as the browser holds it now.
    pub async fn source(&self) -> Result<String> {
        let source = self.command(reqwest::Method::GET, "/source", None).await?;
        Ok(source.as_str().context("page source")?.to_owned())
    }

    /// Runs `script` (a function body; `return` gives the result) in the page.
    pub async fn eval(&self, script: &str) -> Result<Value> {
        self.command(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// Runs `script` (a function body) that calls `done(value)` (the last argument) when finished.
    pub async fn eval_async(&self, script: &str) -> Result<Value> {
        self.command(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// Evaluates `script` every 100 ms until `done` accepts its value, or fails after `timeout`.
    /// Errors while the page navigates are retried until then.
    pub async fn wait_for(
        &self,
        what: &str,
        script: &str,
        timeout: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Result<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.eval(script).await {
                Ok(value) if done(&value) => return Ok(value),
                Ok(value) => value.to_string(),
                Err(e) => e.to_string(),
            };
            if Instant::now() > deadline {
                bail!("timed out after {timeout:?} waiting for {what}; last: {last}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Presses and releases each of `keys` in turn on the focused element, as a person at the
    /// keyboard would (trusted events). Special keys are WebDriver code points: [`ENTER`],
    /// [`ESCAPE`], [`TAB`].
    pub async fn press(&self, keys: &[&str]) -> Result<()> {
        let actions: Vec<Value> = keys
            .iter()
            .flat_map(|key| {
                [
                    json!({ "type": "keyDown", "value": key }),
                    json!({ "type": "keyUp", "value": key }),
                ]
            })
            .collect();
        let body = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] });
        self.command(reqwest::Method::POST, "/actions", Some(body))
            .await
            .map(|_| ())
    }

    /// A PNG screenshot of the viewport.
    pub async fn screenshot_png(&self) -> Result<Vec<u8>> {
        let data = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await?;
        let data = data.as_str().context("screenshot data")?;
        Ok(base64::engine::general_purpose::STANDARD.decode(data)?)
    }

    /// Saves a PNG screenshot of the viewport to `path`, and returns it.
    pub async fn screenshot(&self, path: &Path) -> Result<Vec<u8>> {
        let png = self.screenshot_png().await?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, &png)?;
        Ok(png)
    }

    /// Ends the session (closing Chromium).
    pub async fn close(self) -> Result<()> {
        self.http.delete(&self.session).send().await?;
        Ok(())
    }
}
