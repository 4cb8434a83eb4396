//! The Bambu simulator against real clients on loopback sockets: rumqttc over TLS, a minimal implicit-FTPS client, and the `bambu-sim` binary.

mod bambu_support;

use std::{sync::Arc, time::Duration};

use bambu_support::{
    DataTls, FtpsClient, Seen, Subscriber, WAIT, any_tls, first_connection_result, merge,
    roots_from_pem, tls_config,
};
use rumqttc::{ConnectReturnCode, ConnectionError};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use simulators::bambu::{BambuSim, BambuSimConfig, MALFORMED_REPORTS, PRINT_ERROR_CANCELLED};
use tokio::{io::AsyncBufReadExt, net::TcpStream};
use tokio_rustls::{
    TlsConnector,
    rustls::{self, ClientConfig},
};

const FULL_REPORT_FIELDS: &[&str] = &[
    "gcode_state",
    "mc_percent",
    "mc_remaining_time",
    "layer_num",
    "total_layer_num",
    "nozzle_temper",
    "nozzle_target_temper",
    "bed_temper",
    "bed_target_temper",
    "chamber_temper",
    "subtask_name",
    "gcode_file",
    "gcode_start_time",
    "print_type",
    "print_error",
    "hms",
    "spd_lvl",
    "wifi_signal",
    "sdcard",
    "ams",
    "upload",
];

async fn sim(print_seconds: f64, reports_per_second: f64) -> anyhow::Result<BambuSim> {
    // RUST_LOG=simulators=debug shows the simulator's side of a failing test.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    Ok(BambuSim::start(BambuSimConfig {
        print_seconds,
        prepare_seconds: 0.5,
        reports_per_second,
        ..BambuSimConfig::default()
    })
    .await?)
}

fn is_status(value: &Value, msg: u64) -> bool {
    value["print"]["command"] == "push_status" && value["print"]["msg"] == msg
}

fn is_reply(value: &Value, command: &str, sequence_id: &str) -> bool {
    value["print"]["command"] == command && value["print"]["sequence_id"] == sequence_id
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A made-up "sliced 3MF": content does not matter to the simulator, only its name and bytes.
fn fake_3mf(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i * 31 % 251) as u8).collect()
}

async fn upload(sim: &BambuSim, path: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let config = any_tls(sim)?;
    let mut ftp = FtpsClient::connect(sim.ftps_port(), &config).await?;
    ftp.login_and_protect(sim.access_code()).await?;
    let replies = ftp
        .stor(path, bytes, &DataTls::Tls(Arc::clone(&config)))
        .await?;
    assert_eq!(replies.last().map(|r| r.0), Some(226), "{replies:?}");
    ftp.cmd("QUIT").await?;
    Ok(())
}

fn project_file(sequence_id: &str, url: &str) -> Value {
    json!({"print": {
        "sequence_id": sequence_id,
        "command": "project_file",
        "param": "Metadata/plate_1.gcode",
        "url": url,
        "subtask_name": "cube_20mm",
        "project_id": "0", "profile_id": "0", "task_id": "0", "subtask_id": "0",
        "md5": "",
        "timelapse": false,
        "bed_type": "auto",
        "bed_levelling": true,
        "bed_leveling": true,
        "flow_cali": false,
        "vibration_cali": false,
        "layer_inspect": false,
        "use_ams": false,
        "ams_mapping": [0]
    }})
}

fn command(sequence_id: &str, command: &str) -> Value {
    json!({"print": {"sequence_id": sequence_id, "command": command, "param": ""}})
}

#[tokio::test]
async fn pushall_gives_a_full_report_and_later_partial_reports_merge_into_it() -> anyhow::Result<()>
{
    let sim = sim(30.0, 10.0).await?;
    let mut sub = Subscriber::connect(&sim, "status-test").await?;

    sub.request(json!({"info": {"sequence_id": "0", "command": "get_version"}}))
        .await?;
    let version = sub
        .next_json(|v| v["info"]["command"] == "get_version")
        .await?;
    let modules = version["info"]["module"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        modules
            .iter()
            .any(|m| m["name"] == "ota" && m["sn"] == sim.serial()),
        "{version}"
    );

    sub.request(json!({"pushing": {"sequence_id": "0", "command": "pushall"}}))
        .await?;
    let full = sub.next_json(|v| is_status(v, 0)).await?;
    for field in FULL_REPORT_FIELDS {
        assert!(
            full["print"].get(*field).is_some(),
            "full report lacks {field}: {full}"
        );
    }
    assert_eq!(full["print"]["gcode_state"], "IDLE");
    assert!(full["print"]["ams"]["ams"].is_array());
    assert!(full["print"]["upload"].is_object());
    // Like the real printer, some numbers arrive as strings.
    assert!(full["print"]["mc_print_stage"].is_string());
    assert!(full["print"]["cooling_fan_speed"].is_string());

    let mut merged = full["print"].clone();
    let full_sequence: u64 = full["print"]["sequence_id"]
        .as_str()
        .unwrap_or("0")
        .parse()?;
    let mut partials = 0;
    while partials < 3 {
        let report = sub.next_json(|v| is_status(v, 1)).await?;
        let sequence: u64 = report["print"]["sequence_id"]
            .as_str()
            .unwrap_or("0")
            .parse()?;
        if sequence <= full_sequence {
            continue;
        }
        let fields = report["print"].as_object().map_or(0, |m| m.len());
        assert!(
            fields < 15,
            "an idle printer's partial report carries only changes: {report}"
        );
        assert!(
            report["print"].get("ams").is_none(),
            "unchanged AMS is not repeated: {report}"
        );
        merge(&mut merged, &report["print"]);
        partials += 1;
    }
    for field in FULL_REPORT_FIELDS {
        assert!(merged.get(*field).is_some(), "merged state lost {field}");
    }
    assert_eq!(merged["gcode_state"], "IDLE");
    assert!(merged["nozzle_temper"].is_number());
    assert_eq!(merged["msg"], 1);
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_wrong_access_code_is_refused_by_the_broker() -> anyhow::Result<()> {
    let sim = sim(30.0, 1.0).await?;
    match first_connection_result(&sim, "00000000").await? {
        Err(ConnectionError::ConnectionRefused(
            ConnectReturnCode::NotAuthorized | ConnectReturnCode::BadUserNamePassword,
        )) => {}
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(
        first_connection_result(&sim, sim.access_code())
            .await?
            .is_ok()
    );
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_certificate_chains_to_the_ca_but_never_names_the_address() -> anyhow::Result<()> {
    let sim = sim(30.0, 1.0).await?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let strict = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots_from_pem(sim.ca_pem())?)
        .with_no_client_auth();
    let untrusting = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    for (config, name) in [
        (strict.clone(), "127.0.0.1"),
        (untrusting.clone(), "01S00A000000000"),
    ] {
        for port in [sim.mqtt_port(), sim.ftps_port()] {
            let tcp = TcpStream::connect(("127.0.0.1", port)).await?;
            let name = rustls::pki_types::ServerName::try_from(name.to_owned())?;
            let result = TlsConnector::from(Arc::new(config.clone()))
                .connect(name, tcp)
                .await;
            assert!(result.is_err(), "port {port} should fail verification");
        }
    }
    // Trusting the CA and checking the serial (what SNI-aware clients do) succeeds.
    let tcp = TcpStream::connect(("127.0.0.1", sim.mqtt_port())).await?;
    let name = rustls::pki_types::ServerName::try_from(sim.serial().to_owned())?;
    TlsConnector::from(Arc::new(strict))
        .connect(name, tcp)
        .await?;
    sim.shutdown().await;
    Ok(())
}

/// Two uploads on one control connection, listings and deletes on a second: each control
/// connection makes two data connections, all that a TLS 1.3 client can resume (the control
/// connection issues two single-use tickets). A third is answered with `third_code`.
async fn upload_and_inspect(
    sim: &BambuSim,
    config: Arc<ClientConfig>,
    expected: rustls::ProtocolVersion,
    third_code: u16,
) -> anyhow::Result<()> {
    let big = fake_3mf(300 * 1024);
    let small = b"; tiny gcode\nG28\n".to_vec();
    let data = DataTls::Tls(Arc::clone(&config));

    let mut ftp = FtpsClient::connect(sim.ftps_port(), &config).await?;
    assert_eq!(ftp.tls_version(), Some(expected));
    ftp.login_and_protect(sim.access_code()).await?;
    assert_eq!(
        ftp.cmd("PWD").await?,
        (257, "\"/\" is the current directory".into())
    );
    let replies = ftp.stor("/cube_20mm.gcode.3mf", &big, &data).await?;
    assert_eq!(
        replies.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![150, 226]
    );
    assert_eq!(ftp.cmd("CWD /cache").await?.0, 250);
    let replies = ftp.stor("tiny.gcode", &small, &data).await?;
    assert_eq!(
        replies.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![150, 226]
    );
    let replies = ftp.stor("third.gcode", &small, &data).await?;
    assert_eq!(replies.last().map(|r| r.0), Some(third_code), "{replies:?}");
    assert_eq!(ftp.cmd("QUIT").await?.0, 221);

    let mut ftp = FtpsClient::connect(sim.ftps_port(), &config).await?;
    ftp.login_and_protect(sim.access_code()).await?;
    assert_eq!(
        ftp.cmd("SIZE cube_20mm.gcode.3mf").await?,
        (213, big.len().to_string())
    );
    assert_eq!(ftp.cmd("SIZE /nope.3mf").await?.0, 550);
    let (names, done) = ftp.list("NLST", &config).await?;
    assert_eq!(done.0, 226);
    assert!(names.lines().any(|l| l == "cube_20mm.gcode.3mf"), "{names}");
    assert!(names.lines().any(|l| l == "cache"), "{names}");
    let (listing, _) = ftp.list("LIST -la /cache", &config).await?;
    assert!(
        listing.contains("tiny.gcode") && listing.starts_with("-rw"),
        "{listing}"
    );

    let uploaded = sim.uploaded();
    let cube = uploaded.iter().find(|f| f.name == "cube_20mm.gcode.3mf");
    assert_eq!(cube.map(|f| f.sha256.clone()), Some(sha256_hex(&big)));
    assert_eq!(cube.map(|f| f.size), Some(big.len() as u64));
    assert!(
        uploaded
            .iter()
            .any(|f| f.path == "/cache/tiny.gcode" && f.sha256 == sha256_hex(&small))
    );

    assert_eq!(ftp.cmd("DELE /cache/tiny.gcode").await?.0, 250);
    assert_eq!(ftp.cmd("DELE /cache/tiny.gcode").await?.0, 550);
    assert!(!sim.uploaded().iter().any(|f| f.name == "tiny.gcode"));
    assert_eq!(ftp.cmd("QUIT").await?.0, 221);
    Ok(())
}

#[tokio::test]
async fn ftps_uploads_resume_the_control_session_over_tls13() -> anyhow::Result<()> {
    let sim = sim(30.0, 1.0).await?;
    let config = tls_config(&sim, &[&rustls::version::TLS13])?;
    // Both tickets used up: the third data connection cannot resume.
    upload_and_inspect(&sim, config, rustls::ProtocolVersion::TLSv1_3, 522).await?;
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn ftps_uploads_resume_the_control_session_over_tls12() -> anyhow::Result<()> {
    let sim = sim(30.0, 1.0).await?;
    let config = tls_config(&sim, &[&rustls::version::TLS12])?;
    // TLS 1.2 session ids can be resumed again and again.
    upload_and_inspect(&sim, config, rustls::ProtocolVersion::TLSv1_2, 226).await?;
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_data_connection_that_does_not_resume_the_session_is_refused() -> anyhow::Result<()> {
    let sim = sim(30.0, 1.0).await?;
    for versions in [
        &[&rustls::version::TLS13][..],
        &[&rustls::version::TLS12][..],
    ] {
        let control = tls_config(&sim, versions)?;
        // A second configuration has its own (empty) session cache: nothing to resume.
        let stranger = tls_config(&sim, versions)?;
        let mut ftp = FtpsClient::connect(sim.ftps_port(), &control).await?;
        ftp.login_and_protect(sim.access_code()).await?;
        let replies = ftp
            .stor("/sneaky.3mf", b"data", &DataTls::Tls(stranger))
            .await?;
        assert_eq!(replies.first().map(|r| r.0), Some(150), "{replies:?}");
        assert_eq!(replies.last().map(|r| r.0), Some(522), "{replies:?}");
        assert!(sim.uploaded().is_empty());
        // The control connection stays usable, and a resuming client then succeeds.
        let replies = ftp
            .stor("/ok.3mf", b"data", &DataTls::Tls(Arc::clone(&control)))
            .await?;
        assert_eq!(replies.last().map(|r| r.0), Some(226), "{replies:?}");
        ftp.cmd("DELE /ok.3mf").await?;
    }
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn ftps_refuses_a_wrong_password_and_allows_a_clear_data_channel() -> anyhow::Result<()> {
    let sim = sim(30.0, 1.0).await?;
    let config = any_tls(&sim)?;
    let mut ftp = FtpsClient::connect(sim.ftps_port(), &config).await?;
    assert_eq!(ftp.cmd("USER bblp").await?.0, 331);
    assert_eq!(ftp.cmd("PASS wrong").await?.0, 530);
    assert_eq!(ftp.cmd("PASV").await?.0, 530);
    assert_eq!(ftp.cmd("USER bblp").await?.0, 331);
    assert_eq!(
        ftp.cmd(&format!("PASS {}", sim.access_code())).await?.0,
        230
    );
    assert_eq!(ftp.cmd("PROT C").await?.0, 200);
    let replies = ftp.stor("/clear.gcode", b"G28\n", &DataTls::Clear).await?;
    assert_eq!(replies.last().map(|r| r.0), Some(226), "{replies:?}");
    assert_eq!(ftp.cmd("PROT P").await?.0, 200);
    assert_eq!(ftp.retr("/clear.gcode", &config).await?, b"G28\n");
    assert_eq!(ftp.cmd("QUIT").await?.0, 221);
    sim.shutdown().await;
    Ok(())
}

/// Feeds reports into a merged state until `gcode_state` is `state`; returns the state.
async fn wait_for_gcode_state(
    sub: &mut Subscriber,
    merged: &mut Value,
    state: &str,
) -> anyhow::Result<()> {
    while merged["gcode_state"] != state {
        let report = sub
            .next_json(|v| v["print"]["command"] == "push_status")
            .await?;
        merge(merged, &report["print"]);
    }
    Ok(())
}

#[tokio::test]
async fn project_file_runs_an_uploaded_file_through_prepare_running_finish() -> anyhow::Result<()> {
    let sim = sim(2.0, 10.0).await?;
    upload(&sim, "/cube_20mm.gcode.3mf", &fake_3mf(4096)).await?;
    let mut sub = Subscriber::connect(&sim, "print-test").await?;
    sub.request(json!({"pushing": {"sequence_id": "0", "command": "pushall"}}))
        .await?;
    let mut merged = sub.next_json(|v| is_status(v, 0)).await?["print"].clone();

    sub.request(project_file("7", "ftp:///missing.gcode.3mf"))
        .await?;
    let refused = sub.next_json(|v| is_reply(v, "project_file", "7")).await?;
    assert_eq!(refused["print"]["result"], "failed");
    assert!(
        refused["print"]["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );

    sub.request(project_file("8", "ftp:///cube_20mm.gcode.3mf"))
        .await?;
    let accepted = sub.next_json(|v| is_reply(v, "project_file", "8")).await?;
    assert_eq!(accepted["print"]["result"], "success", "{accepted}");

    let mut seen = Vec::new();
    let mut max_percent = 0;
    while merged["gcode_state"] != "FINISH" {
        let report = sub
            .next_json(|v| is_status(v, 1) || is_status(v, 0))
            .await?;
        merge(&mut merged, &report["print"]);
        let state = merged["gcode_state"].as_str().unwrap_or("").to_owned();
        if seen.last() != Some(&state) {
            seen.push(state);
        }
        let percent = merged["mc_percent"].as_u64().unwrap_or(0);
        assert!(percent >= max_percent, "progress went backwards");
        max_percent = percent;
    }
    let states: Vec<&str> = seen.iter().map(String::as_str).collect();
    assert_eq!(
        states
            .iter()
            .filter(|s| **s != "IDLE")
            .copied()
            .collect::<Vec<_>>(),
        ["PREPARE", "RUNNING", "FINISH"]
    );
    assert_eq!(merged["mc_percent"], 100);
    assert_eq!(merged["layer_num"], merged["total_layer_num"]);
    assert_eq!(merged["mc_remaining_time"], 0);
    assert_eq!(merged["subtask_name"], "cube_20mm");
    assert_eq!(merged["gcode_file"], "cube_20mm.gcode.3mf");
    assert_eq!(merged["print_error"], 0);
    assert_eq!(sim.state(), "FINISH");
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn pause_resume_and_stop_change_the_state_and_reply() -> anyhow::Result<()> {
    let sim = sim(600.0, 5.0).await?;
    upload(&sim, "/long.gcode.3mf", &fake_3mf(1024)).await?;
    let mut sub = Subscriber::connect(&sim, "control-test").await?;
    sub.request(json!({"pushing": {"sequence_id": "0", "command": "pushall"}}))
        .await?;
    let mut merged = sub.next_json(|v| is_status(v, 0)).await?["print"].clone();

    sub.request(command("1", "pause")).await?;
    let idle_pause = sub.next_json(|v| is_reply(v, "pause", "1")).await?;
    assert_eq!(idle_pause["print"]["result"], "failed");

    sub.request(project_file("2", "file:///sdcard/long.gcode.3mf"))
        .await?;
    assert_eq!(
        sub.next_json(|v| is_reply(v, "project_file", "2")).await?["print"]["result"],
        "success"
    );
    wait_for_gcode_state(&mut sub, &mut merged, "RUNNING").await?;
    assert!(merged["mc_remaining_time"].as_u64().is_some_and(|m| m >= 9));

    sub.request(command("3", "pause")).await?;
    assert_eq!(
        sub.next_json(|v| is_reply(v, "pause", "3")).await?["print"]["result"],
        "success"
    );
    wait_for_gcode_state(&mut sub, &mut merged, "PAUSE").await?;
    assert!(sim.wait_for_state("PAUSE", WAIT).await);

    sub.request(command("4", "resume")).await?;
    assert_eq!(
        sub.next_json(|v| is_reply(v, "resume", "4")).await?["print"]["result"],
        "success"
    );
    wait_for_gcode_state(&mut sub, &mut merged, "RUNNING").await?;

    sub.request(command("5", "stop")).await?;
    assert_eq!(
        sub.next_json(|v| is_reply(v, "stop", "5")).await?["print"]["result"],
        "success"
    );
    wait_for_gcode_state(&mut sub, &mut merged, "FAILED").await?;
    assert_eq!(merged["print_error"], PRINT_ERROR_CANCELLED);
    assert_eq!(sim.state(), "FAILED");

    sub.request(command("6", "stop")).await?;
    assert_eq!(
        sub.next_json(|v| is_reply(v, "stop", "6")).await?["print"]["result"],
        "failed"
    );
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn malformed_reports_reach_subscribers() -> anyhow::Result<()> {
    let sim = sim(30.0, 1.0).await?;
    let mut sub = Subscriber::connect(&sim, "malformed-test").await?;
    sim.publish_malformed().await?;
    let mut pending: Vec<&[u8]> = MALFORMED_REPORTS.to_vec();
    while !pending.is_empty() {
        if let Seen::Payload(bytes) = sub.next().await? {
            pending.retain(|p| *p != bytes.as_slice());
        }
    }
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn disconnect_clients_drops_connections_and_the_printer_comes_back() -> anyhow::Result<()> {
    let sim = sim(30.0, 5.0).await?;
    let mut sub = Subscriber::connect(&sim, "reconnect-test").await?;
    sim.disconnect_clients().await?;
    // The subscriber notices, reconnects by itself and resubscribes.
    let mut failed = false;
    loop {
        match sub.next().await? {
            Seen::Failed(_) => failed = true,
            Seen::Subscribed if failed => break,
            _ => {}
        }
    }
    sub.request(json!({"pushing": {"sequence_id": "0", "command": "pushall"}}))
        .await?;
    let full = sub.next_json(|v| is_status(v, 0)).await?;
    assert_eq!(full["print"]["gcode_state"], "IDLE");
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_binary_prints_its_ports_and_stops_on_sigterm() -> anyhow::Result<()> {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bambu-sim"))
        .args([
            "--serial",
            "01P00A123456789",
            "--access-code",
            "abcd1234",
            "--print-seconds",
            "5",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut line = String::new();
    tokio::time::timeout(WAIT, tokio::io::BufReader::new(stdout).read_line(&mut line)).await??;
    let info: Value = serde_json::from_str(&line)?;
    assert_eq!(info["serial"], "01P00A123456789");
    assert_eq!(info["access_code"], "abcd1234");
    assert!(
        info["ca_pem"]
            .as_str()
            .is_some_and(|p| p.contains("BEGIN CERTIFICATE"))
    );
    let mqtt_port = info["mqtt_port"].as_u64().unwrap_or(0);
    let ftps_port = info["ftps_port"].as_u64().unwrap_or(0);
    assert!(mqtt_port > 0 && ftps_port > 0 && mqtt_port != ftps_port);

    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no pid"))?;
    let status = tokio::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await?;
    assert!(status.success());
    let exit = tokio::time::timeout(WAIT, child.wait()).await??;
    assert!(exit.success(), "{exit:?}");
    // mosquitto went with it: the port no longer accepts connections.
    let port = u16::try_from(mqtt_port)?;
    let mut closed = false;
    for _ in 0..50 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(closed, "mosquitto still listens on {port}");
    Ok(())
}
