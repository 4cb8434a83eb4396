//! Inputs for the collection tree.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/collections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CreateCollectionParams {
    /// Name, unique among its siblings.
    pub name: String,
    /// Parent, `None` for the root.
    #[serde(default)]
    pub parent_id: Option<i32>,
}

/// `PATCH /api/v1/collections/{id}`: rename and/or move.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct UpdateCollectionParams {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New parent; `Some(None)` (JSON `null`) moves to the root.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::double_option"
    )]
    #[cfg_attr(feature = "ssr", schemars(with = "Option<Option<i32>>"))]
    pub parent_id: Option<Option<i32>>,
}
