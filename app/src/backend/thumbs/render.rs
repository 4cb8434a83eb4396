//! Our own software rasteriser: a thumbnail for a mesh that carries no
//! embedded image.
//!
//! Orthographic three-quarter view (Z up, camera at azimuth 45° from the
//! front, 30° above the horizon by default), fitted to the frame with a
//! margin, z-buffered, flat-shaded with a key light, a weaker fill light
//! and ambient (lighting done in linear light, then sRGB-encoded), two-sided
//! so open or inverted meshes still look solid, anti-aliased by 2×2
//! supersampling, on a transparent background.
//!
//! Memory: the mesh is read in place (vertices are projected on the fly,
//! never copied); the only allocations are the frame buffers — per worker
//! thread one supersampled depth buffer (`f32`) and one shade buffer (`u8`),
//! i.e. 5 bytes × 4 samples per pixel (6 MB per thread at 640×480) — plus
//! the output image. Triangles are split into one chunk per thread; the
//! per-thread buffers are merged by depth at the end.

use image::RgbaImage;
use rayon::prelude::*;

use crate::backend::formats::mesh::Triangle;

/// How to render a thumbnail.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// Output width in pixels.
    pub width: u32,
    /// Output height in pixels.
    pub height: u32,
    /// Camera azimuth in degrees, measured from the front (−Y) towards +X.
    pub azimuth_deg: f64,
    /// Camera elevation above the XY plane in degrees.
    pub elevation_deg: f64,
    /// Empty border on each side, as a fraction of the frame.
    pub margin: f64,
    /// Base material colour (sRGB).
    pub color: [u8; 3],
    /// Samples per pixel along each axis (1 = no anti-aliasing, 2 = 2×2).
    pub supersample: u32,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            width: 640,
            height: 480,
            azimuth_deg: 45.0,
            elevation_deg: 30.0,
            margin: 0.06,
            color: [0x4f, 0x8f, 0xd8],
            supersample: 2,
        }
    }
}

/// Largest frame accepted (per axis, output pixels); bigger requests are clamped.
pub const MAX_SIDE: u32 = 4096;

/// Triangles per rasterising task below which one thread does everything.
const PARALLEL_THRESHOLD: usize = 32 * 1024;

/// Shade value meaning "no surface here".
const EMPTY: u8 = 0;

/// Orthographic camera: world → supersampled screen coordinates.
#[derive(Debug, Clone, Copy)]
struct Camera {
    right: [f64; 3],
    up: [f64; 3],
    toward_viewer: [f64; 3],
    scale: f64,
    offset: [f64; 2],
}

impl Camera {
    /// Screen x (right), y (down) and depth (larger = nearer).
    #[inline]
    fn project(&self, v: &[f32; 3]) -> [f32; 3] {
        let p = [f64::from(v[0]), f64::from(v[1]), f64::from(v[2])];
        [
            (dot(p, self.right) * self.scale + self.offset[0]) as f32,
            (-dot(p, self.up) * self.scale + self.offset[1]) as f32,
            dot(p, self.toward_viewer) as f32,
        ]
    }
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn normalize(a: [f64; 3]) -> [f64; 3] {
    let n = dot(a, a).sqrt();
    if n > 0.0 {
        [a[0] / n, a[1] / n, a[2] / n]
    } else {
        [0.0, 0.0, 1.0]
    }
}

/// One frame: supersampled depth and shade.
struct Frame {
    depth: Vec<f32>,
    shade: Vec<u8>,
}

impl Frame {
    fn new(samples: usize) -> Self {
        Self {
            depth: vec![f32::NEG_INFINITY; samples],
            shade: vec![EMPTY; samples],
        }
    }

    /// Keeps the nearer surface of each sample.
    fn merge(&mut self, other: &Frame) {
        for ((d, s), (od, os)) in self
            .depth
            .iter_mut()
            .zip(self.shade.iter_mut())
            .zip(other.depth.iter().zip(&other.shade))
        {
            if *od > *d {
                *d = *od;
                *s = *os;
            }
        }
    }
}

/// Renders triangles (millimetres) into an RGBA image with a transparent
/// background. An empty mesh gives a fully transparent image.
pub fn render_mesh(triangles: &[Triangle], options: &RenderOptions) -> RgbaImage {
    let width = options.width.clamp(1, MAX_SIDE);
    let height = options.height.clamp(1, MAX_SIDE);
    let ss = options.supersample.clamp(1, 4);
    let (sw, sh) = ((width * ss) as usize, (height * ss) as usize);

    let az = options.azimuth_deg.to_radians();
    let el = options.elevation_deg.to_radians();
    let toward_viewer = [az.sin() * el.cos(), -az.cos() * el.cos(), el.sin()];
    let forward = toward_viewer.map(|c| -c);
    let right = normalize(cross(forward, [0.0, 0.0, 1.0]));
    let up = cross(right, forward);
    let mut camera = Camera {
        right,
        up,
        toward_viewer,
        scale: 1.0,
        offset: [0.0, 0.0],
    };

    // Fit: projected extent of all vertices at scale 1.
    let Some((lo, hi)) = projected_bounds(triangles, &camera) else {
        return RgbaImage::new(width, height);
    };
    let margin = options.margin.clamp(0.0, 0.45);
    let avail_w = sw as f64 * (1.0 - 2.0 * margin);
    let avail_h = sh as f64 * (1.0 - 2.0 * margin);
    let extent = [(hi[0] - lo[0]).max(1e-9), (hi[1] - lo[1]).max(1e-9)];
    camera.scale = (avail_w / extent[0]).min(avail_h / extent[1]);
    camera.offset = [
        sw as f64 * 0.5 - (lo[0] + hi[0]) * 0.5 * camera.scale,
        sh as f64 * 0.5 - (lo[1] + hi[1]) * 0.5 * camera.scale,
    ];

    let lights = Lights::new(&camera);
    let raster = |chunk: &[Triangle]| {
        let mut frame = Frame::new(sw * sh);
        for tri in chunk {
            rasterize(tri, &camera, &lights, &mut frame, sw, sh);
        }
        frame
    };
    let frame = if triangles.len() >= PARALLEL_THRESHOLD {
        let threads = rayon::current_num_threads().max(1);
        let chunk_len = triangles.len().div_ceil(threads);
        triangles
            .par_chunks(chunk_len)
            .map(raster)
            .reduce_with(|mut a, b| {
                a.merge(&b);
                a
            })
            .unwrap_or_else(|| Frame::new(sw * sh))
    } else {
        raster(triangles)
    };
    resolve(&frame, width, height, ss, options.color)
}

/// Min/max of projected x and y over every vertex (at scale 1, no offset).
fn projected_bounds(triangles: &[Triangle], camera: &Camera) -> Option<([f64; 2], [f64; 2])> {
    if triangles.is_empty() {
        return None;
    }
    let fold = |chunk: &[Triangle]| {
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for v in chunk.iter().flatten() {
            let p = camera.project(v);
            for axis in 0..2 {
                lo[axis] = lo[axis].min(f64::from(p[axis]));
                hi[axis] = hi[axis].max(f64::from(p[axis]));
            }
        }
        (lo, hi)
    };
    let parts: Vec<([f64; 2], [f64; 2])> =
        triangles.par_chunks(PARALLEL_THRESHOLD).map(fold).collect();
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    for (l, h) in parts {
        for axis in 0..2 {
            lo[axis] = lo[axis].min(l[axis]);
            hi[axis] = hi[axis].max(h[axis]);
        }
    }
    (lo[0].is_finite() && hi[0].is_finite() && lo[1].is_finite() && hi[1].is_finite())
        .then_some((lo, hi))
}

/// Light directions in world space (relative to the camera, so every view
/// is lit alike) and the shade quantisation.
struct Lights {
    key: [f64; 3],
    fill: [f64; 3],
    /// Blinn-Phong half vector of the key light.
    half: [f64; 3],
    toward_viewer: [f64; 3],
}

/// Highest light level a shade byte encodes; above 1.0 the colour is
/// pushed towards white (specular highlight).
const MAX_LIGHT: f64 = 1.4;

impl Lights {
    fn new(camera: &Camera) -> Self {
        let combine = |r: f64, u: f64, v: f64| {
            normalize(
                [0, 1, 2]
                    .map(|i| r * camera.right[i] + u * camera.up[i] + v * camera.toward_viewer[i]),
            )
        };
        // Key from the upper left, fill from the right: the three visible
        // sides of a box get clearly different shades (top > left > right).
        let key = combine(-0.5, 0.55, 0.65);
        let half = normalize([0, 1, 2].map(|i| key[i] + camera.toward_viewer[i]));
        Self {
            key,
            fill: combine(0.8, 0.1, 0.6),
            half,
            toward_viewer: camera.toward_viewer,
        }
    }

    /// Shade level 1..=255 (0 is reserved for "empty") for a face normal.
    fn shade(&self, normal: [f64; 3]) -> u8 {
        // Two-sided: a face seen from behind is lit as if it faced us.
        let n = if dot(normal, self.toward_viewer) < 0.0 {
            normal.map(|c| -c)
        } else {
            normal
        };
        let key = dot(n, self.key).max(0.0);
        let fill = dot(n, self.fill).max(0.0);
        let specular = dot(n, self.half).max(0.0).powi(24);
        let light = 0.2 + 0.7 * key + 0.25 * fill + 0.3 * specular;
        (1.0 + light.clamp(0.0, MAX_LIGHT) / MAX_LIGHT * 254.0).round() as u8
    }
}

/// Rasterises one triangle into the frame (edge functions over its
/// bounding box, sample centres at +0.5).
#[inline]
fn rasterize(
    tri: &Triangle,
    camera: &Camera,
    lights: &Lights,
    frame: &mut Frame,
    sw: usize,
    sh: usize,
) {
    let a = camera.project(&tri[0]);
    let b = camera.project(&tri[1]);
    let c = camera.project(&tri[2]);
    let area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
    if area == 0.0 || !area.is_finite() {
        return;
    }
    let min_x = a[0].min(b[0]).min(c[0]).floor().max(0.0);
    let max_x = a[0].max(b[0]).max(c[0]).ceil().min(sw as f32);
    let min_y = a[1].min(b[1]).min(c[1]).floor().max(0.0);
    let max_y = a[1].max(b[1]).max(c[1]).ceil().min(sh as f32);
    if min_x >= max_x || min_y >= max_y {
        return;
    }
    let edge = |to: usize| {
        [
            f64::from(tri[to][0]) - f64::from(tri[0][0]),
            f64::from(tri[to][1]) - f64::from(tri[0][1]),
            f64::from(tri[to][2]) - f64::from(tri[0][2]),
        ]
    };
    let normal = normalize(cross(edge(1), edge(2)));
    let shade = lights.shade(normal);
    let inv_area = 1.0 / area;
    let (x0, x1, y0, y1) = (
        min_x as usize,
        max_x as usize,
        min_y as usize,
        max_y as usize,
    );
    for y in y0..y1 {
        let py = y as f32 + 0.5;
        let row = y * sw;
        // Narrow wide rows to the triangle's span; a few samples are
        // cheaper to test than to narrow.
        let (x_from, x_to) = if x1 - x0 > NARROW_ROWS_WIDER_THAN {
            match row_span(a, b, c, inv_area, py, x0, x1) {
                Some(span) => span,
                None => continue,
            }
        } else {
            (x0, x1)
        };
        for x in x_from..x_to {
            let [w0, w1, w2] = weights(a, b, c, inv_area, x as f32 + 0.5, py);
            if w0 < 0.0 || w1 < 0.0 || w2 < 0.0 {
                continue;
            }
            let z = w0 * a[2] + w1 * b[2] + w2 * c[2];
            let i = row + x;
            if z > frame.depth[i] {
                frame.depth[i] = z;
                frame.shade[i] = shade;
            }
        }
    }
}

/// Rows of a triangle's bounding box wider than this many samples are
/// narrowed with [`row_span`] before testing samples.
const NARROW_ROWS_WIDER_THAN: usize = 16;

/// Barycentric weights of the sample at (`px`, `py`); all ≥ 0 inside.
#[inline(always)]
fn weights(a: [f32; 3], b: [f32; 3], c: [f32; 3], inv_area: f32, px: f32, py: f32) -> [f32; 3] {
    let w0 = ((b[0] - px) * (c[1] - py) - (b[1] - py) * (c[0] - px)) * inv_area;
    let w1 = ((c[0] - px) * (a[1] - py) - (c[1] - py) * (a[0] - px)) * inv_area;
    [w0, w1, 1.0 - w0 - w1]
}

/// The columns of one sample row worth testing against a triangle: each
/// barycentric weight is linear in the sample's x, so the row's inside span
/// is an intersection of three half-lines. Widened by a sample on each side
/// so rounding here can never drop a sample the exact per-sample test in
/// [`rasterize`] would keep; `None` when the row misses the triangle.
fn row_span(
    a: [f32; 3],
    b: [f32; 3],
    c: [f32; 3],
    inv_area: f32,
    py: f32,
    x0: usize,
    x1: usize,
) -> Option<(usize, usize)> {
    let (a, b, c, inv, py) = (
        a.map(f64::from),
        b.map(f64::from),
        c.map(f64::from),
        f64::from(inv_area),
        f64::from(py),
    );
    // weight(px) = slope * px + intercept, for px = x + 0.5.
    let s0 = (b[1] - c[1]) * inv;
    let k0 = (b[0] * (c[1] - py) - c[0] * (b[1] - py)) * inv;
    let s1 = (c[1] - a[1]) * inv;
    let k1 = (c[0] * (a[1] - py) - a[0] * (c[1] - py)) * inv;
    let (s2, k2) = (-(s0 + s1), 1.0 - k0 - k1);
    let (mut lo, mut hi) = (x0 as f64 - 1.0, x1 as f64 + 1.0);
    // The per-sample test computes the weights in f32: allow them to be off
    // by WEIGHT_SLACK, i.e. move each crossing out by WEIGHT_SLACK / |slope|.
    const WEIGHT_SLACK: f64 = 1e-3;
    for (slope, intercept) in [(s0, k0), (s1, k1), (s2, k2)] {
        if slope.abs() < 1e-12 {
            if intercept < -WEIGHT_SLACK {
                return None;
            }
            continue;
        }
        let crossing = -intercept / slope - 0.5;
        let slack = WEIGHT_SLACK / slope.abs();
        if slope > 0.0 {
            lo = lo.max(crossing - slack);
        } else {
            hi = hi.min(crossing + slack);
        }
    }
    if !(lo.is_finite() && hi.is_finite()) || lo > hi + 2.0 {
        return None;
    }
    let from = Ord::max((lo.floor() - 1.0).max(0.0) as usize, x0);
    let to = Ord::min((hi.ceil() + 2.0).max(0.0) as usize, x1);
    (from < to).then_some((from, to))
}

/// sRGB → linear (0..1).
fn to_linear(c: u8) -> f64 {
    let c = f64::from(c) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Linear (0..1) → sRGB byte.
fn to_srgb(c: f64) -> u8 {
    let c = c.clamp(0.0, 1.0);
    let s = if c <= 0.003_130_8 {
        c * 12.92
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    };
    (s * 255.0).round() as u8
}

/// Resolution of the linear → sRGB lookup table (finer than 8-bit output
/// needs in the dark range, where sRGB is steepest).
const SRGB_STEPS: usize = 4095;

/// Averages each ss×ss block into one RGBA pixel: colour from the covered
/// samples (in linear light), alpha from the coverage.
fn resolve(frame: &Frame, width: u32, height: u32, ss: u32, color: [u8; 3]) -> RgbaImage {
    let base = color.map(to_linear);
    // Linear colour per shade level.
    let lut: Vec<[f64; 3]> = (0..=255u32)
        .map(|s| {
            let light = f64::from(s.saturating_sub(1)) / 254.0 * MAX_LIGHT;
            if light <= 1.0 {
                base.map(|c| c * light)
            } else {
                let towards_white = (light - 1.0) / (MAX_LIGHT - 1.0) * 0.6;
                base.map(|c| c + (1.0 - c) * towards_white)
            }
        })
        .collect();
    let srgb: Vec<u8> = (0..=SRGB_STEPS)
        .map(|i| to_srgb(i as f64 / SRGB_STEPS as f64))
        .collect();
    let (w, ss_us) = (width as usize, ss as usize);
    let sw = w * ss_us;
    let samples = (ss * ss) as f64;
    let mut out = RgbaImage::new(width, height);
    out.par_chunks_mut(w * 4).enumerate().for_each(|(y, row)| {
        for (x, px) in row.chunks_exact_mut(4).enumerate() {
            let mut sum = [0.0f64; 3];
            let mut covered = 0u32;
            for sy in 0..ss_us {
                let base_index = (y * ss_us + sy) * sw + x * ss_us;
                for s in &frame.shade[base_index..base_index + ss_us] {
                    if *s != EMPTY {
                        let c = lut[usize::from(*s)];
                        sum = [sum[0] + c[0], sum[1] + c[1], sum[2] + c[2]];
                        covered += 1;
                    }
                }
            }
            if covered > 0 {
                let n = f64::from(covered);
                // `+ 0.5` then truncate: rounding for these non-negative
                // values without a libm call per channel.
                let encode =
                    |c: f64| srgb[((c / n).clamp(0.0, 1.0) * SRGB_STEPS as f64 + 0.5) as usize];
                px[0] = encode(sum[0]);
                px[1] = encode(sum[1]);
                px[2] = encode(sum[2]);
                px[3] = (f64::from(covered) / samples * 255.0 + 0.5) as u8;
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::formats::{Limits, mesh_reader};

    fn load(path: &str) -> Vec<Triangle> {
        let bytes = std::fs::read(format!(
            "{}/tests/fixtures/mesh/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture");
        let kind = mesh_reader::detect_mesh_kind(path, &bytes).expect("kind");
        mesh_reader::read_mesh(kind, &bytes, &Limits::default())
            .expect("mesh")
            .mesh
            .into_triangles()
    }

    /// Bounding box of non-transparent pixels and the opaque share.
    fn coverage(img: &RgbaImage) -> (u32, u32, u32, u32, f64) {
        let (mut x0, mut y0, mut x1, mut y1, mut n) = (u32::MAX, u32::MAX, 0, 0, 0u64);
        for (x, y, p) in img.enumerate_pixels() {
            if p[3] > 0 {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
                n += 1;
            }
        }
        (
            x0,
            y0,
            x1,
            y1,
            n as f64 / f64::from(img.width() * img.height()),
        )
    }

    #[test]
    fn renders_fixtures_centred_on_transparent_background() {
        let out_dir = std::path::Path::new("/work/scratch/renders");
        let _ = std::fs::create_dir_all(out_dir);
        for name in [
            "cube_20mm_binary.stl",
            "two_bodies_binary.stl",
            "sphere_50k_binary.stl",
        ] {
            let img = render_mesh(&load(name), &RenderOptions::default());
            assert_eq!(img.dimensions(), (640, 480));
            let (x0, y0, x1, y1, share) = coverage(&img);
            assert!(share > 0.15 && share < 0.9, "{name}: covered share {share}");
            for corner in [(0, 0), (639, 0), (0, 479), (639, 479)] {
                assert_eq!(
                    img.get_pixel(corner.0, corner.1)[3],
                    0,
                    "{name}: background must be transparent"
                );
            }
            let cx = f64::from(x0 + x1) / 2.0;
            let cy = f64::from(y0 + y1) / 2.0;
            assert!(
                (cx - 320.0).abs() < 4.0 && (cy - 240.0).abs() < 4.0,
                "{name}: centre {cx},{cy}"
            );
            // Fitted: the object reaches the margin on one axis.
            assert!(x0 < 50 || y0 < 40, "{name}: not fitted ({x0},{y0})");
            // Shading varies across the surface.
            let shades: std::collections::BTreeSet<u8> =
                img.pixels().filter(|p| p[3] == 255).map(|p| p[2]).collect();
            assert!(shades.len() >= 3, "{name}: flat image");
            let stem = name.trim_end_matches(".stl");
            img.save(out_dir.join(format!("{stem}.png")))
                .expect("save png");
        }
    }

    #[test]
    fn empty_and_degenerate_meshes_give_transparent_images() {
        let img = render_mesh(
            &[],
            &RenderOptions {
                width: 32,
                height: 16,
                ..RenderOptions::default()
            },
        );
        assert!(img.pixels().all(|p| p[3] == 0));
        let flat = [[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]];
        let img = render_mesh(
            &flat,
            &RenderOptions {
                width: 32,
                height: 16,
                ..RenderOptions::default()
            },
        );
        assert!(img.pixels().all(|p| p[3] == 0));
    }

    /// `row_span` never drops a sample the exact per-sample test keeps, for
    /// random triangles of every shape (big, tiny, thin, near-horizontal
    /// edges, either winding) and rows through and around them.
    #[test]
    fn row_span_keeps_every_covered_sample() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |range: f32| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as f32 / (1u64 << 24) as f32 * range
        };
        let (sw, sh) = (320usize, 240usize);
        for case in 0..3000 {
            let scale = [320.0, 40.0, 3.0][case % 3];
            let base = [next(300.0), next(220.0)];
            let mut vertex = || [base[0] + next(scale), base[1] + next(scale), next(1.0)];
            let (a, b, mut c) = (vertex(), vertex(), vertex());
            if case % 7 == 0 {
                c[1] = a[1] + 1e-4; // a near-horizontal edge
            }
            let area = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
            if area == 0.0 || !area.is_finite() {
                continue;
            }
            let inv = 1.0 / area;
            for y in 0..sh {
                let py = y as f32 + 0.5;
                let covered: Vec<usize> = (0..sw)
                    .filter(|&x| {
                        weights(a, b, c, inv, x as f32 + 0.5, py)
                            .iter()
                            .all(|w| *w >= 0.0)
                    })
                    .collect();
                let span = row_span(a, b, c, inv, py, 0, sw);
                for x in covered {
                    let (from, to) = span.unwrap_or_else(|| {
                        panic!("case {case}: row {y} has sample {x} but no span")
                    });
                    assert!(
                        (from..to).contains(&x),
                        "case {case}: row {y} sample {x} outside span {from}..{to}"
                    );
                }
            }
        }
    }

    #[test]
    fn parallel_and_serial_paths_agree() {
        let tris = load("sphere_50k_binary.stl");
        let options = RenderOptions {
            width: 160,
            height: 120,
            ..RenderOptions::default()
        };
        let parallel = render_mesh(&tris, &options);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let serial = pool.install(|| render_mesh(&tris, &options));
        // Equal depths may resolve to different (equally valid) faces; allow a handful.
        let differing = parallel
            .pixels()
            .zip(serial.pixels())
            .filter(|(a, b)| a != b)
            .count();
        assert!(differing < 40, "{differing} pixels differ");
    }
}
