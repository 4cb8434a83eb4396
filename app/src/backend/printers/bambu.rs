//! Bambu Lab printers in LAN mode: one MQTT-over-TLS session per printer
//! (`get_version` and `pushall` on connect, `push_status` reports merged
//! into a cached state, a 60 s watchdog), print commands confirmed by their
//! sequence id over that session, and implicit FTPS for uploads and the file
//! list. Facts from `shared/protocols/bambu-lan.md`.

mod request;
mod status;
mod tls;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rumqttc::{
    AsyncClient, ConnectReturnCode, ConnectionError, Event, EventLoop, MqttOptions, NetworkOptions,
    Outgoing, Packet, QoS, SubscribeReasonCode, TlsConfiguration, Transport,
};
use serde_json::{Map, Value, json};
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;
use tokio_rustls::rustls::ClientConfig;
use tracing::Instrument;

use super::driver::{BoxFuture, DriverError, PrinterDriver, Progress, RemoteFile, StatusSink};
use super::ftps::{Ftps, parse_unix_listing};
use crate::params::printers::PrintAction;

pub use status::{PRINT_ERROR_CANCELLED, status_from};

/// The printer's MQTT-over-TLS port.
pub const DEFAULT_MQTT_PORT: u16 = 8883;
/// The printer's implicit-FTPS port.
pub const DEFAULT_FTPS_PORT: u16 = 990;
/// The user name of LAN mode (MQTT and FTPS); the password is the access code.
const USER: &str = "bblp";
/// Time to connect and get the broker's acknowledgement of the subscription.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Time from subscribing to the first status (the answer to `pushall`).
const FIRST_REPORT_TIMEOUT: Duration = Duration::from_secs(30);
/// Silence after which the session is considered dead (ha-bambulab's value).
const WATCHDOG: Duration = Duration::from_secs(60);
/// Time the printer gets to confirm a command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest MQTT packet either way; full reports with AMS data are tens of KiB.
const MAX_PACKET: usize = 1 << 20;
/// Requests queued towards the broker.
const REQUEST_QUEUE: usize = 32;

/// A printer's reply to a command (the `print` object).
type Reply = Map<String, Value>;

/// A command waiting for its reply.
struct Pending {
    command: &'static str,
    reply: oneshot::Sender<Reply>,
}

/// Commands waiting for the printer's reply, by sequence id.
#[derive(Default)]
struct Waiting {
    by_sequence: Mutex<HashMap<String, Pending>>,
}

impl Waiting {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Pending>> {
        self.by_sequence
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn expect(&self, sequence_id: &str, command: &'static str) -> oneshot::Receiver<Reply> {
        let (reply, rx) = oneshot::channel();
        self.lock()
            .insert(sequence_id.to_owned(), Pending { command, reply });
        rx
    }

    fn forget(&self, sequence_id: &str) {
        self.lock().remove(sequence_id);
    }

    /// Hands a reply to the command it answers. `push_status` reports carry
    /// sequence ids of their own, so the command word must match too.
    fn answer(&self, command: &str, body: &Map<String, Value>) {
        let Some(sequence_id) = request::sequence_of(body) else {
            return;
        };
        let mut waiting = self.lock();
        if waiting
            .get(&sequence_id)
            .is_some_and(|pending| pending.command == command)
            && let Some(pending) = waiting.remove(&sequence_id)
        {
            // The caller may have given up already.
            let _ = pending.reply.send(body.clone());
        }
    }

    /// Wakes every waiting command (their receivers see the senders dropped).
    fn clear(&self) {
        self.lock().clear();
    }
}

/// The current session's link, for commands.
#[derive(Clone)]
struct Live {
    session: u64,
    client: AsyncClient,
    waiting: Arc<Waiting>,
}

/// A Bambu Lab printer in LAN mode.
pub struct Bambu {
    host: String,
    mqtt_port: u16,
    ftps_port: u16,
    serial: String,
    access_code: String,
    tls: Arc<ClientConfig>,
    watchdog: Duration,
    live: Mutex<Option<Live>>,
    sequence: AtomicU64,
    sessions: AtomicU64,
}

impl std::fmt::Debug for Bambu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bambu")
            .field("host", &self.host)
            .field("mqtt_port", &self.mqtt_port)
            .field("ftps_port", &self.ftps_port)
            .field("serial", &self.serial)
            .field("access_code", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// Clears the driver's link when a session ends, however it ends.
struct Attached<'a> {
    driver: &'a Bambu,
    session: u64,
}

impl Drop for Attached<'_> {
    fn drop(&mut self) {
        let mut live = self.driver.lock_live();
        if live.as_ref().is_some_and(|l| l.session == self.session)
            && let Some(link) = live.take()
        {
            link.waiting.clear();
        }
    }
}

/// Where a session is.
enum Phase {
    /// Waiting for CONNACK and SUBACK.
    Connecting,
    /// Subscribed, waiting for the first complete status.
    Subscribed,
    /// Reporting status.
    Reporting,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    // Uniqueness only; a failing random source falls back to the clock.
    if getrandom::fill(&mut bytes).is_err() {
        bytes = chrono::Utc::now()
            .timestamp_nanos_opt()
            .unwrap_or_default()
            .to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn connection_error(err: ConnectionError) -> DriverError {
    match err {
        ConnectionError::ConnectionRefused(
            ConnectReturnCode::BadUserNamePassword | ConnectReturnCode::NotAuthorized,
        ) => DriverError::Unauthorized(
            "the printer refused the LAN access code (check it on the printer's network settings)"
                .into(),
        ),
        ConnectionError::ConnectionRefused(code) => {
            DriverError::Refused(format!("the MQTT connection was refused ({code:?})"))
        }
        ConnectionError::NetworkTimeout => {
            DriverError::Timeout("connecting to the printer's MQTT port".into())
        }
        ConnectionError::Tls(err) => DriverError::Unreachable(format!("TLS failed: {err}")),
        ConnectionError::Io(err) => DriverError::Unreachable(err.to_string()),
        other => DriverError::Unreachable(other.to_string()),
    }
}

fn client_error(err: rumqttc::ClientError) -> DriverError {
    DriverError::Unreachable(format!("the MQTT connection is gone: {err}"))
}

/// Logs the firmware the printer runs (from `get_version`).
fn log_versions(body: &Map<String, Value>) {
    let modules = body.get("module").and_then(Value::as_array);
    let ota = modules
        .into_iter()
        .flatten()
        .find(|m| m.get("name").and_then(Value::as_str) == Some("ota"));
    if let Some(ota) = ota {
        let text = |key: &str| {
            ota.get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let (model, firmware) = (text("product_name"), text("sw_ver"));
        tracing::info!(printer.model = %model, printer.firmware = %firmware, "Bambu printer identified");
    }
}

/// Applies one message from the report topic; true when the state changed.
/// Malformed messages and wrong-typed fields are logged and ignored.
fn on_report(payload: &[u8], state: &mut Value, waiting: &Waiting) -> bool {
    let envelope = match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(envelope)) => envelope,
        Ok(_) => {
            tracing::warn!(
                size_bytes = payload.len(),
                "ignored a Bambu report that is no JSON object"
            );
            return false;
        }
        Err(err) => {
            tracing::warn!(size_bytes = payload.len(), error = %err, "ignored a malformed Bambu report");
            return false;
        }
    };
    let mut changed = false;
    for (channel, body) in &envelope {
        let Value::Object(body) = body else {
            tracing::warn!(report.channel = %channel, "ignored a Bambu report whose body is no object");
            continue;
        };
        let command = body.get("command").and_then(Value::as_str).unwrap_or("");
        match (channel.as_str(), command) {
            ("print", "push_status") => {
                let dropped = status::merge_report(state, body);
                if !dropped.is_empty() {
                    tracing::warn!(fields = ?dropped, "ignored wrong-typed fields in a Bambu report");
                }
                changed = true;
            }
            ("info", "get_version") => log_versions(body),
            ("print", command) => waiting.answer(command, body),
            _ => {}
        }
    }
    changed
}

impl Bambu {
    /// A driver for the printer at `host`: `mqtt_port` overrides 8883,
    /// `serial` names its MQTT topics, `access_code` is the LAN access code.
    /// Real printers take files on FTPS port 990; [`with_ftps_port`](Self::with_ftps_port)
    /// exists for simulators on random ports (the printer row has one port
    /// field, and it is the MQTT port).
    pub fn new(
        host: &str,
        mqtt_port: Option<u16>,
        serial: &str,
        access_code: &str,
    ) -> Result<Self, DriverError> {
        let host = host.trim();
        if host.is_empty() || host.contains(['/', ' ', '@']) {
            return Err(DriverError::Unreachable(format!(
                "\"{host}\" is not a host name or address"
            )));
        }
        let serial = serial.trim();
        if serial.is_empty() || !serial.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(DriverError::Protocol(format!(
                "\"{serial}\" is not a printer serial number"
            )));
        }
        let access_code = access_code.trim();
        if access_code.is_empty() || access_code.chars().any(char::is_control) {
            return Err(DriverError::Unauthorized(
                "set the printer's LAN access code (shown in its network settings)".into(),
            ));
        }
        let tls = tls::client_config().map_err(|e| DriverError::Protocol(e.to_string()))?;
        Ok(Self {
            host: host.to_owned(),
            mqtt_port: mqtt_port.unwrap_or(DEFAULT_MQTT_PORT),
            ftps_port: DEFAULT_FTPS_PORT,
            serial: serial.to_owned(),
            access_code: access_code.to_owned(),
            tls: Arc::new(tls),
            watchdog: WATCHDOG,
            live: Mutex::new(None),
            sequence: AtomicU64::new(1),
            sessions: AtomicU64::new(0),
        })
    }

    /// Takes files on `port` instead of 990 (simulators and tests).
    pub fn with_ftps_port(mut self, port: u16) -> Self {
        self.ftps_port = port;
        self
    }

    /// Declares a session dead after `silence` without any message instead
    /// of 60 s (tests).
    pub fn with_watchdog(mut self, silence: Duration) -> Self {
        self.watchdog = silence;
        self
    }

    fn lock_live(&self) -> MutexGuard<'_, Option<Live>> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn report_topic(&self) -> String {
        format!("device/{}/report", self.serial)
    }

    fn request_topic(&self) -> String {
        format!("device/{}/request", self.serial)
    }

    fn mqtt(&self) -> (AsyncClient, EventLoop) {
        let client_id = format!("printstash-{}", random_hex());
        let mut options = MqttOptions::new(client_id, self.host.as_str(), self.mqtt_port);
        options
            .set_credentials(USER, self.access_code.as_str())
            .set_keep_alive(Duration::from_secs(30))
            .set_clean_session(true)
            .set_max_packet_size(MAX_PACKET, MAX_PACKET)
            .set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                Arc::clone(&self.tls),
            )));
        let (client, mut events) = AsyncClient::new(options, REQUEST_QUEUE);
        let mut network = NetworkOptions::new();
        network.set_connection_timeout(CONNECT_TIMEOUT.as_secs());
        events.set_network_options(network);
        (client, events)
    }

    fn publish_now(&self, client: &AsyncClient, request: &Value) -> Result<(), DriverError> {
        client
            .try_publish(
                self.request_topic(),
                QoS::AtMostOnce,
                false,
                request.to_string(),
            )
            .map_err(client_error)
    }

    async fn run_session(
        &self,
        sink: &dyn StatusSink,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), DriverError> {
        if *stop.borrow() {
            return Ok(());
        }
        let session = self.sessions.fetch_add(1, Ordering::Relaxed) + 1;
        let (client, mut events) = self.mqtt();
        let report_topic = self.report_topic();
        let waiting = Arc::new(Waiting::default());
        // Set up before the link exists: its drop clears this session's link only.
        let _attached = Attached {
            driver: self,
            session,
        };
        let mut state = json!({});
        let mut phase = Phase::Connecting;
        let mut deadline = Instant::now() + CONNECT_TIMEOUT;
        loop {
            let event = tokio::select! {
                event = events.poll() => event,
                _ = stop.changed() => {
                    hang_up(&client, &mut events).await;
                    return Ok(());
                }
                () = tokio::time::sleep_until(deadline) => {
                    return Err(DriverError::Timeout(match phase {
                        Phase::Connecting => "connecting to the printer's MQTT broker".into(),
                        Phase::Subscribed => "the printer sent no status after subscribing (is the serial number right?)".into(),
                        Phase::Reporting => format!("no report from the printer for {} s", self.watchdog.as_secs()),
                    }));
                }
            };
            match event.map_err(connection_error)? {
                Event::Incoming(Packet::ConnAck(_)) => {
                    client
                        .try_subscribe(report_topic.as_str(), QoS::AtMostOnce)
                        .map_err(client_error)?;
                }
                Event::Incoming(Packet::SubAck(ack)) => {
                    if ack
                        .return_codes
                        .iter()
                        .any(|code| matches!(code, SubscribeReasonCode::Failure))
                    {
                        return Err(DriverError::Refused(
                            "the printer refused the status subscription (check the serial number)"
                                .into(),
                        ));
                    }
                    self.publish_now(&client, &request::get_version())?;
                    self.publish_now(&client, &request::pushall())?;
                    *self.lock_live() = Some(Live {
                        session,
                        client: client.clone(),
                        waiting: Arc::clone(&waiting),
                    });
                    phase = Phase::Subscribed;
                    deadline = Instant::now() + FIRST_REPORT_TIMEOUT;
                    tracing::info!(mqtt.topic = %report_topic, "subscribed to the printer's reports");
                }
                Event::Incoming(Packet::Publish(publish)) => {
                    if matches!(phase, Phase::Reporting) {
                        deadline = Instant::now() + self.watchdog;
                    }
                    if publish.topic != report_topic {
                        continue;
                    }
                    let changed = on_report(&publish.payload, &mut state, &waiting);
                    // Partial reports before the first complete one would show an unknown state.
                    if changed && state.get("gcode_state").is_some() {
                        if !matches!(phase, Phase::Reporting) {
                            phase = Phase::Reporting;
                            deadline = Instant::now() + self.watchdog;
                        }
                        sink.publish(status_from(&state));
                    }
                }
                _ => {}
            }
        }
    }

    /// The live link, or why there is none.
    fn live(&self) -> Result<Live, DriverError> {
        self.lock_live().clone().ok_or(DriverError::NotConnected)
    }

    /// Publishes a `print` command (QoS 1) and waits for the printer to
    /// confirm it with the same sequence id.
    async fn command(
        &self,
        command: &'static str,
        sequence_id: &str,
        request: Value,
    ) -> Result<(), DriverError> {
        let live = self.live()?;
        let answer = live.waiting.expect(sequence_id, command);
        let sent = tokio::time::timeout(
            COMMAND_TIMEOUT,
            live.client.publish(
                self.request_topic(),
                QoS::AtLeastOnce,
                false,
                request.to_string(),
            ),
        )
        .await;
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(_)) => {
                live.waiting.forget(sequence_id);
                return Err(DriverError::NotConnected);
            }
            Err(_) => {
                live.waiting.forget(sequence_id);
                return Err(DriverError::Timeout(format!("sending {command}")));
            }
        }
        match tokio::time::timeout(COMMAND_TIMEOUT, answer).await {
            Ok(Ok(reply)) => request::outcome(command, &reply),
            Ok(Err(_)) => Err(DriverError::Unreachable(
                "the connection to the printer closed before it answered".into(),
            )),
            Err(_) => {
                live.waiting.forget(sequence_id);
                Err(DriverError::Timeout(format!(
                    "the printer did not confirm {command} within {} s",
                    COMMAND_TIMEOUT.as_secs()
                )))
            }
        }
    }

    fn next_sequence(&self) -> String {
        self.sequence.fetch_add(1, Ordering::Relaxed).to_string()
    }

    /// A logged-in FTPS control connection (one per operation).
    async fn ftps(&self) -> Result<Ftps, DriverError> {
        let mut ftp = Ftps::connect(&self.host, self.ftps_port, &self.tls).await?;
        ftp.login(USER, &self.access_code).await?;
        Ok(ftp)
    }
}

/// Ends the MQTT session politely (DISCONNECT), without waiting long.
async fn hang_up(client: &AsyncClient, events: &mut EventLoop) {
    if client.try_disconnect().is_err() {
        return;
    }
    let flushed = async {
        loop {
            match events.poll().await {
                Ok(Event::Outgoing(Outgoing::Disconnect)) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), flushed).await;
}

/// Whether the printer can print a file of this name.
fn printable(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".3mf") || lower.ends_with(".gcode")
}

impl PrinterDriver for Bambu {
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
        let span =
            tracing::info_span!("bambu.upload", file.name = %remote_name, file.sha256 = %sha256);
        Box::pin(
            async move {
                let name = request::check_file_name(remote_name)?;
                let mut file = tokio::fs::File::open(local)
                    .await
                    .map_err(|e| DriverError::Protocol(format!("cannot read the file: {e}")))?;
                let total = file.metadata().await.map(|m| m.len()).unwrap_or(0);
                let started = std::time::Instant::now();
                let mut ftp = self.ftps().await?;
                let stored = ftp
                    .store(&format!("/{name}"), &mut file, total, progress)
                    .await;
                ftp.quit().await;
                let sent = stored?;
                tracing::info!(
                    size_bytes = sent,
                    duration_ms = started.elapsed().as_millis() as u64,
                    "uploaded to the printer"
                );
                Ok(name.to_owned())
            }
            .instrument(span),
        )
    }

    fn start_print<'a>(&'a self, remote_name: &'a str) -> BoxFuture<'a, Result<(), DriverError>> {
        let span = tracing::info_span!("bambu.start_print", file.name = %remote_name);
        Box::pin(
            async move {
                let sequence_id = self.next_sequence();
                let (command, request) = request::start(&sequence_id, remote_name)?;
                self.command(command, &sequence_id, request).await
            }
            .instrument(span),
        )
    }

    fn control(&self, action: PrintAction) -> BoxFuture<'_, Result<(), DriverError>> {
        let command = request::control_command(action);
        let span = tracing::info_span!("bambu.control", printer.command = command);
        Box::pin(
            async move {
                let sequence_id = self.next_sequence();
                self.command(
                    command,
                    &sequence_id,
                    request::control(&sequence_id, action),
                )
                .await
            }
            .instrument(span),
        )
    }

    fn list_files(&self) -> BoxFuture<'_, Result<Vec<RemoteFile>, DriverError>> {
        Box::pin(
            async move {
                let mut ftp = self.ftps().await?;
                let listing = ftp.list("/").await;
                ftp.quit().await;
                Ok(parse_unix_listing(&listing?)
                    .into_iter()
                    .filter(|file| printable(&file.name))
                    .map(|file| RemoteFile {
                        name: file.name,
                        size: i64::try_from(file.size).ok(),
                        modified: None,
                    })
                    .collect())
            }
            .instrument(tracing::info_span!("bambu.list_files")),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        assert!(Bambu::new("192.168.1.40", None, "01S00A000000000", "12345678").is_ok());
        assert!(Bambu::new("", None, "01S00A000000000", "12345678").is_err());
        assert!(Bambu::new("a/b", None, "01S00A000000000", "12345678").is_err());
        assert!(Bambu::new("p1s.local", None, "01S-00", "12345678").is_err());
        assert!(matches!(
            Bambu::new("p1s.local", None, "01S00A000000000", " "),
            Err(DriverError::Unauthorized(_))
        ));
        let driver = Bambu::new("p1s.local", Some(1883), "01S00A000000000", "12345678")
            .expect("driver")
            .with_ftps_port(2990);
        assert_eq!((driver.mqtt_port, driver.ftps_port), (1883, 2990));
        assert!(!format!("{driver:?}").contains("12345678"));
    }

    #[test]
    fn reports_merge_answers_reach_their_command_and_garbage_is_ignored() {
        let waiting = Waiting::default();
        let mut answer = waiting.expect("5", "pause");
        let mut state = json!({});
        assert!(on_report(
            br#"{"print":{"command":"push_status","msg":0,"sequence_id":"5","gcode_state":"RUNNING","mc_percent":10}}"#,
            &mut state,
            &waiting
        ));
        assert!(answer.try_recv().is_err(), "a report is no answer");
        for garbage in simulators_like_garbage() {
            assert!(!on_report(garbage, &mut state, &waiting));
        }
        assert!(!on_report(
            br#"{"print":{"command":"pause","sequence_id":"5","result":"success"}}"#,
            &mut state,
            &waiting
        ));
        assert_eq!(
            answer
                .try_recv()
                .ok()
                .and_then(|r| r.get("result").cloned()),
            Some(json!("success"))
        );
        assert_eq!(state["gcode_state"], "RUNNING");
        assert_eq!(state["mc_percent"], 10);
    }

    fn simulators_like_garbage() -> [&'static [u8]; 5] {
        [
            br#"{"print":{"command":"push_status","mc_percent":"#,
            b"this is not json",
            b"\xff\xfe\x00\x9f",
            b"[1,2,3]",
            b"",
        ]
    }

    #[tokio::test]
    async fn commands_need_a_session() {
        let driver = Bambu::new("127.0.0.1", None, "01S00A000000000", "12345678").expect("driver");
        assert_eq!(
            driver.control(PrintAction::Pause).await,
            Err(DriverError::NotConnected)
        );
        assert_eq!(
            driver.start_print("cube.gcode.3mf").await,
            Err(DriverError::NotConnected)
        );
    }
}
