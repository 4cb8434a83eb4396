//! Shapes of the admin-editable runtime settings: each key with its
//! effective value, the frozen `VAULT_*` value under it, and its limits.

use serde::{Deserialize, Serialize};

/// The value type of a runtime setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SettingType {
    /// A whole number within `min..=max`.
    Integer,
    /// `true` or `false`.
    Boolean,
}

/// One admin-editable setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct SettingItem {
    /// The key (`PATCH /api/v1/settings` takes `{ "<key>": value }`).
    pub key: String,
    /// What it does.
    pub help: String,
    /// The value in effect.
    pub value: serde_json::Value,
    /// The frozen value from the environment (or its default), used when
    /// the admin has not overridden it.
    pub default: serde_json::Value,
    /// Whether an admin override is in effect.
    pub overridden: bool,
    /// The `VAULT_*` variable behind the default, if any.
    pub variable: Option<String>,
    /// The value type.
    pub kind: SettingType,
    /// Smallest allowed value (integers).
    pub min: Option<i64>,
    /// Largest allowed value (integers).
    pub max: Option<i64>,
}

/// `GET /api/v1/settings`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct RuntimeSettings {
    /// Every editable key, in a stable order.
    pub items: Vec<SettingItem>,
}
