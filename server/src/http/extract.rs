//! Request extractors whose rejections use the API's JSON error envelope
//! (axum's defaults answer in plain text).

use app::error::{AppError, ErrorCode};
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

fn invalid(field: Option<&str>, message: String) -> ApiError {
    ApiError(AppError::invalid(field, message))
}

/// A JSON body.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(invalid(
                None,
                "Send the body as JSON with 'Content-Type: application/json'.".into(),
            )),
            Err(rej) => Err(invalid(
                None,
                format!("The JSON body is not valid: {}", rej.body_text()),
            )),
        }
    }
}

/// Path parameters (ids); a non-numeric id is a 404, as no such object exists.
pub struct Ids<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Self(value)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(ApiError(AppError::new(
                ErrorCode::NotFound,
                "No such object: ids in this path are whole numbers.",
            ))),
            Err(rej) => Err(invalid(None, rej.body_text())),
        }
    }
}

/// A query string.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(err)) => Err(invalid(
                None,
                format!("The query string is not valid: {}", err.body_text()),
            )),
            Err(rej) => Err(invalid(None, rej.body_text())),
        }
    }
}
