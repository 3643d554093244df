//! Crash points for the crash test. In debug builds only, `SHIM_FAULT_ABORT_AFTER_INBOX=N` makes
//! the N-th webhook (of the status `SHIM_FAULT_ABORT_STATUS` names, if set) be stored in the inbox
//! and acknowledged without being applied, and the process abort a moment later, as a SIGKILL
//! would stop it: the gateway, answered 200, does not send it again, so only the inbox can bring
//! it back. Release builds have no such point.

/// Whether this webhook, just stored, is the one to crash on: then the caller acknowledges it
/// without applying it, and the process aborts a moment later.
#[cfg(debug_assertions)]
pub fn crash_after_inbox(status: &str) -> bool {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STORED: AtomicU64 = AtomicU64::new(0);
    let Some(limit) = std::env::var("SHIM_FAULT_ABORT_AFTER_INBOX")
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
    else {
        return false;
    };
    if std::env::var("SHIM_FAULT_ABORT_STATUS").is_ok_and(|only| only != status) {
        return false;
    }
    if STORED.fetch_add(1, Ordering::SeqCst) + 1 != limit {
        return false;
    }
    std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_millis(200));
        std::process::abort();
    });
    true
}

/// No crash points in release builds.
#[cfg(not(debug_assertions))]
pub fn crash_after_inbox(_status: &str) -> bool {
    false
}
