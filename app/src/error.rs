//! The one error that crosses the wire: [`AppError`], compiled for the
//! server and the browser so the UI can match on its [`ErrorCode`].

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A stable, snake_case error code the UI and API clients can match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The thing asked for does not exist (or the caller may not know it does).
    NotFound,
    /// The request conflicts with the current state (e.g. a duplicate name).
    Conflict,
    /// An input value is wrong; `field` names it.
    Invalid,
    /// The caller is not signed in.
    Unauthenticated,
    /// The caller may not do this.
    Forbidden,
    /// An upload or value is larger than allowed.
    TooLarge,
    /// Too many attempts; `retry_after_s` says when to try again.
    RateLimited,
    /// A dependency (database, storage, printer) is unreachable right now.
    Unavailable,
    /// The request never reached the server or its answer could not be read.
    Transport,
    /// Something broke on the server; details are in the server log.
    Internal,
}

/// The wire error: a code, a message a user can act on, and optionally the
/// input field it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// A human-readable explanation, safe to show to the user.
    pub message: String,
    /// The input field this error is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `rate_limited`: seconds until a retry can succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
}

impl AppError {
    /// An error with a code and message and no field.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            retry_after_s: None,
        }
    }

    /// An `invalid` error about `field`.
    pub fn invalid(field: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            field: field.map(str::to_owned),
            ..Self::new(ErrorCode::Invalid, message)
        }
    }

    /// The generic message for failures whose details stay in the server log.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "Something went wrong on the server; the details are in its log.",
        )
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::ServerError(message) => Self::new(ErrorCode::Internal, message),
            other => Self::new(
                ErrorCode::Transport,
                format!("Could not talk to the server: {other}"),
            ),
        }
    }
}
