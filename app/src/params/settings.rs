//! Request shapes for the runtime settings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `PATCH /api/v1/settings`: `{ "<key>": value }`; `null` removes the
/// override (back to the `VAULT_*` value).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct UpdateSettingsParams {
    /// New values by key.
    pub values: BTreeMap<String, serde_json::Value>,
}
