//! File formats the vault understands: readers for meshes (STL, OBJ, 3MF),
//! G-code (plain and Prusa binary), slicer metadata, and the canonical mesh
//! identity. Pure code: no Leptos, SeaORM, tokio or axum in here.

pub mod bgcode;
pub mod gcode;
pub mod hashing;
pub mod inspect;
pub mod mesh;
pub mod mesh_reader;
#[cfg(test)]
mod mesh_testkit;
pub mod obj;
pub mod package;
pub mod preview_mesh;
pub mod project3mf;
pub mod slicer_meta;
pub mod stl;
pub mod threemf;

/// Resource limits applied to every untrusted file; each limit hit is a
/// [`FormatError::LimitExceeded`] naming the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most triangles a mesh may have.
    pub max_triangles: u64,
    /// Most bytes any decompression (zip entry, deflate/heatshrink block) may produce in total.
    pub max_decompressed_bytes: u64,
    /// Most entries a zip package (3MF) may list.
    pub max_zip_entries: usize,
    /// Highest allowed ratio of decompressed to compressed size for one zip entry.
    pub max_compression_ratio: u64,
    /// Deepest XML element nesting accepted.
    pub max_xml_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_triangles: 20_000_000,
            max_decompressed_bytes: 2 * 1024 * 1024 * 1024,
            max_zip_entries: 10_000,
            max_compression_ratio: 1_000,
            max_xml_depth: 64,
        }
    }
}

/// Which limit of [`Limits`] was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    MaxTriangles,
    MaxDecompressedBytes,
    MaxZipEntries,
    MaxCompressionRatio,
    MaxXmlDepth,
}

impl std::fmt::Display for LimitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::MaxTriangles => "max_triangles",
            Self::MaxDecompressedBytes => "max_decompressed_bytes",
            Self::MaxZipEntries => "max_zip_entries",
            Self::MaxCompressionRatio => "max_compression_ratio",
            Self::MaxXmlDepth => "max_xml_depth",
        })
    }
}

/// Everything that can go wrong reading a file. Messages are for users.
/// Helpers: add variants you need; keep messages readable.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// Reading the underlying bytes failed.
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),
    /// A configured limit was exceeded.
    #[error("file exceeds the {limit} limit ({limit_value})")]
    LimitExceeded { limit: LimitKind, limit_value: u64 },
    /// The file ends before its structure says it should.
    #[error("{format} file is truncated: {detail}")]
    Truncated {
        format: &'static str,
        detail: String,
    },
    /// The file's contents do not follow its format.
    #[error("{format} file is malformed: {detail}")]
    Malformed {
        format: &'static str,
        detail: String,
    },
    /// The file is not of any kind the vault understands.
    #[error("unrecognised file type")]
    Unrecognised,
    /// A zip entry name could escape its folder (`..`, absolute path, drive letter).
    #[error("package entry has an unsafe name: {name}")]
    UnsafeEntryName { name: String },
    /// A part the package needs is not in it.
    #[error("package has no part named {name}")]
    MissingPart { name: String },
    /// A stored checksum does not match the data (corrupted download or disk).
    #[error("{format} file is corrupted: checksum mismatch in the block at byte {offset}")]
    ChecksumMismatch {
        format: &'static str,
        offset: u64,
        expected: u32,
        actual: u32,
    },
}
