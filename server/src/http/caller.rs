//! Resolving the caller of a REST request. In single-admin mode (until users
//! and sign-in land) a request is the built-in admin when it carries the
//! configured `VAULT_API_TOKEN` (Bearer or `X-Api-Key`), or when no token is
//! configured at all.

use app::backend::auth::Actor;
use app::backend::state::AppState;
use app::error::{AppError, ErrorCode};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// The authenticated caller of a REST handler.
pub struct Caller(pub Actor);

fn presented_token(parts: &Parts) -> Option<&str> {
    let bearer = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    bearer.or_else(|| parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()))
}

/// Compares digests so the time taken says nothing about the secret.
fn same_secret(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match &state.settings.api_token {
            None => Ok(Caller(state.admin.clone())),
            Some(expected) => match presented_token(parts) {
                Some(given) if same_secret(given.trim(), expected) => {
                    Ok(Caller(state.admin.clone()))
                }
                Some(_) => Err(ApiError(AppError::new(
                    ErrorCode::Unauthenticated,
                    "The API token is not valid.",
                ))),
                None => Err(ApiError(AppError::new(
                    ErrorCode::Unauthenticated,
                    "Send the API token as 'Authorization: Bearer <token>' or 'X-Api-Key: <token>'.",
                ))),
            },
        }
    }
}
