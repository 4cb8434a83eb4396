//! The star toggle on cards and model pages: marks a model to keep at hand
//! (the library's Starred filter) and, on this device, for offline viewing.

use leptos::prelude::*;

use crate::api::models::StarModel;
use crate::ui::offline::sync_offline_copy;

/// A toggle button for the caller's star on one model. `compact` shows the
/// star alone (cards); otherwise with a word (model page).
#[component]
pub fn StarButton(
    model_id: i32,
    starred: bool,
    #[prop(into)] name: String,
    #[prop(optional)] compact: bool,
) -> impl IntoView {
    let on = RwSignal::new(starred);
    let star = ServerAction::<StarModel>::new();
    Effect::new(move |_| match star.value().get() {
        Some(Ok(())) => sync_offline_copy(),
        // The change did not stick: show the star as it is on the server.
        Some(Err(_)) => on.update(|v| *v = !*v),
        None => {}
    });
    let label = move || {
        if on.get() {
            format!("Unstar {name}")
        } else {
            format!("Star {name} (keeps it for offline viewing)")
        }
    };
    view! {
        <button
            type="button"
            class=move || match (compact, on.get()) {
                (true, true) => "star-toggle compact starred",
                (true, false) => "star-toggle compact",
                (false, true) => "button small star-toggle starred",
                (false, false) => "button small star-toggle",
            }
            aria-pressed=move || on.get().to_string()
            aria-label=label.clone()
            title=label
            disabled=move || star.pending().get()
            on:click=move |ev| {
                ev.prevent_default();
                ev.stop_propagation();
                let next = !on.get_untracked();
                on.set(next);
                star.dispatch(StarModel { id: model_id, starred: next });
            }
        >
            <span aria-hidden="true">{move || if on.get() { "★" } else { "☆" }}</span>
            {(!compact).then(|| view! { <span>{move || if on.get() { " Starred" } else { " Star" }}</span> })}
        </button>
    }
}
