//! Printers end to end: the real server binary talks to a simulated
//! Moonraker (real HTTP + websocket JSON-RPC on loopback), and a websocket
//! client reads `/api/v1/printers/live` like the browser does. Status flows
//! through, drops and Klipper restarts are survived, malformed messages are
//! logged and ignored, a revision is sent and printed into a print job with
//! an outcome, files link back by SHA-256, and secrets are stored encrypted.

#[macro_use]
mod support;

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use simulators::moonraker::{MoonrakerSim, MoonrakerSimConfig};
use support::{Api, Engine, Form, Vault, id, small_gcode, tetrahedron_stl};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The live statuses as a browser would hold them: the snapshot, merged
/// with every `changed` patch since.
struct Live {
    socket: Socket,
    printers: std::collections::BTreeMap<i64, Value>,
    messages: usize,
}

impl Live {
    async fn connect(api: &Api) -> Self {
        let url = format!(
            "{}/api/v1/printers/live",
            api.base.replacen("http", "ws", 1)
        );
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                url.as_str(),
            )
            .expect("request");
        let token = api.token.clone().expect("a token");
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("live socket");
        let mut live = Self {
            socket,
            printers: Default::default(),
            messages: 0,
        };
        let first = live.next().await;
        assert_eq!(first["type"], "snapshot", "{first}");
        live
    }

    async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(30), self.socket.next())
                .await
                .expect("a live message within 30 s")
                .expect("socket open")
                .expect("frame");
            let Message::Text(text) = frame else { continue };
            let message: Value = serde_json::from_str(text.as_str()).expect("JSON");
            self.messages += 1;
            match message["type"].as_str() {
                Some("snapshot") => {
                    self.printers.clear();
                    for p in message["printers"].as_array().expect("printers") {
                        self.printers.insert(id(&p["printer_id"]), p.clone());
                    }
                }
                Some("changed") => {
                    let entry = self
                        .printers
                        .entry(id(&message["printer_id"]))
                        .or_insert_with(|| json!({}));
                    for (k, v) in message["changes"].as_object().expect("changes") {
                        entry[k] = v.clone();
                    }
                }
                Some("removed") => {
                    self.printers.remove(&id(&message["printer_id"]));
                }
                other => panic!("unknown live message {other:?}: {message}"),
            }
            return message;
        }
    }

    /// Reads until `printer`'s merged status satisfies `ok`.
    async fn until(&mut self, printer: i64, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.printers.get(&printer)
                && ok(status)
            {
                return status.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited a minute for {what}: {:?}",
                self.printers.get(&printer)
            );
            self.next().await;
        }
    }
}

async fn sim(print_seconds: f64) -> MoonrakerSim {
    MoonrakerSim::start(MoonrakerSimConfig {
        print_seconds,
        updates_per_second: 10.0,
        api_key: Some("moonraker-key-123".into()),
        ..Default::default()
    })
    .await
    .expect("simulator")
}

async fn add_printer(api: &Api, sim: &MoonrakerSim) -> i64 {
    let (status, printer) = api
        .post_json(
            "/printers",
            &json!({
                "name": "Voron",
                "provider": "moonraker",
                "host": "127.0.0.1",
                "port": sim.addr().port(),
                "secret": "moonraker-key-123",
                "model": "Voron 2.4",
                "nozzle_diameter_mm": 0.4,
                "bed_x_mm": 350.0,
                "bed_y_mm": 350.0,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{printer}");
    assert_eq!(printer["has_secret"], true);
    assert!(
        !printer.to_string().contains("moonraker-key-123"),
        "{printer}"
    );
    id(&printer["id"])
}

async fn wait_job(api: &Api, job: &Value) -> Value {
    let job_id = id(&job["job_id"]);
    for _ in 0..600 {
        let (_, job) = api.get(&format!("/jobs/{job_id}")).await;
        match job["state"].as_str() {
            Some("completed" | "failed") => return job,
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    panic!("the send job did not finish");
}

async fn live_status_survives_drops_restarts_and_garbage(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let server = vault.start().await;
    let api = Api::admin(&server.base).await;
    let sim = sim(30.0).await;
    let mut live = Live::connect(&api).await;
    let printer = add_printer(&api, &sim).await;
    live.until(printer, "online and idle", |s| {
        s["connection"] == "online" && s["state"] == "idle"
    })
    .await;

    // Garbage from the printer is logged and ignored; the session stays up.
    sim.send_malformed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, statuses) = api.get("/printers/status").await;
    assert_eq!(statuses[0]["connection"], "online", "{statuses}");
    assert!(
        server
            .log_text()
            .contains("ignored a malformed message from Moonraker")
    );

    // The connection drops: offline, then back by itself (backoff ~1 s).
    sim.drop_connections();
    live.until(printer, "offline after the drop", |s| {
        s["connection"] != "online"
    })
    .await;
    live.until(printer, "back online", |s| {
        s["connection"] == "online" && s["state"] == "idle"
    })
    .await;

    // Klipper restarts: the printer is not ready, then ready and subscribed again.
    tokio::join!(sim.restart_klippy(), async {
        live.until(printer, "Klipper restarting", |s| s["state"] == "unknown")
            .await;
    });
    live.until(printer, "ready after the restart", |s| s["state"] == "idle")
        .await;
    assert!(live.messages > 3);
}

async fn send_print_finish_and_record_the_outcome(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let server = vault.start().await;
    let api = Api::admin(&server.base).await;
    let sim = sim(3.0).await;
    let printer = add_printer(&api, &sim).await;
    let mut live = Live::connect(&api).await;
    live.until(printer, "online", |s| {
        s["connection"] == "online" && s["state"] == "idle"
    })
    .await;

    let created = api.ingest("clip.stl", &tetrahedron_stl(71), &[]).await;
    let model = id(&created["model_id"]);
    let gcode = small_gcode(71);
    let (status, revision) = api
        .upload(
            &format!("/models/{model}/gcode-revisions"),
            Form::new().file("file", "clip_petg.gcode", &gcode),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{revision}");
    let file = id(&revision["file_id"]);

    let (status, preflight) = api
        .get(&format!("/printers/{printer}/preflight?file_id={file}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{preflight}");
    assert_eq!(
        preflight["checks"].as_array().map(Vec::len),
        Some(4),
        "{preflight}"
    );

    let (status, job) = api
        .post_json(
            &format!("/printers/{printer}/send"),
            &json!({ "file_id": file, "start": true }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let job = wait_job(&api, &job).await;
    assert_eq!(job["state"], "completed", "{job}");
    let print_job = id(&job["result"]["print_job_id"]);
    // The simulator holds the same bytes the vault holds.
    let uploaded = sim.uploaded();
    assert_eq!(uploaded.len(), 1);
    assert_eq!(uploaded[0].sha256, support::sha256_hex(&gcode));

    // Progress moves on the live socket, then the print completes.
    let first = live
        .until(printer, "printing", |s| {
            s["state"] == "printing" && s["progress"].as_f64().is_some_and(|p| p > 0.0)
        })
        .await;
    let later = live
        .until(printer, "more progress", |s| {
            s["progress"].as_f64() > first["progress"].as_f64()
        })
        .await;
    assert!(later["nozzle"]["current"].as_f64().is_some(), "{later}");
    live.until(printer, "complete", |s| s["state"] == "complete")
        .await;

    // The job followed the printer; it waits for an outcome.
    let mut waiting = Value::Null;
    for _ in 0..100 {
        let (_, jobs) = api.get("/print-jobs").await;
        if jobs.as_array().is_some_and(|j| !j.is_empty()) {
            waiting = jobs;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(id(&waiting[0]["id"]), print_job, "{waiting}");
    assert_eq!(waiting[0]["state"], "complete");
    assert!(
        waiting[0]["started_at"].is_string() && waiting[0]["ended_at"].is_string(),
        "{waiting}"
    );
    let (status, answered) = api
        .post_json(
            &format!("/print-jobs/{print_job}/outcome"),
            &json!({ "outcome": "known_good" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["outcome_recorded"], true);
    let (_, detail) = api.get(&format!("/models/{model}")).await;
    assert_eq!(
        detail["revisions"][0]["revision"]["status"], "known_good",
        "{detail}"
    );
    let (_, jobs) = api.get("/print-jobs").await;
    assert_eq!(jobs, json!([]), "answered jobs stop asking");
    let (_, history) = api.get(&format!("/print-jobs?file_id={file}")).await;
    assert_eq!(history.as_array().map(Vec::len), Some(1), "{history}");
    let (_, history) = api.get(&format!("/printers/{printer}/jobs")).await;
    assert_eq!(history[0]["sent_by"], "admin", "{history}");

    // The printer's file list links our upload to its revision by SHA-256;
    // a file another slicer put there links to nothing.
    sim.put_file("from_orca.gcode", b"G28\n".to_vec())
        .expect("a file from another slicer");
    let (status, files) = api.get(&format!("/printers/{printer}/files")).await;
    assert_eq!(status, StatusCode::OK, "{files}");
    let ours = files
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["name"] == "clip_petg.gcode")
        .expect("ours");
    assert_eq!(id(&ours["revision"]["file_id"]), file);
    let theirs = files
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["name"] == "from_orca.gcode")
        .expect("theirs");
    assert!(theirs["revision"].is_null());

    // Pausing with nothing printing is refused in words.
    let (status, body) = api
        .post_json(
            &format!("/printers/{printer}/control"),
            &json!({ "action": "pause" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // The secret is not in the database in the clear.
    if engine == Engine::Sqlite {
        let db = std::fs::read(vault.data_dir().join("printstash.db")).expect("db file");
        assert!(
            !db.windows(17).any(|w| w == b"moonraker-key-123"),
            "the API key is stored in the clear"
        );
    }
    // Deleting the printer ends its session and tells the live sockets.
    let (status, _) = api.delete(&format!("/printers/{printer}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    loop {
        let message = live.next().await;
        if message["type"] == "removed" {
            break;
        }
    }
}

async fn the_live_socket_needs_a_signed_in_user(engine: Engine) {
    let Some(mut vault) = Vault::new(engine, &[]).await else {
        return;
    };
    let server = vault.start().await;
    let url = format!(
        "{}/api/v1/printers/live",
        server.base.replacen("http", "ws", 1)
    );
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 401),
        other => panic!("anonymous live socket: {:?}", other.map(|_| ())),
    }
    // An unreachable printer is offline with a reason, and the server carries on.
    let api = Api::admin(&server.base).await;
    let (status, printer) = api
        .post_json(
            "/printers",
            &json!({ "name": "Gone", "provider": "moonraker", "host": "127.0.0.1", "port": 1 }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{printer}");
    let mut live = Live::connect(&api).await;
    let gone = live
        .until(id(&printer["id"]), "offline", |s| {
            s["connection"] == "offline"
        })
        .await;
    assert!(
        gone["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot reach")),
        "{gone}"
    );
    let (status, _) = api.get("/health").await;
    assert_eq!(status, StatusCode::OK);
}

on_both_engines!(
    live_status_survives_drops_restarts_and_garbage,
    send_print_finish_and_record_the_outcome,
    the_live_socket_needs_a_signed_in_user,
);
