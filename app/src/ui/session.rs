//! Who is signed in, as the UI sees it: loaded once per page load (on the
//! server for the first paint, reused by hydration) and shared as context.
//! [`RequireUser`] sends visitors to the one-time setup or to sign-in.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::api::auth::get_session_state;
use crate::error::AppError;
use crate::views::auth::SessionState;

/// The session resource, provided by [`provide_session`].
#[derive(Clone, Copy)]
pub struct Session(pub Resource<Result<SessionState, AppError>>);

/// Loads the session state and provides it to every page.
pub fn provide_session() {
    let state = Resource::new_blocking(|| (), |_| get_session_state());
    provide_context(Session(state));
}

/// The session context (panics only if `App` forgot to provide it).
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Whether the signed-in user is a vault admin (false while the session
/// loads or nobody is signed in), for showing admin-only controls.
pub fn signed_in_admin() -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    let Session(state) = use_session();
    move || {
        state
            .get()
            .and_then(Result::ok)
            .and_then(|s| s.user)
            .is_some_and(|u| u.is_admin)
    }
}

/// Reloads the app from the server (after sign-in, setup or sign-out the
/// whole UI starts over with the new session).
pub fn reload_at(path: &str) {
    if let Err(err) = window().location().set_href(path) {
        leptos::logging::error!("navigation to {path} failed: {err:?}");
    }
}

/// Renders `children` for a signed-in user; everyone else goes to setup
/// (while the vault has no admin) or to the sign-in page.
#[component]
pub fn RequireUser(children: ChildrenFn) -> impl IntoView {
    let Session(state) = use_session();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match state.await {
                        Ok(SessionState { needs_setup: true, .. }) => {
                            view! { <Redirect path="/setup" /> }.into_any()
                        }
                        Ok(SessionState { user: None, .. }) => {
                            view! { <Redirect path="/login" /> }.into_any()
                        }
                        Ok(_) => children().into_any(),
                        Err(err) => {
                            view! { <p class="form-error" role="alert">{err.message}</p> }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}
