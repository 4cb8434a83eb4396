//! HTTP adapters: REST routes, the error envelope, request tracing.

pub mod error;
pub mod rest;
pub mod trace;
