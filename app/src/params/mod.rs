//! Request shapes shared by forms, server functions and REST (both targets).

pub mod collections;
pub mod jobs;
pub mod models;
pub mod settings;
pub mod tags;
