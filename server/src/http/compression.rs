//! Gzip for what compresses well and is not streamed page by page: the
//! browser bundle (wasm, JS, CSS), JSON answers and 3D previews. Server-
//! rendered HTML stays uncompressed so its streamed chunks reach the browser
//! as they are rendered; downloads and thumbnails are sent as stored (they
//! honour Range requests, and images are compressed already).

use axum::http::{HeaderMap, StatusCode, Version, header};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::Predicate;

/// Content types worth compressing (prefix match, parameters ignored).
const COMPRESSIBLE: [&str; 7] = [
    "application/wasm",
    "text/javascript",
    "application/javascript",
    "text/css",
    "application/json",
    "application/vnd.printstash.psm1",
    "image/svg+xml",
];

/// Smaller bodies are not worth the gzip header.
const MIN_BYTES: u64 = 1024;

/// Whether a response should be gzipped.
fn compressible(status: StatusCode, headers: &HeaderMap) -> bool {
    if status != StatusCode::OK || headers.contains_key(header::CONTENT_RANGE) {
        return false;
    }
    let small = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n < MIN_BYTES);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    !small && COMPRESSIBLE.iter().any(|t| content_type.starts_with(t))
}

/// The compression layer for the whole router.
pub fn layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new().gzip(true).compress_when(
        |status: StatusCode, _: Version, headers: &HeaderMap, _: &axum::http::Extensions| {
            compressible(status, headers)
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(k.clone(), HeaderValue::from_str(v).expect("ascii"));
        }
        map
    }

    #[test]
    fn bundles_and_json_are_compressed_pages_and_ranges_are_not() {
        let wasm = headers(&[
            (header::CONTENT_TYPE, "application/wasm"),
            (header::CONTENT_LENGTH, "2000000"),
        ]);
        assert!(compressible(StatusCode::OK, &wasm));
        let json = headers(&[(header::CONTENT_TYPE, "application/json; charset=utf-8")]);
        assert!(compressible(StatusCode::OK, &json));
        let html = headers(&[(header::CONTENT_TYPE, "text/html; charset=utf-8")]);
        assert!(!compressible(StatusCode::OK, &html));
        let gcode = headers(&[
            (header::CONTENT_TYPE, "text/x.gcode"),
            (header::CONTENT_LENGTH, "90000"),
        ]);
        assert!(!compressible(StatusCode::OK, &gcode));
        assert!(!compressible(StatusCode::PARTIAL_CONTENT, &wasm));
        let tiny = headers(&[
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_LENGTH, "40"),
        ]);
        assert!(!compressible(StatusCode::OK, &tiny));
    }
}
