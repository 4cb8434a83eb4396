//! Streaming stored objects to HTTP clients with validators and ranges:
//! `ETag` (content hash), `Last-Modified`, `If-None-Match` → 304,
//! `Range` → 206 (single range; `If-Range` honoured), 416 past the end.

use app::backend::services::files::StoredObject;
use app::backend::state::AppState;
use app::backend::storage::StorageError;
use app::backend::storage::range::{parse_range_header, unsatisfied_content_range};
use app::error::{AppError, ErrorCode};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

fn http_date(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

/// `attachment; filename="…"` with a UTF-8 fallback, no quotes or controls.
fn disposition(filename: &str, inline: bool) -> HeaderValue {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    header_value(&format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
}

/// Streams `object` honouring the request's conditional and range headers.
pub async fn serve_object(
    state: &AppState,
    object: StoredObject,
    request: &HeaderMap,
    inline: bool,
    cache: &'static str,
) -> Result<Response, ApiError> {
    if request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == object.etag || tag.trim() == "*")
        })
    {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        res.headers_mut()
            .insert(header::ETAG, header_value(&object.etag));
        return Ok(res);
    }
    let if_range_ok = request
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == object.etag);
    let range = request
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_ok)
        .and_then(parse_range_header);
    let read = match state.storage.get(&object.key, range).await {
        Ok(read) => read,
        Err(StorageError::RangeNotSatisfiable { size }) => {
            let mut res = ApiError(AppError::new(
                ErrorCode::Invalid,
                "The requested range is outside the file.",
            ))
            .into_response();
            *res.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            res.headers_mut().insert(
                header::CONTENT_RANGE,
                header_value(&unsatisfied_content_range(size)),
            );
            return Ok(res);
        }
        Err(StorageError::NotFound { .. }) => {
            tracing::error!(key = %object.key.as_str(), "stored object missing");
            return Err(ApiError(AppError::new(
                ErrorCode::NotFound,
                "The file's stored bytes are missing; see the server log.",
            )));
        }
        Err(err) => {
            tracing::error!(error = %err, "storage read failed");
            return Err(ApiError(AppError::internal()));
        }
    };
    let status = if read.range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let content_length = read.content_length();
    let mut res = Response::new(Body::from_stream(read.stream));
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(object.content_type),
    );
    headers.insert(
        header::CONTENT_LENGTH,
        header_value(&content_length.to_string()),
    );
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::ETAG, header_value(&object.etag));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::CONTENT_DISPOSITION,
        disposition(&object.filename, inline),
    );
    if let Some(modified) = read.modified {
        headers.insert(header::LAST_MODIFIED, header_value(&http_date(modified)));
    }
    if let Some(range) = &read.range {
        headers.insert(
            header::CONTENT_RANGE,
            header_value(&range.content_range(read.total_size)),
        );
    }
    Ok(res)
}
