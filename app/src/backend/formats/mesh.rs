//! The in-memory mesh (a triangle soup in millimetres), its geometry
//! statistics, and the canonical mesh hash that deduplicates models
//! (DESIGN §3).
//!
//! Coordinates are stored as `f32`: binary STL *is* `f32`, the text formats
//! (ASCII STL, OBJ, 3MF) are written with 6–7 significant digits, and the
//! canonical hash quantises to 1 µm, which `f32` resolves for parts up to
//! ~8 m from the origin (ulp 0.5 µm at 8 m). Halving memory matters more:
//! 1 M triangles are 36 MB instead of 72 MB, and the renderer and hasher
//! stream over them without copying. All arithmetic on them (transforms,
//! volume, area, quantisation) is done in `f64`.
//!
//! Canonical hash, step by step (all integer after step 1, so exact):
//! 1. every coordinate is rounded to an integer number of micrometres
//!    (`round(mm × 1000)`, ties away from zero);
//! 2. the mesh is translated so its bounding-box minimum is the origin
//!    (subtracting the per-axis minimum of the rounded coordinates);
//! 3. triangles with two equal (rounded) vertices are dropped;
//! 4. each triangle is rotated to start at its lexicographically smallest
//!    vertex (winding kept);
//! 5. triangles are sorted lexicographically by their nine integers;
//! 6. SHA-256 over the nine integers of each triangle as little-endian `i64`,
//!    returned as lowercase hex.
//!
//! Steps 1 and 2 are in this order on purpose: rounding *after* translating
//! by a float minimum puts many coordinates of `sphere_50k` on exact
//! half-micrometre ties, and its STL and 3MF exports then hash differently.
//! Rounding first makes the translation exact and keeps every fixture
//! group of `fixtures/MANIFEST.md` on one hash. Rounding is monotonic, so
//! the rounded minimum is the minimum of the rounded coordinates and the
//! result is still "translated to the origin, in whole micrometres".

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// One vertex, millimetres.
pub type Vertex = [f32; 3];
/// One triangle; counter-clockwise seen from outside.
pub type Triangle = [Vertex; 3];

/// Meshes at least this large are processed on several threads.
const PARALLEL_THRESHOLD: usize = 64 * 1024;

/// Meshes at least this large are hashed with the sort/hash pipeline on two
/// threads (worth a thread spawn well before the other passes are).
const PIPELINE_THRESHOLD: usize = 8 * 1024;

/// A triangle soup in millimetres.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mesh {
    triangles: Vec<Triangle>,
}

/// Size and shape facts about a mesh, all in millimetres.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GeometryStats {
    /// Number of triangles in the mesh (degenerate ones included).
    pub triangle_count: u64,
    /// Bounding-box extent along X.
    pub bbox_x_mm: f64,
    /// Bounding-box extent along Y.
    pub bbox_y_mm: f64,
    /// Bounding-box extent along Z.
    pub bbox_z_mm: f64,
    /// Bounding-box minimum corner (zero for an empty mesh).
    pub min_mm: [f64; 3],
    /// Bounding-box maximum corner (zero for an empty mesh).
    pub max_mm: [f64; 3],
    /// Enclosed volume from signed tetrahedra; meaningful for closed meshes
    /// (absolute value, so inverted meshes still report a positive volume).
    pub volume_mm3: f64,
    /// Total triangle area.
    pub surface_area_mm2: f64,
    /// Connected components over vertices shared at 1 µm; `None` for an
    /// empty mesh.
    pub body_count: Option<u32>,
}

impl Mesh {
    /// An empty mesh.
    pub fn new() -> Self {
        Self::default()
    }

    /// Wraps a triangle list.
    pub fn from_triangles(triangles: Vec<Triangle>) -> Self {
        Self { triangles }
    }

    /// The triangles.
    pub fn triangles(&self) -> &[Triangle] {
        &self.triangles
    }

    /// Gives the triangle list back.
    pub fn into_triangles(self) -> Vec<Triangle> {
        self.triangles
    }

    /// Number of triangles.
    pub fn len(&self) -> usize {
        self.triangles.len()
    }

    /// Whether there are no triangles.
    pub fn is_empty(&self) -> bool {
        self.triangles.is_empty()
    }

    /// Bounding box `(min, max)`, or `None` when empty.
    pub fn bounds(&self) -> Option<(Vertex, Vertex)> {
        bounds(&self.triangles)
    }

    /// Geometry statistics (bbox, volume, area, bodies).
    pub fn stats(&self) -> GeometryStats {
        geometry_stats(&self.triangles)
    }

    /// The canonical mesh hash (lowercase hex SHA-256), see the module docs.
    pub fn canonical_hash(&self) -> String {
        canonical_hash(&self.triangles)
    }
}

/// Bounding box of a triangle list, `None` when empty.
pub fn bounds(triangles: &[Triangle]) -> Option<(Vertex, Vertex)> {
    let fold = |chunk: &[Triangle]| {
        let mut min = [f32::INFINITY; 3];
        let mut max = [f32::NEG_INFINITY; 3];
        for v in chunk.iter().flatten() {
            for axis in 0..3 {
                min[axis] = min[axis].min(v[axis]);
                max[axis] = max[axis].max(v[axis]);
            }
        }
        (min, max)
    };
    if triangles.is_empty() {
        return None;
    }
    let parts: Vec<(Vertex, Vertex)> = if triangles.len() >= PARALLEL_THRESHOLD {
        triangles.par_chunks(PARALLEL_THRESHOLD).map(fold).collect()
    } else {
        vec![fold(triangles)]
    };
    let mut min = [f32::INFINITY; 3];
    let mut max = [f32::NEG_INFINITY; 3];
    for (lo, hi) in parts {
        for axis in 0..3 {
            min[axis] = min[axis].min(lo[axis]);
            max[axis] = max[axis].max(hi[axis]);
        }
    }
    Some((min, max))
}

/// Geometry statistics of a triangle list.
pub fn geometry_stats(triangles: &[Triangle]) -> GeometryStats {
    let Some((min, max)) = bounds(triangles) else {
        return GeometryStats {
            triangle_count: 0,
            bbox_x_mm: 0.0,
            bbox_y_mm: 0.0,
            bbox_z_mm: 0.0,
            min_mm: [0.0; 3],
            max_mm: [0.0; 3],
            volume_mm3: 0.0,
            surface_area_mm2: 0.0,
            body_count: None,
        };
    };
    let min_mm = min.map(f64::from);
    let max_mm = max.map(f64::from);
    // Signed tetrahedra against the bbox centre keep the terms small, so
    // far-from-origin meshes do not lose precision to cancellation.
    let centre = [0, 1, 2].map(|a| (min_mm[a] + max_mm[a]) * 0.5);
    let partial = |chunk: &[Triangle]| {
        let mut six_volume = 0.0f64;
        let mut twice_area = 0.0f64;
        let rel = |v: &Vertex| {
            [
                f64::from(v[0]) - centre[0],
                f64::from(v[1]) - centre[1],
                f64::from(v[2]) - centre[2],
            ]
        };
        for tri in chunk {
            let (a, b, c) = (rel(&tri[0]), rel(&tri[1]), rel(&tri[2]));
            six_volume += dot(a, cross(b, c));
            twice_area += norm(cross(sub(b, a), sub(c, a)));
        }
        (six_volume, twice_area)
    };
    // Fixed chunks summed in order: the result does not depend on scheduling.
    let parts: Vec<(f64, f64)> = if triangles.len() >= PARALLEL_THRESHOLD {
        triangles
            .par_chunks(PARALLEL_THRESHOLD)
            .map(partial)
            .collect()
    } else {
        vec![partial(triangles)]
    };
    let (six_volume, twice_area) = parts
        .iter()
        .fold((0.0, 0.0), |acc, p| (acc.0 + p.0, acc.1 + p.1));
    GeometryStats {
        triangle_count: triangles.len() as u64,
        bbox_x_mm: max_mm[0] - min_mm[0],
        bbox_y_mm: max_mm[1] - min_mm[1],
        bbox_z_mm: max_mm[2] - min_mm[2],
        min_mm,
        max_mm,
        volume_mm3: (six_volume / 6.0).abs(),
        surface_area_mm2: twice_area * 0.5,
        body_count: Some(body_count(triangles)),
    }
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}

/// Largest magnitude, in micrometres, a coordinate is clamped to before
/// rounding (2^62 µm ≈ 4.6·10^12 km; nothing printable comes near it).
const MAX_MICROMETRES: f64 = 4_611_686_018_427_387_904.0;

/// Rounds millimetres to whole micrometres, ties away from zero — the same
/// as `f64::round` — with magnitudes clamped to [`MAX_MICROMETRES`] and NaN
/// giving 0. Written without `f64::round` (a libm call on baseline x86-64)
/// and without branches: the fraction test is a coin flip per coordinate,
/// so branches would mispredict half the time, and the hash rounds nine
/// coordinates per triangle. `v - trunc(v)` is exact for |v| < 2^52;
/// beyond that `v` is already an integer.
#[inline(always)]
fn micrometres(mm: f32) -> i64 {
    let v = (f64::from(mm) * 1000.0).clamp(-MAX_MICROMETRES, MAX_MICROMETRES);
    let truncated = v as i64;
    let fraction = v - truncated as f64;
    truncated + i64::from(fraction >= 0.5) - i64::from(fraction <= -0.5)
}

// ---------------------------------------------------------------- bodies

/// Multiply-rotate hasher for integer keys (vertex positions); the std
/// SipHash is several times slower and DoS resistance is irrelevant here
/// because the map is private to one computation with bounded size.
#[derive(Default)]
struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        // The multiply mixes upwards only; fold the high half down so the
        // low bits (hashbrown's bucket index) depend on every input bit.
        self.0 ^ (self.0 >> 32)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// A vertex position in whole micrometres, hashed as three `u64` writes.
#[derive(Clone, Copy, PartialEq, Eq)]
struct VertexKey([i64; 3]);

impl std::hash::Hash for VertexKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for c in self.0 {
            state.write_u64(c as u64);
        }
    }
}

/// Connected components over vertices that coincide at 1 µm (union-find
/// with path halving and union by size).
fn body_count(triangles: &[Triangle]) -> u32 {
    let mut ids: HashMap<VertexKey, u32, BuildHasherDefault<IntHasher>> = HashMap::default();
    ids.reserve(triangles.len() / 2 + 16);
    let mut parent: Vec<u32> = Vec::with_capacity(triangles.len() / 2 + 16);
    let mut size: Vec<u32> = Vec::with_capacity(triangles.len() / 2 + 16);
    for tri in triangles {
        let mut corner = [0u32; 3];
        for (slot, v) in corner.iter_mut().zip(tri) {
            let key = VertexKey([micrometres(v[0]), micrometres(v[1]), micrometres(v[2])]);
            let next = parent.len() as u32;
            *slot = *ids.entry(key).or_insert_with(|| {
                parent.push(next);
                size.push(1);
                next
            });
        }
        union(&mut parent, &mut size, corner[0], corner[1]);
        union(&mut parent, &mut size, corner[0], corner[2]);
    }
    (0..parent.len() as u32)
        .filter(|&i| parent[i as usize] == i)
        .count() as u32
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let grand = parent[parent[x as usize] as usize];
        parent[x as usize] = grand;
        x = grand;
    }
    x
}

fn union(parent: &mut [u32], size: &mut [u32], a: u32, b: u32) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra == rb {
        return;
    }
    let (big, small) = if size[ra as usize] >= size[rb as usize] {
        (ra, rb)
    } else {
        (rb, ra)
    };
    parent[small as usize] = big;
    size[big as usize] += size[small as usize];
}

// ---------------------------------------------------------- canonical hash

/// Integer type of one canonical coordinate: `u32` when the mesh spans less
/// than ~4.3 km (every real mesh; half the memory and faster sorting),
/// `i64` otherwise. Both sort identically and hash as the same `i64`.
trait Coord: Copy + Ord + Default + Send + Sync {
    fn from_i64(v: i64) -> Self;
    fn to_i64(self) -> i64;

    /// Canonical key of one triangle, `None` if degenerate at 1 µm.
    #[inline(always)]
    fn key(tri: &Triangle, origin: [i64; 3]) -> Option<[Self; 9]> {
        generic_key(tri, origin)
    }
}

impl Coord for u32 {
    #[inline]
    fn from_i64(v: i64) -> Self {
        v as u32
    }
    #[inline]
    fn to_i64(self) -> i64 {
        i64::from(self)
    }

    /// Packs each vertex into one `u128` (`x << 64 | y << 32 | z`), so the
    /// equality tests and the lexicographic minimum are plain integer
    /// compares the compiler turns into branch-free selects — this runs
    /// twice per triangle and dominated the hash before.
    #[inline(always)]
    fn key(tri: &Triangle, origin: [i64; 3]) -> Option<[Self; 9]> {
        // The caller picked u32 because every offset fits (0..=u32::MAX).
        let pack = |p: &Vertex| {
            let x = micrometres(p[0]).wrapping_sub(origin[0]) as u32;
            let y = micrometres(p[1]).wrapping_sub(origin[1]) as u32;
            let z = micrometres(p[2]).wrapping_sub(origin[2]) as u32;
            (u128::from(x) << 64) | (u128::from(y) << 32) | u128::from(z)
        };
        let (a, b, c) = (pack(&tri[0]), pack(&tri[1]), pack(&tri[2]));
        if a == b || b == c || a == c {
            return None;
        }
        let (a, b, c) = if a < b && a < c {
            (a, b, c)
        } else if b < c {
            (b, c, a)
        } else {
            (c, a, b)
        };
        let unpack = |v: u128| [(v >> 64) as u32, (v >> 32) as u32, v as u32];
        let (a, b, c) = (unpack(a), unpack(b), unpack(c));
        Some([a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]])
    }
}

impl Coord for i64 {
    #[inline]
    fn from_i64(v: i64) -> Self {
        v
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self
    }
}

/// The canonical mesh hash of a triangle list (lowercase hex SHA-256); see
/// the module docs for the definition.
pub fn canonical_hash(triangles: &[Triangle]) -> String {
    to_hex(&canonical_digest(triangles))
}

/// The canonical mesh hash as raw digest bytes.
pub fn canonical_digest(triangles: &[Triangle]) -> [u8; 32] {
    let Some((min, max)) = bounds(triangles) else {
        return Sha256::digest([]).into();
    };
    let origin = min.map(micrometres);
    let top = max.map(micrometres);
    let span = [0, 1, 2].map(|a| top[a].saturating_sub(origin[a]));
    let x_span = span[0].max(0) as u64;
    if span.iter().all(|&s| s <= i64::from(u32::MAX)) {
        digest_with::<u32>(triangles, origin, x_span)
    } else {
        digest_with::<i64>(triangles, origin, x_span)
    }
}

/// Lowercase hex of bytes.
pub fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

/// Canonical key of one triangle, or `None` if it is degenerate at 1 µm.
#[inline(always)]
fn canonical_key<C: Coord>(tri: &Triangle, origin: [i64; 3]) -> Option<[C; 9]> {
    C::key(tri, origin)
}

/// [`Coord::key`] for any coordinate type (the wide `i64` path).
#[inline]
fn generic_key<C: Coord>(tri: &Triangle, origin: [i64; 3]) -> Option<[C; 9]> {
    let q = |p: &Vertex| {
        [
            C::from_i64(micrometres(p[0]).saturating_sub(origin[0])),
            C::from_i64(micrometres(p[1]).saturating_sub(origin[1])),
            C::from_i64(micrometres(p[2]).saturating_sub(origin[2])),
        ]
    };
    let v = [q(&tri[0]), q(&tri[1]), q(&tri[2])];
    if v[0] == v[1] || v[1] == v[2] || v[0] == v[2] {
        return None;
    }
    let start = if v[0] <= v[1] {
        if v[0] <= v[2] { 0 } else { 2 }
    } else if v[1] <= v[2] {
        1
    } else {
        2
    };
    let (a, b, c) = (v[start], v[(start + 1) % 3], v[(start + 2) % 3]);
    Some([a[0], a[1], a[2], b[0], b[1], b[2], c[0], c[1], c[2]])
}

/// Bits of the first coordinate used per radix level.
const RADIX_BITS: u32 = 8;

/// Sorts the canonical keys and hashes them in order.
///
/// Sorting is a two-level MSD radix on the first coordinate (the x of each
/// triangle's smallest vertex) followed by a comparison sort of the tiny
/// groups left: level 1 scatters into at most 256 buckets (few enough write
/// heads to stay in cache; chunks of the mesh scatter in parallel into
/// disjoint sub-slices, no unsafe), level 2 counting-sorts each bucket
/// (cache-resident) by the next 8 bits. On big meshes this thread sorts
/// buckets while a second thread hashes the buckets already sorted, so the
/// inherently sequential SHA-256 overlaps the sort.
fn digest_with<C: Coord>(triangles: &[Triangle], origin: [i64; 3], x_span: u64) -> [u8; 32] {
    let span_bits = u64::BITS - x_span.leading_zeros();
    let shift1 = span_bits.saturating_sub(RADIX_BITS);
    let shift2 = shift1.saturating_sub(RADIX_BITS);
    let bucket_count = ((x_span >> shift1) + 1) as usize;
    let sub_mask = (1u64 << (shift1 - shift2)) - 1;
    let bucket_of = |key: &[C; 9]| (key[0].to_i64().max(0) as u64 >> shift1) as usize;
    let sub_of = |key: &[C; 9]| ((key[0].to_i64().max(0) as u64 >> shift2) & sub_mask) as usize;

    let parallel = triangles.len() >= PIPELINE_THRESHOLD;
    let chunk_len = if parallel {
        triangles
            .len()
            .div_ceil(rayon::current_num_threads().max(1) * 2)
    } else {
        triangles.len().max(1)
    };
    let chunks: Vec<&[Triangle]> = triangles.chunks(chunk_len).collect();

    // Pass 1: per-chunk bucket histograms.
    let histogram = |chunk: &&[Triangle]| {
        let mut counts = vec![0usize; bucket_count];
        for tri in *chunk {
            if let Some(key) = canonical_key::<C>(tri, origin) {
                counts[bucket_of(&key)] += 1;
            }
        }
        counts
    };
    let histograms: Vec<Vec<usize>> = if parallel {
        chunks.par_iter().map(histogram).collect()
    } else {
        chunks.iter().map(histogram).collect()
    };
    let bucket_sizes: Vec<usize> = (0..bucket_count)
        .map(|b| histograms.iter().map(|h| h[b]).sum())
        .collect();
    let total: usize = bucket_sizes.iter().sum();

    // Pass 2: scatter keys into their buckets. Each (chunk, bucket) pair owns
    // a disjoint sub-slice, so chunks scatter in parallel.
    let mut keys: Vec<[C; 9]> = vec![[C::default(); 9]; total];
    {
        let mut per_chunk: Vec<Vec<&mut [[C; 9]]>> = (0..chunks.len())
            .map(|_| Vec::with_capacity(bucket_count))
            .collect();
        let mut rest: &mut [[C; 9]] = &mut keys;
        // Bucket-major order: bucket 0 of every chunk, then bucket 1, …
        for b in 0..bucket_count {
            for (slices, counts) in per_chunk.iter_mut().zip(&histograms) {
                let (head, tail) = std::mem::take(&mut rest).split_at_mut(counts[b]);
                slices.push(head);
                rest = tail;
            }
        }
        let scatter = |(chunk, slices): (&&[Triangle], Vec<&mut [[C; 9]]>)| {
            // Each slice is consumed front to back; iter_mut keeps it bounds-check free.
            let mut heads: Vec<std::slice::IterMut<'_, [C; 9]>> =
                slices.into_iter().map(|s| s.iter_mut()).collect();
            for tri in *chunk {
                if let Some(key) = canonical_key::<C>(tri, origin)
                    && let Some(slot) = heads[bucket_of(&key)].next()
                {
                    *slot = key;
                }
            }
        };
        if parallel {
            chunks.par_iter().zip(per_chunk).for_each(scatter);
        } else {
            chunks.iter().zip(per_chunk).for_each(scatter);
        }
    }

    // Pass 3: sort buckets (level-2 radix + small sorts) and hash in order.
    let mut buckets: Vec<&mut [[C; 9]]> = Vec::with_capacity(bucket_count);
    let mut rest: &mut [[C; 9]] = &mut keys;
    for &len in &bucket_sizes {
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(len);
        buckets.push(head);
        rest = tail;
    }
    let largest = bucket_sizes.iter().copied().max().unwrap_or(0);
    let mut sorter = BucketSorter {
        scratch: Vec::with_capacity(largest),
        counts: vec![0; (sub_mask + 1) as usize],
    };
    if !parallel {
        let mut hasher = KeyHasher::new();
        for bucket in buckets {
            sorter.sort(bucket, &sub_of);
            hasher.update(bucket);
        }
        return hasher.finish();
    }
    std::thread::scope(|scope| {
        // Batches of sorted buckets flow to the hashing thread in order.
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<&[[C; 9]]>>(64);
        let hashing = scope.spawn(move || {
            let mut hasher = KeyHasher::new();
            for batch in receiver {
                for bucket in batch {
                    hasher.update(bucket);
                }
            }
            hasher.finish()
        });
        let mut batch: Vec<&[[C; 9]]> = Vec::new();
        let mut batch_len = 0usize;
        for bucket in buckets {
            sorter.sort(bucket, &sub_of);
            batch_len += bucket.len();
            batch.push(bucket);
            if batch_len >= 4096 {
                // The receiver only stops early if it panicked; join reports that.
                let _ = sender.send(std::mem::take(&mut batch));
                batch_len = 0;
            }
        }
        let _ = sender.send(batch);
        drop(sender);
        match hashing.join() {
            Ok(digest) => digest,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Level-2 radix plus comparison sort of one bucket, reusing its buffers.
struct BucketSorter<C> {
    scratch: Vec<[C; 9]>,
    counts: Vec<usize>,
}

impl<C: Coord> BucketSorter<C> {
    fn sort(&mut self, bucket: &mut [[C; 9]], sub_of: &impl Fn(&[C; 9]) -> usize) {
        if bucket.len() <= 64 {
            bucket.sort_unstable();
            return;
        }
        self.counts.iter_mut().for_each(|c| *c = 0);
        for key in bucket.iter() {
            self.counts[sub_of(key)] += 1;
        }
        let mut offset = 0;
        for count in self.counts.iter_mut() {
            let len = *count;
            *count = offset;
            offset += len;
        }
        self.scratch.clear();
        self.scratch.resize(bucket.len(), [C::default(); 9]);
        for key in bucket.iter() {
            let sub = sub_of(key);
            self.scratch[self.counts[sub]] = *key;
            self.counts[sub] += 1;
        }
        bucket.copy_from_slice(&self.scratch);
        // counts[s] is now the end of group s.
        let mut start = 0;
        for &end in &self.counts {
            if end - start > 1 {
                bucket[start..end].sort_unstable();
            }
            start = end;
        }
    }
}

/// SHA-256 over keys written as little-endian `i64`, batched so the hasher
/// sees large blocks.
struct KeyHasher {
    sha: Sha256,
    buf: Vec<u8>,
}

impl KeyHasher {
    const FLUSH: usize = 72 * 1024;

    fn new() -> Self {
        Self {
            sha: Sha256::new(),
            buf: Vec::with_capacity(Self::FLUSH + 72),
        }
    }

    fn update<C: Coord>(&mut self, keys: &[[C; 9]]) {
        for key in keys {
            for &c in key {
                self.buf.extend_from_slice(&c.to_i64().to_le_bytes());
            }
            if self.buf.len() >= Self::FLUSH {
                self.sha.update(&self.buf);
                self.buf.clear();
            }
        }
    }

    fn finish(mut self) -> [u8; 32] {
        self.sha.update(&self.buf);
        self.sha.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Straightforward reference of the canonical hash (no buckets, no threads).
    pub(crate) fn reference_hash(triangles: &[Triangle]) -> String {
        let Some((min, _)) = bounds(triangles) else {
            return to_hex(&Sha256::digest([]));
        };
        let origin = min.map(micrometres);
        let mut keys: Vec<[i64; 9]> = triangles
            .iter()
            .filter_map(|t| canonical_key::<i64>(t, origin))
            .collect();
        keys.sort();
        let mut sha = Sha256::new();
        for k in keys {
            for c in k {
                sha.update(c.to_le_bytes());
            }
        }
        to_hex(&sha.finalize())
    }

    fn cube(size: f32, offset: [f32; 3]) -> Vec<Triangle> {
        let p = |x: f32, y: f32, z: f32| {
            [
                offset[0] + x * size,
                offset[1] + y * size,
                offset[2] + z * size,
            ]
        };
        let quads = [
            [p(0., 0., 0.), p(0., 1., 0.), p(1., 1., 0.), p(1., 0., 0.)],
            [p(0., 0., 1.), p(1., 0., 1.), p(1., 1., 1.), p(0., 1., 1.)],
            [p(0., 0., 0.), p(1., 0., 0.), p(1., 0., 1.), p(0., 0., 1.)],
            [p(0., 1., 0.), p(0., 1., 1.), p(1., 1., 1.), p(1., 1., 0.)],
            [p(0., 0., 0.), p(0., 0., 1.), p(0., 1., 1.), p(0., 1., 0.)],
            [p(1., 0., 0.), p(1., 1., 0.), p(1., 1., 1.), p(1., 0., 1.)],
        ];
        quads
            .iter()
            .flat_map(|q| [[q[0], q[1], q[2]], [q[0], q[2], q[3]]])
            .collect()
    }

    #[test]
    fn cube_stats() {
        let stats = geometry_stats(&cube(20.0, [0.0; 3]));
        assert_eq!(stats.triangle_count, 12);
        assert!((stats.volume_mm3 - 8000.0).abs() < 1e-6);
        assert!((stats.surface_area_mm2 - 2400.0).abs() < 1e-6);
        assert_eq!(stats.body_count, Some(1));
        assert_eq!(stats.bbox_x_mm, 20.0);
    }

    #[test]
    fn two_cubes_are_two_bodies() {
        let mut tris = cube(10.0, [0.0; 3]);
        tris.extend(cube(5.0, [20.0, 0.0, 0.0]));
        let stats = geometry_stats(&tris);
        assert_eq!(stats.body_count, Some(2));
        assert!((stats.volume_mm3 - 1125.0).abs() < 1e-6);
    }

    #[test]
    fn empty_mesh() {
        let stats = geometry_stats(&[]);
        assert_eq!(stats.body_count, None);
        assert_eq!(
            canonical_hash(&[]),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn translation_does_not_change_hash() {
        assert_eq!(
            canonical_hash(&cube(20.0, [0.0; 3])),
            canonical_hash(&cube(20.0, [125.0, -105.0, 10.0]))
        );
    }

    #[test]
    fn degenerate_triangles_are_ignored() {
        let mut tris = cube(20.0, [0.0; 3]);
        let base = canonical_hash(&tris);
        tris.push([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]);
        tris.push([[3.0, 3.0, 3.0], [3.0002, 3.0, 3.0], [5.0, 5.0, 5.0]]);
        assert_eq!(canonical_hash(&tris), base);
    }

    #[test]
    fn big_mesh_matches_reference() {
        // Large enough for the parallel, pipelined path.
        let mut tris = Vec::new();
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 40) as f32) / (1u64 << 24) as f32 * 100.0
        };
        for _ in 0..150_000 {
            tris.push([
                [next(), next(), next()],
                [next(), next(), next()],
                [next(), next(), next()],
            ]);
        }
        assert_eq!(canonical_hash(&tris), reference_hash(&tris));
    }

    #[test]
    fn micrometres_matches_round() {
        let mut seed = 7u64;
        for i in 0..200_000u32 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = match i % 4 {
                0 => f32::from_bits((seed >> 32) as u32),
                1 => (seed >> 40) as f32 / 1000.0 - 8000.0,
                2 => ((seed >> 44) as f32 + 0.5) / 1000.0 * if seed & 1 == 0 { 1.0 } else { -1.0 },
                _ => ((seed >> 40) as f32 - 8_388_608.0) * 1e-4,
            };
            if v.is_finite() && f64::from(v).abs() * 1000.0 < MAX_MICROMETRES {
                assert_eq!(
                    micrometres(v),
                    (f64::from(v) * 1000.0).round() as i64,
                    "{v}"
                );
            }
        }
        for v in [0.0005f32, -0.0005, 0.0015, 2.5e-3, 4.0e12, -4.0e12] {
            assert_eq!(
                micrometres(v),
                (f64::from(v) * 1000.0).round() as i64,
                "{v}"
            );
        }
        assert_eq!(micrometres(f32::MAX), MAX_MICROMETRES as i64);
        assert_eq!(micrometres(f32::MIN), -(MAX_MICROMETRES as i64));
        assert_eq!(micrometres(f32::NAN), 0);
    }

    #[test]
    fn huge_span_uses_wide_keys() {
        let tris = vec![[[0.0, 0.0, 0.0], [1.0e7, 0.0, 0.0], [0.0, 1.0, 0.0]]];
        assert_eq!(canonical_hash(&tris), reference_hash(&tris));
    }

    fn arb_triangles() -> impl Strategy<Value = Vec<Triangle>> {
        let coord = (-50_000i32..50_000).prop_map(|v| v as f32 / 100.0);
        let vertex = [coord.clone(), coord.clone(), coord];
        prop::collection::vec([vertex.clone(), vertex.clone(), vertex], 1..60)
    }

    proptest! {
        #[test]
        fn hash_ignores_order_and_rotation(tris in arb_triangles(), seed in any::<u64>()) {
            let base = canonical_hash(&tris);
            prop_assert_eq!(&base, &reference_hash(&tris));
            let mut shuffled = tris.clone();
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            for (i, t) in shuffled.iter_mut().enumerate() {
                t.rotate_left((i + seed as usize) % 3);
            }
            prop_assert_eq!(base, canonical_hash(&shuffled));
        }

        #[test]
        fn hash_changes_when_a_vertex_moves(tris in arb_triangles(), which in 0usize..1000, axis in 0usize..3, delta in 3i32..100) {
            let keys_before = tris.iter().filter(|t| canonical_key::<i64>(t, [0; 3]).is_some()).count();
            prop_assume!(keys_before == tris.len());
            let mut moved = tris.clone();
            let i = which % moved.len();
            // Move a vertex that is not a bbox extreme by a few µm inside the box
            // so the translation cannot absorb it.
            let (min, max) = bounds(&tris).expect("non-empty");
            let v = &mut moved[i][0];
            prop_assume!(v[axis] > min[axis] && v[axis] < max[axis]);
            let step = delta as f32 / 1000.0;
            let candidate = if v[axis] - step > min[axis] { v[axis] - step } else { v[axis] + step };
            prop_assume!(candidate > min[axis] && candidate < max[axis]);
            v[axis] = candidate;
            prop_assume!(canonical_key::<i64>(&moved[i], [0; 3]).is_some());
            prop_assert_ne!(canonical_hash(&tris), canonical_hash(&moved));
        }

        #[test]
        fn hash_changes_when_winding_flips(tris in arb_triangles(), which in 0usize..1000) {
            prop_assume!(tris.iter().all(|t| canonical_key::<i64>(t, [0; 3]).is_some()));
            let mut flipped = tris.clone();
            let i = which % flipped.len();
            flipped[i].swap(1, 2);
            // Flipping is invisible only if the flipped triangle already exists.
            let k = |t: &Triangle| canonical_key::<i64>(t, [0; 3]);
            prop_assume!(!tris.iter().any(|t| k(t) == k(&flipped[i])));
            prop_assert_ne!(canonical_hash(&tris), canonical_hash(&flipped));
        }
    }
}
