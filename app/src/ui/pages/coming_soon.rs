//! A placeholder page for destinations a later release fills in.

use leptos::prelude::*;
use leptos_meta::Title;

/// Says what the page will hold, so the navigation is honest about it.
#[component]
pub fn ComingSoon(title: &'static str, blurb: &'static str) -> impl IntoView {
    view! {
        <Title text=title />
        <section class="page">
            <h1>{title}</h1>
            <div class="empty">
                <p class="empty-title">"Coming soon"</p>
                <p class="muted">{blurb}</p>
            </div>
        </section>
    }
}
