//! One entry point that tells everything the vault extracts from a file:
//! its kind, byte SHA-256, canonical mesh hash and geometry (meshes and 3MF),
//! slicer metadata and full config (G-code, binary G-code, slicer projects)
//! and embedded thumbnails. The server's `inspect` CLI prints a
//! [`FileReport`] as JSON; ingestion uses the same pieces.
//!
//! A report is always produced: reading errors are put in
//! [`FileReport::error`] next to whatever was learnt before the error.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use serde::Serialize;

use super::hashing::sha256_reader;
use super::mesh::GeometryStats;
use super::mesh_reader::{MeshKind, read_mesh_from};
use super::package::Package;
use super::slicer_meta::{ConfigMap, SlicerMetadata};
use super::{FormatError, Limits, bgcode, gcode, project3mf};
use crate::backend::thumbs::embedded::EmbeddedThumbnail;

/// Kinds of file the vault understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FileKind {
    /// STL mesh (binary or ASCII).
    #[serde(rename = "stl")]
    Stl,
    /// Wavefront OBJ mesh.
    #[serde(rename = "obj")]
    Obj,
    /// 3MF package (mesh, maybe a slicer project).
    #[serde(rename = "3mf")]
    ThreeMf,
    /// Plain-text G-code.
    #[serde(rename = "gcode")]
    Gcode,
    /// Prusa binary G-code.
    #[serde(rename = "bgcode")]
    Bgcode,
    /// Sliced 3MF project carrying plate G-code (Bambu/Orca `.gcode.3mf`).
    #[serde(rename = "gcode.3mf")]
    GcodeThreeMf,
}

/// Everything `inspect` learnt about one file. Keys are stable (the CLI
/// output and tests depend on them).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FileReport {
    /// Detected kind; `None` when unrecognised.
    pub kind: Option<FileKind>,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: Option<String>,
    /// Canonical mesh hash (DESIGN §3), for meshes and 3MF.
    pub mesh_sha256: Option<String>,
    /// Mesh geometry (`triangle_count`, `bbox_x_mm`, …, `volume_mm3`).
    pub geometry: Option<GeometryStats>,
    /// Slicer metadata (upstream `metadata` column names); for a 3MF without
    /// slicer settings only `object_names` (from the model) may be set.
    pub metadata: Option<SlicerMetadata>,
    /// The slicer's full configuration.
    pub config: Option<ConfigMap>,
    /// Embedded thumbnails (format, size, byte length, source).
    pub thumbnails: Vec<EmbeddedThumbnail>,
    /// The first error met, as a user-facing message.
    pub error: Option<String>,
}

/// Detects the kind from the first bytes (a few hundred are enough) and the
/// file name. Magic bytes win over the extension: `GCDE` is binary G-code
/// even when named `.gcode`; a zip is 3MF (`.gcode.3mf` when so named; a
/// 3MF carrying plate G-code is also recognised later by [`inspect_reader`]).
pub fn detect_kind(name: &str, first_bytes: &[u8]) -> Option<FileKind> {
    let lower = name.to_ascii_lowercase();
    if first_bytes.starts_with(bgcode::MAGIC) {
        return Some(FileKind::Bgcode);
    }
    if first_bytes.starts_with(b"PK\x03\x04") {
        return Some(if lower.ends_with(".gcode.3mf") {
            FileKind::GcodeThreeMf
        } else {
            FileKind::ThreeMf
        });
    }
    let ext = lower.rsplit_once('.').map(|(_, e)| e);
    match ext {
        Some("bgcode") => return Some(FileKind::Bgcode),
        Some("gcode" | "gco" | "g") => return Some(FileKind::Gcode),
        _ => {}
    }
    if let Some(mesh) = super::mesh_reader::detect_mesh_kind(name, first_bytes) {
        return Some(match mesh {
            MeshKind::Stl => FileKind::Stl,
            MeshKind::Obj => FileKind::Obj,
            MeshKind::ThreeMf => FileKind::ThreeMf,
        });
    }
    looks_like_gcode(first_bytes).then_some(FileKind::Gcode)
}

/// Text whose first non-blank lines are comments or G/M/T commands.
fn looks_like_gcode(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(5)
        .peekable();
    lines.peek().is_some()
        && lines.all(|l| {
            l.starts_with(';')
                || (matches!(l.as_bytes().first(), Some(b'G' | b'M' | b'T'))
                    && l.as_bytes().get(1).is_some_and(u8::is_ascii_digit))
        })
}

/// Inspects a file on disk (its name decides ambiguous kinds).
pub fn inspect_path(path: &Path, limits: &Limits) -> FileReport {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match File::open(path) {
        Ok(file) => inspect_reader(BufReader::new(file), &name, limits),
        Err(e) => FileReport {
            error: Some(FormatError::Io(e).to_string()),
            ..FileReport::default()
        },
    }
}

/// Inspects any seekable source; `name` is the file name (for the extension).
pub fn inspect_reader<R: Read + Seek>(mut reader: R, name: &str, limits: &Limits) -> FileReport {
    let mut report = FileReport::default();
    if let Err(e) = inspect_into(&mut reader, name, limits, &mut report) {
        report.error = Some(e.to_string());
    }
    report
}

fn inspect_into<R: Read + Seek>(
    reader: &mut R,
    name: &str,
    limits: &Limits,
    report: &mut FileReport,
) -> Result<(), FormatError> {
    reader.seek(SeekFrom::Start(0))?;
    let (sha, _len) = sha256_reader(&mut *reader)?;
    report.sha256 = Some(sha);
    reader.seek(SeekFrom::Start(0))?;
    let mut first = Vec::with_capacity(512);
    (&mut *reader).take(512).read_to_end(&mut first)?;
    reader.seek(SeekFrom::Start(0))?;
    let kind = detect_kind(name, &first).ok_or(FormatError::Unrecognised)?;
    report.kind = Some(kind);
    match kind {
        FileKind::Stl | FileKind::Obj => {
            let mesh_kind = if kind == FileKind::Stl {
                MeshKind::Stl
            } else {
                MeshKind::Obj
            };
            let mesh = read_mesh_from(mesh_kind, &mut *reader, limits)?;
            report.geometry = Some(mesh.stats());
            report.mesh_sha256 = Some(mesh.canonical_hash());
        }
        FileKind::Gcode => {
            let s = gcode::read_gcode(reader)?;
            report.metadata = Some(s.metadata);
            report.config = Some(s.config);
            report.thumbnails = s.thumbnails;
        }
        FileKind::Bgcode => {
            let s = bgcode::read_bgcode_metadata(&mut *reader, limits)?;
            report.metadata = Some(s.metadata);
            report.config = Some(s.config);
            report.thumbnails = s.thumbnails;
        }
        FileKind::ThreeMf | FileKind::GcodeThreeMf => inspect_3mf(reader, limits, report)?,
    }
    Ok(())
}

/// 3MF: project data first (cheap, and available even if the mesh is not),
/// then the mesh.
fn inspect_3mf<R: Read + Seek>(
    reader: &mut R,
    limits: &Limits,
    report: &mut FileReport,
) -> Result<(), FormatError> {
    let project = {
        let mut pkg = Package::open(&mut *reader, limits)?;
        project3mf::read_project_package(&mut pkg, limits)?
    };
    if project.plates.iter().any(|p| p.gcode_part.is_some()) {
        report.kind = Some(FileKind::GcodeThreeMf);
    }
    let has_project = project.flavor != project3mf::ProjectFlavor::Plain;
    let mut metadata = project.metadata;
    report.thumbnails = project.thumbnails;
    if has_project {
        report.config = Some(project.config);
    }
    reader.seek(SeekFrom::Start(0))?;
    let mesh_result = read_mesh_from(MeshKind::ThreeMf, &mut *reader, limits);
    let outcome = match mesh_result {
        Ok(mesh) => {
            report.geometry = Some(mesh.stats());
            report.mesh_sha256 = Some(mesh.canonical_hash());
            if metadata.object_names.is_none() {
                let names: Vec<String> =
                    mesh.objects.iter().filter_map(|o| o.name.clone()).collect();
                metadata.object_names = (!names.is_empty()).then_some(names);
            }
            Ok(())
        }
        // A sliced plate file may carry no printable geometry; its G-code facts still count.
        Err(_) if report.kind == Some(FileKind::GcodeThreeMf) => Ok(()),
        Err(e) => Err(e),
    };
    if has_project || metadata != SlicerMetadata::default() {
        report.metadata = Some(metadata);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

    fn report(rel: &str) -> FileReport {
        inspect_path(Path::new(&format!("{FIX}/{rel}")), &Limits::default())
    }

    #[test]
    fn detects_kinds_by_magic_then_extension() {
        assert_eq!(
            detect_kind("a.gcode", b"GCDE\x01\0\0\0"),
            Some(FileKind::Bgcode)
        );
        assert_eq!(detect_kind("a.bgcode", b"junk"), Some(FileKind::Bgcode));
        assert_eq!(
            detect_kind("a.gcode.3mf", b"PK\x03\x04"),
            Some(FileKind::GcodeThreeMf)
        );
        assert_eq!(detect_kind("a.3mf", b"PK\x03\x04"), Some(FileKind::ThreeMf));
        assert_eq!(detect_kind("a.gcode", b"; hi"), Some(FileKind::Gcode));
        assert_eq!(
            detect_kind("noext", b";FLAVOR:Marlin\nG28\n"),
            Some(FileKind::Gcode)
        );
        assert_eq!(detect_kind("a.stl", b"solid x"), Some(FileKind::Stl));
        assert_eq!(detect_kind("a.obj", b"v 1 2 3"), Some(FileKind::Obj));
        assert_eq!(detect_kind("a.txt", b"hello"), None);
    }

    #[test]
    fn report_json_has_exactly_the_documented_keys() {
        let r = report("gcode/cube_20mm_prusa_png.gcode");
        let json = serde_json::to_value(&r).expect("json");
        let mut keys: Vec<&str> = json
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "config",
                "error",
                "geometry",
                "kind",
                "mesh_sha256",
                "metadata",
                "sha256",
                "thumbnails"
            ]
        );
        let text = serde_json::to_string(&r).expect("json text");
        assert!(
            text.starts_with("{\"kind\":\"gcode\",\"sha256\":"),
            "declaration order kept"
        );
        assert_eq!(json["kind"], "gcode");
        assert!(
            json["sha256"]
                .as_str()
                .expect("sha")
                .starts_with("00a3f60e4c84a668")
        );
        assert_eq!(json["metadata"]["estimated_time_s"], 1132);
        assert_eq!(json["metadata"]["slicer_name"], "PrusaSlicer");
        assert_eq!(json["thumbnails"][1]["width"], 220);
        assert_eq!(json["thumbnails"][1]["format"], "png");
        assert_eq!(json["thumbnails"][1]["byte_len"], 3628);
        assert!(json["thumbnails"][1].get("data").is_none());
        assert_eq!(json["error"], serde_json::Value::Null);
    }

    #[test]
    fn every_fixture_is_inspected_without_error() {
        let cases: &[(&str, FileKind, &str)] = &[
            (
                "gcode/cube_20mm_prusa_png.bgcode",
                FileKind::Bgcode,
                "a8ec06f4155f99b7",
            ),
            (
                "gcode/two_bodies_prusa_jpg.gcode",
                FileKind::Gcode,
                "13ed4fad761d3f47",
            ),
            (
                "gcode/cube_20mm_cura.gcode",
                FileKind::Gcode,
                "525b2b90f0d46e74",
            ),
            (
                "3mf/cube_20mm_prusa_project.3mf",
                FileKind::ThreeMf,
                "5d533a134b18f811",
            ),
            (
                "mesh/cube_20mm_binary.stl",
                FileKind::Stl,
                "0308163b25b7d133",
            ),
            ("mesh/cube_20mm.obj", FileKind::Obj, "d3a7f610df8e41a9"),
            ("mesh/cube_20mm.3mf", FileKind::ThreeMf, "34c61322610be12a"),
        ];
        for (path, kind, sha) in cases {
            let r = report(path);
            assert_eq!(r.error, None, "{path}");
            assert_eq!(r.kind, Some(*kind), "{path}");
            assert!(r.sha256.as_deref().unwrap_or("").starts_with(sha), "{path}");
        }
    }

    #[test]
    fn prusa_project_has_mesh_and_slicer_facts() {
        let r = report("3mf/cube_20mm_prusa_project.3mf");
        let cube = report("mesh/cube_20mm_binary.stl");
        assert_eq!(
            r.mesh_sha256, cube.mesh_sha256,
            "project mesh hashes like the STL (group A)"
        );
        let g = r.geometry.as_ref().expect("geometry");
        assert_eq!(g.triangle_count, 12);
        assert!((g.volume_mm3 - 8000.0).abs() < 1e-3);
        let m = r.metadata.as_ref().expect("metadata");
        assert_eq!(m.slicer_version.as_deref(), Some("2.5.0"));
        assert_eq!(m.layer_height_mm, Some(0.2));
        assert!(r.config.as_ref().is_some_and(|c| c.len() > 250));
        assert_eq!(r.thumbnails.len(), 1);

        let plain = report("mesh/cube_20mm.3mf");
        let pm = plain.metadata.as_ref().expect("object names only");
        assert_eq!(pm.slicer_name, None, "no slicer data in a CAD export");
        assert_eq!(pm.object_names, Some(vec!["OpenSCAD Model".to_owned()]));
        assert_eq!(plain.config, None);
        assert_eq!(plain.mesh_sha256, cube.mesh_sha256);
    }

    #[test]
    fn unrecognised_and_missing_files_report_errors() {
        let r = inspect_reader(
            std::io::Cursor::new(b"hello world".to_vec()),
            "notes.txt",
            &Limits::default(),
        );
        assert_eq!(r.kind, None);
        assert!(r.sha256.is_some());
        assert_eq!(r.error.as_deref(), Some("unrecognised file type"));
        let r = inspect_path(Path::new("/nonexistent/x.stl"), &Limits::default());
        assert!(r.error.is_some());
    }
}
