//! Server functions for setup, sign-in and sign-out, the signed-in user,
//! password change and the caller's API tokens. The same services as
//! `server/src/http/rest/auth.rs`; sign-in and setup set the session cookie
//! on the server function's response.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::params::auth::{ChangePasswordParams, CreateTokenParams, CredentialsParams};
use crate::views::auth::{ApiTokenView, CreatedApiToken, SessionInfo, SessionState, SetupStatus};

#[cfg(feature = "ssr")]
fn set_cookie(cookie: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(cookie),
    ) {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}

/// Signs in and sets the session cookie on this server function's answer.
#[cfg(feature = "ssr")]
async fn sign_in(
    state: &crate::backend::state::AppState,
    client: &crate::backend::auth::RequestAuth,
    params: &CredentialsParams,
) -> Result<SessionInfo, AppError> {
    use crate::backend::auth::{sessions, users};
    let (info, secret) = users::login(state, params, &client.ip, &client.user_agent).await?;
    set_cookie(&sessions::cookie(
        &state.settings.auth,
        &secret,
        client.secure_cookie(&state.settings.auth),
    ));
    Ok(info)
}

/// Whether the one-time setup still has to run (anyone may ask).
#[server(endpoint = "get_setup_status")]
pub async fn get_setup_status() -> Result<SetupStatus, AppError> {
    let state = crate::backend::state::expect_state()?;
    Ok(crate::backend::auth::users::setup_status(&state).await?)
}

/// Creates the first admin and signs them in (only while no admin exists).
#[server(endpoint = "setup_admin", input = Json)]
pub async fn setup_admin(params: CredentialsParams) -> Result<SessionInfo, AppError> {
    use crate::backend::auth::users;
    let state = crate::backend::state::expect_state()?;
    let client = super::request_auth()?;
    users::setup(&state, &params, &client.ip).await?;
    sign_in(&state, &client, &params).await
}

/// Signs in and sets the session cookie.
#[server(endpoint = "login", input = Json)]
pub async fn login(params: CredentialsParams) -> Result<SessionInfo, AppError> {
    let state = crate::backend::state::expect_state()?;
    let client = super::request_auth()?;
    sign_in(&state, &client, &params).await
}

/// Ends this browser's session and clears the cookie.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::backend::auth::sessions;
    let state = crate::backend::state::expect_state()?;
    let client = super::request_auth()?;
    if let Some(secret) = &client.session_secret {
        sessions::end(&state.db, secret).await?;
    }
    set_cookie(&sessions::clearing_cookie(
        client.secure_cookie(&state.settings.auth),
    ));
    Ok(())
}

/// Whether setup must run and who is signed in (anyone may ask; the UI uses
/// it to choose between the app, the sign-in page and the setup page).
#[server(endpoint = "get_session_state")]
pub async fn get_session_state() -> Result<SessionState, AppError> {
    use crate::backend::auth::users;
    let state = crate::backend::state::expect_state()?;
    let client = super::request_auth()?;
    let user = match client.actor() {
        Ok(actor) => Some(users::me(&state, actor).await?),
        Err(_) => None,
    };
    let needs_setup = users::setup_status(&state).await?.needs_setup;
    Ok(SessionState { needs_setup, user })
}

/// Changes the caller's password; all their sessions end.
#[server(endpoint = "change_password", input = Json)]
pub async fn change_password(params: ChangePasswordParams) -> Result<(), AppError> {
    let (state, actor) = super::context().await?;
    crate::backend::auth::users::change_password(&state, &actor, &params).await?;
    let client = super::request_auth()?;
    set_cookie(&crate::backend::auth::sessions::clearing_cookie(
        client.secure_cookie(&state.settings.auth),
    ));
    Ok(())
}

/// The caller's API tokens.
#[server(endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenView>, AppError> {
    let (state, actor) = super::context().await?;
    Ok(crate::backend::auth::tokens::list(&state, &actor).await?)
}

/// Makes an API token; the secret is in the answer this once.
#[server(endpoint = "create_api_token", input = Json)]
pub async fn create_api_token(params: CreateTokenParams) -> Result<CreatedApiToken, AppError> {
    let (state, actor) = super::context().await?;
    Ok(crate::backend::auth::tokens::create(&state, &actor, &params).await?)
}

/// Revokes one of the caller's API tokens.
#[server(endpoint = "revoke_api_token", input = Json)]
pub async fn revoke_api_token(id: i32) -> Result<ApiTokenView, AppError> {
    let (state, actor) = super::context().await?;
    Ok(crate::backend::auth::tokens::revoke(&state, &actor, id).await?)
}
