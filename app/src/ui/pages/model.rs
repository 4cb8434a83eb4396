//! `/models/:id`: one model — its picture, revisions (recommended first,
//! with outcome badges and slicer facts), the other artifacts with
//! downloads, adding a G-code revision with progress, editing (name,
//! description, tags, collection) and trash.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::models::{RestoreModel, TrashModel, UpdateModel, UpdateRevision, get_model};
use crate::params::models::{UpdateModelParams, UpdateRevisionParams};
use crate::ui::browse::cards::{outcome_class, print_time, size};
use crate::ui::components::errors::{error_list, failure};
use crate::ui::components::model_picture::ModelPicture;
use crate::ui::components::send_to_printer::SendToPrinter;
use crate::ui::components::star::StarButton;
use crate::ui::pages::collections::collection_places;
use crate::ui::pages::revision_diff::{RevisionChoice, RevisionDiff};
use crate::ui::upload::{UploadItem, UploadList};
use crate::views::models::{FileView, ModelDetail, Outcome};

const OUTCOMES: [Outcome; 4] = [
    Outcome::NeedsTest,
    Outcome::KnownGood,
    Outcome::Failed,
    Outcome::Archived,
];

/// Slicer facts of a revision, as short phrases.
fn facts(file: &FileView) -> Vec<String> {
    let Some(m) = &file.metadata else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(t) = m.estimated_time_s {
        out.push(print_time(t));
    }
    if let Some(g) = m.filament_weight_g {
        out.push(format!("{g:.0} g"));
    }
    if let Some(material) = &m.material_type {
        out.push(material.clone());
    }
    if let Some(n) = m.nozzle_diameter_mm {
        out.push(format!("{n} mm nozzle"));
    }
    if let Some(l) = m.layer_height_mm {
        out.push(format!("{l} mm layers"));
    }
    if let Some(p) = &m.printer_model {
        out.push(p.clone());
    }
    if let Some(s) = &m.slicer_name {
        out.push(s.clone());
    }
    out
}

/// The model page.
#[component]
pub fn ModelPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i32>().ok())));
    let update_revision = ServerAction::<UpdateRevision>::new();
    let update_model = ServerAction::<UpdateModel>::new();
    let trash = ServerAction::<TrashModel>::new();
    let restore = ServerAction::<RestoreModel>::new();
    let uploads = RwSignal::new(Vec::<UploadItem>::new());
    let uploaded = RwSignal::new(0u32);
    let model = Resource::new(
        move || {
            (
                id.get(),
                update_revision.version().get(),
                update_model.version().get(),
                restore.version().get(),
                uploaded.get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_model(id).await,
                None => Err(crate::error::AppError::new(
                    crate::error::ErrorCode::NotFound,
                    "No such model.",
                )),
            }
        },
    );
    // Places a model can move to (for the edit form).
    let places = Resource::new(|| (), |_| collection_places());
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = trash.value().get() {
            navigate("/", Default::default());
        }
    });
    let errors = move || {
        error_list([
            failure(update_revision.value().get()),
            failure(update_model.value().get()),
            failure(trash.value().get()),
            failure(restore.value().get()),
        ])
    };
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match model.await {
                    Ok(detail) => view! {
                        <ModelView detail=detail update_revision update_model trash restore uploads uploaded places />
                        {errors}
                    }.into_any(),
                    Err(err) => view! {
                        <Title text="Not found" />
                        <section class="page"><h1>"Model not found"</h1><p class="muted">{err.message}</p></section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ModelView(
    detail: ModelDetail,
    update_revision: ServerAction<UpdateRevision>,
    update_model: ServerAction<UpdateModel>,
    trash: ServerAction<TrashModel>,
    restore: ServerAction<RestoreModel>,
    uploads: RwSignal<Vec<UploadItem>>,
    uploaded: RwSignal<u32>,
    places: Resource<Result<Vec<(i32, String)>, crate::error::AppError>>,
) -> impl IntoView {
    let model_id = detail.id;
    let editing = RwSignal::new(false);
    let name_input = NodeRef::<leptos::html::Input>::new();
    let description_input = NodeRef::<leptos::html::Textarea>::new();
    let tags_input = NodeRef::<leptos::html::Input>::new();
    let collection_select = NodeRef::<leptos::html::Select>::new();
    let current_tags = detail
        .tags
        .iter()
        .map(|t| t.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let current_collection = detail.collection_id;
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let tags = tags_input.get().map(|i| {
            i.value()
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        });
        let collection = collection_select
            .get()
            .map(|s| s.value().parse::<i32>().ok())
            .filter(|c| *c != current_collection);
        update_model.dispatch(UpdateModel {
            id: model_id,
            params: UpdateModelParams {
                name: name_input.get().map(|i| i.value()),
                description: description_input.get().map(|i| i.value()),
                collection_id: collection,
                tags,
            },
        });
        editing.set(false);
    };
    let picker = NodeRef::<leptos::html::Input>::new();
    // Files are only ever sent from the browser.
    #[cfg(not(feature = "hydrate"))]
    let _ = uploaded;
    let on_pick = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(files) = picker.get().and_then(|i| i.files()) {
            for i in 0..files.length() {
                if let Some(file) = files.get(i) {
                    let item = UploadItem::new_for(file.name());
                    uploads.update(|l| l.push(item.clone()));
                    crate::ui::upload::browser::send(
                        file,
                        format!("/api/v1/models/{model_id}/gcode-revisions"),
                        &[],
                        item,
                        Callback::new(move |()| uploaded.update(|n| *n += 1)),
                    );
                }
            }
        }
    };
    let trashed = detail.deleted_at.is_some();
    let choices: Vec<RevisionChoice> = detail
        .revisions
        .iter()
        .filter_map(|f| {
            let r = f.revision.as_ref()?;
            Some(RevisionChoice {
                file_id: f.id,
                label: format!(
                    "#{} {}",
                    r.number,
                    r.label
                        .clone()
                        .unwrap_or_else(|| f.original_filename.clone())
                ),
                outcome: r.status,
            })
        })
        .collect();
    let name = detail.name.clone();
    let description = detail.description.clone();
    let meshes: Vec<FileView> = detail
        .files
        .iter()
        .filter(|f| f.revision.is_none())
        .cloned()
        .collect();
    // The newest mesh is the one the 3D view shows (as the server's offline copy does).
    let preview_url = meshes
        .iter()
        .filter(|f| f.preview_url.is_some())
        .max_by_key(|f| f.version)
        .and_then(|f| f.preview_url.clone());
    let starred = detail.starred;
    let bbox = meshes
        .iter()
        .chain(detail.revisions.iter())
        .filter_map(|f| f.metadata.as_ref())
        .find_map(|m| Some((m.bbox_x_mm?, m.bbox_y_mm?, m.bbox_z_mm?)));
    view! {
        <Title text=detail.name.clone() />
        <section class="page model" data-model-id=model_id>
            {trashed.then(|| view! {
                <div class="banner" role="status">
                    "This model is in the trash. "
                    <button class="button small" type="button" on:click=move |_| { restore.dispatch(RestoreModel { id: model_id }); }>"Restore"</button>
                </div>
            })}
            <div class="model-head">
                <ModelPicture name=detail.name.clone() thumbnail_url=detail.thumbnail_url.clone() preview_url=preview_url />
                <div class="model-info">
                    <Show
                        when=move || editing.get()
                        fallback={
                            let name = name.clone();
                            let description = description.clone();
                            move || view! {
                                <h1 id="model-name">{name.clone()}</h1>
                                <p class="model-description">{if description.is_empty() { "No description.".to_owned() } else { description.clone() }}</p>
                                <div class="row">
                                    <StarButton model_id=model_id starred=starred name=name.clone() />
                                    <button class="button small" type="button" on:click=move |_| editing.set(true)>"Edit"</button>
                                    {(!trashed).then(|| view! {
                                        <button id="trash-model" class="button small" type="button" on:click=move |_| {
                                            let sure = window().confirm_with_message("Move this model to the trash? You can restore it from the trash page until trash expiry deletes it.").unwrap_or(false);
                                            if sure { trash.dispatch(TrashModel { id: model_id }); }
                                        }>"Move to trash"</button>
                                    })}
                                </div>
                            }
                        }
                    >
                        <form class="stack-form" on:submit=on_save>
                            <label for="edit-name">"Name"</label>
                            <input id="edit-name" node_ref=name_input value=detail.name.clone() required maxlength="255" />
                            <label for="edit-description">"Description"</label>
                            <textarea id="edit-description" node_ref=description_input rows="4">{detail.description.clone()}</textarea>
                            <label for="edit-tags">"Tags (comma-separated)"</label>
                            <input id="edit-tags" node_ref=tags_input value=current_tags.clone() placeholder="PETG, functional" />
                            <label for="edit-collection">"Collection"</label>
                            <select id="edit-collection" node_ref=collection_select>
                                <option value="" selected=current_collection.is_none()>"No collection"</option>
                                {move || places.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|(id, path)| view! {
                                    <option value=id.to_string() selected=current_collection == Some(id)>{path}</option>
                                }).collect_view()}
                            </select>
                            <div class="row">
                                <button class="button primary" type="submit">"Save"</button>
                                <button class="button" type="button" on:click=move |_| editing.set(false)>"Cancel"</button>
                            </div>
                        </form>
                    </Show>
                    <div class="model-tags">
                        {detail.tags.iter().map(|t| view! { <span class="tag">{t.name.clone()}</span> }).collect_view()}
                    </div>
                    {bbox.map(|(x, y, z)| view! { <p class="muted">{format!("{x:.1} × {y:.1} × {z:.1} mm")}</p> })}
                </div>
            </div>

            <div class="card">
                <h2>"Revisions"</h2>
                {detail.revisions.is_empty().then(|| view! { <p class="muted" id="no-revisions">"No G-code yet. Add the G-code you slice from this model to keep track of what printed well."</p> })}
                <ol class="revisions" id="revisions">
                    {detail.revisions.iter().map(|file| {
                        let file_id = file.id;
                        let revision = file.revision.clone();
                        let recommended = revision.as_ref().is_some_and(|r| r.recommended);
                        let status = revision.as_ref().map(|r| r.status).unwrap_or(Outcome::NeedsTest);
                        let number = revision.as_ref().map(|r| r.number).unwrap_or_default();
                        let label = revision.as_ref().and_then(|r| r.label.clone());
                        let sending = RwSignal::new(false);
                        let notes = revision.as_ref().map(|r| r.notes.clone()).unwrap_or_default();
                        let notes_for_edit = notes.clone();
                        let label_for_edit = label.clone().unwrap_or_default();
                        let send_label = format!("revision #{number}");
                        view! {
                            <li class=if recommended { "revision recommended" } else { "revision" } data-file-id=file_id data-recommended=recommended.to_string()>
                                <div class="revision-head">
                                    <span class="revision-number">{format!("#{number}")}</span>
                                    <span class="revision-name">{label.unwrap_or_else(|| file.original_filename.clone())}</span>
                                    {recommended.then(|| view! { <span class="badge accent" title="The one to print">"★ Recommended"</span> })}
                                    <span class=outcome_class(status)>{status.label()}</span>
                                </div>
                                <div class="revision-facts muted">{facts(file).join(" · ")}</div>
                                {(!notes.is_empty()).then(|| view! { <p class="revision-notes">{notes.clone()}</p> })}
                                <div class="row">
                                    <a class="button small" href=file.download_url.clone() download>"Download"</a>
                                    {(!trashed).then(|| view! {
                                        <button class="button small edit-notes" type="button" aria-label=format!("Label and notes of revision {number}") on:click={
                                            let (label, notes) = (label_for_edit.clone(), notes_for_edit.clone());
                                            move |_| {
                                                let Some(new_label) = window().prompt_with_message_and_default("Label (e.g. 0.2 mm PETG); blank for none", &label).ok().flatten() else { return };
                                                let Some(new_notes) = window().prompt_with_message_and_default("Notes (what you changed, how it printed)", &notes).ok().flatten() else { return };
                                                let new_label = new_label.trim().to_owned();
                                                update_revision.dispatch(UpdateRevision { model_id, file_id, params: UpdateRevisionParams {
                                                    label: Some((!new_label.is_empty()).then_some(new_label)),
                                                    notes: Some(new_notes.trim().to_owned()),
                                                    ..Default::default()
                                                } });
                                            }
                                        }>"Label & notes…"</button>
                                    })}
                                    {(!trashed).then(|| view! {
                                        <button class="button small send-open" type="button" aria-expanded=move || sending.get().to_string() on:click=move |_| sending.update(|v| *v = !*v)>"Send to printer…"</button>
                                    })}
                                    {(!recommended && !trashed).then(|| view! {
                                        <button class="button small recommend" type="button" on:click=move |_| {
                                            update_revision.dispatch(UpdateRevision { model_id, file_id, params: UpdateRevisionParams { recommended: Some(true), ..Default::default() } });
                                        }>"Recommend"</button>
                                    })}
                                    <select
                                        class="outcome-select"
                                        aria-label=format!("Outcome of revision {number}")
                                        disabled=trashed
                                        on:change=move |ev| {
                                            if let Some(outcome) = Outcome::parse(&event_target_value(&ev)) {
                                                update_revision.dispatch(UpdateRevision { model_id, file_id, params: UpdateRevisionParams { status: Some(outcome), ..Default::default() } });
                                            }
                                        }
                                    >
                                        {OUTCOMES.iter().map(|o| view! { <option value=o.as_str() selected=*o == status>{o.label()}</option> }).collect_view()}
                                    </select>
                                </div>
                                <Show when=move || sending.get()>
                                    <SendToPrinter file_id=file_id label=send_label.clone() />
                                </Show>
                            </li>
                        }
                    }).collect_view()}
                </ol>
                {(!trashed).then(|| view! {
                    <div class="add-revision">
                        <label class="button small" for="revision-picker">"Add G-code revision…"</label>
                        <input id="revision-picker" class="visually-hidden" type="file" multiple accept=".gcode,.bgcode,.gco,.g,.3mf" node_ref=picker on:change=on_pick />
                        <Show when=move || !uploads.get().is_empty()>
                            <UploadList items=uploads />
                        </Show>
                    </div>
                })}
            </div>

            {(detail.revisions.len() >= 2).then(|| view! { <RevisionDiff model_id=model_id choices=choices.clone() /> })}

            <div class="card">
                <h2>"Files"</h2>
                <ul class="files">
                    {meshes.into_iter().map(|f| view! {
                        <li>
                            <span class="file-name">{format!("v{} · {}", f.version, f.original_filename)}</span>
                            <span class="muted">{format!("{} · {}", f.kind.label(), size(f.size_bytes))}</span>
                            <a class="button small" href=f.download_url.clone() download>"Download"</a>
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        </section>
    }
}
