//! Bambu Lab LAN-mode simulator: written by the Bambu helper.
