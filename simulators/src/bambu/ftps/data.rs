//! FTPS passive data connections: one listener per `PASV`, TLS on the data socket that must resume the control connection's session (vsftpd's `require_ssl_reuse`).

use std::{io, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
    task::JoinHandle,
    time::timeout,
};
use tokio_rustls::{TlsAcceptor, rustls::HandshakeKind, server::TlsStream};
use tracing::debug;

/// How long a client gets to connect to the passive port and finish the TLS handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a data connection could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// Nobody connected to the passive port in time.
    #[error("no data connection within {CONNECT_TIMEOUT:?}")]
    Timeout,
    /// Accepting or the TLS handshake failed.
    #[error("data connection failed: {0}")]
    Io(#[from] io::Error),
    /// The TLS handshake was a full one, not a resumption of the control session.
    #[error("TLS session reuse required")]
    NotResumed,
    /// The upload exceeded the size limit.
    #[error("upload larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

/// An established data connection, clear (`PROT C`) or protected (`PROT P`).
pub enum DataConn {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS that resumed the control connection's session.
    Tls(Box<TlsStream<TcpStream>>),
}

/// A passive listener waiting for its one data connection.
pub struct Passive {
    accepted: oneshot::Receiver<()>,
    conn: JoinHandle<Result<DataConn, DataError>>,
}

impl Drop for Passive {
    fn drop(&mut self) {
        self.conn.abort();
    }
}

impl Passive {
    /// Binds a loopback port and starts accepting one connection; with `tls`, the handshake
    /// starts as soon as the client connects, whether or not it waited for the `150` reply.
    pub async fn open(tls: Option<TlsAcceptor>) -> io::Result<(u16, Self)> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (accepted_tx, accepted) = oneshot::channel();
        let conn = tokio::spawn(async move {
            let (tcp, peer) = timeout(CONNECT_TIMEOUT, listener.accept())
                .await
                .map_err(|_| DataError::Timeout)??;
            debug!(ftps.data_peer = %peer, "data connection accepted");
            // The receiver may have given up already; the connection is then simply dropped.
            let _ = accepted_tx.send(());
            let Some(acceptor) = tls else {
                return Ok(DataConn::Plain(tcp));
            };
            let stream = timeout(CONNECT_TIMEOUT, acceptor.accept(tcp))
                .await
                .map_err(|_| DataError::Timeout)??;
            if stream.get_ref().1.handshake_kind() != Some(HandshakeKind::Resumed) {
                return Err(DataError::NotResumed);
            }
            Ok(DataConn::Tls(Box::new(stream)))
        });
        Ok((port, Self { accepted, conn }))
    }

    /// Waits until a client connected to the passive port (before any TLS).
    pub async fn accepted(&mut self) -> Result<(), DataError> {
        match timeout(CONNECT_TIMEOUT, &mut self.accepted).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(self.failure().await),
            Err(_) => Err(DataError::Timeout),
        }
    }

    /// The accept task's error once it ended without a connection.
    async fn failure(&mut self) -> DataError {
        match (&mut self.conn).await {
            Ok(Err(e)) => e,
            Ok(Ok(_)) => DataError::Io(io::Error::other("data connection lost")),
            Err(e) => DataError::Io(io::Error::other(e)),
        }
    }

    /// Waits for the connection, including the TLS handshake and its resumption check.
    pub async fn connection(mut self) -> Result<DataConn, DataError> {
        match (&mut self.conn).await {
            Ok(result) => result,
            Err(e) => Err(DataError::Io(io::Error::other(e))),
        }
    }
}

/// Reads until `buf` has `limit` bytes or the client ends the stream.
async fn read_limited<R: AsyncReadExt + Unpin>(
    reader: &mut R,
    limit: usize,
) -> Result<Vec<u8>, DataError> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut chunk).await {
            Ok(n) => n,
            // A client that closes without close_notify has still sent everything it meant to.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Ok(buf);
        }
        if buf.len() + n > limit {
            return Err(DataError::TooLarge { limit });
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}

impl DataConn {
    /// Receives an upload, then closes the socket WITHOUT a TLS close_notify (like the printer).
    pub async fn receive(self, limit: usize) -> Result<Vec<u8>, DataError> {
        match self {
            Self::Plain(mut tcp) => read_limited(&mut tcp, limit).await,
            Self::Tls(mut tls) => {
                let bytes = read_limited(&mut tls, limit).await?;
                // Dropping the TCP socket under the TLS session sends no alert.
                let (tcp, _session) = tls.into_inner();
                drop(tcp);
                Ok(bytes)
            }
        }
    }

    /// Sends a listing or a download and closes cleanly (close_notify on TLS).
    pub async fn send(self, bytes: &[u8]) -> Result<(), DataError> {
        match self {
            Self::Plain(mut tcp) => {
                tcp.write_all(bytes).await?;
                tcp.shutdown().await?;
            }
            Self::Tls(mut tls) => {
                tls.write_all(bytes).await?;
                tls.shutdown().await?;
            }
        }
        Ok(())
    }
}
