//! Reading artifacts back out: which stored object a download or thumbnail
//! request maps to, and under what name and type.

use sea_orm::EntityTrait;

use crate::backend::auth::Actor;
use crate::backend::db::entities::{files, models};
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::backend::storage::StorageKey;
use crate::views::auth::Role;

/// What to stream for one request.
#[derive(Debug, Clone)]
pub struct StoredObject {
    /// The storage key of the bytes.
    pub key: StorageKey,
    /// Name to offer the browser.
    pub filename: String,
    /// MIME type.
    pub content_type: &'static str,
    /// Strong validator (content hash).
    pub etag: String,
}

fn content_type_of(kind: &str) -> &'static str {
    match kind {
        "stl" => "model/stl",
        "obj" => "model/obj",
        "3mf" | "gcode_3mf" => "model/3mf",
        "gcode" => "text/x.gcode",
        _ => "application/octet-stream",
    }
}

/// The file, if the caller may see the model it belongs to.
pub(crate) async fn find_file(
    state: &AppState,
    actor: &Actor,
    file_id: i32,
) -> Result<files::Model, ServiceError> {
    let file = files::Entity::find_by_id(file_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("file"))?;
    let model = models::Entity::find_by_id(file.model_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("file"))?;
    actor.require(model.collection_id, Role::View, "file")?;
    Ok(file)
}

/// The original bytes of an artifact.
pub async fn download_file(
    state: &AppState,
    actor: &Actor,
    file_id: i32,
) -> Result<StoredObject, ServiceError> {
    let file = find_file(state, actor, file_id).await?;
    let key: StorageKey = crate::backend::storage::StorageKey::blob(
        &file
            .sha256
            .parse()
            .map_err(|_| ServiceError::Internal(format!("file {file_id} has a malformed hash")))?,
    );
    Ok(StoredObject {
        key,
        content_type: content_type_of(&file.kind),
        etag: format!("\"{}\"", file.sha256),
        filename: file.original_filename,
    })
}

/// The thumbnail of an artifact (`grid` = browse-card size). WebP for
/// everything new; legacy PNG keys are served as PNG.
pub async fn file_thumbnail(
    state: &AppState,
    actor: &Actor,
    file_id: i32,
    grid: bool,
) -> Result<StoredObject, ServiceError> {
    let file = find_file(state, actor, file_id).await?;
    let key_text = if grid {
        file.thumbnail_grid_key.or(file.thumbnail_key)
    } else {
        file.thumbnail_key
    };
    let key_text = key_text.ok_or(ServiceError::NotFound("thumbnail"))?;
    let key: StorageKey = key_text.parse().map_err(|_| {
        ServiceError::Internal(format!("file {file_id} has a malformed thumbnail key"))
    })?;
    let content_type = if key_text.ends_with(".png") {
        "image/png"
    } else {
        "image/webp"
    };
    Ok(StoredObject {
        etag: format!("\"{}\"", key_text.rsplit('/').next().unwrap_or(&key_text)),
        filename: format!(
            "{}.{}",
            file.id,
            if content_type == "image/png" {
                "png"
            } else {
                "webp"
            }
        ),
        content_type,
        key,
    })
}
