//! Slicer metadata: the typed facts PrintStash shows for a sliced file
//! ([`SlicerMetadata`]) and the one mapper that derives them from what a
//! reader found ([`RawSlicerFacts`]).
//!
//! Readers (plain G-code, binary G-code, 3MF projects) only collect raw
//! strings: the slicer's full configuration (`config`, kept verbatim for
//! revision diffs), the statistics lines outside it (`stats`: footer/header
//! comments, bgcode print metadata, Cura `;KEY:value` headers) and a few
//! facts observed in the G-code itself. [`map_metadata`] turns them into
//! typed fields, per slicer family (PrusaSlicer/SuperSlicer, OrcaSlicer/Bambu
//! Studio, Cura), converting units on the way (`"15%"` → 15, `"1h 2m 3s"` →
//! 3723 s, metres → millimetres, first value of multi-extruder lists).
//!
//! Field names follow the upstream `metadata` table (`slicer_name`,
//! `nozzle_diameter_mm`, `estimated_time_s`, …); the extra fields use the
//! same unit-suffix convention.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The slicer's full configuration, key → value exactly as written.
pub type ConfigMap = BTreeMap<String, String>;

/// Typed slicer facts of one sliced file or project. Every field is
/// optional: `None` means the file did not say (or said a known placeholder).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SlicerMetadata {
    /// Slicer program, e.g. `PrusaSlicer`, `OrcaSlicer`, `BambuStudio`, `Cura_SteamEngine`.
    pub slicer_name: Option<String>,
    /// Slicer version without build suffix, e.g. `2.5.0`.
    pub slicer_version: Option<String>,
    /// Printer model (`printer_model`, Cura `machine_name`), else the printer preset name.
    pub printer_model: Option<String>,
    /// Printer preset name (`printer_settings_id`).
    pub printer_settings_id: Option<String>,
    /// Print/process preset name (`print_settings_id`).
    pub print_settings_id: Option<String>,
    /// Filament preset name of the first extruder (`filament_settings_id`).
    pub filament_settings_id: Option<String>,
    /// G-code flavour, e.g. `marlin2`, `klipper`, `Marlin`.
    pub gcode_flavor: Option<String>,
    /// Nozzle diameter of the first extruder, mm.
    pub nozzle_diameter_mm: Option<f64>,
    /// Layer height, mm.
    pub layer_height_mm: Option<f64>,
    /// First-layer height, mm.
    pub first_layer_height_mm: Option<f64>,
    /// Number of layers, when the file states it.
    pub layer_count: Option<u32>,
    /// Sparse infill density, percent (0–100).
    pub infill_percent: Option<f64>,
    /// Wall loops / perimeters.
    pub wall_loops: Option<u32>,
    /// Solid top layers.
    pub top_shell_layers: Option<u32>,
    /// Solid bottom layers.
    pub bottom_shell_layers: Option<u32>,
    /// Whether support material is enabled.
    pub support_material: Option<bool>,
    /// Nozzle temperature after the first layer, °C.
    pub nozzle_temperature_c: Option<f64>,
    /// Nozzle temperature of the first layer, °C.
    pub first_layer_nozzle_temperature_c: Option<f64>,
    /// Bed temperature after the first layer, °C.
    pub bed_temperature_c: Option<f64>,
    /// Bed temperature of the first layer, °C.
    pub first_layer_bed_temperature_c: Option<f64>,
    /// Estimated print time (normal mode), seconds.
    pub estimated_time_s: Option<u64>,
    /// Estimated print time in silent/stealth mode, seconds (PrusaSlicer).
    pub estimated_time_silent_s: Option<u64>,
    /// Filament length used by all extruders, mm.
    pub filament_length_mm: Option<f64>,
    /// Filament volume used by all extruders, cm³.
    pub filament_volume_cm3: Option<f64>,
    /// Filament weight used by all extruders, g.
    pub filament_weight_g: Option<f64>,
    /// Filament cost of the print, in the slicer's currency.
    pub filament_cost: Option<f64>,
    /// Filament diameter of the first extruder, mm.
    pub filament_diameter_mm: Option<f64>,
    /// Filament density of the first extruder, g/cm³.
    pub filament_density_g_cm3: Option<f64>,
    /// Material of the first extruder, e.g. `PLA`, `PETG`.
    pub material_type: Option<String>,
    /// Filament brand of the first extruder (`filament_vendor`).
    pub material_brand: Option<String>,
    /// Filament colours, one per extruder/slot, as `#RRGGBB` (or `#RRGGBBAA`).
    pub filament_colors: Option<Vec<String>>,
    /// Bed/plate type, e.g. `Textured PEI Plate` (Orca/Bambu `curr_bed_type`).
    pub bed_type: Option<String>,
    /// Plate index (1-based) for files sliced from one plate of a project.
    pub plate_index: Option<u32>,
    /// Names of the printed objects.
    pub object_names: Option<Vec<String>>,
}

impl SlicerMetadata {
    /// Fills every field that is `None` here from `other` (fields already set win).
    pub fn fill_missing_from(&mut self, other: &SlicerMetadata) {
        macro_rules! fill {
            ($($field:ident),* $(,)?) => {
                $( if self.$field.is_none() { self.$field = other.$field.clone(); } )*
            };
        }
        fill!(
            slicer_name,
            slicer_version,
            printer_model,
            printer_settings_id,
            print_settings_id,
            filament_settings_id,
            gcode_flavor,
            nozzle_diameter_mm,
            layer_height_mm,
            first_layer_height_mm,
            layer_count,
            infill_percent,
            wall_loops,
            top_shell_layers,
            bottom_shell_layers,
            support_material,
            nozzle_temperature_c,
            first_layer_nozzle_temperature_c,
            bed_temperature_c,
            first_layer_bed_temperature_c,
            estimated_time_s,
            estimated_time_silent_s,
            filament_length_mm,
            filament_volume_cm3,
            filament_weight_g,
            filament_cost,
            filament_diameter_mm,
            filament_density_g_cm3,
            material_type,
            material_brand,
            filament_colors,
            bed_type,
            plate_index,
            object_names,
        );
    }
}

/// Which slicer family wrote a file; decides which config keys mean what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlicerFamily {
    /// PrusaSlicer, SuperSlicer, Slic3r (`; key = value` config at the end).
    Prusa,
    /// OrcaSlicer and Bambu Studio (config block near the top).
    Orca,
    /// Cura and CuraEngine (`;KEY:value` header, `;SETTING_3` footer).
    Cura,
    /// Anything else; every family's keys are tried.
    Unknown,
}

impl SlicerFamily {
    /// Family of a slicer program name (case-insensitive substring match).
    pub fn from_slicer_name(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        if lower.contains("prusaslicer")
            || lower.contains("superslicer")
            || lower.contains("slic3r")
        {
            Self::Prusa
        } else if lower.contains("orca") || lower.contains("bambu") {
            Self::Orca
        } else if lower.contains("cura") {
            Self::Cura
        } else {
            Self::Unknown
        }
    }

    /// Guesses the family from characteristic config keys.
    fn from_config(config: &ConfigMap) -> Self {
        if config.contains_key("sparse_infill_density") || config.contains_key("wall_loops") {
            Self::Orca
        } else if config.contains_key("fill_density") || config.contains_key("perimeters") {
            Self::Prusa
        } else if config.contains_key("infill_sparse_density")
            || config.contains_key("wall_line_count")
        {
            Self::Cura
        } else {
            Self::Unknown
        }
    }
}

/// Facts observed in the G-code commands/markers themselves (fallbacks for
/// slicers whose header is incomplete, e.g. CuraEngine run standalone).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedGcode {
    /// First non-zero `M104`/`M109` S value.
    pub first_nozzle_temp: Option<f64>,
    /// First non-zero nozzle temperature set once the first layer has begun.
    pub later_nozzle_temp: Option<f64>,
    /// First non-zero `M140`/`M190` S value.
    pub first_bed_temp: Option<f64>,
    /// First non-zero bed temperature set once the first layer has begun.
    pub later_bed_temp: Option<f64>,
    /// Last Cura `;TIME_ELAPSED:` value, seconds.
    pub last_time_elapsed: Option<f64>,
    /// Object names from `;MESH:`, `EXCLUDE_OBJECT_DEFINE NAME=`, `; printing object`, `M486 A`.
    pub object_names: Vec<String>,
}

/// Everything a reader collected, before interpretation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawSlicerFacts {
    /// The generator text after `generated by` / `Generated with` / `Producer=`,
    /// e.g. `PrusaSlicer 2.5.0 on 2026-11-23 at 16:28:28 UTC`.
    pub generator: Option<String>,
    /// Statistics and header facts outside the config block (keys as written).
    pub stats: BTreeMap<String, String>,
    /// The slicer's full configuration.
    pub config: ConfigMap,
    /// Facts observed in the G-code commands.
    pub observed: ObservedGcode,
}

/// Splits a generator string into program name and version:
/// `PrusaSlicer 2.5.0+linux-x64 on …` → (`PrusaSlicer`, `2.5.0`).
pub fn parse_generator(text: &str) -> (Option<String>, Option<String>) {
    let mut words = text.split_whitespace();
    let name = words.next().map(str::to_owned);
    let version = words
        .next()
        .filter(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|v| v.split('+').next().unwrap_or(v).to_owned());
    (name, version)
}

/// The per-family config keys for each typed field (first present key wins).
struct KeyTable {
    printer_model: &'static [&'static str],
    flavor: &'static [&'static str],
    nozzle: &'static [&'static str],
    layer: &'static [&'static str],
    first_layer: &'static [&'static str],
    infill: &'static [&'static str],
    walls: &'static [&'static str],
    top: &'static [&'static str],
    bottom: &'static [&'static str],
    support: &'static [&'static str],
    nozzle_temp: &'static [&'static str],
    first_nozzle_temp: &'static [&'static str],
    bed_temp: &'static [&'static str],
    first_bed_temp: &'static [&'static str],
    material: &'static [&'static str],
    brand: &'static [&'static str],
    colors: &'static [&'static str],
    filament_diameter: &'static [&'static str],
    filament_density: &'static [&'static str],
}

const PRUSA_KEYS: KeyTable = KeyTable {
    printer_model: &["printer_model"],
    flavor: &["gcode_flavor"],
    nozzle: &["nozzle_diameter"],
    layer: &["layer_height"],
    first_layer: &["first_layer_height"],
    infill: &["fill_density"],
    walls: &["perimeters"],
    top: &["top_solid_layers"],
    bottom: &["bottom_solid_layers"],
    support: &["support_material"],
    nozzle_temp: &["temperature"],
    first_nozzle_temp: &["first_layer_temperature"],
    bed_temp: &["bed_temperature"],
    first_bed_temp: &["first_layer_bed_temperature"],
    material: &["filament_type"],
    brand: &["filament_vendor"],
    colors: &["filament_colour", "extruder_colour"],
    filament_diameter: &["filament_diameter"],
    filament_density: &["filament_density"],
};

const ORCA_KEYS: KeyTable = KeyTable {
    printer_model: &["printer_model"],
    flavor: &["gcode_flavor"],
    nozzle: &["nozzle_diameter"],
    layer: &["layer_height"],
    first_layer: &["initial_layer_print_height", "first_layer_height"],
    infill: &["sparse_infill_density", "fill_density"],
    walls: &["wall_loops"],
    top: &["top_shell_layers"],
    bottom: &["bottom_shell_layers"],
    support: &["enable_support"],
    nozzle_temp: &["nozzle_temperature"],
    first_nozzle_temp: &["nozzle_temperature_initial_layer"],
    // Orca/Bambu bed temperatures depend on the plate type; see `orca_bed_temps`.
    bed_temp: &["bed_temperature"],
    first_bed_temp: &[
        "bed_temperature_initial_layer",
        "bed_temperature_initial_layer_single",
    ],
    material: &["filament_type"],
    brand: &["filament_vendor"],
    colors: &["filament_colour", "extruder_colour"],
    filament_diameter: &["filament_diameter"],
    filament_density: &["filament_density"],
};

const CURA_KEYS: KeyTable = KeyTable {
    printer_model: &["machine_name"],
    flavor: &["machine_gcode_flavor"],
    nozzle: &["machine_nozzle_size"],
    layer: &["layer_height"],
    first_layer: &["layer_height_0"],
    infill: &["infill_sparse_density"],
    walls: &["wall_line_count"],
    top: &["top_layers"],
    bottom: &["bottom_layers"],
    support: &["support_enable"],
    nozzle_temp: &["material_print_temperature"],
    first_nozzle_temp: &[
        "material_print_temperature_layer_0",
        "material_initial_print_temperature",
    ],
    bed_temp: &["material_bed_temperature"],
    first_bed_temp: &["material_bed_temperature_layer_0"],
    material: &["material_type"],
    brand: &["material_brand"],
    colors: &["material_colour", "material_color"],
    filament_diameter: &["material_diameter"],
    filament_density: &["material_density"],
};

/// Derives typed metadata from raw facts. Config values win over header
/// statistics, which win over facts observed in the G-code commands.
pub fn map_metadata(facts: &RawSlicerFacts) -> SlicerMetadata {
    let (name, version) = facts
        .generator
        .as_deref()
        .map(parse_generator)
        .unwrap_or((None, None));
    let mut family = name
        .as_deref()
        .map(SlicerFamily::from_slicer_name)
        .unwrap_or(SlicerFamily::Unknown);
    if family == SlicerFamily::Unknown {
        family = SlicerFamily::from_config(&facts.config);
    }
    let mut meta = match family {
        SlicerFamily::Prusa => map_config(&facts.config, &PRUSA_KEYS),
        SlicerFamily::Orca => {
            let mut m = map_config(&facts.config, &ORCA_KEYS);
            orca_bed_temps(&facts.config, &mut m);
            m
        }
        SlicerFamily::Cura => map_config(&facts.config, &CURA_KEYS),
        SlicerFamily::Unknown => {
            let mut m = map_config(&facts.config, &PRUSA_KEYS);
            m.fill_missing_from(&map_config(&facts.config, &ORCA_KEYS));
            m.fill_missing_from(&map_config(&facts.config, &CURA_KEYS));
            m
        }
    };
    meta.slicer_name = name;
    meta.slicer_version = version;
    meta.fill_missing_from(&map_stats(&facts.stats));
    meta.fill_missing_from(&map_observed(&facts.observed));
    if meta.printer_model.is_none() {
        meta.printer_model = meta.printer_settings_id.clone();
    }
    meta
}

/// Maps one config map through a family's key table.
fn map_config(config: &ConfigMap, keys: &KeyTable) -> SlicerMetadata {
    let get = |names: &[&str]| -> Option<&str> {
        names.iter().find_map(|k| {
            config
                .get(*k)
                .map(String::as_str)
                .filter(|v| !unquote(v).is_empty())
        })
    };
    let num = |names: &[&str]| get(names).and_then(first_number);
    let count = |names: &[&str]| {
        num(names)
            .filter(|n| *n >= 0.0 && *n <= f64::from(u32::MAX))
            .map(|n| n.round() as u32)
    };
    let text = |names: &[&str]| get(names).and_then(first_text);
    let layer_height = num(keys.layer);
    // PrusaSlicer allows the first layer height as a percentage of the layer height.
    let first_layer_height = get(keys.first_layer).and_then(|v| {
        let v = first_text(v)?;
        match v.strip_suffix('%') {
            Some(pct) => Some(parse_number(pct)? / 100.0 * layer_height?),
            None => parse_number(&v),
        }
    });
    let colors: Vec<String> = keys
        .colors
        .iter()
        .filter_map(|k| config.get(*k))
        .map(|v| {
            split_list(v)
                .into_iter()
                .filter_map(|c| normalise_colour(&c))
                .collect::<Vec<_>>()
        })
        .find(|list| !list.is_empty())
        .unwrap_or_default();
    SlicerMetadata {
        printer_model: text(keys.printer_model),
        printer_settings_id: config
            .get("printer_settings_id")
            .and_then(|v| first_text(v)),
        print_settings_id: config.get("print_settings_id").and_then(|v| first_text(v)),
        filament_settings_id: config
            .get("filament_settings_id")
            .and_then(|v| first_text(v)),
        gcode_flavor: text(keys.flavor),
        nozzle_diameter_mm: num(keys.nozzle),
        layer_height_mm: layer_height,
        first_layer_height_mm: first_layer_height,
        infill_percent: get(keys.infill).and_then(parse_percent),
        wall_loops: count(keys.walls),
        top_shell_layers: count(keys.top),
        bottom_shell_layers: count(keys.bottom),
        support_material: get(keys.support).and_then(|v| parse_bool(&first_text(v)?)),
        nozzle_temperature_c: num(keys.nozzle_temp),
        first_layer_nozzle_temperature_c: num(keys.first_nozzle_temp),
        bed_temperature_c: num(keys.bed_temp),
        first_layer_bed_temperature_c: num(keys.first_bed_temp),
        filament_diameter_mm: num(keys.filament_diameter),
        filament_density_g_cm3: num(keys.filament_density),
        material_type: text(keys.material),
        material_brand: text(keys.brand),
        filament_colors: (!colors.is_empty()).then_some(colors),
        bed_type: config.get("curr_bed_type").and_then(|v| first_text(v)),
        ..SlicerMetadata::default()
    }
}

/// Orca/Bambu store one bed temperature per plate type; the one in use is
/// chosen by `curr_bed_type`.
fn orca_bed_temps(config: &ConfigMap, meta: &mut SlicerMetadata) {
    let Some(bed) = config.get("curr_bed_type").and_then(|v| first_text(v)) else {
        return;
    };
    let prefix = match bed.to_ascii_lowercase().as_str() {
        "cool plate" => "cool_plate_temp",
        "engineering plate" => "eng_plate_temp",
        "high temp plate" => "hot_plate_temp",
        "textured pei plate" => "textured_plate_temp",
        "supertack plate" | "cool plate (supertack)" => "supertack_plate_temp",
        _ => return,
    };
    if let Some(t) = config.get(prefix).and_then(|v| first_number(v)) {
        meta.bed_temperature_c = Some(t);
    }
    if let Some(t) = config
        .get(&format!("{prefix}_initial_layer"))
        .and_then(|v| first_number(v))
    {
        meta.first_layer_bed_temperature_c = Some(t);
    }
}

/// Maps statistics/header lines (PrusaSlicer footer, Orca header, Cura header,
/// bgcode printer/print metadata).
fn map_stats(stats: &BTreeMap<String, String>) -> SlicerMetadata {
    let get = |k: &str| {
        stats
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    };
    let first_of = |keys: &[&str]| keys.iter().find_map(|k| get(k));
    let time = |keys: &[&str]| first_of(keys).and_then(parse_duration_s);
    let sum = |keys: &[&str]| first_of(keys).and_then(sum_numbers);

    let mut meta = SlicerMetadata {
        estimated_time_s: time(&[
            "estimated printing time (normal mode)",
            "total estimated time",
            "PRINT.TIME",
        ]),
        estimated_time_silent_s: time(&["estimated printing time (silent mode)"]),
        filament_length_mm: sum(&["total filament length [mm]", "filament used [mm]"]),
        filament_volume_cm3: sum(&[
            "total filament volume [cm^3]",
            "total filament volume [cm3]",
            "filament used [cm3]",
        ]),
        filament_weight_g: sum(&[
            "total filament weight [g]",
            "total filament used [g]",
            "filament used [g]",
        ]),
        filament_cost: sum(&["total filament cost", "filament cost"]),
        layer_count: first_of(&["total layers count", "total layer number", "LAYER_COUNT"])
            .and_then(first_number)
            .filter(|n| *n >= 0.0 && *n <= f64::from(u32::MAX))
            .map(|n| n as u32),
        ..SlicerMetadata::default()
    };
    // Bambu only writes "model printing time" in some versions.
    if meta.estimated_time_s.is_none() {
        meta.estimated_time_s = time(&["model printing time"]);
    }
    // Cura header. `;TIME:6666` and `;Filament used: 0m` are CuraEngine's
    // placeholders when run standalone: treat them as unknown.
    if meta.estimated_time_s.is_none() {
        meta.estimated_time_s = get("TIME")
            .and_then(parse_duration_s)
            .filter(|t| *t != 6666);
    }
    if meta.filament_length_mm.is_none() {
        meta.filament_length_mm = get("Filament used")
            .and_then(|v| sum_numbers(&v.replace('m', "")))
            .filter(|m| *m > 0.0)
            .map(|m| round_to(m * 1000.0, 3));
    }
    meta.layer_height_mm = get("Layer height").and_then(first_number);
    meta.gcode_flavor = get("FLAVOR").map(str::to_owned);
    meta.printer_model = first_of(&["TARGET_MACHINE.NAME", "MACHINE.NAME"]).map(str::to_owned);
    meta.nozzle_diameter_mm = get("EXTRUDER_TRAIN.0.NOZZLE.DIAMETER").and_then(first_number);
    // bgcode printer metadata carries config-style keys too.
    let bg = map_config(
        &stats.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        &PRUSA_KEYS,
    );
    meta.fill_missing_from(&bg);
    meta
}

/// Maps facts observed in the G-code commands.
fn map_observed(obs: &ObservedGcode) -> SlicerMetadata {
    SlicerMetadata {
        first_layer_nozzle_temperature_c: obs.first_nozzle_temp,
        nozzle_temperature_c: obs.later_nozzle_temp.or(obs.first_nozzle_temp),
        first_layer_bed_temperature_c: obs.first_bed_temp,
        bed_temperature_c: obs.later_bed_temp.or(obs.first_bed_temp),
        estimated_time_s: obs
            .last_time_elapsed
            .filter(|t| t.is_finite() && *t >= 0.0)
            .map(|t| t.round() as u64),
        object_names: (!obs.object_names.is_empty()).then(|| obs.object_names.clone()),
        ..SlicerMetadata::default()
    }
}

/// Removes one pair of surrounding double quotes and whitespace.
pub fn unquote(value: &str) -> &str {
    let v = value.trim();
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v)
        .trim()
}

/// Splits a multi-extruder value on `;` and `,` (outside double quotes),
/// unquoting each item: `"A;B";"C"` → [`A;B`, `C`].
pub fn split_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ';' | ',' if !quoted => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    items.iter().map(|s| unquote(s).to_owned()).collect()
}

/// First non-empty string of a list value (split on `;` only, so names with
/// commas survive), unquoted.
fn first_text(value: &str) -> Option<String> {
    let mut quoted = false;
    let mut end = value.len();
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let first = unquote(&value[..end]);
    (!first.is_empty()).then(|| first.to_owned())
}

/// Parses the leading number of a string (`"0.45mm"` → 0.45). Rejects NaN/∞.
pub fn parse_number(value: &str) -> Option<f64> {
    let v = unquote(value);
    let bytes = v.as_bytes();
    let end = v
        .char_indices()
        .find(|&(i, c)| {
            let sign_ok = i == 0 || matches!(bytes.get(i - 1), Some(b'e' | b'E'));
            !(c.is_ascii_digit()
                || c == '.'
                || ((c == '-' || c == '+') && sign_ok)
                || c == 'e'
                || c == 'E')
        })
        .map(|(i, _)| i)
        .unwrap_or(v.len());
    let mut candidate = &v[..end];
    // Back off a dangling exponent marker ("12e" from "12em").
    while !candidate.is_empty() {
        if let Ok(n) = candidate.parse::<f64>() {
            return n.is_finite().then_some(n);
        }
        candidate = &candidate[..candidate.len() - 1];
    }
    None
}

/// First number of a (possibly multi-extruder) list value.
fn first_number(value: &str) -> Option<f64> {
    split_list(value)
        .iter()
        .find(|s| !s.is_empty())
        .and_then(|s| parse_number(s))
}

/// Sum of all numbers of a list value (multi-extruder usage totals).
fn sum_numbers(value: &str) -> Option<f64> {
    let numbers: Vec<f64> = split_list(value)
        .iter()
        .filter_map(|s| parse_number(s))
        .collect();
    (!numbers.is_empty()).then(|| round_to(numbers.iter().sum(), 6))
}

/// Rounds to `decimals` places (via decimal text, so the result is the
/// float nearest to the printed value) to hide binary noise from sums/products.
fn round_to(value: f64, decimals: usize) -> f64 {
    format!("{value:.decimals$}").parse().unwrap_or(value)
}

/// `"15%"` → 15, `"15"` → 15 (first value of lists).
pub fn parse_percent(value: &str) -> Option<f64> {
    let first = first_text(&split_list(value).into_iter().next().unwrap_or_default())?;
    parse_number(first.trim_end_matches('%'))
}

/// `1`/`true`/`yes`/`on` → true, `0`/`false`/`no`/`off` → false.
pub fn parse_bool(value: &str) -> Option<bool> {
    match unquote(value).to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Parses a slicer duration into seconds: `"1d 2h 3m 4s"`, `"18m 52s"`,
/// `"1h2m"`, fractional units (`"1.5h"`), `"01:02:03"`, or plain seconds
/// (`"6666"`, `"1510.3"`). Returns `None` for anything else.
pub fn parse_duration_s(value: &str) -> Option<u64> {
    let v = unquote(value);
    if v.is_empty() {
        return None;
    }
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| secs.round() as u64);
    }
    if v.contains(':') {
        let parts: Vec<&str> = v.split(':').collect();
        if parts.len() <= 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        {
            return parts.iter().try_fold(0u64, |acc, p| {
                acc.checked_mul(60)?.checked_add(p.parse().ok()?)
            });
        }
        return None;
    }
    let mut total = 0.0f64;
    let mut number = String::new();
    let mut any_unit = false;
    for c in v.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        let scale = match c {
            'd' => 86_400.0,
            'h' => 3_600.0,
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        let n: f64 = number.parse().ok()?;
        total += n * scale;
        number.clear();
        any_unit = true;
    }
    if !number.is_empty() || !any_unit || !total.is_finite() {
        return None;
    }
    Some(total.round() as u64)
}

/// Normalises a colour to upper-case `#RRGGBB`/`#RRGGBBAA`; `None` for
/// empty or non-hex values.
pub fn normalise_colour(value: &str) -> Option<String> {
    let v = unquote(value);
    let hex = v.strip_prefix('#').unwrap_or(v);
    ((hex.len() == 6 || hex.len() == 8) && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| format!("#{}", hex.to_ascii_uppercase()))
}

/// Parses INI-like `key=value` / `; key = value` text into a map (bgcode
/// metadata blocks, PrusaSlicer `Slic3r_PE.config`). Lines without `=` and
/// `[section]` headers are skipped; later duplicates win.
pub fn parse_ini(text: &str) -> ConfigMap {
    let mut map = ConfigMap::new();
    for line in text.lines() {
        let line = line.trim_start_matches(';').trim();
        if line.starts_with('[') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let key = k.trim();
            if !key.is_empty() {
                map.insert(key.to_owned(), v.trim().to_owned());
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_all_slicer_spellings() {
        assert_eq!(parse_duration_s("18m 52s"), Some(1132));
        assert_eq!(parse_duration_s("19m 36s"), Some(1176));
        assert_eq!(parse_duration_s("1d 2h 3m 4s"), Some(93_784));
        assert_eq!(parse_duration_s("1h2m"), Some(3720));
        assert_eq!(parse_duration_s("1.5h"), Some(5400));
        assert_eq!(parse_duration_s("01:02:03"), Some(3723));
        assert_eq!(parse_duration_s("6666"), Some(6666));
        assert_eq!(parse_duration_s("1510.300741"), Some(1510));
        assert_eq!(parse_duration_s("soon"), None);
        assert_eq!(parse_duration_s(""), None);
        assert_eq!(parse_duration_s("5"), Some(5));
        assert_eq!(parse_duration_s("5x"), None);
    }

    #[test]
    fn values_convert_units_and_lists() {
        assert_eq!(parse_percent("15%"), Some(15.0));
        assert_eq!(parse_percent("20"), Some(20.0));
        assert_eq!(parse_percent("15%,20%"), Some(15.0));
        assert_eq!(parse_number("0.45mm"), Some(0.45));
        assert_eq!(parse_number("2.14748e+06"), Some(2_147_480.0));
        assert_eq!(parse_number("nan"), None);
        assert_eq!(first_number("215,220"), Some(215.0));
        assert_eq!(sum_numbers("10.5, 2.5"), Some(13.0));
        assert_eq!(split_list("\"a;b\";\"c\""), vec!["a;b", "c"]);
        assert_eq!(
            first_text("\"Generic PLA\";\"Generic PETG\"").as_deref(),
            Some("Generic PLA")
        );
        assert_eq!(normalise_colour("#ff8000"), Some("#FF8000".into()));
        assert_eq!(normalise_colour(""), None);
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(
            parse_generator("PrusaSlicer 2.5.0+linux-x64 on x"),
            (Some("PrusaSlicer".into()), Some("2.5.0".into()))
        );
    }

    #[test]
    fn orca_config_maps_plate_temperatures_and_colours() {
        let config: ConfigMap = [
            ("sparse_infill_density", "15%"),
            ("wall_loops", "3"),
            ("top_shell_layers", "5"),
            ("bottom_shell_layers", "4"),
            ("enable_support", "1"),
            ("nozzle_temperature", "220,230"),
            ("nozzle_temperature_initial_layer", "225,230"),
            ("curr_bed_type", "Textured PEI Plate"),
            ("textured_plate_temp", "65,65"),
            ("textured_plate_temp_initial_layer", "70,70"),
            ("filament_colour", "#00ae42;#FFFFFF"),
            ("filament_type", "PLA;PETG"),
            ("filament_vendor", "\"Bambu Lab\";\"Generic\""),
            ("initial_layer_print_height", "0.2"),
            ("layer_height", "0.16"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let facts = RawSlicerFacts {
            generator: Some("OrcaSlicer 2.1.1".into()),
            config,
            ..RawSlicerFacts::default()
        };
        let m = map_metadata(&facts);
        assert_eq!(m.slicer_name.as_deref(), Some("OrcaSlicer"));
        assert_eq!(m.infill_percent, Some(15.0));
        assert_eq!(m.wall_loops, Some(3));
        assert_eq!(m.top_shell_layers, Some(5));
        assert_eq!(m.support_material, Some(true));
        assert_eq!(m.nozzle_temperature_c, Some(220.0));
        assert_eq!(m.first_layer_nozzle_temperature_c, Some(225.0));
        assert_eq!(m.bed_temperature_c, Some(65.0));
        assert_eq!(m.first_layer_bed_temperature_c, Some(70.0));
        assert_eq!(
            m.filament_colors,
            Some(vec!["#00AE42".into(), "#FFFFFF".into()])
        );
        assert_eq!(m.material_type.as_deref(), Some("PLA"));
        assert_eq!(m.material_brand.as_deref(), Some("Bambu Lab"));
        assert_eq!(m.bed_type.as_deref(), Some("Textured PEI Plate"));
        assert_eq!(m.first_layer_height_mm, Some(0.2));
    }

    #[test]
    fn cura_settings_and_header_map() {
        let config: ConfigMap = [
            ("infill_sparse_density", "20"),
            ("wall_line_count", "3"),
            ("support_enable", "True"),
            ("material_print_temperature", "205"),
            ("layer_height_0", "0.28"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let stats = [
            ("TIME", "3723"),
            ("Filament used", "1.5m, 0.25m"),
            ("Layer height", "0.2"),
            ("FLAVOR", "Marlin"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let facts = RawSlicerFacts {
            generator: Some("Cura_SteamEngine 5.6.0".into()),
            stats,
            config,
            ..RawSlicerFacts::default()
        };
        let m = map_metadata(&facts);
        assert_eq!(m.infill_percent, Some(20.0));
        assert_eq!(m.wall_loops, Some(3));
        assert_eq!(m.support_material, Some(true));
        assert_eq!(m.nozzle_temperature_c, Some(205.0));
        assert_eq!(m.first_layer_height_mm, Some(0.28));
        assert_eq!(m.estimated_time_s, Some(3723));
        assert_eq!(m.filament_length_mm, Some(1750.0));
        assert_eq!(m.layer_height_mm, Some(0.2));
        assert_eq!(m.gcode_flavor.as_deref(), Some("Marlin"));
    }

    #[test]
    fn prusa_first_layer_percentage_is_relative_to_layer_height() {
        let config: ConfigMap = [("layer_height", "0.2"), ("first_layer_height", "150%")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let m = map_metadata(&RawSlicerFacts {
            generator: Some("PrusaSlicer 2.3.0".into()),
            config,
            ..Default::default()
        });
        assert!((m.first_layer_height_mm.unwrap_or_default() - 0.3).abs() < 1e-9);
    }

    #[test]
    fn metadata_serialises_with_upstream_column_names() {
        let m = SlicerMetadata {
            nozzle_diameter_mm: Some(0.4),
            estimated_time_s: Some(5),
            ..Default::default()
        };
        let json = serde_json::to_value(&m).expect("json");
        for key in [
            "slicer_name",
            "slicer_version",
            "printer_model",
            "nozzle_diameter_mm",
            "layer_height_mm",
            "first_layer_height_mm",
            "infill_percent",
            "wall_loops",
            "top_shell_layers",
            "bottom_shell_layers",
            "support_material",
            "nozzle_temperature_c",
            "bed_temperature_c",
            "estimated_time_s",
            "filament_length_mm",
            "filament_weight_g",
            "filament_cost",
            "material_type",
            "material_brand",
        ] {
            assert!(json.get(key).is_some(), "{key}");
        }
        assert_eq!(json["nozzle_diameter_mm"], serde_json::json!(0.4));
    }
}
