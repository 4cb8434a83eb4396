//! Thumbnail regeneration: re-reads stored artifacts and writes their WebP
//! thumbnails again (after a renderer improvement, or for files stored
//! before thumbnails existed). Runs as a durable `thumbnail_rebuild` job.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::backend::db::entities::files;
use crate::backend::db::scopes;
use crate::backend::error::ServiceError;
use crate::backend::formats::Limits;
use crate::backend::ingest::{analyze, store_thumbnails};
use crate::backend::services::models as model_service;
use crate::backend::state::AppState;
use crate::backend::thumbs::render::RenderOptions;

/// What a rebuild did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RebuildReport {
    /// Artifacts looked at.
    pub files: u64,
    /// Thumbnails written.
    pub rebuilt: u64,
    /// Artifacts without a picture (unreadable, or G-code without an embedded image).
    pub without_image: u64,
}

/// Re-renders thumbnails of live artifacts (only those without one when
/// `only_missing`). `on_progress(done, total)` is called after each file.
#[tracing::instrument(skip_all, fields(only_missing))]
pub async fn rebuild_thumbnails(
    state: &AppState,
    only_missing: bool,
    mut on_progress: impl AsyncFnMut(u64, u64),
) -> Result<RebuildReport, ServiceError> {
    let mut query = files::Entity::find()
        .filter(scopes::live::<files::Entity>())
        .order_by_asc(files::Column::Id);
    if only_missing {
        query = query.filter(files::Column::ThumbnailKey.is_null());
    }
    let rows = query.all(&state.db).await?;
    let total = rows.len() as u64;
    let mut report = RebuildReport {
        files: total,
        ..RebuildReport::default()
    };
    for (done, file) in rows.into_iter().enumerate() {
        match rebuild_one(state, &file).await {
            Ok(true) => report.rebuilt += 1,
            Ok(false) => report.without_image += 1,
            Err(err) => {
                tracing::warn!(file.id = file.id, error = %err, "thumbnail rebuild failed for one file");
                report.without_image += 1;
            }
        }
        on_progress(done as u64 + 1, total).await;
    }
    Ok(report)
}

async fn rebuild_one(state: &AppState, file: &files::Model) -> Result<bool, ServiceError> {
    let staged = super::blobs::stage_copy(state, &file.sha256, "thumbnail rebuild").await?;
    let path = staged.path().to_owned();
    let name = file.original_filename.clone();
    let encoded = tokio::task::spawn_blocking(move || {
        let analysis =
            analyze::analyze(&path, &name, &Limits::default(), &RenderOptions::default());
        analysis
            .thumbnail
            .as_ref()
            .and_then(analyze::encode_thumbnails)
    })
    .await
    .map_err(|err| ServiceError::Internal(format!("thumbnail task failed: {err}")))?;
    drop(staged);
    let Some((full, grid)) = encoded else {
        return Ok(false);
    };
    let Some((full_key, grid_key)) = store_thumbnails(state, &file.sha256, &full, &grid).await
    else {
        return Ok(false);
    };
    let txn = state.begin_write().await?;
    files::ActiveModel {
        id: Set(file.id),
        thumbnail_key: Set(Some(full_key.as_str().to_owned())),
        thumbnail_grid_key: Set(Some(grid_key.as_str().to_owned())),
        ..Default::default()
    }
    .update(&*txn)
    .await?;
    model_service::refresh_summary(&*txn, file.model_id).await?;
    txn.commit().await?;
    Ok(true)
}
