//! Services: the rules and transactions. They take a context and the caller,
//! never axum or Leptos types, and return domain results or `ServiceError`.

pub mod blobs;
pub mod browse;
pub mod collections;
pub mod export;
pub mod files;
pub mod gc;
pub mod models;
pub mod preview;
pub mod print_jobs;
pub mod printers;
pub mod revisions;
pub mod search_index;
pub mod stars;
pub mod system;
pub mod tags;
pub mod thumbnails;
