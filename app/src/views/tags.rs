//! Shapes of tags.

use serde::{Deserialize, Serialize};

/// A tag with how many live models carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TagView {
    /// Tag id.
    pub id: i32,
    /// Display name.
    pub name: String,
    /// Live models with this tag.
    pub model_count: u64,
}
