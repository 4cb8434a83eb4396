//! Shapes of the collection tree.

use serde::{Deserialize, Serialize};

/// One node of the collection tree with its model counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CollectionNode {
    /// Collection id.
    pub id: i32,
    /// Display name.
    pub name: String,
    /// Parent collection, `None` at the root.
    pub parent_id: Option<i32>,
    /// Live models directly in this collection.
    pub model_count: u64,
    /// Live models in this collection and all its descendants.
    pub total_model_count: u64,
    /// Child collections, sorted by name.
    pub children: Vec<CollectionNode>,
}

/// What deleting a collection did (or would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CollectionDeleted {
    /// Collections removed (the node and its descendants).
    pub collections_removed: u64,
    /// Models sent to the trash.
    pub models_trashed: u64,
}

#[cfg(feature = "ssr")]
mod build {
    use std::collections::HashMap;

    use super::CollectionNode;
    use crate::backend::db::entities::collections;

    impl CollectionNode {
        /// Builds the forest from all rows and per-collection live-model
        /// counts; totals include descendants; siblings sorted by name.
        pub fn build_tree(
            rows: &[collections::Model],
            direct_counts: &HashMap<i32, u64>,
        ) -> Vec<CollectionNode> {
            let mut children: HashMap<Option<i32>, Vec<&collections::Model>> = HashMap::new();
            for row in rows {
                children.entry(row.parent_id).or_default().push(row);
            }
            fn make(
                row: &collections::Model,
                children: &HashMap<Option<i32>, Vec<&collections::Model>>,
                counts: &HashMap<i32, u64>,
                depth: usize,
            ) -> CollectionNode {
                let kids: Vec<CollectionNode> = if depth > 256 {
                    Vec::new()
                } else {
                    let mut kids: Vec<CollectionNode> = children
                        .get(&Some(row.id))
                        .map(|list| {
                            list.iter()
                                .map(|c| make(c, children, counts, depth + 1))
                                .collect()
                        })
                        .unwrap_or_default();
                    kids.sort_by_key(|k| k.name.to_lowercase());
                    kids
                };
                let direct = counts.get(&row.id).copied().unwrap_or(0);
                let total = direct + kids.iter().map(|k| k.total_model_count).sum::<u64>();
                CollectionNode {
                    id: row.id,
                    name: row.name.clone(),
                    parent_id: row.parent_id,
                    model_count: direct,
                    total_model_count: total,
                    children: kids,
                }
            }
            let mut roots: Vec<CollectionNode> = children
                .get(&None)
                .map(|list| {
                    list.iter()
                        .map(|c| make(c, &children, direct_counts, 0))
                        .collect()
                })
                .unwrap_or_default();
            roots.sort_by_key(|k| k.name.to_lowercase());
            roots
        }
    }
}
