//! The mesh the browser's 3D preview draws: welded, decimated by vertex
//! clustering when it is larger than the preview budget, quantised and
//! written in the small binary "PSM1" layout `public/viewer/mesh-viewer.js`
//! reads (ADR 0010).
//!
//! PSM1, little-endian: `b"PSM1"`, u32 vertex count V, u32 triangle count T,
//! u32 triangles of the source mesh, 6 × f32 bounding box (min xyz, max xyz,
//! mm), V × 3 × u16 positions quantised in the box, zero padding to a
//! multiple of 4 bytes, T × 3 × u32 vertex indices.

use std::collections::{HashMap, HashSet};

use super::mesh::{Triangle, Vertex, bounds};

/// Most triangles the preview sends (about 2 MB of PSM1); larger meshes are
/// clustered down to at most this.
pub const PREVIEW_TRIANGLES: usize = 150_000;

/// The layout tag at the start of every preview.
pub const MAGIC: &[u8; 4] = b"PSM1";

/// An indexed mesh ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewMesh {
    /// Vertex positions, mm.
    pub vertices: Vec<Vertex>,
    /// Triangles as indices into `vertices`.
    pub triangles: Vec<[u32; 3]>,
    /// Triangles of the mesh it was made from.
    pub source_triangles: usize,
    /// Bounding box of the source mesh (min, max).
    pub bounds: (Vertex, Vertex),
}

/// Builds the preview of `triangles`, keeping at most `budget` triangles.
/// `None` for an empty mesh.
pub fn build_preview(triangles: &[Triangle], budget: usize) -> Option<PreviewMesh> {
    let (min, max) = bounds(triangles)?;
    let extent = (0..3).fold(0f32, |e, axis| e.max(max[axis] - min[axis]));
    // Welding first; cluster on ever coarser grids until it fits.
    let mut mesh = cluster(triangles, (min, max), None);
    if mesh.triangles.len() > budget && extent > 0.0 {
        // Surface meshes keep about two triangles per occupied cell, and the
        // occupied cells of a surface grow with the square of the grid's
        // resolution: start there and shrink until the result fits.
        let mut cells = ((budget as f64 / 2.0).sqrt() * 1.5).max(4.0);
        loop {
            let cell = f64::from(extent) / cells;
            mesh = cluster(triangles, (min, max), Some(cell));
            if mesh.triangles.len() <= budget || cells <= 2.0 {
                break;
            }
            cells *= 0.8;
        }
    }
    mesh.source_triangles = triangles.len();
    Some(mesh)
}

/// Merges vertices that fall into the same grid cell (`cell` mm; `None`:
/// only positions within the same micrometre), placing each at the mean of its members, and
/// drops triangles that collapse or repeat.
fn cluster(triangles: &[Triangle], bounds: (Vertex, Vertex), cell: Option<f64>) -> PreviewMesh {
    let (min, _) = bounds;
    let mut index_of: HashMap<[i64; 3], u32> = HashMap::new();
    let mut sums: Vec<[f64; 4]> = Vec::new();
    let mut key_of = |v: &Vertex| -> u32 {
        let key = match cell {
            Some(size) => {
                [0, 1, 2].map(|a| ((f64::from(v[a]) - f64::from(min[a])) / size).floor() as i64)
            }
            // Whole micrometres, as the canonical hash sees positions.
            None => [0, 1, 2].map(|a| (f64::from(v[a]) * 1000.0).round() as i64),
        };
        let next = sums.len() as u32;
        let index = *index_of.entry(key).or_insert(next);
        if index == next {
            sums.push([0.0; 4]);
        }
        let sum = &mut sums[index as usize];
        for a in 0..3 {
            sum[a] += f64::from(v[a]);
        }
        sum[3] += 1.0;
        index
    };
    let mut seen: HashSet<[u32; 3]> = HashSet::new();
    let mut out = Vec::new();
    for triangle in triangles {
        let t = [
            key_of(&triangle[0]),
            key_of(&triangle[1]),
            key_of(&triangle[2]),
        ];
        if t[0] == t[1] || t[1] == t[2] || t[0] == t[2] {
            continue;
        }
        // The same corners in the same winding are one triangle.
        let start = (0..3).min_by_key(|&i| t[i]).unwrap_or(0);
        let canonical = [t[start], t[(start + 1) % 3], t[(start + 2) % 3]];
        if seen.insert(canonical) {
            out.push(t);
        }
    }
    let vertices = sums
        .iter()
        .map(|s| [0, 1, 2].map(|a| (s[a] / s[3]) as f32))
        .collect();
    PreviewMesh {
        vertices,
        triangles: out,
        source_triangles: triangles.len(),
        bounds,
    }
}

/// Writes `mesh` as PSM1.
pub fn encode(mesh: &PreviewMesh) -> Vec<u8> {
    let (min, max) = mesh.bounds;
    let positions = mesh.vertices.len() * 6;
    let padding = (4 - positions % 4) % 4;
    let mut out = Vec::with_capacity(40 + positions + padding + mesh.triangles.len() * 12);
    out.extend_from_slice(MAGIC);
    for n in [
        mesh.vertices.len(),
        mesh.triangles.len(),
        mesh.source_triangles,
    ] {
        out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
    }
    for value in min.iter().chain(max.iter()) {
        out.extend_from_slice(&value.to_le_bytes());
    }
    for vertex in &mesh.vertices {
        for axis in 0..3 {
            let span = f64::from(max[axis]) - f64::from(min[axis]);
            let q = if span > 0.0 {
                ((f64::from(vertex[axis]) - f64::from(min[axis])) / span * 65535.0)
                    .round()
                    .clamp(0.0, 65535.0)
            } else {
                0.0
            };
            out.extend_from_slice(&(q as u16).to_le_bytes());
        }
    }
    out.resize(out.len() + padding, 0);
    for triangle in &mesh.triangles {
        for index in triangle {
            out.extend_from_slice(&index.to_le_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UV sphere of radius 10 mm with `rings` × `segments` quads.
    fn sphere(rings: usize, segments: usize) -> Vec<Triangle> {
        let point = |ring: usize, seg: usize| -> Vertex {
            let theta = std::f64::consts::PI * ring as f64 / rings as f64;
            let phi = std::f64::consts::TAU * (seg % segments) as f64 / segments as f64;
            [
                (10.0 * theta.sin() * phi.cos()) as f32,
                (10.0 * theta.sin() * phi.sin()) as f32,
                (10.0 + 10.0 * theta.cos()) as f32,
            ]
        };
        let mut out = Vec::new();
        for r in 0..rings {
            for s in 0..segments {
                let (a, b, c, d) = (
                    point(r, s),
                    point(r + 1, s),
                    point(r + 1, s + 1),
                    point(r, s + 1),
                );
                out.push([a, b, c]);
                out.push([a, c, d]);
            }
        }
        out
    }

    fn u32_at(bytes: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
    }

    #[test]
    fn a_small_mesh_is_welded_not_decimated() {
        let source = sphere(12, 24);
        let preview = build_preview(&source, PREVIEW_TRIANGLES).expect("not empty");
        // The pole quads collapse into one triangle each; nothing else goes.
        assert_eq!(preview.triangles.len(), source.len() - 2 * 24);
        assert_eq!(preview.vertices.len(), 11 * 24 + 2);
        assert_eq!(preview.source_triangles, source.len());
    }

    #[test]
    fn a_large_mesh_is_clustered_under_the_budget_and_keeps_its_shape() {
        let source = sphere(200, 400);
        let preview = build_preview(&source, 20_000).expect("not empty");
        assert!(
            preview.triangles.len() <= 20_000,
            "{}",
            preview.triangles.len()
        );
        assert!(
            preview.triangles.len() > 5_000,
            "{}",
            preview.triangles.len()
        );
        assert_eq!(preview.source_triangles, 160_000);
        // Every vertex still lies near the sphere's surface.
        for v in &preview.vertices {
            let r = ((v[0] * v[0]) + (v[1] * v[1]) + (v[2] - 10.0).powi(2)).sqrt();
            assert!(
                (r - 10.0).abs() < 0.6,
                "vertex {v:?} is {r} from the centre"
            );
        }
    }

    #[test]
    fn psm1_has_the_documented_layout() {
        let source = sphere(6, 8);
        let preview = build_preview(&source, PREVIEW_TRIANGLES).expect("not empty");
        let bytes = encode(&preview);
        let (v, t) = (preview.vertices.len(), preview.triangles.len());
        assert_eq!(&bytes[..4], MAGIC);
        assert_eq!(u32_at(&bytes, 4) as usize, v);
        assert_eq!(u32_at(&bytes, 8) as usize, t);
        assert_eq!(u32_at(&bytes, 12) as usize, source.len());
        let min_z = f32::from_le_bytes(bytes[24..28].try_into().expect("f32"));
        let max_z = f32::from_le_bytes(bytes[36..40].try_into().expect("f32"));
        assert!(min_z.abs() < 1e-4 && (max_z - 20.0).abs() < 1e-4);
        let indices_at = 40 + (v * 6).div_ceil(4) * 4;
        assert_eq!(bytes.len(), indices_at + t * 12);
        for i in 0..t * 3 {
            assert!((u32_at(&bytes, indices_at + i * 4) as usize) < v);
        }
    }

    #[test]
    fn an_empty_mesh_has_no_preview() {
        assert!(build_preview(&[], PREVIEW_TRIANGLES).is_none());
    }
}
