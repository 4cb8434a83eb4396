//! Tags: the flat vocabulary — create, rename, merge, delete, and attach or
//! detach many tags on many models at once. Names are unique ignoring case.
//! Tag names are searchable, so every change refreshes the search-index rows
//! of the affected models in the same transaction.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, Set,
};

use crate::backend::auth::{Actor, audit};
use crate::backend::db::entities::{model_tags, models, tags};
use crate::backend::db::scopes;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::views::auth::Role;
use crate::views::tags::TagView;

const MAX_TAG_CHARS: usize = 64;

/// The case-insensitive identity of a tag name.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Checks a tag name and returns it trimmed.
pub fn clean_tag_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::Invalid {
            field: "name",
            reason: "A tag needs a name.".into(),
        });
    }
    if name.chars().count() > MAX_TAG_CHARS {
        return Err(ServiceError::Invalid {
            field: "name",
            reason: format!("Tags can be at most {MAX_TAG_CHARS} characters."),
        });
    }
    if name.contains(',') || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid {
            field: "name",
            reason: "Tags cannot contain commas or control characters.".into(),
        });
    }
    Ok(name.to_owned())
}

#[derive(FromQueryResult)]
struct TagCount {
    tag_id: i32,
    n: i64,
}

/// Every tag with its live-model count, sorted by name.
pub async fn list_tags(state: &AppState, actor: &Actor) -> Result<Vec<TagView>, ServiceError> {
    let rows = tags::Entity::find().all(&state.db).await?;
    let counts: HashMap<i32, u64> = model_tags::Entity::find()
        .select_only()
        .column(model_tags::Column::TagId)
        .column_as(
            Expr::from(Func::count(Expr::col(model_tags::Column::ModelId))),
            "n",
        )
        .filter(model_tags::Column::ModelId.in_subquery(visible_live_ids(actor)))
        .group_by(model_tags::Column::TagId)
        .into_model::<TagCount>()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| (r.tag_id, r.n.max(0) as u64))
        .collect();
    let mut views: Vec<TagView> = rows
        .into_iter()
        .map(|t| TagView {
            id: t.id,
            model_count: counts.get(&t.id).copied().unwrap_or(0),
            name: t.name,
        })
        .collect();
    views.sort_by_key(|t| t.name.to_lowercase());
    Ok(views)
}

/// Ids of the live models the caller may see, as a subquery (counts never
/// include what the caller cannot see).
fn visible_live_ids(actor: &Actor) -> sea_orm::sea_query::SelectStatement {
    let mut query = models::Entity::find()
        .select_only()
        .column(models::Column::Id)
        .filter(scopes::live::<models::Entity>());
    if let Some(visible) = actor.visible_in(models::Column::CollectionId) {
        query = query.filter(visible);
    }
    sea_orm::QueryTrait::into_query(query)
}

async fn tag_view(
    db: &impl ConnectionTrait,
    actor: &Actor,
    tag: tags::Model,
) -> Result<TagView, ServiceError> {
    let live = visible_live_ids(actor);
    let n = sea_orm::PaginatorTrait::count(
        model_tags::Entity::find()
            .filter(model_tags::Column::TagId.eq(tag.id))
            .filter(model_tags::Column::ModelId.in_subquery(live)),
        db,
    )
    .await?;
    Ok(TagView {
        id: tag.id,
        name: tag.name,
        model_count: n,
    })
}

/// Finds a tag by name (ignoring case) or creates it, inside `db`.
pub async fn find_or_create(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<tags::Model, ServiceError> {
    let name = clean_tag_name(name)?;
    let key = name_key(&name);
    if let Some(tag) = tags::Entity::find()
        .filter(tags::Column::NameKey.eq(&key))
        .one(db)
        .await?
    {
        return Ok(tag);
    }
    // Two uploads naming the same new tag at once: the second insert does
    // nothing and both read the one row.
    tags::Entity::insert(tags::ActiveModel {
        name: Set(name),
        name_key: Set(key.clone()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([tags::Column::NameKey])
    .exec_without_returning(db)
    .await?;
    tags::Entity::find()
        .filter(tags::Column::NameKey.eq(&key))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal(format!("tag {key:?} vanished while being created")))
}

/// Creates a tag; an existing tag of the same name (any case) is a conflict.
pub async fn create_tag(
    state: &AppState,
    actor: &Actor,
    name: &str,
) -> Result<TagView, ServiceError> {
    if !actor.edits_anything() {
        return Err(ServiceError::Forbidden);
    }
    let name = clean_tag_name(name)?;
    let txn = state.begin_write().await?;
    if tags::Entity::find()
        .filter(tags::Column::NameKey.eq(name_key(&name)))
        .one(&*txn)
        .await?
        .is_some()
    {
        return Err(ServiceError::Conflict(format!(
            "The tag \"{name}\" already exists."
        )));
    }
    let tag = find_or_create(&*txn, &name).await?;
    txn.commit().await?;
    tag_view(&state.db, actor, tag).await
}

/// Renames a tag; renaming onto another tag's name is a conflict (merge instead).
pub async fn rename_tag(
    state: &AppState,
    actor: &Actor,
    id: i32,
    name: &str,
) -> Result<TagView, ServiceError> {
    actor.require_admin()?;
    let name = clean_tag_name(name)?;
    let txn = state.begin_write().await?;
    let tag = tags::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("tag"))?;
    let key = name_key(&name);
    if let Some(other) = tags::Entity::find()
        .filter(tags::Column::NameKey.eq(&key))
        .one(&*txn)
        .await?
        && other.id != id
    {
        return Err(ServiceError::Conflict(format!(
            "The tag \"{}\" already exists; merge the two tags instead.",
            other.name
        )));
    }
    let mut row: tags::ActiveModel = tag.into();
    row.name = Set(name);
    row.name_key = Set(key);
    let tag = row.update(&*txn).await?;
    let tagged = tagged_models(&*txn, id).await?;
    super::search_index::refresh_many(&*txn, &tagged).await?;
    txn.commit().await?;
    tag_view(&state.db, actor, tag).await
}

/// Folds tag `id` into `into`: every model with `id` gets `into`, then `id` is deleted.
pub async fn merge_tag(
    state: &AppState,
    actor: &Actor,
    id: i32,
    into: i32,
) -> Result<TagView, ServiceError> {
    actor.require_admin()?;
    if id == into {
        return Err(ServiceError::Invalid {
            field: "into_tag_id",
            reason: "A tag cannot be merged into itself.".into(),
        });
    }
    let txn = state.begin_write().await?;
    tags::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("tag"))?;
    let target = tags::Entity::find_by_id(into)
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("tag"))?;
    let model_ids = tagged_models(&*txn, id).await?;
    link(&*txn, &model_ids, &[into]).await?;
    tags::Entity::delete_by_id(id).exec(&*txn).await?;
    super::search_index::refresh_many(&*txn, &model_ids).await?;
    audit::record(
        &*txn,
        actor,
        "tag.merge",
        format!("tag:{id}"),
        format!("into tag:{into}, {} model(s)", model_ids.len()),
    )
    .await?;
    txn.commit().await?;
    tag_view(&state.db, actor, target).await
}

/// Deletes a tag (models keep everything else).
pub async fn delete_tag(state: &AppState, actor: &Actor, id: i32) -> Result<(), ServiceError> {
    actor.require_admin()?;
    let txn = state.begin_write().await?;
    let model_ids = tagged_models(&*txn, id).await?;
    // The links go with the tag (foreign key cascade).
    let deleted = tags::Entity::delete_by_id(id)
        .exec(&*txn)
        .await?
        .rows_affected;
    if deleted == 0 {
        return Err(ServiceError::NotFound("tag"));
    }
    super::search_index::refresh_many(&*txn, &model_ids).await?;
    audit::record(
        &*txn,
        actor,
        "tag.delete",
        format!("tag:{id}"),
        format!("{} model(s) untagged", model_ids.len()),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Ids of every model (live or trashed) carrying tag `id`.
async fn tagged_models(db: &impl ConnectionTrait, id: i32) -> Result<Vec<i32>, ServiceError> {
    Ok(model_tags::Entity::find()
        .select_only()
        .column(model_tags::Column::ModelId)
        .filter(model_tags::Column::TagId.eq(id))
        .into_tuple()
        .all(db)
        .await?)
}

async fn link(
    db: &impl ConnectionTrait,
    model_ids: &[i32],
    tag_ids: &[i32],
) -> Result<(), ServiceError> {
    let rows: Vec<model_tags::ActiveModel> = model_ids
        .iter()
        .flat_map(|m| {
            tag_ids.iter().map(move |t| model_tags::ActiveModel {
                model_id: Set(*m),
                tag_id: Set(*t),
            })
        })
        .collect();
    for chunk in rows.chunks(500) {
        model_tags::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([model_tags::Column::ModelId, model_tags::Column::TagId])
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Checks every model exists and the caller may edit it, and every tag exists.
async fn check_ids(
    db: &impl ConnectionTrait,
    actor: &Actor,
    model_ids: &[i32],
    tag_ids: &[i32],
) -> Result<(), ServiceError> {
    let found_models = models::Entity::find()
        .filter(models::Column::Id.is_in(model_ids.to_vec()))
        .all(db)
        .await?;
    let mut distinct_models = model_ids.to_vec();
    distinct_models.sort_unstable();
    distinct_models.dedup();
    let hidden = found_models
        .iter()
        .any(|m| actor.role_in(m.collection_id).is_none());
    if hidden || found_models.len() != distinct_models.len() {
        return Err(ServiceError::Invalid {
            field: "model_ids",
            reason: "Some of these models do not exist.".into(),
        });
    }
    for model in &found_models {
        actor.require(model.collection_id, Role::Edit, "model")?;
    }
    let found_tags = sea_orm::PaginatorTrait::count(
        tags::Entity::find().filter(tags::Column::Id.is_in(tag_ids.to_vec())),
        db,
    )
    .await?;
    let mut distinct_tags = tag_ids.to_vec();
    distinct_tags.sort_unstable();
    distinct_tags.dedup();
    if found_tags != distinct_tags.len() as u64 {
        return Err(ServiceError::Invalid {
            field: "tag_ids",
            reason: "Some of these tags do not exist.".into(),
        });
    }
    Ok(())
}

/// Attaches every tag to every model (already attached pairs are kept).
pub async fn attach_tags(
    state: &AppState,
    actor: &Actor,
    model_ids: &[i32],
    tag_ids: &[i32],
) -> Result<(), ServiceError> {
    let txn = state.begin_write().await?;
    check_ids(&*txn, actor, model_ids, tag_ids).await?;
    link(&*txn, model_ids, tag_ids).await?;
    super::search_index::refresh_many(&*txn, model_ids).await?;
    txn.commit().await?;
    Ok(())
}

/// Detaches every tag from every model.
pub async fn detach_tags(
    state: &AppState,
    actor: &Actor,
    model_ids: &[i32],
    tag_ids: &[i32],
) -> Result<(), ServiceError> {
    let txn = state.begin_write().await?;
    check_ids(&*txn, actor, model_ids, tag_ids).await?;
    model_tags::Entity::delete_many()
        .filter(model_tags::Column::ModelId.is_in(model_ids.to_vec()))
        .filter(model_tags::Column::TagId.is_in(tag_ids.to_vec()))
        .exec(&*txn)
        .await?;
    super::search_index::refresh_many(&*txn, model_ids).await?;
    txn.commit().await?;
    Ok(())
}

/// Replaces a model's tags with `names` (created when missing) and refreshes
/// its search-index row, inside `db`.
pub async fn set_model_tags(
    db: &impl ConnectionTrait,
    model_id: i32,
    names: &[String],
) -> Result<(), ServiceError> {
    let mut ids = Vec::new();
    for name in names {
        ids.push(find_or_create(db, name).await?.id);
    }
    model_tags::Entity::delete_many()
        .filter(model_tags::Column::ModelId.eq(model_id))
        .exec(db)
        .await?;
    link(db, &[model_id], &ids).await?;
    super::search_index::refresh(db, model_id).await
}
