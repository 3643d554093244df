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
             const brief = (list) => list.map(v => ({
                 rule: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.map(n => n.target.join(' ')) }));
             axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
               .then(r => done({ violations: brief(r.violations), incomplete: brief(r.incomplete) }))
               .catch(e => done({ error: String(e) }));",
        )
        .await?;
    let (violations, incomplete) = read_results(&result)?;
    // What axe could not decide (contrast over an image, say) is for a person to look at: shown
    // with the test's output, not counted as a failure.
    for item in &incomplete {
        eprintln!("axe could not decide, check by hand: {item}");
    }
    Ok(violations)
}

/// The violations and the undecided results of an answer of the script above; anything else
/// (an error, a missing or mistyped list) is an error, never "no violations".
fn read_results(result: &Value) -> Result<(Vec<Value>, Vec<Value>)> {
    if let Some(error) = result.get("error") {
        anyhow::bail!("axe failed: {error}");
    }
    let list = |name: &str| {
        result
            .get(name)
            .and_then(Value::as_array)
            .cloned()
            .with_context(|| format!("axe answered without a `{name}` list: {result}"))
    };
    Ok((list("violations")?, list("incomplete")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_that_is_not_axes_is_an_error_not_a_pass() {
        assert!(read_results(&json!(null)).is_err());
        assert!(read_results(&json!([])).is_err());
        assert!(read_results(&json!({ "violations": "none" , "incomplete": [] })).is_err());
        assert!(read_results(&json!({ "violations": [] })).is_err());
        assert!(read_results(&json!({ "error": "axe is not defined" })).is_err());
        let (violations, incomplete) =
            read_results(&json!({ "violations": [{ "rule": "x" }], "incomplete": [] })).unwrap();
        assert_eq!((violations.len(), incomplete.len()), (1, 0));
    }
}
