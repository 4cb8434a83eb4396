//! `GET /api/v1/health`.

use app::backend::services::system;
use app::backend::state::AppState;
use app::views::system::{Health, HealthStatus};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

/// Version, database kind and whether the database answers; 503 when it does not.
pub async fn get_health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let health = system::check_health(&state).await;
    let status = match health.status {
        HealthStatus::Ok => StatusCode::OK,
        HealthStatus::Degraded => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(health))
}
