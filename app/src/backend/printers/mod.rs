//! Talking to printers: the driver contract every protocol implements, the
//! hub that keeps one supervised session per printer, the protocols
//! (Moonraker, Bambu LAN), and the status snapshots kept in the database.

pub mod bambu;
pub mod driver;
pub mod ftps;
pub mod hub;
pub mod moonraker;
pub mod snapshots;
