//! The HTTP side: the router, the API-key and failure-injection guard, and the
//! generic handler that maps `/a/b/c` to the `a.b.c` method with arguments from
//! the query string and body.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get, post};
use serde_json::Value;
use tracing::Instrument;

use super::error::{SimError, ok_envelope};
use super::hub::Shared;
use super::rpc::{self, Params};
use super::{control, upload, ws};

/// The full router: Moonraker's API, `/websocket` and the `/_sim` controls.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let rpc_get = || get(rpc_over_http);
    let rpc_post = || post(rpc_over_http);
    let routes: [(&str, MethodRouter<Arc<Shared>>); 17] = [
        ("/server/info", rpc_get()),
        ("/server/files/roots", rpc_get()),
        ("/server/files/list", rpc_get()),
        ("/server/files/metadata", rpc_get()),
        ("/printer/info", rpc_get()),
        ("/printer/objects/list", rpc_get()),
        (
            "/printer/objects/query",
            get(rpc_over_http).post(rpc_over_http),
        ),
        ("/printer/print/start", rpc_post()),
        ("/printer/print/pause", rpc_post()),
        ("/printer/print/resume", rpc_post()),
        ("/printer/print/cancel", rpc_post()),
        ("/printer/emergency_stop", rpc_post()),
        ("/printer/restart", rpc_post()),
        ("/printer/firmware_restart", rpc_post()),
        ("/printer/gcode/script", rpc_post()),
        ("/access/info", rpc_get()),
        ("/websocket", get(websocket)),
    ];
    let mut router = Router::new();
    for (path, route) in routes {
        router = router.route(path, route);
    }
    let upload_limit = DefaultBodyLimit::max(shared.config.max_upload_bytes);
    router
        .route(
            "/server/files/upload",
            post(upload::upload_file).layer(upload_limit),
        )
        .route(
            "/server/files/{root}/{*path}",
            get(upload::download_file).delete(upload::delete_file),
        )
        .route("/_sim/{action}", any(control::control))
        .fallback(|| async { SimError::NotFound("Not Found".into()) })
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), guard))
        .with_state(shared)
}

/// Injected 503s first (like a failing proxy), then the API key. `/_sim/*` is
/// never guarded; `/access/info` and the websocket upgrade need no key.
async fn guard(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("http", http.method = %req.method(), http.path = %path);
    async move {
        if path.starts_with("/_sim/") {
            return next.run(req).await;
        }
        if shared.take_http_failure() {
            tracing::info!("failing request on purpose");
            return SimError::Unavailable("Service Unavailable (simulated failure)".into())
                .into_response();
        }
        if let Some(key) = shared.config.api_key.as_deref() {
            let public = path == "/access/info" || path == "/websocket";
            if !public && api_key_header(req.headers()) != Some(key) {
                return SimError::Unauthorized.into_response();
            }
        }
        next.run(req).await
    }
    .instrument(span)
    .await
}

fn api_key_header(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-api-key").and_then(|v| v.to_str().ok())
}

/// Any JSON-RPC-mapped endpoint: the method name is the path with `/` → `.`.
async fn rpc_over_http(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let method = uri.path().trim_start_matches('/').replace('/', ".");
    let params = match http_params(&method, &uri, &headers, &body) {
        Ok(params) => params,
        Err(err) => return err.into_response(),
    };
    let mut inner = shared.lock();
    match rpc::dispatch(&shared, &mut inner, &method, &params) {
        Ok(result) => ok_envelope(result),
        Err(err) => err.into_response(),
    }
}

/// Query-string arguments overlaid by body arguments (JSON or form).
/// `printer.objects.query` reads its query string as `object[=field,field]`.
pub(crate) fn http_params(
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Params, SimError> {
    let pairs = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes());
    let mut params = Params::new();
    if method == "printer.objects.query" {
        let mut objects = serde_json::Map::new();
        for (name, fields) in pairs {
            let fields = if fields.is_empty() {
                Value::Null
            } else {
                fields.split(',').map(|f| Value::from(f.trim())).collect()
            };
            objects.insert(name.into_owned(), fields);
        }
        params.insert("objects".into(), Value::Object(objects));
    } else {
        for (k, v) in pairs {
            params.insert(k.into_owned(), Value::from(v.into_owned()));
        }
    }
    for (k, v) in body_params(headers, body)? {
        params.insert(k, v);
    }
    Ok(params)
}

fn body_params(headers: &HeaderMap, body: &[u8]) -> Result<Params, SimError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Params::new());
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok(form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::from(v.into_owned())))
            .collect());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(SimError::BadRequest(
            "Request body must be a JSON object".into(),
        )),
    }
}

/// `GET /websocket`: an upgrade carrying a valid `X-Api-Key` is authorized up
/// front; otherwise (with a key configured) the client must identify with it.
async fn websocket(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let authorized = match shared.config.api_key.as_deref() {
        None => true,
        Some(key) => api_key_header(&headers) == Some(key),
    };
    upgrade.on_upgrade(move |socket| ws::session(shared, socket, authorized))
}
