//! The requests PrintStash publishes on `device/{SERIAL}/request` (status
//! snapshot, versions, pause/resume/stop, printing an uploaded file) and how
//! the printer's reply to one of them is recognised and read.

use serde_json::{Map, Value, json};

use crate::backend::printers::driver::DriverError;
use crate::params::printers::PrintAction;

/// Asks for one complete `push_status` report.
pub fn pushall() -> Value {
    json!({"pushing": {"sequence_id": "0", "command": "pushall"}})
}

/// Asks for firmware and module versions.
pub fn get_version() -> Value {
    json!({"info": {"sequence_id": "0", "command": "get_version"}})
}

/// The `print` command word of a control action.
pub fn control_command(action: PrintAction) -> &'static str {
    match action {
        PrintAction::Pause => "pause",
        PrintAction::Resume => "resume",
        PrintAction::Cancel => "stop",
    }
}

/// Pause, resume or stop the current print.
pub fn control(sequence_id: &str, action: PrintAction) -> Value {
    json!({"print": {"sequence_id": sequence_id, "command": control_command(action), "param": ""}})
}

/// A name the printer can store and print: one path component without
/// control characters (it travels inside FTP command lines and JSON).
pub fn check_file_name(name: &str) -> Result<&str, DriverError> {
    let usable = !name.is_empty()
        && name.len() <= 255
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control);
    if usable {
        Ok(name)
    } else {
        Err(DriverError::Refused(format!(
            "\"{}\" cannot be stored on the printer (one file name, no slashes or control characters)",
            name.escape_debug()
        )))
    }
}

fn has_suffix(name: &str, suffix: &str) -> bool {
    name.len() >= suffix.len()
        && name
            .get(name.len() - suffix.len()..)
            .is_some_and(|end| end.eq_ignore_ascii_case(suffix))
}

/// Starts printing a file in the storage root: a sliced 3MF through
/// `project_file` (plate 1, external spool), plain G-code through
/// `gcode_file`. Returns the command word and the request.
pub fn start(sequence_id: &str, remote_name: &str) -> Result<(&'static str, Value), DriverError> {
    let name = check_file_name(remote_name)?;
    if has_suffix(name, ".3mf") {
        let stem = name.get(..name.len() - ".3mf".len()).unwrap_or(name);
        let subtask = if has_suffix(stem, ".gcode") {
            stem.get(..stem.len() - ".gcode".len()).unwrap_or(stem)
        } else {
            stem
        };
        let request = json!({"print": {
            "sequence_id": sequence_id,
            "command": "project_file",
            "param": "Metadata/plate_1.gcode",
            "url": format!("ftp:///{name}"),
            "subtask_name": subtask,
            "project_id": "0", "profile_id": "0", "task_id": "0", "subtask_id": "0",
            "md5": "",
            "timelapse": false,
            "bed_type": "auto",
            // Sources disagree on the spelling; firmware ignores the one it does not read.
            "bed_levelling": true,
            "bed_leveling": true,
            "flow_cali": false,
            "vibration_cali": false,
            "layer_inspect": false,
            "use_ams": false,
            "ams_mapping": [0],
        }});
        Ok(("project_file", request))
    } else if has_suffix(name, ".gcode") {
        let request = json!({"print": {
            "sequence_id": sequence_id,
            "command": "gcode_file",
            "param": format!("/sdcard/{name}"),
        }});
        Ok(("gcode_file", request))
    } else {
        Err(DriverError::Refused(format!(
            "\"{name}\" is neither a sliced 3MF (.gcode.3mf) nor G-code (.gcode)"
        )))
    }
}

/// A `sequence_id` as text (printers send strings, sometimes numbers).
pub fn sequence_of(body: &Map<String, Value>) -> Option<String> {
    match body.get("sequence_id")? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// What the printer's reply says about a command: `result` "success" (any
/// case) is done, anything else is a refusal with its `reason`. A reply
/// without `result` only echoes the request and counts as accepted.
pub fn outcome(command: &str, reply: &Map<String, Value>) -> Result<(), DriverError> {
    let Some(result) = reply.get("result").and_then(Value::as_str) else {
        return Ok(());
    };
    if result.eq_ignore_ascii_case("success") {
        return Ok(());
    }
    let reason = reply
        .get("reason")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|r| !r.is_empty() && !r.eq_ignore_ascii_case("success"));
    Err(DriverError::Refused(match reason {
        Some(reason) => format!("{command}: {reason}"),
        None => format!("{command} ({result})"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn a_sliced_3mf_starts_plate_one_from_the_storage_root() {
        let (command, request) = start("12", "cube_20mm.gcode.3mf").expect("request");
        assert_eq!(command, "project_file");
        let print = &request["print"];
        assert_eq!(print["sequence_id"], "12");
        assert_eq!(print["param"], "Metadata/plate_1.gcode");
        assert_eq!(print["url"], "ftp:///cube_20mm.gcode.3mf");
        assert_eq!(print["subtask_name"], "cube_20mm");
        assert_eq!(print["bed_levelling"], true);
        assert_eq!(print["bed_leveling"], true);
        assert_eq!(print["use_ams"], false);
        assert_eq!(
            start("1", "Plate.3MF").expect("3mf").1["print"]["subtask_name"],
            "Plate"
        );
    }

    #[test]
    fn plain_gcode_starts_by_path_and_other_files_are_refused() {
        let (command, request) = start("3", "part.gcode").expect("request");
        assert_eq!(command, "gcode_file");
        assert_eq!(request["print"]["param"], "/sdcard/part.gcode");
        assert!(matches!(
            start("4", "model.stl"),
            Err(DriverError::Refused(_))
        ));
        assert!(matches!(
            start("5", "../x.gcode"),
            Err(DriverError::Refused(_))
        ));
        assert!(check_file_name("a\r\nDELE b.gcode").is_err());
        assert!(check_file_name("").is_err());
    }

    #[test]
    fn control_actions_use_bambu_words() {
        assert_eq!(
            control("7", PrintAction::Cancel)["print"]["command"],
            "stop"
        );
        assert_eq!(control("7", PrintAction::Pause)["print"]["param"], "");
        assert_eq!(control_command(PrintAction::Resume), "resume");
    }

    #[test]
    fn replies_succeed_or_refuse_with_the_reason() {
        assert_eq!(
            outcome("pause", &body(json!({"result": "SUCCESS"}))),
            Ok(())
        );
        assert_eq!(outcome("pause", &body(json!({"command": "pause"}))), Ok(()));
        assert_eq!(
            outcome(
                "project_file",
                &body(json!({"result": "failed", "reason": "file not found: /x.3mf"}))
            ),
            Err(DriverError::Refused(
                "project_file: file not found: /x.3mf".into()
            ))
        );
        assert_eq!(
            outcome("stop", &body(json!({"result": "fail"}))),
            Err(DriverError::Refused("stop (fail)".into()))
        );
        assert_eq!(
            sequence_of(&body(json!({"sequence_id": 9}))).as_deref(),
            Some("9")
        );
    }
}
