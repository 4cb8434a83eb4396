//! Uploading from the browser: drop files or whole folders (or pick them)
//! and each one gets a
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

/// File name endings the vault takes (meshes and sliced G-code).
const VAULT_EXTENSIONS: [&str; 8] = [
    ".stl",
    ".obj",
    ".3mf",
    ".gcode",
    ".bgcode",
    ".gco",
    ".g",
    ".gcode.3mf",
];

/// Whether a file from a dropped folder is one the vault keeps (folders
/// also hold read-mes, pictures and slicer profiles, which are skipped).
pub fn is_vault_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    VAULT_EXTENSIONS.iter().any(|ext| lower.ends_with(ext))
}

/// The library's drop zone: many files or folders at once, each file with its
/// own progress. A folder's files go into collections named like its
/// subfolders (inside the collection being browsed).
/// `on_stored` runs whenever an upload finished (to refresh the list).
#[component]
pub fn UploadPanel(
    /// Where new models go (the collection being browsed), if anywhere.
    #[prop(into)]
    collection: Signal<Option<i32>>,
    #[prop(into)] on_stored: Callback<()>,
) -> impl IntoView {
    let items = RwSignal::new(Vec::<UploadItem>::new());
    let skipped = RwSignal::new(Vec::<String>::new());
    let dragging = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let folder_input = NodeRef::<leptos::html::Input>::new();
    // Files are only ever sent from the browser.
    #[cfg(not(feature = "hydrate"))]
    let _ = (on_stored, collection, skipped, folder_input);
    // One file, from `folder` ("" for a loose file; "Parts/Voron" inside a
    // dropped or picked folder).
    #[cfg(feature = "hydrate")]
    let start_one = move |file: web_sys::File, folder: String| {
        let name = file.name();
        let shown = if folder.is_empty() {
            name.clone()
        } else {
            format!("{folder}/{name}")
        };
        if !folder.is_empty() && !is_vault_file(&name) {
            skipped.update(|s| s.push(shown));
            return;
        }
        let item = UploadItem::new_for(shown);
        items.update(|list| list.push(item.clone()));
        let mut fields: Vec<(&str, String)> = collection
            .get_untracked()
            .map(|id| ("collection_id", id.to_string()))
            .into_iter()
            .collect();
        if !folder.is_empty() {
            fields.push(("collection", folder));
        }
        browser::send(
            file,
            "/api/v1/ingest/model".into(),
            &fields,
            item,
            on_stored,
        );
    };
    // Chromium, Firefox and Safari pick whole folders with this attribute;
    // the view macro has no name for it.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(picker) = folder_input.get() {
            let _ = picker.set_attribute("webkitdirectory", "");
        }
    });
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(transfer) = ev.data_transfer() {
            browser::each_dropped_file(&transfer, start_one);
        }
    };
    let on_pick = move |from: NodeRef<leptos::html::Input>| {
        #[cfg(feature = "hydrate")]
        if let Some(picker) = from.get() {
            if let Some(files) = picker.files() {
                for i in 0..files.length() {
                    if let Some(file) = files.get(i) {
                        let folder = browser::folder_of(&file);
                        start_one(file, folder);
                    }
                }
            }
            picker.set_value("");
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = from;
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
                "Drop meshes (STL, OBJ, 3MF), G-code or whole folders here, or "
                <label class="link" for="file-picker">"choose files"</label>
                " or "
                <label class="link" for="folder-picker">"a folder"</label>
                {move || if collection.get().is_some() { ". They go into the collection you are browsing." } else { "." }}
            </p>
            <input id="file-picker" class="visually-hidden" type="file" multiple node_ref=input on:change=move |_| on_pick(input)
                accept=".stl,.obj,.3mf,.gcode,.bgcode,.gco,.g" />
            <input id="folder-picker" class="visually-hidden" type="file" multiple node_ref=folder_input
                on:change=move |_| on_pick(folder_input) />
            <Show when=move || !skipped.get().is_empty()>
                <p class="muted" id="upload-skipped">
                    {move || {
                        let names = skipped.get();
                        let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
                        let more = names.len().saturating_sub(shown.len());
                        format!(
                            "Skipped {} {} that {} not meshes or G-code: {}{}",
                            names.len(),
                            if names.len() == 1 { "file" } else { "files" },
                            if names.len() == 1 { "is" } else { "are" },
                            shown.join(", "),
                            if more > 0 { format!(" and {more} more") } else { String::new() },
                        )
                    }}
                </p>
            </Show>
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

    use wasm_bindgen::prelude::wasm_bindgen;

    use super::{UploadItem, UploadState};
    use crate::views::jobs::{JobState, JobView};

    // Walking a dropped folder needs the File System entries API, whose
    // callbacks are far shorter to follow in JS than through web-sys.
    #[wasm_bindgen(inline_js = r#"
export function walk_dropped(transfer, each) {
  const items = transfer.items ? Array.from(transfer.items) : [];
  const entries = items
    .filter((item) => item.kind === 'file')
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  if (entries.length === 0 || entries.some((entry) => !entry)) {
    for (const file of Array.from(transfer.files || [])) each(file, '');
    return;
  }
  const walk = (entry, folder) => {
    if (entry.isFile) {
      entry.file((file) => each(file, folder), () => {});
    } else if (entry.isDirectory) {
      const inner = folder ? folder + '/' + entry.name : entry.name;
      const reader = entry.createReader();
      const next = () => reader.readEntries((batch) => {
        if (batch.length === 0) return;
        for (const child of batch) walk(child, inner);
        next();
      }, () => {});
      next();
    }
  };
  for (const entry of entries) walk(entry, '');
}
export function folder_of(file) {
  const path = file.webkitRelativePath || '';
  const cut = path.lastIndexOf('/');
  return cut > 0 ? path.slice(0, cut) : '';
}
"#)]
    extern "C" {
        fn walk_dropped(
            transfer: &web_sys::DataTransfer,
            each: &Closure<dyn FnMut(web_sys::File, String)>,
        );
        /// The folder a picked file came from inside a picked folder ("" for a loose file).
        pub fn folder_of(file: &web_sys::File) -> String;
    }

    /// Calls `each(file, folder)` for every file dropped, walking into
    /// dropped folders (`folder` is their path, "" for loose files).
    pub fn each_dropped_file(
        transfer: &web_sys::DataTransfer,
        mut each: impl FnMut(web_sys::File, String) + 'static,
    ) {
        let callback = Closure::<dyn FnMut(web_sys::File, String)>::new(
            move |file: web_sys::File, folder: String| each(file, folder),
        );
        walk_dropped(transfer, &callback);
        // Folder walks call back later; the callback lives as long as the page.
        callback.forget();
    }
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

#[cfg(test)]
mod tests {
    use super::is_vault_file;

    #[test]
    fn folders_keep_meshes_and_gcode_only() {
        for name in [
            "Bracket.STL",
            "a.obj",
            "p.3mf",
            "x.gcode",
            "y.bgcode",
            "z.gcode.3mf",
            "old.gco",
            "k.g",
        ] {
            assert!(is_vault_file(name), "{name}");
        }
        for name in [
            "README.md",
            "photo.jpg",
            "profile.ini",
            "stl",
            "notes.gcode.txt",
        ] {
            assert!(!is_vault_file(name), "{name}");
        }
    }
}
