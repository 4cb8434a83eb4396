//! One component per route.

pub mod admin;
pub mod collections;
pub mod library;
pub mod model;
pub mod not_found;
pub mod printer_form;
pub mod printers;
pub mod revision_diff;
pub mod settings;
pub mod sharing;
pub mod sign_in;
pub mod tags;
pub mod trash;
