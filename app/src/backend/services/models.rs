//! Models: detail, edit, trash, restore, purge, the trash list and vault
//! stats. Browse lives in `browse`; artifacts enter only through
//! `ingest::persist_artifact`.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::backend::auth::{Actor, audit};
use crate::backend::db::entities::{
    blobs, collections, file_metadata, files, model_tags, models, tags,
};
use crate::backend::db::scopes;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::params::models::UpdateModelParams;
use crate::views::auth::Role;
use crate::views::models::{FileKind, ModelDetail, TagRef, TrashItem, VaultStats};

const MAX_NAME_CHARS: usize = 255;

/// Tags of one model, sorted by name.
pub async fn model_tag_refs(
    db: &impl ConnectionTrait,
    model_id: i32,
) -> Result<Vec<TagRef>, ServiceError> {
    let ids: Vec<i32> = model_tags::Entity::find()
        .filter(model_tags::Column::ModelId.eq(model_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.tag_id)
        .collect();
    let mut refs: Vec<TagRef> = tags::Entity::find()
        .filter(tags::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| TagRef {
            id: t.id,
            name: t.name,
        })
        .collect();
    refs.sort_by_key(|t| t.name.to_lowercase());
    Ok(refs)
}

/// Loads a model (live or trashed) and checks the caller has `needed` where
/// it lives; a model the caller cannot see is "not found".
pub async fn model_for(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i32,
    needed: Role,
) -> Result<models::Model, ServiceError> {
    let model = models::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("model"))?;
    actor.require(model.collection_id, needed, "model")?;
    Ok(model)
}

/// The detail view of a model (live or in the trash).
pub async fn get_model(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> Result<ModelDetail, ServiceError> {
    let model = model_for(&state.db, actor, id, Role::View).await?;
    let all_files = files::Entity::find()
        .filter(files::Column::ModelId.eq(id))
        .all(&state.db)
        .await?;
    let file_ids: Vec<i32> = all_files.iter().map(|f| f.id).collect();
    let metadata = file_metadata::Entity::find()
        .filter(file_metadata::Column::FileId.is_in(file_ids))
        .all(&state.db)
        .await?;
    let tags = model_tag_refs(&state.db, id).await?;
    let mut detail = ModelDetail::build(&model, &all_files, &metadata, tags);
    detail.starred = super::stars::starred_among(&state.db, actor, &[id])
        .await?
        .contains(&id);
    Ok(detail)
}

/// Checks a model name and returns it trimmed.
pub fn clean_model_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::Invalid {
            field: "name",
            reason: "A model needs a name.".into(),
        });
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ServiceError::Invalid {
            field: "name",
            reason: format!("Model names can be at most {MAX_NAME_CHARS} characters."),
        });
    }
    Ok(name.chars().filter(|c| !c.is_control()).collect())
}

/// Sets `updated_at` to now.
pub async fn touch_model(db: &impl ConnectionTrait, model_id: i32) -> Result<(), ServiceError> {
    models::Entity::update_many()
        .col_expr(models::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(models::Column::Id.eq(model_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Recomputes the denormalised browse columns (size, has G-code, print time
/// of the recommended revision, thumbnail) from the live artifacts, and the
/// model's search-index row (filenames and slicer fields of live artifacts).
pub async fn refresh_summary(db: &impl ConnectionTrait, model_id: i32) -> Result<(), ServiceError> {
    let live = files::Entity::find()
        .filter(files::Column::ModelId.eq(model_id))
        .filter(scopes::live::<files::Entity>())
        .order_by_desc(files::Column::Version)
        .all(db)
        .await?;
    let total: i64 = live.iter().map(|f| f.size_bytes).sum();
    let is_gcode = |f: &files::Model| FileKind::parse(&f.kind).is_some_and(FileKind::is_gcode);
    let has_gcode = live.iter().any(is_gcode);
    let recommended = live.iter().find(|f| f.is_recommended);
    let print_time = match recommended {
        Some(r) => file_metadata::Entity::find_by_id(r.id)
            .one(db)
            .await?
            .and_then(|m| m.estimated_time_s),
        None => None,
    };
    // Thumbnail: the recommended revision's image, else the newest mesh's, else any.
    let thumb = recommended
        .filter(|f| f.thumbnail_key.is_some())
        .or_else(|| {
            live.iter()
                .find(|f| !is_gcode(f) && f.thumbnail_key.is_some())
        })
        .or_else(|| live.iter().find(|f| f.thumbnail_key.is_some()))
        .map(|f| f.id);
    models::Entity::update_many()
        .col_expr(models::Column::TotalSizeBytes, Expr::value(total))
        .col_expr(models::Column::HasGcode, Expr::value(has_gcode))
        .col_expr(models::Column::PrintTimeS, Expr::value(print_time))
        .col_expr(models::Column::ThumbnailFileId, Expr::value(thumb))
        .col_expr(models::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(models::Column::Id.eq(model_id))
        .exec(db)
        .await?;
    super::search_index::refresh(db, model_id).await
}

/// Edits name, description, collection and/or tags.
pub async fn update_model(
    state: &AppState,
    actor: &Actor,
    id: i32,
    params: UpdateModelParams,
) -> Result<ModelDetail, ServiceError> {
    let txn = state.begin_write().await?;
    let model = model_for(&*txn, actor, id, Role::Edit).await?;
    let searchable_changed = params.name.is_some() || params.description.is_some();
    let mut row: models::ActiveModel = model.into();
    if let Some(name) = &params.name {
        row.name = Set(clean_model_name(name)?);
    }
    if let Some(description) = params.description {
        if description.len() > 64 * 1024 {
            return Err(ServiceError::Invalid {
                field: "description",
                reason: "Descriptions can be at most 64 KiB.".into(),
            });
        }
        row.description = Set(description);
    }
    if let Some(collection) = params.collection_id {
        if let Some(cid) = collection
            && collections::Entity::find_by_id(cid)
                .one(&*txn)
                .await?
                .is_none()
        {
            return Err(ServiceError::Invalid {
                field: "collection_id",
                reason: format!("Collection {cid} does not exist."),
            });
        }
        match (actor.role_in(collection), collection) {
            (Some(role), _) if role >= Role::Edit => {}
            (None, Some(cid)) => {
                return Err(ServiceError::Invalid {
                    field: "collection_id",
                    reason: format!("Collection {cid} does not exist."),
                });
            }
            _ => return Err(ServiceError::Forbidden),
        }
        row.collection_id = Set(collection);
    }
    row.updated_at = Set(chrono::Utc::now());
    row.update(&*txn).await?;
    if let Some(names) = &params.tags {
        // Also refreshes the search index, with the new name already written.
        super::tags::set_model_tags(&*txn, id, names).await?;
    } else if searchable_changed {
        super::search_index::refresh(&*txn, id).await?;
    }
    txn.commit().await?;
    get_model(state, actor, id).await
}

/// Moves a live model to the trash.
pub async fn trash_model(state: &AppState, actor: &Actor, id: i32) -> Result<(), ServiceError> {
    let txn = state.begin_write().await?;
    model_for(&*txn, actor, id, Role::Edit).await?;
    let changed = models::Entity::update_many()
        .col_expr(models::Column::DeletedAt, Expr::value(chrono::Utc::now()))
        .col_expr(models::Column::DeletedBy, Expr::value(actor.user_id))
        .filter(models::Column::Id.eq(id))
        .filter(scopes::live::<models::Entity>())
        .exec(&*txn)
        .await?
        .rows_affected;
    if changed == 0 {
        return Err(ServiceError::NotFound("model"));
    }
    txn.commit().await?;
    tracing::info!(model.id = id, "model trashed");
    Ok(())
}

/// Brings a trashed model back intact.
pub async fn restore_model(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> Result<ModelDetail, ServiceError> {
    let txn = state.begin_write().await?;
    model_for(&*txn, actor, id, Role::Edit).await?;
    let changed = models::Entity::update_many()
        .col_expr(
            models::Column::DeletedAt,
            Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
        )
        .col_expr(models::Column::DeletedBy, Expr::value(Option::<i32>::None))
        .col_expr(models::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(models::Column::Id.eq(id))
        .filter(scopes::trashed::<models::Entity>())
        .exec(&*txn)
        .await?
        .rows_affected;
    if changed == 0 {
        return Err(ServiceError::NotFound("trashed model"));
    }
    txn.commit().await?;
    tracing::info!(model.id = id, "model restored");
    get_model(state, actor, id).await
}

/// Deletes a trashed model for good inside `db`: its rows (search-index row
/// included) go, its blob references are released (orphan GC frees the bytes
/// after a grace period).
pub async fn hard_delete_model(db: &impl ConnectionTrait, id: i32) -> Result<(), ServiceError> {
    super::search_index::remove(db, id).await?;
    let model_files = files::Entity::find()
        .filter(files::Column::ModelId.eq(id))
        .all(db)
        .await?;
    for file in &model_files {
        super::blobs::release(db, file.blob_id).await?;
    }
    files::Entity::delete_many()
        .filter(files::Column::ModelId.eq(id))
        .exec(db)
        .await?;
    models::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Permanently deletes one trashed model.
pub async fn purge_model(state: &AppState, actor: &Actor, id: i32) -> Result<(), ServiceError> {
    let txn = state.begin_write().await?;
    let model = models::Entity::find_by_id(id)
        .filter(scopes::trashed::<models::Entity>())
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("trashed model"))?;
    actor.require(model.collection_id, Role::Admin, "trashed model")?;
    hard_delete_model(&*txn, id).await?;
    audit::record(
        &*txn,
        actor,
        "model.purge",
        format!("model:{id}"),
        format!("name \"{}\"", model.name),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(model.id = id, "model purged");
    Ok(())
}

/// Permanently deletes every trashed model (or only those trashed before
/// `older_than`); returns how many went.
pub async fn purge_trash(
    state: &AppState,
    actor: &Actor,
    older_than: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<u64, ServiceError> {
    actor.require_admin()?;
    let mut query = models::Entity::find().filter(scopes::trashed::<models::Entity>());
    if let Some(cutoff) = older_than {
        query = query.filter(models::Column::DeletedAt.lt(cutoff));
    }
    let ids: Vec<i32> = query
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    for chunk in ids.chunks(100) {
        let txn = state.begin_write().await?;
        for id in chunk {
            hard_delete_model(&*txn, *id).await?;
        }
        let what = if older_than.is_some() {
            "trash.expire"
        } else {
            "trash.empty"
        };
        audit::record(
            &*txn,
            actor,
            what,
            "trash",
            format!("{} model(s) purged", chunk.len()),
        )
        .await?;
        txn.commit().await?;
    }
    Ok(ids.len() as u64)
}

/// The trash, most recently trashed first, with days left.
pub async fn list_trash(state: &AppState, actor: &Actor) -> Result<Vec<TrashItem>, ServiceError> {
    let retention = crate::backend::runtime_settings::effective(state)
        .await?
        .trash_retention();
    let now = chrono::Utc::now();
    let mut query = models::Entity::find().filter(scopes::trashed::<models::Entity>());
    if let Some(visible) = actor.visible_in(models::Column::CollectionId) {
        query = query.filter(visible);
    }
    let rows = query
        .order_by_desc(models::Column::DeletedAt)
        .all(&state.db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|m| m.id).collect();
    let mut counts: std::collections::HashMap<i32, u32> = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        use sea_orm::QuerySelect;
        let pairs: Vec<(i32, i64)> = files::Entity::find()
            .select_only()
            .column(files::Column::ModelId)
            .column_as(
                Expr::from(sea_orm::sea_query::Func::count(Expr::col(
                    files::Column::Id,
                ))),
                "n",
            )
            .filter(files::Column::ModelId.is_in(chunk.iter().copied()))
            .group_by(files::Column::ModelId)
            .into_tuple()
            .all(&state.db)
            .await?;
        counts.extend(
            pairs
                .into_iter()
                .map(|(id, n)| (id, u32::try_from(n).unwrap_or(u32::MAX))),
        );
    }
    Ok(rows
        .iter()
        .filter_map(|m| {
            TrashItem::build(m, counts.get(&m.id).copied().unwrap_or(0), retention, now)
        })
        .collect())
}

/// Vault-wide counts.
pub async fn vault_stats(state: &AppState, actor: &Actor) -> Result<VaultStats, ServiceError> {
    actor.require_admin()?;
    let db = &state.db;
    let live_models = models::Entity::find().filter(scopes::live::<models::Entity>());
    let live_model_ids = sea_orm::QueryTrait::into_query(
        models::Entity::find()
            .select_only_id()
            .filter(scopes::live::<models::Entity>()),
    );
    let live_files = files::Entity::find()
        .filter(scopes::live::<files::Entity>())
        .filter(files::Column::ModelId.in_subquery(live_model_ids.clone()));
    let stored: Option<i64> = blobs::Entity::find()
        .select_only_sum_size()
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    Ok(VaultStats {
        models: live_models.count(db).await?,
        files: live_files.clone().count(db).await?,
        revisions: live_files
            .filter(files::Column::Kind.is_in(super::revisions::gcode_kinds()))
            .count(db)
            .await?,
        trashed_models: models::Entity::find()
            .filter(scopes::trashed::<models::Entity>())
            .count(db)
            .await?,
        collections: collections::Entity::find().count(db).await?,
        tags: tags::Entity::find().count(db).await?,
        stored_bytes: stored.unwrap_or(0),
    })
}

/// Small query helpers that keep the service code readable.
trait SelectExt {
    fn select_only_id(self) -> Self;
}

impl SelectExt for sea_orm::Select<models::Entity> {
    fn select_only_id(self) -> Self {
        use sea_orm::QuerySelect;
        self.select_only().column(models::Column::Id)
    }
}

trait BlobSum {
    fn select_only_sum_size(self) -> sea_orm::Select<blobs::Entity>;
}

impl BlobSum for sea_orm::Select<blobs::Entity> {
    fn select_only_sum_size(self) -> sea_orm::Select<blobs::Entity> {
        use sea_orm::QuerySelect;
        use sea_orm::sea_query::Func;
        self.select_only().column_as(
            Expr::from(Func::cast_as(
                Func::sum(Expr::col(blobs::Column::SizeBytes)),
                sea_orm::sea_query::Alias::new("BIGINT"),
            )),
            "total",
        )
    }
}

/// Purges the models trashed longer ago than the effective retention period
/// (the trash-expiry job, and `DELETE /api/v1/models/trash/expired`).
pub async fn purge_expired_trash(state: &AppState, actor: &Actor) -> Result<u64, ServiceError> {
    let cutoff = chrono::Utc::now()
        - crate::backend::runtime_settings::effective(state)
            .await?
            .trash_retention();
    purge_trash(state, actor, Some(cutoff)).await
}
