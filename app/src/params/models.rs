//! Inputs for listing and editing models and revisions.

use serde::{Deserialize, Serialize};

use crate::views::models::{FileKind, Outcome};

/// Browse sort keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ModelSort {
    /// Newest first by default.
    #[default]
    Created,
    /// Last change.
    Updated,
    /// Name, A→Z by default.
    Name,
    /// Total size.
    Size,
    /// Print time of the recommended revision.
    PrintTime,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// `GET /api/v1/models` query and the browse server function's input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct ListModelsParams {
    /// Free-text search over names, descriptions, tags, filenames and slicer fields.
    #[serde(default)]
    pub q: Option<String>,
    /// Only models in this collection (and its descendants unless `direct`).
    #[serde(default)]
    pub collection_id: Option<i32>,
    /// With `collection_id`: only the collection itself, not its descendants.
    #[serde(default)]
    pub direct: bool,
    /// Only models carrying ALL these tag ids (comma-separated in query strings).
    #[serde(default, deserialize_with = "comma_list::deserialize")]
    pub tags: Vec<i32>,
    /// Only models with a live artifact of this kind.
    #[serde(default)]
    pub kind: Option<FileKind>,
    /// Only models whose recommended revision has this outcome.
    #[serde(default)]
    pub outcome: Option<Outcome>,
    /// Only models with (true) or without (false) live G-code.
    #[serde(default)]
    pub has_gcode: Option<bool>,
    /// Only the models the caller starred.
    #[serde(default)]
    pub starred: bool,
    /// Sort key.
    #[serde(default)]
    pub sort: ModelSort,
    /// Sort direction (default: descending for dates/size/time, ascending for name).
    #[serde(default)]
    pub order: Option<SortOrder>,
    /// Opaque cursor from the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size (1–200, default 50).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `PATCH /api/v1/models/{id}`: every field optional; absent = unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct UpdateModelParams {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
    /// Move to this collection; `Some(None)` (JSON `null`) moves to the root.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::double_option"
    )]
    #[cfg_attr(feature = "ssr", schemars(with = "Option<Option<i32>>"))]
    pub collection_id: Option<Option<i32>>,
    /// Replace the tags with these names (created when missing).
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// `PATCH /api/v1/models/{id}/files/{file_id}/revision`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct UpdateRevisionParams {
    /// New outcome status.
    #[serde(default)]
    pub status: Option<Outcome>,
    /// New label; `Some(None)` clears it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::double_option"
    )]
    #[cfg_attr(feature = "ssr", schemars(with = "Option<Option<String>>"))]
    pub label: Option<Option<String>>,
    /// New notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// `true` makes this the recommended revision (clearing the others).
    #[serde(default)]
    pub recommended: Option<bool>,
}

/// Accepts `tags=1,2,3` from query strings and `[1,2,3]` from JSON.
mod comma_list {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        List(Vec<i32>),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i32>, D::Error> {
        match Either::deserialize(d)? {
            Either::List(list) => Ok(list),
            Either::Text(text) => text
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| {
                    t.parse().map_err(|_| {
                        serde::de::Error::custom(format!("tag id {t:?} is not a number"))
                    })
                })
                .collect(),
        }
    }
}
