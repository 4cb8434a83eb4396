//! HTTP adapters: REST routes, authentication and CSRF, the error envelope,
//! request tracing.

pub mod authn;
pub mod caller;
pub mod compression;
pub mod download;
pub mod error;
pub mod extract;
pub mod rest;
pub mod trace;
pub mod upload;
pub mod ws;
