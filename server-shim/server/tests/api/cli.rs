//! The command line, as an operator uses it.

use crate::support::ScratchDb;
use std::process::{Command, Output};

pub(crate) fn shim(args: &[&str], database: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_server-shim"))
        .args(args)
        .args(["--database-url", database])
        .env("RUST_LOG", "off")
        .output()
        .unwrap()
}

pub(crate) fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Adds shop `name` on database `db`: its token.
fn add_shop(name: &str, db: &str) -> String {
    let added = shim(&["shops", "add", "--name", name], db);
    assert!(added.status.success(), "{}", text(&added));
    token(&added)
}

fn token(output: &Output) -> String {
    text(output)
        .lines()
        .find_map(|l| l.strip_prefix("shop token: "))
        .unwrap()
        .to_owned()
}

#[test]
fn shops_are_added_listed_rotated_and_removed() {
    let scratch = ScratchDb::new("cli");
    let db = scratch.url.clone();

    let added = shim(&["shops", "add", "--name", "my-shop"], &db);
    assert!(added.status.success(), "{}", text(&added));
    let first = token(&added);
    assert!(first.starts_with("shk_"));

    let duplicate = shim(&["shops", "add", "--name", "my-shop"], &db);
    assert!(!duplicate.status.success());
    assert!(
        text(&duplicate).contains("already exists"),
        "{}",
        text(&duplicate)
    );

    let listed = shim(&["shops", "list"], &db);
    assert!(
        text(&listed).starts_with("id\tname\tplatform\tcallback\tpayouts\n"),
        "{}",
        text(&listed)
    );
    assert!(
        text(&listed).contains("\tmy-shop\t-\t-\t-"),
        "{}",
        text(&listed)
    );

    let rotated = shim(&["shops", "rotate-token", "--name", "my-shop"], &db);
    assert!(rotated.status.success(), "{}", text(&rotated));
    assert_ne!(token(&rotated), first);

    let missing = shim(&["shops", "rotate-token", "--name", "nobody"], &db);
    assert!(!missing.status.success());
    assert!(
        text(&missing).contains("no shop named"),
        "{}",
        text(&missing)
    );

    let removed = shim(&["shops", "remove", "--name", "my-shop"], &db);
    assert!(removed.status.success(), "{}", text(&removed));
    assert!(!text(&shim(&["shops", "list"], &db)).contains("my-shop"));

    let bad_name = shim(&["shops", "add", "--name", " "], &db);
    assert!(
        text(&bad_name).contains("name must be 1 to 100 characters"),
        "{}",
        text(&bad_name)
    );
    let bad_url = shim(&["shops", "list"], "mysql://nope");
    assert!(!bad_url.status.success());
    assert!(
        text(&bad_url).contains("cannot open the database"),
        "{}",
        text(&bad_url)
    );
    scratch.remove();
}

/// `server-shim serve` on a free port and an in-memory database.
fn serve_on_memory() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server-shim"));
    command.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--database-url",
        "sqlite::memory:",
    ]);
    command
}

#[test]
fn serve_says_what_is_missing() {
    let output = serve_on_memory()
        .env_remove("SHIM_PUBLIC_URL")
        .env_remove("SHIM_MERCHANT_UUID")
        .env_remove("SHIM_PAYMENT_KEY")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        text(&output).contains("SHIM_PUBLIC_URL is not set"),
        "{}",
        text(&output)
    );

    let output = serve_on_memory()
        .env("SHIM_PUBLIC_URL", "https://pay.example")
        .env("SHIM_MERCHANT_UUID", "m")
        .env_remove("SHIM_PAYMENT_KEY")
        .output()
        .unwrap();
    assert!(
        text(&output).contains("SHIM_PAYMENT_KEY is not set"),
        "{}",
        text(&output)
    );
}

/// `shops set-platform` connecting shop woo to WooCommerce at `site` with key ck_1, and `more`.
fn set_woo<'a>(site: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let woo = [
        "shops",
        "set-platform",
        "--name",
        "woo",
        "--platform",
        "woocommerce",
        "--site",
        site,
        "--api-key",
        "ck_1",
    ];
    [&woo[..], more].concat()
}

#[test]
fn a_shop_is_connected_to_its_platform_with_checked_settings() {
    let scratch = ScratchDb::new("cli-platform");
    let db = scratch.url.clone();
    let run = |args: &[&str], secret: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_server-shim"));
        command
            .args(args)
            .args(["--database-url", &db])
            .env("RUST_LOG", "off")
            .env_remove("SHIM_PLATFORM_SECRET");
        if let Some(secret) = secret {
            command.env("SHIM_PLATFORM_SECRET", secret);
        }
        command.output().unwrap()
    };
    let add = [
        "shops",
        "add",
        "--name",
        "woo",
        "--platform",
        "woocommerce",
        "--site",
        "https://shop.example",
        "--api-key",
        "ck_1",
    ];
    let missing = run(&add, None);
    assert!(!missing.status.success());
    assert!(
        text(&missing).contains("SHIM_PLATFORM_SECRET"),
        "{}",
        text(&missing)
    );
    assert!(
        !text(&run(&["shops", "list"], None)).contains("woo"),
        "nothing was written"
    );
    let added = run(&add, Some("cs_secret_value"));
    assert!(added.status.success(), "{}", text(&added));
    assert!(text(&added).contains("connected to woocommerce"));
    assert!(
        !text(&added).contains("cs_secret_value"),
        "the secret is never printed"
    );

    let renamed = run(
        &set_woo(
            "https://shop.example",
            &["--status", "on_hold=awaiting-crypto"],
        ),
        Some("cs"),
    );
    assert!(renamed.status.success(), "{}", text(&renamed));
    let unknown_status = run(
        &set_woo("https://shop.example", &["--status", "shipped=wc-shipped"]),
        Some("cs"),
    );
    assert!(
        text(&unknown_status).contains("not a status of this platform"),
        "{}",
        text(&unknown_status)
    );
    let bad_site = run(&set_woo("shop.example", &[]), Some("cs"));
    assert!(
        text(&bad_site).contains("http(s) URL"),
        "{}",
        text(&bad_site)
    );
    let cleared = run(&["shops", "set-platform", "--name", "woo", "--clear"], None);
    assert!(
        text(&cleared).contains("disconnected"),
        "{}",
        text(&cleared)
    );
    let unknown = run(
        &["shops", "set-platform", "--name", "nobody", "--clear"],
        None,
    );
    assert!(
        text(&unknown).contains("no shop named"),
        "{}",
        text(&unknown)
    );
    scratch.remove();
}

#[test]
fn links_are_made_listed_and_stopped_from_the_command_line() {
    let scratch = ScratchDb::new("cli-links");
    let db = scratch.url.clone();
    add_shop("studio", &db);
    let public = ["--public-url", "https://pay.studio.example"];
    let made = shim(
        &[
            &[
                "links",
                "create",
                "--shop",
                "studio",
                "--amount",
                "120",
                "--currency",
                "EUR",
            ][..],
            &["--description", "Portrait session", "--reusable"],
            &public,
        ]
        .concat(),
        &db,
    );
    let out = text(&made);
    assert!(made.status.success(), "{out}");
    let url = out
        .lines()
        .find_map(|l| l.strip_prefix("url: "))
        .unwrap()
        .to_owned();
    assert!(
        url.starts_with("https://pay.studio.example/l/lnk_"),
        "{url}"
    );
    let id = url.rsplit('/').next().unwrap().to_owned();
    let listed = text(&shim(
        &[&["links", "list", "--shop", "studio"][..], &public].concat(),
        &db,
    ));
    assert!(
        listed.contains(&id) && listed.contains("reusable") && listed.contains("120 EUR"),
        "{listed}"
    );
    let stopped = text(&shim(
        &["links", "disable", "--shop", "studio", "--id", &id],
        &db,
    ));
    assert!(stopped.contains("is disabled"), "{stopped}");
    let bad = text(&shim(
        &[
            "links",
            "create",
            "--shop",
            "studio",
            "--amount",
            "1e3",
            "--currency",
            "EUR",
            "--description",
            "x",
        ],
        &db,
    ));
    assert!(bad.contains("amount must be a plain decimal"), "{bad}");
    let nobody = text(&shim(&["links", "list", "--shop", "nobody"], &db));
    assert!(nobody.contains("no shop named"), "{nobody}");
    scratch.remove();
}

#[test]
fn buttons_are_defined_listed_and_stopped_from_the_command_line() {
    let scratch = ScratchDb::new("cli-buttons");
    let db = scratch.url.clone();
    add_shop("roastery", &db);
    let create = [
        "buttons",
        "create",
        "--shop",
        "roastery",
        "--amount",
        "15",
        "--currency",
        "USD",
    ];
    let made = shim(
        &[
            &create[..],
            &[
                "--description",
                "Coffee beans",
                "--origin",
                "https://roastery.example,https://www.roastery.example/",
                "--public-url",
                "https://pay.roastery.example/",
            ],
        ]
        .concat(),
        &db,
    );
    let out = text(&made);
    assert!(made.status.success(), "{out}");
    let snippet = out
        .lines()
        .find_map(|l| l.strip_prefix("paste into your page: "))
        .unwrap();
    assert!(
        snippet.starts_with(
            r#"<script src="https://pay.roastery.example/widget/embed.js" data-button="btn_"#
        ),
        "{snippet}"
    );
    let id = snippet
        .split("data-button=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let listed = text(&shim(&["buttons", "list", "--shop", "roastery"], &db));
    assert!(
        listed.contains(&id)
            && listed.contains("15 USD")
            && listed.contains("https://roastery.example,https://www.roastery.example"),
        "{listed}"
    );
    let stopped = text(&shim(
        &["buttons", "disable", "--shop", "roastery", "--id", &id],
        &db,
    ));
    assert!(
        stopped.contains(&format!("button {id} is disabled")),
        "{stopped}"
    );
    let listed = text(&shim(&["buttons", "list", "--shop", "roastery"], &db));
    assert!(listed.contains("\tno\t"), "{listed}");
    let restarted = text(&shim(
        &["buttons", "enable", "--shop", "roastery", "--id", &id],
        &db,
    ));
    assert!(restarted.contains("takes payments again"), "{restarted}");

    // What to fix, said plainly, and nothing made.
    let bad = shim(
        &[
            &create[..],
            &["--description", "Tea", "--origin", "roastery.example"],
        ]
        .concat(),
        &db,
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad).contains("\"roastery.example\" is not an origin"),
        "{}",
        text(&bad)
    );
    let missing = text(&shim(
        &[
            "buttons", "disable", "--shop", "roastery", "--id", "btn_nope",
        ],
        &db,
    ));
    assert!(
        missing.contains("has no button \"btn_nope\" (see `server-shim buttons list`)"),
        "{missing}"
    );
    let listed = text(&shim(&["buttons", "list", "--shop", "roastery"], &db));
    assert_eq!(
        listed.lines().count(),
        2,
        "a header and one button: {listed}"
    );
    scratch.remove();
}

#[test]
fn the_demo_touches_neither_servers_settings_nor_a_shop_it_did_not_make() {
    let scratch = ScratchDb::with_file("cli-demo", "production.db");
    let production = scratch.url.clone();
    let operators_token = add_shop("demo", &production);

    // Given by flag: refused, naming the way out.
    let refused = shim(&["demo", "--listen", "127.0.0.1:0"], &production);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("that the demo did not make")
            && text(&refused).contains("--database-url"),
        "{}",
        text(&refused)
    );

    // Only in serve's variables: not read at all (the demo would otherwise start on it, and
    // listen where serve does). `--help` shows no variable for either.
    let help = Command::new(env!("CARGO_BIN_EXE_server-shim"))
        .args(["demo", "--help"])
        .output()
        .unwrap();
    let help = text(&help);
    assert!(
        !help.contains("[env: SHIM_DATABASE_URL") && !help.contains("[env: SHIM_LISTEN"),
        "{help}"
    );
    // The operator's shop still answers to its token: the demo did not rotate it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let found = runtime.block_on(async {
        let store = server_shim::store::Store::connect(&production)
            .await
            .unwrap();
        store
            .shop_by_token_hash(
                &server_shim::domain::ShopToken::from_presented(&operators_token).hash(),
            )
            .await
            .unwrap()
    });
    assert_eq!(found.map(|shop| shop.name).as_deref(), Some("demo"));
    scratch.remove();
}

#[tokio::test]
async fn migrate_says_what_is_pending_and_refuses_a_database_a_newer_version_migrated() {
    let scratch = ScratchDb::new("migrate");
    let db = scratch.url.clone();
    let dry = shim(&["migrate", "--dry-run"], &db);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("pending: 1 init"), "{}", text(&dry));
    assert!(
        text(&dry).contains("nothing applied (--dry-run)"),
        "{}",
        text(&dry)
    );
    let store = server_shim::store::Store::connect(&db).await.unwrap();
    assert!(
        store.migration_status().await.unwrap().applied.is_empty(),
        "a dry run applies nothing"
    );

    let done = shim(&["migrate"], &db);
    assert!(done.status.success(), "{}", text(&done));
    assert!(text(&done).contains("applied"), "{}", text(&done));
    let again = shim(&["migrate", "--dry-run"], &db);
    assert!(
        text(&again).contains("database up to date"),
        "{}",
        text(&again)
    );

    // A newer server-shim's migration: every command refuses the database, saying why.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', 1, x'00', 0)",
    )
    .execute(&sqlx::SqlitePool::connect(&db).await.unwrap())
    .await
    .unwrap();
    for args in [&["migrate"][..], &["shops", "list"][..]] {
        let refused = shim(args, &db);
        assert!(!refused.status.success(), "{args:?}");
        let said = text(&refused);
        assert!(
            said.contains("9999") && said.contains("newer"),
            "{args:?}: {said}"
        );
    }
    let error = store.migrate().await.unwrap_err();
    assert!(
        matches!(
            error,
            server_shim::store::StoreError::NewerSchema { found: 9999, .. }
        ),
        "{error}"
    );
    scratch.remove();
}

/// A webhook storm on the shim of `app`: `count` invoices, each paid at the sandbox, all at once.
async fn storm(app: &crate::support::TestApp, prefix: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..count {
        let (status, invoice) = app
            .create(&crate::support::usdt_invoice(
                &format!("{prefix}-{n}"),
                "15.00",
            ))
            .await;
        assert_eq!(status, 201, "{invoice}");
        ids.push(invoice["id"].as_str().unwrap().to_owned());
    }
    let payments: Vec<_> = ids
        .iter()
        .map(|id| app.sandbox("pay", serde_json::json!({ "order_id": id, "amount": "15" })))
        .collect();
    futures_util::future::join_all(payments).await;
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_a_webhook_storm_restores_whole() {
    let scratch = ScratchDb::new("backup");
    let db = scratch.url.clone();
    let app = crate::support::TestApp::spawn(&db).await;
    storm(&app, "before", 10).await;

    // A backup while a second storm of webhooks is being applied.
    let during = scratch.dir.join("during.db");
    let (storming, backed_up) = tokio::join!(storm(&app, "during", 20), async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        shim(&["backup", "--to", during.to_str().unwrap()], &db)
    });
    assert!(backed_up.status.success(), "{}", text(&backed_up));
    assert!(
        text(&backed_up).contains("backup written to"),
        "{}",
        text(&backed_up)
    );
    for id in &storming {
        app.wait_for_status(id, "paid").await;
    }
    app.settled().await;
    // Never overwritten.
    let again = shim(&["backup", "--to", during.to_str().unwrap()], &db);
    assert!(
        !again.status.success() && text(&again).contains("never overwrites"),
        "{}",
        text(&again)
    );

    // Restored into a fresh database: a database at one instant, every invoice of before the
    // storm in it, and no paid invoice without its news to the shop (written in one transaction).
    let restored = format!("sqlite://{}", scratch.dir.join("restored.db").display());
    let put_back = shim(&["restore", "--from", during.to_str().unwrap()], &restored);
    assert!(put_back.status.success(), "{}", text(&put_back));
    let pool = sqlx::SqlitePool::connect(&restored).await.unwrap();
    let check: (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(check.0, "ok");
    let before: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM invoices WHERE order_id LIKE 'before-%' AND status = 'paid'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(before.0, 10);
    let torn: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM invoices i WHERE i.status = 'paid' AND NOT EXISTS \
         (SELECT 1 FROM outbox o WHERE o.invoice_id = i.id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        torn.0, 0,
        "every paid invoice has its news to the shop queued with it"
    );
    pool.close().await;

    // Once the storm is over, a backup restores to exactly the live database.
    let after = scratch.dir.join("after.db");
    assert!(
        shim(&["backup", "--to", after.to_str().unwrap()], &db)
            .status
            .success()
    );
    let whole = format!("sqlite://{}", scratch.dir.join("whole.db").display());
    assert!(
        shim(&["restore", "--from", after.to_str().unwrap()], &whole)
            .status
            .success()
    );
    assert_eq!(
        crate::support::snapshot(&whole).await,
        crate::support::snapshot(&db).await
    );

    // A database that holds invoices is not replaced without --force; with it, kept aside.
    let refused = shim(&["restore", "--from", during.to_str().unwrap()], &whole);
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    let forced = shim(
        &["restore", "--from", during.to_str().unwrap(), "--force"],
        &whole,
    );
    assert!(forced.status.success(), "{}", text(&forced));
    assert!(scratch.dir.join("whole.db.before-restore").exists());
    // Not a backup at all.
    let junk = scratch.dir.join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let fresh = format!("sqlite://{}", scratch.dir.join("fresh.db").display());
    let refused = shim(&["restore", "--from", junk.to_str().unwrap()], &fresh);
    assert!(!refused.status.success(), "{}", text(&refused));
    scratch.remove();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_backup_is_made_and_restored_by_its_own_tools() {
    let Some(url) = crate::support::postgres_url().await else {
        crate::support::skipped("PostgreSQL backups: SHIM_TEST_POSTGRES_URL is not set");
        return;
    };
    let app = crate::support::TestApp::spawn(&url).await;
    storm(&app, "pg", 5).await;
    app.settled().await;
    let scratch = ScratchDb::new("pg-backup");
    let file = scratch.dir.join("pg.dump");
    let made = shim(&["backup", "--to", file.to_str().unwrap()], &url);
    assert!(made.status.success(), "{}", text(&made));
    // Into a database of its own (the dump names its schema, so the target picks the same one).
    let base = std::env::var("SHIM_TEST_POSTGRES_URL").unwrap();
    let name = format!("shim_restore_{}", server_shim::services::now());
    let admin = sqlx::PgPool::connect(&base).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    let mut fresh = reqwest::Url::parse(&base).unwrap();
    fresh.set_path(&format!("/{name}"));
    let target = format!("{fresh}?{}", url.split_once('?').unwrap().1);
    let put_back = shim(&["restore", "--from", file.to_str().unwrap()], &target);
    assert!(put_back.status.success(), "{}", text(&put_back));
    assert!(
        text(&put_back).contains("(5 invoices)"),
        "{}",
        text(&put_back)
    );
    let refused = shim(&["restore", "--from", file.to_str().unwrap()], &target);
    assert!(
        !refused.status.success() && text(&refused).contains("--force"),
        "{}",
        text(&refused)
    );
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&admin)
    .await;
    scratch.remove();
}

/// `server-shim` with `args` and the environment `vars` (and no `SHIM_*` of the caller's).
fn shim_env(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server-shim"));
    for (name, _) in std::env::vars() {
        if name.starts_with("SHIM_") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .envs(vars.iter().copied())
        .env("RUST_LOG", "off")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_a_deployment_and_says_what_to_fix() {
    // The gateway (a sandbox), and a shim answering at the public URL.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway_url = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = cryptomus_sandbox::Sandbox::new(cryptomus_sandbox::SandboxConfig::generate(
        gateway_url.clone(),
    ));
    let config = sandbox.config().clone();
    let router = cryptomus_sandbox::router(sandbox);
    tokio::spawn(async move { axum::serve(listener, router).await });
    let public = crate::support::TestApp::spawn("sqlite::memory:").await;
    let scratch = ScratchDb::new("doctor");
    let widget = scratch.dir.join("widget");
    std::fs::create_dir_all(&widget).unwrap();
    std::fs::write(widget.join("embed.js"), "// widget").unwrap();
    let merchant = config.merchant.to_string();
    use secrecy::ExposeSecret as _;
    let payment_key = config.payment_key.expose().expose_secret().to_owned();
    let payout_key = config.payout_key.expose().expose_secret().to_owned();
    let good = vec![
        ("SHIM_DATABASE_URL", scratch.url.as_str()),
        ("SHIM_PUBLIC_URL", public.url.as_str()),
        ("SHIM_GATEWAY_URL", gateway_url.as_str()),
        ("SHIM_MERCHANT_UUID", merchant.as_str()),
        ("SHIM_PAYMENT_KEY", payment_key.as_str()),
        ("SHIM_PAYOUT_KEY", payout_key.as_str()),
        ("SHIM_WIDGET_DIR", widget.to_str().unwrap()),
        ("SHIM_METRICS_TOKEN", "a-metrics-token-long-enough"),
    ];
    let line = |output: &Output, level: &str, name: &str| {
        text(output)
            .lines()
            .find(|l| {
                l.split_whitespace().nth(1) == name.split_whitespace().next()
                    && l.starts_with(level)
            })
            .map(str::to_owned)
    };
    // A database not migrated yet: `serve` would migrate it at start.
    let fresh = shim_env(&["doctor"], &good);
    assert!(
        line(&fresh, "warning", "database").is_some_and(|l| l.contains("migrations pending")),
        "{}",
        text(&fresh)
    );
    assert!(shim(&["migrate"], &scratch.url).status.success());
    let fine = shim_env(&["doctor"], &good);
    let said = text(&fine);
    assert!(fine.status.success(), "{said}");
    for name in [
        "configuration",
        "database",
        "gateway",
        "payout",
        "clock",
        "widget",
        "metrics",
    ] {
        assert!(line(&fine, "ok", name).is_some(), "{name} ok in:\n{said}");
    }
    // Plain HTTP on this machine: it works, but production needs HTTPS.
    assert!(
        line(&fine, "warning", "public").is_some_and(|l| l.contains("HTTPS")),
        "{said}"
    );
    assert!(
        !said.contains(&payment_key) && !said.contains(&payout_key),
        "no secret is shown"
    );

    // What is wrong is said, with what to do, and the doctor fails.
    let with = |name: &str, value: &'static str| -> Vec<(&str, &str)> {
        good.iter()
            .map(|(n, v)| if *n == name { (*n, value) } else { (*n, *v) })
            .collect()
    };
    for (vars, level_name, expected) in [
        (
            with("SHIM_PAYMENT_KEY", "not-the-key"),
            "gateway",
            "SHIM_PAYMENT_KEY",
        ),
        (
            with("SHIM_PAYOUT_KEY", "not-the-key"),
            "payout",
            "SHIM_PAYOUT_KEY",
        ),
        (
            with("SHIM_PUBLIC_URL", "http://127.0.0.1:9"),
            "public",
            "cannot be reached",
        ),
        (
            with("SHIM_GATEWAY_URL", "http://127.0.0.1:9"),
            "gateway",
            "cannot reach",
        ),
        (
            with("SHIM_WIDGET_DIR", "/nonexistent"),
            "widget",
            "build-widget",
        ),
        (
            with("SHIM_DATABASE_URL", "postgres://nobody@127.0.0.1:9/none"),
            "database",
            "cannot open",
        ),
    ] {
        let output = shim_env(&["doctor"], &vars);
        assert!(!output.status.success(), "{expected}: {}", text(&output));
        let found = line(&output, "error", level_name);
        assert!(
            found.as_deref().is_some_and(|l| l.contains(expected)),
            "{expected}:\n{}",
            text(&output)
        );
    }
    let missing: Vec<(&str, &str)> = good
        .iter()
        .copied()
        .filter(|(n, _)| *n != "SHIM_MERCHANT_UUID")
        .collect();
    let output = shim_env(&["doctor"], &missing);
    assert!(
        line(&output, "error", "configuration").is_some_and(|l| l.contains("SHIM_MERCHANT_UUID")),
        "{}",
        text(&output)
    );
    let bad_file = shim_env(&["doctor", "--config", "/nonexistent.toml"], &good);
    assert!(
        !bad_file.status.success() && text(&bad_file).contains("/nonexistent.toml"),
        "{}",
        text(&bad_file)
    );
    scratch.remove();
}

#[test]
fn the_example_settings_file_names_every_setting_and_loads() {
    let printed = shim_env(&["config", "example"], &[]);
    assert!(printed.status.success());
    let example = String::from_utf8(printed.stdout).unwrap();
    assert_eq!(
        example,
        include_str!("../../../../deploy/shim.toml.example")
    );
    // Every flag of `serve` (but --config) is a key of the file, set or shown commented.
    let help = text(&shim_env(&["serve", "--help"], &[]));
    let flags: Vec<String> = help
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("--"))
        .map(|flag| {
            flag.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .replace('-', "_")
        })
        .filter(|flag| !flag.is_empty() && !["config", "help", "version"].contains(&flag.as_str()))
        .collect();
    assert!(flags.len() > 20, "{flags:?}");
    for flag in &flags {
        let named = example.lines().any(|l| {
            let l = l.trim_start_matches("# ").trim_start();
            l.starts_with(&format!("{flag} ="))
        });
        assert!(named, "{flag} is missing from the example");
    }
    // What it sets loads as `serve` reads it, unknown keys refused.
    let dir = std::env::temp_dir().join(format!("shim-example-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("shim.toml");
    std::fs::write(&file, &example).unwrap();
    let layer = server_shim::config::Layer::from_file(&file).unwrap();
    assert_eq!(
        layer.public_url.as_deref(),
        Some("https://pay.my-shop.example")
    );
    std::fs::write(&file, format!("{example}\nnot_a_setting = 1\n")).unwrap();
    assert!(server_shim::config::Layer::from_file(&file).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_systemd_unit_passes_systemd_analyze() {
    let unit = include_str!("../../../../deploy/server-shim.service");
    let analyze = Command::new("systemd-analyze").arg("--version").output();
    if !analyze.is_ok_and(|o| o.status.success()) {
        crate::support::skipped("systemd-analyze is not installed here");
        return;
    }
    // The unit as installed, its binary where this build put it.
    let dir = std::env::temp_dir().join(format!("shim-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("server-shim.service");
    std::fs::write(
        &file,
        unit.replace(
            "/usr/local/bin/server-shim",
            env!("CARGO_BIN_EXE_server-shim"),
        ),
    )
    .unwrap();
    let verified = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&file)
        .output()
        .unwrap();
    assert!(verified.status.success(), "{}", text(&verified));
    assert!(
        text(&verified).trim().is_empty(),
        "no warning: {}",
        text(&verified)
    );
    // It runs serve with the settings file the example gives, hardened.
    for line in [
        "ExecStart=/usr/local/bin/server-shim serve --config /etc/server-shim/shim.toml",
        "DynamicUser=yes",
        "StateDirectory=server-shim",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line}");
    }
    assert!(
        include_str!("../../../../deploy/shim.toml.example")
            .contains("sqlite:///var/lib/server-shim/shim.db")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `shim_…` names in `text`.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("shim_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        names.insert(name);
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alert_rules_and_the_dashboard_ask_for_what_the_shim_exposes() {
    let alerts = include_str!("../../../../deploy/prometheus/alerts.yml");
    let dashboard = include_str!("../../../../deploy/prometheus/grafana-dashboard.json");
    // Every series a rule or a panel asks for is one the shim's /metrics has.
    let app = crate::support::TestApp::spawn("sqlite::memory:").await;
    let (_, invoice) = app
        .create(&crate::support::usdt_invoice("metrics-1", "15.00"))
        .await;
    app.sandbox(
        "pay",
        serde_json::json!({ "order_id": invoice["id"], "amount": "15" }),
    )
    .await;
    app.wait_for_status(invoice["id"].as_str().unwrap(), "paid")
        .await;
    let exposed = metric_names(&app.text("/metrics").await);
    for (file, text) in [
        ("alerts.yml", alerts),
        ("grafana-dashboard.json", dashboard),
    ] {
        let asked = metric_names(text);
        assert!(asked.len() >= 5, "{file}: {asked:?}");
        let unknown: Vec<&String> = asked.difference(&exposed).collect();
        assert!(
            unknown.is_empty(),
            "{file} asks for {unknown:?}; /metrics has {exposed:?}"
        );
    }
    // The webhook outcomes the rules count are ones the shim reports.
    let ipn = include_str!("../../src/routes/ipn.rs");
    for outcome in ["gateway_unavailable", "gateway_refused", "error"] {
        assert!(
            alerts.contains(outcome) && ipn.contains(&format!("\"{outcome}\"")),
            "{outcome}"
        );
    }
    // Each panel asks something; the rules read as YAML (when Python's yaml is here to say).
    let dashboard: serde_json::Value = serde_json::from_str(dashboard).unwrap();
    for panel in dashboard["panels"].as_array().unwrap() {
        assert!(
            panel["targets"][0]["expr"]
                .as_str()
                .is_some_and(|e| e.contains("shim_")),
            "{panel}"
        );
    }
    let dir = std::env::temp_dir().join(format!("shim-alerts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("alerts.yml");
    std::fs::write(&file, alerts).unwrap();
    let checked = Command::new("python3")
        .args(["-c", "import sys, yaml; rules = yaml.safe_load(open(sys.argv[1])); \
               assert all(r['alert'] and r['expr'] and r['annotations']['summary'] for g in rules['groups'] for r in g['rules'])"])
        .arg(&file)
        .output();
    match checked {
        Ok(out) if out.status.success() => {}
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("No module named 'yaml'") => {
            crate::support::skipped(
                "the YAML check of alerts.yml: Python's yaml module is not here",
            );
        }
        Ok(out) => panic!("alerts.yml: {}", text(&out)),
        Err(_) => crate::support::skipped("the YAML check of alerts.yml: python3 is not here"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_whether_the_shim_answers() {
    let app = crate::support::TestApp::spawn("sqlite::memory:").await;
    let listen = app.url.trim_start_matches("http://").to_owned();
    let up = shim_env(&["health"], &[("SHIM_LISTEN", listen.as_str())]);
    assert!(up.status.success(), "{}", text(&up));
    let down = shim_env(&["health", "--url", "http://127.0.0.1:9/healthz"], &[]);
    assert!(!down.status.success());
    assert!(text(&down).contains("does not answer"), "{}", text(&down));
}

#[test]
fn the_compose_file_reads_and_asks_for_every_secret() {
    let compose = Command::new("docker-compose").arg("version").output();
    if !compose.is_ok_and(|o| o.status.success()) {
        crate::support::skipped("docker-compose is not installed here");
        return;
    }
    let deploy = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy");
    let set = [
        ("SHIM_DOMAIN", "pay.example"),
        ("SHIM_MERCHANT_UUID", "merchant"),
        ("SHIM_PAYMENT_KEY", "key"),
        ("SHIM_METRICS_TOKEN", "a-metrics-token-long-enough"),
        ("POSTGRES_PASSWORD", "secret"),
    ];
    let config = |vars: &[(&str, &str)]| {
        Command::new("docker-compose")
            .args(["-f", "compose.yaml", "config"])
            .current_dir(deploy)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(vars.iter().copied())
            .output()
            .unwrap()
    };
    let whole = config(&set);
    assert!(whole.status.success(), "{}", text(&whole));
    let said = text(&whole);
    for expected in [
        "postgres://shim:secret@db/shim",
        "https://pay.example",
        "caddy reverse-proxy --from pay.example --to shim:8080",
        "SHIM_TRUSTED_PROXIES: 172.30.80.10",
        "ipv4_address: 172.30.80.10",
    ] {
        assert!(said.contains(expected), "{expected} in {said}");
    }
    // Each secret left out stops it, naming what to set.
    for (name, _) in &set {
        let without: Vec<(&str, &str)> = set.iter().copied().filter(|(n, _)| n != name).collect();
        let refused = config(&without);
        assert!(!refused.status.success(), "{name}");
        assert!(
            text(&refused).contains(&format!("set {name}")),
            "{name}: {}",
            text(&refused)
        );
    }
    // The image: built by the project's own command, run from an empty image as an unprivileged
    // user, checked by the binary itself.
    let dockerfile = include_str!("../../../../deploy/Dockerfile");
    for line in [
        "RUN cargo xtask dist \\",
        "FROM scratch",
        "USER 10001:10001",
        "HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD [\"/server-shim\", \"health\"]",
    ] {
        assert!(dockerfile.lines().any(|l| l.trim_end() == line), "{line}");
    }
}
