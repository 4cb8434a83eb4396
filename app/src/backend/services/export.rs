//! Model export: one model with its artifacts, revisions, metadata and full
//! slicer configs as a JSON document (for scripts, backups of one item, or
//! moving a model between vaults).

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::backend::auth::Actor;
use crate::backend::db::entities::{file_metadata, files};
use crate::backend::error::ServiceError;
use crate::backend::services::models::get_model;
use crate::backend::state::AppState;
use crate::views::models::{MODEL_EXPORT_FORMAT, ModelExport};

/// Exports model `id` (live or trashed).
pub async fn export_model(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> Result<ModelExport, ServiceError> {
    let model = get_model(state, actor, id).await?;
    let file_ids: Vec<i32> = files::Entity::find()
        .select_only()
        .column(files::Column::Id)
        .filter(files::Column::ModelId.eq(id))
        .into_tuple()
        .all(&state.db)
        .await?;
    let slicer_configs = file_metadata::Entity::find()
        .filter(file_metadata::Column::FileId.is_in(file_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|m| m.slicer_config.map(|config| (m.file_id, config)))
        .collect();
    Ok(ModelExport {
        format: MODEL_EXPORT_FORMAT.to_owned(),
        exported_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        model,
        slicer_configs,
    })
}
