//! Tests of the 3MF project reader: the real PrusaSlicer project fixture and
//! a synthetic Bambu Studio `.gcode.3mf`.

use std::io::Cursor;

use super::*;
use crate::backend::formats::package::tests::make_zip;
use crate::backend::thumbs::embedded::ImageFormat;

const PRUSA_PROJECT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/3mf/cube_20mm_prusa_project.3mf"
);

#[test]
fn prusa_project_fixture_matches_manifest() {
    let bytes = std::fs::read(PRUSA_PROJECT).expect("fixture");
    let p = read_project(Cursor::new(&bytes), &Limits::default()).expect("read");
    assert_eq!(p.flavor, ProjectFlavor::Prusa);
    let m = &p.metadata;
    assert_eq!(m.slicer_name.as_deref(), Some("PrusaSlicer"));
    assert_eq!(m.slicer_version.as_deref(), Some("2.5.0"));
    assert_eq!(m.printer_model.as_deref(), Some("MK3S"));
    assert_eq!(m.layer_height_mm, Some(0.2));
    assert_eq!(m.nozzle_diameter_mm, Some(0.4));
    assert_eq!(m.infill_percent, Some(15.0));
    assert_eq!(m.material_type.as_deref(), Some("PLA"));
    assert_eq!(
        m.object_names,
        Some(vec!["cube_20mm_binary.stl".to_owned()])
    );
    assert_eq!(
        m.estimated_time_s, None,
        "an unsliced project has no estimate"
    );
    assert_eq!(
        p.config.get("layer_height").map(String::as_str),
        Some("0.2")
    );
    assert_eq!(
        p.config.get("printer_model").map(String::as_str),
        Some("MK3S")
    );
    assert!(p.config.len() > 250);
    // Same settings as the G-code sliced with the same ini.
    let g = crate::backend::formats::gcode::read_gcode_bytes(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/gcode/cube_20mm_prusa_png.gcode"
        ))
        .expect("fixture"),
    )
    .expect("gcode");
    // Every G-code key is in the project with the same value; the project
    // adds a few filament overrides (`filament_retract_*`, `nil`) and `colorprint_heights`.
    for (k, v) in &g.config {
        assert_eq!(p.config.get(k), Some(v), "{k}");
    }
    let extra: Vec<&String> = p
        .config
        .keys()
        .filter(|k| !g.config.contains_key(*k))
        .collect();
    assert_eq!(extra.len(), 12, "{extra:?}");
    assert!(p.plates.is_empty());
    assert_eq!(p.thumbnails.len(), 1);
    assert_eq!(
        (
            p.thumbnails[0].format,
            p.thumbnails[0].width,
            p.thumbnails[0].height
        ),
        (ImageFormat::Png, 256, 256)
    );
}

fn tiny_png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(w, h, image::Rgba([200, 100, 0, 255]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

const MODEL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
 <metadata name="Application">BambuStudio-01.09.00.70</metadata>
 <resources/>
 <build/>
</model>"#;

const MODEL_SETTINGS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<config>
  <object id="2">
    <metadata key="name" value="Benchy"/>
    <metadata key="extruder" value="1"/>
    <part id="1" subtype="normal_part"><metadata key="name" value="Benchy part"/></part>
  </object>
  <object id="5">
    <metadata key="name" value="Cube"/>
  </object>
  <plate>
    <metadata key="plater_id" value="1"/>
    <metadata key="plater_name" value="First"/>
    <metadata key="gcode_file" value="Metadata/plate_1.gcode"/>
    <model_instance><metadata key="object_id" value="2"/><metadata key="instance_id" value="0"/></model_instance>
  </plate>
  <plate>
    <metadata key="plater_id" value="2"/>
    <model_instance><metadata key="object_id" value="5"/></model_instance>
  </plate>
</config>"#;

const SLICE_INFO: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<config>
  <header>
    <header_item key="X-BBL-Client-Type" value="slicer"/>
    <header_item key="X-BBL-Client-Version" value="01.09.00.70"/>
  </header>
  <plate>
    <metadata key="index" value="1"/>
    <metadata key="prediction" value="3075"/>
    <metadata key="weight" value="10.53"/>
    <object identify_id="188" name="Benchy" skipped="false" />
    <filament id="1" tray_info_idx="GFA00" type="PLA" color="#00AE42" used_m="3.47" used_g="10.53" />
  </plate>
</config>"##;

const PLATE_GCODE: &str = "; HEADER_BLOCK_START\n; BambuStudio 01.09.00.70\n; model printing time: 50m 0s; total estimated time: 51m 15s\n; total layer number: 240\n; HEADER_BLOCK_END\n\n; CONFIG_BLOCK_START\n; layer_height = 0.2\n; CONFIG_BLOCK_END\n\nG28\nM104 S220\n;LAYER_CHANGE\nG1 X1\n";

fn bambu_project() -> Vec<u8> {
    let settings = serde_json::json!({
        "layer_height": "0.2",
        "initial_layer_print_height": "0.2",
        "sparse_infill_density": "15%",
        "wall_loops": "2",
        "enable_support": "0",
        "nozzle_diameter": ["0.4"],
        "nozzle_temperature": ["220", "230"],
        "nozzle_temperature_initial_layer": ["220", "230"],
        "curr_bed_type": "Textured PEI Plate",
        "textured_plate_temp": ["65", "65"],
        "textured_plate_temp_initial_layer": ["65", "65"],
        "filament_type": ["PLA", "PETG"],
        "filament_vendor": ["Bambu Lab", "Generic"],
        "filament_colour": ["#00AE42", "#FFFFFF"],
        "printer_model": "Bambu Lab X1 Carbon",
        "printer_settings_id": "Bambu Lab X1 Carbon 0.4 nozzle",
        "filament_settings_id": ["Bambu PLA Basic @BBL X1C", "Generic PETG"]
    })
    .to_string();
    let png = tiny_png(512, 512);
    let small = tiny_png(128, 128);
    make_zip(&[
        ("[Content_Types].xml", b"<Types/>", true),
        ("3D/3dmodel.model", MODEL.as_bytes(), true),
        (
            "Metadata/project_settings.config",
            settings.as_bytes(),
            true,
        ),
        (
            "Metadata/model_settings.config",
            MODEL_SETTINGS.as_bytes(),
            true,
        ),
        ("Metadata/slice_info.config", SLICE_INFO.as_bytes(), true),
        ("Metadata/plate_1.gcode", PLATE_GCODE.as_bytes(), true),
        ("Metadata/plate_1.png", &png, false),
        ("Metadata/plate_1_small.png", &small, false),
        ("Metadata/top_1.png", &png, false),
        ("Metadata/pick_1.png", &png, false),
    ])
}

#[test]
fn bambu_gcode_3mf_reads_settings_plates_and_plate_gcode() {
    let p = read_project(Cursor::new(bambu_project()), &Limits::default()).expect("read");
    assert_eq!(p.flavor, ProjectFlavor::Orca);
    let m = &p.metadata;
    assert_eq!(m.slicer_name.as_deref(), Some("BambuStudio"));
    assert_eq!(m.slicer_version.as_deref(), Some("01.09.00.70"));
    assert_eq!(m.printer_model.as_deref(), Some("Bambu Lab X1 Carbon"));
    assert_eq!(m.infill_percent, Some(15.0));
    assert_eq!(m.wall_loops, Some(2));
    assert_eq!(m.support_material, Some(false));
    assert_eq!(m.nozzle_temperature_c, Some(220.0));
    assert_eq!(m.bed_temperature_c, Some(65.0));
    assert_eq!(m.bed_type.as_deref(), Some("Textured PEI Plate"));
    assert_eq!(m.material_type.as_deref(), Some("PLA"));
    assert_eq!(m.material_brand.as_deref(), Some("Bambu Lab"));
    assert_eq!(
        m.filament_settings_id.as_deref(),
        Some("Bambu PLA Basic @BBL X1C")
    );
    assert_eq!(
        m.filament_colors,
        Some(vec!["#00AE42".to_owned(), "#FFFFFF".to_owned()])
    );
    assert_eq!(m.estimated_time_s, Some(3075), "slice_info prediction");
    assert_eq!(m.filament_weight_g, Some(10.53));
    assert_eq!(m.filament_length_mm, Some(3470.0));
    assert_eq!(m.plate_index, Some(1));
    assert_eq!(m.layer_count, Some(240), "filled from the plate G-code");
    assert_eq!(
        m.object_names,
        Some(vec!["Benchy".to_owned(), "Cube".to_owned()])
    );
    assert_eq!(
        p.config.get("nozzle_temperature").map(String::as_str),
        Some("220,230")
    );
    assert_eq!(
        p.config.get("filament_type").map(String::as_str),
        Some("PLA;PETG")
    );

    assert_eq!(p.plates.len(), 2);
    let p1 = &p.plates[0];
    assert_eq!((p1.index, p1.name.as_deref()), (1, Some("First")));
    assert_eq!(p1.object_names, vec!["Benchy".to_owned()]);
    assert_eq!(p1.estimated_time_s, Some(3075));
    assert_eq!(p1.filaments.len(), 1);
    assert_eq!(p1.gcode_part.as_deref(), Some("Metadata/plate_1.gcode"));
    let g = p1.gcode_metadata.as_ref().expect("plate gcode read");
    assert_eq!(g.estimated_time_s, Some(3075));
    assert_eq!(p.plates[1].object_names, vec!["Cube".to_owned()]);
    assert_eq!(p.plates[1].gcode_part, None);

    let names: Vec<&str> = p.thumbnails.iter().map(|t| t.source.as_str()).collect();
    assert_eq!(
        names,
        vec!["Metadata/plate_1.png", "Metadata/plate_1_small.png"]
    );
    let largest = crate::backend::thumbs::embedded::pick_largest(&p.thumbnails).expect("largest");
    assert_eq!((largest.width, largest.height), (512, 512));
}

#[test]
fn plain_3mf_has_no_project_data_and_prefixes_never_panic() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/mesh/cube_20mm.3mf"
    ))
    .expect("fixture");
    let p = read_project(Cursor::new(&bytes), &Limits::default()).expect("read");
    assert_eq!(p.flavor, ProjectFlavor::Plain);
    assert_eq!(p.metadata.slicer_name, None);
    assert!(p.config.is_empty() && p.plates.is_empty() && p.thumbnails.is_empty());

    let project = bambu_project();
    for len in (0..project.len()).step_by(97) {
        let _ = read_project(Cursor::new(&project[..len]), &Limits::default());
    }
}
