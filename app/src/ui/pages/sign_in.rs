//! The sign-in page and the one-time setup page that creates the first admin.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::api::auth::{Login, SetupAdmin};
use crate::params::auth::CredentialsParams;
use crate::ui::session::{Session, reload_at, use_session};
use crate::views::auth::SessionState;

fn value_of(input: NodeRef<leptos::html::Input>) -> String {
    input.get().map(|i| i.value()).unwrap_or_default()
}

/// `/login`: name and password; wrong credentials and rate limits are
/// explained in place.
#[component]
pub fn LoginPage() -> impl IntoView {
    let Session(state) = use_session();
    let username = NodeRef::<leptos::html::Input>::new();
    let password = NodeRef::<leptos::html::Input>::new();
    let login = ServerAction::<Login>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = login.value().get() {
            reload_at("/");
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        login.dispatch(Login {
            params: CredentialsParams {
                username: value_of(username),
                password: value_of(password),
            },
        });
    };
    view! {
        <Title text="Sign in" />
        <Suspense>
            {move || Suspend::new(async move {
                match state.await {
                    Ok(SessionState { needs_setup: true, .. }) => {
                        view! { <Redirect path="/setup" /> }.into_any()
                    }
                    Ok(SessionState { user: Some(_), .. }) => {
                        view! { <Redirect path="/" /> }.into_any()
                    }
                    _ => ().into_any(),
                }
            })}
        </Suspense>
        <section class="page auth-page">
            <form class="auth-card" on:submit=on_submit>
                <h1>"Sign in"</h1>
                <label for="login-username">"Username"</label>
                <input id="login-username" node_ref=username name="username" autocomplete="username" required autofocus />
                <label for="login-password">"Password"</label>
                <input id="login-password" node_ref=password name="password" type="password" autocomplete="current-password" required />
                {move || login.value().get().and_then(Result::err).map(|err| view! {
                    <p id="login-error" class="form-error" role="alert">{err.message}</p>
                })}
                <button id="login-submit" class="button primary" type="submit" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </section>
    }
}

/// `/setup`: creates the first admin while none exists, then signs in.
#[component]
pub fn SetupPage() -> impl IntoView {
    let Session(state) = use_session();
    let username = NodeRef::<leptos::html::Input>::new();
    let password = NodeRef::<leptos::html::Input>::new();
    let confirm = NodeRef::<leptos::html::Input>::new();
    let mismatch = RwSignal::new(false);
    let setup = ServerAction::<SetupAdmin>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = setup.value().get() {
            reload_at("/");
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let first = value_of(password);
        if first != value_of(confirm) {
            mismatch.set(true);
            return;
        }
        mismatch.set(false);
        setup.dispatch(SetupAdmin {
            params: CredentialsParams {
                username: value_of(username),
                password: first,
            },
        });
    };
    view! {
        <Title text="Set up" />
        <Suspense>
            {move || Suspend::new(async move {
                match state.await {
                    // Done already: the app (which asks for sign-in if needed).
                    Ok(SessionState { needs_setup: false, .. }) => {
                        view! { <Redirect path="/" /> }.into_any()
                    }
                    _ => ().into_any(),
                }
            })}
        </Suspense>
        <section class="page auth-page">
            <form class="auth-card" on:submit=on_submit>
                <h1>"Welcome to PrintStash"</h1>
                <p class="muted">"Create the administrator account. It can add other users later."</p>
                <label for="setup-username">"Username"</label>
                <input id="setup-username" node_ref=username name="username" autocomplete="username" required autofocus />
                <label for="setup-password">"Password"</label>
                <input id="setup-password" node_ref=password name="password" type="password" autocomplete="new-password" minlength="8" required />
                <label for="setup-confirm">"Password again"</label>
                <input id="setup-confirm" node_ref=confirm name="confirm" type="password" autocomplete="new-password" minlength="8" required />
                <Show when=move || mismatch.get()>
                    <p class="form-error" role="alert">"The two passwords are not the same."</p>
                </Show>
                {move || setup.value().get().and_then(Result::err).map(|err| view! {
                    <p id="setup-error" class="form-error" role="alert">{err.message}</p>
                })}
                <button id="setup-submit" class="button primary" type="submit" disabled=move || setup.pending().get()>
                    "Create administrator"
                </button>
            </form>
        </section>
    }
}
