//! The footer: which version runs on which database (through the
//! `get_server_info` server function) and a button that probes the server's
//! health on demand.

use leptos::prelude::*;

use crate::api::system::{CheckHealth, get_server_info};
use crate::views::system::HealthStatus;

/// Site footer with server identity and an on-demand health check.
#[component]
pub fn Footer() -> impl IntoView {
    let info = Resource::new(|| (), |_| get_server_info());
    let check = ServerAction::<CheckHealth>::new();
    let checks = move || check.version().get();

    view! {
        <footer class="footer">
            <Suspense fallback=|| view! { <span class="muted">"Connecting…"</span> }>
                {move || {
                    info.get()
                        .map(|result| match result {
                            Ok(info) => view! {
                                <span id="server-info" data-database=info.database.label()>
                                    "PrintStash " {info.version} " · " {info.database.label()}
                                </span>
                            }
                            .into_any(),
                            Err(err) => view! {
                                <span class="error" role="alert">{err.message}</span>
                            }
                            .into_any(),
                        })
                }}
            </Suspense>
            <span class="health" id="health" data-checks=move || checks().to_string()>
                {move || match check.value().get() {
                    None if check.pending().get() => view! { <span class="muted">"Checking…"</span> }.into_any(),
                    None => view! { <span class="muted">"Not checked yet"</span> }.into_any(),
                    Some(Ok(health)) => {
                        let ok = health.status == HealthStatus::Ok;
                        view! {
                            <span
                                id="health-result"
                                class=if ok { "badge ok" } else { "badge warn" }
                                data-checked-at=health.checked_at.clone()
                            >
                                {if ok { "Database OK" } else { "Database not answering" }}
                                " · checked " {health.checked_at.get(11..19).unwrap_or_default().to_owned()} " UTC"
                            </span>
                        }
                        .into_any()
                    }
                    Some(Err(err)) => view! { <span class="badge warn" role="alert">{err.message}</span> }.into_any(),
                }}
                <button
                    id="check-health"
                    class="button small"
                    type="button"
                    on:click=move |_| {
                        check.dispatch(CheckHealth {});
                    }
                >
                    "Check server"
                </button>
            </span>
        </footer>
    }
}
