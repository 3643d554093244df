//! Accessibility checks: axe-core (npm), run inside the page under test, against WCAG 2.1 A and AA.

use crate::webdriver::Browser;
use anyhow::{Context as _, Result};
use serde_json::Value;

/// `axe.min.js`: `AXE_CORE_JS` (set by `cargo xtask test`, which installs axe-core).
fn axe_source() -> Result<String> {
    let path = std::env::var_os("AXE_CORE_JS").context(
        "AXE_CORE_JS is not set: run the tests with `cargo xtask test` (it installs axe-core from npm)",
    )?;
    std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read axe-core at {}", path.to_string_lossy()))
}

/// The WCAG 2.1 A and AA violations axe finds on the current page: for each, the rule, its
/// impact, what it asks for, and the elements that break it.
pub async fn violations(browser: &Browser) -> Result<Vec<Value>> {
    let loaded = browser
        .eval("return typeof window.axe === 'object'")
        .await?;
    if loaded != Value::Bool(true) {
        // Evaluated by the driver, not as a page script, so the page's CSP does not stand in the way.
        browser
            .eval(&format!("{}\nreturn true", axe_source()?))
            .await?;
    }
    let result = browser
        .eval_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
               .then(r => done(r.violations.map(v => ({
                   rule: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.map(n => n.target.join(' ')) }))))
               .catch(e => done({ error: String(e) }));",
        )
        .await?;
    if let Some(error) = result.get("error") {
        anyhow::bail!("axe failed: {error}");
    }
    Ok(result.as_array().cloned().unwrap_or_default())
}
