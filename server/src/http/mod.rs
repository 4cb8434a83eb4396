//! HTTP adapters: REST routes, the error envelope, request tracing.

pub mod caller;
pub mod download;
pub mod error;
pub mod extract;
pub mod rest;
pub mod trace;
pub mod upload;
