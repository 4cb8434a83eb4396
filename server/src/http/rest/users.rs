//! `/api/v1/users`: the admin's user management, and `/api/v1/audit`.

use app::backend::auth::{audit, users};
use app::backend::state::AppState;
use app::params::auth::{CreateUserParams, ListAuditParams, ResetPasswordParams, UpdateUserParams};
use app::views::auth::{AuditEntry, UserView};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::http::caller::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{Ids, JsonBody, QueryParams};

/// `GET /users`.
pub async fn list_users(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<UserView>>, ApiError> {
    Ok(Json(users::list_users(&state, &actor).await?))
}

/// `POST /users`.
pub async fn create_user(
    State(state): State<AppState>,
    Caller(actor): Caller,
    JsonBody(params): JsonBody<CreateUserParams>,
) -> Result<(StatusCode, Json<UserView>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(users::create_user(&state, &actor, &params).await?),
    ))
}

/// `PATCH /users/{id}`.
pub async fn update_user(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    JsonBody(params): JsonBody<UpdateUserParams>,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(users::update_user(&state, &actor, id, &params).await?))
}

/// `DELETE /users/{id}`.
pub async fn delete_user(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<StatusCode, ApiError> {
    users::delete_user(&state, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /users/{id}/password`.
pub async fn reset_password(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    JsonBody(params): JsonBody<ResetPasswordParams>,
) -> Result<StatusCode, ApiError> {
    users::reset_password(&state, &actor, id, &params).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /audit`.
pub async fn list_audit(
    State(state): State<AppState>,
    Caller(actor): Caller,
    QueryParams(params): QueryParams<ListAuditParams>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(audit::list(&state, &actor, &params).await?))
}
