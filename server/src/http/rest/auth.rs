//! `/api/v1/auth`: the one-time setup, sign-in and sign-out (session cookie),
//! who am I, password change, and the caller's own API tokens.

use app::backend::auth::{RequestAuth, sessions, tokens, users};
use app::backend::state::AppState;
use app::params::auth::{ChangePasswordParams, CreateTokenParams, CredentialsParams};
use app::views::auth::{ApiTokenView, CreatedApiToken, SetupStatus, UserView};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::http::caller::{Caller, Client};
use crate::http::error::ApiError;
use crate::http::extract::{Ids, JsonBody};

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    match HeaderValue::from_str(cookie) {
        Ok(value) => {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        Err(err) => tracing::error!(error = %err, "session cookie is not a valid header"),
    }
    response
}

/// Signs in: the user in the body, the session cookie in `Set-Cookie`.
async fn sign_in(
    state: &AppState,
    client: &RequestAuth,
    params: &CredentialsParams,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let (info, secret) = users::login(state, params, &client.ip, &client.user_agent).await?;
    let cookie = sessions::cookie(
        &state.settings.auth,
        &secret,
        client.secure_cookie(&state.settings.auth),
    );
    Ok(with_cookie((status, Json(info)).into_response(), &cookie))
}

/// `GET /auth/setup`.
pub async fn setup_status(State(state): State<AppState>) -> Result<Json<SetupStatus>, ApiError> {
    Ok(Json(users::setup_status(&state).await?))
}

/// `POST /auth/setup`: creates the first admin and signs them in.
pub async fn setup(
    State(state): State<AppState>,
    Client(client): Client,
    JsonBody(params): JsonBody<CredentialsParams>,
) -> Result<Response, ApiError> {
    users::setup(&state, &params, &client.ip).await?;
    sign_in(&state, &client, &params, StatusCode::CREATED).await
}

/// `POST /auth/login`: checks the password and sets the session cookie.
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    JsonBody(params): JsonBody<CredentialsParams>,
) -> Result<Response, ApiError> {
    sign_in(&state, &client, &params, StatusCode::OK).await
}

/// `POST /auth/logout`: ends this session and clears the cookie.
pub async fn logout(
    State(state): State<AppState>,
    Client(client): Client,
) -> Result<Response, ApiError> {
    if let Some(secret) = &client.session_secret {
        sessions::end(&state.db, secret).await?;
    }
    let cookie = sessions::clearing_cookie(client.secure_cookie(&state.settings.auth));
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), &cookie))
}

/// `GET /auth/me`.
pub async fn me(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<UserView>, ApiError> {
    Ok(Json(users::me(&state, &actor).await?))
}

/// `POST /auth/password`: changes the caller's password; every session of
/// theirs ends (this one too: sign in again).
pub async fn change_password(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Client(client): Client,
    JsonBody(params): JsonBody<ChangePasswordParams>,
) -> Result<Response, ApiError> {
    users::change_password(&state, &actor, &params).await?;
    let cookie = sessions::clearing_cookie(client.secure_cookie(&state.settings.auth));
    Ok(with_cookie(StatusCode::NO_CONTENT.into_response(), &cookie))
}

/// `GET /auth/tokens`.
pub async fn list_tokens(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<ApiTokenView>>, ApiError> {
    Ok(Json(tokens::list(&state, &actor).await?))
}

/// `POST /auth/tokens`.
pub async fn create_token(
    State(state): State<AppState>,
    Caller(actor): Caller,
    JsonBody(params): JsonBody<CreateTokenParams>,
) -> Result<(StatusCode, Json<CreatedApiToken>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(tokens::create(&state, &actor, &params).await?),
    ))
}

/// `DELETE /auth/tokens/{id}`: revokes a token.
pub async fn revoke_token(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
) -> Result<Json<ApiTokenView>, ApiError> {
    Ok(Json(tokens::revoke(&state, &actor, id).await?))
}
