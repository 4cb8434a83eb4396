//! PrintStash's shared crate: the Leptos UI, server functions and response
//! views for both targets, and — behind the `ssr` feature — the whole backend
//! domain in [`backend`].

pub mod api;
pub mod error;
pub mod params;
pub mod ui;
pub mod views;

#[cfg(any(feature = "ssr", feature = "formats"))]
pub mod backend;

pub use ui::{App, shell};

/// The product version shown in the UI and reported by the health endpoint.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
