//! Revisions: outcome, label, notes and the recommended-revision invariant —
//! a live model with live G-code has exactly one recommended revision. The
//! first G-code claims it, marking another clears the rest in the same
//! transaction, and trashing or deleting the recommended one hands it on
//! (newest known_good, else newest). The partial unique index
//! `ux_files_one_recommended` backs this up in the database.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::backend::auth::Actor;
use crate::backend::db::entities::{files, models};
use crate::backend::db::scopes;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::params::models::UpdateRevisionParams;
use crate::views::auth::Role;
use crate::views::models::{FileKind, ModelDetail, Outcome};

/// The stored kinds that are G-code revisions.
pub fn gcode_kinds() -> Vec<&'static str> {
    [FileKind::Gcode, FileKind::Bgcode, FileKind::Gcode3mf]
        .into_iter()
        .map(FileKind::as_str)
        .collect()
}

/// Restores the invariant for one model inside `db` (a write transaction):
/// clears the marker from trashed files, and if no live G-code carries it,
/// gives it to the newest known_good, else the newest live G-code.
pub async fn reconcile_recommended(
    db: &impl ConnectionTrait,
    model_id: i32,
) -> Result<(), ServiceError> {
    files::Entity::update_many()
        .col_expr(files::Column::IsRecommended, Expr::value(false))
        .filter(files::Column::ModelId.eq(model_id))
        .filter(scopes::trashed::<files::Entity>())
        .filter(files::Column::IsRecommended.eq(true))
        .exec(db)
        .await?;
    let live_gcode = files::Entity::find()
        .filter(files::Column::ModelId.eq(model_id))
        .filter(scopes::live::<files::Entity>())
        .filter(files::Column::Kind.is_in(gcode_kinds()))
        .order_by_desc(files::Column::Version)
        .all(db)
        .await?;
    if live_gcode.iter().any(|f| f.is_recommended) {
        return Ok(());
    }
    let heir = live_gcode
        .iter()
        .find(|f| f.revision_status.as_deref() == Some(Outcome::KnownGood.as_str()))
        .or_else(|| live_gcode.first());
    if let Some(heir) = heir {
        files::Entity::update_many()
            .col_expr(files::Column::IsRecommended, Expr::value(true))
            .filter(files::Column::Id.eq(heir.id))
            .exec(db)
            .await?;
        tracing::debug!(
            model.id = model_id,
            file.id = heir.id,
            "recommended revision handed on"
        );
    }
    Ok(())
}

/// Makes `file_id` the one recommended revision of `model_id` inside `db`.
pub async fn mark_recommended(
    db: &impl ConnectionTrait,
    model_id: i32,
    file_id: i32,
) -> Result<(), ServiceError> {
    files::Entity::update_many()
        .col_expr(files::Column::IsRecommended, Expr::value(false))
        .filter(files::Column::ModelId.eq(model_id))
        .filter(files::Column::IsRecommended.eq(true))
        .filter(files::Column::Id.ne(file_id))
        .exec(db)
        .await?;
    files::Entity::update_many()
        .col_expr(files::Column::IsRecommended, Expr::value(true))
        .filter(files::Column::Id.eq(file_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Locks the model row for the rest of the transaction (PostgreSQL), so two
/// concurrent changes to one model's revisions run one after the other.
/// SQLite transactions are already serialised by the write gate.
pub async fn lock_model(
    db: &impl ConnectionTrait,
    model_id: i32,
) -> Result<models::Model, ServiceError> {
    use sea_orm::QuerySelect;
    let query = models::Entity::find_by_id(model_id);
    let query = if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        query.lock_exclusive()
    } else {
        query
    };
    query.one(db).await?.ok_or(ServiceError::NotFound("model"))
}

async fn live_revision(
    db: &impl ConnectionTrait,
    model_id: i32,
    file_id: i32,
) -> Result<files::Model, ServiceError> {
    let file = files::Entity::find_by_id(file_id)
        .filter(files::Column::ModelId.eq(model_id))
        .filter(scopes::live::<files::Entity>())
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound("revision"))?;
    if !FileKind::parse(&file.kind).is_some_and(FileKind::is_gcode) {
        return Err(ServiceError::Invalid {
            field: "file_id",
            reason: "Only G-code artifacts are revisions; this file is a mesh or project.".into(),
        });
    }
    Ok(file)
}

/// Changes a revision's status, label, notes and/or recommended marker.
pub async fn update_revision(
    state: &AppState,
    actor: &Actor,
    model_id: i32,
    file_id: i32,
    params: UpdateRevisionParams,
) -> Result<ModelDetail, ServiceError> {
    let txn = state.begin_write().await?;
    let model = lock_model(&*txn, model_id).await?;
    actor.require(model.collection_id, Role::Edit, "model")?;
    let file = live_revision(&*txn, model_id, file_id).await?;
    if params.recommended == Some(false) && file.is_recommended {
        return Err(ServiceError::Invalid {
            field: "recommended",
            reason:
                "A model with G-code always has one recommended revision; mark another one instead."
                    .into(),
        });
    }
    let mut row: files::ActiveModel = file.into();
    if let Some(status) = params.status {
        row.revision_status = Set(Some(status.as_str().to_owned()));
    }
    if let Some(label) = params.label {
        let label = label.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
        if label.as_ref().is_some_and(|l| l.chars().count() > 200) {
            return Err(ServiceError::Invalid {
                field: "label",
                reason: "Labels can be at most 200 characters.".into(),
            });
        }
        row.revision_label = Set(label);
    }
    if let Some(notes) = params.notes {
        row.revision_notes = Set(notes);
    }
    row.update(&*txn).await?;
    if params.recommended == Some(true) {
        mark_recommended(&*txn, model_id, file_id).await?;
        // The browse card shows the recommended revision's print time and picture.
        super::models::refresh_summary(&*txn, model_id).await?;
    } else {
        super::models::touch_model(&*txn, model_id).await?;
    }
    txn.commit().await?;
    super::models::get_model(state, actor, model_id).await
}

/// Moves one artifact to the trash; a recommended revision hands its marker on.
pub async fn trash_file(
    state: &AppState,
    actor: &Actor,
    model_id: i32,
    file_id: i32,
) -> Result<ModelDetail, ServiceError> {
    let txn = state.begin_write().await?;
    let model = lock_model(&*txn, model_id).await?;
    actor.require(model.collection_id, Role::Edit, "model")?;
    let file = files::Entity::find_by_id(file_id)
        .filter(files::Column::ModelId.eq(model_id))
        .filter(scopes::live::<files::Entity>())
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("file"))?;
    let mut row: files::ActiveModel = file.into();
    row.deleted_at = Set(Some(chrono::Utc::now()));
    row.deleted_by = Set(actor.user_id);
    row.is_recommended = Set(false);
    row.update(&*txn).await?;
    reconcile_recommended(&*txn, model_id).await?;
    super::models::refresh_summary(&*txn, model_id).await?;
    txn.commit().await?;
    super::models::get_model(state, actor, model_id).await
}

/// Brings a trashed artifact back; the invariant is re-checked.
pub async fn restore_file(
    state: &AppState,
    actor: &Actor,
    model_id: i32,
    file_id: i32,
) -> Result<ModelDetail, ServiceError> {
    let txn = state.begin_write().await?;
    let model = lock_model(&*txn, model_id).await?;
    actor.require(model.collection_id, Role::Edit, "model")?;
    let file = files::Entity::find_by_id(file_id)
        .filter(files::Column::ModelId.eq(model_id))
        .filter(scopes::trashed::<files::Entity>())
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("trashed file"))?;
    let mut row: files::ActiveModel = file.into();
    row.deleted_at = Set(None);
    row.deleted_by = Set(None);
    row.update(&*txn).await?;
    reconcile_recommended(&*txn, model_id).await?;
    super::models::refresh_summary(&*txn, model_id).await?;
    txn.commit().await?;
    super::models::get_model(state, actor, model_id).await
}
