//! Ingestion: `persist_artifact` is the only way a file enters the vault.
//! Every way in (UI upload, REST, server functions, slicer uploads, library
//! scans, revision attach) stages the bytes (streamed to a temp file while
//! hashed, size-limited) and calls it. The order is fixed:
//!
//! 1. read the file (kind, identity, metadata, thumbnail image) off the async path;
//! 2. dedupe new models by identity (canonical mesh hash; byte hash for G-code);
//! 3. record the blob (count 0) and move the bytes into canonical storage,
//!    then store the thumbnails;
//! 4. in ONE transaction: assign the version, write the file row, take the
//!    blob reference, write the metadata, apply the recommended-revision rule.
//!
//! A crash before step 4 commits leaves at most an unreferenced blob, which
//! orphan GC removes after its grace period; no row ever points at bytes that
//! are not there, and nothing partial is visible.

pub mod analyze;
pub mod submit;

use std::sync::Arc;

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

use crate::backend::auth::Actor;
use crate::backend::db::entities::{file_metadata, files, models};
use crate::backend::db::scopes;
use crate::backend::error::ServiceError;
use crate::backend::formats::Limits;
use crate::backend::formats::mesh::GeometryStats;
use crate::backend::formats::slicer_meta::{ConfigMap, SlicerMetadata};
use crate::backend::services::{blobs, collections, models as model_service, revisions};
use crate::backend::state::AppState;
use crate::backend::storage::{StagedFile, StorageError, StorageKey, ThumbFormat};
use crate::backend::thumbs::render::RenderOptions;
use crate::views::auth::Role;
use crate::views::models::{IngestOutcome, Outcome};
use analyze::Analysis;

/// Where an artifact goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestTarget {
    /// A new model (deduplicated by identity), optionally named and filed.
    NewModel {
        /// Display name; defaults to the file name without extension.
        name: Option<String>,
        /// Collection to file it in.
        collection_id: Option<i32>,
    },
    /// Another artifact (e.g. a G-code revision) of an existing live model.
    Existing(i32),
}

/// An uploaded file waiting to be persisted.
pub struct Upload {
    /// The staged bytes (hashed while written).
    pub staged: StagedFile,
    /// The name it was uploaded with (only its last path segment is kept).
    pub filename: String,
}

/// Keeps only the last path segment and drops control characters, so a name
/// like `../../x.stl` is stored as `x.stl`.
pub fn clean_filename(raw: &str) -> Result<String, ServiceError> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim().trim_start_matches('.').trim().to_owned();
    if name.is_empty() {
        return Err(ServiceError::Invalid {
            field: "file",
            reason: "The upload needs a file name.".into(),
        });
    }
    Ok(name.chars().take(255).collect())
}

fn stem(filename: &str) -> String {
    let lower = filename.to_ascii_lowercase();
    let cut = [".gcode.3mf", ".bgcode", ".gcode", ".stl", ".obj", ".3mf"]
        .iter()
        .find(|ext| lower.ends_with(*ext))
        .map_or(filename.len(), |ext| filename.len() - ext.len());
    let stem = filename[..cut].replace(['_', '-'], " ");
    let stem = stem.trim();
    if stem.is_empty() {
        filename.to_owned()
    } else {
        stem.to_owned()
    }
}

fn storage_err(err: StorageError) -> ServiceError {
    match err {
        StorageError::TooLarge { limit_bytes } => ServiceError::TooLarge(format!(
            "The file is larger than the {} MiB upload limit.",
            limit_bytes / (1 << 20)
        )),
        other => ServiceError::Internal(format!("storage: {other}")),
    }
}

/// Persists one uploaded file. See the module docs for the order and the
/// crash guarantees.
#[tracing::instrument(skip_all, fields(file.name = %upload.filename, file.sha256 = %upload.staged.sha256(), size_bytes = upload.staged.size_bytes()))]
pub async fn persist_artifact(
    state: &AppState,
    actor: &Actor,
    target: IngestTarget,
    upload: Upload,
) -> Result<IngestOutcome, ServiceError> {
    authorize_target(&state.db, actor, &target).await?;
    let filename = clean_filename(&upload.filename)?;
    if upload.staged.size_bytes() == 0 {
        return Err(ServiceError::Invalid {
            field: "file",
            reason: format!("\"{filename}\" is empty."),
        });
    }
    let sha256 = upload.staged.sha256().to_string();
    let size_bytes = i64::try_from(upload.staged.size_bytes()).unwrap_or(i64::MAX);

    // 1. Read the file off the async path.
    let path = upload.staged.path().to_owned();
    let name_for_read = filename.clone();
    let limits = Limits::default();
    let (analysis, thumbnails): (Analysis, Option<analyze::EncodedThumbnails>) =
        tokio::task::spawn_blocking(move || {
            let analysis =
                analyze::analyze(&path, &name_for_read, &limits, &RenderOptions::default());
            let thumbnails = analysis
                .thumbnail
                .as_ref()
                .and_then(analyze::encode_thumbnails);
            (analysis, thumbnails)
        })
        .await
        .map_err(|err| ServiceError::Internal(format!("analysis task failed: {err}")))?;
    let Some(kind) = analysis.kind else {
        return Err(ServiceError::Invalid {
            field: "file",
            reason: format!(
                "\"{filename}\" is not a file type PrintStash stores (STL, OBJ, 3MF, G-code, binary G-code)."
            ),
        });
    };
    // A mesh that cannot be read gets no model of its own: it would have no identity.
    if !kind.is_gcode()
        && analysis.mesh_sha256.is_none()
        && matches!(target, IngestTarget::NewModel { .. })
    {
        return Err(ServiceError::Invalid {
            field: "file",
            reason: format!(
                "\"{filename}\" could not be read as a mesh: {}",
                analysis.error.as_deref().unwrap_or("no triangles found")
            ),
        });
    }

    // 2. Dedupe new models by identity.
    let (identity, identity_kind) = match &analysis.mesh_sha256 {
        Some(mesh) if !kind.is_gcode() => (mesh.clone(), "mesh"),
        _ => (sha256.clone(), "bytes"),
    };
    if let IngestTarget::NewModel { .. } = target
        && let Some(existing) = models::Entity::find()
            .filter(models::Column::IdentityHash.eq(&identity))
            .one(&state.db)
            .await?
    {
        return duplicate_outcome(actor, existing);
    }

    // 3. Bytes into canonical storage (blob row first, so a crash leaves a findable orphan).
    let blob_key = upload.staged.blob_key();
    {
        let txn = state.begin_write().await?;
        blobs::find_or_create(&*txn, &sha256, size_bytes, blob_key.as_str()).await?;
        txn.commit().await?;
    }
    state
        .storage
        .put(&blob_key, upload.staged)
        .await
        .map_err(storage_err)?;
    let thumb_keys = match &thumbnails {
        Some((full, grid)) => store_thumbnails(state, &sha256, full, grid).await,
        None => None,
    };

    // 4. One transaction makes it all visible at once.
    let txn = state.begin_write().await?;
    let blob = blobs::find_or_create(&*txn, &sha256, size_bytes, blob_key.as_str()).await?;
    let now = chrono::Utc::now();
    let (model_id, created) = match &target {
        IngestTarget::NewModel {
            name,
            collection_id,
        } => {
            // Re-check under the write lock: a concurrent upload may have won.
            if let Some(existing) = models::Entity::find()
                .filter(models::Column::IdentityHash.eq(&identity))
                .one(&*txn)
                .await?
            {
                return duplicate_outcome(actor, existing);
            }
            if let Some(collection) = collection_id {
                collections::ensure_exists(&*txn, *collection, "collection_id").await?;
            }
            let name = match name {
                Some(n) => model_service::clean_model_name(n)?,
                None => stem(&filename),
            };
            let model = models::ActiveModel {
                name: Set(name),
                description: Set(String::new()),
                identity_hash: Set(identity.clone()),
                identity_kind: Set(identity_kind.to_owned()),
                collection_id: Set(*collection_id),
                created_by: Set(actor.user_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&*txn)
            .await?;
            (model.id, true)
        }
        IngestTarget::Existing(id) => {
            revisions::lock_model(&*txn, *id).await?;
            models::Entity::find_by_id(*id)
                .filter(scopes::live::<models::Entity>())
                .one(&*txn)
                .await?
                .ok_or(ServiceError::NotFound("model"))?;
            (*id, false)
        }
    };
    let version = next_version(&*txn, model_id).await?;
    let file = files::ActiveModel {
        model_id: Set(model_id),
        blob_id: Set(blob.id),
        version: Set(version),
        kind: Set(kind.as_str().to_owned()),
        original_filename: Set(filename.clone()),
        size_bytes: Set(size_bytes),
        sha256: Set(sha256.clone()),
        mesh_sha256: Set(analysis.mesh_sha256.clone()),
        revision_label: Set(None),
        revision_status: Set(kind
            .is_gcode()
            .then(|| Outcome::NeedsTest.as_str().to_owned())),
        revision_notes: Set(String::new()),
        is_recommended: Set(false),
        thumbnail_key: Set(thumb_keys
            .as_ref()
            .map(|(full, _)| full.as_str().to_owned())),
        thumbnail_grid_key: Set(thumb_keys
            .as_ref()
            .map(|(_, grid)| grid.as_str().to_owned())),
        processing_error: Set(analysis.error.clone()),
        uploaded_by: Set(actor.user_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    blobs::acquire(&*txn, blob.id).await?;
    metadata_row(file.id, &analysis, now).insert(&*txn).await?;
    if kind.is_gcode() {
        revisions::reconcile_recommended(&*txn, model_id).await?;
    }
    model_service::refresh_summary(&*txn, model_id).await?;
    txn.commit().await?;
    tracing::info!(
        model.id = model_id,
        file.id = file.id,
        file.version = version,
        kind = kind.as_str(),
        "artifact stored"
    );

    if created {
        Ok(IngestOutcome::Created {
            model_id,
            file_id: file.id,
        })
    } else {
        let revision_number = if kind.is_gcode() {
            Some(revision_count(&state.db, model_id).await?)
        } else {
            None
        };
        Ok(IngestOutcome::Attached {
            model_id,
            file_id: file.id,
            revision_number,
        })
    }
}

/// Fails unless the caller may add to the target: edit rights where the new
/// model goes, or on the existing model.
pub(crate) async fn authorize_target(
    db: &impl ConnectionTrait,
    actor: &Actor,
    target: &IngestTarget,
) -> Result<(), ServiceError> {
    match target {
        IngestTarget::NewModel { collection_id, .. } => {
            match (actor.role_in(*collection_id), collection_id) {
                (Some(role), _) if role >= Role::Edit => Ok(()),
                // A hidden collection reads exactly like a missing one.
                (None, Some(id)) => Err(ServiceError::Invalid {
                    field: "collection_id",
                    reason: format!("Collection {id} does not exist."),
                }),
                _ => Err(ServiceError::Forbidden),
            }
        }
        IngestTarget::Existing(id) => model_service::model_for(db, actor, *id, Role::Edit)
            .await
            .map(|_| ()),
    }
}

/// The answer for an upload whose model exists already. A model the caller
/// may not see is not named (its existence is all they learn).
fn duplicate_outcome(
    actor: &Actor,
    existing: models::Model,
) -> Result<IngestOutcome, ServiceError> {
    if actor.role_in(existing.collection_id).is_none() {
        return Err(ServiceError::Conflict(
            "This file is already in the vault, in a collection you cannot see; ask an admin for access."
                .into(),
        ));
    }
    Ok(if existing.deleted_at.is_some() {
        IngestOutcome::DuplicateInTrash {
            model_id: existing.id,
            restore_url: format!("/api/v1/models/{}/restore", existing.id),
            model_name: existing.name,
        }
    } else {
        IngestOutcome::Duplicate {
            model_id: existing.id,
            model_name: existing.name,
        }
    })
}

async fn next_version(db: &impl ConnectionTrait, model_id: i32) -> Result<i32, ServiceError> {
    let max: Option<i32> = files::Entity::find()
        .select_only()
        .column_as(
            Expr::from(Func::max(Expr::col(files::Column::Version))),
            "v",
        )
        .filter(files::Column::ModelId.eq(model_id))
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    Ok(max.unwrap_or(0) + 1)
}

async fn revision_count(db: &impl ConnectionTrait, model_id: i32) -> Result<u32, ServiceError> {
    let n = sea_orm::PaginatorTrait::count(
        files::Entity::find()
            .filter(files::Column::ModelId.eq(model_id))
            .filter(files::Column::Kind.is_in(revisions::gcode_kinds())),
        db,
    )
    .await?;
    Ok(n as u32)
}

/// Stores both thumbnail sizes; a failure only costs the picture.
pub(crate) async fn store_thumbnails(
    state: &AppState,
    sha256: &str,
    full: &[u8],
    grid: &[u8],
) -> Option<(StorageKey, StorageKey)> {
    let sha = sha256.parse().ok()?;
    let full_key = StorageKey::thumb(&sha, "full", ThumbFormat::Webp).ok()?;
    let grid_key = StorageKey::thumb(&sha, "grid", ThumbFormat::Webp).ok()?;
    let storage = Arc::clone(&state.storage);
    let stored = async {
        storage
            .put_bytes(&full_key, bytes::Bytes::copy_from_slice(full))
            .await?;
        storage
            .put_bytes(&grid_key, bytes::Bytes::copy_from_slice(grid))
            .await
    }
    .await;
    match stored {
        Ok(_) => Some((full_key, grid_key)),
        Err(err) => {
            tracing::warn!(error = %err, "could not store thumbnails");
            None
        }
    }
}

fn metadata_row(
    file_id: i32,
    a: &Analysis,
    now: chrono::DateTime<chrono::Utc>,
) -> file_metadata::ActiveModel {
    file_metadata::ActiveModel {
        file_id: Set(file_id),
        created_at: Set(now),
        ..metadata_columns(a.metadata.as_ref(), a.geometry.as_ref(), a.config.as_ref())
    }
}

/// The metadata columns the vault stores for what a reader learnt from a
/// file (typed columns, the rest in `details`, the full slicer config); the
/// caller sets `file_id` and `created_at`. Shared with `server seed`.
pub fn metadata_columns(
    meta: Option<&SlicerMetadata>,
    geometry: Option<&GeometryStats>,
    config: Option<&ConfigMap>,
) -> file_metadata::ActiveModel {
    let m = meta.cloned().unwrap_or_default();
    let g = geometry;
    let details = serde_json::json!({
        "gcode_flavor": m.gcode_flavor,
        "printer_settings_id": m.printer_settings_id,
        "print_settings_id": m.print_settings_id,
        "filament_settings_id": m.filament_settings_id,
        "layer_count": m.layer_count,
        "first_layer_nozzle_temperature_c": m.first_layer_nozzle_temperature_c,
        "first_layer_bed_temperature_c": m.first_layer_bed_temperature_c,
        "filament_colors": m.filament_colors,
        "filament_diameter_mm": m.filament_diameter_mm,
        "bed_type": m.bed_type,
        "plate_index": m.plate_index,
        "object_names": m.object_names,
        "surface_area_mm2": g.map(|g| g.surface_area_mm2),
        "body_count": g.and_then(|g| g.body_count),
    });
    file_metadata::ActiveModel {
        slicer_name: Set(m.slicer_name),
        slicer_version: Set(m.slicer_version),
        printer_model: Set(m.printer_model),
        nozzle_diameter_mm: Set(m.nozzle_diameter_mm),
        layer_height_mm: Set(m.layer_height_mm),
        first_layer_height_mm: Set(m.first_layer_height_mm),
        infill_percent: Set(m.infill_percent),
        wall_loops: Set(m.wall_loops.map(|v| v as i32)),
        top_shell_layers: Set(m.top_shell_layers.map(|v| v as i32)),
        bottom_shell_layers: Set(m.bottom_shell_layers.map(|v| v as i32)),
        support_material: Set(m.support_material),
        nozzle_temperature_c: Set(m.nozzle_temperature_c),
        bed_temperature_c: Set(m.bed_temperature_c),
        estimated_time_s: Set(m
            .estimated_time_s
            .map(|v| i64::try_from(v).unwrap_or(i64::MAX))),
        filament_weight_g: Set(m.filament_weight_g),
        filament_length_mm: Set(m.filament_length_mm),
        filament_cost: Set(m.filament_cost),
        material_type: Set(m.material_type),
        material_brand: Set(m.material_brand),
        bbox_x_mm: Set(g.map(|g| g.bbox_x_mm)),
        bbox_y_mm: Set(g.map(|g| g.bbox_y_mm)),
        bbox_z_mm: Set(g.map(|g| g.bbox_z_mm)),
        volume_mm3: Set(g.map(|g| g.volume_mm3)),
        triangle_count: Set(g.map(|g| i64::try_from(g.triangle_count).unwrap_or(i64::MAX))),
        details: Set(Some(details)),
        slicer_config: Set(config.and_then(|c| serde_json::to_value(c).ok())),
        ..Default::default()
    }
}
