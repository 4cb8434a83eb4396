//! Stars: the models a user keeps at hand — the library's "Starred" filter,
//! the star on cards and detail pages, and the offline manifest the service
//! worker caches for viewing at the printer without a connection.

use std::collections::HashSet;

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

use crate::backend::auth::Actor;
use crate::backend::db::entities::{files, model_stars, models};
use crate::backend::db::scopes;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::views::auth::Role;
use crate::views::models::{OfflineManifest, download_url, preview_url, thumbnail_url};

/// Stars (`starred = true`) or unstars a model the caller may see.
/// Idempotent: starring twice keeps one star.
pub async fn star_model(
    state: &AppState,
    actor: &Actor,
    model_id: i32,
    starred: bool,
) -> Result<(), ServiceError> {
    let user_id = actor.require_user()?;
    super::models::model_for(&state.db, actor, model_id, Role::View).await?;
    if starred {
        let row = model_stars::ActiveModel {
            user_id: sea_orm::Set(user_id),
            model_id: sea_orm::Set(model_id),
            created_at: sea_orm::Set(chrono::Utc::now()),
        };
        model_stars::Entity::insert(row)
            .on_conflict_do_nothing_on([model_stars::Column::UserId, model_stars::Column::ModelId])
            .exec(&state.db)
            .await?;
    } else {
        model_stars::Entity::delete_many()
            .filter(model_stars::Column::UserId.eq(user_id))
            .filter(model_stars::Column::ModelId.eq(model_id))
            .exec(&state.db)
            .await?;
    }
    Ok(())
}

/// Which of `model_ids` the caller starred (none for a caller who is not a user).
pub async fn starred_among(
    db: &impl ConnectionTrait,
    actor: &Actor,
    model_ids: &[i32],
) -> Result<HashSet<i32>, ServiceError> {
    let Some(user_id) = actor.user_id else {
        return Ok(HashSet::new());
    };
    Ok(model_stars::Entity::find()
        .filter(model_stars::Column::UserId.eq(user_id))
        .filter(model_stars::Column::ModelId.is_in(model_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| s.model_id)
        .collect())
}

/// The browse condition "starred by the caller" on `models.id`.
pub fn starred_by(actor: &Actor) -> SimpleExpr {
    match actor.user_id {
        Some(user_id) => models::Column::Id.in_subquery(
            model_stars::Entity::find()
                .select_only()
                .column(model_stars::Column::ModelId)
                .filter(model_stars::Column::UserId.eq(user_id))
                .into_query(),
        ),
        None => Expr::cust("1 = 0"),
    }
}

/// Most starred models one browser keeps offline.
const OFFLINE_MODELS: u64 = 200;

/// What the service worker keeps for offline viewing: the starred list page
/// and, per starred live model the caller may see, its detail page, its
/// thumbnails, the recommended revision's file and the mesh preview.
pub async fn offline_manifest(
    state: &AppState,
    actor: &Actor,
) -> Result<OfflineManifest, ServiceError> {
    actor.require_user()?;
    let mut cond = sea_orm::Condition::all()
        .add(scopes::live::<models::Entity>())
        .add(starred_by(actor));
    if let Some(visible) = actor.visible_in(models::Column::CollectionId) {
        cond = cond.add(visible);
    }
    let starred = models::Entity::find()
        .filter(cond)
        .limit(OFFLINE_MODELS)
        .all(&state.db)
        .await?;
    let ids: Vec<i32> = starred.iter().map(|m| m.id).collect();
    let live_files = files::Entity::find()
        .filter(files::Column::ModelId.is_in(ids))
        .filter(scopes::live::<files::Entity>())
        .all(&state.db)
        .await?;
    let mut pages = vec!["/?starred=true".to_owned()];
    let mut assets = Vec::new();
    for model in &starred {
        pages.push(format!("/models/{}", model.id));
        if let Some(thumb) = model.thumbnail_file_id {
            assets.push(thumbnail_url(thumb, false));
            assets.push(thumbnail_url(thumb, true));
        }
        for file in live_files.iter().filter(|f| f.model_id == model.id) {
            if file.thumbnail_key.is_some() && Some(file.id) != model.thumbnail_file_id {
                assets.push(thumbnail_url(file.id, false));
            }
            if file.is_recommended {
                assets.push(download_url(file.id));
            }
        }
        if let Some(mesh) = super::preview::preview_file(&live_files, model) {
            assets.push(preview_url(mesh.id));
        }
    }
    Ok(OfflineManifest { pages, assets })
}
