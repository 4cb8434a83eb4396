//! Blob reference counting: identical bytes are stored once; a blob whose
//! count reaches zero records when, and orphan GC (a query plus a grace
//! period) deletes it later.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::backend::db::entities::blobs;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::backend::storage::{StagedFile, StorageKey};

/// A temporary local copy of the stored bytes whose SHA-256 is `sha256`,
/// for readers that need a file (thumbnails, 3D previews, uploads to a
/// printer); `what` names the work in error messages. Deleted when dropped.
pub async fn stage_copy(
    state: &AppState,
    sha256: &str,
    what: &str,
) -> Result<StagedFile, ServiceError> {
    let key = StorageKey::blob(
        &sha256
            .parse()
            .map_err(|_| ServiceError::Internal(format!("{what}: malformed sha256 {sha256}")))?,
    );
    let read = state
        .storage
        .get(&key, None)
        .await
        .map_err(|err| ServiceError::Internal(format!("{what}: {err}")))?;
    state
        .storage
        .staging()
        .stage_stream(read.stream, u64::MAX)
        .await
        .map_err(|err| ServiceError::Internal(format!("{what}: {err}")))
}

/// Finds the blob row for `sha256` or creates it with a zero count.
///
/// An existing unreferenced row has its grace period restarted first, so
/// orphan GC (which only takes rows unreferenced for longer than the grace
/// period, under a row lock) cannot delete bytes an upload is about to use.
pub async fn find_or_create(
    db: &impl ConnectionTrait,
    sha256: &str,
    size_bytes: i64,
    storage_key: &str,
) -> Result<blobs::Model, ServiceError> {
    let now = chrono::Utc::now();
    blobs::Entity::update_many()
        .col_expr(blobs::Column::UnreferencedSince, Expr::value(now))
        .filter(blobs::Column::Sha256.eq(sha256))
        .filter(blobs::Column::RefCount.eq(0))
        .exec(db)
        .await?;
    if let Some(blob) = find(db, sha256).await? {
        return Ok(blob);
    }
    blobs::Entity::insert(blobs::ActiveModel {
        sha256: Set(sha256.to_owned()),
        size_bytes: Set(size_bytes),
        storage_key: Set(storage_key.to_owned()),
        ref_count: Set(0),
        created_at: Set(now),
        unreferenced_since: Set(Some(now)),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([blobs::Column::Sha256])
    .exec_without_returning(db)
    .await?;
    // A concurrent upload of the same bytes may have inserted it first.
    find(db, sha256).await?.ok_or_else(|| {
        ServiceError::Internal(format!("blob {sha256} vanished while being recorded"))
    })
}

async fn find(
    db: &impl ConnectionTrait,
    sha256: &str,
) -> Result<Option<blobs::Model>, ServiceError> {
    Ok(blobs::Entity::find()
        .filter(blobs::Column::Sha256.eq(sha256))
        .one(db)
        .await?)
}

/// Adds one reference.
pub async fn acquire(db: &impl ConnectionTrait, blob_id: i32) -> Result<(), ServiceError> {
    blobs::Entity::update_many()
        .col_expr(
            blobs::Column::RefCount,
            Expr::col(blobs::Column::RefCount).add(1),
        )
        .col_expr(
            blobs::Column::UnreferencedSince,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .filter(blobs::Column::Id.eq(blob_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Drops one reference; at zero the blob starts its grace period.
pub async fn release(db: &impl ConnectionTrait, blob_id: i32) -> Result<(), ServiceError> {
    blobs::Entity::update_many()
        .col_expr(
            blobs::Column::RefCount,
            Expr::col(blobs::Column::RefCount).sub(1),
        )
        .filter(blobs::Column::Id.eq(blob_id))
        .filter(blobs::Column::RefCount.gt(0))
        .exec(db)
        .await?;
    blobs::Entity::update_many()
        .col_expr(
            blobs::Column::UnreferencedSince,
            Expr::value(chrono::Utc::now()),
        )
        .filter(blobs::Column::Id.eq(blob_id))
        .filter(blobs::Column::RefCount.eq(0))
        .filter(blobs::Column::UnreferencedSince.is_null())
        .exec(db)
        .await?;
    Ok(())
}
