//! The tags card (on the collections page): every tag with how many models
//! carry it; create, rename, merge into another tag, delete.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::tags::{CreateTag, DeleteTag, MergeTag, RenameTag, list_tags};
use crate::ui::components::errors::{error_list, failure};

/// Tag management.
#[component]
pub fn TagsCard() -> impl IntoView {
    let create = ServerAction::<CreateTag>::new();
    let rename = ServerAction::<RenameTag>::new();
    let merge = ServerAction::<MergeTag>::new();
    let delete = ServerAction::<DeleteTag>::new();
    let tags = Resource::new(
        move || {
            (
                create.version().get(),
                rename.version().get(),
                merge.version().get(),
                delete.version().get(),
            )
        },
        |_| list_tags(),
    );
    let new_tag = NodeRef::<leptos::html::Input>::new();
    let on_create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = new_tag.get() {
            create.dispatch(CreateTag {
                name: input.value(),
            });
            input.set_value("");
        }
    };
    let errors = move || {
        error_list([
            failure(create.value().get()),
            failure(rename.value().get()),
            failure(merge.value().get()),
            failure(delete.value().get()),
        ])
    };
    view! {
        <div class="card" id="tags">
            <h2>"Tags"</h2>
            <form class="inline-form" on:submit=on_create>
                <label for="new-tag">"New tag"</label>
                <input id="new-tag" node_ref=new_tag placeholder="PETG" maxlength="64" required />
                <button id="create-tag" class="button primary" type="submit">"Add"</button>
            </form>
            {errors}
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tags.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No tags yet."</p> }.into_any(),
                        Ok(list) => {
                            let others = StoredValue::new(list.iter().map(|t| (t.id, t.name.clone())).collect::<Vec<_>>());
                            view! {
                                <ul class="tag-list" id="tag-list">
                                    {list.into_iter().map(|tag| {
                                        let id = tag.id;
                                        let name = tag.name.clone();
                                        let (rename_from, delete_name, label, merge_name) = (name.clone(), name.clone(), name.clone(), name.clone());
                                        view! {
                                            <li class="tag-row" data-tag=name.clone()>
                                                <A href=format!("/?tag={id}") attr:class="tag">{label}</A>
                                                <span class="muted">{format!("{} model(s)", tag.model_count)}</span>
                                                <span class="row">
                                                    <button class="button small" type="button" aria-label=format!("Rename tag {name}") on:click=move |_| {
                                                        let asked = window().prompt_with_message_and_default("New name", &rename_from).ok().flatten();
                                                        if let Some(new_name) = asked.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
                                                            rename.dispatch(RenameTag { id, name: new_name });
                                                        }
                                                    }>"Rename"</button>
                                                    <select class="move-select" aria-label=format!("Merge tag {name} into") on:change=move |ev| {
                                                        if let Ok(into_tag_id) = event_target_value(&ev).parse::<i32>() {
                                                            let target = others.with_value(|o| o.iter().find(|(oid, _)| *oid == into_tag_id).map(|(_, n)| n.clone())).unwrap_or_default();
                                                            let sure = window().confirm_with_message(&format!("Merge \"{merge_name}\" into \"{target}\"? Every model tagged {merge_name} gets {target}, and {merge_name} is deleted.")).unwrap_or(false);
                                                            if sure {
                                                                merge.dispatch(MergeTag { id, into_tag_id });
                                                            }
                                                        }
                                                    }>
                                                        <option value="" selected>"Merge into…"</option>
                                                        {others.with_value(|o| o.iter().filter(|(oid, _)| *oid != id).map(|(oid, oname)| view! { <option value=oid.to_string()>{oname.clone()}</option> }).collect_view())}
                                                    </select>
                                                    <button class="button small danger" type="button" aria-label=format!("Delete tag {name}") on:click=move |_| {
                                                        if window().confirm_with_message(&format!("Delete the tag \"{delete_name}\"? Models keep everything else.")).unwrap_or(false) {
                                                            delete.dispatch(DeleteTag { id });
                                                        }
                                                    }>"Delete"</button>
                                                </span>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                        Err(err) => view! { <p class="form-error" role="alert">{err.message}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}
