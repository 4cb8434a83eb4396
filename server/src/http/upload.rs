//! Multipart upload forms: the `file` part is streamed straight into the
//! storage staging area (hashed and size-limited while it arrives, so an
//! oversized upload is cut off with 413 and leaves nothing behind); the other
//! parts are small text fields.

use std::collections::HashMap;

use app::backend::ingest::Upload;
use app::backend::runtime_settings;
use app::backend::state::AppState;
use app::backend::storage::StorageError;
use app::error::{AppError, ErrorCode};
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Request};

use super::error::ApiError;

/// Largest text field accepted in an upload form.
const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;

/// A parsed upload form.
pub struct UploadForm {
    /// The staged `file` part.
    pub file: Upload,
    /// The text fields, by name (the last value wins).
    pub fields: HashMap<String, String>,
}

impl UploadForm {
    /// A trimmed, non-empty text field.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A whole-number field, or a 422 naming it.
    pub fn number(&self, name: &'static str) -> Result<Option<i32>, ApiError> {
        self.text(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    ApiError(AppError::invalid(
                        Some(name),
                        format!("{name} must be a whole number, got \"{v}\"."),
                    ))
                })
            })
            .transpose()
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError(AppError::invalid(Some("file"), message.into()))
}

fn multipart_error(err: MultipartError) -> ApiError {
    invalid(format!(
        "The upload was cut off or is not valid multipart/form-data: {}",
        err.body_text()
    ))
}

/// Reads the form; the request must be `multipart/form-data` with exactly
/// one `file` part.
pub async fn read_upload_form(state: &AppState, request: Request) -> Result<UploadForm, ApiError> {
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|_| invalid("Send the file as multipart/form-data with a part named \"file\"."))?;
    let mut file = None;
    let mut fields = HashMap::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if file.is_some() {
                return Err(invalid(
                    "Send one file per request (one part named \"file\").",
                ));
            }
            file = Some(stage_file(state, field).await?);
        } else {
            fields.insert(name, read_text(field).await?);
        }
    }
    let file = file.ok_or_else(|| invalid("The form has no part named \"file\"."))?;
    Ok(UploadForm { file, fields })
}

async fn stage_file(state: &AppState, field: Field<'_>) -> Result<Upload, ApiError> {
    let filename = field.file_name().unwrap_or_default().to_owned();
    let limit = runtime_settings::effective(state).await?.max_upload_bytes;
    let staged = state.storage.staging().stage_stream(field, limit).await.map_err(|err| match err {
        StorageError::TooLarge { limit_bytes } => ApiError(AppError::new(
            ErrorCode::TooLarge,
            format!(
                "The file is larger than the {} MiB upload limit (VAULT_MAX_UPLOAD_MB); nothing was stored.",
                limit_bytes / (1024 * 1024)
            ),
        )),
        StorageError::SourceFailed { .. } => invalid("The upload was interrupted before the file was complete; nothing was stored."),
        other => {
            tracing::error!(error = ?other, "staging an upload failed");
            ApiError(AppError::internal())
        }
    })?;
    Ok(Upload { staged, filename })
}

async fn read_text(mut field: Field<'_>) -> Result<String, ApiError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(ApiError(AppError {
                field: Some(name.clone()),
                ..AppError::new(
                    ErrorCode::TooLarge,
                    format!("The form field \"{name}\" is longer than 64 KiB."),
                )
            }));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| {
        ApiError(AppError::invalid(
            Some(&name),
            format!("The form field \"{name}\" is not UTF-8 text."),
        ))
    })
}
