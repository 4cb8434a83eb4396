//! The collection tree: create, rename, move (no cycles), counts including
//! descendants, and recursive delete that sends the models to the trash.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, Set,
};

use crate::backend::auth::{Actor, audit};
use crate::backend::db::entities::{collections, models};
use crate::backend::db::scopes;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::params::collections::{CreateCollectionParams, UpdateCollectionParams};
use crate::views::auth::Role;
use crate::views::collections::{CollectionDeleted, CollectionNode};

const MAX_NAME_CHARS: usize = 200;

/// The tree as far as the caller may see it, with live-model counts, roots
/// sorted by name. A visible collection whose parent is hidden shows as a root.
pub async fn list_collections(
    state: &AppState,
    actor: &Actor,
) -> Result<Vec<CollectionNode>, ServiceError> {
    let mut rows = collections::Entity::find().all(&state.db).await?;
    if let Some(visible) = actor.visible_collections() {
        let visible: HashSet<i32> = visible.into_iter().collect();
        rows.retain(|c| visible.contains(&c.id));
        for row in &mut rows {
            if row.parent_id.is_some_and(|p| !visible.contains(&p)) {
                row.parent_id = None;
            }
        }
    }
    let counts = live_counts(&state.db).await?;
    Ok(CollectionNode::build_tree(&rows, &counts))
}

/// Fails unless the caller may create collections under `parent` (a
/// collection admin there; at the top level only a vault admin).
fn require_structure_rights(actor: &Actor, parent: Option<i32>) -> Result<(), ServiceError> {
    match parent {
        None => actor.require_admin(),
        Some(p) => match actor.role_in(Some(p)) {
            Some(Role::Admin) => Ok(()),
            Some(_) => Err(ServiceError::Forbidden),
            // A hidden collection reads exactly like a missing one.
            None => Err(ServiceError::Invalid {
                field: "parent_id",
                reason: format!("Collection {p} does not exist."),
            }),
        },
    }
}

/// One collection with its subtree.
pub async fn get_collection(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> Result<CollectionNode, ServiceError> {
    find_node(list_collections(state, actor).await?, id).ok_or(ServiceError::NotFound("collection"))
}

fn find_node(nodes: Vec<CollectionNode>, id: i32) -> Option<CollectionNode> {
    for node in nodes {
        if node.id == id {
            return Some(node);
        }
        if let Some(found) = find_node(node.children, id) {
            return Some(found);
        }
    }
    None
}

#[derive(FromQueryResult)]
struct CountRow {
    collection_id: Option<i32>,
    n: i64,
}

async fn live_counts(db: &impl ConnectionTrait) -> Result<HashMap<i32, u64>, ServiceError> {
    let rows = models::Entity::find()
        .select_only()
        .column(models::Column::CollectionId)
        .column_as(Expr::from(Func::count(Expr::col(models::Column::Id))), "n")
        .filter(scopes::live::<models::Entity>())
        .filter(models::Column::CollectionId.is_not_null())
        .group_by(models::Column::CollectionId)
        .into_model::<CountRow>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r.collection_id.map(|id| (id, r.n.max(0) as u64)))
        .collect())
}

/// Checks a collection name and returns it trimmed.
fn clean_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::Invalid {
            field: "name",
            reason: "A collection needs a name.".into(),
        });
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ServiceError::Invalid {
            field: "name",
            reason: format!("Collection names can be at most {MAX_NAME_CHARS} characters."),
        });
    }
    if name.contains('/') || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid {
            field: "name",
            reason: "Collection names cannot contain '/' or control characters.".into(),
        });
    }
    Ok(name.to_owned())
}

async fn ensure_unique_sibling(
    db: &impl ConnectionTrait,
    parent_id: Option<i32>,
    name: &str,
    except: Option<i32>,
) -> Result<(), ServiceError> {
    let siblings = collections::Entity::find()
        .filter(match parent_id {
            Some(p) => collections::Column::ParentId.eq(p),
            None => collections::Column::ParentId.is_null(),
        })
        .all(db)
        .await?;
    let clash = siblings
        .iter()
        .any(|c| Some(c.id) != except && c.name.to_lowercase() == name.to_lowercase());
    if clash {
        return Err(ServiceError::Conflict(format!(
            "A collection named \"{name}\" already exists here."
        )));
    }
    Ok(())
}

pub(crate) async fn ensure_exists(
    db: &impl ConnectionTrait,
    id: i32,
    field: &'static str,
) -> Result<(), ServiceError> {
    match collections::Entity::find_by_id(id).one(db).await? {
        Some(_) => Ok(()),
        None => Err(ServiceError::Invalid {
            field,
            reason: format!("Collection {id} does not exist."),
        }),
    }
}

/// Finds or creates the collection at a slash-separated path such as
/// `Printer parts/Voron` (names compared case-insensitively), creating the
/// missing levels; returns the last one's id. Used by uploads that name a
/// collection the way the original's `collection` form field did. With
/// `under`, the path starts inside that collection (a dropped folder inside
/// the collection being browsed).
pub async fn ensure_path(
    state: &AppState,
    actor: &Actor,
    under: Option<i32>,
    path: &str,
) -> Result<i32, ServiceError> {
    let names: Vec<&str> = path
        .split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if names.is_empty() {
        return Err(ServiceError::Invalid {
            field: "collection",
            reason: "Name a collection, e.g. \"Printer parts/Voron\".".into(),
        });
    }
    if let Some(id) = under {
        ensure_exists(&state.db, id, "collection_id").await?;
        if actor.role_in(Some(id)).is_none() {
            return Err(ServiceError::NotFound("collection"));
        }
    }
    let txn = state.begin_write().await?;
    let mut parent: Option<i32> = under;
    for raw in names {
        let name = clean_name(raw).map_err(|err| match err {
            ServiceError::Invalid { reason, .. } => ServiceError::Invalid {
                field: "collection",
                reason,
            },
            other => other,
        })?;
        let siblings = collections::Entity::find()
            .filter(match parent {
                Some(p) => collections::Column::ParentId.eq(p),
                None => collections::Column::ParentId.is_null(),
            })
            .all(&*txn)
            .await?;
        let found = siblings
            .iter()
            .find(|c| c.name.to_lowercase() == name.to_lowercase());
        parent = Some(match found {
            // A level the caller cannot see is "not found", never revealed.
            Some(existing) if actor.role_in(Some(existing.id)).is_some() => existing.id,
            Some(_) => return Err(ServiceError::NotFound("collection")),
            None => {
                require_structure_rights(actor, parent)?;
                let now = chrono::Utc::now();
                collections::ActiveModel {
                    name: Set(name),
                    parent_id: Set(parent),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&*txn)
                .await?
                .id
            }
        });
    }
    txn.commit().await?;
    let id = parent.ok_or(ServiceError::NotFound("collection"))?;
    Ok(id)
}

/// Creates a collection under `parent_id` (or at the root).
pub async fn create_collection(
    state: &AppState,
    actor: &Actor,
    params: CreateCollectionParams,
) -> Result<CollectionNode, ServiceError> {
    let name = clean_name(&params.name)?;
    let txn = state.begin_write().await?;
    if let Some(parent) = params.parent_id {
        ensure_exists(&*txn, parent, "parent_id").await?;
    }
    require_structure_rights(actor, params.parent_id)?;
    ensure_unique_sibling(&*txn, params.parent_id, &name, None).await?;
    let now = chrono::Utc::now();
    let row = collections::ActiveModel {
        name: Set(name),
        parent_id: Set(params.parent_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    tracing::info!(collection.id = row.id, "collection created");
    // The caller's roles were read before the collection existed; they hold
    // admin on its parent, so they see it.
    let rows = collections::Entity::find().all(&state.db).await?;
    let counts = live_counts(&state.db).await?;
    find_node(CollectionNode::build_tree(&rows, &counts), row.id)
        .ok_or(ServiceError::NotFound("collection"))
}

/// Renames and/or moves a collection with its subtree; moving under itself
/// or a descendant is rejected.
pub async fn update_collection(
    state: &AppState,
    actor: &Actor,
    id: i32,
    params: UpdateCollectionParams,
) -> Result<CollectionNode, ServiceError> {
    let txn = state.begin_write().await?;
    let current = collections::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or(ServiceError::NotFound("collection"))?;
    actor.require(Some(id), Role::Admin, "collection")?;
    let name = match &params.name {
        Some(n) => clean_name(n)?,
        None => current.name.clone(),
    };
    let parent_id = params.parent_id.unwrap_or(current.parent_id);
    if parent_id != current.parent_id {
        require_structure_rights(actor, parent_id)?;
    }
    if let Some(new_parent) = parent_id {
        ensure_exists(&*txn, new_parent, "parent_id").await?;
        let all = collections::Entity::find().all(&*txn).await?;
        let parents: HashMap<i32, Option<i32>> = all.iter().map(|c| (c.id, c.parent_id)).collect();
        // Walk up from the new parent; meeting `id` means a cycle.
        let mut cursor = Some(new_parent);
        let mut seen = HashSet::new();
        while let Some(node) = cursor {
            if node == id {
                return Err(ServiceError::Invalid {
                    field: "parent_id",
                    reason:
                        "A collection cannot be moved into itself or one of its sub-collections."
                            .into(),
                });
            }
            if !seen.insert(node) {
                break;
            }
            cursor = parents.get(&node).copied().flatten();
        }
    }
    ensure_unique_sibling(&*txn, parent_id, &name, Some(id)).await?;
    let mut row: collections::ActiveModel = current.into();
    row.name = Set(name);
    row.parent_id = Set(parent_id);
    row.updated_at = Set(chrono::Utc::now());
    row.update(&*txn).await?;
    txn.commit().await?;
    get_collection(state, actor, id).await
}

/// Ids of `root` and all its descendants, deepest last.
fn subtree(all: &[collections::Model], root: i32) -> Vec<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for c in all {
        if let Some(p) = c.parent_id {
            children.entry(p).or_default().push(c.id);
        }
    }
    let mut order = vec![root];
    let mut i = 0;
    while i < order.len() {
        if let Some(kids) = children.get(&order[i]) {
            for kid in kids {
                if !order.contains(kid) {
                    order.push(*kid);
                }
            }
        }
        i += 1;
    }
    order
}

/// Deletes a collection and its sub-collections; their live models go to the
/// trash (restorable, landing in the parent collection, or outside any
/// collection for a top-level one).
pub async fn delete_collection(
    state: &AppState,
    actor: &Actor,
    id: i32,
) -> Result<CollectionDeleted, ServiceError> {
    let txn = state.begin_write().await?;
    let all = collections::Entity::find().all(&*txn).await?;
    let Some(doomed) = all.iter().find(|c| c.id == id) else {
        return Err(ServiceError::NotFound("collection"));
    };
    actor.require(Some(id), Role::Admin, "collection")?;
    // The models land in the parent (whose viewers could see them already);
    // a top-level collection's land outside any collection, so only a vault
    // admin may delete one.
    let landing = doomed.parent_id;
    require_structure_rights(actor, landing)?;
    let ids = subtree(&all, id);
    let now = chrono::Utc::now();
    let trashed = models::Entity::update_many()
        .col_expr(models::Column::DeletedAt, Expr::value(now))
        .col_expr(models::Column::DeletedBy, Expr::value(actor.user_id))
        .col_expr(models::Column::CollectionId, Expr::value(landing))
        .filter(scopes::live::<models::Entity>())
        .filter(models::Column::CollectionId.is_in(ids.clone()))
        .exec(&*txn)
        .await?
        .rows_affected;
    // Trashed models keep no link to the deleted tree (they restore to the parent).
    models::Entity::update_many()
        .col_expr(models::Column::CollectionId, Expr::value(landing))
        .filter(models::Column::CollectionId.is_in(ids.clone()))
        .exec(&*txn)
        .await?;
    for cid in ids.iter().rev() {
        collections::Entity::delete_by_id(*cid).exec(&*txn).await?;
    }
    audit::record(
        &*txn,
        actor,
        "collection.delete",
        format!("collection:{id}"),
        format!(
            "\"{}\": {} collection(s) removed, {trashed} model(s) to the trash",
            doomed.name,
            ids.len()
        ),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        collection.id = id,
        collections = ids.len(),
        models_trashed = trashed,
        "collection deleted"
    );
    Ok(CollectionDeleted {
        collections_removed: ids.len() as u64,
        models_trashed: trashed,
    })
}

/// Ids of `root` and all its descendants (for browse filters).
pub async fn descendant_ids(
    db: &impl ConnectionTrait,
    root: i32,
) -> Result<Vec<i32>, ServiceError> {
    let all = collections::Entity::find().all(db).await?;
    Ok(subtree(&all, root))
}
