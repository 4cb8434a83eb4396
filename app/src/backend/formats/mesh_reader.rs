//! One entry point for every mesh format: detect the kind from the name
//! and first bytes, read it under [`Limits`], and get a [`LoadedMesh`]
//! with the triangles, statistics and canonical hash (DESIGN §3).

use std::io::{Read, Seek, SeekFrom};

use super::mesh::{GeometryStats, Mesh};
use super::threemf::{BuildItemInfo, ObjectInfo};
use super::{FormatError, LimitKind, Limits, obj, stl, threemf};

/// The mesh formats the vault reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeshKind {
    /// STL, binary or ASCII.
    Stl,
    /// Wavefront OBJ.
    Obj,
    /// 3MF package.
    ThreeMf,
}

/// A mesh read from a file, with what the formats add around it.
#[derive(Debug, Clone)]
pub struct LoadedMesh {
    /// Which reader produced it.
    pub kind: MeshKind,
    /// The triangles in millimetres (3MF: placed as built).
    pub mesh: Mesh,
    /// 3MF only: objects referenced by the build (empty for STL/OBJ).
    pub objects: Vec<ObjectInfo>,
    /// 3MF only: build items (empty for STL/OBJ).
    pub items: Vec<BuildItemInfo>,
    /// 3MF only: `<metadata>` of the root model part.
    pub metadata: Vec<(String, String)>,
}

impl LoadedMesh {
    /// Geometry statistics of the mesh.
    pub fn stats(&self) -> GeometryStats {
        self.mesh.stats()
    }

    /// The canonical mesh hash (lowercase hex).
    pub fn canonical_hash(&self) -> String {
        self.mesh.canonical_hash()
    }
}

/// Guesses the mesh kind from the file name and the first bytes (a few
/// hundred are enough). Content wins over the extension: a zip is 3MF, an
/// exact-size binary STL or a `solid` text is STL; otherwise the extension
/// decides; `None` when neither says mesh.
pub fn detect_mesh_kind(file_name: &str, first_bytes: &[u8]) -> Option<MeshKind> {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    if first_bytes.starts_with(b"PK\x03\x04") {
        return match ext.as_deref() {
            Some("3mf") | None => Some(MeshKind::ThreeMf),
            // Other zips (bgcode is not zip; .gcode.3mf ends in 3mf) are not meshes.
            _ => None,
        };
    }
    match ext.as_deref() {
        Some("stl") => Some(MeshKind::Stl),
        Some("obj") => Some(MeshKind::Obj),
        Some("3mf") => Some(MeshKind::ThreeMf),
        _ => {
            let text = first_bytes
                .strip_prefix(b"\xEF\xBB\xBF")
                .unwrap_or(first_bytes)
                .trim_ascii_start();
            if text.len() >= 5 && text[..5].eq_ignore_ascii_case(b"solid") {
                Some(MeshKind::Stl)
            } else {
                None
            }
        }
    }
}

/// Reads a mesh held in memory.
pub fn read_mesh(kind: MeshKind, bytes: &[u8], limits: &Limits) -> Result<LoadedMesh, FormatError> {
    let plain = |mesh: Mesh| LoadedMesh {
        kind,
        mesh,
        objects: Vec::new(),
        items: Vec::new(),
        metadata: Vec::new(),
    };
    match kind {
        MeshKind::Stl => stl::read_stl(bytes, limits).map(plain),
        MeshKind::Obj => obj::read_obj(bytes, limits).map(plain),
        MeshKind::ThreeMf => {
            let m = threemf::read_3mf(bytes, limits)?;
            Ok(LoadedMesh {
                kind,
                mesh: m.mesh,
                objects: m.objects,
                items: m.items,
                metadata: m.metadata,
            })
        }
    }
}

/// Reads a mesh from a file or other seekable source. 3MF is streamed out
/// of the zip; STL and OBJ are read into memory first, refusing files
/// larger than the triangle limit allows (binary STL: 50 bytes per
/// triangle; text formats: a generous 1 KiB per triangle).
pub fn read_mesh_from<R: Read + Seek>(
    kind: MeshKind,
    mut reader: R,
    limits: &Limits,
) -> Result<LoadedMesh, FormatError> {
    if kind == MeshKind::ThreeMf {
        let mut package = super::package::Package::open(reader, limits)?;
        let m = threemf::read_3mf_package(&mut package, limits)?;
        return Ok(LoadedMesh {
            kind,
            mesh: m.mesh,
            objects: m.objects,
            items: m.items,
            metadata: m.metadata,
        });
    }
    let len = reader.seek(SeekFrom::End(0))?;
    reader.seek(SeekFrom::Start(0))?;
    let max_len = limits
        .max_triangles
        .saturating_mul(1024)
        .saturating_add(1024);
    if len > max_len {
        return Err(FormatError::LimitExceeded {
            limit: LimitKind::MaxTriangles,
            limit_value: limits.max_triangles,
        });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    reader.take(max_len).read_to_end(&mut bytes)?;
    read_mesh(kind, &bytes, limits)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::backend::formats::mesh_testkit::{
        HASH_A, HASH_B, HASH_C, arb_mesh, rezip, write_3mf, write_ascii_stl, write_binary_stl,
        write_obj,
    };

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");

    fn load(path: &str) -> LoadedMesh {
        let bytes = std::fs::read(format!("{FIXTURES}{path}")).expect("fixture");
        let kind = detect_mesh_kind(path, &bytes[..bytes.len().min(512)]).expect("kind");
        read_mesh(kind, &bytes, &Limits::default()).expect(path)
    }

    #[test]
    fn every_fixture_group_has_one_hash() {
        let groups: [(&str, &[&str]); 3] = [
            (
                HASH_A,
                &[
                    "mesh/cube_20mm_ascii.stl",
                    "mesh/cube_20mm_binary.stl",
                    "mesh/cube_20mm_binary_solid_header.stl",
                    "mesh/cube_20mm.obj",
                    "mesh/cube_20mm.3mf",
                    "3mf/cube_20mm_prusa_project.3mf",
                ],
            ),
            (
                HASH_B,
                &[
                    "mesh/two_bodies_ascii.stl",
                    "mesh/two_bodies_binary.stl",
                    "mesh/two_bodies_reordered.stl",
                    "mesh/two_bodies.obj",
                    "mesh/two_bodies.3mf",
                ],
            ),
            (
                HASH_C,
                &["mesh/sphere_50k_binary.stl", "mesh/sphere_50k.3mf"],
            ),
        ];
        for (hash, files) in groups {
            for file in files {
                assert_eq!(load(file).canonical_hash(), hash, "{file}");
            }
        }
    }

    #[test]
    fn reads_from_files() {
        for path in [
            "mesh/sphere_50k.3mf",
            "mesh/two_bodies.obj",
            "mesh/cube_20mm_binary.stl",
        ] {
            let file = std::fs::File::open(format!("{FIXTURES}{path}")).expect("fixture");
            let kind = detect_mesh_kind(path, b"").expect("kind");
            let mesh = read_mesh_from(kind, file, &Limits::default()).expect(path);
            assert_eq!(mesh.canonical_hash(), load(path).canonical_hash());
        }
    }

    #[test]
    fn detects_kinds() {
        assert_eq!(detect_mesh_kind("a.STL", b"\0\0"), Some(MeshKind::Stl));
        assert_eq!(detect_mesh_kind("a.obj", b"v 1 2 3"), Some(MeshKind::Obj));
        assert_eq!(
            detect_mesh_kind("a.3mf", b"PK\x03\x04"),
            Some(MeshKind::ThreeMf)
        );
        assert_eq!(
            detect_mesh_kind("upload", b"PK\x03\x04"),
            Some(MeshKind::ThreeMf)
        );
        assert_eq!(
            detect_mesh_kind("upload", b"  solid x\n"),
            Some(MeshKind::Stl)
        );
        assert_eq!(detect_mesh_kind("a.zip", b"PK\x03\x04"), None);
        assert_eq!(detect_mesh_kind("a.gcode", b";FLAVOR"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn same_triangles_hash_alike_in_every_format(mesh in arb_mesh(), seed in any::<u64>()) {
            let expected = Mesh::from_triangles(mesh.clone()).canonical_hash();
            let limits = Limits::default();
            let three_mf = write_3mf(&mesh, "millimeter", 1.0, None, seed % 2 == 0);
            let encodings = [
                (MeshKind::Stl, write_binary_stl(&mesh)),
                (MeshKind::Stl, write_ascii_stl(&mesh)),
                (MeshKind::Obj, write_obj(&mesh)),
                (MeshKind::ThreeMf, rezip(&three_mf, seed % 3 == 0)),
                (MeshKind::ThreeMf, three_mf),
            ];
            for (kind, bytes) in encodings {
                let loaded = read_mesh(kind, &bytes, &limits).expect("read");
                prop_assert_eq!(loaded.canonical_hash(), expected.clone());
            }
        }
    }
}
