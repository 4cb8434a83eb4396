//! `LocalStore`: the filesystem backend — objects are files under a root
//! directory (normally the data dir), at the relative path spelled by their
//! key:
//!
//! ```text
//! <root>/blobs/ab/cd/abcd…         original files (immutable)
//! <root>/thumbs/ab/abcd…-grid.webp thumbnails (replaceable)
//! <root>/tmp/stage-….part          staging area (uploads in progress)
//! ```
//!
//! **Crash safety.** A final path only ever appears through `rename(2)` of a
//! complete, fsynced staged file, and `rename` atomically replaces any previous
//! entry, so a reader (or a reboot) sees either no file or the whole file —
//! never a prefix. After the rename the parent directory is fsynced so the new
//! entry survives power loss before `put` returns (and therefore before any
//! database row can point at it). Newly created shard directories are fsynced
//! into their parents as well.
//!
//! **Same filesystem.** `rename` cannot cross filesystems (or mount points), so
//! the staging directory is always `<root>/tmp`, created by [`LocalStore::open`],
//! which also proves the property by renaming a probe file from `tmp/` into
//! `blobs/` and `thumbs/`. Mounting something else at `<root>/tmp`,
//! `<root>/blobs` or `<root>/thumbs` therefore fails at boot, not at the first
//! upload. Uploads must be staged through [`BlobStore::staging`].
//!
//! Empty shard directories are never removed: a concurrent `put` may be about
//! to rename into one, and at most 65 536 + 256 of them can exist.

use std::fs::{self, File};
use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use futures_util::stream;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::staging::spawn_blocking;
use super::{
    BlobMeta, BlobRead, BlobStore, BoxFuture, ByteRange, KeyKind, PUT_BYTES_LIMIT, PutOutcome,
    READ_CHUNK_BYTES, Result, StagedFile, Staging, StorageError, StorageKey,
};

/// Name of the staging directory under the root.
const STAGING_DIR: &str = "tmp";
/// Top-level namespaces, one directory each.
const NAMESPACES: [&str; 2] = ["blobs", "thumbs"];

static NEXT_PROBE: AtomicU64 = AtomicU64::new(0);

/// Objects stored as files under a root directory (see the module docs).
#[derive(Clone, Debug)]
pub struct LocalStore {
    root: Arc<PathBuf>,
    staging: Staging,
}

impl LocalStore {
    /// Opens the store at `root`, creating `blobs/`, `thumbs/` and the staging
    /// directory `tmp/`, and verifying that files can be renamed from `tmp/`
    /// into both namespaces (same filesystem and mount).
    ///
    /// Does not sweep the staging directory; call
    /// `store.staging().sweep(Duration::ZERO)` once at boot.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        let staging = Staging::new(root.join(STAGING_DIR)).await?;
        let probe_root = root.clone();
        let staging_dir = staging.dir().to_path_buf();
        spawn_blocking(move || {
            for ns in NAMESPACES {
                let dir = probe_root.join(ns);
                fs::create_dir_all(&dir)
                    .map_err(|e| StorageError::io("create the folder", ns, &dir, e))?;
                probe_rename(&staging_dir, &dir, ns)?;
            }
            Ok(())
        })
        .await?;
        tracing::info!(storage.root = %root.display(), "local storage opened");
        Ok(Self {
            root: Arc::new(root),
            staging,
        })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file behind a key. Safe: a valid key is a relative path of plain
    /// segments (see `key.rs`).
    fn path_of(&self, key: &StorageKey) -> PathBuf {
        self.root.join(key.as_str())
    }
}

impl BlobStore for LocalStore {
    fn staging(&self) -> &Staging {
        &self.staging
    }

    fn put<'a>(
        &'a self,
        key: &'a StorageKey,
        staged: StagedFile,
    ) -> BoxFuture<'a, Result<PutOutcome>> {
        Box::pin(async move {
            if key.kind() == KeyKind::Blob && staged.sha256().as_str() != key.sha256() {
                return Err(StorageError::ContentMismatch {
                    key: key.to_string(),
                    actual_sha256: staged.sha256().to_string(),
                });
            }
            let started = Instant::now();
            let size_bytes = staged.size_bytes();
            let root = Arc::clone(&self.root);
            let owned_key = key.clone();
            let already_present = spawn_blocking(move || {
                let mut staged = staged;
                // On any error `staged` is dropped here and removes its temp file.
                commit(&root, &owned_key, &mut staged)
            })
            .await?;
            tracing::debug!(
                storage.key = %key,
                size_bytes,
                already_present,
                duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "object stored"
            );
            Ok(PutOutcome { already_present })
        })
    }

    fn put_bytes<'a>(
        &'a self,
        key: &'a StorageKey,
        bytes: Bytes,
    ) -> BoxFuture<'a, Result<PutOutcome>> {
        Box::pin(async move {
            let staged = self.staging.stage_bytes(bytes, PUT_BYTES_LIMIT).await?;
            self.put(key, staged).await
        })
    }

    fn get<'a>(
        &'a self,
        key: &'a StorageKey,
        range: Option<ByteRange>,
    ) -> BoxFuture<'a, Result<BlobRead>> {
        Box::pin(async move {
            let path = self.path_of(key);
            let mut file = match tokio::fs::File::open(&path).await {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(StorageError::NotFound {
                        key: key.to_string(),
                    });
                }
                Err(e) => return Err(StorageError::io("open", key.as_str(), path, e)),
            };
            let meta = file
                .metadata()
                .await
                .map_err(|e| StorageError::io("read", key.as_str(), &path, e))?;
            if !meta.is_file() {
                return Err(StorageError::NotFound {
                    key: key.to_string(),
                });
            }
            let total_size = meta.len();
            let range = range
                .map(|r| r.resolve(total_size))
                .transpose()
                .map_err(|u| StorageError::RangeNotSatisfiable { size: u.size })?;
            let (start, len) = range.map_or((0, total_size), |r| (r.first(), r.len()));
            if start > 0 {
                file.seek(SeekFrom::Start(start))
                    .await
                    .map_err(|e| StorageError::io("read", key.as_str(), &path, e))?;
            }
            Ok(BlobRead {
                total_size,
                range,
                modified: meta.modified().ok(),
                stream: chunk_stream(file, len),
            })
        })
    }

    fn head<'a>(&'a self, key: &'a StorageKey) -> BoxFuture<'a, Result<Option<BlobMeta>>> {
        Box::pin(async move {
            let path = self.path_of(key);
            match tokio::fs::metadata(&path).await {
                Ok(meta) if meta.is_file() => Ok(Some(BlobMeta {
                    size: meta.len(),
                    modified: meta.modified().ok(),
                })),
                Ok(_) => Ok(None),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StorageError::io("look up", key.as_str(), path, e)),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a StorageKey) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            let path = self.path_of(key);
            let owned_key = key.clone();
            let removed = spawn_blocking(move || match fs::remove_file(&path) {
                Ok(()) => {
                    // Make the removal durable: a blob resurrected by a crash
                    // after its row is gone would be an orphan no query finds.
                    if let Some(parent) = path.parent() {
                        sync_dir(parent).map_err(|e| {
                            StorageError::io("delete", owned_key.as_str(), parent, e)
                        })?;
                    }
                    Ok(true)
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(StorageError::io("delete", owned_key.as_str(), path, e)),
            })
            .await?;
            tracing::debug!(storage.key = %key, removed, "object deleted");
            Ok(removed)
        })
    }
}

/// Moves `staged` to its final place (blocking). Returns whether an identical
/// blob was already there (in which case nothing was written).
fn commit(root: &Path, key: &StorageKey, staged: &mut StagedFile) -> Result<bool> {
    let target = root.join(key.as_str());
    if key.kind() == KeyKind::Blob {
        match fs::metadata(&target) {
            // Same digest (the key) and same size: the same bytes.
            Ok(meta) if meta.is_file() && meta.len() == staged.size_bytes() => return Ok(true),
            Ok(meta) => {
                tracing::warn!(
                    storage.key = %key,
                    size_bytes = meta.len(),
                    expected_size_bytes = staged.size_bytes(),
                    "stored blob has the wrong size; replacing it"
                );
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StorageError::io("look up", key.as_str(), target, e)),
        }
    }

    // The bytes must be on disk before the name is.
    File::open(staged.path())
        .and_then(|f| f.sync_all())
        .map_err(|e| StorageError::io("flush", key.as_str(), staged.path(), e))?;

    create_parents(root, key)?;
    if let Err(e) = fs::rename(staged.path(), &target) {
        return Err(StorageError::io(
            "move into place",
            key.as_str(),
            staged.path(),
            e,
        ));
    }
    staged.mark_consumed();
    if let Some(parent) = target.parent() {
        sync_dir(parent)
            .map_err(|e| StorageError::io("flush the folder of", key.as_str(), parent, e))?;
    }
    Ok(false)
}

/// Creates the key's parent directories one level at a time, fsyncing the
/// parent of each one created so the new entry is durable.
fn create_parents(root: &Path, key: &StorageKey) -> Result<()> {
    let mut segments: Vec<&str> = key.as_str().split('/').collect();
    segments.pop(); // the file name
    let mut dir = root.to_path_buf();
    for segment in segments {
        let parent = dir.clone();
        dir.push(segment);
        match fs::create_dir(&dir) {
            Ok(()) => {
                sync_dir(&parent).map_err(|e| {
                    StorageError::io("create folders for", key.as_str(), &parent, e)
                })?;
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(StorageError::io("create folders for", key.as_str(), dir, e)),
        }
    }
    Ok(())
}

/// Proves that a file can be renamed from the staging dir into `dir`.
fn probe_rename(staging_dir: &Path, dir: &Path, ns: &str) -> Result<()> {
    let name = format!(
        ".probe-{}-{}",
        std::process::id(),
        NEXT_PROBE.fetch_add(1, Ordering::Relaxed)
    );
    let from = staging_dir.join(&name);
    let to = dir.join(&name);
    File::create(&from)
        .map_err(|e| StorageError::io("write a probe file to", "staging area", &from, e))?;
    let renamed = fs::rename(&from, &to);
    let _ = fs::remove_file(&from);
    let _ = fs::remove_file(&to);
    renamed.map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::CrossesDevices {
            "use the staging folder for (it must be on the same filesystem as)"
        } else {
            "move a probe file into"
        };
        StorageError::io(hint, ns, to, e)
    })
}

/// Streams `len` bytes from the file's current position in chunks of
/// [`READ_CHUNK_BYTES`]. A file shorter than expected ends the stream with
/// `UnexpectedEof` rather than silently sending fewer bytes.
fn chunk_stream(file: tokio::fs::File, len: u64) -> super::ByteStream {
    Box::pin(stream::try_unfold(
        (file, len),
        |(mut file, remaining)| async move {
            if remaining == 0 {
                return Ok(None);
            }
            let want =
                usize::try_from(remaining).map_or(READ_CHUNK_BYTES, |r| r.min(READ_CHUNK_BYTES));
            let mut buf = vec![0u8; want];
            file.read_exact(&mut buf).await?;
            Ok(Some((Bytes::from(buf), (file, remaining - want as u64))))
        },
    ))
}

/// fsyncs a directory so entries created or removed in it are durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        // Directories cannot be opened for syncing on other platforms; NTFS
        // journals metadata itself.
        let _ = dir;
        Ok(())
    }
}
