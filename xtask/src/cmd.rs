//! Running commands so that the user sees what runs and why it failed.

use anyhow::{Context as _, Result, bail};
use std::cell::RefCell;
use std::path::Path;
use std::process::Command;

thread_local! {
    /// Variables added for every command this process runs (`ci` sets the test database).
    pub static ENV_OVERRIDES: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
}

/// The override set for `key`, if any.
pub fn override_of(key: &str) -> Option<String> {
    ENV_OVERRIDES.with(|env| {
        env.borrow()
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    })
}

/// Prints a step heading.
pub fn step(what: &str) {
    println!("\n==> {what}");
}

/// A `cargo` command in the workspace root.
pub fn cargo(root: &Path) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root);
    command
}

fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs `command`, echoing it, with the environment overrides; fails on a non-zero exit.
pub fn run(command: &mut Command) -> Result<()> {
    ENV_OVERRIDES.with(|env| {
        for (key, value) in env.borrow().iter() {
            command.env(key, value);
        }
    });
    let text = describe(command);
    println!("$ {text}");
    let status = command
        .status()
        .with_context(|| format!("could not start `{text}`"))?;
    if !status.success() {
        bail!("`{text}` failed ({status})");
    }
    Ok(())
}

/// Tests counted across the runs of [`run_tests`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
}

/// Runs a test command like [`run`], echoing its output, and adds up its
/// `test result: ok. N passed; M failed` lines into `tally`.
pub fn run_tests(command: &mut Command, tally: &mut Tally) -> Result<()> {
    use std::io::{BufRead as _, BufReader};
    ENV_OVERRIDES.with(|env| {
        for (key, value) in env.borrow().iter() {
            command.env(key, value);
        }
    });
    let text = describe(command);
    println!("$ {text}");
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("could not start `{text}`"))?;
    if let Some(stdout) = child.stdout.take() {
        // Test output is not always UTF-8; read raw lines so that nothing stops the echo early.
        for line in BufReader::new(stdout).split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line);
            println!("{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                tally.passed += count(rest, " passed");
                tally.failed += count(rest, " failed");
            }
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("`{text}` failed ({status})");
    }
    Ok(())
}

/// The number just before `label` in `ok. 3 passed; 0 failed; ...`.
fn count(summary: &str, label: &str) -> u64 {
    summary
        .split([';', '.'])
        .find_map(|part| part.trim().strip_suffix(label.trim_start()))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// Runs `command` quietly and returns its standard output, or `None` if it could not run or failed.
pub fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn reads_cargo_test_summaries() {
        let line =
            "ok. 11 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.35s";
        assert_eq!((count(line, " passed"), count(line, " failed")), (11, 2));
        assert_eq!(count("FAILED. 0 passed; 1 failed; 0 ignored", " failed"), 1);
    }
}
