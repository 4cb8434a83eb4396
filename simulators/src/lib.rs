//! Printer simulators for tests and demos. Each one is a real server on a
//! loopback port speaking the printer's own protocol, runs a fake print, and
//! can be told to misbehave (drop connections, send malformed messages) so
//! PrintStash's drivers are tested against the wire, not against mocks.

pub mod bambu;
pub mod moonraker;
