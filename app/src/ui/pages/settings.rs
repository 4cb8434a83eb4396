//! `/settings`: the signed-in user's API tokens (make one, shown once; list;
//! revoke) and password change; for admins also users, the runtime
//! settings and vault statistics (`admin`).

use leptos::html::{Input, Select};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::{ChangePassword, CreateApiToken, RevokeApiToken, list_api_tokens};
use crate::params::auth::{ChangePasswordParams, CreateTokenParams};
use crate::ui::components::errors::{error_list, failure};
use crate::ui::pages::admin::{RuntimeSettingsCard, UsersCard, VaultStatsCard};
use crate::ui::session::reload_at;
use crate::views::auth::ApiTokenView;

fn value_of(input: NodeRef<Input>) -> String {
    input.get().map(|i| i.value()).unwrap_or_default()
}

/// The date part of an RFC 3339 time.
fn day(time: &str) -> String {
    time.get(..10).unwrap_or(time).to_owned()
}

/// The settings page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Title text="Settings" />
        <section class="page settings">
            <h1>"Settings"</h1>
            <ApiTokens />
            <PasswordChange />
            // Admin cards; each shows nothing to a caller it is not for.
            <UsersCard />
            <RuntimeSettingsCard />
            <VaultStatsCard />
        </section>
    }
}

fn token_state(token: &ApiTokenView) -> &'static str {
    if token.revoked_at.is_some() {
        "revoked"
    } else {
        "active"
    }
}

#[component]
fn ApiTokens() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_api_tokens(),
    );
    let name = NodeRef::<Input>::new();
    let expiry = NodeRef::<Select>::new();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let expires_in_days = expiry
            .get()
            .and_then(|s| s.value().parse::<u32>().ok())
            .filter(|d| *d > 0);
        create.dispatch(CreateApiToken {
            params: CreateTokenParams {
                name: value_of(name),
                expires_in_days,
            },
        });
    };
    view! {
        <div class="card" id="api-tokens">
            <h2>"API tokens"</h2>
            <p class="muted">
                "For scripts and slicers. Send a token as " <code>"Authorization: Bearer …"</code>
                " or " <code>"X-Api-Key: …"</code> ". It acts as you, and is shown only once, right after you make it."
            </p>
            <form class="inline-form" on:submit=on_submit>
                <label for="token-name">"Name"</label>
                <input id="token-name" node_ref=name placeholder="PrusaSlicer on the laptop" maxlength="100" required />
                <label for="token-expiry">"Expires"</label>
                <select id="token-expiry" node_ref=expiry>
                    <option value="0">"Never"</option>
                    <option value="30">"In 30 days"</option>
                    <option value="90">"In 90 days"</option>
                    <option value="365">"In a year"</option>
                </select>
                <button id="token-create" class="button primary" type="submit" disabled=move || create.pending().get()>
                    "Make token"
                </button>
            </form>
            {move || create.value().get().map(|result| match result {
                Ok(created) => view! {
                    <div class="token-secret" role="status">
                        <p>"Copy this token now; it will not be shown again."</p>
                        <code id="new-token">{created.token}</code>
                    </div>
                }.into_any(),
                Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
            })}
            {move || error_list([failure(revoke.value().get())])}
            <Suspense fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" id="no-tokens">"You have no API tokens yet."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="token-list" id="token-list">
                                {list.into_iter().map(|token| {
                                    let id = token.id;
                                    let state = token_state(&token);
                                    view! {
                                        <li class="token" data-state=state>
                                            <div class="token-main">
                                                <span class="token-name">{token.name.clone()}</span>
                                                <code class="muted">{format!("{}…", token.prefix)}</code>
                                            </div>
                                            <div class="token-meta muted">
                                                "Made " {day(&token.created_at)}
                                                {token.expires_at.as_deref().map(|t| format!(" · expires {}", day(t)))}
                                                " · "
                                                {match token.last_used_at.as_deref() {
                                                    Some(t) => format!("last used {}", day(t)),
                                                    None => "never used".to_owned(),
                                                }}
                                            </div>
                                            {if token.revoked_at.is_some() {
                                                view! { <span class="badge warn">"Revoked"</span> }.into_any()
                                            } else {
                                                view! {
                                                    <button
                                                        class="button small"
                                                        type="button"
                                                        aria-label=format!("Revoke the token {}", token.name)
                                                        on:click=move |_| {
                                                            revoke.dispatch(RevokeApiToken { id });
                                                        }
                                                    >
                                                        "Revoke"
                                                    </button>
                                                }.into_any()
                                            }}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn PasswordChange() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let current = NodeRef::<Input>::new();
    let new = NodeRef::<Input>::new();
    let confirm = NodeRef::<Input>::new();
    let mismatch = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            // Every session of this user ended, this one too.
            reload_at("/login");
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new_password = value_of(new);
        if new_password != value_of(confirm) {
            mismatch.set(true);
            return;
        }
        mismatch.set(false);
        change.dispatch(ChangePassword {
            params: ChangePasswordParams {
                current_password: value_of(current),
                new_password,
            },
        });
    };
    view! {
        <div class="card" id="password">
            <h2>"Password"</h2>
            <p class="muted">"Changing it signs you out everywhere; your API tokens keep working."</p>
            <form class="stack-form" on:submit=on_submit>
                <label for="current-password">"Current password"</label>
                <input id="current-password" node_ref=current type="password" autocomplete="current-password" required />
                <label for="new-password">"New password"</label>
                <input id="new-password" node_ref=new type="password" autocomplete="new-password" minlength="8" required />
                <label for="confirm-password">"New password again"</label>
                <input id="confirm-password" node_ref=confirm type="password" autocomplete="new-password" minlength="8" required />
                <Show when=move || mismatch.get()>
                    <p class="form-error" role="alert">"The two new passwords are not the same."</p>
                </Show>
                {move || error_list([failure(change.value().get())])}
                <button class="button" type="submit" disabled=move || change.pending().get()>"Change password"</button>
            </form>
        </div>
    }
}
