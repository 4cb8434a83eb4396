//! SeaORM entities: one file per table. Entities carry no serde and never
//! reach a client; `app::views` owns every response shape. Never import an
//! entity's `Model`/`ActiveModel` bare (`models::Model` would read as our
//! domain word) — always through its module.

pub mod blobs;
pub mod collections;
pub mod file_metadata;
pub mod files;
pub mod jobs;
pub mod model_tags;
pub mod models;
pub mod runtime_settings;
pub mod tags;
pub mod users;
