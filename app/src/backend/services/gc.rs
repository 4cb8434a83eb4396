//! Orphan-blob GC: a query plus a grace period, never a walk that guesses
//! what is unowned. A blob row whose reference count has been zero for
//! longer than `VAULT_BLOB_GC_GRACE_HOURS` is locked, its bytes and derived
//! thumbnails are deleted from storage, then the row. Only keys the vault
//! created itself (`blobs/…`, `thumbs/…`) are ever touched; files in shared
//! volumes have no blob row and so can never be collected.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::backend::db::entities::blobs;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::backend::storage::{Sha256Hex, StorageKey, ThumbFormat};

/// The thumbnail variants derived from a blob (deleted with it).
const THUMB_VARIANTS: [(&str, ThumbFormat); 4] = [
    ("full", ThumbFormat::Webp),
    ("grid", ThumbFormat::Webp),
    ("full", ThumbFormat::Png),
    ("grid", ThumbFormat::Png),
];

/// What one GC pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GcReport {
    /// Unreferenced blobs past the grace period that were examined.
    pub candidates: u64,
    /// Blobs deleted (row and bytes).
    pub blobs_deleted: u64,
    /// Bytes freed in storage.
    pub bytes_freed: u64,
}

/// Deletes blobs unreferenced for longer than `grace`. `on_progress(done,
/// total)` is called after each batch.
#[tracing::instrument(skip_all, fields(grace_s = grace.num_seconds()))]
pub async fn collect_orphan_blobs(
    state: &AppState,
    grace: chrono::Duration,
    mut on_progress: impl AsyncFnMut(u64, u64),
) -> Result<GcReport, ServiceError> {
    let cutoff = chrono::Utc::now() - grace;
    let candidates: Vec<i32> = blobs::Entity::find()
        .select_only()
        .column(blobs::Column::Id)
        .filter(blobs::Column::RefCount.eq(0))
        .filter(blobs::Column::UnreferencedSince.lt(cutoff))
        .order_by_asc(blobs::Column::Id)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut report = GcReport {
        candidates: candidates.len() as u64,
        ..GcReport::default()
    };
    for (done, id) in candidates.into_iter().enumerate() {
        if let Some(freed) = collect_one(state, id, cutoff).await? {
            report.blobs_deleted += 1;
            report.bytes_freed += freed;
        }
        if done % 100 == 99 {
            on_progress(done as u64 + 1, report.candidates).await;
        }
    }
    on_progress(report.candidates, report.candidates).await;
    tracing::info!(
        deleted = report.blobs_deleted,
        bytes_freed = report.bytes_freed,
        "orphan-blob GC finished"
    );
    Ok(report)
}

/// Deletes one blob if it is still an orphan past the cutoff; the row stays
/// locked while its bytes go, so an upload of the same bytes waits and then
/// writes them afresh. Returns the bytes freed.
async fn collect_one(
    state: &AppState,
    id: i32,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> Result<Option<u64>, ServiceError> {
    let txn = state.begin_write().await?;
    let Some(blob) = lock_orphan(&*txn, id, cutoff).await? else {
        return Ok(None);
    };
    let key = StorageKey::parse(&blob.storage_key)
        .map_err(|err| ServiceError::Internal(format!("blob {id} has a bad storage key: {err}")))?;
    state
        .storage
        .delete(&key)
        .await
        .map_err(|err| ServiceError::Internal(format!("gc: {err}")))?;
    if let Ok(sha) = Sha256Hex::parse(&blob.sha256) {
        for (variant, format) in THUMB_VARIANTS {
            if let Ok(thumb) = StorageKey::thumb(&sha, variant, format)
                && let Err(err) = state.storage.delete(&thumb).await
            {
                tracing::warn!(error = %err, "could not delete a thumbnail of a collected blob");
            }
        }
    }
    blobs::Entity::delete_by_id(id).exec(&*txn).await?;
    txn.commit().await?;
    Ok(Some(u64::try_from(blob.size_bytes).unwrap_or(0)))
}

async fn lock_orphan(
    db: &impl ConnectionTrait,
    id: i32,
    cutoff: chrono::DateTime<chrono::Utc>,
) -> Result<Option<blobs::Model>, ServiceError> {
    let query = blobs::Entity::find_by_id(id)
        .filter(blobs::Column::RefCount.eq(0))
        .filter(blobs::Column::UnreferencedSince.lt(cutoff));
    let query = if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        query.lock_exclusive()
    } else {
        query
    };
    Ok(query.one(db).await?)
}
