//! Tests of the G-code reader against the shared fixtures (values from
//! `fixtures/MANIFEST.md`) and synthetic files.

use std::io::Cursor;

use proptest::prelude::*;
use sha2::{Digest, Sha256};

use super::*;
use crate::backend::thumbs::embedded::ImageFormat;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gcode");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture present")
}

fn sha16(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn approx(actual: Option<f64>, expected: f64) {
    let a = actual.unwrap_or(f64::NAN);
    assert!(
        (a - expected).abs() < 1e-9,
        "expected {expected}, got {actual:?}"
    );
}

#[test]
fn prusa_png_fixture_matches_manifest() {
    let s = read_gcode_bytes(&fixture("cube_20mm_prusa_png.gcode")).expect("read");
    let m = &s.metadata;
    assert_eq!(m.slicer_name.as_deref(), Some("PrusaSlicer"));
    assert_eq!(m.slicer_version.as_deref(), Some("2.5.0"));
    assert_eq!(m.printer_model.as_deref(), Some("MK3S"));
    assert_eq!(m.gcode_flavor.as_deref(), Some("marlin2"));
    approx(m.nozzle_diameter_mm, 0.4);
    approx(m.layer_height_mm, 0.2);
    approx(m.first_layer_height_mm, 0.2);
    approx(m.infill_percent, 15.0);
    assert_eq!(m.wall_loops, Some(2));
    approx(m.nozzle_temperature_c, 215.0);
    approx(m.first_layer_nozzle_temperature_c, 215.0);
    approx(m.bed_temperature_c, 60.0);
    approx(m.first_layer_bed_temperature_c, 60.0);
    assert_eq!(m.estimated_time_s, Some(1132));
    assert_eq!(m.estimated_time_silent_s, Some(1176));
    approx(m.filament_length_mm, 1222.86);
    approx(m.filament_volume_cm3, 2.94);
    approx(m.filament_weight_g, 3.65);
    approx(m.filament_cost, 0.09);
    approx(m.filament_diameter_mm, 1.75);
    approx(m.filament_density_g_cm3, 1.24);
    assert_eq!(m.material_type.as_deref(), Some("PLA"));
    assert_eq!(m.support_material, Some(false));
    assert_eq!(
        m.printer_settings_id.as_deref(),
        Some("prusa_mk3s_pla_020.ini (Fixture MK3S-like 0.4)")
    );
    assert_eq!(
        m.print_settings_id.as_deref(),
        Some("prusa_mk3s_pla_020.ini (Fixture 0.20mm QUALITY)")
    );
    assert_eq!(
        m.filament_settings_id.as_deref(),
        Some("prusa_mk3s_pla_020.ini (Fixture Generic PLA)")
    );

    let c = &s.config;
    assert_eq!(c.get("printer_model").map(String::as_str), Some("MK3S"));
    assert_eq!(
        c.get("thumbnails").map(String::as_str),
        Some("16x16,220x124")
    );
    assert_eq!(c.get("thumbnails_format").map(String::as_str), Some("PNG"));
    assert_eq!(c.get("fill_density").map(String::as_str), Some("15%"));
    assert_eq!(
        c.get("filament_settings_id").map(String::as_str),
        Some("\"prusa_mk3s_pla_020.ini (Fixture Generic PLA)\""),
        "config map keeps values verbatim"
    );
    assert_eq!(c.get("bed_custom_model").map(String::as_str), Some(""));
    // 22179 lines: 1..=21906 before the block, block = 22179 - 21906 - 1 keys.
    assert_eq!(c.len(), 22179 - 21906 - 1);

    let t = &s.thumbnails;
    assert_eq!(t.len(), 2);
    assert_eq!(
        (t[0].format, t[0].width, t[0].height, t[0].byte_len),
        (ImageFormat::Png, 16, 16, 404)
    );
    assert_eq!(sha16(&t[0].data), "edff8931e16951a8");
    assert_eq!(
        (t[1].format, t[1].width, t[1].height, t[1].byte_len),
        (ImageFormat::Png, 220, 124, 3628)
    );
    assert_eq!(sha16(&t[1].data), "aba5329e8fc9e591");
    let largest = crate::backend::thumbs::embedded::pick_largest(t).expect("largest");
    assert_eq!((largest.width, largest.height), (220, 124));
}

#[test]
fn prusa_jpg_fixture_matches_manifest() {
    let s = read_gcode_bytes(&fixture("two_bodies_prusa_jpg.gcode")).expect("read");
    let m = &s.metadata;
    assert_eq!(m.slicer_name.as_deref(), Some("PrusaSlicer"));
    assert_eq!(m.slicer_version.as_deref(), Some("2.5.0"));
    assert_eq!(m.printer_model.as_deref(), Some("MK3S"));
    approx(m.nozzle_diameter_mm, 0.4);
    approx(m.layer_height_mm, 0.15);
    approx(m.first_layer_height_mm, 0.2);
    approx(m.nozzle_temperature_c, 240.0);
    approx(m.first_layer_nozzle_temperature_c, 235.0);
    approx(m.bed_temperature_c, 90.0);
    approx(m.first_layer_bed_temperature_c, 85.0);
    assert_eq!(m.material_type.as_deref(), Some("PETG"));
    approx(m.filament_density_g_cm3, 1.27);
    approx(m.infill_percent, 20.0);
    assert_eq!(m.wall_loops, Some(3));
    approx(m.filament_length_mm, 816.02);
    approx(m.filament_volume_cm3, 1.96);
    approx(m.filament_weight_g, 2.49);
    approx(m.filament_cost, 0.07);
    assert_eq!(m.estimated_time_s, Some(20 * 60 + 38));
    assert_eq!(m.estimated_time_silent_s, Some(21 * 60 + 14));
    assert_eq!(
        s.config.get("thumbnails").map(String::as_str),
        Some("32x32,300x200")
    );
    assert_eq!(
        s.config.get("thumbnails_format").map(String::as_str),
        Some("JPG")
    );

    let t = &s.thumbnails;
    assert_eq!(t.len(), 2);
    assert_eq!(
        (t[0].format, t[0].width, t[0].height, t[0].byte_len),
        (ImageFormat::Jpeg, 32, 32, 1165)
    );
    assert_eq!(sha16(&t[0].data), "cf8f2b88f3c2efdd");
    assert_eq!(
        (t[1].format, t[1].width, t[1].height, t[1].byte_len),
        (ImageFormat::Jpeg, 300, 200, 12418)
    );
    assert_eq!(sha16(&t[1].data), "3afb162115ceefe7");
    let img = crate::backend::thumbs::embedded::decode_rgba(
        &t[1],
        &crate::backend::formats::Limits::default(),
    )
    .expect("jpeg decodes");
    assert_eq!(img.dimensions(), (300, 200));
}

#[test]
fn cura_fixture_treats_placeholders_as_unknown() {
    let s = read_gcode_bytes(&fixture("cube_20mm_cura.gcode")).expect("read");
    let m = &s.metadata;
    assert_eq!(m.slicer_name.as_deref(), Some("Cura_SteamEngine"));
    assert_eq!(m.slicer_version.as_deref(), Some("4.13.0"));
    assert_eq!(m.gcode_flavor.as_deref(), Some("Marlin"));
    approx(m.layer_height_mm, 0.2);
    // `;TIME:6666` is a placeholder: fall back to the last `;TIME_ELAPSED:1510.300741`.
    assert_eq!(m.estimated_time_s, Some(1510));
    // `;Filament used: 0m` is a placeholder.
    assert_eq!(m.filament_length_mm, None);
    assert_eq!(m.layer_count, Some(100));
    approx(m.first_layer_nozzle_temperature_c, 215.0);
    approx(m.nozzle_temperature_c, 205.0);
    approx(m.first_layer_bed_temperature_c, 60.0);
    approx(m.bed_temperature_c, 60.0);
    assert_eq!(
        m.object_names,
        Some(vec!["cube_20mm_binary.stl".to_owned()])
    );
    assert!(s.thumbnails.is_empty());
    assert!(s.config.is_empty(), "no ;SETTING_3 footer");
}

#[test]
fn cura_setting_3_footer_is_flattened() {
    let profile = serde_json::json!({
        "global_quality": "[general]\nversion = 4\nname = Fine\n\n[values]\nlayer_height = 0.12\nsupport_enable = True\n",
        "extruder_quality": [
            "[general]\nversion = 4\n\n[values]\ninfill_sparse_density = 25\nmaterial_print_temperature = 210\n",
            "[general]\n\n[values]\ninfill_sparse_density = 10\n"
        ]
    })
    .to_string();
    let escaped = profile.replace('\\', "\\\\").replace('\n', "\\n");
    let mut text = String::from(
        ";FLAVOR:Marlin\n;TIME:4000\n;Filament used: 1.25m\n;Layer height: 0.12\n;Generated with Cura_SteamEngine 5.6.0\nG28\nG1 X1\n;End of Gcode\n",
    );
    for chunk in escaped.as_bytes().chunks(80) {
        text.push_str(";SETTING_3 ");
        text.push_str(std::str::from_utf8(chunk).expect("ascii"));
        text.push('\n');
    }
    let s = read_gcode_bytes(text.as_bytes()).expect("read");
    assert_eq!(
        s.config.get("layer_height").map(String::as_str),
        Some("0.12")
    );
    assert_eq!(
        s.config.get("infill_sparse_density").map(String::as_str),
        Some("25")
    );
    assert_eq!(
        s.config
            .get("extruder_1.infill_sparse_density")
            .map(String::as_str),
        Some("10")
    );
    let m = &s.metadata;
    approx(m.infill_percent, 25.0);
    assert_eq!(m.support_material, Some(true));
    approx(m.nozzle_temperature_c, 210.0);
    assert_eq!(m.estimated_time_s, Some(4000));
    approx(m.filament_length_mm, 1250.0);
}

#[test]
fn orca_header_and_config_near_top_beyond_head_window_are_found() {
    // Big thumbnail pushes the config block past a small head window.
    let png_like = "QUJD".repeat(20_000);
    let mut text = String::from(
        "; HEADER_BLOCK_START\n; generated by OrcaSlicer 2.1.1 on 2024-05-01 at 10:00:00\n\
         ; model printing time: 1h 2m 3s; total estimated time: 1h 10m 0s\n; total layer number: 120\n\
         ; total filament length [mm] : 4321.5\n; total filament weight [g] : 12.5\n; HEADER_BLOCK_END\n\n\
         ; THUMBNAIL_BLOCK_START\n; thumbnail begin 300x300 80000\n",
    );
    for chunk in png_like.as_bytes().chunks(78) {
        text.push_str("; ");
        text.push_str(std::str::from_utf8(chunk).expect("ascii"));
        text.push('\n');
    }
    text.push_str("; thumbnail end\n; THUMBNAIL_BLOCK_END\n\n; CONFIG_BLOCK_START\n");
    text.push_str(
        "; sparse_infill_density = 15%\n; wall_loops = 2\n; printer_model = Bambu Lab X1 Carbon\n",
    );
    text.push_str("; curr_bed_type = Cool Plate\n; cool_plate_temp = 35\n; cool_plate_temp_initial_layer = 40\n");
    text.push_str("; filament_colour = #FF0000;#00FF00\n; CONFIG_BLOCK_END\n\n; EXECUTABLE_BLOCK_START\nG28\n");
    for i in 0..20_000 {
        text.push_str(&format!("G1 X{}.5 Y{}.25 E0.1\n", i % 200, i % 180));
    }
    text.push_str("; EXECUTABLE_BLOCK_END\n");
    let windows = ScanWindows {
        head_bytes: 4096,
        tail_bytes: 4096,
        max_extension_bytes: 1 << 20,
    };
    let s = read_gcode_with(&mut Cursor::new(text.as_bytes()), &windows).expect("read");
    let m = &s.metadata;
    assert_eq!(m.slicer_name.as_deref(), Some("OrcaSlicer"));
    assert_eq!(m.estimated_time_s, Some(4200));
    assert_eq!(m.layer_count, Some(120));
    approx(m.filament_length_mm, 4321.5);
    approx(m.filament_weight_g, 12.5);
    approx(m.infill_percent, 15.0);
    assert_eq!(m.wall_loops, Some(2));
    approx(m.bed_temperature_c, 35.0);
    approx(m.first_layer_bed_temperature_c, 40.0);
    assert_eq!(m.printer_model.as_deref(), Some("Bambu Lab X1 Carbon"));
    assert_eq!(
        m.filament_colors,
        Some(vec!["#FF0000".to_owned(), "#00FF00".to_owned()])
    );
    assert_eq!(s.config.len(), 7);
    assert!(s.bytes_read < text.len() as u64);

    // Without enough extension budget the config is (documented) missing.
    let tight = ScanWindows {
        head_bytes: 4096,
        tail_bytes: 4096,
        max_extension_bytes: 8192,
    };
    let s = read_gcode_with(&mut Cursor::new(text.as_bytes()), &tight).expect("read");
    assert!(s.config.is_empty());
    assert_eq!(
        s.metadata.estimated_time_s,
        Some(4200),
        "header stats still found"
    );
}

#[test]
fn config_block_larger_than_tail_window_is_read_whole() {
    let bytes = fixture("cube_20mm_prusa_png.gcode");
    let full = read_gcode_bytes(&bytes).expect("read");
    let small = ScanWindows {
        head_bytes: 16 * 1024,
        tail_bytes: 2048,
        max_extension_bytes: 64 * 1024,
    };
    let s = read_gcode_with(&mut Cursor::new(&bytes), &small).expect("read");
    assert_eq!(s.config, full.config);
    assert_eq!(s.metadata, full.metadata);
    assert!(s.bytes_read < bytes.len() as u64 / 4);
}

/// Splits a fixture at line boundaries into a head and a tail and puts
/// `filler_bytes` of synthetic moves in between.
pub(crate) fn synthetic_large(original: &[u8], filler_bytes: usize) -> Vec<u8> {
    let mid = original.len() / 2;
    let cut = mid
        + original[mid..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
    let mut out = Vec::with_capacity(original.len() + filler_bytes + 64);
    out.extend_from_slice(&original[..cut]);
    let mut i = 0u64;
    while out.len() < cut + filler_bytes {
        let line = format!(
            "G1 X{}.{:03} Y{}.{:03} E{}.{:05}\n",
            100 + i % 50,
            i % 997,
            90 + i % 40,
            i % 991,
            i / 1000,
            i % 99_991
        );
        out.extend_from_slice(line.as_bytes());
        i += 1;
    }
    out.extend_from_slice(&original[cut..]);
    out
}

#[test]
fn large_synthetic_file_reports_the_same_metadata_reading_bounded_bytes() {
    let original = fixture("cube_20mm_prusa_png.gcode");
    let big = synthetic_large(&original, 50 * 1024 * 1024);
    let a = read_gcode_bytes(&original).expect("original");
    let b = read_gcode_bytes(&big).expect("big");
    assert_eq!(a.metadata, b.metadata);
    assert_eq!(a.config, b.config);
    assert_eq!(a.thumbnails, b.thumbnails);
    assert!(b.bytes_read <= 1024 * 1024, "read {} bytes", b.bytes_read);

    let cura = fixture("cube_20mm_cura.gcode");
    let big = synthetic_large(&cura, 8 * 1024 * 1024);
    assert_eq!(
        read_gcode_bytes(&cura).expect("cura").metadata,
        read_gcode_bytes(&big).expect("big").metadata
    );
}

#[test]
fn crlf_and_empty_files_are_fine() {
    let text = "; generated by SuperSlicer 2.5.59 on x\r\nG28\r\n; filament used [mm] = 10, 5\r\n; estimated printing time (normal mode) = 1d 1s\r\n; SuperSlicer_config = begin\r\n; perimeters = 4\r\n; SuperSlicer_config = end\r\n";
    let s = read_gcode_bytes(text.as_bytes()).expect("read");
    assert_eq!(s.metadata.slicer_name.as_deref(), Some("SuperSlicer"));
    assert_eq!(s.metadata.wall_loops, Some(4));
    approx(s.metadata.filament_length_mm, 15.0);
    assert_eq!(s.metadata.estimated_time_s, Some(86_401));
    assert_eq!(
        read_gcode_bytes(b"").expect("empty"),
        GcodeSummary::default()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096), head in 1u64..600, tail in 1u64..600) {
        let windows = ScanWindows { head_bytes: head, tail_bytes: tail, max_extension_bytes: 700 };
        let _ = read_gcode_with(&mut Cursor::new(&data), &windows);
        let _ = read_gcode_bytes(&data);
    }

    #[test]
    fn random_comment_lines_never_panic(lines in proptest::collection::vec("(;|; )[ -~]{0,60}", 0..200)) {
        let text = lines.join("\n");
        let _ = read_gcode_bytes(text.as_bytes());
    }
}
