//! The printer's implicit-FTPS server: TLS from the first byte, `bblp` + access code login, passive transfers into the in-memory storage.

mod data;

use std::{io, sync::Arc, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    task::JoinSet,
    time::timeout,
};
use tokio_rustls::{TlsAcceptor, rustls::ServerConfig};
use tracing::{Instrument, debug, info, info_span, warn};

use self::data::{DataConn, DataError, Passive};
use super::{
    store::{Entry, FileStore, sha256_hex},
    task::TaskGuard,
};

/// Longest command line accepted.
const MAX_LINE: u64 = 4096;
/// Largest upload kept in memory.
const MAX_UPLOAD: usize = 512 * 1024 * 1024;
/// How long a client gets for the TLS handshake on the control connection.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Idle control connections are closed after this long, like vsftpd's idle_session_timeout.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// A running FTPS server; stops (with all its sessions) when dropped.
pub struct FtpsServer {
    port: u16,
    _task: TaskGuard,
}

impl FtpsServer {
    /// Binds a free loopback port and serves implicit FTPS on it.
    /// `control` and `data` must share their session cache (see
    /// [`super::certs::SimCerts::ftps_server_configs`]).
    pub async fn start(
        control: Arc<ServerConfig>,
        data: Arc<ServerConfig>,
        store: FileStore,
        access_code: String,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            acceptor: TlsAcceptor::from(control),
            data_acceptor: TlsAcceptor::from(data),
            store,
            access_code,
        });
        let task = TaskGuard::spawn(
            serve(listener, shared).instrument(info_span!("bambu.ftps", ftps.port = port)),
        );
        info!(ftps.port = port, "FTPS server listening");
        Ok(Self { port, _task: task })
    }

    /// The loopback port of the control connection.
    pub fn port(&self) -> u16 {
        self.port
    }
}

struct Shared {
    acceptor: TlsAcceptor,
    data_acceptor: TlsAcceptor,
    store: FileStore,
    access_code: String,
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    // Sessions live in the set, so stopping the server stops them too.
    let mut sessions = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let shared = Arc::clone(&shared);
                    sessions.spawn(
                        session(tcp, shared).instrument(info_span!("ftps.session", ftps.peer = %peer)),
                    );
                }
                Err(e) => warn!(error = %e, "accept failed"),
            },
            Some(_) = sessions.join_next() => {}
        }
    }
}

async fn session(tcp: TcpStream, shared: Arc<Shared>) {
    let tls = match timeout(HANDSHAKE_TIMEOUT, shared.acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            debug!(error = %e, "control TLS handshake failed");
            return;
        }
        Err(_) => {
            debug!("control TLS handshake timed out");
            return;
        }
    };
    let (read, write) = tokio::io::split(tls);
    let mut control = Control {
        reader: BufReader::new(read),
        writer: write,
        shared,
        user: None,
        logged_in: false,
        cwd: "/".into(),
        protect_data: false,
        passive: None,
    };
    match control.run().await {
        Ok(()) => debug!("session ended"),
        Err(e) => debug!(error = %e, "session ended with an error"),
    }
}

/// One control connection.
struct Control<R, W> {
    reader: BufReader<R>,
    writer: W,
    shared: Arc<Shared>,
    user: Option<String>,
    logged_in: bool,
    cwd: String,
    /// `PROT P` (true) or `PROT C` (false, the RFC 4217 default).
    protect_data: bool,
    passive: Option<Passive>,
}

/// What to do after a command.
enum Flow {
    Continue,
    Quit,
}

/// Resolves `arg` against `cwd` into a normalised absolute path (`..` stops at `/`).
fn resolve(cwd: &str, arg: &str) -> String {
    let joined = if arg.starts_with('/') {
        arg.to_owned()
    } else {
        format!("{cwd}/{arg}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

fn listing(entries: &[Entry], names_only: bool) -> String {
    entries
        .iter()
        .map(|entry| match (entry, names_only) {
            (Entry::Dir(name) | Entry::File(name, _), true) => format!("{name}\r\n"),
            (Entry::Dir(name), false) => {
                format!("drwxr-xr-x    2 0        0            4096 Jan 01 00:00 {name}\r\n")
            }
            (Entry::File(name, size), false) => {
                format!("-rw-r--r--    1 0        0        {size:>8} Jan 01 00:00 {name}\r\n")
            }
        })
        .collect()
}

impl<R: AsyncRead + Unpin, W: AsyncWrite + Unpin> Control<R, W> {
    async fn reply(&mut self, code: u16, text: &str) -> io::Result<()> {
        self.writer
            .write_all(format!("{code} {text}\r\n").as_bytes())
            .await?;
        self.writer.flush().await
    }

    async fn run(&mut self) -> io::Result<()> {
        self.reply(220, "Bambu printer FTPS (PrintStash simulator) ready.")
            .await?;
        let mut line = Vec::new();
        loop {
            line.clear();
            let mut limited = (&mut self.reader).take(MAX_LINE);
            let n = match timeout(IDLE_TIMEOUT, limited.read_until(b'\n', &mut line)).await {
                Ok(Ok(n)) => n,
                Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    self.reply(421, "Timeout.").await?;
                    return Ok(());
                }
            };
            if n == 0 {
                return Ok(());
            }
            if line.last() != Some(&b'\n') {
                self.reply(500, "Command line too long.").await?;
                return Ok(());
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']);
            let (verb, arg) = text.split_once(' ').unwrap_or((text, ""));
            let verb = verb.to_ascii_uppercase();
            if verb == "PASS" {
                debug!(ftp.command = "PASS", "command");
            } else {
                debug!(ftp.command = %verb, ftp.arg = %arg, "command");
            }
            if let Flow::Quit = self.command(&verb, arg).await? {
                return Ok(());
            }
        }
    }

    async fn command(&mut self, verb: &str, arg: &str) -> io::Result<Flow> {
        let open = matches!(
            verb,
            "USER" | "PASS" | "QUIT" | "PBSZ" | "PROT" | "FEAT" | "SYST" | "NOOP" | "OPTS"
        );
        if !open && !self.logged_in {
            self.reply(530, "Please login with USER and PASS.").await?;
            return Ok(Flow::Continue);
        }
        match verb {
            "USER" => {
                self.user = Some(arg.to_owned());
                self.logged_in = false;
                self.reply(331, "Please specify the password.").await?;
            }
            "PASS" => self.pass(arg).await?,
            "QUIT" => {
                self.reply(221, "Goodbye.").await?;
                return Ok(Flow::Quit);
            }
            "SYST" => self.reply(215, "UNIX Type: L8").await?,
            "NOOP" => self.reply(200, "NOOP ok.").await?,
            "OPTS" => self.reply(200, "Always in UTF8 mode.").await?,
            "FEAT" => {
                self.writer
                    .write_all(
                        b"211-Features:\r\n EPSV\r\n PASV\r\n PBSZ\r\n PROT\r\n SIZE\r\n UTF8\r\n211 End\r\n",
                    )
                    .await?;
                self.writer.flush().await?;
            }
            "PBSZ" => self.reply(200, "PBSZ set to 0.").await?,
            "PROT" => match arg.trim().to_ascii_uppercase().as_str() {
                "P" => {
                    self.protect_data = true;
                    self.reply(200, "PROT now Private.").await?;
                }
                "C" => {
                    self.protect_data = false;
                    self.reply(200, "PROT now Clear.").await?;
                }
                _ => self.reply(536, "PROT level not supported.").await?,
            },
            "TYPE" => match arg.trim().to_ascii_uppercase().as_str() {
                "I" | "L 8" => self.reply(200, "Switching to Binary mode.").await?,
                "A" | "A N" => self.reply(200, "Switching to ASCII mode.").await?,
                _ => self.reply(504, "Bad TYPE command.").await?,
            },
            "PWD" | "XPWD" => {
                let text = format!("\"{}\" is the current directory", self.cwd);
                self.reply(257, &text).await?;
            }
            "CWD" | "CDUP" => {
                let target = if verb == "CDUP" { ".." } else { arg };
                let dir = resolve(&self.cwd, target);
                if self.shared.store.is_dir(&dir) {
                    self.cwd = dir;
                    self.reply(250, "Directory successfully changed.").await?;
                } else {
                    self.reply(550, "Failed to change directory.").await?;
                }
            }
            "MKD" => match resolve(&self.cwd, arg) {
                dir if self.shared.store.make_dir(&dir) => {
                    self.reply(257, &format!("\"{dir}\" created")).await?;
                }
                _ => {
                    self.reply(550, "Create directory operation failed.")
                        .await?
                }
            },
            "SIZE" => match self.shared.store.size(&resolve(&self.cwd, arg)) {
                Some(size) => self.reply(213, &size.to_string()).await?,
                None => self.reply(550, "Could not get file size.").await?,
            },
            "DELE" => match resolve(&self.cwd, arg) {
                path if self.shared.store.delete(&path) => {
                    self.reply(250, "Delete operation successful.").await?;
                }
                _ => self.reply(550, "Delete operation failed.").await?,
            },
            "PASV" => self.pasv(false).await?,
            "EPSV" => self.pasv(true).await?,
            "STOR" => self.stor(arg).await?,
            "RETR" => self.retr(arg).await?,
            "LIST" | "NLST" => self.list(arg, verb == "NLST").await?,
            "AUTH" => {
                self.reply(534, "Already using implicit TLS.").await?;
            }
            _ => self.reply(502, "Command not implemented.").await?,
        }
        Ok(Flow::Continue)
    }

    async fn pass(&mut self, password: &str) -> io::Result<()> {
        let user_ok = self.user.as_deref() == Some("bblp");
        if user_ok && password == self.shared.access_code {
            self.logged_in = true;
            info!(ftp.user = "bblp", "logged in");
            self.reply(230, "Login successful.").await
        } else {
            self.logged_in = false;
            warn!(ftp.user = ?self.user, "login refused");
            self.reply(530, "Login incorrect.").await
        }
    }

    async fn pasv(&mut self, extended: bool) -> io::Result<()> {
        let acceptor = self.protect_data.then(|| self.shared.data_acceptor.clone());
        let (port, passive) = match Passive::open(acceptor).await {
            Ok(opened) => opened,
            Err(e) => {
                warn!(error = %e, "could not open a passive port");
                return self.reply(425, "Could not open a passive port.").await;
            }
        };
        self.passive = Some(passive);
        if extended {
            let text = format!("Entering Extended Passive Mode (|||{port}|)");
            self.reply(229, &text).await
        } else {
            let text = format!(
                "Entering Passive Mode (127,0,0,1,{},{}).",
                port >> 8,
                port & 0xff
            );
            self.reply(227, &text).await
        }
    }

    /// Waits for the passive connection, announces the transfer with `150`, finishes the TLS
    /// handshake and checks it resumed the control session; replies itself on failure.
    async fn open_data(&mut self, what: &str) -> io::Result<Option<DataConn>> {
        let Some(mut passive) = self.passive.take() else {
            self.reply(425, "Use PORT or PASV first.").await?;
            return Ok(None);
        };
        if let Err(e) = passive.accepted().await {
            debug!(error = %e, "no data connection");
            self.reply(425, "Failed to establish connection.").await?;
            return Ok(None);
        }
        self.reply(150, what).await?;
        match passive.connection().await {
            Ok(conn) => Ok(Some(conn)),
            Err(DataError::NotResumed) => {
                warn!("data connection did not resume the control TLS session");
                self.reply(522, "SSL connection failed: session reuse required")
                    .await?;
                Ok(None)
            }
            Err(e) => {
                debug!(error = %e, "data connection failed");
                self.reply(425, "Failed to establish connection.").await?;
                Ok(None)
            }
        }
    }

    async fn stor(&mut self, arg: &str) -> io::Result<()> {
        let path = resolve(&self.cwd, arg);
        if arg.trim().is_empty() || self.shared.store.is_dir(&path) {
            return self.reply(553, "Could not create file.").await;
        }
        let Some(conn) = self.open_data("Ok to send data.").await? else {
            return Ok(());
        };
        let bytes = match conn.receive(MAX_UPLOAD).await {
            Ok(bytes) => bytes,
            Err(e) => {
                warn!(error = %e, file.path = %path, "upload failed");
                return self.reply(426, "Failure reading network stream.").await;
            }
        };
        let size_bytes = bytes.len();
        let (bytes, sha256) = tokio::task::spawn_blocking(move || {
            let sha256 = sha256_hex(&bytes);
            (bytes, sha256)
        })
        .await
        .map_err(io::Error::other)?;
        info!(file.path = %path, file.sha256 = %sha256, size_bytes, "file stored");
        self.shared.store.put(&path, bytes, sha256);
        self.reply(226, "Transfer complete.").await
    }

    async fn retr(&mut self, arg: &str) -> io::Result<()> {
        let Some(bytes) = self.shared.store.get(&resolve(&self.cwd, arg)) else {
            return self.reply(550, "Failed to open file.").await;
        };
        let Some(conn) = self
            .open_data("Opening BINARY mode data connection.")
            .await?
        else {
            return Ok(());
        };
        match conn.send(&bytes).await {
            Ok(()) => self.reply(226, "Transfer complete.").await,
            Err(e) => {
                debug!(error = %e, "download failed");
                self.reply(426, "Failure writing network stream.").await
            }
        }
    }

    async fn list(&mut self, arg: &str, names_only: bool) -> io::Result<()> {
        // Options such as `-la` are accepted and ignored.
        let target = arg
            .split_whitespace()
            .find(|a| !a.starts_with('-'))
            .unwrap_or(".");
        let dir = resolve(&self.cwd, target);
        let text = if self.shared.store.is_dir(&dir) {
            listing(&self.shared.store.list(&dir), names_only)
        } else {
            match self.shared.store.size(&dir) {
                Some(size) => {
                    let name = dir.rsplit('/').next().unwrap_or(&dir).to_owned();
                    listing(&[Entry::File(name, size)], names_only)
                }
                None => String::new(),
            }
        };
        let Some(conn) = self.open_data("Here comes the directory listing.").await? else {
            return Ok(());
        };
        match conn.send(text.as_bytes()).await {
            Ok(()) => self.reply(226, "Directory send OK.").await,
            Err(e) => {
                debug!(error = %e, "listing failed");
                self.reply(426, "Failure writing network stream.").await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_against_the_working_directory() {
        assert_eq!(resolve("/", "a.3mf"), "/a.3mf");
        assert_eq!(resolve("/cache", "../a.3mf"), "/a.3mf");
        assert_eq!(resolve("/cache", "/model/x"), "/model/x");
        assert_eq!(resolve("/", "../.."), "/");
        assert_eq!(resolve("/cache", "."), "/cache");
    }
}
