//! REST `/api/v1`: one file per resource, handlers a few lines each.

pub mod collections;
pub mod files;
pub mod health;
pub mod models;
pub mod tags;

use app::backend::state::AppState;
use axum::Router;
use axum::routing::{delete, get, patch, post};

use super::error::ApiError;

/// The `/api/v1` routes (nested by `crate::router`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::get_health))
        .route("/models", get(models::list_models))
        .route("/models/stats", get(models::vault_stats))
        .route(
            "/models/trash",
            get(models::list_trash).delete(models::purge_trash),
        )
        .route("/models/trash/expired", delete(models::purge_expired_trash))
        .route(
            "/models/{id}",
            get(models::get_model)
                .patch(models::update_model)
                .delete(models::trash_model),
        )
        .route("/models/{id}/restore", post(models::restore_model))
        .route("/models/{id}/purge", delete(models::purge_model))
        .route(
            "/models/{id}/files/{file_id}/revision",
            patch(models::update_revision).delete(models::trash_file),
        )
        .route("/models/{id}/files/{file_id}", delete(models::trash_file))
        .route(
            "/models/{id}/files/{file_id}/restore",
            post(models::restore_file),
        )
        .route(
            "/collections",
            get(collections::list_collections).post(collections::create_collection),
        )
        .route(
            "/collections/{id}",
            get(collections::get_collection)
                .patch(collections::update_collection)
                .delete(collections::delete_collection),
        )
        .route("/files/{id}/download", get(files::download_file))
        .route("/files/{id}/thumbnail", get(files::file_thumbnail))
        .route("/tags", get(tags::list_tags).post(tags::create_tag))
        .route("/tags/attach", post(tags::attach_tags))
        .route("/tags/detach", post(tags::detach_tags))
        .route(
            "/tags/{id}",
            patch(tags::rename_tag).delete(tags::delete_tag),
        )
        .route("/tags/{id}/merge", post(tags::merge_tag))
        .fallback(|| async {
            ApiError(app::error::AppError::new(
                app::error::ErrorCode::NotFound,
                "No such API endpoint; see /api/v1/openapi.json once the vault core lands.",
            ))
        })
}
