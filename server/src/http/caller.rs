//! Extractors for who is calling a REST handler: [`Caller`] (a signed-in
//! user or API token, else 401) and [`Client`] (address, user agent, HTTPS —
//! for sign-in and setup, which have no caller yet). Both read what the
//! `authn` middleware resolved once for the request.

use app::backend::auth::{Actor, RequestAuth};
use app::backend::state::AppState;
use app::error::AppError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;

/// The authenticated caller of a REST handler.
pub struct Caller(pub Actor);

/// What is known about the client of a request, signed in or not.
pub struct Client(pub RequestAuth);

fn request_auth(parts: &Parts) -> Result<&RequestAuth, ApiError> {
    parts.extensions.get::<RequestAuth>().ok_or_else(|| {
        tracing::error!("the authn middleware did not run for this route");
        ApiError(AppError::internal())
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = request_auth(parts)?;
        Ok(Caller(auth.actor()?.clone()))
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Client(request_auth(parts)?.clone()))
    }
}
