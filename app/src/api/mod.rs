//! Server functions: the UI's API. One file per resource; each body resolves
//! the state, calls one service and returns a view.

pub mod system;
