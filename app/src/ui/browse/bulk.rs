//! Bulk actions on the selected models of the library: tag them, move them
//! to a collection, or move them to the trash — one call per model, the
//! first failure reported in words.

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::api::tags::list_tags;
use crate::ui::pages::collections::collection_places;

/// What the toolbar should do to the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    /// Attach a tag.
    Tag(i32),
    /// Move into a collection (`None`: out of any collection).
    Move(Option<i32>),
    /// Move to the trash.
    Trash,
}

/// Runs `action` on `ids`; the first error message, if any.
pub async fn run(action: BulkAction, ids: Vec<i32>) -> Option<String> {
    use crate::api::models::{trash_model, update_model};
    use crate::api::tags::attach_tags;
    use crate::params::models::UpdateModelParams;
    use crate::params::tags::TagModelsParams;
    match action {
        BulkAction::Tag(tag) => attach_tags(TagModelsParams {
            model_ids: ids,
            tag_ids: vec![tag],
        })
        .await
        .err()
        .map(|e| e.message),
        BulkAction::Move(collection) => {
            for id in ids {
                let params = UpdateModelParams {
                    collection_id: Some(collection),
                    ..Default::default()
                };
                if let Err(err) = update_model(id, params).await {
                    return Some(err.message);
                }
            }
            None
        }
        BulkAction::Trash => {
            for id in ids {
                if let Err(err) = trash_model(id).await {
                    return Some(err.message);
                }
            }
            None
        }
    }
}

/// The toolbar shown while models are selected. `done` runs after an action.
#[component]
pub fn BulkBar(
    selected: RwSignal<BTreeSet<i32>>,
    #[prop(into)] done: Callback<()>,
) -> impl IntoView {
    let tags = Resource::new(|| (), |_| list_tags());
    let places = Resource::new(|| (), |_| collection_places());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let start = move |action: BulkAction| {
        let ids: Vec<i32> = selected.get_untracked().into_iter().collect();
        if ids.is_empty() {
            return;
        }
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let failed = run(action, ids).await;
            busy.set(false);
            error.set(failed);
            selected.set(BTreeSet::new());
            done.run(());
        });
    };
    view! {
        <Show when=move || !selected.with(BTreeSet::is_empty)>
            <div class="bulk-bar" role="toolbar" aria-label="Selected models" id="bulk-bar">
                <strong>{move || format!("{} selected", selected.with(BTreeSet::len))}</strong>
                <select class="move-select" aria-label="Tag the selected models" disabled=move || busy.get() on:change=move |ev| {
                    if let Ok(tag) = event_target_value(&ev).parse::<i32>() {
                        start(BulkAction::Tag(tag));
                    }
                }>
                    <option value="" selected>"Add tag…"</option>
                    {move || tags.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| view! {
                        <option value=t.id.to_string()>{t.name}</option>
                    }).collect_view()}
                </select>
                <select class="move-select" aria-label="Move the selected models" disabled=move || busy.get() on:change=move |ev| {
                    match event_target_value(&ev).as_str() {
                        "" => {}
                        "none" => start(BulkAction::Move(None)),
                        other => if let Ok(id) = other.parse() { start(BulkAction::Move(Some(id))) },
                    }
                }>
                    <option value="" selected>"Move to…"</option>
                    <option value="none">"No collection"</option>
                    {move || places.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|(id, path)| view! {
                        <option value=id.to_string()>{path}</option>
                    }).collect_view()}
                </select>
                <button class="button small danger" type="button" disabled=move || busy.get() on:click=move |_| {
                    let n = selected.with_untracked(BTreeSet::len);
                    if window().confirm_with_message(&format!("Move {n} model(s) to the trash?")).unwrap_or(false) {
                        start(BulkAction::Trash);
                    }
                }>"Move to trash"</button>
                <button class="button small" type="button" on:click=move |_| selected.set(BTreeSet::new())>"Clear"</button>
            </div>
        </Show>
        {move || error.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
    }
}
