//! Moonraker (Klipper) simulator: a real HTTP + websocket JSON-RPC server on
//! loopback that runs a fake print and can be told to misbehave.
//!
//! Start one with [`MoonrakerSim::start`]; see [`MoonrakerSimConfig`] for the
//! knobs. Besides the Moonraker API it serves test controls under `/_sim/…`
//! (see the `control` module) so a browser test can drive the same misbehaviour
//! as the Rust methods on [`MoonrakerSim`].

mod config;
mod control;
mod error;
mod files;
mod gcode;
mod handle;
mod http;
mod hub;
mod objects;
mod printer;
mod rpc;
mod upload;
mod ws;

pub use config::MoonrakerSimConfig;
pub use files::UploadedFile;
pub use handle::MoonrakerSim;
