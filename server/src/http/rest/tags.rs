//! `/api/v1/tags`: list with counts, create, rename, merge, delete, and
//! attach/detach many at once.

use app::backend::services::tags as service;
use app::backend::state::AppState;
use app::params::tags::{MergeTagParams, TagModelsParams, TagNameParams};
use app::views::tags::TagView;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{Ids, JsonBody};

/// `GET /tags`.
pub async fn list_tags(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<TagView>>, ApiError> {
    Ok(Json(service::list_tags(&state, &actor).await?))
}

/// `POST /tags`.
pub async fn create_tag(
    State(state): State<AppState>,
    Caller(actor): Caller,
    JsonBody(p): JsonBody<TagNameParams>,
) -> Result<(StatusCode, Json<TagView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_tag(&state, &actor, &p.name).await?),
    ))
}

/// `PATCH /tags/{id}`: rename.
pub async fn rename_tag(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    JsonBody(p): JsonBody<TagNameParams>,
) -> Result<Json<TagView>, ApiError> {
    Ok(Json(
        service::rename_tag(&state, &actor, id, &p.name).await?,
    ))
}

/// `POST /tags/{id}/merge`: fold into another tag.
pub async fn merge_tag(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    JsonBody(p): JsonBody<MergeTagParams>,
) -> Result<Json<TagView>, ApiError> {
    Ok(Json(
        service::merge_tag(&state, &actor, id, p.into_tag_id).await?,
    ))
}

/// `DELETE /tags/{id}`.
pub async fn delete_tag(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<StatusCode, ApiError> {
    service::delete_tag(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /tags/attach`: every tag onto every model.
pub async fn attach_tags(
    State(state): State<AppState>,
    Caller(actor): Caller,
    JsonBody(p): JsonBody<TagModelsParams>,
) -> Result<StatusCode, ApiError> {
    service::attach_tags(&state, &actor, &p.model_ids, &p.tag_ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /tags/detach`.
pub async fn detach_tags(
    State(state): State<AppState>,
    Caller(actor): Caller,
    JsonBody(p): JsonBody<TagModelsParams>,
) -> Result<StatusCode, ApiError> {
    service::detach_tags(&state, &actor, &p.model_ids, &p.tag_ids).await?;
    Ok(StatusCode::NO_CONTENT)
}
