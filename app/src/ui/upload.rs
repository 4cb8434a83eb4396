//! Uploading from the browser: drop files (or pick them) and each one gets a
//! progress bar while its bytes stream to the REST multipart endpoint, then
//! follows its ingest job to the outcome: a new model, "already in the vault
//! as …" (dedupe), or an error in words. Multipart over XHR rather than a
//! server function, for upload progress events and streaming to disk.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::views::models::IngestOutcome;

/// Where one upload is.
#[derive(Debug, Clone, PartialEq)]
pub enum UploadState {
    /// Bytes are going up.
    Sending,
    /// Stored; the vault reads, hashes and thumbnails it.
    Processing,
    /// Done.
    Done(IngestOutcome),
    /// It failed, with a message for the user.
    Failed(String),
}

/// One file being uploaded. Its signals are reference-counted, not owned by
/// the component that started it: the page may re-render (a refreshed
/// model, a new list) while the upload goes on.
#[derive(Debug, Clone)]
pub struct UploadItem {
    name: String,
    /// 0.0–1.0 of the bytes sent.
    progress: ArcRwSignal<f64>,
    state: ArcRwSignal<UploadState>,
}

impl UploadItem {
    /// A new upload of a file called `name`.
    pub fn new_for(name: String) -> Self {
        Self {
            name,
            progress: ArcRwSignal::new(0.0),
            state: ArcRwSignal::new(UploadState::Sending),
        }
    }
}

/// The answer to show for a finished upload.
fn outcome_view(outcome: IngestOutcome) -> AnyView {
    match outcome {
        IngestOutcome::Created { model_id, .. } => view! {
            <span class="badge ok">"Added"</span>
            <A href=format!("/models/{model_id}")>"Open"</A>
        }
        .into_any(),
        IngestOutcome::Duplicate {
            model_id,
            model_name,
        } => view! {
            <span class="badge warn">"Already in the vault"</span>
            <span class="dedupe">"as " <A href=format!("/models/{model_id}")>{model_name}</A></span>
        }
        .into_any(),
        IngestOutcome::DuplicateInTrash {
            model_id,
            model_name,
            ..
        } => view! {
            <span class="badge warn">"In the trash"</span>
            <span class="dedupe">"as " <A href=format!("/models/{model_id}")>{model_name}</A> " — restore it from the trash"</span>
        }
        .into_any(),
        IngestOutcome::Attached {
            model_id,
            revision_number,
            ..
        } => view! {
            <span class="badge ok">
                {match revision_number {
                    Some(n) => format!("Revision {n} added"),
                    None => "Added".to_owned(),
                }}
            </span>
            <A href=format!("/models/{model_id}")>"Open"</A>
        }
        .into_any(),
    }
}

/// The list of uploads with their progress and outcomes.
#[component]
pub fn UploadList(items: RwSignal<Vec<UploadItem>>) -> impl IntoView {
    view! {
        <ul class="upload-list" id="uploads">
            <For each=move || items.get().into_iter().enumerate() key=|(i, _)| *i let((_, item))>
                {
                    let UploadItem { name, progress, state } = item;
                    let (label, state_for_attr, progress_for_text) = (format!("Upload of {name}"), state.clone(), progress.clone());
                    let progress_for_bar = progress.clone();
                    view! {
                        <li class="upload" data-state=move || match state_for_attr.get() {
                            UploadState::Sending => "sending",
                            UploadState::Processing => "processing",
                            UploadState::Done(_) => "done",
                            UploadState::Failed(_) => "failed",
                        }>
                            <span class="upload-name">{name}</span>
                            <progress max="1" value=move || progress_for_bar.get() aria-label=label></progress>
                            <span class="upload-state">
                                {move || match state.get() {
                                    UploadState::Sending => view! { <span class="muted">{format!("{:.0} %", progress_for_text.get() * 100.0)}</span> }.into_any(),
                                    UploadState::Processing => view! { <span class="muted">"Reading and thumbnailing…"</span> }.into_any(),
                                    UploadState::Done(outcome) => outcome_view(outcome),
                                    UploadState::Failed(message) => view! { <span class="form-error" role="alert">{message}</span> }.into_any(),
                                }}
                            </span>
                        </li>
                    }
                }
            </For>
        </ul>
    }
}

/// The library's drop zone: many files at once, each with its own progress.
/// `on_stored` runs whenever an upload finished (to refresh the list).
#[component]
pub fn UploadPanel(
    /// Where new models go (the collection being browsed), if anywhere.
    #[prop(into)]
    collection: Signal<Option<i32>>,
    #[prop(into)] on_stored: Callback<()>,
) -> impl IntoView {
    let items = RwSignal::new(Vec::<UploadItem>::new());
    let dragging = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    // Files are only ever sent from the browser.
    #[cfg(not(feature = "hydrate"))]
    let _ = (on_stored, collection);
    #[cfg(feature = "hydrate")]
    let start = move |files: web_sys::FileList| {
        for i in 0..files.length() {
            if let Some(file) = files.get(i) {
                let item = UploadItem::new_for(file.name());
                items.update(|list| list.push(item.clone()));
                let fields: Vec<(&str, String)> = collection
                    .get_untracked()
                    .map(|id| ("collection_id", id.to_string()))
                    .into_iter()
                    .collect();
                browser::send(
                    file,
                    "/api/v1/ingest/model".into(),
                    &fields,
                    item,
                    on_stored,
                );
            }
        }
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(files) = ev.data_transfer().and_then(|d| d.files()) {
            start(files);
        }
    };
    let on_pick = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(files) = input.get().and_then(|i| i.files()) {
            start(files);
            if let Some(i) = input.get() {
                i.set_value("");
            }
        }
    };
    view! {
        <div
            class=move || if dragging.get() { "dropzone dragging" } else { "dropzone" }
            id="dropzone"
            on:dragover=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop
        >
            <p>
                "Drop meshes (STL, OBJ, 3MF) and G-code here, or "
                <label class="link" for="file-picker">"choose files"</label>
                {move || if collection.get().is_some() { ". They go into the collection you are browsing." } else { "." }}
            </p>
            <input id="file-picker" class="visually-hidden" type="file" multiple node_ref=input on:change=on_pick
                accept=".stl,.obj,.3mf,.gcode,.bgcode,.gco,.g" />
            <Show when=move || !items.get().is_empty()>
                <UploadList items=items />
            </Show>
        </div>
    }
}

/// The browser side: XHR with progress events, then polling the job.
#[cfg(feature = "hydrate")]
pub mod browser {
    use std::time::Duration;

    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use super::{UploadItem, UploadState};
    use crate::views::jobs::{JobState, JobView};
    use crate::views::models::IngestOutcome;

    /// The message of an error envelope, or a generic one.
    fn error_message(status: u16, body: &str) -> String {
        serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("The server answered {status}; try again."))
    }

    /// Sends `file` to `url` (multipart: `fields`, then `file`) and follows it to its
    /// outcome in `item`.
    pub fn send(
        file: web_sys::File,
        url: String,
        fields: &[(&str, String)],
        item: UploadItem,
        on_stored: Callback<()>,
    ) {
        let state = item.state.clone();
        let failed = move |message: &str| state.set(UploadState::Failed(message.to_owned()));
        let Ok(xhr) = web_sys::XmlHttpRequest::new() else {
            return failed("This browser cannot upload files.");
        };
        let Ok(form) = web_sys::FormData::new() else {
            return failed("This browser cannot upload files.");
        };
        // Text fields first, the file last (the usual order for multipart forms).
        if fields
            .iter()
            .any(|(name, value)| form.append_with_str(name, value).is_err())
            || form
                .append_with_blob_and_filename("file", &file, &file.name())
                .is_err()
            || xhr.open("POST", &url).is_err()
        {
            return failed("The file could not be read.");
        }
        let progress = item.progress.clone();
        let on_progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() && e.total() > 0.0 {
                    progress.set(e.loaded() / e.total());
                }
            });
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        }
        on_progress.forget();
        let answer = xhr.clone();
        let progress = item.progress.clone();
        let failed_load = failed.clone();
        let on_load = Closure::<dyn FnMut()>::new(move || {
            let failed = failed_load.clone();
            let status = answer.status().unwrap_or(0);
            let body = answer.response_text().ok().flatten().unwrap_or_default();
            progress.set(1.0);
            match status {
                202 => match serde_json::from_str::<JobView>(&body) {
                    Ok(job) => {
                        item.state.set(UploadState::Processing);
                        poll(job.job_id, item.clone(), on_stored);
                    }
                    Err(_) => failed("The server's answer could not be read."),
                },
                200 | 201 => match serde_json::from_str::<IngestOutcome>(&body) {
                    Ok(outcome) => {
                        item.state.set(UploadState::Done(outcome));
                        on_stored.run(());
                    }
                    Err(_) => failed("The server's answer could not be read."),
                },
                _ => failed(&error_message(status, &body)),
            }
        });
        xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
        on_load.forget();
        let failed_error = failed.clone();
        let on_error = Closure::<dyn FnMut()>::new(move || {
            failed_error("The upload was cut off; check the connection and try again.")
        });
        xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        if xhr.send_with_opt_form_data(Some(&form)).is_err() {
            failed("The upload could not be started.");
        }
    }

    /// Asks for the job until it has finished.
    fn poll(job_id: i32, item: UploadItem, on_stored: Callback<()>) {
        leptos::task::spawn_local(async move {
            match crate::api::jobs::get_job(job_id).await {
                Ok(job) if job.state == JobState::Completed => {
                    match job.result.map(serde_json::from_value::<IngestOutcome>) {
                        Some(Ok(outcome)) => item.state.set(UploadState::Done(outcome)),
                        _ => item.state.set(UploadState::Failed(
                            "Stored, but the answer could not be read; reload the page.".into(),
                        )),
                    }
                    on_stored.run(());
                }
                Ok(job) if job.state == JobState::Failed => item
                    .state
                    .set(UploadState::Failed(job.error.unwrap_or_else(|| {
                        "The vault could not store this file.".into()
                    }))),
                Ok(_) => set_timeout(
                    move || poll(job_id, item.clone(), on_stored),
                    Duration::from_millis(400),
                ),
                Err(err) => item.state.set(UploadState::Failed(err.message)),
            }
        });
    }
}
