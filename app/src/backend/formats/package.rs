//! Safe reader for ZIP/OPC packages (3MF files, Bambu/Orca/Prusa projects).
//!
//! A [`Package`] wraps the `zip` crate with the checks an untrusted upload
//! needs: the entry count is checked against [`Limits::max_zip_entries`]
//! before the central directory is parsed, every entry name is validated at
//! open time (path traversal, absolute paths, backslash tricks and NULs are
//! rejected with [`FormatError::UnsafeEntryName`]), and every read counts the
//! bytes actually produced by the decompressor — never the sizes claimed in
//! the headers — against [`Limits::max_decompressed_bytes`] (a budget for the
//! whole package) and [`Limits::max_compression_ratio`] (per entry). Part
//! names follow OPC conventions: lookups accept a leading `/`, fall back to a
//! case-insensitive match, and relationship targets are resolved relative to
//! their source part by [`resolve_target`]. [`Package::relationships`] parses
//! `_rels/*.rels` parts so callers can find the 3MF start part or thumbnail.

use std::io::{Cursor, Read, Seek, SeekFrom};

use quick_xml::events::Event;

use super::{FormatError, LimitKind, Limits};

/// Entries whose decompressed size stays below this many bytes are never
/// rejected by the compression-ratio check: a tiny, highly compressible part
/// (an all-default config, padding) is harmless, while the ratio still stops
/// bombs that expand to megabytes.
const RATIO_FLOOR_BYTES: u64 = 1 << 20;

/// Bytes read per step while inflating an entry.
const READ_CHUNK: usize = 64 * 1024;

/// Largest up-front allocation made from a header's claimed size; beyond it
/// the buffer grows as real bytes arrive.
const MAX_PREALLOC: u64 = 64 * 1024 * 1024;

/// One relationship from an OPC `.rels` part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    /// The `Id` attribute (e.g. `rel-1`).
    pub id: String,
    /// The `Type` URI (e.g. the 3MF model or thumbnail relationship type).
    pub rel_type: String,
    /// The `Target` exactly as written (absolute `/3D/3dmodel.model` or relative).
    pub target: String,
}

/// Relationship type of the 3MF start part (the root model).
pub const REL_TYPE_3D_MODEL: &str = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel";
/// Relationship type of an OPC package thumbnail.
pub const REL_TYPE_THUMBNAIL: &str =
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail";

/// A validated ZIP package opened for reading.
///
/// Reading takes `&mut self` because the decompression budget is shared by
/// all reads from the same package.
pub struct Package<R: Read + Seek> {
    archive: zip::ZipArchive<R>,
    /// Entry names in archive order, exactly as stored (never starting with `/`).
    names: Vec<String>,
    limits: Limits,
    /// Decompressed bytes produced so far by all reads.
    decompressed_total: u64,
}

impl<'a> Package<Cursor<&'a [u8]>> {
    /// Opens a package held in memory.
    pub fn from_bytes(bytes: &'a [u8], limits: &Limits) -> Result<Self, FormatError> {
        Self::open(Cursor::new(bytes), limits)
    }
}

impl<R: Read + Seek> Package<R> {
    /// Opens a package, checking the entry count and every entry name.
    pub fn open(mut reader: R, limits: &Limits) -> Result<Self, FormatError> {
        precheck_entry_count(&mut reader, limits)?;
        let archive = zip::ZipArchive::new(reader).map_err(zip_error)?;
        if archive.len() > limits.max_zip_entries {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::MaxZipEntries,
                limit_value: limits.max_zip_entries as u64,
            });
        }
        let mut names = Vec::with_capacity(archive.len());
        for index in 0..archive.len() {
            let name = archive
                .name_for_index(index)
                .ok_or_else(|| FormatError::Malformed {
                    format: "zip",
                    detail: format!("entry {index} has no name"),
                })?;
            check_entry_name(name)?;
            names.push(name.to_owned());
        }
        Ok(Self {
            archive,
            names,
            limits: limits.clone(),
            decompressed_total: 0,
        })
    }

    /// All entry names in archive order (directories included, ending in `/`).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// The first entry name matching `predicate`.
    pub fn find(&self, mut predicate: impl FnMut(&str) -> bool) -> Option<&str> {
        self.names().find(|name| predicate(name))
    }

    /// The stored entry name for a part name: a leading `/` is ignored, an
    /// exact match wins, otherwise the first case-insensitive match.
    pub fn resolve(&self, part_name: &str) -> Option<&str> {
        let wanted = part_name.trim_start_matches('/');
        self.names()
            .find(|name| *name == wanted)
            .or_else(|| self.names().find(|name| name.eq_ignore_ascii_case(wanted)))
    }

    /// Whether a part exists (same matching rules as [`Package::resolve`]).
    pub fn contains(&self, part_name: &str) -> bool {
        self.resolve(part_name).is_some()
    }

    /// Bytes decompressed so far by all reads from this package.
    pub fn decompressed_bytes(&self) -> u64 {
        self.decompressed_total
    }

    /// Reads a whole part (same matching rules as [`Package::resolve`]),
    /// enforcing the decompression budget and the compression ratio.
    pub fn read(&mut self, part_name: &str) -> Result<Vec<u8>, FormatError> {
        let index = self.index_of(part_name)?;
        self.read_index(index, u64::MAX)
    }

    /// Like [`Package::read`] but fails with `Malformed` once the part grows
    /// beyond `max_bytes` (for parts that are only useful when small, e.g.
    /// `.rels` or config files).
    pub fn read_at_most(
        &mut self,
        part_name: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>, FormatError> {
        let index = self.index_of(part_name)?;
        self.read_index(index, max_bytes)
    }

    /// Relationships of `source_part` (its `_rels/<name>.rels` part); the
    /// package itself is the source `""` or `"/"`. A missing `.rels` part
    /// yields an empty list.
    pub fn relationships(&mut self, source_part: &str) -> Result<Vec<Relationship>, FormatError> {
        let rels_name = rels_part_name(source_part);
        if !self.contains(&rels_name) {
            return Ok(Vec::new());
        }
        let bytes = self.read_at_most(&rels_name, 16 * 1024 * 1024)?;
        parse_relationships(&bytes, self.limits.max_xml_depth)
    }

    /// The 3MF start part from `_rels/.rels` (normalised, no leading `/`) if
    /// it names an existing part, else `3D/3dmodel.model` if present.
    pub fn start_part_3mf(&mut self) -> Result<Option<String>, FormatError> {
        for rel in self.relationships("/")? {
            if rel.rel_type == REL_TYPE_3D_MODEL {
                let target = resolve_target("/", &rel.target);
                if let Some(name) = self.resolve(&target) {
                    return Ok(Some(name.to_owned()));
                }
            }
        }
        Ok(self.resolve("3D/3dmodel.model").map(str::to_owned))
    }

    fn index_of(&self, part_name: &str) -> Result<usize, FormatError> {
        let stored = self
            .resolve(part_name)
            .ok_or_else(|| FormatError::MissingPart {
                name: part_name.to_owned(),
            })?;
        self.names
            .iter()
            .position(|name| name == stored)
            .ok_or_else(|| FormatError::MissingPart {
                name: part_name.to_owned(),
            })
    }

    /// Opens a part for streaming (same matching rules as
    /// [`Package::resolve`]). The reader enforces the same limits as
    /// [`Package::read`]; a limit hit surfaces as an `io::Error` that
    /// [`limit_error_from_io`] turns back into the typed error.
    pub fn open_part(&mut self, part_name: &str) -> Result<PartReader<'_, R>, FormatError> {
        let index = self.index_of(part_name)?;
        self.open_index(index, u64::MAX)
    }

    fn open_index(
        &mut self,
        index: usize,
        max_bytes: u64,
    ) -> Result<PartReader<'_, R>, FormatError> {
        let limits = &self.limits;
        let entry = self.archive.by_index(index).map_err(zip_error)?;
        let ratio_cap = entry
            .compressed_size()
            .saturating_mul(limits.max_compression_ratio)
            .max(RATIO_FLOOR_BYTES);
        Ok(PartReader {
            entry,
            total: &mut self.decompressed_total,
            total_limit: limits.max_decompressed_bytes,
            ratio: limits.max_compression_ratio,
            ratio_cap,
            max_bytes,
            produced: 0,
        })
    }

    fn read_index(&mut self, index: usize, max_bytes: u64) -> Result<Vec<u8>, FormatError> {
        let budget_left = self
            .limits
            .max_decompressed_bytes
            .saturating_sub(self.decompressed_total);
        let mut reader = self.open_index(index, max_bytes)?;
        let claimed = reader.entry.size();
        let mut out =
            Vec::with_capacity(claimed.min(budget_left).min(max_bytes).min(MAX_PREALLOC) as usize);
        let mut chunk = vec![0u8; READ_CHUNK];
        loop {
            let n = reader
                .read(&mut chunk)
                .map_err(|e| limit_error_from_io(&e).unwrap_or(FormatError::Io(e)))?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..n]);
        }
        Ok(out)
    }
}

/// A streaming reader over one package part that counts the bytes the
/// decompressor really produces and stops at the package's limits.
pub struct PartReader<'a, R: Read + Seek> {
    entry: zip::read::ZipFile<'a, R>,
    total: &'a mut u64,
    total_limit: u64,
    ratio: u64,
    ratio_cap: u64,
    max_bytes: u64,
    produced: u64,
}

impl<R: Read + Seek> Read for PartReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.entry.read(buf)?;
        self.produced += n as u64;
        *self.total += n as u64;
        let breach = if *self.total > self.total_limit {
            Some(LimitBreach(
                LimitKind::MaxDecompressedBytes,
                self.total_limit,
            ))
        } else if self.produced > self.ratio_cap {
            Some(LimitBreach(LimitKind::MaxCompressionRatio, self.ratio))
        } else if self.produced > self.max_bytes {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("part is larger than {} bytes", self.max_bytes),
            ));
        } else {
            None
        };
        match breach {
            Some(breach) => Err(std::io::Error::other(breach)),
            None => Ok(n),
        }
    }
}

/// The payload of an `io::Error` raised by [`PartReader`] when a limit is hit.
#[derive(Debug)]
struct LimitBreach(LimitKind, u64);

impl std::fmt::Display for LimitBreach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "package exceeds the {} limit ({})", self.0, self.1)
    }
}

impl std::error::Error for LimitBreach {}

/// Recovers the typed limit error from an `io::Error` raised by a
/// [`PartReader`] (also when a parser wrapped it), `None` for other errors.
pub fn limit_error_from_io(err: &std::io::Error) -> Option<FormatError> {
    let breach = err.get_ref()?.downcast_ref::<LimitBreach>()?;
    Some(FormatError::LimitExceeded {
        limit: breach.0,
        limit_value: breach.1,
    })
}

/// Resolves a relationship `target` against the part it came from
/// (`source_part`, `"/"` for the package) into a normalised part name
/// without a leading `/`. `..` segments that would leave the package are
/// dropped.
pub fn resolve_target(source_part: &str, target: &str) -> String {
    let target = target.split(['#', '?']).next().unwrap_or("");
    let mut segments: Vec<&str> = Vec::new();
    if !target.starts_with('/') {
        let source = source_part.trim_start_matches('/');
        if let Some((dir, _file)) = source.rsplit_once('/') {
            segments.extend(dir.split('/').filter(|s| !s.is_empty()));
        }
    }
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    segments.join("/")
}

/// The `.rels` part describing `source_part` (`"/"` or `""` → `_rels/.rels`).
fn rels_part_name(source_part: &str) -> String {
    let source = source_part.trim_start_matches('/');
    match source.rsplit_once('/') {
        _ if source.is_empty() => "_rels/.rels".to_owned(),
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{source}.rels"),
    }
}

/// Parses the `<Relationship>` elements of a `.rels` part.
fn parse_relationships(bytes: &[u8], max_depth: usize) -> Result<Vec<Relationship>, FormatError> {
    let malformed = |detail: String| FormatError::Malformed {
        format: "OPC relationships",
        detail,
    };
    let mut reader = quick_xml::Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut out = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| malformed(e.to_string()))?;
        let (element, is_start) = match &event {
            Event::Start(e) => (Some(e), true),
            Event::Empty(e) => (Some(e), false),
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        if let Some(element) = element {
            if is_start {
                depth += 1;
                if depth > max_depth {
                    return Err(FormatError::LimitExceeded {
                        limit: LimitKind::MaxXmlDepth,
                        limit_value: max_depth as u64,
                    });
                }
            }
            if element.local_name().as_ref() == b"Relationship" {
                let mut rel = Relationship {
                    id: String::new(),
                    rel_type: String::new(),
                    target: String::new(),
                };
                for attr in element.attributes() {
                    let attr = attr.map_err(|e| malformed(e.to_string()))?;
                    let value = attr
                        .unescape_value()
                        .map_err(|e| malformed(e.to_string()))?
                        .into_owned();
                    match attr.key.local_name().as_ref() {
                        b"Id" => rel.id = value,
                        b"Type" => rel.rel_type = value,
                        b"Target" => rel.target = value,
                        _ => {}
                    }
                }
                out.push(rel);
            }
        }
        buf.clear();
    }
    Ok(out)
}

/// Rejects names that could escape an extraction directory or alias other
/// parts: absolute paths, drive letters, `..` segments (with `/` or `\` as
/// separator) and NUL bytes.
fn check_entry_name(name: &str) -> Result<(), FormatError> {
    let unsafe_name = || FormatError::UnsafeEntryName {
        name: name.escape_debug().to_string(),
    };
    if name.is_empty() || name.contains('\0') || name.starts_with('/') || name.starts_with('\\') {
        return Err(unsafe_name());
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Err(unsafe_name());
    }
    if name.split(['/', '\\']).any(|segment| segment == "..") {
        return Err(unsafe_name());
    }
    Ok(())
}

/// Reads the end-of-central-directory record and rejects packages that
/// declare more entries than allowed *before* the zip crate parses (and
/// allocates for) the whole central directory. Unreadable or ZIP64 counts
/// are left to the zip crate and the post-open check.
fn precheck_entry_count<R: Read + Seek>(
    reader: &mut R,
    limits: &Limits,
) -> Result<(), FormatError> {
    const EOCD_MIN: u64 = 22;
    const MAX_COMMENT: u64 = 0xFFFF;
    let len = reader.seek(SeekFrom::End(0))?;
    let tail_len = len.min(EOCD_MIN + MAX_COMMENT);
    reader.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    reader.read_exact(&mut tail)?;
    reader.seek(SeekFrom::Start(0))?;
    if tail.len() < EOCD_MIN as usize {
        return Err(FormatError::Malformed {
            format: "zip",
            detail: "too short to be a zip package".into(),
        });
    }
    let last_start = tail.len() - EOCD_MIN as usize;
    let found = (0..=last_start)
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06]);
    if let Some(pos) = found {
        let total = u16::from_le_bytes([tail[pos + 10], tail[pos + 11]]);
        if total != u16::MAX && usize::from(total) > limits.max_zip_entries {
            return Err(FormatError::LimitExceeded {
                limit: LimitKind::MaxZipEntries,
                limit_value: limits.max_zip_entries as u64,
            });
        }
    }
    Ok(())
}

/// Maps zip crate errors to user-facing format errors.
fn zip_error(err: zip::result::ZipError) -> FormatError {
    match err {
        zip::result::ZipError::Io(io) => FormatError::Io(io),
        other => FormatError::Malformed {
            format: "zip",
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;

    /// Builds a zip in memory from `(name, bytes, deflate?)` triples.
    pub(crate) fn make_zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, bytes, deflate) in entries {
            let method = if *deflate {
                zip::CompressionMethod::Deflated
            } else {
                zip::CompressionMethod::Stored
            };
            let options = zip::write::SimpleFileOptions::default().compression_method(method);
            writer.start_file(*name, options).expect("start file");
            writer.write_all(bytes).expect("write");
        }
        writer.finish().expect("finish").into_inner()
    }

    const PROJECT: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/3mf/cube_20mm_prusa_project.3mf"
    );

    #[test]
    fn opens_prusa_project_and_lists_parts() {
        let bytes = std::fs::read(PROJECT).expect("fixture");
        let mut pkg = Package::from_bytes(&bytes, &Limits::default()).expect("open");
        let names: Vec<&str> = pkg.names().collect();
        assert!(names.contains(&"3D/3dmodel.model"));
        assert!(names.contains(&"Metadata/thumbnail.png"));
        assert_eq!(
            pkg.start_part_3mf().expect("rels").as_deref(),
            Some("3D/3dmodel.model")
        );
        let rels = pkg.relationships("/").expect("rels");
        assert!(
            rels.iter()
                .any(|r| r.rel_type == REL_TYPE_THUMBNAIL && r.target == "/Metadata/thumbnail.png")
        );
        let thumb = pkg.read("/Metadata/thumbnail.png").expect("thumb");
        assert_eq!(thumb.len(), 4750);
        assert!(
            pkg.read("metadata/THUMBNAIL.PNG").is_ok(),
            "case-insensitive fallback"
        );
        assert!(matches!(
            pkg.read("nope"),
            Err(FormatError::MissingPart { .. })
        ));
        assert_eq!(
            pkg.find(|n| n.ends_with(".config"))
                .map(|n| n.starts_with("Metadata/")),
            Some(true)
        );
    }

    #[test]
    fn rejects_traversal_names() {
        for bad in [
            "../evil",
            "a/../../evil",
            "/abs",
            "a\\..\\evil",
            "C:/x",
            "\\\\server\\x",
        ] {
            let zip = make_zip(&[(bad, b"x", false)]);
            let result = Package::from_bytes(&zip, &Limits::default());
            assert!(
                matches!(result, Err(FormatError::UnsafeEntryName { .. })),
                "{bad}"
            );
        }
        let ok = make_zip(&[("a/..b/c..", b"x", false)]);
        assert!(Package::from_bytes(&ok, &Limits::default()).is_ok());
    }

    #[test]
    fn enforces_entry_count() {
        let zip = make_zip(&[("a", b"1", false), ("b", b"2", false), ("c", b"3", false)]);
        let limits = Limits {
            max_zip_entries: 2,
            ..Limits::default()
        };
        let err = Package::from_bytes(&zip, &limits).err().expect("must fail");
        assert!(matches!(
            err,
            FormatError::LimitExceeded {
                limit: LimitKind::MaxZipEntries,
                ..
            }
        ));
    }

    #[test]
    fn enforces_decompressed_budget_across_reads() {
        let data = vec![7u8; 100_000];
        let zip = make_zip(&[("a", &data, true), ("b", &data, true)]);
        let limits = Limits {
            max_decompressed_bytes: 150_000,
            ..Limits::default()
        };
        let mut pkg = Package::from_bytes(&zip, &limits).expect("open");
        assert_eq!(pkg.read("a").expect("first fits").len(), 100_000);
        let err = pkg.read("b").expect_err("second exceeds");
        assert!(matches!(
            err,
            FormatError::LimitExceeded {
                limit: LimitKind::MaxDecompressedBytes,
                ..
            }
        ));
    }

    #[test]
    fn enforces_compression_ratio() {
        let data = vec![0u8; 8 * 1024 * 1024];
        let zip = make_zip(&[("bomb", &data, true)]);
        let limits = Limits {
            max_compression_ratio: 100,
            ..Limits::default()
        };
        let mut pkg = Package::from_bytes(&zip, &limits).expect("open");
        let err = pkg.read("bomb").expect_err("ratio");
        assert!(matches!(
            err,
            FormatError::LimitExceeded {
                limit: LimitKind::MaxCompressionRatio,
                ..
            }
        ));
    }

    #[test]
    fn lying_size_header_does_not_bypass_budget() {
        let data = vec![1u8; 300_000];
        let mut zip = make_zip(&[("a", &data, false)]);
        // Patch the stored uncompressed size in the central directory to 10.
        let cd = zip
            .windows(4)
            .rposition(|w| w == [0x50, 0x4b, 0x01, 0x02])
            .expect("cd");
        zip[cd + 24..cd + 28].copy_from_slice(&10u32.to_le_bytes());
        let limits = Limits {
            max_decompressed_bytes: 1000,
            ..Limits::default()
        };
        if let Ok(mut pkg) = Package::from_bytes(&zip, &limits) {
            assert!(pkg.read("a").is_err());
        }
    }

    #[test]
    fn resolves_targets() {
        assert_eq!(resolve_target("/", "/3D/3dmodel.model"), "3D/3dmodel.model");
        assert_eq!(
            resolve_target("3D/3dmodel.model", "Objects/o.model"),
            "3D/Objects/o.model"
        );
        assert_eq!(
            resolve_target("/3D/3dmodel.model", "../Metadata/p.png"),
            "Metadata/p.png"
        );
        assert_eq!(resolve_target("/", "../../x"), "x");
        assert_eq!(
            rels_part_name("/3D/3dmodel.model"),
            "3D/_rels/3dmodel.model.rels"
        );
        assert_eq!(rels_part_name("/"), "_rels/.rels");
    }

    #[test]
    fn garbage_and_prefixes_never_panic() {
        let bytes = std::fs::read(PROJECT).expect("fixture");
        for len in (0..bytes.len()).step_by(7) {
            if let Ok(mut pkg) = Package::from_bytes(&bytes[..len], &Limits::default()) {
                let names: Vec<String> = pkg.names().map(str::to_owned).collect();
                for name in names {
                    let _ = pkg.read(&name);
                }
            }
        }
    }
}
