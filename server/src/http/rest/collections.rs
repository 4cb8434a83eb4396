//! `/api/v1/collections`: the tree, create, rename/move, recursive delete.

use app::backend::auth::grants;
use app::backend::services::collections as service;
use app::backend::state::AppState;
use app::params::auth::SetGrantParams;
use app::params::collections::{CreateCollectionParams, UpdateCollectionParams};
use app::views::auth::GrantView;
use app::views::collections::{CollectionDeleted, CollectionNode};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{Ids, JsonBody};

/// `GET /collections`: the whole tree with model counts.
pub async fn list_collections(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<CollectionNode>>, ApiError> {
    Ok(Json(service::list_collections(&state, &actor).await?))
}

/// `POST /collections`.
pub async fn create_collection(
    State(state): State<AppState>,
    Caller(actor): Caller,
    JsonBody(params): JsonBody<CreateCollectionParams>,
) -> Result<(StatusCode, Json<CollectionNode>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_collection(&state, &actor, params).await?),
    ))
}

/// `GET /collections/{id}`: one subtree.
pub async fn get_collection(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<Json<CollectionNode>, ApiError> {
    Ok(Json(service::get_collection(&state, &actor, id).await?))
}

/// `PATCH /collections/{id}`: rename and/or move.
pub async fn update_collection(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    JsonBody(params): JsonBody<UpdateCollectionParams>,
) -> Result<Json<CollectionNode>, ApiError> {
    Ok(Json(
        service::update_collection(&state, &actor, id, params).await?,
    ))
}

/// `DELETE /collections/{id}`: removes the subtree, trashing its models.
pub async fn delete_collection(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<Json<CollectionDeleted>, ApiError> {
    Ok(Json(service::delete_collection(&state, &actor, id).await?))
}

/// `GET /collections/{id}/grants`: who has which role here.
pub async fn list_grants(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<Json<Vec<GrantView>>, ApiError> {
    Ok(Json(grants::list(&state, &actor, id).await?))
}

/// `PUT /collections/{id}/grants`: give a user a role here.
pub async fn set_grant(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    JsonBody(params): JsonBody<SetGrantParams>,
) -> Result<Json<Vec<GrantView>>, ApiError> {
    Ok(Json(grants::set(&state, &actor, id, &params).await?))
}

/// `DELETE /collections/{id}/grants/{user_id}`.
pub async fn remove_grant(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids((id, user_id)): Ids<(i32, i32)>,
) -> Result<Json<Vec<GrantView>>, ApiError> {
    Ok(Json(grants::remove(&state, &actor, id, user_id).await?))
}
