//! The server-only domain (compiled with `ssr`): configuration, state, the
//! database layer and the services that hold the rules. Handlers in the
//! `server` crate and `#[server]` functions in `app::api` both call into here.

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod services;
pub mod state;
pub mod storage;
