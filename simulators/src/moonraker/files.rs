//! The in-memory file roots (`gcodes`, `config`): stored bytes, their SHA-256
//! and G-code scan, directories, and path validation.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::error::SimError;
use super::gcode::{self, GcodeInfo};

/// Roots a client may write to.
pub(crate) const WRITABLE_ROOTS: [&str; 2] = ["gcodes", "config"];

/// Extensions listed in the `gcodes` root (Moonraker hides everything else there).
const GCODE_EXTENSIONS: [&str; 5] = ["gcode", "g", "gco", "ufp", "nc"];

/// Where the fake host keeps its files; used for absolute paths such as `virtual_sdcard.file_path`.
pub(crate) const DATA_DIR: &str = "/home/pi/printer_data";

/// A file the simulator holds, as reported by [`MoonrakerSim::uploaded`](super::MoonrakerSim::uploaded).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UploadedFile {
    /// Root it lives in (`gcodes` or `config`).
    pub root: String,
    /// Path relative to the root, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
    /// Unix time of the upload, seconds.
    pub modified: f64,
}

/// One stored file.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub data: Bytes,
    pub sha256: String,
    pub modified: f64,
    /// Present for files with a G-code extension.
    pub gcode: Option<Arc<GcodeInfo>>,
}

impl StoredFile {
    /// Hashes and (for G-code) scans `data`. CPU work: call from `spawn_blocking` for big files.
    pub(crate) fn prepare(path: &str, data: Bytes, modified: f64) -> Self {
        let sha256 = sha256_hex(&data);
        let gcode = is_gcode(path).then(|| Arc::new(gcode::scan(&data)));
        Self {
            data,
            sha256,
            modified,
            gcode,
        }
    }

    /// Moonraker's file item: `{path, root, modified, size, permissions}`.
    pub(crate) fn item(&self, root: &str, path: &str) -> Value {
        json!({
            "path": path,
            "root": root,
            "modified": self.modified,
            "size": self.data.len(),
            "permissions": "rw",
        })
    }
}

/// All roots' files plus the directories that exist.
#[derive(Debug, Default)]
pub(crate) struct FileStore {
    files: BTreeMap<(String, String), StoredFile>,
    dirs: BTreeSet<(String, String)>,
}

impl FileStore {
    /// Stores (or replaces) a file; returns whether it replaced one.
    pub(crate) fn insert(&mut self, root: &str, path: &str, file: StoredFile) -> bool {
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.create_dirs(root, parent);
        }
        self.files
            .insert((root.to_owned(), path.to_owned()), file)
            .is_some()
    }

    /// Creates `dir` and all its ancestors.
    pub(crate) fn create_dirs(&mut self, root: &str, dir: &str) {
        let mut acc = String::new();
        for part in dir.split('/').filter(|p| !p.is_empty()) {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(part);
            self.dirs.insert((root.to_owned(), acc.clone()));
        }
    }

    /// Whether `dir` (relative to the root; `""` is the root itself) exists.
    pub(crate) fn dir_exists(&self, root: &str, dir: &str) -> bool {
        dir.is_empty() || self.dirs.contains(&(root.to_owned(), dir.to_owned()))
    }

    pub(crate) fn get(&self, root: &str, path: &str) -> Option<&StoredFile> {
        self.files.get(&(root.to_owned(), path.to_owned()))
    }

    pub(crate) fn remove(&mut self, root: &str, path: &str) -> Option<StoredFile> {
        self.files.remove(&(root.to_owned(), path.to_owned()))
    }

    /// `server.files.list` items of one root (G-code extensions only in `gcodes`).
    pub(crate) fn list(&self, root: &str) -> Vec<Value> {
        self.files
            .iter()
            .filter(|((r, p), _)| r == root && (root != "gcodes" || is_gcode(p)))
            .map(|((_, p), f)| {
                json!({"path": p, "modified": f.modified, "size": f.data.len(), "permissions": "rw"})
            })
            .collect()
    }

    /// Every stored file with its hash.
    pub(crate) fn uploaded(&self) -> Vec<UploadedFile> {
        self.files
            .iter()
            .map(|((root, path), f)| UploadedFile {
                root: root.clone(),
                path: path.clone(),
                size: f.data.len() as u64,
                sha256: f.sha256.clone(),
                modified: f.modified,
            })
            .collect()
    }
}

/// Normalizes a client path: strips leading `/`, drops `.` and empty parts,
/// and rejects `..` and control characters. The result may be empty.
pub(crate) fn normalize(path: &str) -> Result<String, SimError> {
    let mut parts = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err(SimError::BadRequest(format!("Invalid path: {path}"))),
            p if p.chars().any(char::is_control) => {
                return Err(SimError::BadRequest(format!("Invalid path: {path}")));
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Splits `gcodes/sub/x.gcode` into a known root and a normalized, non-empty path.
pub(crate) fn split_root(full: &str) -> Result<(String, String), SimError> {
    let full = normalize(full)?;
    let (root, path) = full
        .split_once('/')
        .ok_or_else(|| SimError::BadRequest(format!("Invalid file path: {full}")))?;
    if !WRITABLE_ROOTS.contains(&root) {
        return Err(SimError::NotFound(format!("Invalid root: {root}")));
    }
    Ok((root.to_owned(), path.to_owned()))
}

/// Whether Moonraker lists `path` in the `gcodes` root.
pub(crate) fn is_gcode(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| GCODE_EXTENSIONS.iter().any(|e| ext.eq_ignore_ascii_case(e)))
}

/// Lowercase hex SHA-256.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Seconds since the Unix epoch, as Moonraker's `modified` fields.
pub(crate) fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_and_dotdot_rejected() {
        assert_eq!(
            normalize("/a//b/./c.gcode").ok().as_deref(),
            Some("a/b/c.gcode")
        );
        assert!(normalize("a/../b").is_err());
        assert!(split_root("gcodes").is_err());
        assert!(split_root("logs/x.log").is_err());
        assert_eq!(
            split_root("gcodes/x.gcode").ok(),
            Some(("gcodes".to_owned(), "x.gcode".to_owned()))
        );
    }

    #[test]
    fn listing_hides_non_gcode_in_gcodes_root() {
        let mut store = FileStore::default();
        store.insert(
            "gcodes",
            "a.gcode",
            StoredFile::prepare("a.gcode", Bytes::from_static(b"G1"), 1.0),
        );
        store.insert(
            "gcodes",
            "b.txt",
            StoredFile::prepare("b.txt", Bytes::from_static(b"x"), 1.0),
        );
        assert_eq!(store.list("gcodes").len(), 1);
        assert_eq!(store.uploaded().len(), 2);
        assert_eq!(store.uploaded()[0].sha256, sha256_hex(b"G1"));
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
