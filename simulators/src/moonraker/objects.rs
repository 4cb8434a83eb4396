//! Klipper printer objects as JSON: rendering the printer's state, parsing an
//! `objects` request, selecting the requested fields, and computing the
//! partial diffs that `notify_status_update` carries.

use serde_json::{Map, Value, json};

use super::config::MoonrakerSimConfig;
use super::error::SimError;
use super::printer::{Printer, round_to};

/// Requested objects: name → `None` (all fields) or a field list.
pub(crate) type ObjectSpec = Vec<(String, Option<Vec<String>>)>;

/// Names `printer.objects.list` reports.
pub(crate) const OBJECT_NAMES: [&str; 8] = [
    "webhooks",
    "configfile",
    "toolhead",
    "extruder",
    "heater_bed",
    "virtual_sdcard",
    "print_stats",
    "display_status",
];

/// Every object with every field, as of now.
pub(crate) fn render(p: &Printer, configfile: &Value, toolhead: &Value) -> Map<String, Value> {
    let s = &p.stats;
    let mut objects = Map::new();
    objects.insert(
        "webhooks".into(),
        json!({"state": p.klippy.as_str(), "state_message": p.state_message}),
    );
    objects.insert("configfile".into(), configfile.clone());
    let mut toolhead = toolhead.clone();
    if let Some(t) = toolhead.as_object_mut() {
        let homed = if p.busy_with().is_some() { "xyz" } else { "" };
        t.insert("homed_axes".into(), Value::from(homed));
    }
    objects.insert("toolhead".into(), toolhead);
    objects.insert(
        "extruder".into(),
        json!({
            "temperature": p.extruder.temperature,
            "target": p.extruder.target,
            "power": p.extruder.power,
            "pressure_advance": 0.04,
            "smooth_time": 0.04,
            "can_extrude": p.extruder.temperature >= 170.0,
        }),
    );
    objects.insert(
        "heater_bed".into(),
        json!({"temperature": p.bed.temperature, "target": p.bed.target, "power": p.bed.power}),
    );
    objects.insert(
        "virtual_sdcard".into(),
        json!({
            "file_path": p.sdcard.file_path,
            "progress": p.sdcard.progress(),
            "is_active": p.sdcard.is_active,
            "file_position": p.sdcard.file_position,
            "file_size": p.sdcard.file_size,
        }),
    );
    objects.insert(
        "print_stats".into(),
        json!({
            "filename": s.filename,
            "total_duration": round_to(s.total_duration, 3),
            "print_duration": round_to(s.print_duration, 3),
            "filament_used": s.filament_used,
            "state": s.state.as_str(),
            "message": s.message,
            "info": {"total_layer": s.total_layer, "current_layer": s.current_layer},
        }),
    );
    objects.insert(
        "display_status".into(),
        json!({"progress": p.display.progress, "message": p.display.message}),
    );
    objects
}

/// The static `configfile` object: raw `config` strings and parsed `settings`,
/// enough for a client's preflight checks (bed size, nozzle, kinematics).
pub(crate) fn configfile(cfg: &MoonrakerSimConfig) -> Value {
    let (x, y) = cfg.bed_size_mm;
    let z = cfg.max_height_mm;
    let stepper =
        |max: f64| json!({"position_min": 0.0, "position_max": max, "position_endstop": max});
    let settings = json!({
        "printer": {"kinematics": cfg.kinematics, "max_velocity": 300.0, "max_accel": 3000.0},
        "stepper_x": stepper(x),
        "stepper_y": stepper(y),
        "stepper_z": stepper(z),
        "extruder": {
            "nozzle_diameter": cfg.nozzle_diameter_mm,
            "filament_diameter": 1.75,
            "min_temp": 0.0,
            "max_temp": 300.0,
        },
        "heater_bed": {"min_temp": 0.0, "max_temp": 120.0},
        "virtual_sdcard": {"path": format!("{}/gcodes", super::files::DATA_DIR)},
    });
    let raw_stepper = |max: f64| json!({"position_min": "0", "position_max": max.to_string(), "position_endstop": max.to_string()});
    let config = json!({
        "printer": {"kinematics": cfg.kinematics, "max_velocity": "300", "max_accel": "3000"},
        "stepper_x": raw_stepper(x),
        "stepper_y": raw_stepper(y),
        "stepper_z": raw_stepper(z),
        "extruder": {"nozzle_diameter": cfg.nozzle_diameter_mm.to_string(), "filament_diameter": "1.75"},
    });
    json!({"config": config, "settings": settings, "save_config_pending": false, "warnings": []})
}

/// The static part of the `toolhead` object (axis limits from the config).
pub(crate) fn toolhead(cfg: &MoonrakerSimConfig) -> Value {
    let (x, y) = cfg.bed_size_mm;
    json!({
        "homed_axes": "",
        "axis_minimum": [0.0, 0.0, 0.0, 0.0],
        "axis_maximum": [x, y, cfg.max_height_mm, 0.0],
        "max_velocity": 300.0,
        "max_accel": 3000.0,
        "extruder": "extruder",
    })
}

/// Parses the `objects` argument: `{name: null | [field, …]}`.
pub(crate) fn parse_spec(objects: Option<&Value>) -> Result<ObjectSpec, SimError> {
    let invalid = || {
        SimError::BadRequest("Invalid argument 'objects': expected {name: null | [fields]}".into())
    };
    let map =
        objects.ok_or_else(|| SimError::BadRequest("No data for argument: objects".into()))?;
    let map = map.as_object().ok_or_else(invalid)?;
    map.iter()
        .map(|(name, fields)| {
            let fields = match fields {
                Value::Null => None,
                Value::Array(list) => Some(
                    list.iter()
                        .map(|f| f.as_str().map(str::to_owned).ok_or_else(invalid))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                _ => return Err(invalid()),
            };
            Ok((name.clone(), fields))
        })
        .collect()
}

/// The requested part of `all`; unknown objects and fields are silently omitted.
pub(crate) fn select(spec: &ObjectSpec, all: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, fields) in spec {
        let Some(Value::Object(object)) = all.get(name) else {
            continue;
        };
        let picked = match fields {
            None => object.clone(),
            Some(fields) => fields
                .iter()
                .filter_map(|f| object.get(f).map(|v| (f.clone(), v.clone())))
                .collect(),
        };
        out.insert(name.clone(), Value::Object(picked));
    }
    out
}

/// What changed from `old` to `new`: nested objects recurse, any other
/// changed value is sent whole. `None` when nothing changed.
pub(crate) fn diff(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    for (key, value) in new {
        match (old.get(key), value) {
            (Some(Value::Object(a)), Value::Object(b)) => {
                if let Some(d) = diff(a, b) {
                    out.insert(key.clone(), Value::Object(d));
                }
            }
            (Some(previous), _) if previous == value => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn diff_keeps_only_changed_leaves() {
        let old = map(
            json!({"print_stats": {"state": "printing", "info": {"total_layer": 5, "current_layer": 1}}, "extruder": {"temperature": 200.0}}),
        );
        let new = map(
            json!({"print_stats": {"state": "printing", "info": {"total_layer": 5, "current_layer": 2}}, "extruder": {"temperature": 200.0}}),
        );
        assert_eq!(
            diff(&old, &new).map(Value::Object),
            Some(json!({"print_stats": {"info": {"current_layer": 2}}}))
        );
        assert_eq!(diff(&new, &new), None);
    }

    #[test]
    fn select_omits_unknown_objects_and_fields() {
        let all = map(json!({"extruder": {"temperature": 1.0, "target": 2.0}}));
        let spec = parse_spec(Some(
            &json!({"extruder": ["target", "nope"], "missing": null}),
        ))
        .expect("spec");
        assert_eq!(
            Value::Object(select(&spec, &all)),
            json!({"extruder": {"target": 2.0}})
        );
        assert!(parse_spec(Some(&json!({"extruder": "target"}))).is_err());
    }
}
