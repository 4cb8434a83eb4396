//! Wavefront OBJ reader: geometry only.
//!
//! Reads `v x y z [w] [r g b]` and `f` lines (`v`, `v/vt`, `v//vn`,
//! `v/vt/vn`; 1-based, negative indices relative to the vertices read so
//! far); polygons are fan-triangulated. Every other statement (`vt`, `vn`,
//! `o`, `g`, `s`, `usemtl`, `mtllib`, `l`, `p`, …) is ignored. Units are
//! taken as millimetres. An index of 0 or one that points past the vertex
//! list (checked after the whole file is read, so forward references work)
//! is a [`FormatError::Malformed`] naming the line.

use super::mesh::{Mesh, Triangle};
use super::{FormatError, LimitKind, Limits};

const FORMAT: &str = "OBJ";

/// Reads an OBJ file.
pub fn read_obj(bytes: &[u8], limits: &Limits) -> Result<Mesh, FormatError> {
    let malformed = |line: usize, detail: String| FormatError::Malformed {
        format: FORMAT,
        detail: format!("line {line}: {detail}"),
    };
    let mut vertices: Vec<[f64; 3]> = Vec::new();
    // Triangles as absolute 0-based vertex indices plus their line number,
    // resolved once all vertices are known.
    let mut faces: Vec<([u32; 3], u32)> = Vec::new();
    let mut polygon: Vec<u32> = Vec::with_capacity(8);
    for (line_index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = line_index + 1;
        let line = raw.split(|&b| b == b'#').next().unwrap_or(&[]);
        let mut fields = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|f| !f.is_empty());
        match fields.next() {
            Some(b"v") => {
                let mut xyz = [0.0f64; 3];
                for slot in &mut xyz {
                    let field = fields.next().ok_or_else(|| {
                        malformed(line_no, "vertex needs three coordinates".into())
                    })?;
                    *slot = parse_f64(field).ok_or_else(|| {
                        malformed(
                            line_no,
                            format!(
                                "`{}` is not a finite number",
                                String::from_utf8_lossy(field)
                            ),
                        )
                    })?;
                }
                if vertices.len() as u64 >= limits.max_triangles.saturating_mul(3).saturating_add(3)
                {
                    return Err(FormatError::LimitExceeded {
                        limit: LimitKind::MaxTriangles,
                        limit_value: limits.max_triangles,
                    });
                }
                vertices.push(xyz);
            }
            Some(b"f") | Some(b"fo") => {
                polygon.clear();
                for field in fields {
                    let index_text = field.split(|&b| b == b'/').next().unwrap_or(&[]);
                    let index = std::str::from_utf8(index_text)
                        .ok()
                        .and_then(|s| s.parse::<i64>().ok())
                        .ok_or_else(|| {
                            malformed(
                                line_no,
                                format!(
                                    "`{}` is not a vertex index",
                                    String::from_utf8_lossy(field)
                                ),
                            )
                        })?;
                    let absolute = match index {
                        0 => {
                            return Err(malformed(
                                line_no,
                                "vertex index 0 (indices start at 1)".into(),
                            ));
                        }
                        i if i > 0 => i - 1,
                        i => vertices.len() as i64 + i,
                    };
                    let absolute = u32::try_from(absolute).map_err(|_| {
                        malformed(line_no, format!("vertex index {index} is out of range"))
                    })?;
                    polygon.push(absolute);
                }
                if polygon.len() < 3 {
                    return Err(malformed(
                        line_no,
                        format!("face with {} vertices", polygon.len()),
                    ));
                }
                if (faces.len() + polygon.len() - 2) as u64 > limits.max_triangles {
                    return Err(FormatError::LimitExceeded {
                        limit: LimitKind::MaxTriangles,
                        limit_value: limits.max_triangles,
                    });
                }
                let line_tag = u32::try_from(line_no).unwrap_or(u32::MAX);
                for i in 1..polygon.len() - 1 {
                    faces.push(([polygon[0], polygon[i], polygon[i + 1]], line_tag));
                }
            }
            _ => {}
        }
    }
    let mut triangles: Vec<Triangle> = Vec::with_capacity(faces.len());
    for (corners, line_no) in faces {
        let mut tri = [[0.0f32; 3]; 3];
        for (slot, &index) in tri.iter_mut().zip(&corners) {
            let v = vertices.get(index as usize).ok_or_else(|| {
                malformed(
                    line_no as usize,
                    format!(
                        "vertex {} does not exist ({} vertices)",
                        i64::from(index) + 1,
                        vertices.len()
                    ),
                )
            })?;
            *slot = v.map(|c| c as f32);
        }
        triangles.push(tri);
    }
    Ok(Mesh::from_triangles(triangles))
}

fn parse_f64(field: &[u8]) -> Option<f64> {
    std::str::from_utf8(field)
        .ok()?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() < 1e15)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::backend::formats::mesh_testkit::{HASH_A, HASH_B, arb_mesh, write_obj};

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mesh/");

    fn read(name: &str) -> Mesh {
        read_obj(
            &std::fs::read(format!("{DIR}{name}")).expect("fixture"),
            &Limits::default(),
        )
        .expect(name)
    }

    #[test]
    fn cube_obj_matches_stl() {
        let mesh = read("cube_20mm.obj");
        let stats = mesh.stats();
        assert_eq!(stats.triangle_count, 12);
        assert_eq!(stats.max_mm, [20.0; 3]);
        assert!((stats.volume_mm3 - 8000.0).abs() < 1e-6);
        assert_eq!(mesh.canonical_hash(), HASH_A);
    }

    #[test]
    fn two_bodies_obj_matches_stl() {
        let mesh = read("two_bodies.obj");
        let stats = mesh.stats();
        assert_eq!(stats.triangle_count, 200);
        assert_eq!(stats.body_count, Some(2));
        assert!((stats.volume_mm3 - 3603.30).abs() < 0.01);
        assert_eq!(mesh.canonical_hash(), HASH_B);
    }

    #[test]
    fn polygons_and_index_forms() {
        let text = b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0 1.0 0.5 0.5 0.5\nvt 0 0\nvn 0 0 1\n\
                     f 1/1/1 2/1/1 3/1/1 4/1/1 # quad\nf -4//1 -2//1 -1//1\ng x\nusemtl red\ns off\n";
        let mesh = read_obj(text, &Limits::default()).expect("obj");
        assert_eq!(mesh.len(), 3);
        assert_eq!(
            mesh.triangles()[1],
            [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
        );
        assert_eq!(
            mesh.triangles()[2],
            [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
        );
    }

    #[test]
    fn bad_indices_are_typed_errors() {
        for bad in [
            &b"v 0 0 0\nf 1 2 3\n"[..],
            b"v 0 0 0\nf 0 1 1\n",
            b"v 0 0 0\nf -2 1 1\n",
            b"v 0 0\n",
            b"v 0 0 0\nf 1 1\n",
            b"v a b c\n",
            b"v 0 0 0\nf x 1 1\n",
        ] {
            assert!(
                matches!(
                    read_obj(bad, &Limits::default()),
                    Err(FormatError::Malformed { .. })
                ),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn triangle_limit() {
        let limits = Limits {
            max_triangles: 2,
            ..Limits::default()
        };
        let text = b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 0 1 1\nf 1 2 3 4 5\n";
        assert!(matches!(
            read_obj(text, &limits),
            Err(FormatError::LimitExceeded { .. })
        ));
    }

    #[test]
    fn every_prefix_is_ok_or_typed_error() {
        let bytes = std::fs::read(format!("{DIR}two_bodies.obj")).expect("fixture");
        for len in 0..bytes.len() {
            let _ = read_obj(&bytes[..len], &Limits::default());
        }
    }

    proptest! {
        #[test]
        fn obj_round_trip(mesh in arb_mesh()) {
            let read = read_obj(&write_obj(&mesh), &Limits::default()).expect("obj");
            prop_assert_eq!(read.triangles(), &mesh[..]);
        }
    }
}
