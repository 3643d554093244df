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
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
    /// Tests that did not run what their name promises, each with why.
    pub skipped: Vec<String>,
    /// The test commands that failed.
    pub failures: Vec<String>,
}

/// The file tests report to (`CHECKOUT_KIT_TALLY`): `ran <runner> <passed> <failed>` for the
/// suites a test runs inside (PHPUnit, node), `skipped <test>: <why>` for what did not run.
pub const TALLY_ENV: &str = "CHECKOUT_KIT_TALLY";

impl Tally {
    /// Adds up what the tests reported in `file`.
    pub fn read_reports(&mut self, file: &Path) {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        self.add_reports(&text);
    }

    fn add_reports(&mut self, text: &str) {
        for line in text.lines() {
            if let Some(skip) = line.strip_prefix("skipped ") {
                self.skipped.push(skip.to_owned());
            } else if let Some(ran) = line.strip_prefix("ran ") {
                let numbers: Vec<u64> = ran
                    .split_whitespace()
                    .skip(1)
                    .filter_map(|n| n.parse().ok())
                    .collect();
                if let [passed, failed] = numbers[..] {
                    self.passed += passed;
                    self.failed += failed;
                }
            }
        }
    }

    /// The closing line: `N passed, N failed, N skipped`.
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed,
            self.failed,
            self.skipped.len()
        )
    }
}

/// Runs a test command like [`run`], echoing its output, and adds up its
/// `test result: ok. N passed; M failed` lines into `tally`. A failing command is recorded in
/// `tally.failures`, not returned: the other runners still run and the summary still prints.
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
        tally.failures.push(format!("`{text}` failed ({status})"));
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
    use super::{Tally, count};

    #[test]
    fn reports_of_suites_and_skips_add_up() {
        let mut tally = Tally {
            passed: 3,
            ..Tally::default()
        };
        tally.add_reports(
            "ran phpunit 11 0\nskipped store::pg: SHIM_TEST_POSTGRES_URL is not set\nran node 5 1\nnoise\n",
        );
        assert_eq!(tally.line(), "19 passed, 1 failed, 1 skipped");
        assert_eq!(
            tally.skipped,
            ["store::pg: SHIM_TEST_POSTGRES_URL is not set"]
        );
    }

    #[test]
    fn reads_cargo_test_summaries() {
        let line =
            "ok. 11 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.35s";
        assert_eq!((count(line, " passed"), count(line, " failed")), (11, 2));
        assert_eq!(count("FAILED. 0 passed; 1 failed; 0 ignored", " failed"), 1);
    }
}
