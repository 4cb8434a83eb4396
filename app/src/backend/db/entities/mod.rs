//! SeaORM entities: one file per table. Entities carry no serde and never
//! reach a client; `app::views` owns every response shape. Never import an
//! entity's `Model`/`ActiveModel` bare (`models::Model` would read as our
//! domain word) — always through its module.

pub mod api_tokens;
pub mod audit_log;
pub mod blobs;
pub mod collection_grants;
pub mod collections;
pub mod file_metadata;
pub mod files;
pub mod jobs;
pub mod model_stars;
pub mod model_tags;
pub mod models;
pub mod print_jobs;
pub mod printer_files;
pub mod printer_snapshots;
pub mod printers;
pub mod runtime_settings;
pub mod sessions;
pub mod tags;
pub mod users;
