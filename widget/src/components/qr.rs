//! The QR code, as inline SVG.

use qrcode::QrCode;
use qrcode::render::svg;
use yew::prelude::*;

/// The SVG markup of a QR code for `data`, without the XML prolog; `None` if it does not fit.
pub fn qr_svg(data: &str) -> Option<String> {
    let code = QrCode::new(data.as_bytes()).ok()?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let start = svg.find("<svg")?;
    Some(svg[start..].to_owned())
}

/// The performance mark set when the first QR code is on the page (`cargo xtask bench` reads it:
/// the time from navigation to something a wallet can scan).
pub const QR_MARK: &str = "checkout:qr";

/// Sets [`QR_MARK`] unless it is set. Called as a code is first rendered, which Yew puts on the
/// page in the same task, before the browser paints.
fn mark_shown() {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance())
        && performance.get_entries_by_name(QR_MARK).length() == 0
    {
        let _ = performance.mark(QR_MARK);
    }
}

thread_local! {
    /// The last code drawn: the cards render every second (the countdown), the code seldom changes.
    static LAST: std::cell::RefCell<Option<(AttrValue, Option<AttrValue>)>> =
        const { std::cell::RefCell::new(None) };
}

/// A scannable QR code of `data`, named `label` for screen readers; nothing if `data` is too
/// long for a QR code.
///
/// A plain function, not a component: it has no state of its own, and each Yew component costs
/// the widget about a kilobyte of its payers' download.
pub fn qr(data: &str, label: AttrValue) -> Html {
    let svg = LAST.with_borrow_mut(|last| match last {
        Some((drawn, svg)) if drawn == data => svg.clone(),
        _ => {
            let svg = qr_svg(data).map(AttrValue::from);
            if svg.is_some() {
                mark_shown();
            }
            *last = Some((data.to_owned().into(), svg.clone()));
            svg
        }
    });
    match svg {
        Some(svg) => html! {
            <div class="ckw-qr" role="img" aria-label={label}>
                { Html::from_html_unchecked(svg) }
            </div>
        },
        None => html! {},
    }
}

#[cfg(test)]
mod tests {
    use super::qr_svg;

    #[test]
    fn renders_an_svg() {
        let svg =
            qr_svg("bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4?amount=0.001").unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("<?xml"));
    }
}
