//! A button that copies a value and says so.

use crate::i18n::Text;
use gloo_timers::callback::Timeout;
use std::rc::Rc;
use yew::prelude::*;

/// Properties of [`CopyButton`].
#[derive(Properties, PartialEq, Clone, Debug)]
pub struct CopyButtonProps {
    /// What is copied.
    pub value: AttrValue,
    /// The button's name for screen readers ("Copy address").
    pub label: AttrValue,
    /// The words, in the payer's language.
    pub text: Rc<Text>,
    /// A line shown under the row once the value has been copied, and kept.
    #[prop_or_default]
    pub hint: Option<&'static str>,
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
/// for two seconds, and the `hint`, if any, shows from the first copy on.
#[component]
pub fn CopyButton(props: &CopyButtonProps) -> Html {
    let feedback = use_state(|| Feedback::None);
    let copied_once = use_state(|| false);
    let onclick = {
        let (feedback, value, copied_once) =
            (feedback.clone(), props.value.clone(), copied_once.clone());
        Callback::from(move |_| {
            let copied = copy(&value);
            feedback.set(if copied {
                Feedback::Copied
            } else {
                Feedback::Unavailable
            });
            if copied {
                copied_once.set(true);
            }
            let feedback = feedback.clone();
            Timeout::new(2_000, move || feedback.set(Feedback::None)).forget();
        })
    };
    let shown = match *feedback {
        Feedback::None => props.text.copy,
        Feedback::Copied => props.text.copied,
        Feedback::Unavailable => props.text.copy_unavailable,
    };
    // The name stays "Copy address"; what happened is announced through the live region.
    html! {
        <>
            <button type="button" class="ckw-copy" {onclick} aria-label={props.label.clone()}>
                <span aria-hidden="true">{ shown }</span>
                <span class="ckw-sr" aria-live="polite">
                    { if *feedback == Feedback::None { "" } else { shown } }
                </span>
            </button>
            if let Some(hint) = props.hint.filter(|_| *copied_once) {
                <p class="ckw-hint" role="note">{ hint }</p>
            }
        </>
    }
}
