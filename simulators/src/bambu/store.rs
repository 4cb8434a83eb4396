//! The printer's storage: files uploaded over FTPS, kept in memory with their SHA-256, shared by the FTPS server and the print commands.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use sha2::{Digest, Sha256};

/// A file the simulated printer holds, as reported by [`super::BambuSim::uploaded`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedFile {
    /// Absolute path on the printer's storage, e.g. `/cube.gcode.3mf`.
    pub path: String,
    /// The last path component, e.g. `cube.gcode.3mf`.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the contents.
    pub sha256: String,
}

struct StoredFile {
    bytes: Arc<Vec<u8>>,
    sha256: String,
}

#[derive(Default)]
struct Inner {
    files: BTreeMap<String, StoredFile>,
    dirs: BTreeSet<String>,
}

/// Shared, cheaply cloned handle on the in-memory storage.
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<Mutex<Inner>>,
}

impl Default for FileStore {
    fn default() -> Self {
        let mut inner = Inner::default();
        // Directories a real printer's storage shows.
        for dir in ["/", "/cache", "/model", "/timelapse"] {
            inner.dirs.insert(dir.to_owned());
        }
        Self {
            inner: Arc::new(Mutex::new(inner)),
        }
    }
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("files", &self.lock().files.len())
            .finish()
    }
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A directory name.
    Dir(String),
    /// A file name and its size in bytes.
    File(String, u64),
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The last component of an absolute path.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory holding an absolute path (`/` for top-level entries).
fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

impl FileStore {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores (or replaces) a file; `sha256` is precomputed off the async path.
    pub fn put(&self, path: &str, bytes: Vec<u8>, sha256: String) {
        self.lock().files.insert(
            path.to_owned(),
            StoredFile {
                bytes: Arc::new(bytes),
                sha256,
            },
        );
    }

    /// A file's contents.
    pub fn get(&self, path: &str) -> Option<Arc<Vec<u8>>> {
        self.lock().files.get(path).map(|f| Arc::clone(&f.bytes))
    }

    /// A file's size in bytes.
    pub fn size(&self, path: &str) -> Option<u64> {
        self.lock().files.get(path).map(|f| f.bytes.len() as u64)
    }

    /// Removes a file; false when there was none.
    pub fn delete(&self, path: &str) -> bool {
        self.lock().files.remove(path).is_some()
    }

    /// Whether `path` is a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        self.lock().dirs.contains(path)
    }

    /// Creates a directory; false when its parent does not exist or a file has that name.
    pub fn make_dir(&self, path: &str) -> bool {
        let mut inner = self.lock();
        if !inner.dirs.contains(parent(path)) || inner.files.contains_key(path) {
            return false;
        }
        inner.dirs.insert(path.to_owned());
        true
    }

    /// The directories and files directly inside `dir`.
    pub fn list(&self, dir: &str) -> Vec<Entry> {
        let inner = self.lock();
        let dirs = inner
            .dirs
            .iter()
            .filter(|d| d.as_str() != "/" && parent(d) == dir)
            .map(|d| Entry::Dir(file_name(d).to_owned()));
        let files = inner
            .files
            .iter()
            .filter(|(p, _)| parent(p) == dir)
            .map(|(p, f)| Entry::File(file_name(p).to_owned(), f.bytes.len() as u64));
        dirs.chain(files).collect()
    }

    /// Every stored file, sorted by path.
    pub fn files(&self) -> Vec<UploadedFile> {
        self.lock()
            .files
            .iter()
            .map(|(path, f)| UploadedFile {
                path: path.clone(),
                name: file_name(path).to_owned(),
                size: f.bytes.len() as u64,
                sha256: f.sha256.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_shows_direct_children_only() {
        let store = FileStore::default();
        store.put("/a.3mf", b"abc".to_vec(), sha256_hex(b"abc"));
        store.put("/cache/b.gcode", b"x".to_vec(), sha256_hex(b"x"));
        let root = store.list("/");
        assert!(root.contains(&Entry::Dir("cache".into())));
        assert!(root.contains(&Entry::File("a.3mf".into(), 3)));
        assert!(!root.iter().any(|e| e == &Entry::File("b.gcode".into(), 1)));
        assert_eq!(store.list("/cache"), vec![Entry::File("b.gcode".into(), 1)]);
    }

    #[test]
    fn sha256_is_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn directories_need_an_existing_parent() {
        let store = FileStore::default();
        assert!(!store.make_dir("/x/y"));
        assert!(store.make_dir("/x"));
        assert!(store.make_dir("/x/y"));
        assert!(store.is_dir("/x/y"));
    }
}
