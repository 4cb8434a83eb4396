//! The real binary refuses to boot on invalid settings, naming the variable,
//! and stops cleanly on SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn server() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
    for (key, _) in std::env::vars() {
        if key.starts_with("VAULT_") {
            cmd.env_remove(key);
        }
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

#[test]
fn invalid_settings_stop_the_boot_naming_the_variable() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (var, value) in [
        ("VAULT_BIND", "not-an-address"),
        ("VAULT_DATABASE_URL", "mysql://root:pw@localhost/x"),
        ("VAULT_LOG", "info,sqlx=shouting"),
    ] {
        let out = server()
            .env("VAULT_DATA_DIR", dir.path())
            .env(var, value)
            .output()
            .expect("run server");
        assert!(!out.status.success(), "{var}={value} must stop the boot");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(var),
            "message for {var} should name it: {stderr}"
        );
        assert!(!stderr.contains("pw@"), "no password in messages: {stderr}");
    }
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = server()
        .env("VAULT_DATA_DIR", dir.path())
        .env("VAULT_BIND", format!("127.0.0.1:{port}"))
        .spawn()
        .expect("spawn server");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !answers_health(port) {
        assert!(Instant::now() < deadline, "server did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        dir.path().join("printstash.db").exists(),
        "SQLite file created in the data dir"
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = loop {
        if let Some(_status) = child.try_wait().expect("wait") {
            break child.wait_with_output().expect("output");
        }
        assert!(
            Instant::now() < deadline,
            "server did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(out.status.success(), "graceful stop exits 0: {out:?}");
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(log.contains("SIGTERM received"), "log: {log}");
}

/// Whether an HTTP server on `port` answers `GET /api/v1/health` with 200.
/// A bare TCP connect is not enough: polling a port in the ephemeral range
/// can connect the socket to itself (TCP simultaneous open) while nothing
/// listens, and then it reads back its own request instead of an answer.
fn answers_health(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let timeout = Some(Duration::from_secs(2));
    if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
        return false;
    }
    let request = format!(
        "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = [0u8; 12];
    stream.read_exact(&mut answer).is_ok() && answer.starts_with(b"HTTP/1.1 200")
}
