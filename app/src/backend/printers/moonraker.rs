//! Klipper through Moonraker: one websocket JSON-RPC session per printer
//! (identify, `server.info`, subscribe to the status objects, deep-merge the
//! partial `notify_status_update`s), and HTTP for uploads, print control and
//! the file list. Facts from `shared/protocols/moonraker.md`.

use std::path::Path;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use super::driver::{
    BoxFuture, DriverError, PrinterDriver, Progress, RemoteFile, StatusSink, deep_merge,
    lenient_f64,
};
use crate::params::printers::PrintAction;
use crate::views::printers::{ConnectionState, PrintState, PrinterStatus, Temperature};

/// Moonraker's default port.
pub const DEFAULT_PORT: u16 = 7125;
/// How long connecting or one HTTP call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// Silence after which the websocket is pinged, and after twice that, given up.
const IDLE: Duration = Duration::from_secs(30);

/// The objects and fields PrintStash follows.
fn subscription() -> Value {
    json!({
        "print_stats": null,
        "virtual_sdcard": ["progress", "is_active", "file_position", "file_size"],
        "display_status": null,
        "extruder": ["temperature", "target"],
        "heater_bed": ["temperature", "target"],
        "webhooks": ["state", "state_message"],
    })
}

/// A Moonraker printer.
pub struct Moonraker {
    base: String,
    api_key: Option<String>,
    http: reqwest::Client,
}

impl Moonraker {
    /// A driver for `host[:port]` (`host` may carry `http://`).
    pub fn new(
        host: &str,
        port: Option<u16>,
        api_key: Option<String>,
    ) -> Result<Self, DriverError> {
        let host = host.trim().trim_end_matches('/');
        let host = host.strip_prefix("http://").unwrap_or(host);
        if host.is_empty() || host.contains('/') {
            return Err(DriverError::Unreachable(format!(
                "\"{host}\" is not a host name or address"
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CALL_TIMEOUT)
            .build()
            .map_err(|e| DriverError::Unreachable(e.to_string()))?;
        let port = port.unwrap_or(DEFAULT_PORT);
        Ok(Self {
            base: format!("http://{host}:{port}"),
            api_key: api_key.filter(|k| !k.is_empty()),
            http,
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.base));
        match &self.api_key {
            Some(key) => builder.header("X-Api-Key", key),
            None => builder,
        }
    }

    /// Sends a request and unwraps Moonraker's `{"result": …}` envelope.
    async fn call(&self, builder: reqwest::RequestBuilder) -> Result<Value, DriverError> {
        let response = builder.send().await.map_err(|e| {
            if e.is_timeout() {
                DriverError::Timeout(e.to_string())
            } else {
                DriverError::Unreachable(e.to_string())
            }
        })?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let message = body["error"]["message"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("HTTP {status}"));
        match status.as_u16() {
            200..=299 => Ok(body.get("result").cloned().unwrap_or(Value::Null)),
            401 | 403 => Err(DriverError::Unauthorized(
                "Moonraker wants an API key (or a different one); set it in the printer's settings"
                    .into(),
            )),
            _ => Err(DriverError::Refused(message)),
        }
    }
}

/// What Moonraker's state says in PrintStash's words.
pub fn status_from(printer_id: i32, state: &Value, klippy_ready: bool) -> PrinterStatus {
    let mut status = PrinterStatus::unknown(printer_id, ConnectionState::Online);
    let stats = &state["print_stats"];
    status.state = if !klippy_ready {
        match state["webhooks"]["state"].as_str() {
            Some("error" | "shutdown") => PrintState::Failed,
            _ => PrintState::Unknown,
        }
    } else {
        match stats["state"].as_str() {
            Some("standby") => PrintState::Idle,
            Some("printing") => PrintState::Printing,
            Some("paused") => PrintState::Paused,
            Some("complete") => PrintState::Complete,
            Some("cancelled") => PrintState::Cancelled,
            Some("error") => PrintState::Failed,
            _ => PrintState::Unknown,
        }
    };
    let display = lenient_f64(state["display_status"].get("progress")).filter(|p| *p > 0.0);
    let file = lenient_f64(state["virtual_sdcard"].get("progress"));
    status.progress = display.or(file).map(|p| p.clamp(0.0, 1.0));
    status.job_name = stats["filename"]
        .as_str()
        .filter(|f| !f.is_empty())
        .map(|f| f.rsplit('/').next().unwrap_or(f).to_owned());
    let printed = lenient_f64(stats.get("print_duration"));
    if let (Some(p), Some(done)) = (status.progress, printed)
        && p > 0.01
        && status.state == PrintState::Printing
    {
        status.remaining_s = Some((done / p - done).max(0.0).round() as i64);
    }
    status.layer = stats["info"]["current_layer"].as_u64().map(|n| n as u32);
    status.total_layers = stats["info"]["total_layer"].as_u64().map(|n| n as u32);
    let heater = |name: &str| {
        Some(Temperature {
            current: lenient_f64(state[name].get("temperature"))?,
            target: lenient_f64(state[name].get("target")).unwrap_or(0.0),
        })
    };
    status.nozzle = heater("extruder");
    status.bed = heater("heater_bed");
    status.message = [
        state["webhooks"]["state_message"]
            .as_str()
            .filter(|_| !klippy_ready),
        stats["message"].as_str(),
        state["display_status"]["message"].as_str(),
    ]
    .into_iter()
    .flatten()
    .find(|m| !m.trim().is_empty())
    .map(str::to_owned);
    status
}

fn rpc(method: &str, params: Value, id: u64) -> Message {
    Message::text(
        json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id}).to_string(),
    )
}

impl Moonraker {
    async fn run_session(
        &self,
        sink: &dyn StatusSink,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), DriverError> {
        let url = format!("{}/websocket", self.base.replacen("http://", "ws://", 1));
        let (mut socket, _) =
            tokio::time::timeout(CALL_TIMEOUT, tokio_tungstenite::connect_async(url.as_str()))
                .await
                .map_err(|_| DriverError::Timeout("connecting".into()))?
                .map_err(|e| DriverError::Unreachable(e.to_string()))?;
        let mut identify = json!({
            "client_name": "PrintStash",
            "version": crate::VERSION,
            "type": "other",
            "url": "https://example.invalid/printstash",
        });
        if let Some(key) = &self.api_key {
            identify["api_key"] = json!(key);
        }
        let send =
            |e: tokio_tungstenite::tungstenite::Error| DriverError::Unreachable(e.to_string());
        socket
            .send(rpc("server.connection.identify", identify, 1))
            .await
            .map_err(send)?;
        socket
            .send(rpc("server.info", json!({}), 2))
            .await
            .map_err(send)?;
        let mut state = json!({});
        let mut klippy_ready = false;
        let mut next_id = 10u64;
        let mut subscribe_id: Option<u64> = None;
        let mut quiet_since = tokio::time::Instant::now();
        let mut pinged = false;
        loop {
            let frame = tokio::select! {
                frame = socket.next() => frame,
                _ = stop.changed() => {
                    let _ = socket.close(None).await;
                    return Ok(());
                }
                () = tokio::time::sleep_until(quiet_since + IDLE) => {
                    if pinged {
                        return Err(DriverError::Timeout("no answer from Moonraker for a minute".into()));
                    }
                    socket.send(Message::Ping(Vec::new().into())).await.map_err(send)?;
                    pinged = true;
                    quiet_since = tokio::time::Instant::now();
                    continue;
                }
            };
            let text = match frame {
                None => {
                    return Err(DriverError::Unreachable(
                        "Moonraker closed the connection".into(),
                    ));
                }
                Some(Err(err)) => return Err(DriverError::Unreachable(err.to_string())),
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) => {
                    return Err(DriverError::Unreachable(
                        "Moonraker closed the connection".into(),
                    ));
                }
                Some(Ok(_)) => {
                    quiet_since = tokio::time::Instant::now();
                    pinged = false;
                    continue;
                }
            };
            quiet_since = tokio::time::Instant::now();
            pinged = false;
            let Ok(message) = serde_json::from_str::<Value>(text.as_str()) else {
                tracing::warn!(
                    bytes = text.len(),
                    "ignored a malformed message from Moonraker"
                );
                continue;
            };
            let mut resubscribe = false;
            match (message["id"].as_u64(), message["method"].as_str()) {
                (Some(1), _) if message.get("error").is_some() => {
                    return Err(DriverError::Unauthorized(
                        message["error"]["message"]
                            .as_str()
                            .unwrap_or("identify refused")
                            .to_owned(),
                    ));
                }
                (Some(2), _) => {
                    klippy_ready = message["result"]["klippy_state"].as_str() == Some("ready");
                    resubscribe = klippy_ready;
                    if !klippy_ready {
                        deep_merge(
                            &mut state,
                            &json!({"webhooks": {"state": message["result"]["klippy_state"]}}),
                        );
                    }
                }
                (Some(id), _) if Some(id) == subscribe_id => {
                    if let Some(status) = message["result"].get("status").filter(|s| s.is_object())
                    {
                        state = status.clone();
                    } else if message.get("error").is_some() {
                        tracing::warn!(error = %message["error"], "Moonraker refused the subscription");
                    }
                }
                (_, Some("notify_status_update")) => match message["params"].get(0) {
                    Some(changes) if changes.is_object() => deep_merge(&mut state, changes),
                    _ => {
                        tracing::warn!("ignored a status update without an object of changes");
                        continue;
                    }
                },
                (_, Some("notify_klippy_ready")) => {
                    klippy_ready = true;
                    resubscribe = true;
                }
                (_, Some("notify_klippy_shutdown" | "notify_klippy_disconnected")) => {
                    klippy_ready = false;
                    let word = if message["method"] == "notify_klippy_shutdown" {
                        "shutdown"
                    } else {
                        "disconnected"
                    };
                    deep_merge(
                        &mut state,
                        &json!({"webhooks": {"state": word, "state_message": format!("Klipper is {word}")}}),
                    );
                }
                _ => continue,
            }
            if resubscribe {
                next_id += 1;
                subscribe_id = Some(next_id);
                socket
                    .send(rpc(
                        "printer.objects.subscribe",
                        json!({"objects": subscription()}),
                        next_id,
                    ))
                    .await
                    .map_err(send)?;
            }
            sink.publish(status_from(0, &state, klippy_ready));
        }
    }
}

/// Reads `path` in 64 KiB chunks, reporting progress.
fn file_stream(
    file: tokio::fs::File,
    total: u64,
    progress: Progress,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold((file, 0u64), move |(mut file, sent)| {
        let progress = std::sync::Arc::clone(&progress);
        async move {
            let mut buf = vec![0u8; 64 * 1024];
            match file.read(&mut buf).await {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    let sent = sent + n as u64;
                    progress(sent, total);
                    Some((Ok(bytes::Bytes::from(buf)), (file, sent)))
                }
                Err(err) => Some((Err(err), (file, sent))),
            }
        }
    })
}

impl PrinterDriver for Moonraker {
    fn session<'a>(
        &'a self,
        sink: &'a dyn StatusSink,
        stop: watch::Receiver<bool>,
    ) -> BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(self.run_session(sink, stop))
    }

    fn upload<'a>(
        &'a self,
        local: &'a Path,
        remote_name: &'a str,
        sha256: &'a str,
        progress: Progress,
    ) -> BoxFuture<'a, Result<String, DriverError>> {
        Box::pin(async move {
            let file = tokio::fs::File::open(local)
                .await
                .map_err(|e| DriverError::Protocol(format!("cannot read the G-code: {e}")))?;
            let total = file.metadata().await.map(|m| m.len()).unwrap_or(0);
            let body = reqwest::Body::wrap_stream(file_stream(file, total, progress));
            let part = reqwest::multipart::Part::stream_with_length(body, total)
                .file_name(remote_name.to_owned())
                .mime_str("application/octet-stream")
                .map_err(|e| DriverError::Protocol(e.to_string()))?;
            let form = reqwest::multipart::Form::new()
                .text("root", "gcodes")
                .text("checksum", sha256.to_owned())
                .part("file", part);
            let result = self
                .call(
                    self.request(reqwest::Method::POST, "/server/files/upload")
                        .multipart(form),
                )
                .await?;
            Ok(result["item"]["path"]
                .as_str()
                .unwrap_or(remote_name)
                .to_owned())
        })
    }

    fn start_print<'a>(&'a self, remote_name: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        Box::pin(async move {
            self.call(
                self.request(reqwest::Method::POST, "/printer/print/start")
                    .timeout(CALL_TIMEOUT)
                    .json(&json!({"filename": remote_name})),
            )
            .await
            .map(|_| ())
        })
    }

    fn control(&self, action: PrintAction) -> BoxFuture<'_, Result<(), DriverError>> {
        let path = match action {
            PrintAction::Pause => "/printer/print/pause",
            PrintAction::Resume => "/printer/print/resume",
            PrintAction::Cancel => "/printer/print/cancel",
        };
        Box::pin(async move {
            self.call(
                self.request(reqwest::Method::POST, path)
                    .timeout(CALL_TIMEOUT),
            )
            .await
            .map(|_| ())
        })
    }

    fn list_files(&self) -> BoxFuture<'_, Result<Vec<RemoteFile>, DriverError>> {
        Box::pin(async move {
            let result = self
                .call(
                    self.request(reqwest::Method::GET, "/server/files/list?root=gcodes")
                        .timeout(CALL_TIMEOUT),
                )
                .await?;
            let items = result.as_array().cloned().unwrap_or_default();
            Ok(items
                .iter()
                .filter_map(|item| {
                    Some(RemoteFile {
                        name: item["path"].as_str()?.to_owned(),
                        size: item["size"].as_i64(),
                        modified: lenient_f64(item.get("modified"))
                            .and_then(|secs| chrono::DateTime::from_timestamp(secs as i64, 0)),
                    })
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moonraker_state_maps_to_printstash_words() {
        let state = json!({
            "print_stats": {"state": "printing", "filename": "parts/clip.gcode", "print_duration": 300.0, "message": "", "info": {"current_layer": 12, "total_layer": 60}},
            "virtual_sdcard": {"progress": 0.25},
            "display_status": {"progress": 0.0, "message": null},
            "extruder": {"temperature": 214.8, "target": 215.0},
            "heater_bed": {"temperature": 60.1, "target": 60.0},
            "webhooks": {"state": "ready", "state_message": "Printer is ready"},
        });
        let s = status_from(3, &state, true);
        assert_eq!(s.state, PrintState::Printing);
        assert_eq!(s.progress, Some(0.25));
        assert_eq!(s.job_name.as_deref(), Some("clip.gcode"));
        assert_eq!(s.remaining_s, Some(900));
        assert_eq!((s.layer, s.total_layers), (Some(12), Some(60)));
        assert_eq!(
            s.nozzle,
            Some(Temperature {
                current: 214.8,
                target: 215.0
            })
        );
        assert_eq!(s.message, None);
        let down = status_from(
            3,
            &json!({"webhooks": {"state": "shutdown", "state_message": "MCU lost"}}),
            false,
        );
        assert_eq!(down.state, PrintState::Failed);
        assert_eq!(down.message.as_deref(), Some("MCU lost"));
    }

    #[test]
    fn hosts_are_checked() {
        assert!(Moonraker::new("voron.local", None, None).is_ok());
        assert!(Moonraker::new("http://10.0.0.5", Some(80), None).is_ok());
        assert!(Moonraker::new("", None, None).is_err());
        assert!(Moonraker::new("a/b", None, None).is_err());
    }
}
