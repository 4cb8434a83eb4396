//! THE model-views module: every response shape the REST API, the server
//! functions and the UI share. Each submodule owns one resource's shapes; the
//! ssr-only code that builds a view sits at the bottom of the same file.

pub mod auth;
pub mod collections;
pub mod jobs;
pub mod models;
pub mod printers;
pub mod settings;
pub mod system;
pub mod tags;
