//! Requests from `device/{SERIAL}/request`: parsing the JSON envelopes and applying `pushall`, `get_version` and the `print` commands to the fake printer.

use serde_json::{Map, Value, json};
use tracing::debug;

use super::{
    printer::{JobRequest, Printer},
    store::FileStore,
};

/// What the printer publishes in answer to one request.
#[derive(Debug, PartialEq)]
pub enum Outgoing {
    /// A complete `push_status` report.
    FullReport,
    /// A reply object published as is.
    Reply(Value),
}

/// What a request may look at besides the printer.
#[derive(Debug)]
pub struct Context<'a> {
    /// Files uploaded over FTPS.
    pub store: &'a FileStore,
    /// The printer serial.
    pub serial: &'a str,
    /// The printer model, e.g. `P1S`.
    pub model: &'a str,
    /// Unix seconds now.
    pub now_unix: u64,
}

/// Applies one request payload; malformed or unknown requests are ignored like the printer does.
pub fn handle(printer: &mut Printer, payload: &[u8], ctx: &Context<'_>) -> Vec<Outgoing> {
    let Ok(Value::Object(envelope)) = serde_json::from_slice::<Value>(payload) else {
        debug!(
            size_bytes = payload.len(),
            "ignoring a request that is no JSON object"
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (channel, body) in &envelope {
        let Value::Object(body) = body else {
            continue;
        };
        let command = body.get("command").and_then(Value::as_str).unwrap_or("");
        match (channel.as_str(), command) {
            ("pushing", "pushall") => out.push(Outgoing::FullReport),
            ("info", "get_version") => out.push(Outgoing::Reply(version(body, ctx))),
            ("print", _) => out.extend(print_command(printer, command, body, ctx)),
            _ => debug!(request.channel = %channel, request.command = %command, "ignoring request"),
        }
    }
    out
}

fn sequence_id(body: &Map<String, Value>) -> Value {
    body.get("sequence_id")
        .cloned()
        .unwrap_or_else(|| json!("0"))
}

/// The request echoed back with its outcome, as the printer replies on the report topic.
fn reply(body: &Map<String, Value>, outcome: Result<(), String>) -> Value {
    let mut print = body.clone();
    print.insert("sequence_id".into(), sequence_id(body));
    match outcome {
        Ok(()) => {
            print.insert("result".into(), json!("success"));
        }
        Err(reason) => {
            print.insert("result".into(), json!("failed"));
            print.insert("reason".into(), json!(reason));
        }
    }
    json!({ "print": print })
}

fn version(body: &Map<String, Value>, ctx: &Context<'_>) -> Value {
    let serial = ctx.serial;
    json!({"info": {
        "command": "get_version",
        "sequence_id": sequence_id(body),
        "module": [
            {"name": "ota", "product_name": ctx.model, "sw_ver": "01.08.02.00", "hw_ver": "OTA", "sn": serial},
            {"name": "mc", "sw_ver": "00.00.29.60", "hw_ver": "MC07", "sn": format!("{serial}MC")},
            {"name": "th", "sw_ver": "00.00.07.00", "hw_ver": "TH07", "sn": format!("{serial}TH")},
            {"name": "ams/0", "sw_ver": "00.00.06.49", "hw_ver": "AMS08", "sn": "00600A000000000"}
        ],
        "result": "success",
        "reason": ""
    }})
}

fn print_command(
    printer: &mut Printer,
    command: &str,
    body: &Map<String, Value>,
    ctx: &Context<'_>,
) -> Option<Outgoing> {
    let outcome = match command {
        "pause" => printer
            .pause()
            .then_some(())
            .ok_or_else(|| "nothing is printing".to_owned()),
        "resume" => printer
            .resume()
            .then_some(())
            .ok_or_else(|| "the printer is not paused".to_owned()),
        "stop" => printer
            .stop()
            .then_some(())
            .ok_or_else(|| "no active print job".to_owned()),
        "project_file" => project_file(printer, body, ctx),
        "gcode_file" => gcode_file(printer, body, ctx),
        "print_speed" => print_speed(printer, body),
        "gcode_line" => Ok(()),
        _ => {
            debug!(request.command = %command, "ignoring unsupported print command");
            return None;
        }
    };
    Some(Outgoing::Reply(reply(body, outcome)))
}

fn print_speed(printer: &mut Printer, body: &Map<String, Value>) -> Result<(), String> {
    let level = match body.get("param") {
        Some(Value::String(s)) => s.trim().parse::<u8>().ok(),
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
        _ => None,
    };
    match level {
        Some(level) if printer.set_speed(level) => Ok(()),
        _ => Err("speed level must be 1 to 4".into()),
    }
}

/// `Metadata/plate_<N>.gcode` with N ≥ 1.
fn is_plate_path(param: &str) -> bool {
    param
        .strip_prefix("Metadata/plate_")
        .and_then(|rest| rest.strip_suffix(".gcode"))
        .and_then(|n| n.parse::<u32>().ok())
        .is_some_and(|n| n >= 1)
}

/// Makes a storage path absolute and rejects `..`; `/sdcard` and `/mnt/sdcard` name the root.
fn storage_path(path: &str) -> Option<String> {
    let path = path
        .strip_prefix("/mnt/sdcard")
        .or_else(|| path.strip_prefix("/sdcard"))
        .unwrap_or(path);
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.is_empty() || parts.contains(&"..") {
        return None;
    }
    Some(format!("/{}", parts.join("/")))
}

/// The storage path a `project_file` URL names: `ftp:///x`, `file:///sdcard/x`, `file:///mnt/sdcard/x`.
fn url_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("ftp://")
        .or_else(|| url.strip_prefix("file://"))?;
    storage_path(rest)
}

fn job_name(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    [".gcode.3mf", ".3mf", ".gcode"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(name)
        .to_owned()
}

fn start(
    printer: &mut Printer,
    path: &str,
    subtask_name: Option<&str>,
    use_ams: bool,
    ctx: &Context<'_>,
) -> Result<(), String> {
    if printer.state().is_active() {
        return Err("the printer is busy with another job".into());
    }
    if ctx.store.size(path).is_none() {
        return Err(format!("file not found: {path}"));
    }
    let file_name = path.rsplit('/').next().unwrap_or(path).to_owned();
    printer.start(JobRequest {
        subtask_name: subtask_name
            .filter(|s| !s.is_empty())
            .map_or_else(|| job_name(path), str::to_owned),
        gcode_file: file_name,
        start_time: ctx.now_unix,
        use_ams,
    });
    Ok(())
}

fn project_file(
    printer: &mut Printer,
    body: &Map<String, Value>,
    ctx: &Context<'_>,
) -> Result<(), String> {
    let param = body.get("param").and_then(Value::as_str).unwrap_or("");
    if !is_plate_path(param) {
        return Err(format!(
            "param must be Metadata/plate_<N>.gcode, got {param:?}"
        ));
    }
    let url = body.get("url").and_then(Value::as_str).unwrap_or("");
    let path = url_path(url).ok_or_else(|| format!("unsupported url {url:?}"))?;
    // Both spellings are seen in the wild; either is accepted, neither is required.
    let _levelling = body
        .get("bed_levelling")
        .or_else(|| body.get("bed_leveling"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let use_ams = body
        .get("use_ams")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let subtask_name = body.get("subtask_name").and_then(Value::as_str);
    start(printer, &path, subtask_name, use_ams, ctx)
}

fn gcode_file(
    printer: &mut Printer,
    body: &Map<String, Value>,
    ctx: &Context<'_>,
) -> Result<(), String> {
    let param = body.get("param").and_then(Value::as_str).unwrap_or("");
    let path = storage_path(param).ok_or_else(|| format!("invalid path {param:?}"))?;
    start(printer, &path, None, false, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bambu::printer::{GcodeState, Timing};

    fn setup() -> (Printer, FileStore) {
        let printer = Printer::new(Timing {
            prepare_seconds: 1.0,
            print_seconds: 5.0,
        });
        let store = FileStore::default();
        store.put("/cube.gcode.3mf", vec![1, 2, 3], String::new());
        (printer, store)
    }

    fn ctx(store: &FileStore) -> Context<'_> {
        Context {
            store,
            serial: "01S00A000000000",
            model: "P1S",
            now_unix: 1,
        }
    }

    fn result_of(out: &[Outgoing]) -> (String, Value) {
        match out {
            [Outgoing::Reply(v)] => (
                v["print"]["result"].as_str().unwrap_or("").to_owned(),
                v["print"]["sequence_id"].clone(),
            ),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn project_file_starts_an_uploaded_file_and_echoes_the_sequence() {
        let (mut printer, store) = setup();
        let req = br#"{"print":{"sequence_id":"10","command":"project_file","param":"Metadata/plate_1.gcode","url":"ftp:///cube.gcode.3mf","bed_leveling":true}}"#;
        let out = handle(&mut printer, req, &ctx(&store));
        assert_eq!(result_of(&out), ("success".into(), json!("10")));
        assert_eq!(printer.state(), GcodeState::Prepare);
        assert_eq!(printer.snapshot("P1S")["subtask_name"], "cube");
    }

    #[test]
    fn project_file_for_an_unknown_file_fails_with_a_reason() {
        let (mut printer, store) = setup();
        let req = br#"{"print":{"sequence_id":"11","command":"project_file","param":"Metadata/plate_1.gcode","url":"file:///sdcard/nope.3mf"}}"#;
        let out = handle(&mut printer, req, &ctx(&store));
        assert_eq!(result_of(&out).0, "failed");
        let Outgoing::Reply(v) = &out[0] else {
            panic!("no reply");
        };
        assert!(
            v["print"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("/nope.3mf"))
        );
        assert_eq!(printer.state(), GcodeState::Idle);
    }

    #[test]
    fn urls_and_paths_map_to_storage() {
        assert_eq!(url_path("ftp:///a.3mf").as_deref(), Some("/a.3mf"));
        assert_eq!(
            url_path("file:///mnt/sdcard/a.3mf").as_deref(),
            Some("/a.3mf")
        );
        assert_eq!(
            url_path("file:///sdcard/cache/a.3mf").as_deref(),
            Some("/cache/a.3mf")
        );
        assert_eq!(url_path("http://x/a.3mf"), None);
        assert_eq!(storage_path("/../etc"), None);
        assert!(is_plate_path("Metadata/plate_12.gcode"));
        assert!(!is_plate_path("Metadata/plate_0.gcode"));
        assert!(!is_plate_path("plate_1.gcode"));
    }

    #[test]
    fn gcode_file_and_print_speed_are_applied() {
        let (mut printer, store) = setup();
        store.put("/part.gcode", vec![0], String::new());
        let req =
            br#"{"print":{"sequence_id":"3","command":"gcode_file","param":"/sdcard/part.gcode"}}"#;
        assert_eq!(
            result_of(&handle(&mut printer, req, &ctx(&store))).0,
            "success"
        );
        assert_eq!(printer.snapshot("P1S")["gcode_file"], "part.gcode");
        let req = br#"{"print":{"sequence_id":"4","command":"print_speed","param":"3"}}"#;
        assert_eq!(
            result_of(&handle(&mut printer, req, &ctx(&store))).0,
            "success"
        );
        assert_eq!(printer.snapshot("P1S")["spd_mag"], 124);
        let req = br#"{"print":{"sequence_id":"5","command":"print_speed","param":"9"}}"#;
        assert_eq!(
            result_of(&handle(&mut printer, req, &ctx(&store))).0,
            "failed"
        );
    }

    #[test]
    fn pushall_asks_for_a_full_report_and_garbage_is_ignored() {
        let (mut printer, store) = setup();
        let out = handle(
            &mut printer,
            br#"{"pushing":{"sequence_id":"0","command":"pushall"}}"#,
            &ctx(&store),
        );
        assert_eq!(out, vec![Outgoing::FullReport]);
        assert!(handle(&mut printer, b"{nope", &ctx(&store)).is_empty());
    }
}
