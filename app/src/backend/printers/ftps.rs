//! A minimal implicit-FTPS client for printers that take files that way
//! (Bambu Lab, port 990): TLS from the first byte, passive mode, protected
//! data connections that resume the control connection's TLS session, and
//! uploads closed without waiting for the server's close_notify.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, ReadHalf,
    WriteHalf,
};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{ClientConfig, client::Resumption, pki_types::ServerName};

use super::driver::{DriverError, Progress};

/// How long any one step (connect, handshake, reply, chunk) may take;
/// printers are slow (Bambuddy uses 30 s too).
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// Upload chunk size.
const CHUNK: usize = 64 * 1024;
/// Longest reply line read.
const MAX_LINE: u64 = 4096;
/// Most lines in one (multi-line) reply.
const MAX_REPLY_LINES: usize = 512;
/// Largest directory listing read.
const MAX_LISTING: u64 = 4 * 1024 * 1024;

/// Why an FTPS exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum FtpsError {
    /// `host` is no host name or address.
    #[error("\"{0}\" is not a host name or address")]
    BadHost(String),
    /// TCP or TLS could not be established.
    #[error("cannot open the {what} connection: {source}")]
    Connect {
        /// Control or data.
        what: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// A step took longer than [`STEP_TIMEOUT`].
    #[error("{0} took longer than 30 s")]
    Timeout(String),
    /// The server refused the user or password.
    #[error("the login was refused ({0})")]
    Login(String),
    /// The server answered a command with an unexpected code.
    #[error("the printer answered \"{code} {text}\" to {command}")]
    Reply {
        /// The verb sent.
        command: String,
        /// The reply code.
        code: u16,
        /// The reply text.
        text: String,
    },
    /// The server sent something that is no FTP reply.
    #[error("unreadable FTP reply: {0}")]
    Malformed(String),
    /// Reading or writing a connection failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The local file could not be read.
    #[error("cannot read the file to upload: {0}")]
    Local(std::io::Error),
}

impl From<FtpsError> for DriverError {
    fn from(err: FtpsError) -> Self {
        match err {
            FtpsError::Timeout(_) => DriverError::Timeout(err.to_string()),
            FtpsError::Login(_) => DriverError::Unauthorized(format!(
                "the printer refused the LAN access code for file transfer ({err})"
            )),
            FtpsError::Reply { .. } => DriverError::Refused(err.to_string()),
            FtpsError::Malformed(_) | FtpsError::Local(_) => DriverError::Protocol(err.to_string()),
            FtpsError::BadHost(_) | FtpsError::Connect { .. } | FtpsError::Io { .. } => {
                DriverError::Unreachable(err.to_string())
            }
        }
    }
}

/// One FTP reply: its code and the text of its last line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The text after the code.
    pub text: String,
}

/// A file in a Unix-style `LIST` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedFile {
    /// The file name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

async fn step<T>(what: &str, work: impl Future<Output = T>) -> Result<T, FtpsError> {
    tokio::time::timeout(STEP_TIMEOUT, work)
        .await
        .map_err(|_| FtpsError::Timeout(what.to_owned()))
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> FtpsError {
    move |source| FtpsError::Io { what, source }
}

/// Reads one reply, following multi-line replies (`123-…` up to `123 …`).
async fn read_reply<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<Reply, FtpsError> {
    let mut opened: Option<u16> = None;
    for _ in 0..MAX_REPLY_LINES {
        let mut raw = Vec::new();
        let n = step(
            "waiting for the printer's reply",
            (&mut *reader).take(MAX_LINE).read_until(b'\n', &mut raw),
        )
        .await?
        .map_err(io("reading the control connection"))?;
        if n == 0 {
            return Err(FtpsError::Io {
                what: "reading the control connection",
                source: std::io::ErrorKind::UnexpectedEof.into(),
            });
        }
        if raw.last() != Some(&b'\n') {
            return Err(FtpsError::Malformed("reply line too long".into()));
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\r', '\n']);
        let code = line
            .get(..3)
            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|c| c.parse::<u16>().ok());
        let separator = line.as_bytes().get(3).copied();
        let text = line.get(4..).unwrap_or("").to_owned();
        match (opened, code, separator) {
            (None, Some(code), None | Some(b' ')) => return Ok(Reply { code, text }),
            (None, Some(code), Some(b'-')) => opened = Some(code),
            (None, _, _) => return Err(FtpsError::Malformed(line.to_owned())),
            (Some(first), Some(code), None | Some(b' ')) if code == first => {
                return Ok(Reply { code, text });
            }
            // Inner lines of a multi-line reply.
            (Some(_), _, _) => {}
        }
    }
    Err(FtpsError::Malformed("reply has too many lines".into()))
}

/// The port of a `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` reply. The
/// address is ignored: the data connection goes to the host we dialled
/// (printers behind NAT announce addresses that cannot be reached).
fn passive_port(text: &str) -> Option<u16> {
    let inner = text.split_once('(')?.1.split_once(')')?.0;
    let numbers: Vec<u16> = inner
        .split(',')
        .map(|n| n.trim().parse::<u8>().map(u16::from))
        .collect::<Result<_, _>>()
        .ok()?;
    match numbers[..] {
        [_, _, _, _, high, low] => Some(high << 8 | low).filter(|port| *port != 0),
        _ => None,
    }
}

/// Skips `n` whitespace-separated fields and returns the rest of the line.
fn after_fields(line: &str, n: usize) -> Option<&str> {
    let mut rest = line.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace)?;
        rest = rest.get(end..)?.trim_start();
    }
    Some(rest)
}

/// The regular files of a Unix-style `LIST` answer (`-rw-r--r-- 1 0 0 1234 Jan 01 00:00 name`).
pub fn parse_unix_listing(text: &str) -> Vec<ListedFile> {
    text.lines()
        .filter(|line| line.starts_with('-'))
        .filter_map(|line| {
            let size = line.split_whitespace().nth(4)?.parse().ok()?;
            let name = after_fields(line, 8)?.trim_end();
            (!name.is_empty()).then(|| ListedFile {
                name: name.to_owned(),
                size,
            })
        })
        .collect()
}

/// One logged-in control connection.
pub struct Ftps {
    reader: BufReader<ReadHalf<TlsStream<TcpStream>>>,
    writer: WriteHalf<TlsStream<TcpStream>>,
    host: String,
    server_name: ServerName<'static>,
    connector: TlsConnector,
}

impl Ftps {
    /// Connects with TLS from the first byte and reads the `220` greeting.
    pub async fn connect(host: &str, port: u16, tls: &ClientConfig) -> Result<Self, FtpsError> {
        let server_name = ServerName::try_from(host.to_owned())
            .map_err(|_| FtpsError::BadHost(host.to_owned()))?;
        let mut config = tls.clone();
        // A session store of this connection's own: the data connections must
        // resume *this* control session (the server requires it), and TLS 1.3
        // tickets are single-use, so they must not leak to other connections.
        config.resumption = Resumption::in_memory_sessions(8);
        let connector = TlsConnector::from(Arc::new(config));
        let tcp = step("connecting", TcpStream::connect((host, port)))
            .await?
            .map_err(|source| FtpsError::Connect {
                what: "control",
                source,
            })?;
        let stream = step(
            "the TLS handshake",
            connector.connect(server_name.clone(), tcp),
        )
        .await?
        .map_err(|source| FtpsError::Connect {
            what: "control",
            source,
        })?;
        let (read, write) = tokio::io::split(stream);
        let mut client = Self {
            reader: BufReader::new(read),
            writer: write,
            host: host.to_owned(),
            server_name,
            connector,
        };
        client.expect("the greeting", &[220]).await?;
        Ok(client)
    }

    async fn send(&mut self, line: &str) -> Result<(), FtpsError> {
        step("sending a command", async {
            self.writer.write_all(line.as_bytes()).await?;
            self.writer.write_all(b"\r\n").await?;
            self.writer.flush().await
        })
        .await?
        .map_err(io("writing the control connection"))
    }

    /// Reads a reply and checks its code.
    async fn expect(&mut self, command: &str, codes: &[u16]) -> Result<Reply, FtpsError> {
        let reply = read_reply(&mut self.reader).await?;
        if codes.contains(&reply.code) {
            Ok(reply)
        } else {
            Err(FtpsError::Reply {
                command: command.to_owned(),
                code: reply.code,
                text: reply.text,
            })
        }
    }

    async fn command(&mut self, line: &str, codes: &[u16]) -> Result<Reply, FtpsError> {
        self.send(line).await?;
        let verb = line.split(' ').next().unwrap_or(line);
        self.expect(verb, codes).await
    }

    /// Logs in, then binary mode and a protected data channel (`PROT P`).
    pub async fn login(&mut self, user: &str, password: &str) -> Result<(), FtpsError> {
        let user_reply = self.command(&format!("USER {user}"), &[230, 331]).await?;
        if user_reply.code == 331 {
            self.send(&format!("PASS {password}")).await?;
            let reply = read_reply(&mut self.reader).await?;
            match reply.code {
                230 | 202 => {}
                530 => return Err(FtpsError::Login(format!("{} {}", reply.code, reply.text))),
                code => {
                    return Err(FtpsError::Reply {
                        command: "PASS".into(),
                        code,
                        text: reply.text,
                    });
                }
            }
        }
        self.command("TYPE I", &[200]).await?;
        self.command("PBSZ 0", &[200]).await?;
        self.command("PROT P", &[200]).await?;
        Ok(())
    }

    /// `PASV`, a TCP connection to the announced port, `command` and its
    /// `150`, and only then TLS (as Python's ftplib does; servers start the
    /// data handshake after the preliminary reply), resuming the control
    /// connection's session under the same server name.
    async fn open_data(&mut self, command: &str) -> Result<TlsStream<TcpStream>, FtpsError> {
        let reply = self.command("PASV", &[227]).await?;
        let port = passive_port(&reply.text)
            .ok_or_else(|| FtpsError::Malformed(format!("227 {}", reply.text)))?;
        let tcp = step(
            "opening the data connection",
            TcpStream::connect((self.host.as_str(), port)),
        )
        .await?
        .map_err(|source| FtpsError::Connect {
            what: "data",
            source,
        })?;
        self.command(command, &[125, 150]).await?;
        let data = step(
            "the data TLS handshake",
            self.connector.connect(self.server_name.clone(), tcp),
        )
        .await?
        .map_err(|source| FtpsError::Connect {
            what: "data",
            source,
        })?;
        let resumed =
            data.get_ref().1.handshake_kind() == Some(tokio_rustls::rustls::HandshakeKind::Resumed);
        tracing::debug!(ftps.resumed = resumed, "data connection open");
        Ok(data)
    }

    /// Stores `file` (`total` bytes) as `path`, reporting progress after
    /// every 64 KiB chunk; returns the bytes sent.
    pub async fn store<R: AsyncRead + Unpin>(
        &mut self,
        path: &str,
        file: &mut R,
        total: u64,
        progress: Progress,
    ) -> Result<u64, FtpsError> {
        let mut data = self.open_data(&format!("STOR {path}")).await?;
        progress(0, total);
        let mut sent = 0u64;
        let mut buf = vec![0u8; CHUNK];
        let transfer: Result<(), FtpsError> = async {
            loop {
                let n = step("reading the file", file.read(&mut buf))
                    .await?
                    .map_err(FtpsError::Local)?;
                let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
                    break;
                };
                step("sending a chunk", data.write_all(chunk))
                    .await?
                    .map_err(io("writing the data connection"))?;
                sent += n as u64;
                progress(sent, total);
            }
            step("sending the last chunk", data.flush())
                .await?
                .map_err(io("writing the data connection"))
        }
        .await;
        if transfer.is_ok() {
            // Our close_notify and FIN; the printer sends no close_notify back
            // after STOR, so nothing is read: waiting for it would hang.
            let closed = tokio::time::timeout(STEP_TIMEOUT, data.shutdown()).await;
            if !matches!(closed, Ok(Ok(()))) {
                tracing::debug!("closing the data connection was not clean");
            }
        }
        drop(data);
        // The final reply says whether the printer kept the file; when the
        // transfer broke, its reply usually says why.
        match (transfer, self.expect("STOR", &[226, 250]).await) {
            (Ok(()), Ok(_)) => Ok(sent),
            (_, Err(refusal @ FtpsError::Reply { .. })) => Err(refusal),
            (Err(err), _) | (Ok(()), Err(err)) => Err(err),
        }
    }

    /// The `LIST` answer for `path`.
    pub async fn list(&mut self, path: &str) -> Result<String, FtpsError> {
        let mut data = self.open_data(&format!("LIST {path}")).await?;
        let mut bytes = Vec::new();
        let read = step(
            "reading the listing",
            (&mut data).take(MAX_LISTING).read_to_end(&mut bytes),
        )
        .await?;
        match read {
            Ok(_) => {}
            // A missing close_notify still ends the listing.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(e) => return Err(io("reading the data connection")(e)),
        }
        drop(data);
        self.expect("LIST", &[226, 250]).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Says goodbye (best effort) and closes the control connection.
    pub async fn quit(mut self) {
        let goodbye = async {
            self.send("QUIT").await?;
            read_reply(&mut self.reader).await
        };
        let _ = tokio::time::timeout(Duration::from_secs(5), goodbye).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn reply_of(text: &str) -> Result<Reply, FtpsError> {
        read_reply(&mut text.as_bytes()).await
    }

    #[tokio::test]
    async fn replies_single_and_multi_line() {
        assert_eq!(
            reply_of("220 ready\r\n").await.expect("reply"),
            Reply {
                code: 220,
                text: "ready".into()
            }
        );
        let multi = "211-Features:\r\n EPSV\r\n PASV\r\n211 End\r\n";
        assert_eq!(
            reply_of(multi).await.expect("reply"),
            Reply {
                code: 211,
                text: "End".into()
            }
        );
        assert!(matches!(
            reply_of("hello\r\n").await,
            Err(FtpsError::Malformed(_))
        ));
        assert!(matches!(reply_of("").await, Err(FtpsError::Io { .. })));
        assert!(matches!(
            reply_of("226 no newline").await,
            Err(FtpsError::Malformed(_))
        ));
    }

    #[test]
    fn passive_replies_give_the_port() {
        assert_eq!(
            passive_port("Entering Passive Mode (192,168,1,40,195,80)."),
            Some(50000)
        );
        assert_eq!(passive_port("Entering Passive Mode (1,2,3,4,300,1)"), None);
        assert_eq!(passive_port("Entering Passive Mode"), None);
        assert_eq!(passive_port("(1,2,3,4,5)"), None);
    }

    #[test]
    fn unix_listings_give_regular_files_with_sizes() {
        let text = "drwxr-xr-x    2 0        0            4096 Jan 01 00:00 cache\r\n\
                    -rw-r--r--    1 0        0          123456 Jan 01 00:00 cube 20mm.gcode.3mf\r\n\
                    -rw-r--r--    1 0        0              12 Mar 3  2024 part.gcode\r\n\
                    total 3\r\n";
        assert_eq!(
            parse_unix_listing(text),
            vec![
                ListedFile {
                    name: "cube 20mm.gcode.3mf".into(),
                    size: 123456
                },
                ListedFile {
                    name: "part.gcode".into(),
                    size: 12
                },
            ]
        );
    }

    #[test]
    fn errors_map_to_driver_errors() {
        assert!(matches!(
            DriverError::from(FtpsError::Login("530 Login incorrect.".into())),
            DriverError::Unauthorized(_)
        ));
        assert!(matches!(
            DriverError::from(FtpsError::Reply {
                command: "STOR".into(),
                code: 553,
                text: "Could not create file.".into()
            }),
            DriverError::Refused(_)
        ));
        assert!(matches!(
            DriverError::from(FtpsError::Timeout("connecting".into())),
            DriverError::Timeout(_)
        ));
    }
}
