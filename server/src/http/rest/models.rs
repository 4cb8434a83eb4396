//! `/api/v1/models`: browse, detail, edit, trash/restore/purge, stats, and
//! revision changes. Bodies are a few lines: parse, resolve caller, call one
//! service, return its view.

use app::backend::services::{browse, export, models as service, revisions, stars};
use app::backend::state::AppState;
use app::params::models::{ListModelsParams, UpdateModelParams, UpdateRevisionParams};
use app::views::models::{
    Facets, ModelCard, ModelDetail, ModelExport, OfflineManifest, Page, Purged, TrashItem,
    VaultStats,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{Ids, JsonBody, QueryParams};

/// `GET /models`: filtered, sorted, cursor-paginated browse.
pub async fn list_models(
    State(state): State<AppState>,
    Caller(actor): Caller,
    QueryParams(params): QueryParams<ListModelsParams>,
) -> Result<Json<Page<ModelCard>>, ApiError> {
    Ok(Json(browse::list_models(&state, &actor, &params).await?))
}

/// `GET /models/{id}`.
pub async fn get_model(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<Json<ModelDetail>, ApiError> {
    Ok(Json(service::get_model(&state, &actor, id).await?))
}

/// `PATCH /models/{id}`.
pub async fn update_model(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    JsonBody(params): JsonBody<UpdateModelParams>,
) -> Result<Json<ModelDetail>, ApiError> {
    Ok(Json(
        service::update_model(&state, &actor, id, params).await?,
    ))
}

/// `DELETE /models/{id}`: to the trash.
pub async fn trash_model(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<StatusCode, ApiError> {
    service::trash_model(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /models/{id}/restore`.
pub async fn restore_model(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<Json<ModelDetail>, ApiError> {
    Ok(Json(service::restore_model(&state, &actor, id).await?))
}

/// `DELETE /models/{id}/purge`: permanently delete a trashed model.
pub async fn purge_model(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<StatusCode, ApiError> {
    service::purge_model(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /models/trash`.
pub async fn list_trash(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<TrashItem>>, ApiError> {
    Ok(Json(service::list_trash(&state, &actor).await?))
}

/// `DELETE /models/trash`: empty the whole trash.
pub async fn purge_trash(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Purged>, ApiError> {
    Ok(Json(Purged {
        purged: service::purge_trash(&state, &actor, None).await?,
    }))
}

/// `DELETE /models/trash/expired`: purge what is past the retention period.
pub async fn purge_expired_trash(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Purged>, ApiError> {
    Ok(Json(Purged {
        purged: service::purge_expired_trash(&state, &actor).await?,
    }))
}

/// `GET /models/stats`.
pub async fn vault_stats(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<VaultStats>, ApiError> {
    Ok(Json(service::vault_stats(&state, &actor).await?))
}

/// `PATCH /models/{id}/files/{file_id}/revision`.
pub async fn update_revision(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids((id, file_id)): Ids<(i32, i32)>,
    JsonBody(params): JsonBody<UpdateRevisionParams>,
) -> Result<Json<ModelDetail>, ApiError> {
    Ok(Json(
        revisions::update_revision(&state, &actor, id, file_id, params).await?,
    ))
}

/// `DELETE /models/{id}/files/{file_id}/revision` (and `/files/{file_id}`): trash one artifact.
pub async fn trash_file(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids((id, file_id)): Ids<(i32, i32)>,
) -> Result<Json<ModelDetail>, ApiError> {
    Ok(Json(
        revisions::trash_file(&state, &actor, id, file_id).await?,
    ))
}

/// `POST /models/{id}/files/{file_id}/restore`.
pub async fn restore_file(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids((id, file_id)): Ids<(i32, i32)>,
) -> Result<Json<ModelDetail>, ApiError> {
    Ok(Json(
        revisions::restore_file(&state, &actor, id, file_id).await?,
    ))
}

/// `GET /models/{id}/export`.
pub async fn export_model(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<Json<ModelExport>, ApiError> {
    Ok(Json(export::export_model(&state, &actor, id).await?))
}

/// `GET /models/facets`: counts for the browse filters.
pub async fn model_facets(
    State(state): State<AppState>,
    Caller(actor): Caller,
    QueryParams(params): QueryParams<ListModelsParams>,
) -> Result<Json<Facets>, ApiError> {
    Ok(Json(browse::facets(&state, &actor, &params).await?))
}

/// `PUT /models/{id}/star`: star a model for the caller.
pub async fn star_model(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<StatusCode, ApiError> {
    stars::star_model(&state, &actor, id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /models/{id}/star`: take the caller's star off a model.
pub async fn unstar_model(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<StatusCode, ApiError> {
    stars::star_model(&state, &actor, id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /offline-manifest`: what the service worker keeps for offline viewing.
pub async fn offline_manifest(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<OfflineManifest>, ApiError> {
    Ok(Json(stars::offline_manifest(&state, &actor).await?))
}
