//! The 3D preview of a mesh artifact: read from storage, welded and — for
//! meshes over the preview budget — decimated, encoded as PSM1, and kept in
//! a small in-process cache keyed by the file's content hash.

use std::collections::VecDeque;
use std::sync::{Mutex, OnceLock};

use bytes::Bytes;

use crate::backend::auth::Actor;
use crate::backend::db::entities::{files, models};
use crate::backend::error::ServiceError;
use crate::backend::formats::mesh_reader::{MeshKind, read_mesh_from};
use crate::backend::formats::{Limits, preview_mesh};
use crate::backend::state::AppState;

/// Bumped when the PSM1 encoder changes, so browsers drop old copies.
const ENCODER_VERSION: u32 = 1;

/// Bytes of encoded previews kept in memory (the most recent first).
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// An encoded preview and its validator.
#[derive(Debug, Clone)]
pub struct PreviewBytes {
    /// Strong ETag: the source content hash and encoder version.
    pub etag: String,
    /// The PSM1 bytes.
    pub bytes: Bytes,
}

/// The mesh kind of a stored artifact kind, if it is a mesh.
fn mesh_kind(kind: &str) -> Option<MeshKind> {
    match kind {
        "stl" => Some(MeshKind::Stl),
        "obj" => Some(MeshKind::Obj),
        "3mf" => Some(MeshKind::ThreeMf),
        _ => None,
    }
}

/// The artifact a model's preview shows: its newest live mesh.
pub fn preview_file<'a>(
    model_files: &'a [files::Model],
    model: &models::Model,
) -> Option<&'a files::Model> {
    model_files
        .iter()
        .filter(|f| f.model_id == model.id && f.deleted_at.is_none())
        .filter(|f| mesh_kind(&f.kind).is_some() && f.processing_error.is_none())
        .max_by_key(|f| f.version)
}

/// The ETag a preview of `sha256` is served with.
pub fn etag_for(sha256: &str) -> String {
    format!("\"psm{ENCODER_VERSION}-{sha256}\"")
}

fn cache() -> &'static Mutex<VecDeque<(String, Bytes)>> {
    static CACHE: OnceLock<Mutex<VecDeque<(String, Bytes)>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(VecDeque::new()))
}

fn cached(etag: &str) -> Option<Bytes> {
    let guard = cache().lock().ok()?;
    guard
        .iter()
        .find(|(k, _)| k == etag)
        .map(|(_, b)| b.clone())
}

fn remember(etag: String, bytes: Bytes) {
    let Ok(mut guard) = cache().lock() else {
        return;
    };
    guard.retain(|(k, _)| *k != etag);
    guard.push_front((etag, bytes));
    let mut total = 0usize;
    guard.retain(|(_, b)| {
        total += b.len();
        total <= CACHE_BYTES
    });
}

/// Checks the caller may see `file_id` and that it is a mesh; its ETag.
pub async fn preview_etag(
    state: &AppState,
    actor: &Actor,
    file_id: i32,
) -> Result<(files::Model, String), ServiceError> {
    let file = super::files::find_file(state, actor, file_id).await?;
    if mesh_kind(&file.kind).is_none() {
        return Err(ServiceError::NotFound("3D preview"));
    }
    let etag = etag_for(&file.sha256);
    Ok((file, etag))
}

/// The PSM1 preview of a mesh artifact the caller may see.
#[tracing::instrument(skip(state, actor))]
pub async fn preview_mesh(
    state: &AppState,
    actor: &Actor,
    file_id: i32,
) -> Result<PreviewBytes, ServiceError> {
    let (file, etag) = preview_etag(state, actor, file_id).await?;
    if let Some(bytes) = cached(&etag) {
        return Ok(PreviewBytes { etag, bytes });
    }
    let kind = mesh_kind(&file.kind).ok_or(ServiceError::NotFound("3D preview"))?;
    let staged = super::blobs::stage_copy(state, &file.sha256, "3D preview").await?;
    let path = staged.path().to_owned();
    let encoded = tokio::task::spawn_blocking(move || {
        let reader = std::fs::File::open(&path).map_err(|e| e.to_string())?;
        let loaded = read_mesh_from(kind, std::io::BufReader::new(reader), &Limits::default())
            .map_err(|e| e.to_string())?;
        let preview =
            preview_mesh::build_preview(loaded.mesh.triangles(), preview_mesh::PREVIEW_TRIANGLES)
                .ok_or_else(|| "the mesh has no triangles".to_owned())?;
        Ok::<_, String>(preview_mesh::encode(&preview))
    })
    .await
    .map_err(|err| ServiceError::Internal(format!("3D preview task failed: {err}")))?;
    drop(staged);
    let bytes = Bytes::from(encoded.map_err(|reason| {
        tracing::warn!(file.id = file_id, %reason, "no 3D preview");
        ServiceError::NotFound("3D preview")
    })?);
    remember(etag.clone(), bytes.clone());
    Ok(PreviewBytes { etag, bytes })
}
