//! What the tests that run a suite of another runner (PHPUnit, node) tell `cargo xtask test`,
//! so that its closing line counts each of that suite's tests.

/// Reports that `runner`'s suite ran `passed` tests and `failed` ones to `CHECKOUT_KIT_TALLY`.
pub fn report(runner: &str, passed: u64, failed: u64) {
    let Some(file) = std::env::var_os("CHECKOUT_KIT_TALLY") else {
        return;
    };
    use std::io::Write as _;
    if let Ok(mut out) = std::fs::OpenOptions::new().append(true).open(file) {
        let _ = writeln!(out, "ran {runner} {passed} {failed}");
    }
}

/// The number after `label` in a runner's summary (`# pass 6`, `Tests: 13`).
pub fn number_after(text: &str, label: &str) -> Option<u64> {
    let at = text.find(label)? + label.len();
    let digits: String = text[at..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}
