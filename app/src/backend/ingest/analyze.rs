//! Reading an uploaded file once: kind, identity (canonical mesh hash, or
//! byte hash for G-code and unreadable meshes), geometry, slicer metadata and
//! config, and the thumbnail image (embedded, else rendered). Pure CPU work;
//! callers run it on a blocking thread.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use crate::backend::formats::inspect::{FileKind as DetectedKind, detect_kind};
use crate::backend::formats::mesh::GeometryStats;
use crate::backend::formats::mesh_reader::{MeshKind, read_mesh_from};
use crate::backend::formats::slicer_meta::{ConfigMap, SlicerMetadata};
use crate::backend::formats::{FormatError, Limits, bgcode, gcode, package::Package, project3mf};
use crate::backend::thumbs::embedded::{EmbeddedThumbnail, decode_rgba, pick_largest};
use crate::backend::thumbs::encode::{encode_grid_webp, encode_webp};
use crate::backend::thumbs::render::{RenderOptions, render_mesh};
use crate::views::models::FileKind;

/// What the vault keeps from reading one file.
#[derive(Debug, Default)]
pub struct Analysis {
    /// The kind, when recognised.
    pub kind: Option<FileKind>,
    /// Canonical mesh hash (meshes and 3MF with a readable mesh).
    pub mesh_sha256: Option<String>,
    /// Mesh geometry.
    pub geometry: Option<GeometryStats>,
    /// Slicer metadata.
    pub metadata: Option<SlicerMetadata>,
    /// The slicer's full config.
    pub config: Option<ConfigMap>,
    /// The thumbnail picture (embedded, else rendered), before encoding.
    pub thumbnail: Option<image::RgbaImage>,
    /// Why reading failed (the file is still stored, flagged with this).
    pub error: Option<String>,
}

/// Analyses the file at `path` uploaded as `name`; a mesh without an
/// embedded picture is rendered with `render`.
pub fn analyze(path: &Path, name: &str, limits: &Limits, render: &RenderOptions) -> Analysis {
    let mut analysis = Analysis::default();
    if let Err(err) = analyze_into(path, name, limits, render, &mut analysis) {
        analysis.error = Some(err.to_string());
    }
    analysis
}

/// WebP bytes of a model's thumbnail: the full-size one and the browse-grid one.
pub type EncodedThumbnails = (Vec<u8>, Vec<u8>);

/// The two WebP sizes the vault stores (full, browse grid).
pub fn encode_thumbnails(image: &image::RgbaImage) -> Option<EncodedThumbnails> {
    match (encode_webp(image), encode_grid_webp(image)) {
        (Ok(full), Ok(grid)) => Some((full, grid)),
        (Err(err), _) | (_, Err(err)) => {
            tracing::warn!(error = %err, "thumbnail encoding failed");
            None
        }
    }
}

fn to_kind(kind: DetectedKind) -> FileKind {
    match kind {
        DetectedKind::Stl => FileKind::Stl,
        DetectedKind::Obj => FileKind::Obj,
        DetectedKind::ThreeMf => FileKind::ThreeMf,
        DetectedKind::Gcode => FileKind::Gcode,
        DetectedKind::Bgcode => FileKind::Bgcode,
        DetectedKind::GcodeThreeMf => FileKind::Gcode3mf,
    }
}

fn analyze_into(
    path: &Path,
    name: &str,
    limits: &Limits,
    render: &RenderOptions,
    out: &mut Analysis,
) -> Result<(), FormatError> {
    let mut reader = BufReader::with_capacity(1 << 20, File::open(path)?);
    let mut first = Vec::with_capacity(512);
    (&mut reader).take(512).read_to_end(&mut first)?;
    reader.seek(SeekFrom::Start(0))?;
    let detected = detect_kind(name, &first).ok_or(FormatError::Unrecognised)?;
    out.kind = Some(to_kind(detected));
    let mut embedded: Vec<EmbeddedThumbnail> = Vec::new();
    let mut mesh = None;
    match detected {
        DetectedKind::Stl | DetectedKind::Obj => {
            let kind = if detected == DetectedKind::Stl {
                MeshKind::Stl
            } else {
                MeshKind::Obj
            };
            mesh = Some(read_mesh_from(kind, &mut reader, limits)?);
        }
        DetectedKind::Gcode => {
            let summary = gcode::read_gcode(&mut reader)?;
            out.metadata = Some(summary.metadata);
            out.config = Some(summary.config);
            embedded = summary.thumbnails;
        }
        DetectedKind::Bgcode => {
            let summary = bgcode::read_bgcode_metadata(&mut reader, limits)?;
            out.metadata = Some(summary.metadata);
            out.config = Some(summary.config);
            embedded = summary.thumbnails;
        }
        DetectedKind::ThreeMf | DetectedKind::GcodeThreeMf => {
            let project = {
                let mut pkg = Package::open(&mut reader, limits)?;
                project3mf::read_project_package(&mut pkg, limits)?
            };
            if project.plates.iter().any(|p| p.gcode_part.is_some()) {
                out.kind = Some(FileKind::Gcode3mf);
            }
            if project.flavor != project3mf::ProjectFlavor::Plain {
                out.config = Some(project.config);
            }
            out.metadata = Some(project.metadata);
            embedded = project.thumbnails;
            reader.seek(SeekFrom::Start(0))?;
            match read_mesh_from(MeshKind::ThreeMf, &mut reader, limits) {
                Ok(m) => mesh = Some(m),
                // A sliced project may carry no usable mesh; its G-code is what matters.
                Err(err) if out.kind == Some(FileKind::Gcode3mf) => {
                    tracing::debug!(error = %err, "no mesh in sliced 3MF");
                }
                Err(err) => return Err(err),
            }
        }
    }
    if let Some(loaded) = &mesh {
        out.geometry = Some(loaded.stats());
        out.mesh_sha256 = Some(loaded.canonical_hash());
    }
    // Thumbnail: the largest embedded image, else our own render of the mesh.
    let image = match pick_largest(&embedded).map(|t| decode_rgba(t, limits)) {
        Some(Ok(img)) => Some(img),
        Some(Err(err)) => {
            tracing::debug!(error = %err, "embedded thumbnail unreadable; rendering instead");
            None
        }
        None => None,
    };
    let image = match (image, &mesh) {
        (Some(img), _) => Some(img),
        (None, Some(loaded)) if !loaded.mesh.is_empty() => {
            Some(render_mesh(loaded.mesh.triangles(), render))
        }
        _ => None,
    };
    out.thumbnail = image;
    Ok(())
}
