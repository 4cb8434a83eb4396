//! Staging: where incoming bytes land before they are committed to a store.
//!
//! Every upload is written to a uniquely named temp file in the staging
//! directory (`<data>/tmp` for [`LocalStore`]) *while* it is hashed with
//! SHA-256 and counted, so the content key is known the moment the last byte
//! arrives and nothing is read twice. The limit is enforced as bytes arrive:
//! the first chunk that passes it aborts the upload and the partial file is
//! deleted before the error is returned.
//!
//! Writing and hashing are blocking work, so they run on one blocking-pool task
//! per upload fed through a small bounded channel; the async side only moves
//! `Bytes` handles and checks the limit. If the upload future is dropped
//! (client disconnected), the channel closes and the worker deletes the file.
//!
//! A [`StagedFile`] owns its temp file: dropping it deletes the file unless a
//! [`BlobStore::put`] consumed it. Files orphaned by a crash are removed by
//! [`Staging::sweep`] at boot.
//!
//! [`LocalStore`]: super::LocalStore
//! [`BlobStore::put`]: super::BlobStore::put

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{READ_CHUNK_BYTES, Result, Sha256Hex, StorageError, StorageKey};

/// Every staged file's name starts with this; [`Staging::sweep`] touches nothing else.
const STAGE_PREFIX: &str = "stage-";
/// Every staged file's name ends with this.
const STAGE_SUFFIX: &str = ".part";
/// Chunks in flight between the upload and the writer task.
const CHANNEL_DEPTH: usize = 8;
/// Write buffer of the writer task (fewer syscalls for small network chunks).
const WRITE_BUFFER_BYTES: usize = 256 * 1024;
/// How the subject of staging errors is named in messages.
const SUBJECT: &str = "staged upload";

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A directory for in-progress uploads. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Staging {
    dir: Arc<PathBuf>,
}

/// An upload fully written to a temp file, with its digest and size.
///
/// The fields are private so a `StagedFile` can only come from [`Staging`]:
/// its `sha256` is always the digest of the bytes on disk, which is what makes
/// a `blobs/` key trustworthy. Dropping it deletes the file unless a store
/// consumed it.
#[derive(Debug)]
pub struct StagedFile {
    path: PathBuf,
    sha256: Sha256Hex,
    size_bytes: u64,
    armed: bool,
}

/// What [`Staging::sweep`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Number of leftover files removed.
    pub removed_files: u64,
    /// Their total size in bytes.
    pub removed_bytes: u64,
}

impl Staging {
    /// Uses (and creates if needed) `dir` as the staging directory.
    ///
    /// Prefer [`BlobStore::staging`](super::BlobStore::staging): a store's own
    /// staging area is guaranteed to suit its `put` (same filesystem for
    /// [`LocalStore`](super::LocalStore)).
    pub async fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        tokio::fs::create_dir_all(&dir).await.map_err(|e| {
            StorageError::io("create the staging directory", "staging area", &dir, e)
        })?;
        Ok(Self { dir: Arc::new(dir) })
    }

    /// The staging directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a byte stream (e.g. an HTTP request body) to a new staged file,
    /// hashing and counting as it goes.
    ///
    /// Fails with [`StorageError::TooLarge`] as soon as more than `max_bytes`
    /// arrive, and with [`StorageError::SourceFailed`] if the stream yields an
    /// error; in both cases the partial file is gone when this returns.
    pub async fn stage_stream<S, E>(&self, stream: S, max_bytes: u64) -> Result<StagedFile>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let mut stream = pin!(stream);
        let mut writer = StageWriter::start(self.dir.to_path_buf(), max_bytes);
        while let Some(item) = stream.next().await {
            let step = match item {
                Ok(chunk) => writer.push(chunk).await,
                Err(e) => Err(Some(StorageError::SourceFailed { source: e.into() })),
            };
            if let Err(reason) = step {
                return Err(writer.abort(reason).await);
            }
        }
        writer.finish().await
    }

    /// Like [`stage_stream`](Self::stage_stream) for an [`AsyncRead`] (a file
    /// being imported, a decompressed entry), read in 64 KiB chunks.
    pub async fn stage_reader<R>(&self, reader: R, max_bytes: u64) -> Result<StagedFile>
    where
        R: AsyncRead + Send,
    {
        let mut reader = pin!(reader);
        let mut writer = StageWriter::start(self.dir.to_path_buf(), max_bytes);
        loop {
            let mut buf = BytesMut::with_capacity(READ_CHUNK_BYTES);
            let step = match reader.read_buf(&mut buf).await {
                Ok(0) => break,
                Ok(_) => writer.push(buf.freeze()).await,
                Err(e) => Err(Some(StorageError::SourceFailed {
                    source: Box::new(e),
                })),
            };
            if let Err(reason) = step {
                return Err(writer.abort(reason).await);
            }
        }
        writer.finish().await
    }

    /// Stages an in-memory payload (used by `put_bytes`).
    pub async fn stage_bytes(&self, bytes: Bytes, max_bytes: u64) -> Result<StagedFile> {
        if bytes.len() as u64 > max_bytes {
            return Err(StorageError::TooLarge {
                limit_bytes: max_bytes,
            });
        }
        let dir = self.dir.to_path_buf();
        spawn_blocking(move || {
            let (file, path) = create_unique(&dir)?;
            let mut guard = RemoveOnDrop(Some(path));
            let mut file = file;
            let sha = Sha256::digest(&bytes);
            file.write_all(&bytes)
                .map_err(|e| write_error(guard.path(), e))?;
            let path = guard.disarm();
            Ok(StagedFile::new(
                path,
                Sha256Hex::from_digest(&sha.into()),
                bytes.len() as u64,
            ))
        })
        .await
    }

    /// Removes staged files left behind by a crash.
    ///
    /// Only regular files named like staged files (`stage-*.part`) directly in
    /// the staging directory are considered, and only those last modified at
    /// least `older_than` ago. At boot, before any upload can start, call it
    /// with [`Duration::ZERO`] to remove every leftover. While the server runs,
    /// pass a generous age (hours): a live upload keeps touching its file, but
    /// a finished-but-not-yet-committed one does not.
    pub async fn sweep(&self, older_than: Duration) -> Result<SweepReport> {
        let dir = self.dir.to_path_buf();
        let report = spawn_blocking(move || sweep_dir(&dir, older_than)).await?;
        if report.removed_files > 0 {
            tracing::info!(
                files = report.removed_files,
                size_bytes = report.removed_bytes,
                "removed leftover staged uploads"
            );
        }
        Ok(report)
    }
}

impl StagedFile {
    fn new(path: PathBuf, sha256: Sha256Hex, size_bytes: u64) -> Self {
        Self {
            path,
            sha256,
            size_bytes,
            armed: true,
        }
    }

    /// The temp file (for parsing or hashing the upload before it is
    /// committed). Never show it to users.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SHA-256 of the bytes, lowercase hex.
    pub fn sha256(&self) -> &Sha256Hex {
        &self.sha256
    }

    /// Number of bytes.
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    /// The content-addressed key these bytes belong under.
    pub fn blob_key(&self) -> StorageKey {
        StorageKey::blob(&self.sha256)
    }

    /// Called by a store once the file has been moved away (or removed): the
    /// destructor must no longer touch the path.
    pub(super) fn mark_consumed(&mut self) {
        self.armed = false;
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if self.armed {
            // A single unlink: fast enough to do inline even on an async thread.
            remove_quietly(&self.path);
        }
    }
}

/// Messages from the upload to its writer task.
enum Msg {
    Chunk(Bytes),
    Finish,
}

/// The async half of one upload: counts bytes and feeds the writer task.
struct StageWriter {
    tx: mpsc::Sender<Msg>,
    worker: JoinHandle<Result<Option<StagedFile>>>,
    received: u64,
    max_bytes: u64,
    started: Instant,
}

impl StageWriter {
    fn start(dir: PathBuf, max_bytes: u64) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL_DEPTH);
        let worker = tokio::task::spawn_blocking(move || write_worker(&dir, rx));
        Self {
            tx,
            worker,
            received: 0,
            max_bytes,
            started: Instant::now(),
        }
    }

    /// Counts and forwards one chunk. `Err(Some(e))`: the upload must stop
    /// with `e`; `Err(None)`: the writer task already stopped (its result says why).
    async fn push(&mut self, chunk: Bytes) -> std::result::Result<(), Option<StorageError>> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.received = self.received.saturating_add(chunk.len() as u64);
        if self.received > self.max_bytes {
            let limit_bytes = self.max_bytes;
            tracing::info!(limit_bytes, "upload rejected: over the size limit");
            return Err(Some(StorageError::TooLarge { limit_bytes }));
        }
        self.tx.send(Msg::Chunk(chunk)).await.map_err(|_| None)
    }

    async fn finish(self) -> Result<StagedFile> {
        if self.tx.send(Msg::Finish).await.is_err() {
            return Err(self.abort(None).await);
        }
        let started = self.started;
        match join(self.worker).await? {
            Some(staged) => {
                tracing::debug!(
                    file.sha256 = %staged.sha256,
                    size_bytes = staged.size_bytes,
                    duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "upload staged"
                );
                Ok(staged)
            }
            None => Err(writer_stopped()),
        }
    }

    /// Closes the channel and waits until the writer has deleted the partial
    /// file, then returns `reason`, or the writer's own error if there is none.
    async fn abort(self, reason: Option<StorageError>) -> StorageError {
        drop(self.tx);
        let outcome = join(self.worker).await;
        match (reason, outcome) {
            (Some(reason), Err(e)) => {
                tracing::warn!(error = ?e, "staging writer failed while aborting");
                reason
            }
            (Some(reason), Ok(_)) => reason,
            (None, Err(e)) => e,
            (None, Ok(_)) => writer_stopped(),
        }
    }
}

fn writer_stopped() -> StorageError {
    StorageError::io(
        "write",
        SUBJECT,
        PathBuf::new(),
        io::Error::other("staging writer stopped early"),
    )
}

/// The blocking half: create the file, hash and write every chunk, and either
/// return the finished file or (channel closed without `Finish`, or an error)
/// delete it.
fn write_worker(dir: &Path, mut rx: mpsc::Receiver<Msg>) -> Result<Option<StagedFile>> {
    let (file, path) = create_unique(dir)?;
    let mut guard = RemoveOnDrop(Some(path));
    let mut out = BufWriter::with_capacity(WRITE_BUFFER_BYTES, file);
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    loop {
        match rx.blocking_recv() {
            Some(Msg::Chunk(chunk)) => {
                hasher.update(&chunk);
                out.write_all(&chunk)
                    .map_err(|e| write_error(guard.path(), e))?;
                size += chunk.len() as u64;
            }
            Some(Msg::Finish) => break,
            None => return Ok(None), // aborted: the guard deletes the file
        }
    }
    out.flush().map_err(|e| write_error(guard.path(), e))?;
    drop(out);
    let digest: [u8; 32] = hasher.finalize().into();
    Ok(Some(StagedFile::new(
        guard.disarm(),
        Sha256Hex::from_digest(&digest),
        size,
    )))
}

/// Creates `stage-<pid>-<nanos>-<n>.part` exclusively (never reuses a name).
fn create_unique(dir: &Path) -> Result<(File, PathBuf)> {
    let pid = std::process::id();
    let mut last_err = None;
    for _ in 0..16 {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{STAGE_PREFIX}{pid}-{nanos}-{n}{STAGE_SUFFIX}"));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last_err = Some((path, e)),
            Err(e) => return Err(StorageError::io("create a temp file for", SUBJECT, path, e)),
        }
    }
    let (path, e) =
        last_err.unwrap_or_else(|| (dir.to_path_buf(), io::Error::other("no attempt made")));
    Err(StorageError::io("create a temp file for", SUBJECT, path, e))
}

fn sweep_dir(dir: &Path, older_than: Duration) -> Result<SweepReport> {
    let mut report = SweepReport::default();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(report),
        Err(e) => return Err(StorageError::io("list", "staging area", dir, e)),
    };
    let now = SystemTime::now();
    for entry in entries {
        let entry = entry.map_err(|e| StorageError::io("list", "staging area", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(STAGE_PREFIX) && name.ends_with(STAGE_SUFFIX)) {
            continue;
        }
        // `DirEntry::metadata` does not follow symlinks: a link is never "a file".
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or(Duration::ZERO);
        if older_than > Duration::ZERO && age < older_than {
            continue;
        }
        match fs::remove_file(entry.path()) {
            Ok(()) => {
                report.removed_files += 1;
                report.removed_bytes += meta.len();
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(StorageError::io(
                    "remove a leftover upload from",
                    "staging area",
                    entry.path(),
                    e,
                ));
            }
        }
    }
    Ok(report)
}

/// Deletes the file at its path when dropped, unless disarmed.
struct RemoveOnDrop(Option<PathBuf>);

impl RemoveOnDrop {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn disarm(&mut self) -> PathBuf {
        self.0.take().unwrap_or_default()
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            remove_quietly(&path);
        }
    }
}

fn remove_quietly(path: &Path) {
    if let Err(e) = fs::remove_file(path)
        && e.kind() != io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "could not remove a staged file");
    }
}

fn write_error(path: &Path, e: io::Error) -> StorageError {
    StorageError::io("write", SUBJECT, path, e)
}

/// Runs blocking storage work off the async threads.
pub(super) async fn spawn_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    join(tokio::task::spawn_blocking(f)).await
}

async fn join<T>(handle: JoinHandle<Result<T>>) -> Result<T> {
    match handle.await {
        Ok(result) => result,
        Err(e) => {
            // A panic or a runtime shutting down; never user-caused.
            Err(StorageError::io(
                "complete",
                "storage task",
                PathBuf::new(),
                io::Error::other(e.to_string()),
            ))
        }
    }
}
