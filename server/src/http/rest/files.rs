//! `/api/v1/files/{id}/download`, `/thumbnail` and `/preview-mesh`.

use app::backend::services::{files as service, preview};
use app::backend::state::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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

/// `GET /files/{id}/preview-mesh`: the mesh as PSM1 for the 3D preview
/// (decimated above the preview budget), with a strong ETag.
pub async fn preview_mesh(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Ids(id): Ids<i32>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (_, etag) = preview::preview_etag(&state, &actor, id).await?;
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let encoded = preview::preview_mesh(&state, &actor, id).await?;
        let mut res = Response::new(Body::from(encoded.bytes));
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/vnd.printstash.psm1"),
        );
        res
    };
    let headers = res.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    Ok(res)
}
