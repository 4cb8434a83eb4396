//! Inputs for tags.

use serde::{Deserialize, Serialize};

/// `POST /api/v1/tags` and rename.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TagNameParams {
    /// The tag's name.
    pub name: String,
}

/// `POST /api/v1/tags/{id}/merge`: fold this tag into `into_tag_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct MergeTagParams {
    /// The tag that survives.
    pub into_tag_id: i32,
}

/// `POST /api/v1/tags/attach` and `/detach`: many models × many tags at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct TagModelsParams {
    /// Models to change.
    pub model_ids: Vec<i32>,
    /// Tags to attach or detach.
    pub tag_ids: Vec<i32>,
}
