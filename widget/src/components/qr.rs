//! The QR code, as inline SVG.

use qrcode::QrCode;
use qrcode::render::svg;
use yew::prelude::*;

/// Properties of [`Qr`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct QrProps {
    /// What the code carries.
    pub data: AttrValue,
    /// A text alternative.
    pub label: AttrValue,
}

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

/// A scannable QR code of `data`.
#[component]
pub fn Qr(props: &QrProps) -> Html {
    let svg = use_memo(props.data.clone(), |data| qr_svg(data));
    use_effect_with((), |()| {
        if let Some(performance) = web_sys::window().and_then(|w| w.performance())
            && performance.get_entries_by_name(QR_MARK).length() == 0
        {
            let _ = performance.mark(QR_MARK);
        }
    });
    match svg.as_ref() {
        Some(svg) => html! {
            <div class="ckw-qr" role="img" aria-label={props.label.clone()}>
                { Html::from_html_unchecked(AttrValue::from(svg.clone())) }
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
