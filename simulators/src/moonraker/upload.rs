//! File transfer over HTTP (Moonraker offers it on no other transport):
//! multipart upload with checksum and print-after-upload, download, delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::multipart::MultipartError;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tracing::{info, instrument};

use super::error::{SimError, ok_envelope};
use super::files::{self, StoredFile, WRITABLE_ROOTS, split_root, unix_now};
use super::hub::Shared;
use super::rpc::{self, Params};

/// `POST /server/files/upload`.
pub(crate) async fn upload_file(
    State(shared): State<Arc<Shared>>,
    multipart: Multipart,
) -> Response {
    upload(&shared, multipart)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The parts of an upload form.
struct UploadForm {
    filename: String,
    data: Bytes,
    fields: Params,
}

async fn read_form(mut multipart: Multipart) -> Result<UploadForm, SimError> {
    let mut file = None;
    let mut fields = Params::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let filename = field
                .file_name()
                .map(str::to_owned)
                .ok_or_else(|| SimError::BadRequest("The 'file' part has no filename".into()))?;
            let data = field.bytes().await.map_err(multipart_error)?;
            file = Some((filename, data));
        } else {
            let text = field.text().await.map_err(multipart_error)?;
            fields.insert(name, Value::from(text));
        }
    }
    let (filename, data) =
        file.ok_or_else(|| SimError::BadRequest("No file part in upload".into()))?;
    Ok(UploadForm {
        filename,
        data,
        fields,
    })
}

fn multipart_error(err: MultipartError) -> SimError {
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        SimError::TooLarge
    } else {
        SimError::BadRequest(format!("Malformed multipart upload: {}", err.body_text()))
    }
}

#[instrument(skip_all, fields(file.path, size_bytes, file.sha256))]
async fn upload(shared: &Arc<Shared>, multipart: Multipart) -> Result<Response, SimError> {
    let form = read_form(multipart).await?;
    let root = rpc::opt_str_arg(&form.fields, "root")
        .unwrap_or("gcodes")
        .to_owned();
    if !WRITABLE_ROOTS.contains(&root.as_str()) {
        return Err(SimError::BadRequest(format!(
            "Invalid root for upload: {root}"
        )));
    }
    let dir = files::normalize(rpc::opt_str_arg(&form.fields, "path").unwrap_or_default())?;
    let name = files::normalize(&form.filename)?;
    if name.is_empty() {
        return Err(SimError::BadRequest("Empty filename".into()));
    }
    let path = if dir.is_empty() {
        name.clone()
    } else {
        format!("{dir}/{name}")
    };
    // A directory inside the filename must exist already; the `path` field is created.
    let parent_in_name = name.rsplit_once('/').map(|(parent, _)| parent);
    let print = rpc::bool_arg(&form.fields, "print")?;
    let expected = rpc::opt_str_arg(&form.fields, "checksum").map(str::to_ascii_lowercase);

    let span = tracing::Span::current();
    span.record("file.path", path.as_str());
    span.record("size_bytes", form.data.len());
    let prepared_path = path.clone();
    let data = form.data;
    let file =
        tokio::task::spawn_blocking(move || StoredFile::prepare(&prepared_path, data, unix_now()))
            .await
            .map_err(|_| SimError::Unavailable("Upload processing failed".into()))?;
    span.record("file.sha256", file.sha256.as_str());
    if let Some(expected) = expected.filter(|e| !e.is_empty())
        && expected != file.sha256
    {
        return Err(SimError::ChecksumMismatch {
            expected,
            actual: file.sha256,
        });
    }

    let mut inner = shared.lock();
    if let Some(parent) = parent_in_name {
        let full_parent = if dir.is_empty() {
            parent.to_owned()
        } else {
            format!("{dir}/{parent}")
        };
        if !inner.files.dir_exists(&root, &full_parent) {
            return Err(SimError::BadRequest(format!(
                "Directory does not exist: {root}/{full_parent}"
            )));
        }
    }
    if root == "gcodes" && inner.printer.busy_with() == Some(path.as_str()) {
        return Err(SimError::Forbidden(format!(
            "File currently in use: {path}"
        )));
    }
    inner.files.create_dirs(&root, &dir);
    let item = file.item(&root, &path);
    inner.files.insert(&root, &path, file);
    inner.notify_filelist("create_file", item.clone());
    let print_started = print
        && root == "gcodes"
        && match rpc::start_print(&mut inner, &path) {
            Ok(()) => true,
            Err(err) => {
                info!(error = %err, "upload stored, print not started");
                false
            }
        };
    drop(inner);

    info!(print_started, "file uploaded");
    let body = json!({"item": item, "print_started": print_started, "print_queued": false, "action": "create_file"});
    let mut response = ok_envelope(body);
    *response.status_mut() = StatusCode::CREATED;
    let location = format!("/server/files/{root}/{}", percent_encode_path(&path));
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// `GET /server/files/{root}/{path}`: the raw bytes.
pub(crate) async fn download_file(
    State(shared): State<Arc<Shared>>,
    Path((root, path)): Path<(String, String)>,
) -> Response {
    let found = split_root(&format!("{root}/{path}")).and_then(|(root, path)| {
        let inner = shared.lock();
        inner
            .files
            .get(&root, &path)
            .map(|f| f.data.clone())
            .ok_or_else(|| SimError::NotFound(format!("File not found: {root}/{path}")))
    });
    match found {
        Ok(data) => ([(header::CONTENT_TYPE, "application/octet-stream")], data).into_response(),
        Err(err) => err.into_response(),
    }
}

/// `DELETE /server/files/{root}/{path}`.
pub(crate) async fn delete_file(
    State(shared): State<Arc<Shared>>,
    Path((root, path)): Path<(String, String)>,
) -> Response {
    let result = split_root(&format!("{root}/{path}")).and_then(|(root, path)| {
        let mut inner = shared.lock();
        rpc::delete_file(&mut inner, &root, &path)
    });
    match result {
        Ok(result) => ok_envelope(result),
        Err(err) => err.into_response(),
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
