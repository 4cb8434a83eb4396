//! STL reader (binary and ASCII).
//!
//! Binary is recognised by its exact size (`84 + 50·n`) before anything
//! else, so binary files whose 80-byte header starts with `solid` are read
//! correctly. Otherwise a file that starts with `solid` and looks like text
//! is parsed as ASCII (case-insensitive keywords, free whitespace, CRLF,
//! several `solid` sections, polygons with more than three vertices
//! fan-triangulated). Anything else is binary with a count that disagrees
//! with the size: a zero count with whole records is accepted (some
//! exporters never fill it in), bytes missing for the declared count are
//! [`FormatError::Truncated`], and up to 49 trailing bytes after the
//! declared records are ignored. Stored normals are ignored; non-finite
//! coordinates are rejected. The triangle limit is checked before the
//! triangle buffer is allocated.

use rayon::prelude::*;

use super::mesh::{Mesh, Triangle};
use super::{FormatError, LimitKind, Limits};

const HEADER_LEN: usize = 80;
const PREAMBLE_LEN: usize = 84;
const RECORD_LEN: usize = 50;
const FORMAT: &str = "STL";

/// Which STL flavour a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StlFlavor {
    /// 80-byte header, count, 50-byte records.
    Binary,
    /// `solid … facet … endsolid` text.
    Ascii,
}

/// Decides binary vs ASCII by the rules in the module docs.
pub fn detect_flavor(bytes: &[u8]) -> StlFlavor {
    if bytes.len() >= PREAMBLE_LEN {
        let n = u64::from(declared_count(bytes));
        if PREAMBLE_LEN as u64 + RECORD_LEN as u64 * n == bytes.len() as u64 {
            return StlFlavor::Binary;
        }
    }
    if looks_like_ascii(bytes) {
        StlFlavor::Ascii
    } else {
        StlFlavor::Binary
    }
}

/// Reads an STL file of either flavour.
pub fn read_stl(bytes: &[u8], limits: &Limits) -> Result<Mesh, FormatError> {
    match detect_flavor(bytes) {
        StlFlavor::Binary => read_binary(bytes, limits),
        StlFlavor::Ascii => read_ascii(bytes, limits),
    }
}

fn declared_count(bytes: &[u8]) -> u32 {
    u32::from_le_bytes([
        bytes[HEADER_LEN],
        bytes[HEADER_LEN + 1],
        bytes[HEADER_LEN + 2],
        bytes[HEADER_LEN + 3],
    ])
}

/// `solid` (after an optional BOM and whitespace) followed by text: no
/// control bytes other than whitespace in the first KiB.
fn looks_like_ascii(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let body = &body[start..];
    let starts_solid = body.len() >= 5 && body[..5].eq_ignore_ascii_case(b"solid");
    starts_solid
        && body
            .iter()
            .take(1024)
            .all(|&b| b >= 0x20 || b == b'\t' || b == b'\n' || b == b'\r' || b == 0x0c)
}

fn check_triangle_limit(count: u64, limits: &Limits) -> Result<(), FormatError> {
    if count > limits.max_triangles {
        return Err(FormatError::LimitExceeded {
            limit: LimitKind::MaxTriangles,
            limit_value: limits.max_triangles,
        });
    }
    Ok(())
}

/// Reads a binary STL.
pub fn read_binary(bytes: &[u8], limits: &Limits) -> Result<Mesh, FormatError> {
    if bytes.len() < PREAMBLE_LEN {
        return Err(FormatError::Truncated {
            format: FORMAT,
            detail: format!("{} bytes is shorter than the 84-byte header", bytes.len()),
        });
    }
    let body_len = bytes.len() - PREAMBLE_LEN;
    let declared = declared_count(bytes) as usize;
    let count = if declared == 0 && body_len > 0 && body_len.is_multiple_of(RECORD_LEN) {
        body_len / RECORD_LEN
    } else if declared.saturating_mul(RECORD_LEN) > body_len {
        return Err(FormatError::Truncated {
            format: FORMAT,
            detail: format!(
                "header declares {declared} triangles but only {} fit",
                body_len / RECORD_LEN
            ),
        });
    } else if body_len - declared * RECORD_LEN >= RECORD_LEN {
        return Err(FormatError::Malformed {
            format: FORMAT,
            detail: format!(
                "header declares {declared} triangles but the file holds {} more bytes",
                body_len - declared * RECORD_LEN
            ),
        });
    } else {
        declared
    };
    check_triangle_limit(count as u64, limits)?;
    let records = &bytes[PREAMBLE_LEN..PREAMBLE_LEN + count * RECORD_LEN];
    let mut triangles: Vec<Triangle> = Vec::new();
    triangles
        .try_reserve_exact(count)
        .map_err(|_| FormatError::LimitExceeded {
            limit: LimitKind::MaxTriangles,
            limit_value: limits.max_triangles,
        })?;
    if count >= 64 * 1024 {
        records
            .par_chunks_exact(RECORD_LEN)
            .map(record_triangle)
            .collect_into_vec(&mut triangles);
    } else {
        triangles.extend(records.chunks_exact(RECORD_LEN).map(record_triangle));
    }
    let finite = |t: &Triangle| t.iter().flatten().all(|c| c.is_finite());
    let bad = if count >= 64 * 1024 {
        triangles.par_iter().position_first(|t| !finite(t))
    } else {
        triangles.iter().position(|t| !finite(t))
    };
    if let Some(index) = bad {
        return Err(FormatError::Malformed {
            format: FORMAT,
            detail: format!("triangle {index} has a non-finite coordinate"),
        });
    }
    Ok(Mesh::from_triangles(triangles))
}

/// The three vertices of one 50-byte record (the normal is skipped).
#[inline]
fn record_triangle(record: &[u8]) -> Triangle {
    let f = |i: usize| f32::from_le_bytes([record[i], record[i + 1], record[i + 2], record[i + 3]]);
    [
        [f(12), f(16), f(20)],
        [f(24), f(28), f(32)],
        [f(36), f(40), f(44)],
    ]
}

/// Whitespace tokenizer that can skip to the end of the line (for names
/// after `solid` / `endsolid`) and reports line numbers for errors.
struct Tokens<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> Tokens<'a> {
    fn next(&mut self) -> Option<&'a [u8]> {
        while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_whitespace() {
            if self.bytes[self.pos] == b'\n' {
                self.line += 1;
            }
            self.pos += 1;
        }
        if self.pos >= self.bytes.len() {
            return None;
        }
        let start = self.pos;
        while self.pos < self.bytes.len() && !self.bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        Some(&self.bytes[start..self.pos])
    }

    fn skip_line(&mut self) {
        while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
            self.pos += 1;
        }
    }

    fn truncated(&self, expected: &str) -> FormatError {
        FormatError::Truncated {
            format: FORMAT,
            detail: format!("file ends where {expected} was expected"),
        }
    }

    fn malformed(&self, detail: String) -> FormatError {
        FormatError::Malformed {
            format: FORMAT,
            detail: format!("line {}: {detail}", self.line),
        }
    }

    /// Next token, which must be `keyword` (case-insensitive).
    fn expect(&mut self, keyword: &str) -> Result<(), FormatError> {
        match self.next() {
            None => Err(self.truncated(keyword)),
            Some(t) if t.eq_ignore_ascii_case(keyword.as_bytes()) => Ok(()),
            Some(t) => Err(self.malformed(format!(
                "expected `{keyword}`, found `{}`",
                String::from_utf8_lossy(t)
            ))),
        }
    }

    fn number(&mut self) -> Result<f32, FormatError> {
        let token = self.next().ok_or_else(|| self.truncated("a number"))?;
        let value = std::str::from_utf8(token)
            .ok()
            .and_then(|s| s.parse::<f32>().ok())
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                self.malformed(format!(
                    "`{}` is not a finite number",
                    String::from_utf8_lossy(token)
                ))
            })?;
        Ok(value)
    }
}

/// Reads an ASCII STL.
pub fn read_ascii(bytes: &[u8], limits: &Limits) -> Result<Mesh, FormatError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut tokens = Tokens {
        bytes: body,
        pos: 0,
        line: 1,
    };
    // A facet is ~250 bytes of text; reserve for that, never above the limit.
    let estimate =
        (body.len() / 200).min(usize::try_from(limits.max_triangles).unwrap_or(usize::MAX));
    let mut triangles: Vec<Triangle> = Vec::with_capacity(estimate);
    let mut saw_solid = false;
    let mut polygon: Vec<[f32; 3]> = Vec::with_capacity(3);
    while let Some(token) = tokens.next() {
        if token.eq_ignore_ascii_case(b"solid") {
            saw_solid = true;
            tokens.skip_line();
        } else if token.eq_ignore_ascii_case(b"endsolid") {
            tokens.skip_line();
        } else if token.eq_ignore_ascii_case(b"facet") {
            if !saw_solid {
                return Err(tokens.malformed("`facet` before `solid`".into()));
            }
            tokens.expect("normal")?;
            for _ in 0..3 {
                tokens.number()?;
            }
            tokens.expect("outer")?;
            tokens.expect("loop")?;
            polygon.clear();
            loop {
                let token = tokens
                    .next()
                    .ok_or_else(|| tokens.truncated("`vertex` or `endloop`"))?;
                if token.eq_ignore_ascii_case(b"vertex") {
                    polygon.push([tokens.number()?, tokens.number()?, tokens.number()?]);
                } else if token.eq_ignore_ascii_case(b"endloop") {
                    break;
                } else {
                    return Err(tokens.malformed(format!(
                        "expected `vertex` or `endloop`, found `{}`",
                        String::from_utf8_lossy(token)
                    )));
                }
            }
            tokens.expect("endfacet")?;
            if polygon.len() < 3 {
                return Err(tokens.malformed(format!("facet with {} vertices", polygon.len())));
            }
            check_triangle_limit((triangles.len() + polygon.len() - 2) as u64, limits)?;
            for i in 1..polygon.len() - 1 {
                triangles.push([polygon[0], polygon[i], polygon[i + 1]]);
            }
        } else {
            return Err(
                tokens.malformed(format!("unexpected `{}`", String::from_utf8_lossy(token)))
            );
        }
    }
    if !saw_solid {
        return Err(FormatError::Malformed {
            format: FORMAT,
            detail: "no `solid` found".into(),
        });
    }
    triangles.shrink_to_fit();
    Ok(Mesh::from_triangles(triangles))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::backend::formats::mesh_testkit::{
        HASH_A, HASH_B, HASH_C, arb_mesh, write_ascii_stl, write_binary_stl,
    };

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/mesh/");

    fn read(name: &str) -> Mesh {
        let bytes = std::fs::read(format!("{DIR}{name}")).expect("fixture");
        read_stl(&bytes, &Limits::default()).expect(name)
    }

    fn assert_close(actual: f64, expected: f64, tol: f64) {
        assert!((actual - expected).abs() <= tol, "{actual} vs {expected}");
    }

    #[test]
    fn cube_variants_agree() {
        for name in [
            "cube_20mm_ascii.stl",
            "cube_20mm_binary.stl",
            "cube_20mm_binary_solid_header.stl",
        ] {
            let mesh = read(name);
            let stats = mesh.stats();
            assert_eq!(stats.triangle_count, 12, "{name}");
            assert_eq!(stats.min_mm, [0.0; 3]);
            assert_eq!(stats.max_mm, [20.0; 3]);
            assert_close(stats.volume_mm3, 8000.0, 1e-6);
            assert_eq!(stats.body_count, Some(1));
            assert_eq!(mesh.canonical_hash(), HASH_A, "{name}");
        }
    }

    #[test]
    fn solid_header_binary_is_detected_as_binary() {
        let bytes =
            std::fs::read(format!("{DIR}cube_20mm_binary_solid_header.stl")).expect("fixture");
        assert!(bytes.starts_with(b"solid"));
        assert_eq!(detect_flavor(&bytes), StlFlavor::Binary);
    }

    #[test]
    fn two_bodies_variants_agree() {
        for name in [
            "two_bodies_ascii.stl",
            "two_bodies_binary.stl",
            "two_bodies_reordered.stl",
        ] {
            let mesh = read(name);
            let stats = mesh.stats();
            assert_eq!(stats.triangle_count, 200, "{name}");
            assert_eq!(stats.body_count, Some(2), "{name}");
            assert_close(stats.min_mm[0], 0.0, 1e-4);
            assert_close(stats.max_mm[0], 46.0, 1e-4);
            assert_close(stats.max_mm[1], 15.0, 1e-4);
            assert_close(stats.max_mm[2], 12.0, 1e-4);
            assert_close(stats.volume_mm3, 3603.30, 0.01);
            assert_eq!(mesh.canonical_hash(), HASH_B, "{name}");
        }
    }

    #[test]
    fn sphere_facts() {
        let mesh = read("sphere_50k_binary.stl");
        let stats = mesh.stats();
        assert_eq!(stats.triangle_count, 50172);
        assert_eq!(stats.body_count, Some(1));
        assert_close(stats.min_mm[0], -24.9975, 1e-4);
        assert_close(stats.max_mm[2], 49.9975, 1e-4);
        assert_close(stats.min_mm[2], 0.0025, 1e-4);
        assert_close(stats.volume_mm3, 65428.39, 0.01);
        assert_eq!(mesh.canonical_hash(), HASH_C);
    }

    #[test]
    fn every_prefix_is_ok_or_typed_error() {
        for name in [
            "cube_20mm_ascii.stl",
            "cube_20mm_binary.stl",
            "cube_20mm_binary_solid_header.stl",
            "two_bodies_ascii.stl",
        ] {
            let bytes = std::fs::read(format!("{DIR}{name}")).expect("fixture");
            for len in 0..bytes.len() {
                // Must return (Ok or Err), never panic.
                let _ = read_stl(&bytes[..len], &Limits::default());
            }
            // Truncating a binary file is always an error.
            if detect_flavor(&bytes) == StlFlavor::Binary {
                assert!(matches!(
                    read_stl(&bytes[..bytes.len() - 1], &Limits::default()),
                    Err(FormatError::Truncated { .. })
                ));
            }
        }
        let ascii = std::fs::read(format!("{DIR}cube_20mm_ascii.stl")).expect("fixture");
        let cut = ascii.len() / 2;
        assert!(matches!(
            read_stl(&ascii[..cut], &Limits::default()),
            Err(FormatError::Truncated { .. } | FormatError::Malformed { .. })
        ));
    }

    #[test]
    fn limits_are_checked_before_allocating() {
        let mut bytes = vec![0u8; 84];
        bytes[80..84].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            read_stl(&bytes, &Limits::default()),
            Err(FormatError::Truncated { .. })
        ));
        let cube = std::fs::read(format!("{DIR}cube_20mm_binary.stl")).expect("fixture");
        let limits = Limits {
            max_triangles: 11,
            ..Limits::default()
        };
        assert!(matches!(
            read_stl(&cube, &limits),
            Err(FormatError::LimitExceeded {
                limit: LimitKind::MaxTriangles,
                ..
            })
        ));
        let ascii = std::fs::read(format!("{DIR}cube_20mm_ascii.stl")).expect("fixture");
        assert!(matches!(
            read_stl(&ascii, &limits),
            Err(FormatError::LimitExceeded {
                limit: LimitKind::MaxTriangles,
                ..
            })
        ));
    }

    #[test]
    fn zero_count_binary_uses_file_size() {
        let mut bytes = std::fs::read(format!("{DIR}cube_20mm_binary.stl")).expect("fixture");
        bytes[80..84].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            read_stl(&bytes, &Limits::default())
                .expect("zero count")
                .len(),
            12
        );
    }

    #[test]
    fn ascii_is_tolerant() {
        let text = b"\xEF\xBB\xBF  SOLID x y\r\n FACET NORMAL 0 0 -0\r\nouter loop vertex 0 0 0\n\n vertex 1e1 0 0 vertex 0 10 0 \
                     endloop endfacet endsolid x\nsolid second\nfacet normal 0 0 1 outer loop vertex 0 0 1 vertex 1 0 1 \
                     vertex 1 1 1 vertex 0 1 1 endloop endfacet endsolid";
        let mesh = read_stl(text, &Limits::default()).expect("tolerant");
        assert_eq!(mesh.len(), 3);
        assert_eq!(mesh.triangles()[0][1], [10.0, 0.0, 0.0]);
        for bad in [
            &b"solid x\nfacet normal 0 0 1 outer loop vertex 0 0 nan"[..],
            b"solid x\nbanana",
            b"solid\nfacet normal 0 0 0 outer loop vertex 0 0 0 endloop endfacet",
        ] {
            assert!(matches!(
                read_stl(bad, &Limits::default()),
                Err(FormatError::Malformed { .. })
            ));
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 99u64;
        for len in [0usize, 1, 5, 83, 84, 85, 133, 134, 200, 1000] {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (seed >> 56) as u8
                })
                .collect();
            let _ = read_stl(&bytes, &Limits::default());
            let mut solid = b"solid ".to_vec();
            solid.extend(bytes.iter().map(|b| b % 96 + 32));
            let _ = read_stl(&solid, &Limits::default());
        }
    }

    proptest! {
        #[test]
        fn ascii_binary_round_trip(mesh in arb_mesh()) {
            let binary = read_stl(&write_binary_stl(&mesh), &Limits::default()).expect("binary");
            let ascii = read_stl(&write_ascii_stl(&mesh), &Limits::default()).expect("ascii");
            prop_assert_eq!(binary.triangles(), &mesh[..]);
            prop_assert_eq!(ascii.triangles(), &mesh[..]);
            prop_assert_eq!(binary.canonical_hash(), ascii.canonical_hash());
        }
    }
}
