//! The one error type of the simulator's API, mapped to an HTTP status and
//! envelope or to a JSON-RPC error object.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An API error as Moonraker reports it: a code (HTTP status, reused as the
/// JSON-RPC error code like Moonraker does) and a message.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SimError {
    /// Bad or missing argument.
    #[error("{0}")]
    BadRequest(String),
    /// Missing or wrong API key.
    #[error("Unauthorized")]
    Unauthorized,
    /// The request is valid but not allowed now (e.g. deleting the file being printed).
    #[error("{0}")]
    Forbidden(String),
    /// File or endpoint does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The uploaded bytes do not match the `checksum` field.
    #[error("File checksum mismatch: expected {expected}, calculated {actual}")]
    ChecksumMismatch { expected: String, actual: String },
    /// The upload exceeds `max_upload_bytes`.
    #[error("Request body exceeds the upload limit")]
    TooLarge,
    /// Klippy is not ready, or a test asked for failures.
    #[error("{0}")]
    Unavailable(String),
    /// JSON-RPC method that this simulator does not know.
    #[error("Method not found")]
    MethodNotFound,
}

impl SimError {
    /// HTTP status for this error.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::MethodNotFound => StatusCode::NOT_FOUND,
            Self::ChecksumMismatch { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// JSON-RPC error code: the standard -32601 for unknown methods, the HTTP
    /// status otherwise (Moonraker's convention).
    pub(crate) fn rpc_code(&self) -> i64 {
        match self {
            Self::MethodNotFound => -32601,
            other => i64::from(other.status().as_u16()),
        }
    }

    /// The JSON-RPC `error` object.
    pub(crate) fn rpc_object(&self) -> Value {
        json!({"code": self.rpc_code(), "message": self.to_string()})
    }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = self.to_string();
        let reason = status.canonical_reason().unwrap_or("Error");
        // Moonraker's traceback ends with a `HTTP <code>: <reason> (<message>)`
        // line; clients such as OrcaSlicer read that last line.
        let traceback = format!("HTTP {}: {reason} ({message})", status.as_u16());
        let body =
            json!({"error": {"code": status.as_u16(), "message": message, "traceback": traceback}});
        (status, Json(body)).into_response()
    }
}

/// The success envelope `{"result": …}`.
pub(crate) fn ok_envelope(result: Value) -> Response {
    Json(json!({"result": result})).into_response()
}
