//! `/api/v1/settings`: the admin-editable runtime settings (ADR 0002).

use app::backend::runtime_settings;
use app::backend::state::AppState;
use app::params::settings::UpdateSettingsParams;
use app::views::settings::RuntimeSettings;
use axum::Json;
use axum::extract::State;

use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::JsonBody;

/// `GET /settings`.
pub async fn get_settings(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<RuntimeSettings>, ApiError> {
    Ok(Json(runtime_settings::list_settings(&state, &actor).await?))
}

/// `PATCH /settings`.
pub async fn update_settings(
    State(state): State<AppState>,
    Caller(actor): Caller,
    JsonBody(params): JsonBody<UpdateSettingsParams>,
) -> Result<Json<RuntimeSettings>, ApiError> {
    Ok(Json(
        runtime_settings::update_settings(&state, &actor, params).await?,
    ))
}
