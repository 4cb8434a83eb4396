//! Server functions: the UI's API. One file per resource; each body resolves
//! the state and the caller, calls one service and returns a view — the same
//! services and views the REST handlers in `server/src/http/rest` use.
//!
//! Conventions:
//! - Every server function has an explicit `endpoint` equal to its name, so
//!   its URL is `/api/<name>` (e.g. `/api/list_models`) and does not depend
//!   on the path the crate was built from (the macro's default hashes it).
//! - Functions that take arguments use JSON input (`input = Json`): the
//!   params carry lists and "absent vs. null" fields that URL encoding cannot
//!   express. Functions without arguments keep the default (an empty
//!   URL-encoded `POST`). Results are JSON; errors are an [`AppError`]
//!   (HTTP 500 with the error as the JSON body).
//! - Uploads are not server functions: the UI posts files to the REST
//!   multipart endpoints (`/api/v1/ingest/model`,
//!   `/api/v1/models/{id}/gcode-revisions`) so it gets upload progress events
//!   and the server streams the body to disk under its size limit.
//!
//! [`AppError`]: crate::error::AppError

pub mod auth;
pub mod collections;
pub mod jobs;
pub mod models;
pub mod printers;
pub mod settings;
pub mod system;
pub mod tags;
pub mod users;

#[cfg(feature = "ssr")]
use crate::backend::auth::{Actor, RequestAuth};
#[cfg(feature = "ssr")]
use crate::backend::state::AppState;
#[cfg(feature = "ssr")]
use crate::error::AppError;

/// What the `authn` middleware learned about this request (address, user
/// agent, session, resolved caller).
#[cfg(feature = "ssr")]
pub(crate) fn request_auth() -> Result<RequestAuth, AppError> {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestAuth>().cloned())
        .ok_or_else(|| {
            tracing::error!("server function called without the authn middleware");
            AppError::internal()
        })
}

/// Who is calling a server function: the one place that decides it. The
/// `authn` middleware resolved the session cookie (or API token) and checked
/// the request's origin; a caller who is not signed in gets
/// `unauthenticated`.
#[cfg(feature = "ssr")]
pub(crate) async fn caller() -> Result<Actor, AppError> {
    Ok(request_auth()?.actor()?.clone())
}

/// The state and the caller of the current server function.
#[cfg(feature = "ssr")]
pub(crate) async fn context() -> Result<(AppState, Actor), AppError> {
    let state = crate::backend::state::expect_state()?;
    let actor = caller().await?;
    Ok((state, actor))
}
