//! The Leptos UI: the HTML shell, the app layout with its navigation, and the
//! routes to each page.

pub mod browse;
pub mod components;
pub mod live;
pub mod offline;
pub mod pages;
pub mod scroll;
pub mod session;
pub mod upload;

use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use components::footer::Footer;
use components::nav::{BottomNav, TopNav};
use pages::collections::CollectionsPage;
use pages::library::LibraryPage;
use pages::model::ModelPage;
use pages::not_found::NotFound;
use pages::printers::PrintersPage;
use pages::settings::SettingsPage;
use pages::sign_in::{LoginPage, SetupPage};
use pages::trash::TrashPage;
use session::{RequireUser, provide_session};

/// The full HTML document rendered on the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
                <HydrationScripts options />
                <MetaTags />
                <script inner_html=offline::REGISTER_SCRIPT></script>
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout, navigation and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_session();
    // Effects run only in the browser, so this flips once hydration happened.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| {
        scroll::track_scroll_positions();
        hydrated.set(true);
    });

    view! {
        <Stylesheet id="app-css" href="/pkg/printstash.css" />
        <Title formatter=|page: String| if page.is_empty() { "PrintStash".to_owned() } else { format!("{page} · PrintStash") } />
        <Meta name="description" content="PrintStash: your self-hosted vault for meshes and the G-code you sliced from them." />
        <Meta name="theme-color" content="#1f6feb" />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Link rel="apple-touch-icon" href="/icons/icon-192.png" />
        <Link rel="manifest" href="/manifest.webmanifest" />
        <Router>
            <div id="app" class="app" data-hydrated=move || hydrated.get().to_string()>
                <TopNav />
                <offline::OfflineBanner />
                <main class="content" id="main">
                    <Routes fallback=NotFound>
                        <Route path=path!("/setup") view=SetupPage />
                        <Route path=path!("/login") view=LoginPage />
                        <Route path=path!("/") view=|| view! { <RequireUser><LibraryPage /></RequireUser> } />
                        <Route path=path!("/models/:id") view=|| view! { <RequireUser><ModelPage /></RequireUser> } />
                        <Route path=path!("/collections") view=|| view! { <RequireUser><CollectionsPage /></RequireUser> } />
                        <Route path=path!("/printers") view=|| view! { <RequireUser><PrintersPage /></RequireUser> } />
                        <Route path=path!("/trash") view=|| view! { <RequireUser><TrashPage /></RequireUser> } />
                        <Route path=path!("/settings") view=|| view! { <RequireUser><SettingsPage /></RequireUser> } />
                    </Routes>
                </main>
                <Footer />
                <BottomNav />
            </div>
        </Router>
    }
}
