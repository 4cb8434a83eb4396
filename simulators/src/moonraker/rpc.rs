//! Moonraker's API methods, shared by HTTP (`/a/b/c` ↔ `a.b.c`) and the
//! websocket. Connection-bound methods (identify, subscribe) live in `ws`.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::error::SimError;
use super::files::{self, DATA_DIR, split_root};
use super::hub::{Inner, Shared};
use super::objects::{self, OBJECT_NAMES};

/// Arguments of one call: query string and body merged (body wins), or JSON-RPC params.
pub(crate) type Params = Map<String, Value>;

/// The Moonraker version this simulator claims to be.
const MOONRAKER_VERSION: &str = "v0.9.3-sim";
const KLIPPER_VERSION: &str = "v0.12.0-sim";

/// Runs `method` against the state. The caller holds the lock and sends the result.
pub(crate) fn dispatch(
    shared: &Arc<Shared>,
    inner: &mut Inner,
    method: &str,
    params: &Params,
) -> Result<Value, SimError> {
    match method {
        "server.info" => Ok(server_info(inner)),
        "printer.info" => Ok(printer_info(shared, inner)),
        "printer.objects.list" => Ok(json!({"objects": OBJECT_NAMES})),
        "printer.objects.query" => {
            let spec = objects::parse_spec(params.get("objects"))?;
            let status = objects::select(&spec, &shared.status(inner));
            Ok(json!({"eventtime": shared.eventtime(), "status": status}))
        }
        "printer.print.start" => {
            let filename = files::normalize(str_arg(params, "filename")?)?;
            start_print(inner, &filename)?;
            Ok(ok())
        }
        "printer.print.pause" => inner.printer.pause().map(|()| ok()),
        "printer.print.resume" => inner.printer.resume().map(|()| ok()),
        "printer.print.cancel" => {
            let job = inner.printer.cancel()?;
            inner.notify_history("finished", job);
            Ok(ok())
        }
        "printer.emergency_stop" => {
            inner.emergency_stop();
            Ok(ok())
        }
        "printer.restart" | "printer.firmware_restart" => {
            tokio::spawn(Arc::clone(shared).restart_klippy());
            Ok(ok())
        }
        "printer.gcode.script" => {
            str_arg(params, "script")?;
            Ok(ok())
        }
        "server.files.roots" => Ok(json!(
            files::WRITABLE_ROOTS
                .iter()
                .map(|r| json!({"name": r, "path": format!("{DATA_DIR}/{r}"), "permissions": "rw"}))
                .collect::<Vec<_>>()
        )),
        "server.files.list" => {
            let root = opt_str_arg(params, "root").unwrap_or("gcodes");
            if !files::WRITABLE_ROOTS.contains(&root) {
                return Err(SimError::BadRequest(format!("Invalid root: {root}")));
            }
            Ok(Value::Array(inner.files.list(root)))
        }
        "server.files.metadata" => file_metadata(inner, str_arg(params, "filename")?),
        "server.files.delete_file" => {
            let (root, path) = split_root(str_arg(params, "path")?)?;
            delete_file(inner, &root, &path)
        }
        "access.info" => Ok(json!({
            "default_source": "moonraker",
            "available_sources": ["moonraker"],
            "login_required": false,
            "trusted": shared.config.api_key.is_none(),
        })),
        _ => Err(SimError::MethodNotFound),
    }
}

fn ok() -> Value {
    Value::from("ok")
}

/// Starts printing a `gcodes` file and announces the history job.
pub(crate) fn start_print(inner: &mut Inner, filename: &str) -> Result<(), SimError> {
    let file = inner
        .files
        .get("gcodes", filename)
        .filter(|_| files::is_gcode(filename))
        .ok_or_else(|| SimError::NotFound(format!("File not found: gcodes/{filename}")))?
        .clone();
    let job = inner.printer.start(filename, &file)?;
    inner.notify_history("added", job);
    Ok(())
}

/// Removes a file unless it is being printed; announces the change.
pub(crate) fn delete_file(inner: &mut Inner, root: &str, path: &str) -> Result<Value, SimError> {
    if root == "gcodes" && inner.printer.busy_with() == Some(path) {
        return Err(SimError::Forbidden(format!(
            "File is loaded, delete not permitted: {path}"
        )));
    }
    let file = inner
        .files
        .remove(root, path)
        .ok_or_else(|| SimError::NotFound(format!("File not found: {root}/{path}")))?;
    let item = file.item(root, path);
    inner.notify_filelist("delete_file", item.clone());
    Ok(json!({"item": item, "action": "delete_file"}))
}

fn server_info(inner: &Inner) -> Value {
    json!({
        "klippy_connected": true,
        "klippy_state": inner.printer.klippy.as_str(),
        "components": ["klippy_connection", "application", "websockets", "file_manager", "history", "authorization"],
        "failed_components": [],
        "registered_directories": ["gcodes", "config"],
        "warnings": [],
        "websocket_count": inner.conns.len(),
        "moonraker_version": MOONRAKER_VERSION,
        "missing_klippy_requirements": [],
        "api_version": [1, 5, 0],
        "api_version_string": "1.5.0",
    })
}

fn printer_info(shared: &Shared, inner: &Inner) -> Value {
    let hostname: String = shared
        .config
        .printer_model
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    json!({
        "state": inner.printer.klippy.as_str(),
        "state_message": inner.printer.state_message,
        "hostname": hostname,
        "software_version": KLIPPER_VERSION,
        "cpu_info": "4 core simulated CPU",
        "klipper_path": "/home/pi/klipper",
        "python_path": "/home/pi/klippy-env/bin/python",
        "log_file": format!("{DATA_DIR}/logs/klippy.log"),
        "config_file": format!("{DATA_DIR}/config/printer.cfg"),
        "process_id": 4242,
        "user_id": 1000,
        "group_id": 1000,
    })
}

fn file_metadata(inner: &Inner, filename: &str) -> Result<Value, SimError> {
    let filename = files::normalize(filename)?;
    let file = inner
        .files
        .get("gcodes", &filename)
        .filter(|_| files::is_gcode(&filename))
        .ok_or_else(|| SimError::NotFound(format!("Metadata not available for <{filename}>")))?;
    let mut meta = file
        .gcode
        .as_ref()
        .map(|g| g.metadata.clone())
        .unwrap_or_default();
    meta.insert("size".into(), json!(file.data.len()));
    meta.insert("modified".into(), json!(file.modified));
    meta.insert("filename".into(), json!(filename));
    Ok(Value::Object(meta))
}

/// A required string argument.
pub(crate) fn str_arg<'a>(params: &'a Params, name: &str) -> Result<&'a str, SimError> {
    match params.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(SimError::BadRequest(format!(
            "Invalid argument '{name}': expected a string"
        ))),
        None => Err(SimError::BadRequest(format!(
            "No data for argument: {name}"
        ))),
    }
}

/// An optional string argument (wrong types count as absent).
pub(crate) fn opt_str_arg<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(name).and_then(Value::as_str)
}

/// A boolean argument given as JSON bool or query-string text (`true`/`false`/`1`/`0`).
pub(crate) fn bool_arg(params: &Params, name: &str) -> Result<bool, SimError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" | "" => Ok(false),
            _ => Err(SimError::BadRequest(format!(
                "Invalid argument '{name}': expected a boolean"
            ))),
        },
        Some(_) => Err(SimError::BadRequest(format!(
            "Invalid argument '{name}': expected a boolean"
        ))),
    }
}

/// A number argument given as JSON number or query-string text.
pub(crate) fn num_arg(params: &Params, name: &str) -> Result<Option<f64>, SimError> {
    let bad = || SimError::BadRequest(format!("Invalid argument '{name}': expected a number"));
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or_else(bad),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}
