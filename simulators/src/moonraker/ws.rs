//! The websocket JSON-RPC 2.0 session: framing, identify/auth, subscriptions,
//! and forwarding the connection's queued messages.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use serde_json::{Value, json};
use tracing::{Instrument, debug, info_span};

use super::error::SimError;
use super::hub::{Inner, Shared, Subscription};
use super::objects;
use super::rpc::{self, Params};

/// Runs one websocket until either side closes it or the simulator drops it.
pub(crate) async fn session(shared: Arc<Shared>, mut socket: WebSocket, authorized: bool) {
    let (conn_id, mut outbox) = shared.add_conn(authorized);
    let span = info_span!("websocket", conn.id = conn_id);
    async {
        debug!("connected");
        loop {
            tokio::select! {
                queued = outbox.recv() => match queued {
                    Some(text) => {
                        if socket.send(Message::Text(text.into())).await.is_err() {
                            break;
                        }
                    }
                    // The hub forgot this connection: drop it without a close frame.
                    None => {
                        debug!("dropped by the simulator");
                        return;
                    }
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) => handle_text(&shared, conn_id, text.as_str()),
                    Some(Ok(Message::Binary(_))) => {
                        let error = error_response(Value::Null, -32600, "Invalid Request");
                        shared.lock().send(conn_id, error);
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                },
            }
        }
        shared.remove_conn(conn_id);
        debug!("disconnected");
    }
    .instrument(span)
    .await;
}

/// Parses one text frame (a request, a notification or a batch) and queues the
/// answers, all under the state lock so they stay ordered with status updates.
fn handle_text(shared: &Arc<Shared>, conn_id: u64, text: &str) {
    let mut inner = shared.lock();
    match serde_json::from_str::<Value>(text) {
        Err(_) => inner.send(conn_id, error_response(Value::Null, -32700, "Parse error")),
        Ok(Value::Array(batch)) if batch.is_empty() => {
            inner.send(
                conn_id,
                error_response(Value::Null, -32600, "Invalid Request"),
            );
        }
        Ok(Value::Array(batch)) => {
            let replies: Vec<Value> = batch
                .into_iter()
                .filter_map(|request| handle_request(shared, &mut inner, conn_id, request))
                .collect();
            if !replies.is_empty() {
                inner.send(conn_id, Value::Array(replies).to_string());
            }
        }
        Ok(request) => {
            if let Some(reply) = handle_request(shared, &mut inner, conn_id, request) {
                inner.send(conn_id, reply.to_string());
            }
        }
    }
}

/// One JSON-RPC request; `None` for notifications (no `id`).
fn handle_request(
    shared: &Arc<Shared>,
    inner: &mut Inner,
    conn_id: u64,
    request: Value,
) -> Option<Value> {
    let Value::Object(request) = request else {
        return Some(error_value(Value::Null, -32600, "Invalid Request"));
    };
    let id = request.get("id").cloned();
    let reply_id = id.clone().unwrap_or(Value::Null);
    let method = match (request.get("jsonrpc"), request.get("method")) {
        (Some(Value::String(v)), Some(Value::String(m))) if v == "2.0" => m.clone(),
        _ => return Some(error_value(reply_id, -32600, "Invalid Request")),
    };
    let params = match request.get("params") {
        None | Some(Value::Null) => Params::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Some(error_value(reply_id, -32602, "Invalid params")),
    };
    debug!(rpc.method = %method, "request");
    let result = call(shared, inner, conn_id, &method, &params);
    let id = id?;
    Some(match result {
        Ok(result) => json!({"jsonrpc": "2.0", "result": result, "id": id}),
        Err(err) => json!({"jsonrpc": "2.0", "error": err.rpc_object(), "id": id}),
    })
}

fn call(
    shared: &Arc<Shared>,
    inner: &mut Inner,
    conn_id: u64,
    method: &str,
    params: &Params,
) -> Result<Value, SimError> {
    let Some(conn) = inner.conns.get(&conn_id) else {
        return Err(SimError::Unavailable("Connection closed".into()));
    };
    if method == "server.connection.identify" {
        return identify(shared, inner, conn_id, params);
    }
    if !conn.authorized {
        return Err(SimError::Unauthorized);
    }
    if method == "printer.objects.subscribe" {
        return subscribe(shared, inner, conn_id, params);
    }
    rpc::dispatch(shared, inner, method, params)
}

/// `server.connection.identify`: once per connection; checks `api_key` when one is configured.
fn identify(
    shared: &Shared,
    inner: &mut Inner,
    conn_id: u64,
    params: &Params,
) -> Result<Value, SimError> {
    let conn = inner
        .conns
        .get_mut(&conn_id)
        .ok_or_else(|| SimError::Unavailable("Connection closed".into()))?;
    if conn.identified {
        return Err(SimError::BadRequest("Connection already identified".into()));
    }
    for field in ["client_name", "version", "type", "url"] {
        rpc::str_arg(params, field)?;
    }
    if let Some(key) = shared.config.api_key.as_deref()
        && !conn.authorized
        && rpc::opt_str_arg(params, "api_key") != Some(key)
    {
        return Err(SimError::Unauthorized);
    }
    conn.identified = true;
    conn.authorized = true;
    Ok(json!({"connection_id": conn_id}))
}

/// `printer.objects.subscribe`: replaces the connection's subscription (`{}`
/// cancels it) and answers with the full current values.
fn subscribe(
    shared: &Shared,
    inner: &mut Inner,
    conn_id: u64,
    params: &Params,
) -> Result<Value, SimError> {
    let spec = objects::parse_spec(params.get("objects"))?;
    let status = objects::select(&spec, &shared.status(inner));
    let conn = inner
        .conns
        .get_mut(&conn_id)
        .ok_or_else(|| SimError::Unavailable("Connection closed".into()))?;
    conn.subscription = (!spec.is_empty()).then(|| Subscription {
        spec,
        sent: status.clone(),
    });
    Ok(json!({"eventtime": shared.eventtime(), "status": status}))
}

fn error_value(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id})
}

fn error_response(id: Value, code: i64, message: &str) -> String {
    error_value(id, code, message).to_string()
}
