//! Bambu Lab LAN-mode printer simulator: a private mosquitto broker over TLS, a fake printer speaking the `device/{SERIAL}` MQTT protocol, and an implicit-FTPS server, all on loopback ports.

mod broker;
mod certs;
mod client;
mod commands;
mod ftps;
mod printer;
mod report;
mod store;
mod task;

use std::time::Duration;

use tokio::sync::{Mutex, watch};
use tokio_rustls::rustls::ClientConfig;
use tracing::info;

use self::{
    broker::Broker,
    certs::SimCerts,
    client::{LinkConfig, PrinterLink},
    ftps::FtpsServer,
    printer::{Printer, Timing},
    store::FileStore,
};
pub use self::{
    broker::BrokerError,
    certs::{CertError, SerialNameVerifier},
    printer::PRINT_ERROR_CANCELLED,
    store::UploadedFile,
};

/// How long start-up and reconnects may take before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// Payloads [`BambuSim::publish_malformed`] sends on the report topic, in order: truncated
/// JSON, plain text, invalid UTF-8, a JSON array, a non-object channel, a `push_status` whose
/// fields all have the wrong type, and an empty payload.
pub const MALFORMED_REPORTS: &[&[u8]] = &[
    br#"{"print":{"command":"push_status","msg":1,"mc_percent":"#,
    b"this is not json",
    b"\xff\xfe\x00\x9f",
    b"[1,2,3]",
    br#"{"print":"push_status"}"#,
    br#"{"print":{"command":"push_status","msg":1,"sequence_id":7,"gcode_state":42,"mc_percent":"fifty","mc_remaining_time":-5,"layer_num":null,"total_layer_num":"many","nozzle_temper":"hot","bed_temper":[55],"hms":{"attr":1},"print_error":"none","ams":"broken","upload":null}}"#,
    b"",
];

/// How the simulated printer looks and behaves.
#[derive(Clone)]
pub struct BambuSimConfig {
    /// Printer serial: topic names and the certificate's CN, e.g. `01S00A000000000`.
    pub serial: String,
    /// LAN access code (8 characters on a real printer): MQTT and FTPS password of `bblp`.
    pub access_code: String,
    /// Seconds from the first layer to the last at standard speed.
    pub print_seconds: f64,
    /// Seconds of heating (`PREPARE`) before a job starts printing.
    pub prepare_seconds: f64,
    /// Incremental `push_status` reports per second.
    pub reports_per_second: f64,
    /// Model name, e.g. `P1S`.
    pub model: String,
}

impl Default for BambuSimConfig {
    fn default() -> Self {
        Self {
            serial: "01S00A000000000".into(),
            access_code: "12345678".into(),
            print_seconds: 30.0,
            prepare_seconds: 2.0,
            reports_per_second: 1.0,
            model: "P1S".into(),
        }
    }
}

impl std::fmt::Debug for BambuSimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BambuSimConfig")
            .field("serial", &self.serial)
            .field("access_code", &"<redacted>")
            .field("print_seconds", &self.print_seconds)
            .field("prepare_seconds", &self.prepare_seconds)
            .field("reports_per_second", &self.reports_per_second)
            .field("model", &self.model)
            .finish()
    }
}

/// Why the simulator could not start or act.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A configuration value is unusable.
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    /// Certificates or TLS configurations could not be made.
    #[error(transparent)]
    Cert(#[from] CertError),
    /// mosquitto could not be started.
    #[error(transparent)]
    Broker(#[from] BrokerError),
    /// The FTPS server could not bind.
    #[error("FTPS server failed: {0}")]
    Ftps(#[source] std::io::Error),
    /// The fake printer did not (re)connect to its broker in time.
    #[error("the simulated printer did not connect to its broker within {CONNECT_TIMEOUT:?}")]
    PrinterOffline,
    /// Publishing on the report topic failed.
    #[error("publishing failed: {0}")]
    Publish(#[from] rumqttc::ClientError),
}

fn validate(config: &BambuSimConfig) -> Result<(), SimError> {
    let bad = |what: &str| Err(SimError::Config(what.to_owned()));
    if config.access_code.is_empty() || config.access_code.contains(char::is_whitespace) {
        return bad("access_code must be non-empty without whitespace");
    }
    if !(0.01..=1000.0).contains(&config.reports_per_second) {
        return bad("reports_per_second must be between 0.01 and 1000");
    }
    if !(config.print_seconds.is_finite() && config.print_seconds >= 0.0) {
        return bad("print_seconds must be zero or more");
    }
    if !(config.prepare_seconds.is_finite() && config.prepare_seconds >= 0.0) {
        return bad("prepare_seconds must be zero or more");
    }
    Ok(())
}

/// A running simulated printer. Dropping it stops everything (mosquitto is killed).
pub struct BambuSim {
    // Field order is drop order: the printer first, the broker last.
    link: PrinterLink,
    ftps: FtpsServer,
    broker: Mutex<Broker>,
    mqtt_port: u16,
    store: FileStore,
    certs: SimCerts,
    config: BambuSimConfig,
}

impl std::fmt::Debug for BambuSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BambuSim")
            .field("config", &self.config)
            .field("mqtt_port", &self.mqtt_port)
            .field("ftps_port", &self.ftps.port())
            .finish_non_exhaustive()
    }
}

impl BambuSim {
    /// Generates certificates, starts mosquitto and the FTPS server, connects the fake printer
    /// and returns once it listens for requests.
    pub async fn start(config: BambuSimConfig) -> Result<Self, SimError> {
        validate(&config)?;
        let certs = SimCerts::generate(&config.serial)?;
        let store = FileStore::default();
        let broker = Broker::start(&certs, &config.access_code, &config.serial).await?;
        let mqtt_port = broker.port();
        let (control_tls, data_tls) = certs.ftps_server_configs()?;
        let ftps = FtpsServer::start(
            control_tls,
            data_tls,
            store.clone(),
            config.access_code.clone(),
        )
        .await
        .map_err(SimError::Ftps)?;
        let link = PrinterLink::spawn(LinkConfig {
            serial: config.serial.clone(),
            access_code: config.access_code.clone(),
            model: config.model.clone(),
            port: mqtt_port,
            tls: certs.client_config()?,
            reports_per_second: config.reports_per_second,
            printer: Printer::new(Timing {
                prepare_seconds: config.prepare_seconds,
                print_seconds: config.print_seconds,
            }),
            store: store.clone(),
        });
        let mut subscriptions = link.subscriptions();
        tokio::time::timeout(CONNECT_TIMEOUT, subscriptions.wait_for(|n| *n >= 1))
            .await
            .map_err(|_| SimError::PrinterOffline)?
            .map_err(|_| SimError::PrinterOffline)?;
        info!(
            printer.serial = %config.serial,
            mqtt.port = mqtt_port,
            ftps.port = ftps.port(),
            "Bambu simulator ready"
        );
        Ok(Self {
            link,
            ftps,
            broker: Mutex::new(broker),
            mqtt_port,
            store,
            certs,
            config,
        })
    }

    /// The MQTT-over-TLS port (8883 on a real printer).
    pub fn mqtt_port(&self) -> u16 {
        self.mqtt_port
    }

    /// The implicit-FTPS port (990 on a real printer).
    pub fn ftps_port(&self) -> u16 {
        self.ftps.port()
    }

    /// The PEM of the CA that signed the printer's certificate (trust it, or don't).
    pub fn ca_pem(&self) -> &str {
        self.certs.ca_pem()
    }

    /// The printer serial.
    pub fn serial(&self) -> &str {
        &self.config.serial
    }

    /// The LAN access code.
    pub fn access_code(&self) -> &str {
        &self.config.access_code
    }

    /// The configuration the simulator runs with.
    pub fn config(&self) -> &BambuSimConfig {
        &self.config
    }

    /// A rustls client configuration trusting the CA and checking the certificate against the
    /// serial (not the dialled address), for tests that need a well-behaved client.
    pub fn client_tls_config(&self) -> Result<ClientConfig, SimError> {
        Ok(self.certs.client_config()?)
    }

    /// Files on the printer's storage (uploaded over FTPS), sorted by path.
    pub fn uploaded(&self) -> Vec<UploadedFile> {
        self.store.files()
    }

    /// The current `gcode_state` (`IDLE`, `PREPARE`, `RUNNING`, `PAUSE`, `FINISH`, `FAILED`).
    pub fn state(&self) -> String {
        self.link.state()
    }

    /// A receiver that sees every `gcode_state` change.
    pub fn watch_state(&self) -> watch::Receiver<String> {
        self.link.watch_state()
    }

    /// Waits until `gcode_state` is `state`; false on timeout.
    pub async fn wait_for_state(&self, state: &str, timeout: Duration) -> bool {
        let mut rx = self.link.watch_state();
        matches!(
            tokio::time::timeout(timeout, rx.wait_for(|s| s == state)).await,
            Ok(Ok(_))
        )
    }

    /// Drops every MQTT connection by restarting mosquitto on the same port, and returns once
    /// the fake printer has reconnected (clients must reconnect and resubscribe themselves).
    pub async fn disconnect_clients(&self) -> Result<(), SimError> {
        let mut subscriptions = self.link.subscriptions();
        let before = *subscriptions.borrow_and_update();
        self.broker.lock().await.restart().await?;
        tokio::time::timeout(CONNECT_TIMEOUT, subscriptions.wait_for(|n| *n > before))
            .await
            .map_err(|_| SimError::PrinterOffline)?
            .map_err(|_| SimError::PrinterOffline)?;
        Ok(())
    }

    /// Publishes every payload of [`MALFORMED_REPORTS`] on the report topic.
    pub async fn publish_malformed(&self) -> Result<(), SimError> {
        for payload in MALFORMED_REPORTS {
            self.link.publish_raw(payload.to_vec()).await?;
        }
        Ok(())
    }

    /// Stops the printer and the FTPS server and kills mosquitto.
    pub async fn shutdown(self) {
        let Self {
            link, ftps, broker, ..
        } = self;
        drop(link);
        drop(ftps);
        broker.into_inner().stop().await;
        info!("Bambu simulator stopped");
    }
}
