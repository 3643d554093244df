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

/// Copies `value` to the clipboard; the label turns to "Copied" for two seconds.
#[component]
pub fn CopyButton(props: &CopyButtonProps) -> Html {
    let copied = use_state(|| false);
    let onclick = {
        let (copied, value) = (copied.clone(), props.value.clone());
        Callback::from(move |_| {
            if let Some(window) = web_sys::window() {
                // The promise settles later; the visible feedback is for the click itself.
                let _ = window.navigator().clipboard().write_text(&value);
            }
            copied.set(true);
            let copied = copied.clone();
            Timeout::new(2_000, move || copied.set(false)).forget();
        })
    };
    let label = if *copied { "Copied" } else { "Copy" };
    html! {
        <button type="button" class="ckw-copy" {onclick} aria-label={format!("Copy {}", props.what)}>
            <span aria-live="polite">{ label }</span>
        </button>
    }
}
