//! Sharing a collection: who holds which role on it (view, edit, admin —
//! inherited by everything inside), adding a user, changing or removing a
//! role. Shown under a collection's row on the collections page.

use leptos::prelude::*;

use crate::api::users::{RemoveGrant, SetGrant, list_grants, list_users};
use crate::params::auth::SetGrantParams;
use crate::ui::components::errors::{error_list, failure};
use crate::views::auth::Role;

const ROLES: [(Role, &str); 3] = [
    (Role::View, "View"),
    (Role::Edit, "Edit"),
    (Role::Admin, "Admin"),
];

fn role_of(text: &str) -> Option<Role> {
    Role::parse(text)
}

/// The sharing panel of one collection.
#[component]
pub fn SharePanel(collection_id: i32) -> impl IntoView {
    let set = ServerAction::<SetGrant>::new();
    let remove = ServerAction::<RemoveGrant>::new();
    let grants = Resource::new(
        move || (set.version().get(), remove.version().get()),
        move |_| list_grants(collection_id),
    );
    let users = Resource::new(|| (), |_| list_users());
    let new_user = NodeRef::<leptos::html::Select>::new();
    let new_role = NodeRef::<leptos::html::Select>::new();
    let on_add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let user_id = new_user.get().and_then(|s| s.value().parse::<i32>().ok());
        let role = new_role.get().and_then(|s| role_of(&s.value()));
        if let (Some(user_id), Some(role)) = (user_id, role) {
            set.dispatch(SetGrant {
                collection_id,
                params: SetGrantParams { user_id, role },
            });
        }
    };
    let errors = move || error_list([failure(set.value().get()), failure(remove.value().get())]);
    view! {
        <div class="share-panel" data-collection-id=collection_id>
            <p class="muted">"Roles here apply to everything inside this collection too. Vault admins can always do everything."</p>
            {errors}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match grants.await {
                        Ok(list) => view! {
                            <ul class="grant-list">
                                {list.into_iter().map(|grant| {
                                    let user_id = grant.user_id;
                                    let name = grant.username.clone();
                                    view! {
                                        <li class="grant" data-username=grant.username.clone()>
                                            <span class="grant-user">{grant.username.clone()}</span>
                                            <select class="move-select" aria-label=format!("Role of {name}") on:change=move |ev| {
                                                if let Some(role) = role_of(&event_target_value(&ev)) {
                                                    set.dispatch(SetGrant { collection_id, params: SetGrantParams { user_id, role } });
                                                }
                                            }>
                                                {ROLES.iter().map(|(role, label)| view! {
                                                    <option value=role.as_str() selected=*role == grant.role>{*label}</option>
                                                }).collect_view()}
                                            </select>
                                            <button class="button small" type="button" aria-label=format!("Stop sharing with {name}") on:click=move |_| {
                                                remove.dispatch(RemoveGrant { collection_id, user_id });
                                            }>"Remove"</button>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <form class="inline-form" on:submit=on_add>
                <select node_ref=new_user aria-label="User to share with">
                    {move || users.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|u| view! {
                        <option value=u.id.to_string()>{format!("{} (@{})", u.display_name, u.username)}</option>
                    }).collect_view()}
                </select>
                <select node_ref=new_role aria-label="Role to give">
                    {ROLES.iter().map(|(role, label)| view! { <option value=role.as_str()>{*label}</option> }).collect_view()}
                </select>
                <button class="button small primary" type="submit">"Share"</button>
            </form>
        </div>
    }
}
