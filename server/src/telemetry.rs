//! Tracing setup: human-readable logs filtered by `VAULT_LOG`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. The filter was validated with the settings.
pub fn init(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
