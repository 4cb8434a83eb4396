//! Prusa binary G-code: file header, block walk, CRC32, INI metadata,
//! thumbnails, and the G-code block stream (Deflate, Heatshrink 11/4 and
//! 12/4, MeatPack with and without comments).
//!
//! Each input is read twice: as it is (so the checksum checks are fuzzed)
//! and with every block's CRC32 recomputed (so mutations reach the
//! decompressors and decoders instead of failing the checksum).

#![no_main]

mod common;

use std::io::{Cursor, Write};

use app::backend::formats::bgcode::{read_bgcode_metadata, stream_gcode, verify_blocks};
use libfuzzer_sys::fuzz_target;

/// A sink that counts and drops what it is given.
#[derive(Default)]
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Rewrites each block's CRC32 to match its header, parameters and data
/// (same block layout as the reader; stops at the first block that does not
/// fit). Files without checksums are returned unchanged.
fn fix_checksums(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if out.len() < 10 || out[8..10] != [1, 0] {
        return out;
    }
    let le16 = |b: &[u8], at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
    let le32 =
        |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize;
    let mut offset = 10usize;
    while offset + 8 <= out.len() {
        let kind = le16(&out, offset);
        let compression = le16(&out, offset + 2);
        let mut head = 8;
        let mut stored = le32(&out, offset + 4);
        if compression != 0 {
            if offset + 12 > out.len() {
                break;
            }
            stored = le32(&out, offset + 8);
            head = 12;
        }
        let params = if kind == 5 { 6 } else { 2 };
        let Some(crc_at) = offset
            .checked_add(head + params)
            .and_then(|v| v.checked_add(stored))
        else {
            break;
        };
        if crc_at + 4 > out.len() {
            break;
        }
        let crc = crc32(&out[offset..crc_at]);
        out[crc_at..crc_at + 4].copy_from_slice(&crc.to_le_bytes());
        offset = crc_at + 4;
    }
    out
}

/// CRC-32 (IEEE, reflected), bit by bit: no dependency, fast enough here.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn read(bytes: &[u8]) {
    let limits = common::limits();
    if let Ok(summary) = read_bgcode_metadata(Cursor::new(bytes), &limits) {
        let _ = serde_json::to_string(&summary);
        common::exercise_thumbnails(&summary.thumbnails);
    }
    let _ = verify_blocks(Cursor::new(bytes), &limits);
    let mut sink = Counter::default();
    if let Ok(written) = stream_gcode(Cursor::new(bytes), &mut sink, &limits) {
        assert_eq!(written, sink.0);
        assert!(written <= limits.max_decompressed_bytes);
    }
}

fuzz_target!(|data: &[u8]| {
    read(data);
    let fixed = fix_checksums(data);
    if fixed != data {
        read(&fixed);
    }
});
