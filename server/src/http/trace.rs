//! A tracing span per request (method, path, request id) with status and
//! latency logged when it completes.

use std::time::Duration;

use axum::http::{Request, Response};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

type Layer = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request<axum::body::Body>) -> Span,
    (),
    fn(&Response<axum::body::Body>, Duration, &Span),
>;

/// The request-tracing layer for the whole router.
pub fn layer() -> Layer {
    TraceLayer::new_for_http()
        .make_span_with(make_span as fn(&Request<axum::body::Body>) -> Span)
        .on_request(())
        .on_response(on_response as fn(&Response<axum::body::Body>, Duration, &Span))
}

fn make_span(request: &Request<axum::body::Body>) -> Span {
    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tracing::info_span!(
        "request",
        request.id = id,
        http.method = %request.method(),
        http.path = %request.uri().path(),
        user = tracing::field::Empty,
    )
}

fn on_response(response: &Response<axum::body::Body>, latency: Duration, _span: &Span) {
    tracing::info!(
        http.status = response.status().as_u16(),
        duration_ms = latency.as_millis() as u64,
        "request finished"
    );
}
