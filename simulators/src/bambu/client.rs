//! The fake printer's side of MQTT: a rumqttc TLS client logged in as `bblp` that takes requests from `device/{SERIAL}/request` and publishes replies and `push_status` reports to `device/{SERIAL}/report`.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS, TlsConfiguration, Transport,
};
use serde_json::Value;
use tokio::{
    sync::{mpsc, watch},
    time::{Instant, MissedTickBehavior, interval, sleep},
};
use tokio_rustls::rustls::ClientConfig;
use tracing::{Instrument, debug, info, info_span, warn};

use super::{
    commands::{self, Context, Outgoing},
    printer::Printer,
    report::Reporter,
    store::FileStore,
    task::TaskGuard,
};

/// Largest MQTT packet either way; full reports are a few KiB.
const MAX_PACKET: usize = 1 << 20;
/// Requests waiting for the printer loop before new ones are dropped.
const REQUEST_QUEUE: usize = 64;

/// Everything the printer's MQTT side needs.
pub struct LinkConfig {
    /// The printer serial (topic names, client id).
    pub serial: String,
    /// The LAN access code (MQTT password).
    pub access_code: String,
    /// The model name reported in status and versions.
    pub model: String,
    /// The broker's loopback port.
    pub port: u16,
    /// TLS configuration trusting the simulator's CA.
    pub tls: ClientConfig,
    /// Reports per second (incremental `push_status`).
    pub reports_per_second: f64,
    /// The fake machine.
    pub printer: Printer,
    /// Uploaded files, for the print commands.
    pub store: FileStore,
}

/// A running printer connection; its tasks stop when this is dropped.
pub struct PrinterLink {
    client: AsyncClient,
    report_topic: String,
    state: watch::Receiver<String>,
    subscriptions: watch::Receiver<u64>,
    _tasks: [TaskGuard; 2],
}

impl PrinterLink {
    /// Connects to the broker and starts the printer loop.
    pub fn spawn(config: LinkConfig) -> Self {
        let LinkConfig {
            serial,
            access_code,
            model,
            port,
            tls,
            reports_per_second,
            printer,
            store,
        } = config;
        let request_topic = format!("device/{serial}/request");
        let report_topic = format!("device/{serial}/report");

        let mut options = MqttOptions::new(format!("bambu-sim-{serial}"), "127.0.0.1", port);
        options
            .set_credentials("bblp", access_code)
            .set_keep_alive(Duration::from_secs(30))
            .set_clean_session(true)
            .set_max_packet_size(MAX_PACKET, MAX_PACKET)
            .set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
                Arc::new(tls),
            )));
        let (client, eventloop) = AsyncClient::new(options, REQUEST_QUEUE);

        let (requests_tx, requests_rx) = mpsc::channel(REQUEST_QUEUE);
        let (subscribed_tx, subscriptions) = watch::channel(0);
        let (state_tx, state) = watch::channel(printer.state().as_str().to_owned());
        let span = info_span!("bambu.printer", printer.serial = %serial);

        let connection = TaskGuard::spawn(
            drive(
                eventloop,
                client.clone(),
                request_topic,
                requests_tx,
                subscribed_tx,
            )
            .instrument(span.clone()),
        );
        let period = Duration::from_secs_f64(1.0 / reports_per_second);
        let printer_loop = TaskGuard::spawn(
            run(
                Machine {
                    printer,
                    reporter: Reporter::default(),
                    client: client.clone(),
                    report_topic: report_topic.clone(),
                    store,
                    serial,
                    model,
                    state: state_tx,
                },
                requests_rx,
                period,
            )
            .instrument(span),
        );
        Self {
            client,
            report_topic,
            state,
            subscriptions,
            _tasks: [connection, printer_loop],
        }
    }

    /// The current `gcode_state`.
    pub fn state(&self) -> String {
        self.state.borrow().clone()
    }

    /// A receiver that sees every `gcode_state` change.
    pub fn watch_state(&self) -> watch::Receiver<String> {
        self.state.clone()
    }

    /// A receiver counting how often the printer (re)subscribed to its request topic.
    pub fn subscriptions(&self) -> watch::Receiver<u64> {
        self.subscriptions.clone()
    }

    /// Publishes raw bytes on the report topic.
    pub async fn publish_raw(&self, payload: Vec<u8>) -> Result<(), rumqttc::ClientError> {
        self.client
            .publish(&self.report_topic, QoS::AtMostOnce, false, payload)
            .await
    }
}

/// Polls the MQTT connection forever: (re)subscribes after each CONNACK, forwards requests.
async fn drive(
    mut eventloop: EventLoop,
    client: AsyncClient,
    request_topic: String,
    requests: mpsc::Sender<Vec<u8>>,
    subscribed: watch::Sender<u64>,
) {
    let mut connected = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                connected = true;
                info!(mqtt.topic = %request_topic, "printer connected to the broker");
                // try_: this loop is what drains the request queue, so never wait on it here.
                if let Err(e) = client.try_subscribe(&request_topic, QoS::AtLeastOnce) {
                    warn!(error = %e, "could not subscribe to the request topic");
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                subscribed.send_modify(|n| *n += 1);
            }
            Ok(Event::Incoming(Packet::Publish(publish))) if publish.topic == request_topic => {
                if requests.try_send(publish.payload.to_vec()).is_err() {
                    warn!("printer is busy; dropping a request");
                }
            }
            Ok(_) => {}
            Err(e) => {
                if connected {
                    warn!(error = %e, "printer lost its broker connection; reconnecting");
                    connected = false;
                } else {
                    debug!(error = %e, "printer still cannot reach the broker");
                }
                sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// The printer loop's state.
struct Machine {
    printer: Printer,
    reporter: Reporter,
    client: AsyncClient,
    report_topic: String,
    store: FileStore,
    serial: String,
    model: String,
    state: watch::Sender<String>,
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Machine {
    fn publish(&self, value: &Value) {
        let payload = match serde_json::to_vec(value) {
            Ok(payload) => payload,
            Err(e) => {
                warn!(error = %e, "could not encode a report");
                return;
            }
        };
        // Reports are fire-and-forget like the printer's: dropped while the broker is away.
        if let Err(e) = self
            .client
            .try_publish(&self.report_topic, QoS::AtMostOnce, false, payload)
        {
            debug!(error = %e, "report dropped");
        }
    }

    fn tick(&mut self, dt: f64) {
        self.printer.advance(dt);
        let report = self
            .reporter
            .incremental(self.printer.snapshot(&self.model));
        self.publish(&report);
    }

    fn request(&mut self, payload: &[u8]) {
        let ctx = Context {
            store: &self.store,
            serial: &self.serial,
            model: &self.model,
            now_unix: now_unix(),
        };
        for out in commands::handle(&mut self.printer, payload, &ctx) {
            match out {
                Outgoing::FullReport => {
                    let report = self.reporter.full(self.printer.snapshot(&self.model));
                    self.publish(&report);
                }
                Outgoing::Reply(reply) => self.publish(&reply),
            }
        }
    }

    fn share_state(&self) {
        let now = self.printer.state().as_str();
        self.state.send_if_modified(|state| {
            if state == now {
                false
            } else {
                now.clone_into(state);
                true
            }
        });
    }
}

/// Advances the machine at the report rate and answers requests between ticks.
async fn run(mut machine: Machine, mut requests: mpsc::Receiver<Vec<u8>>, period: Duration) {
    machine
        .reporter
        .full(machine.printer.snapshot(&machine.model));
    let mut ticker = interval(period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    ticker.tick().await;
    let mut last = Instant::now();
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let now = Instant::now();
                machine.tick(now.duration_since(last).as_secs_f64());
                last = now;
            }
            request = requests.recv() => match request {
                Some(payload) => machine.request(&payload),
                None => break,
            },
        }
        machine.share_state();
    }
}
