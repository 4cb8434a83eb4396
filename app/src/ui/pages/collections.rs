//! `/collections`: the collection tree with model counts; create, rename,
//! move (drag a collection onto another, or pick a new place from a list)
//! delete with a confirmation that says what goes to the trash, sharing
//! with users (`sharing`); and the tags (`tags`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::collections::{
    CreateCollection, DeleteCollection, UpdateCollection, list_collections,
};
use crate::params::collections::{CreateCollectionParams, UpdateCollectionParams};
use crate::ui::components::errors::{error_list, failure};
use crate::ui::pages::sharing::SharePanel;
use crate::ui::pages::tags::TagsCard;
use crate::views::collections::CollectionNode;

/// The actions every row can start.
#[derive(Clone, Copy)]
struct Actions {
    create: ServerAction<CreateCollection>,
    update: ServerAction<UpdateCollection>,
    delete: ServerAction<DeleteCollection>,
    dragging: RwSignal<Option<i32>>,
    /// The collection whose sharing panel is open.
    sharing: RwSignal<Option<i32>>,
}

/// Every collection with its path, depth first (for the "Move to" lists).
fn flatten(nodes: &[CollectionNode], prefix: &str, out: &mut Vec<(i32, String)>) {
    for node in nodes {
        let path = if prefix.is_empty() {
            node.name.clone()
        } else {
            format!("{prefix} / {}", node.name)
        };
        out.push((node.id, path.clone()));
        flatten(&node.children, &path, out);
    }
}

/// Every collection the caller may see with its path, for "Move to…" lists.
pub(crate) async fn collection_places() -> Result<Vec<(i32, String)>, crate::error::AppError> {
    let nodes = list_collections().await?;
    let mut flat = Vec::new();
    flatten(&nodes, "", &mut flat);
    Ok(flat)
}

fn descendants(node: &CollectionNode) -> u64 {
    node.children.iter().map(|c| 1 + descendants(c)).sum()
}

fn ask(message: &str, default: &str) -> Option<String> {
    window()
        .prompt_with_message_and_default(message, default)
        .ok()
        .flatten()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

impl Actions {
    fn move_to(self, id: i32, parent: Option<i32>) {
        if parent == Some(id) {
            return;
        }
        self.update.dispatch(UpdateCollection {
            id,
            params: UpdateCollectionParams {
                name: None,
                parent_id: Some(parent),
            },
        });
    }
}

fn node_view(
    node: CollectionNode,
    places: StoredValue<Vec<(i32, String)>>,
    actions: Actions,
) -> AnyView {
    let id = node.id;
    let name = node.name.clone();
    let sub_count = descendants(&node);
    let models = node.total_model_count;
    let children = node
        .children
        .into_iter()
        .map(|child| node_view(child, places, actions))
        .collect_view();
    let rename_from = name.clone();
    let label = name.clone();
    let delete_name = name.clone();
    view! {
        <li class="collection" data-collection-id=id>
            <div
                class=move || if actions.dragging.get().is_some_and(|d| d != id) { "collection-row drop-target" } else { "collection-row" }
                draggable="true"
                on:dragstart=move |_| actions.dragging.set(Some(id))
                on:dragend=move |_| actions.dragging.set(None)
                on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    if let Some(dragged) = actions.dragging.get_untracked() {
                        actions.dragging.set(None);
                        actions.move_to(dragged, Some(id));
                    }
                }
            >
                <A href=format!("/?collection={id}") attr:class="collection-name">{label}</A>
                <span class="muted count">{format!("{models} model(s)")}</span>
                <span class="row collection-actions">
                    <button class="button small" type="button" aria-label=format!("New collection inside {name}") on:click=move |_| {
                        if let Some(child) = ask("Name of the new collection", "") {
                            actions.create.dispatch(CreateCollection { params: CreateCollectionParams { name: child, parent_id: Some(id) } });
                        }
                    }>"+ Inside"</button>
                    <button class="button small" type="button" aria-label=format!("Rename {name}") on:click=move |_| {
                        if let Some(new_name) = ask("New name", &rename_from) {
                            actions.update.dispatch(UpdateCollection { id, params: UpdateCollectionParams { name: Some(new_name), parent_id: None } });
                        }
                    }>"Rename"</button>
                    <select class="move-select" aria-label=format!("Move {name} to") on:change=move |ev| {
                        match event_target_value(&ev).as_str() {
                            "" => {}
                            "top" => actions.move_to(id, None),
                            other => if let Ok(parent) = other.parse() { actions.move_to(id, Some(parent)) },
                        }
                    }>
                        <option value="" selected>"Move to…"</option>
                        <option value="top">"Top level"</option>
                        {places.with_value(|p| p.iter().filter(|(pid, _)| *pid != id).map(|(pid, path)| view! { <option value=pid.to_string()>{path.clone()}</option> }).collect_view())}
                    </select>
                    <button class="button small" type="button" aria-label=format!("Share {name}")
                        aria-expanded=move || (actions.sharing.get() == Some(id)).to_string()
                        on:click=move |_| actions.sharing.update(|s| *s = if *s == Some(id) { None } else { Some(id) })>
                        "Share"
                    </button>
                    <button class="button small danger" type="button" aria-label=format!("Delete {name}") on:click=move |_| {
                        let message = format!(
                            "Delete \"{delete_name}\"{}? {models} model(s) go to the trash (restorable there).",
                            if sub_count > 0 { format!(" and its {sub_count} sub-collection(s)") } else { String::new() }
                        );
                        if window().confirm_with_message(&message).unwrap_or(false) {
                            actions.delete.dispatch(DeleteCollection { id });
                        }
                    }>"Delete"</button>
                </span>
            </div>
            <Show when=move || actions.sharing.get() == Some(id)>
                <SharePanel collection_id=id />
            </Show>
            <ul class="collection-children">{children}</ul>
        </li>
    }
    .into_any()
}

/// The collections page.
#[component]
pub fn CollectionsPage() -> impl IntoView {
    let actions = Actions {
        create: ServerAction::new(),
        update: ServerAction::new(),
        delete: ServerAction::new(),
        dragging: RwSignal::new(None),
        sharing: RwSignal::new(None),
    };
    let tree = Resource::new(
        move || {
            (
                actions.create.version().get(),
                actions.update.version().get(),
                actions.delete.version().get(),
            )
        },
        |_| list_collections(),
    );
    let new_name = NodeRef::<leptos::html::Input>::new();
    let on_create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_name.get().map(|i| i.value()).unwrap_or_default();
        actions.create.dispatch(CreateCollection {
            params: CreateCollectionParams {
                name,
                parent_id: None,
            },
        });
        if let Some(input) = new_name.get() {
            input.set_value("");
        }
    };
    let errors = move || {
        error_list([
            failure(actions.create.value().get()),
            failure(actions.update.value().get()),
            failure(actions.delete.value().get()),
        ])
    };
    view! {
        <Title text="Collections" />
        <section class="page collections">
            <h1>"Collections"</h1>
            <form class="inline-form" on:submit=on_create>
                <label for="new-collection">"New collection"</label>
                <input id="new-collection" node_ref=new_name placeholder="Printer parts" maxlength="200" required />
                <button id="create-collection" class="button primary" type="submit">"Create"</button>
            </form>
            {errors}
            {move || actions.delete.value().get().and_then(Result::ok).map(|d| view! {
                <p class="notice" role="status">{format!("Deleted {} collection(s); {} model(s) went to the trash.", d.collections_removed, d.models_trashed)}</p>
            })}
            <div
                class="collection-top"
                on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=move |ev: leptos::ev::DragEvent| {
                    ev.prevent_default();
                    if let Some(dragged) = actions.dragging.get_untracked() {
                        actions.dragging.set(None);
                        actions.move_to(dragged, None);
                    }
                }
            >
                "Drop a collection here to move it to the top level."
            </div>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tree.await {
                        Ok(nodes) if nodes.is_empty() => view! {
                            <div class="empty" id="no-collections">
                                <p class="empty-title">"No collections yet"</p>
                                <p class="muted">"Collections are folders for models: Functional / Brackets, Minis / Terrain."</p>
                            </div>
                        }.into_any(),
                        Ok(nodes) => {
                            let mut flat = Vec::new();
                            flatten(&nodes, "", &mut flat);
                            let places = StoredValue::new(flat);
                            view! {
                                <ul class="collection-tree" id="collection-tree">
                                    {nodes.into_iter().map(|n| node_view(n, places, actions)).collect_view()}
                                </ul>
                            }.into_any()
                        }
                        Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <TagsCard />
        </section>
    }
}
