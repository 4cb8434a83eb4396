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

pub mod collections;
pub mod jobs;
pub mod models;
pub mod system;
pub mod tags;

#[cfg(feature = "ssr")]
use crate::backend::auth::Actor;
#[cfg(feature = "ssr")]
use crate::backend::state::AppState;
#[cfg(feature = "ssr")]
use crate::error::AppError;

/// Who is calling a server function: the one place that decides it, so
/// sign-in changes only this function.
///
/// Server functions are same-origin calls from the vault's own pages, which
/// carry no API token (that check is for REST clients, see
/// `server/src/http/caller.rs`). Until users and sign-in land the vault runs
/// in single-admin mode, so every caller is the built-in admin. It is `async`
/// and fallible because reading a session will be.
#[cfg(feature = "ssr")]
pub(crate) async fn caller(state: &AppState) -> Result<Actor, AppError> {
    Ok(state.admin.clone())
}

/// The state and the caller of the current server function.
#[cfg(feature = "ssr")]
pub(crate) async fn context() -> Result<(AppState, Actor), AppError> {
    let state = crate::backend::state::expect_state()?;
    let actor = caller(&state).await?;
    Ok((state, actor))
}
