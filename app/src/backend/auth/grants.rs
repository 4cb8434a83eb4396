//! Roles on collections: who may view, edit or administer a collection and
//! everything below it. Managed by vault admins and the collection's admins.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};

use super::actor::Actor;
use super::audit;
use crate::backend::db::entities::{collection_grants, collections, users};
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::params::auth::SetGrantParams;
use crate::views::auth::{GrantView, Role};

async fn require_collection_admin(
    state: &AppState,
    actor: &Actor,
    collection_id: i32,
) -> Result<(), ServiceError> {
    collections::Entity::find_by_id(collection_id)
        .one(&state.db)
        .await?
        .ok_or(ServiceError::NotFound("collection"))?;
    actor.require(Some(collection_id), Role::Admin, "collection")
}

/// The roles granted directly on a collection.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    collection_id: i32,
) -> Result<Vec<GrantView>, ServiceError> {
    require_collection_admin(state, actor, collection_id).await?;
    let grants = collection_grants::Entity::find()
        .filter(collection_grants::Column::CollectionId.eq(collection_id))
        .all(&state.db)
        .await?;
    let user_ids: Vec<i32> = grants.iter().map(|g| g.user_id).collect();
    let names: std::collections::HashMap<i32, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(user_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.username))
        .collect();
    let mut views: Vec<GrantView> = grants
        .into_iter()
        .filter_map(|g| {
            Some(GrantView {
                collection_id: g.collection_id,
                user_id: g.user_id,
                username: names.get(&g.user_id).cloned().unwrap_or_default(),
                role: Role::parse(&g.role)?,
            })
        })
        .collect();
    views.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(views)
}

/// Gives (or changes) a user's role on a collection.
pub async fn set(
    state: &AppState,
    actor: &Actor,
    collection_id: i32,
    params: &SetGrantParams,
) -> Result<Vec<GrantView>, ServiceError> {
    require_collection_admin(state, actor, collection_id).await?;
    let txn = state.begin_write().await?;
    users::Entity::find_by_id(params.user_id)
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("user"))?;
    let existing = collection_grants::Entity::find_by_id((collection_id, params.user_id))
        .one(&*txn)
        .await?;
    match existing {
        Some(row) => {
            let mut row = row.into_active_model();
            row.role = Set(params.role.as_str().to_owned());
            row.update(&*txn).await?;
        }
        None => {
            collection_grants::ActiveModel {
                collection_id: Set(collection_id),
                user_id: Set(params.user_id),
                role: Set(params.role.as_str().to_owned()),
                created_at: Set(Utc::now()),
            }
            .insert(&*txn)
            .await?;
        }
    }
    audit::record(
        &*txn,
        actor,
        "grant.set",
        format!("collection:{collection_id}"),
        format!("user:{} role {}", params.user_id, params.role.as_str()),
    )
    .await?;
    txn.commit().await?;
    list(state, actor, collection_id).await
}

/// Takes a user's role on a collection away (inherited roles stay).
pub async fn remove(
    state: &AppState,
    actor: &Actor,
    collection_id: i32,
    user_id: i32,
) -> Result<Vec<GrantView>, ServiceError> {
    require_collection_admin(state, actor, collection_id).await?;
    let txn = state.begin_write().await?;
    let removed = collection_grants::Entity::delete_by_id((collection_id, user_id))
        .exec(&*txn)
        .await?
        .rows_affected;
    if removed == 0 {
        return Err(ServiceError::NotFound("grant"));
    }
    audit::record(
        &*txn,
        actor,
        "grant.remove",
        format!("collection:{collection_id}"),
        format!("user:{user_id}"),
    )
    .await?;
    txn.commit().await?;
    list(state, actor, collection_id).await
}
