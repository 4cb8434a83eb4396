//! The PrintStash server: config → tracing → connect + migrate → state → serve.

use anyhow::Context;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(code) = server::cli::run(&args) {
        std::process::exit(code);
    }
    serve()
}

#[tokio::main]
async fn serve() -> anyhow::Result<()> {
    let settings = match app::backend::config::Settings::from_env() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("printstash: cannot start: {err}");
            std::process::exit(2);
        }
    };
    server::telemetry::init(&settings.log);
    let state = server::boot::build_state(settings)
        .await
        .context("booting PrintStash")?;
    let listener = tokio::net::TcpListener::bind(state.settings.bind)
        .await
        .with_context(|| format!("cannot listen on {} (VAULT_BIND)", state.settings.bind))?;
    server::serve(listener, state, server::shutdown::signal()).await?;
    Ok(())
}
