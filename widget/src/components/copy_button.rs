//! A button that copies a value and says so.

use gloo_timers::callback::Timeout;
use yew::prelude::*;

/// Properties of [`CopyButton`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct CopyButtonProps {
    /// What is copied.
    pub value: AttrValue,
    /// What is copied, for screen readers ("address", "amount").
    pub what: AttrValue,
}

/// What the last click did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feedback {
    None,
    Copied,
    Unavailable,
}

/// Writes `text` to the clipboard; `false` where the page may not (no secure context).
fn copy(text: &str) -> bool {
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return false;
    };
    // `navigator.clipboard` is undefined outside secure contexts (plain http, not localhost).
    let available =
        js_sys::Reflect::get(&navigator, &"clipboard".into()).is_ok_and(|c| !c.is_undefined());
    if available {
        // The promise settles later; the visible feedback is for the click itself.
        let _ = navigator.clipboard().write_text(text);
    }
    available
}

/// Copies `value` to the clipboard; the label says "Copied" (or that copying is not possible here)
/// for two seconds.
#[component]
pub fn CopyButton(props: &CopyButtonProps) -> Html {
    let feedback = use_state(|| Feedback::None);
    let onclick = {
        let (feedback, value) = (feedback.clone(), props.value.clone());
        Callback::from(move |_| {
            feedback.set(if copy(&value) {
                Feedback::Copied
            } else {
                Feedback::Unavailable
            });
            let feedback = feedback.clone();
            Timeout::new(2_000, move || feedback.set(Feedback::None)).forget();
        })
    };
    let label = match *feedback {
        Feedback::None => "Copy",
        Feedback::Copied => "Copied",
        Feedback::Unavailable => "Select the text to copy",
    };
    html! {
        <button type="button" class="ckw-copy" {onclick} aria-label={format!("Copy {}", props.what)}>
            <span aria-live="polite">{ label }</span>
        </button>
    }
}
