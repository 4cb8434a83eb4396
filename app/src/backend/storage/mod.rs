//! Blob storage: the one seam between the vault and where file bytes live.
//!
//! Everything is addressed by a [`StorageKey`] (content-addressed `blobs/…`
//! for original files, `thumbs/…` for derived images). Bytes enter through
//! [`Staging`] — streamed to a temp file while hashed and counted — and are
//! then committed with [`BlobStore::put`], which makes them visible all at once
//! or not at all. Reads stream in 64 KiB chunks and honour one HTTP byte range.
//!
//! Backends: [`LocalStore`] (a directory tree under the data dir) today, an S3
//! backend later. The trait is shaped for both: there is no rename or list
//! operation, `put` takes a whole staged file (S3: multipart upload), `get`
//! resolves the range itself (S3: a ranged GetObject), and callers never learn
//! which backend they talk to.

mod key;
mod local;
pub mod range;
mod staging;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::Stream;

pub use key::{KeyKind, Sha256Hex, StorageKey, ThumbFormat};
pub use local::LocalStore;
pub use range::{ByteRange, ResolvedRange};
pub use staging::{StagedFile, Staging, SweepReport};

/// Size of the chunks a [`BlobRead`] stream yields (the last one may be shorter).
pub const READ_CHUNK_BYTES: usize = 64 * 1024;

/// Largest payload [`BlobStore::put_bytes`] accepts; bigger things are staged.
pub const PUT_BYTES_LIMIT: u64 = 16 * 1024 * 1024;

/// A boxed, `Send` future borrowing the store (keeps [`BlobStore`] object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The body of a read: chunks of at most [`READ_CHUNK_BYTES`], in order.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send + 'static>>;

/// The shared handle held by `AppState` and every service context.
pub type Storage = Arc<dyn BlobStore>;

/// Result alias for this module.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// Where file bytes live, addressed by [`StorageKey`].
///
/// **Why a trait object and not an enum or generics:** the backend is picked
/// from configuration at boot and held as `Arc<dyn BlobStore>` ([`Storage`])
/// in the context, so services, handlers and background jobs are not generic
/// over it and no `match backend` exists anywhere (an enum would put one in
/// every method and make every new backend edit this file). A trait object
/// also lets ingestion tests substitute a fault-injecting store to prove "a
/// crash at any point leaves no row pointing at a missing blob". Native
/// `async fn` in traits is not object-safe, so methods return a [`BoxFuture`];
/// one allocation per call is noise next to the I/O it wraps.
///
/// Contract every backend keeps:
/// - an object is either absent or complete — never partially visible;
/// - `blobs/` objects are immutable: putting a present key is a no-op;
/// - `thumbs/` objects may be replaced (re-rendering); a reader sees either
///   the old or the new image whole;
/// - error messages name the operation and key, never a filesystem path or
///   backend error text (those stay in `Debug`/`source` for the logs).
pub trait BlobStore: Send + Sync + std::fmt::Debug + 'static {
    /// The staging area uploads must be written into before [`put`](Self::put).
    /// For [`LocalStore`] it is guaranteed to be on the same filesystem, so the
    /// commit is a rename; for remote backends it is a local temp directory.
    fn staging(&self) -> &Staging;

    /// Commits a staged file under `key`, consuming it (its temp file is moved
    /// or removed; it is never left behind).
    ///
    /// For a `blobs/` key the staged digest must equal the key's digest
    /// ([`StorageError::ContentMismatch`] otherwise). If the blob is already
    /// present the call does nothing and reports `already_present: true`.
    /// Two concurrent puts of one blob both succeed; each may report `false`.
    fn put<'a>(
        &'a self,
        key: &'a StorageKey,
        staged: StagedFile,
    ) -> BoxFuture<'a, Result<PutOutcome>>;

    /// Stores a small in-memory payload (thumbnails, at most
    /// [`PUT_BYTES_LIMIT`] bytes) with the same guarantees as [`put`](Self::put).
    fn put_bytes<'a>(
        &'a self,
        key: &'a StorageKey,
        bytes: Bytes,
    ) -> BoxFuture<'a, Result<PutOutcome>>;

    /// Opens an object for streaming, optionally one byte range of it.
    ///
    /// The range is resolved against the object's current size; one that
    /// cannot be served fails with [`StorageError::RangeNotSatisfiable`].
    fn get<'a>(
        &'a self,
        key: &'a StorageKey,
        range: Option<ByteRange>,
    ) -> BoxFuture<'a, Result<BlobRead>>;

    /// Size and modification time, or `None` when the object does not exist.
    fn head<'a>(&'a self, key: &'a StorageKey) -> BoxFuture<'a, Result<Option<BlobMeta>>>;

    /// Removes an object. Idempotent: `Ok(false)` when it was already absent.
    fn delete<'a>(&'a self, key: &'a StorageKey) -> BoxFuture<'a, Result<bool>>;
}

/// What [`BlobStore::put`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PutOutcome {
    /// The identical blob was already stored; nothing was written.
    pub already_present: bool,
}

/// Metadata of a stored object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobMeta {
    /// Size in bytes.
    pub size: u64,
    /// Last modification time, when the backend knows it.
    pub modified: Option<SystemTime>,
}

/// An open read of an object (see [`BlobStore::get`]).
pub struct BlobRead {
    /// Size of the whole object in bytes.
    pub total_size: u64,
    /// The range being streamed, or `None` for the whole object.
    pub range: Option<ResolvedRange>,
    /// Last modification time, when the backend knows it (for `Last-Modified`).
    pub modified: Option<SystemTime>,
    /// The bytes: exactly [`content_length`](Self::content_length) of them.
    pub stream: ByteStream,
}

impl BlobRead {
    /// How many bytes `stream` yields (the `Content-Length` to send).
    pub fn content_length(&self) -> u64 {
        self.range.map_or(self.total_size, |r| r.len())
    }
}

impl std::fmt::Debug for BlobRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobRead")
            .field("total_size", &self.total_size)
            .field("range", &self.range)
            .field("modified", &self.modified)
            .finish_non_exhaustive()
    }
}

/// A storage failure. `Display` is safe to show a user: it names the
/// operation and key but never a filesystem path or OS/backend error text;
/// those are kept in `path` and `source` for logs.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No object under this key.
    #[error("stored file {key} was not found")]
    NotFound {
        /// The key looked up.
        key: String,
    },
    /// The requested byte range lies outside the object.
    #[error("the requested range is outside the file ({size} bytes)")]
    RangeNotSatisfiable {
        /// The object's size, for `Content-Range: bytes */size`.
        size: u64,
    },
    /// The payload exceeded a size limit; nothing was kept.
    #[error("the file is larger than the limit of {limit_bytes} bytes")]
    TooLarge {
        /// The limit that was passed.
        limit_bytes: u64,
    },
    /// The text is not a canonical storage key.
    #[error("invalid storage key: {reason}")]
    InvalidKey {
        /// The offending text (truncated to 80 characters).
        key: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A `blobs/` key was given content whose SHA-256 differs from the key's.
    #[error("the content does not match its storage key {key}")]
    ContentMismatch {
        /// The key put to.
        key: String,
        /// The digest of the content actually staged.
        actual_sha256: String,
    },
    /// The incoming stream or reader failed before it ended (client went
    /// away, source file unreadable); the partial upload was discarded.
    #[error("the upload was interrupted before it was complete")]
    SourceFailed {
        /// What the source reported.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The backend failed to perform an operation.
    #[error("storage could not {op} {key}")]
    Io {
        /// What was being done ("write", "read", "move into place", …).
        op: &'static str,
        /// The key, or a description such as "staged upload".
        key: String,
        /// The filesystem path involved (logs only; never in the message).
        path: PathBuf,
        /// The underlying error (logs only).
        #[source]
        source: io::Error,
    },
}

impl StorageError {
    fn invalid_key(text: &str, reason: &'static str) -> Self {
        let key: String = text.chars().take(80).collect();
        Self::InvalidKey { key, reason }
    }

    fn io(
        op: &'static str,
        key: impl Into<String>,
        path: impl Into<PathBuf>,
        source: io::Error,
    ) -> Self {
        Self::Io {
            op,
            key: key.into(),
            path: path.into(),
            source,
        }
    }
}
