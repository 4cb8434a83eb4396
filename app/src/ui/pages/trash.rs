//! `/trash`: trashed models with the days each has left, restore, delete for
//! good (after a confirmation), and emptying the whole trash.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::models::{PurgeModel, PurgeTrash, RestoreModel, list_trash};
use crate::ui::components::errors::{error_list, failure};

fn confirmed(message: &str) -> bool {
    window().confirm_with_message(message).unwrap_or(false)
}

/// The trash page.
#[component]
pub fn TrashPage() -> impl IntoView {
    let restore = ServerAction::<RestoreModel>::new();
    let purge = ServerAction::<PurgeModel>::new();
    let empty = ServerAction::<PurgeTrash>::new();
    let items = Resource::new(
        move || {
            (
                restore.version().get(),
                purge.version().get(),
                empty.version().get(),
            )
        },
        |_| list_trash(),
    );
    let errors = move || {
        error_list([
            failure(restore.value().get()),
            failure(purge.value().get()),
            failure(empty.value().get()),
        ])
    };
    view! {
        <Title text="Trash" />
        <section class="page trash">
            <div class="library-head">
                <h1>"Trash"</h1>
                <button id="empty-trash" class="button small" type="button" on:click=move |_| {
                    if confirmed("Delete every model in the trash for good? This cannot be undone.") {
                        empty.dispatch(PurgeTrash {});
                    }
                }>"Empty trash"</button>
            </div>
            {errors}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match items.await {
                        Ok(list) if list.is_empty() => view! {
                            <div class="empty" id="trash-empty">
                                <p class="empty-title">"The trash is empty"</p>
                                <p class="muted">"Models you delete wait here before they are gone for good."</p>
                            </div>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="model-list" id="trash-list">
                                {list.into_iter().map(|item| {
                                    let id = item.id;
                                    let name = item.name.clone();
                                    view! {
                                        <li class="model-card trash-item" data-model-id=id>
                                            <div class="model-link">
                                                <div class="thumb">
                                                    {item.thumbnail_url.clone().map(|url| view! { <img src=url alt="" loading="lazy" /> })}
                                                </div>
                                                <div class="model-body">
                                                    <A href=format!("/models/{id}") attr:class="model-name">{item.name.clone()}</A>
                                                    <span class="muted days-left">
                                                        {match item.days_left {
                                                            0 => "Deleted for good today".to_owned(),
                                                            1 => "1 day left".to_owned(),
                                                            n => format!("{n} days left"),
                                                        }}
                                                        {format!(" · {} file(s)", item.file_count)}
                                                    </span>
                                                    <span class="row">
                                                        <button class="button small restore" type="button" on:click=move |_| { restore.dispatch(RestoreModel { id }); }>"Restore"</button>
                                                        <button class="button small purge" type="button" on:click=move |_| {
                                                            if confirmed(&format!("Delete \"{name}\" for good? This cannot be undone.")) {
                                                                purge.dispatch(PurgeModel { id });
                                                            }
                                                        }>"Delete for good"</button>
                                                    </span>
                                                </div>
                                            </div>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
