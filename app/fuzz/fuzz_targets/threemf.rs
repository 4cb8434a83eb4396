//! 3MF: the zip package (names, relationships, limits), the 3D model XML
//! (objects, components across parts, build transforms, units) and the
//! slicer project metadata (PrusaSlicer / Orca / Bambu configs, plates,
//! plate G-code, thumbnails).
//!
//! An input starting with `PK` is taken as a whole package. Any other input
//! is split at [`SEPARATOR`] into the parts of [`PARTS`] (empty pieces
//! left out), which are zipped uncompressed: the zip's CRCs are then right,
//! so mutations reach the XML and config parsers instead of dying at the
//! checksum.

#![no_main]

mod common;

use std::io::{Cursor, Write};

use app::backend::formats::project3mf::read_project;
use app::backend::formats::threemf::read_3mf;
use libfuzzer_sys::fuzz_target;

const SEPARATOR: &[u8] = b"\x00PART\x00";

const PARTS: &[&str] = &[
    "[Content_Types].xml",
    "_rels/.rels",
    "3D/3dmodel.model",
    "3D/Objects/object_1.model",
    "3D/_rels/3dmodel.model.rels",
    "Metadata/Slic3r_PE.config",
    "Metadata/Slic3r_PE_model.config",
    "Metadata/project_settings.config",
    "Metadata/model_settings.config",
    "Metadata/slice_info.config",
    "Metadata/plate_1.gcode",
    "Metadata/thumbnail.png",
    "Metadata/plate_1.png",
];

fn split_parts(data: &[u8]) -> Vec<(&'static str, &[u8])> {
    let mut parts = Vec::new();
    let mut rest = data;
    for name in PARTS {
        let (piece, next) = match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(at) => (&rest[..at], &rest[at + SEPARATOR.len()..]),
            None => (rest, &[][..]),
        };
        if !piece.is_empty() {
            parts.push((*name, piece));
        }
        rest = next;
        if rest.is_empty() {
            break;
        }
    }
    parts
}

fn zip_stored(parts: &[(&str, &[u8])]) -> Option<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in parts {
        writer.start_file(*name, options).ok()?;
        writer.write_all(bytes).ok()?;
    }
    Some(writer.finish().ok()?.into_inner())
}

fn read_package(bytes: &[u8]) {
    let limits = common::limits();
    if let Ok(model) = read_3mf(bytes, &limits) {
        let _ = model.mesh.stats();
        common::exercise_mesh(model.mesh.triangles());
        for item in &model.items {
            assert!(item.triangles.end <= model.mesh.len());
        }
    }
    if let Ok(project) = read_project(Cursor::new(bytes), &limits) {
        let _ = serde_json::to_string(&project.metadata);
        let _ = serde_json::to_string(&project.plates);
        common::exercise_thumbnails(&project.thumbnails);
    }
}

fuzz_target!(|data: &[u8]| {
    if data.starts_with(b"PK") {
        read_package(data);
    } else if let Some(package) = zip_stored(&split_parts(data)) {
        read_package(&package);
    }
});
