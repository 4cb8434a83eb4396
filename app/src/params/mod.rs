//! Request shapes shared by forms, server functions and REST (both targets).

pub mod collections;
pub mod models;
pub mod tags;
