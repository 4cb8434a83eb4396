//! Moonraker (Klipper) simulator: written by the Moonraker helper.
