//! `bambu-sim`: runs one simulated Bambu Lab printer until SIGTERM or Ctrl-C, after printing its ports, serial, access code and CA as one JSON line on stdout.

use std::io::{IsTerminal, Write};

use anyhow::{Context, bail};
use simulators::bambu::{BambuSim, BambuSimConfig};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: bambu-sim [--serial S] [--access-code C] [--model M] \
                     [--print-seconds 30] [--prepare-seconds 2] [--reports-per-second 1]";

fn parse_args() -> anyhow::Result<BambuSimConfig> {
    let mut config = BambuSimConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            bail!(USAGE);
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = || {
            value
                .parse::<f64>()
                .with_context(|| format!("{flag} needs a number, got {value:?}"))
        };
        match flag.as_str() {
            "--serial" => config.serial = value.clone(),
            "--access-code" => config.access_code = value.clone(),
            "--model" => config.model = value.clone(),
            "--print-seconds" => config.print_seconds = number()?,
            "--prepare-seconds" => config.prepare_seconds = number()?,
            "--reports-per-second" => config.reports_per_second = number()?,
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    Ok(config)
}

/// Resolves on SIGTERM or Ctrl-C; handlers are installed before this returns the future, so a
/// signal sent right after the JSON line is printed is not lost.
fn terminated() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let config = parse_args()?;
    let stop = terminated()?;
    let sim = BambuSim::start(config).await?;
    let line = serde_json::json!({
        "mqtt_port": sim.mqtt_port(),
        "ftps_port": sim.ftps_port(),
        "serial": sim.serial(),
        "access_code": sim.access_code(),
        "ca_pem": sim.ca_pem(),
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    drop(stdout);
    stop.await;
    sim.shutdown().await;
    Ok(())
}
