//! The library: the vault's home page.

use leptos::prelude::*;
use leptos_meta::Title;

/// The library page. Browsing arrives with the vault core; until then it
/// explains what the vault will hold.
#[component]
pub fn LibraryPage() -> impl IntoView {
    view! {
        <Title text="Library" />
        <section class="page">
            <h1>"Library"</h1>
            <div class="empty">
                <p class="empty-title">"Your vault is empty"</p>
                <p class="muted">
                    "Keep every mesh and every G-code you sliced from it. Uploading arrives with the next release; "
                    "meanwhile the server is up and its database answers (see the footer)."
                </p>
            </div>
        </section>
    }
}
