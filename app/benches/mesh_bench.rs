//! Mesh pipeline benchmark (plain `std::time`, run with
//! `cargo bench --bench mesh_bench`): STL parse + canonical hash throughput
//! against plain SHA-256 of the same bytes, streamed file hashing against
//! `sha256sum`, and render time / peak RSS per mesh size (each size in a
//! child process so VmHWM is per size).

// The printed table is the benchmark's report.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use app::backend::formats::Limits;
use app::backend::formats::hashing::sha256_reader;
use app::backend::formats::mesh::Triangle;
use app::backend::formats::stl::read_stl;
use app::backend::thumbs::render::{RenderOptions, render_mesh};
use sha2::{Digest, Sha256};

const SPHERE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/mesh/sphere_50k_binary.stl"
);

/// A UV sphere (radius 25 mm) with about `target` triangles.
fn uv_sphere(target: usize) -> Vec<Triangle> {
    let slices = ((target as f64 / 4.0).sqrt() * 2.0).max(3.0) as usize;
    let stacks = (target / (2 * slices)).max(2);
    let point = |i: usize, j: usize| {
        let theta = std::f64::consts::PI * i as f64 / stacks as f64;
        let phi = 2.0 * std::f64::consts::PI * j as f64 / slices as f64;
        [
            (25.0 * theta.sin() * phi.cos()) as f32,
            (25.0 * theta.sin() * phi.sin()) as f32,
            (25.0 + 25.0 * theta.cos()) as f32,
        ]
    };
    let mut tris = Vec::with_capacity(2 * stacks * slices);
    for i in 0..stacks {
        for j in 0..slices {
            let (a, b, c, d) = (
                point(i, j),
                point(i + 1, j),
                point(i + 1, j + 1),
                point(i, j + 1),
            );
            tris.push([a, b, c]);
            tris.push([a, c, d]);
        }
    }
    tris
}

fn binary_stl(tris: &[Triangle]) -> Vec<u8> {
    let mut out = vec![0u8; 80];
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

/// Best wall time of `f` over enough runs to fill ~1.5 s (at least 3).
fn best<T>(mut f: impl FnMut() -> T) -> Duration {
    let mut best = Duration::MAX;
    let start = Instant::now();
    let mut runs = 0;
    while runs < 3 || (start.elapsed() < Duration::from_millis(1500) && runs < 200) {
        let t = Instant::now();
        black_box(f());
        best = best.min(t.elapsed());
        runs += 1;
    }
    best
}

fn mbps(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn throughput(name: &str, bytes: &[u8]) {
    let limits = Limits::default();
    let sha = best(|| Sha256::digest(bytes));
    let parse = best(|| read_stl(bytes, &limits).map(|m| m.len()));
    let mesh = read_stl(bytes, &limits).expect("parse");
    let hash = best(|| mesh.canonical_hash());
    let both = best(|| read_stl(bytes, &limits).map(|m| m.canonical_hash()));
    let stats = best(|| mesh.stats());
    println!(
        "{name:<28} {:>7.1} MB  sha256 {:>7.0} MB/s | parse {:>7.0} MB/s | canon-hash {:>7.0} MB/s | parse+canon {:>7.0} MB/s = {:>3.0}% of sha256 | stats {:>6.1} ms",
        bytes.len() as f64 / 1e6,
        mbps(bytes.len(), sha),
        mbps(bytes.len(), parse),
        mbps(bytes.len(), hash),
        mbps(bytes.len(), both),
        100.0 * sha.as_secs_f64() / both.as_secs_f64(),
        stats.as_secs_f64() * 1e3,
    );
}

fn file_hashing(bytes: &[u8]) {
    let path = std::env::temp_dir().join("mesh_bench_1m.stl");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .expect("temp file");
    let ours = best(|| sha256_reader(std::fs::File::open(&path).expect("open")).expect("hash"));
    let coreutils = best(|| {
        Command::new("sha256sum")
            .arg(&path)
            .output()
            .expect("sha256sum")
    });
    println!(
        "streamed file sha256 ({:.1} MB, page cache): hashing::sha256_reader {:.0} MB/s, sha256sum {:.0} MB/s",
        bytes.len() as f64 / 1e6,
        mbps(bytes.len(), ours),
        mbps(bytes.len(), coreutils)
    );
    let _ = std::fs::remove_file(&path);
}

/// Child: render a sphere of `count` triangles, print time and memory.
fn child_render(count: usize) {
    let tris = uv_sphere(count);
    let before = vm_hwm_kib();
    let options = RenderOptions::default();
    let first = Instant::now();
    let img = render_mesh(&tris, &options);
    let first = first.elapsed();
    let after = vm_hwm_kib();
    let warm = best(|| render_mesh(&tris, &options));
    let covered = img.pixels().filter(|p| p[3] > 0).count();
    println!(
        "render {:>8} tris 640x480 2x2 AA: {:>6.1} ms (first {:.1} ms) | mesh {:>5.1} MB | VmHWM {:>6.1} MB before render, {:>6.1} MB after (+{:.1} MB) | {covered} px covered",
        tris.len(),
        warm.as_secs_f64() * 1e3,
        first.as_secs_f64() * 1e3,
        (tris.len() * std::mem::size_of::<Triangle>()) as f64 / 1e6,
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / 1024.0,
    );
}

/// Child: parse + hash a 1 M binary STL, print peak memory.
fn child_hash_memory(count: usize) {
    let bytes = binary_stl(&uv_sphere(count));
    let before = vm_hwm_kib();
    let mesh = read_stl(&bytes, &Limits::default()).expect("parse");
    let hash = mesh.canonical_hash();
    let after = vm_hwm_kib();
    println!(
        "parse+canon-hash {} tris: VmHWM {:.1} MB with STL bytes loaded, {:.1} MB after (+{:.1} MB: mesh {:.1} MB + keys) [{}]",
        mesh.len(),
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        after.saturating_sub(before) as f64 / 1024.0,
        (mesh.len() * 36) as f64 / 1e6,
        &hash[..16]
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let what = args.get(i + 1).map(String::as_str).unwrap_or("");
        let count: usize = args
            .get(i + 2)
            .and_then(|c| c.parse().ok())
            .unwrap_or(100_000);
        match what {
            "render" => child_render(count),
            "hash-memory" => child_hash_memory(count),
            // For `perf record`: loop the canonical hash of an STL file.
            "profile-canon" => {
                let path = args.get(i + 3).map(String::as_str).unwrap_or(SPHERE);
                let mesh = read_stl(&std::fs::read(path).expect("file"), &Limits::default())
                    .expect("parse");
                for _ in 0..count {
                    black_box(mesh.canonical_hash());
                }
            }
            _ => eprintln!("unknown child {what}"),
        }
        return;
    }
    println!("threads: {}", rayon::current_num_threads());
    let sphere = std::fs::read(SPHERE).expect("fixture");
    throughput("sphere_50k_binary.stl", &sphere);
    let big = binary_stl(&uv_sphere(1_000_000));
    throughput("synthetic uv-sphere 1M", &big);
    file_hashing(&big);
    let exe = std::env::current_exe().expect("exe");
    for (what, count) in [
        ("hash-memory", "1000000"),
        ("render", "100000"),
        ("render", "1000000"),
    ] {
        let out = Command::new(&exe)
            .args(["--child", what, count])
            .output()
            .expect("child");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
    }
}
