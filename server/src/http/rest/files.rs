//! `/api/v1/files/{id}/download` and `/thumbnail`.

use app::backend::services::files as service;
use app::backend::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use crate::http::caller::Caller;
use crate::http::download::serve_object;
use crate::http::error::ApiError;
use crate::http::extract::{Ids, QueryParams};

/// `GET /files/{id}/download`: the original bytes (Range, ETag, Last-Modified).
pub async fn download_file(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let object = service::download_file(&state, &actor, id).await?;
    serve_object(&state, object, &headers, false, "private, no-cache").await
}

/// Thumbnail query: `size=grid` for the browse-card size.
#[derive(Debug, Default, Deserialize)]
pub struct ThumbnailQuery {
    /// `grid` or absent.
    #[serde(default)]
    pub size: Option<String>,
}

/// `GET /files/{id}/thumbnail[?size=grid]`: WebP (legacy PNG still served).
pub async fn file_thumbnail(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    QueryParams(query): QueryParams<ThumbnailQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let grid = query.size.as_deref() == Some("grid");
    let object = service::file_thumbnail(&state, &actor, id, grid).await?;
    serve_object(&state, object, &headers, true, "private, max-age=86400").await
}
