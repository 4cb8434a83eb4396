//! The simulated printer's MQTT broker: a private mosquitto process with TLS and a password file, started, probed, restarted and killed here.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
    time::Duration,
};

use tokio::{
    net::{TcpListener, TcpStream},
    process::{Child, Command},
    time::{Instant, sleep, timeout},
};
use tokio_rustls::{TlsConnector, rustls::pki_types::ServerName};
use tracing::{debug, info, warn};

use super::certs::{CertError, SimCerts};

/// How long mosquitto gets to accept its first TLS handshake.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Attempts at finding a free port that mosquitto can bind.
const PORT_ATTEMPTS: usize = 5;

/// Why the broker could not be started.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// A file or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// `mosquitto_passwd` failed.
    #[error("mosquitto_passwd failed ({status}): {stderr}")]
    Passwd {
        /// Its exit status.
        status: std::process::ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },
    /// mosquitto exited before accepting connections.
    #[error("mosquitto exited early ({status}); log:\n{log}")]
    Exited {
        /// Its exit status.
        status: std::process::ExitStatus,
        /// Its log file.
        log: String,
    },
    /// The readiness probe's TLS client could not be built.
    #[error(transparent)]
    Cert(#[from] CertError),
    /// mosquitto kept running but never completed a TLS handshake.
    #[error("mosquitto did not accept TLS connections within {READY_TIMEOUT:?}; log:\n{log}")]
    NotReady {
        /// Its log file.
        log: String,
    },
}

fn io_error(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BrokerError {
    let context = context.into();
    move |source| BrokerError::Io { context, source }
}

/// The path of a broker tool: an environment override, the Debian location, or `PATH`.
fn tool(env: &str, debian_path: &str, name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env) {
        return PathBuf::from(path);
    }
    if Path::new(debian_path).exists() {
        return PathBuf::from(debian_path);
    }
    PathBuf::from(name)
}

/// A running private mosquitto bound to `127.0.0.1:<port>`; killed when dropped.
pub struct Broker {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
    probe: TlsConnector,
    server_name: ServerName<'static>,
}

impl Broker {
    /// Writes certificates, a password file for `bblp` and a config into a private temp dir,
    /// starts mosquitto on a free loopback port and waits until it completes a TLS handshake.
    pub async fn start(
        certs: &SimCerts,
        access_code: &str,
        serial: &str,
    ) -> Result<Self, BrokerError> {
        let dir = tempfile::Builder::new()
            .prefix("bambu-sim-broker-")
            .tempdir()
            .map_err(io_error("creating the broker directory"))?;
        write_private(&dir.path().join("ca.pem"), certs.ca_pem()).await?;
        write_private(&dir.path().join("server.pem"), certs.server_cert_pem()).await?;
        write_private(&dir.path().join("server.key"), certs.server_key_pem()).await?;
        make_password_file(&dir.path().join("passwd"), access_code).await?;

        let probe = TlsConnector::from(Arc::new(certs.client_config()?));
        let server_name = ServerName::try_from(serial.to_owned())
            .map_err(|_| CertError::BadSerial(serial.to_owned()))?;

        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port().await?;
            match spawn(dir.path(), port, &probe, &server_name).await {
                Ok(child) => {
                    info!(broker.port = port, "mosquitto is accepting TLS connections");
                    return Ok(Self {
                        dir,
                        port,
                        child,
                        probe,
                        server_name,
                    });
                }
                // Most likely someone else took the port between probing and binding.
                Err(e @ BrokerError::Exited { .. }) => {
                    warn!(broker.port = port, error = %e, "mosquitto failed to start; retrying");
                    last_error = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| BrokerError::NotReady { log: String::new() }))
    }

    /// The loopback port the broker listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills mosquitto (dropping every client connection) and starts it again on the same port.
    pub async fn restart(&mut self) -> Result<(), BrokerError> {
        self.stop().await;
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            match spawn(self.dir.path(), self.port, &self.probe, &self.server_name).await {
                Ok(child) => {
                    self.child = child;
                    info!(broker.port = self.port, "mosquitto restarted");
                    return Ok(());
                }
                // The old socket may linger for a moment; try again on the same port.
                Err(BrokerError::Exited { .. }) if Instant::now() < deadline => {
                    sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Kills mosquitto and waits for it to exit.
    pub async fn stop(&mut self) {
        if let Err(e) = self.child.kill().await {
            debug!(error = %e, "mosquitto was already gone");
        }
    }
}

/// Writes `contents` to a file only the current user can read.
async fn write_private(path: &Path, contents: &str) -> Result<(), BrokerError> {
    tokio::fs::write(path, contents)
        .await
        .map_err(io_error(format!("writing {}", path.display())))?;
    restrict(path).await
}

async fn restrict(path: &Path) -> Result<(), BrokerError> {
    tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .await
        .map_err(io_error(format!("restricting {}", path.display())))
}

/// Runs `mosquitto_passwd -b -c <file> bblp <code>`; mosquitto 2.x wants the result private
/// to the user it runs as (0600), newer versions refuse world-readable password files.
async fn make_password_file(path: &Path, access_code: &str) -> Result<(), BrokerError> {
    let output = Command::new(tool(
        "BAMBU_SIM_MOSQUITTO_PASSWD",
        "/usr/bin/mosquitto_passwd",
        "mosquitto_passwd",
    ))
    .arg("-b")
    .arg("-c")
    .arg(path)
    .arg("bblp")
    .arg(access_code)
    .stdin(Stdio::null())
    .output()
    .await
    .map_err(io_error("running mosquitto_passwd"))?;
    if !output.status.success() {
        return Err(BrokerError::Passwd {
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    restrict(path).await
}

/// Asks the OS for a free loopback port. mosquitto binds it a moment later; a lost race
/// shows up as an early exit and the caller tries another port.
async fn free_port() -> Result<u16, BrokerError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(io_error("finding a free port"))?;
    let port = listener
        .local_addr()
        .map_err(io_error("finding a free port"))?
        .port();
    Ok(port)
}

fn config_text(dir: &Path, port: u16) -> String {
    let path = |name: &str| dir.join(name).display().to_string();
    // `user root` only matters when started as root: it keeps mosquitto from switching to the
    // `mosquitto` user, who could not read the private temp directory.
    format!(
        "per_listener_settings false\n\
         listener {port} 127.0.0.1\n\
         cafile {ca}\n\
         certfile {cert}\n\
         keyfile {key}\n\
         tls_version tlsv1.2\n\
         allow_anonymous false\n\
         password_file {passwd}\n\
         persistence false\n\
         set_tcp_nodelay true\n\
         log_dest file {log}\n\
         log_type error\n\
         log_type warning\n\
         log_type notice\n\
         log_type information\n\
         connection_messages true\n\
         user root\n",
        ca = path("ca.pem"),
        cert = path("server.pem"),
        key = path("server.key"),
        passwd = path("passwd"),
        log = path("mosquitto.log"),
    )
}

/// Starts mosquitto on `port` and waits until a TLS handshake succeeds.
async fn spawn(
    dir: &Path,
    port: u16,
    probe: &TlsConnector,
    server_name: &ServerName<'static>,
) -> Result<Child, BrokerError> {
    let config = dir.join("mosquitto.conf");
    tokio::fs::write(&config, config_text(dir, port))
        .await
        .map_err(io_error("writing mosquitto.conf"))?;
    let log = dir.join("mosquitto.log");
    let mut child = Command::new(tool(
        "BAMBU_SIM_MOSQUITTO",
        "/usr/sbin/mosquitto",
        "mosquitto",
    ))
    .arg("-c")
    .arg(&config)
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .kill_on_drop(true)
    .spawn()
    .map_err(io_error("starting mosquitto"))?;

    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if let Some(status) = child
            .try_wait()
            .map_err(io_error("checking on mosquitto"))?
        {
            return Err(BrokerError::Exited {
                status,
                log: read_log(&log).await,
            });
        }
        if handshake(port, probe, server_name).await {
            return Ok(child);
        }
        if Instant::now() >= deadline {
            if let Err(e) = child.kill().await {
                debug!(error = %e, "mosquitto was already gone");
            }
            return Err(BrokerError::NotReady {
                log: read_log(&log).await,
            });
        }
        sleep(Duration::from_millis(50)).await;
    }
}

async fn handshake(port: u16, probe: &TlsConnector, server_name: &ServerName<'static>) -> bool {
    let attempt = async {
        let tcp = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        probe.connect(server_name.clone(), tcp).await.ok()
    };
    matches!(timeout(Duration::from_secs(2), attempt).await, Ok(Some(_)))
}

async fn read_log(path: &Path) -> String {
    tokio::fs::read_to_string(path).await.unwrap_or_default()
}
