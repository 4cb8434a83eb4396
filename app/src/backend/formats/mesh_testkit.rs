//! Test helpers shared by the mesh reader tests: tiny writers for STL, OBJ
//! and 3MF, a proptest strategy for meshes, and the expected canonical
//! hashes of the fixture groups in `fixtures/MANIFEST.md` (computed
//! independently with a Python re-implementation of the canonical form).

use std::fmt::Write as _;
use std::io::Write as _;

use proptest::prelude::*;

use super::mesh::Triangle;

/// Canonical hash of fixture group A (cube_20mm in every format).
pub const HASH_A: &str = "3fefff6368d348371c3ec26552bf8c1ecaeb0ffde1d2c615924891b1909674f4";
/// Canonical hash of fixture group B (two_bodies in every format).
pub const HASH_B: &str = "d0c588a881d62f537f331052ed4b507be355c09934fa17628d72f66e2c81558a";
/// Canonical hash of fixture group C (sphere_50k STL and 3MF).
pub const HASH_C: &str = "cbba861bd3165d241d12c074c51c6380b27d73383c2038e0a13d5c7e09919e77";

/// Meshes of 1–40 non-degenerate triangles on a 0.01 mm grid (values every
/// format writes exactly enough to survive the 1 µm rounding).
pub fn arb_mesh() -> impl Strategy<Value = Vec<Triangle>> {
    let coord = (-20_000i32..20_000).prop_map(|v| v as f32 / 100.0);
    let vertex = [coord.clone(), coord.clone(), coord];
    prop::collection::vec([vertex.clone(), vertex.clone(), vertex], 1..40).prop_filter(
        "no degenerate triangles",
        |tris| {
            tris.iter()
                .all(|t| t[0] != t[1] && t[1] != t[2] && t[0] != t[2])
        },
    )
}

/// Binary STL bytes (zero normals).
pub fn write_binary_stl(tris: &[Triangle]) -> Vec<u8> {
    let mut out = vec![0u8; 80];
    out[..14].copy_from_slice(b"testkit binary");
    out.extend_from_slice(&(tris.len() as u32).to_le_bytes());
    for tri in tris {
        out.extend_from_slice(&[0u8; 12]);
        for c in tri.iter().flatten() {
            out.extend_from_slice(&c.to_le_bytes());
        }
        out.extend_from_slice(&[0, 0]);
    }
    out
}

/// ASCII STL bytes (shortest round-trip float text).
pub fn write_ascii_stl(tris: &[Triangle]) -> Vec<u8> {
    let mut out = String::from("solid testkit\n");
    for [a, b, c] in tris {
        let _ = writeln!(out, "  facet normal 0 0 0\n    outer loop");
        for v in [a, b, c] {
            let _ = writeln!(out, "      vertex {:e} {} {}", v[0], v[1], v[2]);
        }
        let _ = writeln!(out, "    endloop\n  endfacet");
    }
    out.push_str("endsolid testkit\n");
    out.into_bytes()
}

/// OBJ text with shared vertices; every other face uses negative indices
/// and `v//vn` style references.
pub fn write_obj(tris: &[Triangle]) -> Vec<u8> {
    let mut out = String::from("# testkit\no thing\n");
    let mut count = 0i64;
    for (i, tri) in tris.iter().enumerate() {
        for v in tri {
            let _ = writeln!(out, "v {} {} {}", v[0], v[1], v[2]);
        }
        count += 3;
        if i % 2 == 0 {
            let _ = writeln!(out, "f {} {}/1 {}/1/1", count - 2, count - 1, count);
        } else {
            let _ = writeln!(out, "vn 0 0 1\nf -3//1 -2//1 -1//1");
        }
    }
    out.into_bytes()
}

/// A 3MF package: one object holding the triangles (in `unit`, values
/// divided by `mm_per_unit`), placed by one build item with `transform`.
pub fn write_3mf(
    tris: &[Triangle],
    unit: &str,
    mm_per_unit: f64,
    transform: Option<&str>,
    deflate: bool,
) -> Vec<u8> {
    let mut model = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<model unit=\"{unit}\" xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\">\n<resources><object id=\"1\" type=\"model\" name=\"thing\"><mesh><vertices>\n"
    );
    for v in tris.iter().flatten() {
        let s = |c: f32| f64::from(c) / mm_per_unit;
        let _ = writeln!(
            model,
            "<vertex x=\"{}\" y=\"{}\" z=\"{}\"/>",
            s(v[0]),
            s(v[1]),
            s(v[2])
        );
    }
    model.push_str("</vertices><triangles>\n");
    for i in 0..tris.len() {
        let _ = writeln!(
            model,
            "<triangle v1=\"{}\" v2=\"{}\" v3=\"{}\"/>",
            3 * i,
            3 * i + 1,
            3 * i + 2
        );
    }
    model.push_str("</triangles></mesh></object></resources>\n<build>");
    match transform {
        Some(t) => {
            let _ = write!(model, "<item objectid=\"1\" transform=\"{t}\"/>");
        }
        None => model.push_str("<item objectid=\"1\"/>"),
    }
    model.push_str("</build></model>\n");
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Target=\"/3D/3dmodel.model\" Id=\"rel0\" Type=\"http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel\"/></Relationships>";
    zip_parts(
        &[
            ("[Content_Types].xml", b"<Types/>".as_slice()),
            ("_rels/.rels", rels.as_bytes()),
            ("3D/3dmodel.model", model.as_bytes()),
        ],
        deflate,
    )
}

/// Zips parts in order.
pub fn zip_parts(parts: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    for (name, bytes) in parts {
        writer
            .start_file(
                *name,
                zip::write::SimpleFileOptions::default().compression_method(method),
            )
            .expect("start");
        writer.write_all(bytes).expect("write");
    }
    writer.finish().expect("finish").into_inner()
}

/// Re-zips a package: same parts, reversed order, other compression.
pub fn rezip(bytes: &[u8], deflate: bool) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).expect("read");
        parts.push((entry.name().to_owned(), data));
    }
    parts.reverse();
    let refs: Vec<(&str, &[u8])> = parts
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_parts(&refs, deflate)
}
