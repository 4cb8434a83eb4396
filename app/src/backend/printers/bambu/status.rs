//! The cached `print` state of a Bambu printer: which fields of a
//! `push_status` report may be merged into it (wrong-typed ones are dropped
//! so one bad report cannot poison the cache until that field changes
//! again), and what the merged state says in PrintStash's words.

use serde_json::{Map, Value};

use crate::backend::printers::driver::{deep_merge, lenient_f64};
use crate::views::printers::{ConnectionState, PrintState, PrinterStatus, Temperature};

/// `print_error` after a user stopped the print: 0300_400C, "the task was cancelled".
pub const PRINT_ERROR_CANCELLED: u64 = 0x0300_400C;

/// What a field PrintStash reads must look like.
#[derive(Clone, Copy)]
enum Shape {
    /// A string.
    Text,
    /// A number ≥ 0 (possibly sent as a string).
    Count,
    /// Any finite number (possibly sent as a string).
    Number,
    /// An array.
    List,
}

const FIELDS: &[(&str, Shape)] = &[
    ("gcode_state", Shape::Text),
    ("subtask_name", Shape::Text),
    ("gcode_file", Shape::Text),
    ("mc_percent", Shape::Count),
    ("mc_remaining_time", Shape::Count),
    ("layer_num", Shape::Count),
    ("total_layer_num", Shape::Count),
    ("print_error", Shape::Count),
    ("nozzle_temper", Shape::Number),
    ("nozzle_target_temper", Shape::Number),
    ("bed_temper", Shape::Number),
    ("bed_target_temper", Shape::Number),
    ("chamber_temper", Shape::Number),
    ("chamber_target_temper", Shape::Number),
    ("hms", Shape::List),
];

/// Envelope keys of a report that are not printer state.
const ENVELOPE: &[&str] = &["command", "msg", "sequence_id"];

fn number(value: Option<&Value>) -> Option<f64> {
    lenient_f64(value).filter(|n| n.is_finite())
}

fn count(value: Option<&Value>) -> Option<u64> {
    number(value)
        .filter(|n| *n >= 0.0 && *n <= u64::MAX as f64)
        .map(|n| n as u64)
}

fn fits(shape: Shape, value: &Value) -> bool {
    match shape {
        Shape::Text => value.is_string(),
        Shape::Count => count(Some(value)).is_some(),
        Shape::Number => number(Some(value)).is_some(),
        Shape::List => value.is_array(),
    }
}

/// Merges one `push_status` report into `state` (objects key by key, arrays
/// and scalars replaced) and returns the names of the fields it dropped
/// because their type was wrong.
pub fn merge_report(state: &mut Value, report: &Map<String, Value>) -> Vec<String> {
    let mut patch = report.clone();
    for key in ENVELOPE {
        patch.remove(*key);
    }
    let mut dropped = Vec::new();
    for (name, shape) in FIELDS {
        if patch.get(*name).is_some_and(|v| !fits(*shape, v)) {
            patch.remove(*name);
            dropped.push((*name).to_owned());
        }
    }
    deep_merge(state, &Value::Object(patch));
    dropped
}

/// `print_error` / HMS words as Bambu's error lists spell them: `0700_8006`.
fn code_words(code: u64) -> String {
    format!("{:04X}_{:04X}", (code >> 16) & 0xFFFF, code & 0xFFFF)
}

fn print_state(gcode_state: Option<&str>, print_error: u64) -> PrintState {
    let Some(word) = gcode_state else {
        return PrintState::Unknown;
    };
    match word.trim().to_ascii_uppercase().as_str() {
        "IDLE" => PrintState::Idle,
        "PREPARE" | "SLICING" => PrintState::Preparing,
        "RUNNING" => PrintState::Printing,
        "PAUSE" => PrintState::Paused,
        "FINISH" => PrintState::Complete,
        "FAILED" if print_error == PRINT_ERROR_CANCELLED => PrintState::Cancelled,
        "FAILED" => PrintState::Failed,
        _ => PrintState::Unknown,
    }
}

fn strip_print_extension(name: &str) -> &str {
    [".gcode.3mf", ".3mf", ".gcode"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(name)
}

/// The file name when it agrees with `subtask_name` (so the job follower
/// can match it to the upload exactly), otherwise the subtask name. The
/// plate G-code inside a 3MF (`/data/Metadata/plate_1.gcode`) names no file
/// of ours and is ignored.
fn job_name(state: &Value) -> Option<String> {
    let subtask = state["subtask_name"]
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let file = state["gcode_file"]
        .as_str()
        .filter(|path| !path.contains("Metadata/"))
        .and_then(|path| path.rsplit('/').next())
        .map(str::trim)
        .filter(|f| !f.is_empty());
    match (subtask, file) {
        (Some(subtask), Some(file)) if strip_print_extension(file) == subtask => {
            Some(file.to_owned())
        }
        (Some(subtask), _) => Some(subtask.to_owned()),
        (None, file) => file.map(str::to_owned),
    }
}

/// `print_error` and HMS alerts as Bambu's codes, e.g.
/// `print_error 0700_8006; HMS_0300_0100_0001_0007`.
fn message(state: &Value, print_error: u64) -> Option<String> {
    let mut parts = Vec::new();
    if print_error != 0 {
        parts.push(format!("print_error {}", code_words(print_error)));
    }
    for alert in state["hms"].as_array().into_iter().flatten() {
        if let (Some(attr), Some(code)) = (count(alert.get("attr")), count(alert.get("code"))) {
            parts.push(format!("HMS_{}_{}", code_words(attr), code_words(code)));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn heater(state: &Value, current: &str, target: &str) -> Option<Temperature> {
    Some(Temperature {
        current: number(state.get(current))?,
        target: number(state.get(target)).unwrap_or(0.0),
    })
}

/// What the merged `print` state says in PrintStash's words.
pub fn status_from(state: &Value) -> PrinterStatus {
    let mut status = PrinterStatus::unknown(0, ConnectionState::Online);
    let print_error = count(state.get("print_error")).unwrap_or(0);
    status.state = print_state(state["gcode_state"].as_str(), print_error);
    status.progress = number(state.get("mc_percent")).map(|p| (p / 100.0).clamp(0.0, 1.0));
    if status.state.is_active() {
        status.remaining_s = count(state.get("mc_remaining_time"))
            .and_then(|minutes| i64::try_from(minutes.saturating_mul(60)).ok());
    }
    status.total_layers = count(state.get("total_layer_num"))
        .filter(|n| *n > 0)
        .and_then(|n| u32::try_from(n).ok());
    if status.total_layers.is_some() {
        status.layer = count(state.get("layer_num")).and_then(|n| u32::try_from(n).ok());
    }
    status.nozzle = heater(state, "nozzle_temper", "nozzle_target_temper");
    status.bed = heater(state, "bed_temper", "bed_target_temper");
    status.chamber = heater(state, "chamber_temper", "chamber_target_temper");
    status.job_name = job_name(state);
    status.message = message(state, print_error);
    status
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn full() -> Map<String, Value> {
        report(json!({
            "command": "push_status", "msg": 0, "sequence_id": "2021",
            "gcode_state": "RUNNING", "mc_percent": 37, "mc_remaining_time": 52,
            "layer_num": 41, "total_layer_num": 120,
            "nozzle_temper": 219.8, "nozzle_target_temper": 220.0,
            "bed_temper": 55.1, "bed_target_temper": 55.0, "chamber_temper": 31.0,
            "subtask_name": "cube_20mm", "gcode_file": "cube_20mm.gcode.3mf",
            "print_type": "local", "print_error": 0, "hms": [],
            "ams": {"ams": [{"id": "0", "humidity": "4"}], "tray_now": "255"}
        }))
    }

    #[test]
    fn a_full_report_maps_to_printstash_words() {
        let mut state = json!({});
        assert!(merge_report(&mut state, &full()).is_empty());
        assert!(state.get("command").is_none(), "the envelope is no state");
        let s = status_from(&state);
        assert_eq!(s.state, PrintState::Printing);
        assert_eq!(s.progress, Some(0.37));
        assert_eq!(s.remaining_s, Some(52 * 60));
        assert_eq!((s.layer, s.total_layers), (Some(41), Some(120)));
        assert_eq!(
            s.nozzle,
            Some(Temperature {
                current: 219.8,
                target: 220.0
            })
        );
        assert_eq!(
            s.bed,
            Some(Temperature {
                current: 55.1,
                target: 55.0
            })
        );
        assert_eq!(
            s.chamber,
            Some(Temperature {
                current: 31.0,
                target: 0.0
            })
        );
        assert_eq!(s.job_name.as_deref(), Some("cube_20mm.gcode.3mf"));
        assert_eq!(s.message, None);
    }

    #[test]
    fn incremental_reports_merge_into_the_full_one() {
        let mut state = json!({});
        merge_report(&mut state, &full());
        merge_report(
            &mut state,
            &report(
                json!({"command": "push_status", "msg": 1, "mc_percent": 38, "layer_num": 42, "ams": {"tray_now": "0"}}),
            ),
        );
        let s = status_from(&state);
        assert_eq!(s.progress, Some(0.38));
        assert_eq!((s.layer, s.total_layers), (Some(42), Some(120)));
        assert_eq!(s.state, PrintState::Printing, "absent keys are unchanged");
        assert_eq!(state["ams"]["ams"][0]["humidity"], "4", "objects merge");
        assert_eq!(state["ams"]["tray_now"], "0");
        merge_report(
            &mut state,
            &report(json!({"gcode_state": "FINISH", "mc_percent": 100, "mc_remaining_time": 0})),
        );
        let done = status_from(&state);
        assert_eq!(done.state, PrintState::Complete);
        assert_eq!(done.remaining_s, None, "no estimate once the job is over");
    }

    #[test]
    fn numbers_sent_as_strings_are_read() {
        let mut state = json!({});
        merge_report(
            &mut state,
            &report(
                json!({"gcode_state": "pause", "mc_percent": "50", "mc_remaining_time": "3", "layer_num": "7", "total_layer_num": "90", "nozzle_temper": "215.5", "nozzle_target_temper": "220", "print_error": "0"}),
            ),
        );
        let s = status_from(&state);
        assert_eq!(s.state, PrintState::Paused);
        assert_eq!(s.progress, Some(0.5));
        assert_eq!(s.remaining_s, Some(180));
        assert_eq!((s.layer, s.total_layers), (Some(7), Some(90)));
        assert_eq!(
            s.nozzle.map(|t| (t.current, t.target)),
            Some((215.5, 220.0))
        );
        assert_eq!(s.message, None);
    }

    #[test]
    fn errors_and_hms_alerts_become_bambu_codes() {
        let mut state = json!({});
        merge_report(
            &mut state,
            &report(
                json!({"gcode_state": "FAILED", "print_error": 117473286, "hms": [{"attr": 50331904, "code": 65543}, {"attr": "x"}]}),
            ),
        );
        let s = status_from(&state);
        assert_eq!(s.state, PrintState::Failed);
        assert_eq!(
            s.message.as_deref(),
            Some("print_error 0700_8006; HMS_0300_0100_0001_0007")
        );
        merge_report(
            &mut state,
            &report(json!({"print_error": PRINT_ERROR_CANCELLED, "hms": []})),
        );
        let s = status_from(&state);
        assert_eq!(s.state, PrintState::Cancelled);
        assert_eq!(s.message.as_deref(), Some("print_error 0300_400C"));
    }

    #[test]
    fn wrong_typed_fields_are_dropped_not_merged() {
        let mut state = json!({});
        merge_report(&mut state, &full());
        let bad = report(
            json!({"command": "push_status", "msg": 1, "sequence_id": 7, "gcode_state": 42, "mc_percent": "fifty", "mc_remaining_time": -5, "layer_num": null, "total_layer_num": "many", "nozzle_temper": "hot", "bed_temper": [55], "hms": {"attr": 1}, "print_error": "none", "ams": "broken", "upload": null}),
        );
        let dropped = merge_report(&mut state, &bad);
        for field in [
            "gcode_state",
            "mc_percent",
            "mc_remaining_time",
            "layer_num",
            "total_layer_num",
            "nozzle_temper",
            "bed_temper",
            "hms",
            "print_error",
        ] {
            assert!(dropped.iter().any(|d| d == field), "{field} kept");
        }
        let s = status_from(&state);
        assert_eq!(s.state, PrintState::Printing);
        assert_eq!(s.progress, Some(0.37));
        assert_eq!(s.nozzle.map(|t| t.current), Some(219.8));
    }

    #[test]
    fn the_job_name_follows_the_file_when_it_agrees_with_the_subtask() {
        let name = |subtask: &str, file: &str| {
            job_name(&json!({"subtask_name": subtask, "gcode_file": file}))
        };
        assert_eq!(name("part", "part.gcode").as_deref(), Some("part.gcode"));
        assert_eq!(
            name("cube", "/data/Metadata/plate_1.gcode").as_deref(),
            Some("cube")
        );
        assert_eq!(name("cube", "cube_v2.gcode.3mf").as_deref(), Some("cube"));
        assert_eq!(name("", "/sdcard/x.gcode").as_deref(), Some("x.gcode"));
        assert_eq!(name("", ""), None);
        assert_eq!(
            status_from(&json!({"gcode_state": "IDLE"})).state,
            PrintState::Idle
        );
        assert_eq!(status_from(&json!({})).state, PrintState::Unknown);
    }
}
