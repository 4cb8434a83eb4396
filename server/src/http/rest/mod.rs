//! REST `/api/v1`: one file per resource, handlers a few lines each.

pub mod health;

use app::backend::state::AppState;
use axum::Router;
use axum::routing::get;

use super::error::ApiError;

/// The `/api/v1` routes (nested by `crate::router`).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::get_health))
        .fallback(|| async {
            ApiError(app::error::AppError::new(
                app::error::ErrorCode::NotFound,
                "No such API endpoint; see /api/v1/openapi.json once the vault core lands.",
            ))
        })
}
