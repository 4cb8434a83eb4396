//! The server-only domain (compiled with `ssr`; the pure `formats` and
//! `thumbs` also alone with the `formats` feature): configuration, state, the
//! database layer and the services that hold the rules. Handlers in the
//! `server` crate and `#[server]` functions in `app::api` both call into here.

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod crypto;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod error;
pub mod formats;
#[cfg(feature = "ssr")]
pub mod ingest;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod printers;
#[cfg(feature = "ssr")]
pub mod runtime_settings;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod storage;
pub mod thumbs;
