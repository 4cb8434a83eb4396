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
    #[serde(default, deserialize_with = "explicit_null")]
    pub parent_id: Option<Option<i32>>,
}

fn explicit_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i32>>, D::Error> {
    Option::<i32>::deserialize(d).map(Some)
}
