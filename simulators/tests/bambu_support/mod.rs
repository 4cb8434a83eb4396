//! Test clients for the Bambu simulator: an MQTT-over-TLS subscriber built from the exposed CA PEM, and a minimal implicit-FTPS client whose data connections resume the control session.

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::Arc,
    time::Duration,
};

use anyhow::{Context, bail};
use rumqttc::{
    AsyncClient, ConnectionError, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport,
};
use serde_json::Value;
use simulators::bambu::{BambuSim, SerialNameVerifier};
use tokio::{
    io::{
        AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadHalf,
        WriteHalf,
    },
    net::TcpStream,
    sync::mpsc,
    task::JoinHandle,
    time::timeout,
};
use tokio_rustls::{
    TlsConnector,
    client::TlsStream,
    rustls::{
        self, ClientConfig, RootCertStore, SupportedProtocolVersion,
        pki_types::{CertificateDer, ServerName, pem::PemObject},
    },
};

/// Generous: nothing here should take long, but CI machines can be slow.
pub const WAIT: Duration = Duration::from_secs(30);

/// The roots a client builds from the simulator's CA PEM.
pub fn roots_from_pem(ca_pem: &str) -> anyhow::Result<Arc<RootCertStore>> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert?)?;
    }
    Ok(Arc::new(roots))
}

/// A client configuration trusting only the simulator's CA, checking the serial as the name.
pub fn tls_config(
    sim: &BambuSim,
    versions: &[&'static SupportedProtocolVersion],
) -> anyhow::Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = SerialNameVerifier::new(roots_from_pem(sim.ca_pem())?, sim.serial())?;
    Ok(Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(versions)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth(),
    ))
}

/// Both TLS versions.
pub fn any_tls(sim: &BambuSim) -> anyhow::Result<Arc<ClientConfig>> {
    tls_config(sim, &[&rustls::version::TLS13, &rustls::version::TLS12])
}

/// What a subscriber saw.
#[derive(Debug)]
pub enum Seen {
    /// Subscribed (again) to the report topic.
    Subscribed,
    /// A message on the report topic.
    Payload(Vec<u8>),
    /// The connection failed (the error text helps when a test fails).
    Failed(#[expect(dead_code, reason = "read through Debug in assertion messages")] String),
}

/// An MQTT client subscribed to the printer's report topic (resubscribing after reconnects).
pub struct Subscriber {
    client: AsyncClient,
    rx: mpsc::UnboundedReceiver<Seen>,
    request_topic: String,
    task: JoinHandle<()>,
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Options for a `bblp` login over TLS to the simulator's broker.
pub fn mqtt_options(sim: &BambuSim, id: &str, password: &str) -> anyhow::Result<MqttOptions> {
    let mut options = MqttOptions::new(id, "127.0.0.1", sim.mqtt_port());
    options
        .set_credentials("bblp", password)
        .set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(1 << 20, 1 << 20)
        .set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            any_tls(sim)?,
        )));
    Ok(options)
}

impl Subscriber {
    /// Connects, subscribes and returns once the subscription is acknowledged.
    pub async fn connect(sim: &BambuSim, id: &str) -> anyhow::Result<Self> {
        let options = mqtt_options(sim, id, sim.access_code())?;
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        let report_topic = format!("device/{}/report", sim.serial());
        let (tx, rx) = mpsc::unbounded_channel();
        let sub = client.clone();
        let task = tokio::spawn(async move {
            loop {
                let seen = match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = sub.try_subscribe(&report_topic, QoS::AtMostOnce);
                        continue;
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => Seen::Subscribed,
                    Ok(Event::Incoming(Packet::Publish(p))) => Seen::Payload(p.payload.to_vec()),
                    Ok(_) => continue,
                    Err(e) => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Seen::Failed(e.to_string())
                    }
                };
                if tx.send(seen).is_err() {
                    return;
                }
            }
        });
        let mut subscriber = Self {
            client,
            rx,
            request_topic: format!("device/{}/request", sim.serial()),
            task,
        };
        subscriber.wait_subscribed().await?;
        Ok(subscriber)
    }

    /// Waits for the next SUBACK.
    pub async fn wait_subscribed(&mut self) -> anyhow::Result<()> {
        loop {
            match self.next().await? {
                Seen::Subscribed => return Ok(()),
                Seen::Payload(_) | Seen::Failed(_) => {}
            }
        }
    }

    /// The next thing seen, within [`WAIT`].
    pub async fn next(&mut self) -> anyhow::Result<Seen> {
        timeout(WAIT, self.rx.recv())
            .await
            .context("nothing seen in time")?
            .context("subscriber task ended")
    }

    /// The next JSON report for which `pred` holds (other messages are skipped).
    pub async fn next_json(&mut self, pred: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
        loop {
            if let Seen::Payload(bytes) = self.next().await?
                && let Ok(value) = serde_json::from_slice::<Value>(&bytes)
                && pred(&value)
            {
                return Ok(value);
            }
        }
    }

    /// Publishes a request (QoS 1, like Bambu Studio's control commands).
    pub async fn request(&self, request: Value) -> anyhow::Result<()> {
        self.client
            .publish(
                &self.request_topic,
                QoS::AtLeastOnce,
                false,
                serde_json::to_vec(&request)?,
            )
            .await?;
        Ok(())
    }
}

/// Connects with `password` and returns the first connection outcome.
pub async fn first_connection_result(
    sim: &BambuSim,
    password: &str,
) -> anyhow::Result<Result<(), ConnectionError>> {
    let (_client, mut eventloop) = AsyncClient::new(mqtt_options(sim, "wrong-code", password)?, 8);
    let outcome = timeout(WAIT, async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
    })
    .await?;
    Ok(outcome)
}

/// Merges a `print` report into cached state: objects key by key, everything else replaced.
pub fn merge(state: &mut Value, report: &Value) {
    match (state, report) {
        (Value::Object(state), Value::Object(report)) => {
            for (key, value) in report {
                match state.get_mut(key) {
                    Some(existing @ Value::Object(_)) if value.is_object() => {
                        merge(existing, value)
                    }
                    _ => {
                        state.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (state, report) => *state = report.clone(),
    }
}

/// Anything a data connection can be.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// How a data connection is protected.
#[derive(Clone)]
pub enum DataTls {
    /// `PROT C`: plain TCP.
    Clear,
    /// `PROT P`: TLS with this configuration (share the control's to resume its session).
    Tls(Arc<ClientConfig>),
}

/// One FTP reply: code and the text of its last line.
pub type Reply = (u16, String);

/// A minimal implicit-FTPS client.
pub struct FtpsClient {
    reader: BufReader<ReadHalf<TlsStream<TcpStream>>>,
    writer: WriteHalf<TlsStream<TcpStream>>,
    version: Option<rustls::ProtocolVersion>,
}

fn loopback() -> ServerName<'static> {
    ServerName::from(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

async fn tls_connect<S: AsyncRead + AsyncWrite + Unpin>(
    config: &Arc<ClientConfig>,
    tcp: S,
) -> anyhow::Result<tokio_rustls::client::TlsStream<S>> {
    Ok(timeout(
        WAIT,
        TlsConnector::from(Arc::clone(config)).connect(loopback(), tcp),
    )
    .await??)
}

/// Reads until EOF, taking a missing close_notify as the end (the printer sends none).
async fn read_all(data: &mut (impl AsyncRead + Unpin)) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    match timeout(WAIT, data.read_to_end(&mut bytes)).await? {
        Ok(_) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(bytes),
        Err(e) => Err(e.into()),
    }
}

impl FtpsClient {
    /// TLS from the first byte, then the `220` banner.
    pub async fn connect(port: u16, config: &Arc<ClientConfig>) -> anyhow::Result<Self> {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
        let tls = tls_connect(config, tcp).await?;
        let version = tls.get_ref().1.protocol_version();
        let (read, write) = tokio::io::split(tls);
        let mut client = Self {
            reader: BufReader::new(read),
            writer: write,
            version,
        };
        let (code, text) = client.reply().await?;
        if code != 220 {
            bail!("unexpected banner {code} {text}");
        }
        Ok(client)
    }

    /// The control connection's negotiated TLS version.
    pub fn tls_version(&self) -> Option<rustls::ProtocolVersion> {
        self.version
    }

    /// Reads one (possibly multi-line) reply.
    pub async fn reply(&mut self) -> anyhow::Result<Reply> {
        let mut first: Option<u16> = None;
        loop {
            let mut line = String::new();
            let n = timeout(WAIT, self.reader.read_line(&mut line)).await??;
            if n == 0 {
                bail!("control connection closed");
            }
            let line = line.trim_end();
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let done = line.as_bytes().get(3) == Some(&b' ');
            match (first, code) {
                (None, Some(code)) if done => return Ok((code, line[4..].to_owned())),
                (None, Some(code)) => first = Some(code),
                (Some(expected), Some(code)) if code == expected && done => {
                    return Ok((code, line[4..].to_owned()));
                }
                (None, None) => bail!("malformed reply {line:?}"),
                _ => {}
            }
        }
    }

    /// Sends a command line and reads its reply.
    pub async fn cmd(&mut self, line: &str) -> anyhow::Result<Reply> {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .await?;
        self.writer.flush().await?;
        self.reply().await
    }

    /// `USER`/`PASS`, `TYPE I`, `PBSZ 0`, `PROT P`: what every Bambu client does.
    pub async fn login_and_protect(&mut self, password: &str) -> anyhow::Result<()> {
        assert_eq!(self.cmd("USER bblp").await?.0, 331);
        assert_eq!(self.cmd(&format!("PASS {password}")).await?.0, 230);
        assert_eq!(self.cmd("TYPE I").await?.0, 200);
        assert_eq!(self.cmd("PBSZ 0").await?.0, 200);
        assert_eq!(self.cmd("PROT P").await?.0, 200);
        Ok(())
    }

    /// `PASV`, returning the data port from `227 ... (h1,h2,h3,h4,p1,p2)`.
    pub async fn pasv(&mut self) -> anyhow::Result<u16> {
        let (code, text) = self.cmd("PASV").await?;
        if code != 227 {
            bail!("PASV failed: {code} {text}");
        }
        let inner = text
            .split_once('(')
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(inner, _)| inner)
            .context("no address in 227")?;
        let numbers: Vec<u16> = inner.split(',').map(str::parse).collect::<Result<_, _>>()?;
        let [127, 0, 0, 1, p1, p2] = numbers[..] else {
            bail!("unexpected 227 address {inner}");
        };
        Ok(p1 * 256 + p2)
    }

    async fn open_data(port: u16, mode: &DataTls) -> anyhow::Result<Box<dyn Io>> {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
        Ok(match mode {
            DataTls::Clear => Box::new(tcp),
            DataTls::Tls(config) => Box::new(tls_connect(config, tcp).await?),
        })
    }

    /// Uploads like a careful client: data connection (and its TLS handshake) first, then `STOR`,
    /// `150`, the bytes, a close without waiting for the server's close_notify, the final reply.
    /// Returns every reply after `STOR`.
    pub async fn stor(
        &mut self,
        path: &str,
        bytes: &[u8],
        mode: &DataTls,
    ) -> anyhow::Result<Vec<Reply>> {
        let port = self.pasv().await?;
        let mut data = Self::open_data(port, mode).await?;
        let first = self.cmd(&format!("STOR {path}")).await?;
        if first.0 != 150 {
            return Ok(vec![first]);
        }
        // The server may already have refused the connection (522 follows); ignore write errors.
        let written = data.write_all(bytes).await.and(data.shutdown().await);
        drop(data);
        let last = self.reply().await?;
        if last.0 == 226 {
            written?;
        }
        Ok(vec![first, last])
    }

    /// `LIST`/`NLST` like Python's ftplib: connect, send the command, read `150`, only then
    /// start TLS on the data connection. Returns the listing and the final reply.
    pub async fn list(
        &mut self,
        verb: &str,
        config: &Arc<ClientConfig>,
    ) -> anyhow::Result<(String, Reply)> {
        let port = self.pasv().await?;
        let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
        let first = self.cmd(verb).await?;
        if first.0 != 150 {
            bail!("{verb} refused: {first:?}");
        }
        let mut data = tls_connect(config, tcp).await?;
        let listing = read_all(&mut data).await?;
        let last = self.reply().await?;
        Ok((String::from_utf8(listing)?, last))
    }

    /// `RETR` over a protected data connection.
    pub async fn retr(
        &mut self,
        path: &str,
        config: &Arc<ClientConfig>,
    ) -> anyhow::Result<Vec<u8>> {
        let port = self.pasv().await?;
        let mut data = Self::open_data(port, &DataTls::Tls(Arc::clone(config))).await?;
        let first = self.cmd(&format!("RETR {path}")).await?;
        if first.0 != 150 {
            bail!("RETR refused: {first:?}");
        }
        let bytes = read_all(&mut data).await?;
        let last = self.reply().await?;
        if last.0 != 226 {
            bail!("RETR failed: {last:?}");
        }
        Ok(bytes)
    }
}
