//! Tests of the binary G-code reader against `fixtures/gcode/cube_20mm_prusa_png.bgcode`
//! (facts from `fixtures/MANIFEST.md`) and crafted files.

use std::io::Cursor;

use proptest::prelude::*;
use sha2::{Digest, Sha256};

use super::*;
use crate::backend::formats::gcode::read_gcode_bytes;

const BGCODE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/gcode/cube_20mm_prusa_png.bgcode"
);
const GCODE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/gcode/cube_20mm_prusa_png.gcode"
);

fn bytes() -> Vec<u8> {
    std::fs::read(BGCODE).expect("fixture")
}

fn sha16(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn fixture_blocks_match_manifest() {
    let data = bytes();
    let blocks = verify_blocks(Cursor::new(&data), &Limits::default()).expect("all CRCs verify");
    let r = BgcodeReader::open(Cursor::new(&data), &Limits::default()).expect("open");
    assert_eq!((r.version, r.checksum), (1, ChecksumType::Crc32));
    let kinds: Vec<BlockKind> = blocks.iter().map(|b| b.kind).collect();
    assert_eq!(
        &kinds[..6],
        &[
            BlockKind::FileMetadata,
            BlockKind::PrinterMetadata,
            BlockKind::Thumbnail,
            BlockKind::Thumbnail,
            BlockKind::PrintMetadata,
            BlockKind::SlicerMetadata
        ]
    );
    assert_eq!(blocks.len(), 16);
    assert!(blocks[6..].iter().all(|b| b.kind == BlockKind::Gcode
        && b.compression == Compression::Heatshrink12_4
        && b.params == BlockParams::Encoding(2)));
    assert_eq!(blocks[0].compression, Compression::None);
    assert_eq!(blocks[5].compression, Compression::Deflate);
    assert_eq!(
        (blocks[5].uncompressed_size, blocks[5].stored_size),
        (7241, 2502)
    );
}

#[test]
fn fixture_metadata_matches_manifest_and_ascii_twin() {
    let s = read_bgcode_metadata(Cursor::new(bytes()), &Limits::default()).expect("read");
    assert_eq!(
        s.file_metadata.get("Producer").map(String::as_str),
        Some("PrusaSlicer 2.5.0")
    );
    assert_eq!(
        s.file_metadata.get("Produced on").map(String::as_str),
        Some("2026-11-23 at 16:28:28 UTC")
    );
    let p = &s.printer_metadata;
    for (k, v) in [
        ("printer_model", "MK3S"),
        ("filament_type", "PLA"),
        ("nozzle_diameter", "0.4"),
        ("bed_temperature", "60"),
        ("brim_width", "0"),
        ("fill_density", "15%"),
        ("layer_height", "0.2"),
        ("temperature", "215"),
        ("ironing", "0"),
        ("support_material", "0"),
        ("extruder_colour", "\"\""),
        ("filament used [mm]", "1222.86"),
        ("filament used [cm3]", "2.94"),
        ("filament used [g]", "3.65"),
        ("filament cost", "0.09"),
        ("estimated printing time (normal mode)", "18m 52s"),
        ("estimated printing time (silent mode)", "19m 36s"),
    ] {
        assert_eq!(p.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert_eq!(
        s.print_metadata
            .get("total filament used [g]")
            .map(String::as_str),
        Some("3.65")
    );
    assert_eq!(
        s.print_metadata
            .get("total filament cost")
            .map(String::as_str),
        Some("0.09")
    );

    let m = &s.metadata;
    assert_eq!(m.slicer_name.as_deref(), Some("PrusaSlicer"));
    assert_eq!(m.slicer_version.as_deref(), Some("2.5.0"));
    assert_eq!(m.estimated_time_s, Some(1132));
    assert_eq!(m.estimated_time_silent_s, Some(1176));
    assert_eq!(m.filament_weight_g, Some(3.65));

    // Same slicer facts and the same configuration as the ASCII file it was converted from.
    let ascii = read_gcode_bytes(&std::fs::read(GCODE).expect("fixture")).expect("ascii");
    assert_eq!(s.config, ascii.config);
    assert_eq!(s.metadata, ascii.metadata);

    assert_eq!(s.thumbnails.len(), 2);
    let t = &s.thumbnails;
    assert_eq!((t[0].width, t[0].height, t[0].byte_len), (16, 16, 404));
    assert_eq!(sha16(&t[0].data), "edff8931e16951a8");
    assert_eq!((t[1].width, t[1].height, t[1].byte_len), (220, 124, 3628));
    assert_eq!(sha16(&t[1].data), "aba5329e8fc9e591");
    assert_eq!(t[1].data, ascii.thumbnails[1].data);
}

/// G-code commands of a text: comments stripped, whitespace trimmed, blank lines dropped.
fn commands(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split(';').next().unwrap_or("").trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn decoded_gcode_equals_ascii_fixture_commands() {
    let mut sink = Vec::new();
    let written =
        stream_gcode(Cursor::new(bytes()), &mut sink, &Limits::default()).expect("stream");
    assert_eq!(written, sink.len() as u64);
    let decoded = String::from_utf8(sink).expect("utf8");
    let ascii = String::from_utf8(std::fs::read(GCODE).expect("fixture")).expect("utf8");
    let (a, b) = (commands(&ascii), commands(&decoded));
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert_eq!(x, y, "command {i}");
    }
    // Comments survive encoding 2 (MeatPack keeping comments).
    assert_eq!(decoded.matches(";LAYER_CHANGE").count(), 100);
}

#[test]
fn flipped_byte_is_a_checksum_error() {
    let original = bytes();
    let blocks = verify_blocks(Cursor::new(&original), &Limits::default()).expect("blocks");
    // A metadata byte (printer metadata payload) and a G-code byte.
    for (block, what) in [(&blocks[1], "metadata"), (&blocks[9], "gcode")] {
        let mut data = original.clone();
        let at = (block.data_offset() + 5) as usize;
        data[at] ^= 0x20;
        let err = verify_blocks(Cursor::new(&data), &Limits::default()).expect_err(what);
        assert!(
            matches!(err, FormatError::ChecksumMismatch { offset, .. } if offset == block.offset),
            "{what}: {err}"
        );
        let err = if what == "metadata" {
            read_bgcode_metadata(Cursor::new(&data), &Limits::default()).expect_err(what)
        } else {
            stream_gcode(Cursor::new(&data), &mut std::io::sink(), &Limits::default())
                .expect_err(what)
        };
        assert!(
            matches!(err, FormatError::ChecksumMismatch { .. }),
            "{what}: {err}"
        );
    }
}

#[test]
fn every_truncation_prefix_is_ok_or_typed_error() {
    let data = bytes();
    let limits = Limits::default();
    let blocks = verify_blocks(Cursor::new(&data), &limits).expect("blocks");
    let first_gcode = blocks[6].offset as usize;
    let boundaries: Vec<usize> = blocks.iter().map(|b| b.offset as usize).collect();
    let second_gcode = blocks[7].offset as usize;
    for len in 0..data.len() {
        let prefix = &data[..len];
        assert!(
            matches!(
                verify_blocks(Cursor::new(prefix), &limits),
                Err(FormatError::Truncated { .. })
            ) || boundaries.contains(&len)
        );
        match stream_gcode(Cursor::new(prefix), &mut std::io::sink(), &limits) {
            Ok(_) => assert!(boundaries.contains(&len), "prefix {len} cannot be complete"),
            Err(FormatError::Truncated { .. }) => {}
            Err(other) => panic!("prefix {len}: unexpected {other}"),
        }
        // Metadata reading stops at the first G-code block header, so prefixes
        // beyond the second G-code block all take the same path: sample them.
        let near_boundary = boundaries.iter().any(|&b| len.abs_diff(b) <= 2);
        if len > second_gcode && len % 101 != 0 && !near_boundary {
            continue;
        }
        match read_bgcode_metadata(Cursor::new(prefix), &limits) {
            // A file that ends exactly between blocks is structurally complete.
            Ok(_) => assert!(
                len >= first_gcode || boundaries.contains(&len),
                "prefix {len}"
            ),
            Err(FormatError::Truncated { .. }) => {}
            Err(other) => panic!("prefix {len}: unexpected {other}"),
        }
    }
}

#[test]
fn decompression_budget_is_enforced() {
    let limits = Limits {
        max_decompressed_bytes: 100_000,
        ..Limits::default()
    };
    let err =
        stream_gcode(Cursor::new(bytes()), &mut std::io::sink(), &limits).expect_err("over budget");
    assert!(matches!(
        err,
        FormatError::LimitExceeded {
            limit: LimitKind::MaxDecompressedBytes,
            ..
        }
    ));
}

/// One crafted block: type, compression, parameters, stored data, uncompressed size.
type RawBlock = (u16, u16, Vec<u8>, Vec<u8>, u32);

/// Builds a bgcode file (CRC32 checksums) from crafted blocks.
fn build(blocks: &[RawBlock]) -> Vec<u8> {
    let mut out = b"GCDE".to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    for (kind, comp, params, stored, uncompressed) in blocks {
        let start = out.len();
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&comp.to_le_bytes());
        out.extend_from_slice(&uncompressed.to_le_bytes());
        if *comp != 0 {
            out.extend_from_slice(&(stored.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(params);
        out.extend_from_slice(stored);
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
    }
    out
}

#[test]
fn heatshrink_11_meatpack_and_qoi_thumbnail_round_trip() {
    let text =
        "G28\nG1 Z0.2 F7200\nG1 X10.5 Y20.25 E1.5\nM104 S210\n;comment kept\nG1 X11 Y21 E1.6\n";
    let packed = super::meatpack::tests::encode(text, true);
    let compressed = super::heatshrink::tests::compress(&packed, 11, 4);
    let qoi = crate::backend::thumbs::embedded::tests::encode_qoi(
        2,
        2,
        &[255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 9, 9, 9, 255],
    );
    let mut thumb_params = 2u16.to_le_bytes().to_vec();
    thumb_params.extend_from_slice(&2u16.to_le_bytes());
    thumb_params.extend_from_slice(&2u16.to_le_bytes());
    let file = build(&[
        (0, 0, vec![0, 0], b"Producer=PrusaSlicer 2.7.1".to_vec(), 26),
        (
            3,
            0,
            vec![0, 0],
            b"printer_model=MK4\nnozzle_diameter=0.6".to_vec(),
            37,
        ),
        (5, 0, thumb_params, qoi.clone(), qoi.len() as u32),
        (
            2,
            0,
            vec![0, 0],
            b"layer_height=0.3\nperimeters=3".to_vec(),
            29,
        ),
        (1, 2, vec![1, 0], compressed, packed.len() as u32),
    ]);
    let s = read_bgcode_metadata(Cursor::new(&file), &Limits::default()).expect("meta");
    assert_eq!(s.metadata.slicer_version.as_deref(), Some("2.7.1"));
    assert_eq!(s.metadata.printer_model.as_deref(), Some("MK4"));
    assert_eq!(s.metadata.nozzle_diameter_mm, Some(0.6));
    assert_eq!(s.metadata.wall_loops, Some(3));
    assert_eq!(s.thumbnails.len(), 1);
    assert_eq!(s.thumbnails[0].format, ImageFormat::Qoi);
    let mut sink = Vec::new();
    stream_gcode(Cursor::new(&file), &mut sink, &Limits::default()).expect("stream");
    assert_eq!(String::from_utf8_lossy(&sink), text);
}

#[test]
fn bad_headers_are_typed_errors() {
    let good = build(&[(0, 0, vec![0, 0], b"a=b".to_vec(), 3)]);
    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    assert!(matches!(
        read_bgcode_metadata(Cursor::new(&bad_magic), &Limits::default()),
        Err(FormatError::Malformed { .. })
    ));
    let mut bad_version = good.clone();
    bad_version[4] = 9;
    assert!(matches!(
        read_bgcode_metadata(Cursor::new(&bad_version), &Limits::default()),
        Err(FormatError::Malformed { .. })
    ));
    let unknown_type = build(&[(9, 0, vec![0, 0], b"a=b".to_vec(), 3)]);
    assert!(matches!(
        read_bgcode_metadata(Cursor::new(&unknown_type), &Limits::default()),
        Err(FormatError::Malformed { .. })
    ));
    let lying_size = build(&[(1, 1, vec![0, 0], b"not zlib".to_vec(), 1000)]);
    assert!(
        stream_gcode(
            Cursor::new(&lying_size),
            &mut std::io::sink(),
            &Limits::default()
        )
        .is_err()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn random_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..2048), checksum in 0u16..3) {
        let mut data = b"GCDE".to_vec();
        data.extend_from_slice(&1u32.to_le_bytes());
        data.extend_from_slice(&checksum.to_le_bytes());
        data.extend_from_slice(&tail);
        let _ = read_bgcode_metadata(Cursor::new(&data), &Limits::default());
        let _ = stream_gcode(Cursor::new(&data), &mut std::io::sink(), &Limits::default());
        let _ = read_bgcode_metadata(Cursor::new(&tail), &Limits::default());
    }

    #[test]
    fn random_payloads_in_valid_blocks_never_panic(
        payload in proptest::collection::vec(any::<u8>(), 0..1024),
        comp in 0u16..4,
        encoding in 0u16..3,
        size in 0u32..4096,
    ) {
        let file = build(&[(1, comp, encoding.to_le_bytes().to_vec(), payload.clone(), if comp == 0 { payload.len() as u32 } else { size })]);
        let _ = stream_gcode(Cursor::new(&file), &mut std::io::sink(), &Limits::default());
        let meta = build(&[(3, comp, vec![0, 0], payload.clone(), if comp == 0 { payload.len() as u32 } else { size })]);
        let _ = read_bgcode_metadata(Cursor::new(&meta), &Limits::default());
    }
}
