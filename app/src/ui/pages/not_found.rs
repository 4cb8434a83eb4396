//! The 404 page.

use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for any path no route matches.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <section class="page">
            <h1>"Page not found"</h1>
            <p class="muted">"There is nothing at this address. " <a href="/">"Back to the library"</a></p>
        </section>
    }
}
