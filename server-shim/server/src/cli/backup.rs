//! `backup` and `restore`: a consistent copy of the database while the shim runs, and putting one
//! back. SQLite is copied by the shim itself (`VACUUM INTO`); PostgreSQL by its own tools
//! (`pg_dump`, `pg_restore`), called when they are installed, else named with the exact command.

use super::*;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub(crate) struct BackupArgs {
    /// The file to write (never overwritten).
    #[arg(long)]
    to: PathBuf,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[derive(Args)]
pub(crate) struct RestoreArgs {
    /// The backup to put back (made by `server-shim backup`).
    #[arg(long)]
    from: PathBuf,
    /// Replace a database that holds invoices (SQLite: the old file is kept beside it, as
    /// `<file>.before-restore`). Stop the shim first.
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    database: DatabaseArgs,
}

/// The file of a `sqlite:` URL (`None` for memory or another scheme).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

/// For a PostgreSQL URL that picks a schema (`options=-c search_path=NAME`, as the tests use):
/// the URL without it, and the schema.
fn postgres_target(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut schema = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let decoded = pair
                .replace("%20", " ")
                .replace("%3D", "=")
                .replace("%3d", "=");
            match decoded.strip_prefix("options=-c search_path=") {
                Some(name) => {
                    schema = Some(name.to_owned());
                    false
                }
                None => true,
            }
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, schema)
}

/// Whether `program` can be run from the PATH.
fn installed(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `program` with `args`, or says what to run when it is not installed.
fn run_tool(program: &str, args: &[String], what: &str) -> anyhow::Result<()> {
    let line = format!("{program} {}", args.join(" "));
    if !installed(program) {
        anyhow::bail!(
            "{program} is not installed here: install PostgreSQL's client tools (Debian: apt-get install postgresql-client) or run, where they are:\n  {line}"
        );
    }
    let status = std::process::Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("cannot run {program}"))?;
    if !status.success() {
        anyhow::bail!("{what} failed ({program} exited with {status}); the command was:\n  {line}");
    }
    Ok(())
}

pub(crate) async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    if args.to.exists() {
        anyhow::bail!(
            "{} exists: a backup never overwrites a file; name another",
            args.to.display()
        );
    }
    let url = &args.database.database_url;
    let store = open_store(&args.database).await?;
    let invoices = store.invoice_count().await?;
    if store.backup_sqlite(&args.to).await? {
        let size = std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0);
        println!(
            "backup written to {} ({invoices} invoices, {size} bytes), consistent as of now",
            args.to.display()
        );
        return Ok(());
    }
    let (dsn, schema) = postgres_target(url);
    let mut tool = vec![
        "--format=custom".to_owned(),
        "--no-owner".to_owned(),
        format!("--file={}", args.to.display()),
    ];
    if let Some(schema) = schema {
        tool.push(format!("--schema={schema}"));
    }
    tool.push(format!("--dbname={dsn}"));
    run_tool("pg_dump", &tool, "the backup")?;
    println!(
        "backup written to {} by pg_dump ({invoices} invoices), consistent as of its start",
        args.to.display()
    );
    Ok(())
}

pub(crate) async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    if !args.from.is_file() {
        anyhow::bail!("{} is not a file", args.from.display());
    }
    let url = args.database.database_url.clone();
    if url.starts_with("sqlite:") {
        restore_sqlite(&args, &url).await
    } else {
        restore_postgres(&args, &url).await
    }
}

async fn restore_sqlite(args: &RestoreArgs, url: &str) -> anyhow::Result<()> {
    let Some(target) = sqlite_file(url) else {
        anyhow::bail!("restore needs a database file (sqlite://path), not {url}");
    };
    if target.exists() {
        let current = Store::connect(url).await?;
        let held = current.invoice_count().await?;
        drop(current);
        if held > 0 && !args.force {
            anyhow::bail!(
                "{} holds {held} invoices: restore into a new file, or stop the shim and pass --force (the current file is then kept as {}.before-restore)",
                target.display(),
                target.display()
            );
        }
    }
    // A copy of the backup beside the target, checked (a shim database this version can run)
    // and brought up to this version's schema before it takes the target's place.
    let partial = PathBuf::from(format!("{}.restoring", target.display()));
    std::fs::copy(&args.from, &partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let checked = check_backup(&args.from, &partial).await;
    let invoices = match checked {
        Ok(invoices) => invoices,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    if target.exists() && Store::connect(url).await?.invoice_count().await? > 0 {
        let kept = PathBuf::from(format!("{}.before-restore", target.display()));
        std::fs::rename(&target, &kept)
            .with_context(|| format!("cannot move {} aside", target.display()))?;
        println!("the current database is kept as {}", kept.display());
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", target.display()));
    }
    std::fs::rename(&partial, &target)
        .with_context(|| format!("cannot write {}", target.display()))?;
    println!(
        "restored {} into {} ({invoices} invoices)",
        args.from.display(),
        target.display()
    );
    Ok(())
}

/// Checks the copy `partial` of backup `from`: a shim database this version can run, migrated to
/// this version's schema. Returns how many invoices it holds.
async fn check_backup(from: &Path, partial: &Path) -> anyhow::Result<i64> {
    let not_backup = || format!("{} is not a server-shim backup", from.display());
    let copy = Store::connect(&format!("sqlite://{}", partial.display()))
        .await
        .with_context(not_backup)?;
    let status = copy.migration_status().await.with_context(not_backup)?;
    if status.applied.is_empty() {
        anyhow::bail!(not_backup());
    }
    if let Some(newest) = status.unknown.iter().max() {
        anyhow::bail!(
            "{} was made by a newer server-shim (migration {newest}): restore it with that version",
            from.display()
        );
    }
    copy.migrate().await?;
    let invoices = copy.invoice_count().await?;
    if let Store::Sqlite(pool, _) = &copy {
        // One file again: the write-ahead log folded in before the copy is moved.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await?;
        pool.close().await;
    }
    Ok(invoices)
}

async fn restore_postgres(args: &RestoreArgs, url: &str) -> anyhow::Result<()> {
    let store = Store::connect(url).await?;
    let held = store.invoice_count().await?;
    if held > 0 && !args.force {
        anyhow::bail!(
            "the database holds {held} invoices: restore into an empty database (createdb), or stop the shims and pass --force to drop what is there first"
        );
    }
    let (dsn, schema) = postgres_target(url);
    let mut tool = vec!["--no-owner".to_owned(), "--exit-on-error".to_owned()];
    if held > 0 || !store.migration_status().await?.applied.is_empty() {
        tool.push("--clean".to_owned());
        tool.push("--if-exists".to_owned());
    }
    if let Some(schema) = &schema {
        // The schema the URL picks: made first, so that its objects have somewhere to go.
        if !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            anyhow::bail!("the schema name {schema:?} in the URL is not a plain identifier");
        }
        let pool = sqlx::PgPool::connect(&dsn).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(&pool)
        .await?;
        pool.close().await;
        tool.push(format!("--schema={schema}"));
    }
    drop(store);
    tool.push(format!("--dbname={dsn}"));
    tool.push(args.from.display().to_string());
    run_tool("pg_restore", &tool, "the restore")?;
    let store = Store::connect(url).await?;
    store.migrate().await?;
    println!(
        "restored {} ({} invoices)",
        args.from.display(),
        store.invoice_count().await?
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_file_or_schema() {
        assert_eq!(
            sqlite_file("sqlite://shim.db"),
            Some(PathBuf::from("shim.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/s.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/s.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(
            postgres_target("postgres://u@h/db?options=-c%20search_path%3Dshim_x"),
            ("postgres://u@h/db".to_owned(), Some("shim_x".to_owned()))
        );
        assert_eq!(
            postgres_target("postgres://u@h/db?sslmode=require"),
            ("postgres://u@h/db?sslmode=require".to_owned(), None)
        );
    }
}
