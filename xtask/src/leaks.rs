//! Processes a test run leaves behind: every process the tests start inherits [`RUN_ENV`], so one
//! still alive once the runners are done (a `php -S` worker, a browser) is found by its
//! environment, reported, stopped, and fails the run.

/// The variable that marks the processes of one test run.
pub const RUN_ENV: &str = "CHECKOUT_KIT_RUN";

/// A process still running: its id and command line.
#[derive(Debug, Clone)]
pub struct Leftover {
    pub pid: u32,
    pub command: String,
}

impl std::fmt::Display for Leftover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {}: {}", self.pid, self.command)
    }
}

/// The processes carrying run `run`'s mark, other than this one (Linux `/proc`; elsewhere none
/// can be found, and none is reported).
pub fn left_running(run: &str) -> Vec<Leftover> {
    let mark = format!("{RUN_ENV}={run}");
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if !environ.split(|b| *b == 0).any(|var| var == mark.as_bytes()) {
            continue;
        }
        // A zombie has exited already: its parent just did not reap it.
        let state = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        if state
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        {
            continue;
        }
        let command = std::fs::read(entry.path().join("cmdline"))
            .map(|c| {
                String::from_utf8_lossy(&c)
                    .replace('\0', " ")
                    .trim()
                    .to_owned()
            })
            .unwrap_or_default();
        found.push(Leftover { pid, command });
    }
    found.sort_by_key(|p| p.pid);
    found
}

/// Stops `processes` (SIGKILL: they had their chance to end).
pub fn stop(processes: &[Leftover]) {
    for process in processes {
        let _ = std::process::Command::new("kill")
            .args(["-9", &process.pid.to_string()])
            .status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_that_outlives_its_run_is_found() {
        let run = format!("leak-test-{}", std::process::id());
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .env(RUN_ENV, &run)
            .spawn()
            .unwrap();
        // The child may take a moment to show its environment in /proc.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let found = loop {
            let found = left_running(&run);
            if !found.is_empty() || std::time::Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].pid, child.id());
        assert!(found[0].command.contains("sleep 30"), "{found:?}");
        stop(&found);
        let _ = child.wait();
        assert!(left_running(&run).is_empty());
        assert!(
            left_running("another-run")
                .iter()
                .all(|p| p.pid != child.id())
        );
    }
}
