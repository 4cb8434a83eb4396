//! Reusable UI pieces shared by the pages.

pub mod errors;
pub mod footer;
pub mod icons;
pub mod model_picture;
pub mod nav;
pub mod send_to_printer;
pub mod star;
