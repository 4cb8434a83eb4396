//! Test controls under `/_sim/{action}`, mirroring the Rust methods on
//! `MoonrakerSim` so a browser test can drive the same misbehaviour.
//! Never guarded by the API key or by injected failures. Answers CORS
//! preflights (without running the action) so a page on another origin may call it.
//!
//! | action | arguments (query or JSON body) | effect |
//! |---|---|---|
//! | `drop_connections` | – | drop every websocket now |
//! | `restart_klippy` | – | `startup` + `notify_klippy_disconnected`, `ready` later (returns at once) |
//! | `emergency_stop` | – | Klippy `shutdown` + `notify_klippy_shutdown` |
//! | `send_malformed` | – | invalid JSON frame + wrongly typed notification to every websocket |
//! | `fail_next_http` | `n` | next `n` HTTP requests answer 503 |
//! | `timing` | `print_seconds`, `updates_per_second` (both optional) | change print speed / update rate |
//! | `uploads` | – | stored files with size and SHA-256 |
//! | `state` | – | print and Klippy state, timing, printer facts |

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tracing::info;

use super::config::{sane_print_seconds, sane_updates_per_second};
use super::error::{SimError, ok_envelope};
use super::http::http_params;
use super::hub::Shared;
use super::rpc::{self, Params};

/// `ANY /_sim/{action}`.
pub(crate) async fn control(
    State(shared): State<Arc<Shared>>,
    Path(action): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut response = if method == Method::OPTIONS {
        let mut preflight = StatusCode::NO_CONTENT.into_response();
        let h = preflight.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type"),
        );
        preflight
    } else {
        info!(sim.action = %action, "control");
        http_params("", &uri, &headers, &body)
            .and_then(|params| run(&shared, &action, &params))
            .map_or_else(IntoResponse::into_response, ok_envelope)
    };
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

fn run(shared: &Arc<Shared>, action: &str, params: &Params) -> Result<Value, SimError> {
    match action {
        "drop_connections" => shared.lock().drop_connections(),
        "restart_klippy" => {
            tokio::spawn(Arc::clone(shared).restart_klippy());
        }
        "emergency_stop" => shared.lock().emergency_stop(),
        "send_malformed" => shared.send_malformed(),
        "fail_next_http" => {
            let n = rpc::num_arg(params, "n")?.unwrap_or(1.0);
            if !(0.0..=1e9).contains(&n) {
                return Err(SimError::BadRequest("n must be between 0 and 1e9".into()));
            }
            shared.fail_next_http(n as usize);
        }
        "timing" => {
            let print_seconds = rpc::num_arg(params, "print_seconds")?;
            let updates_per_second = rpc::num_arg(params, "updates_per_second")?;
            set_timing(shared, print_seconds, updates_per_second);
        }
        "uploads" => return Ok(json!(shared.lock().files.uploaded())),
        "state" => return Ok(state(shared)),
        _ => {
            return Err(SimError::NotFound(format!(
                "Unknown simulator action: {action}"
            )));
        }
    }
    Ok(Value::from("ok"))
}

/// Changes print duration and/or update rate (a running print continues at the new speed).
pub(crate) fn set_timing(
    shared: &Shared,
    print_seconds: Option<f64>,
    updates_per_second: Option<f64>,
) {
    let mut inner = shared.lock();
    if let Some(secs) = print_seconds {
        inner.printer.print_seconds = sane_print_seconds(secs);
    }
    if let Some(rate) = updates_per_second {
        inner.updates_per_second = sane_updates_per_second(rate);
    }
}

fn state(shared: &Shared) -> Value {
    let inner = shared.lock();
    let cfg = &shared.config;
    json!({
        "print_state": inner.printer.stats.state.as_str(),
        "klippy_state": inner.printer.klippy.as_str(),
        "websocket_count": inner.conns.len(),
        "print_seconds": inner.printer.print_seconds,
        "updates_per_second": inner.updates_per_second,
        "printer_model": cfg.printer_model,
        "bed_size_mm": [cfg.bed_size_mm.0, cfg.bed_size_mm.1],
        "max_height_mm": cfg.max_height_mm,
        "nozzle_diameter_mm": cfg.nozzle_diameter_mm,
        "api_key_required": cfg.api_key.is_some(),
    })
}
