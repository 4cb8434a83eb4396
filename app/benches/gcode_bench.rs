//! G-code metadata reading time for a 1 MB and a 200 MB file built from a
//! real PrusaSlicer head and tail with synthetic moves in between. Shows that
//! the cost does not grow with file size (head/tail windows only).
//!
//! Run: `cargo bench --bench gcode_bench`

// The printed table is the benchmark's report.
#![allow(clippy::print_stdout)]

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use app::backend::formats::gcode::read_gcode;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/gcode/cube_20mm_prusa_png.gcode"
);

/// Writes the fixture's first half, synthetic moves up to `target` bytes, then its second half.
fn generate(path: &Path, original: &[u8], target: usize) -> std::io::Result<u64> {
    let mid = original.len() / 2;
    let cut = mid
        + original[mid..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    out.write_all(&original[..cut])?;
    let mut written = original.len();
    let mut i = 0u64;
    while written < target {
        let line = format!(
            "G1 X{}.{:03} Y{}.{:03} E{}.{:05}\n",
            100 + i % 50,
            i % 997,
            90 + i % 40,
            i % 991,
            i / 1000,
            i % 99_991
        );
        out.write_all(line.as_bytes())?;
        written += line.len();
        i += 1;
    }
    out.write_all(&original[cut..])?;
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

fn time_reads(path: &Path, runs: usize) -> (Duration, Duration, u64, Option<u64>) {
    let mut times = Vec::with_capacity(runs);
    let mut bytes_read = 0;
    let mut est = None;
    for _ in 0..runs {
        let start = Instant::now();
        let mut file = File::open(path).expect("open");
        let summary = read_gcode(&mut file).expect("read");
        times.push(start.elapsed());
        bytes_read = summary.bytes_read;
        est = summary.metadata.estimated_time_s;
    }
    times.sort();
    (times[0], times[times.len() / 2], bytes_read, est)
}

fn main() {
    let original = std::fs::read(FIXTURE).expect("fixture");
    let dir = std::env::temp_dir().join(format!("gcode_bench_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cases = [("1 MB", 1usize << 20), ("200 MB", 200usize << 20)];
    println!(
        "{:>8} {:>12} {:>12} {:>12} {:>12}",
        "file", "size_bytes", "min", "median", "bytes_read"
    );
    for (label, target) in cases {
        let path = dir.join(format!("bench_{target}.gcode"));
        let size = generate(&path, &original, target).expect("generate");
        // Warm-up (page cache), then timed runs.
        let _ = time_reads(&path, 3);
        let (min, median, bytes_read, est) = time_reads(&path, 31);
        assert_eq!(est, Some(1132), "metadata must match the fixture");
        println!(
            "{label:>8} {size:>12} {:>10.3}ms {:>10.3}ms {bytes_read:>12}",
            min.as_secs_f64() * 1e3,
            median.as_secs_f64() * 1e3
        );
        std::fs::remove_file(&path).expect("cleanup");
    }
    let _ = std::fs::remove_dir(&dir);
}
