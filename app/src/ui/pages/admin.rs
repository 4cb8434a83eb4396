//! The admin's part of the settings page: vault statistics, the runtime
//! settings (ADR 0002 overlay) and the users (create, make admin, disable,
//! reset a password, delete).

use leptos::prelude::*;

use crate::api::models::vault_stats;
use crate::api::settings::{UpdateRuntimeSettings, get_runtime_settings};
use crate::api::users::{CreateUser, DeleteUser, ResetPassword, UpdateUser, list_users};
use crate::params::auth::{CreateUserParams, ResetPasswordParams, UpdateUserParams};
use crate::params::settings::UpdateSettingsParams;
use crate::ui::browse::cards::size;
use crate::ui::components::errors::{error_list, failure};
use crate::views::settings::SettingType;

/// Nothing for a caller the card is not for; the error for anything else.
fn not_for_you(err: crate::error::AppError) -> AnyView {
    if err.code == crate::error::ErrorCode::Forbidden {
        ().into_any()
    } else {
        view! { <p class="form-error" role="alert">{err.message}</p> }.into_any()
    }
}

/// Vault-wide counts and sizes.
#[component]
pub fn VaultStatsCard() -> impl IntoView {
    let stats = Resource::new(|| (), |_| vault_stats());
    view! {
            <Suspense>
                {move || Suspend::new(async move {
                    match stats.await { Ok(s) => view! {
                        <div class="card" id="vault-stats">
                        <h2>"Vault"</h2>
                        <dl class="stats">
                            <div><dt>"Models"</dt><dd>{s.models}</dd></div>
                            <div><dt>"Files"</dt><dd>{s.files}</dd></div>
                            <div><dt>"Revisions"</dt><dd>{s.revisions}</dd></div>
                            <div><dt>"In the trash"</dt><dd>{s.trashed_models}</dd></div>
                            <div><dt>"Collections"</dt><dd>{s.collections}</dd></div>
                            <div><dt>"Tags"</dt><dd>{s.tags}</dd></div>
                            <div><dt>"Stored"</dt><dd>{size(s.stored_bytes)}</dd></div>
                        </dl>
                        </div>
                    }.into_any(), Err(err) => not_for_you(err) }
                })}
            </Suspense>
    }
}

/// The admin-editable settings with their defaults.
#[component]
pub fn RuntimeSettingsCard() -> impl IntoView {
    let update = ServerAction::<UpdateRuntimeSettings>::new();
    let settings = Resource::new(move || update.version().get(), |_| get_runtime_settings());
    let set = move |key: String, value: serde_json::Value| {
        let mut values = std::collections::BTreeMap::new();
        values.insert(key, value);
        update.dispatch(UpdateRuntimeSettings {
            params: UpdateSettingsParams { values },
        });
    };
    view! {
            <Suspense>
                {move || Suspend::new(async move {
                    match settings.await { Ok(s) => view! {
                        <div class="card" id="runtime-settings">
                        <h2>"Vault settings"</h2>
                        <p class="muted">"Changes apply at once, without a restart. \"Reset\" goes back to the value from the environment."</p>
                        {move || error_list([failure(update.value().get())])}
                        <ul class="settings-list">
                            {s.items.into_iter().map(|item| {
                                let key = item.key.clone();
                                let reset_key = item.key.clone();
                                let input = match item.kind {
                                    SettingType::Boolean => {
                                        let checked = item.value.as_bool().unwrap_or(false);
                                        view! {
                                            <input type="checkbox" id=format!("setting-{key}") checked=checked on:change=move |ev| {
                                                set(key.clone(), serde_json::Value::Bool(event_target_checked(&ev)));
                                            } />
                                        }.into_any()
                                    }
                                    SettingType::Integer => {
                                        let current = item.value.as_i64().unwrap_or_default().to_string();
                                        view! {
                                            <input type="number" id=format!("setting-{key}") value=current
                                                min=item.min.map(|m| m.to_string()) max=item.max.map(|m| m.to_string())
                                                on:change=move |ev| {
                                                    if let Ok(n) = event_target_value(&ev).parse::<i64>() {
                                                        set(key.clone(), serde_json::json!(n));
                                                    }
                                                } />
                                        }.into_any()
                                    }
                                };
                                view! {
                                    <li class="setting">
                                        <label for=format!("setting-{}", item.key)><code>{item.key.clone()}</code></label>
                                        {input}
                                        {item.overridden.then(|| view! {
                                            <button class="button small" type="button" on:click=move |_| set(reset_key.clone(), serde_json::Value::Null)>"Reset"</button>
                                        })}
                                        <span class="muted setting-help">
                                            {item.help.clone()}
                                            {item.variable.clone().map(|v| format!(" Default from {v}: {}.", item.default))}
                                        </span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        </div>
                    }.into_any(), Err(err) => not_for_you(err) }
                })}
            </Suspense>
    }
}

/// Users: make, promote, disable, reset, delete.
#[component]
pub fn UsersCard() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let reset = ServerAction::<ResetPassword>::new();
    let delete = ServerAction::<DeleteUser>::new();
    let users = Resource::new(
        move || {
            (
                create.version().get(),
                update.version().get(),
                delete.version().get(),
            )
        },
        |_| list_users(),
    );
    let username = NodeRef::<leptos::html::Input>::new();
    let password = NodeRef::<leptos::html::Input>::new();
    let admin = NodeRef::<leptos::html::Input>::new();
    let on_create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateUser {
            params: CreateUserParams {
                username: username.get().map(|i| i.value()).unwrap_or_default(),
                display_name: None,
                password: password.get().map(|i| i.value()).unwrap_or_default(),
                is_admin: admin.get().is_some_and(|i| i.checked()),
            },
        });
    };
    let patch = move |id: i32, params: UpdateUserParams| {
        update.dispatch(UpdateUser { id, params });
    };
    view! {
            <Suspense>
                {move || Suspend::new(async move {
                    match users.await { Ok(list) => view! {
        <div class="card" id="users">
            <h2>"Users"</h2>
            <form class="inline-form" on:submit=on_create>
                <label for="new-user-name">"Username"</label>
                <input id="new-user-name" node_ref=username autocomplete="off" required maxlength="64" />
                <label for="new-user-password">"First password"</label>
                <input id="new-user-password" node_ref=password type="password" autocomplete="new-password" minlength="8" required />
                <label class="check"><input id="new-user-admin" node_ref=admin type="checkbox" />" Admin"</label>
                <button id="create-user" class="button primary" type="submit">"Add user"</button>
            </form>
            {move || error_list([failure(create.value().get()), failure(update.value().get()), failure(reset.value().get()), failure(delete.value().get())])}
            {move || reset.value().get().and_then(Result::ok).map(|()| view! { <p class="notice" role="status">"Password set; that user's sessions ended."</p> })}
                        <ul class="user-list" id="user-list">
                            {list.into_iter().map(|user| {
                                let id = user.id;
                                let name = user.username.clone();
                                let delete_name = name.clone();
                                let reset_name = name.clone();
                                view! {
                                    <li class="user" data-username=user.username.clone() data-disabled=user.disabled.to_string()>
                                        <span class="user-name-cell">{user.display_name.clone()} <span class="muted">{format!("@{}", user.username)}</span></span>
                                        {user.is_admin.then(|| view! { <span class="badge accent">"Admin"</span> })}
                                        {user.disabled.then(|| view! { <span class="badge warn">"Disabled"</span> })}
                                        <span class="row">
                                            <button class="button small" type="button" aria-label=format!("{} {name}", if user.disabled { "Enable" } else { "Disable" })
                                                on:click=move |_| patch(id, UpdateUserParams { disabled: Some(!user.disabled), ..Default::default() })>
                                                {if user.disabled { "Enable" } else { "Disable" }}
                                            </button>
                                            <button class="button small" type="button"
                                                on:click=move |_| patch(id, UpdateUserParams { is_admin: Some(!user.is_admin), ..Default::default() })>
                                                {if user.is_admin { "Remove admin" } else { "Make admin" }}
                                            </button>
                                            <button class="button small" type="button" aria-label=format!("Set a new password for {reset_name}") on:click=move |_| {
                                                let asked = window().prompt_with_message(&format!("New password for {reset_name} (at least 8 characters)")).ok().flatten();
                                                if let Some(new_password) = asked.filter(|p| !p.is_empty()) {
                                                    reset.dispatch(ResetPassword { id, params: ResetPasswordParams { new_password } });
                                                }
                                            }>"New password"</button>
                                            <button class="button small danger" type="button" aria-label=format!("Delete {delete_name}") on:click=move |_| {
                                                if window().confirm_with_message(&format!("Delete the account {delete_name}? Their models stay in the vault.")).unwrap_or(false) {
                                                    delete.dispatch(DeleteUser { id });
                                                }
                                            }>"Delete"</button>
                                        </span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
        </div>
                    }.into_any(), Err(err) => not_for_you(err) }
                })}
            </Suspense>
    }
}
