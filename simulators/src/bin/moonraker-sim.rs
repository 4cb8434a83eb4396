//! `moonraker-sim`: runs the Moonraker simulator until SIGTERM or Ctrl-C.
//! The first stdout line is `listening on http://ADDR`, for test harnesses using port 0.

use std::io::Write;

use anyhow::{Context, bail};
use simulators::moonraker::{MoonrakerSim, MoonrakerSimConfig};

const USAGE: &str = "usage: moonraker-sim [--bind 127.0.0.1:7125] [--api-key KEY] [--print-seconds 30] \
[--updates-per-second 4] [--printer-model NAME] [--bed-size XxY] [--nozzle-diameter 0.4]";

fn parse_args() -> anyhow::Result<MoonrakerSimConfig> {
    let mut config = MoonrakerSimConfig {
        bind: "127.0.0.1:7125".parse()?,
        ..Default::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            bail!("{USAGE}");
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = || format!("invalid value for {flag}: {value}");
        match flag.as_str() {
            "--bind" => config.bind = value.parse().with_context(bad)?,
            "--api-key" => config.api_key = Some(value.clone()),
            "--print-seconds" => config.print_seconds = value.parse().with_context(bad)?,
            "--updates-per-second" => {
                config.updates_per_second = value.parse().with_context(bad)?
            }
            "--printer-model" => config.printer_model = value.clone(),
            "--nozzle-diameter" => config.nozzle_diameter_mm = value.parse().with_context(bad)?,
            "--bed-size" => {
                let (x, y) = value.split_once('x').with_context(bad)?;
                config.bed_size_mm = (x.parse().with_context(bad)?, y.parse().with_context(bad)?);
            }
            _ => bail!("unknown argument {flag}\n{USAGE}"),
        }
    }
    Ok(config)
}

/// Registers SIGTERM and SIGINT handlers now (before the address is announced,
/// so a harness may signal as soon as it reads the line) and resolves on either.
fn stop_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let config = parse_args()?;
    let stop = stop_signal().context("installing signal handlers")?;
    let sim = MoonrakerSim::start(config)
        .await
        .context("starting the simulator")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", sim.base_url())?;
    stdout.flush()?;
    drop(stdout);
    stop.await;
    sim.shutdown().await;
    Ok(())
}
