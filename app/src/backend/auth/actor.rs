//! The [`Actor`]: who calls a service and what they may do where. Every
//! service takes one and checks it; lists filter by [`Actor::visible_models`]
//! inside the query.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use crate::backend::config::DefaultRole;
use crate::backend::db::entities::{collection_grants, collections, users};
use crate::backend::error::ServiceError;
use crate::views::auth::Role;

/// What one user may do, computed once per request: the effective role on
/// every collection (grants inherited down the tree, the strongest wins) and
/// the role outside any collection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    roles: HashMap<i32, Role>,
    uncollected: Option<Role>,
}

impl Access {
    /// Spreads `grants` (collection, role) down the tree given as
    /// (id, parent) pairs.
    pub fn compute(
        tree: &[(i32, Option<i32>)],
        grants: &[(i32, Role)],
        default_role: DefaultRole,
    ) -> Self {
        let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
        for (id, parent) in tree {
            if let Some(parent) = parent {
                children.entry(*parent).or_default().push(*id);
            }
        }
        let mut roles: HashMap<i32, Role> = HashMap::new();
        for (root, role) in grants {
            let mut stack = vec![*root];
            while let Some(id) = stack.pop() {
                // A node that already has this role or more passed it on
                // (this also ends any cycle in a corrupt tree).
                if roles.get(&id).is_some_and(|have| have >= role) {
                    continue;
                }
                roles.insert(id, *role);
                if let Some(kids) = children.get(&id) {
                    stack.extend(kids.iter().copied());
                }
            }
        }
        let uncollected = match default_role {
            DefaultRole::None => None,
            DefaultRole::View => Some(Role::View),
            DefaultRole::Edit => Some(Role::Edit),
        };
        Self { roles, uncollected }
    }
}

/// The caller of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id; `None` for the system (maintenance jobs, CLI).
    pub user_id: Option<i32>,
    /// The user's sign-in name (for the audit log).
    pub username: String,
    /// Whether the caller may do everything.
    pub is_admin: bool,
    /// The client address, when the call came over the network.
    pub ip: Option<String>,
    access: Arc<Access>,
}

impl Actor {
    /// The vault itself: maintenance jobs and command-line tools.
    pub fn system() -> Self {
        Self {
            user_id: None,
            username: "system".into(),
            is_admin: true,
            ip: None,
            access: Arc::default(),
        }
    }

    /// Someone not signed in, named as they claimed (audit entries only;
    /// sees nothing).
    pub fn unauthenticated(claimed_name: String, ip: Option<String>) -> Self {
        Self {
            user_id: None,
            username: claimed_name,
            is_admin: false,
            ip,
            access: Arc::default(),
        }
    }

    /// The actor for a signed-in user, with their roles loaded.
    pub async fn for_user(
        db: &impl ConnectionTrait,
        user: &users::Model,
        default_role: DefaultRole,
        ip: Option<String>,
    ) -> Result<Self, ServiceError> {
        let access = if user.is_admin {
            Access::default()
        } else {
            let grants: Vec<(i32, Role)> = collection_grants::Entity::find()
                .filter(collection_grants::Column::UserId.eq(user.id))
                .all(db)
                .await?
                .into_iter()
                .filter_map(|g| Some((g.collection_id, Role::parse(&g.role)?)))
                .collect();
            let tree: Vec<(i32, Option<i32>)> = if grants.is_empty() {
                Vec::new()
            } else {
                collections::Entity::find()
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|c| (c.id, c.parent_id))
                    .collect()
            };
            Access::compute(&tree, &grants, default_role)
        };
        Ok(Self {
            user_id: Some(user.id),
            username: user.username.clone(),
            is_admin: user.is_admin,
            ip,
            access: Arc::new(access),
        })
    }

    /// The caller's role where a model or collection lives (`None` = outside
    /// any collection); `None` when they may not even see it.
    pub fn role_in(&self, collection_id: Option<i32>) -> Option<Role> {
        if self.is_admin {
            return Some(Role::Admin);
        }
        match collection_id {
            None => self.access.uncollected,
            Some(id) => self.access.roles.get(&id).copied(),
        }
    }

    /// Fails unless the caller has at least `needed` there. Something the
    /// caller cannot see is "not found", so its existence does not leak.
    pub fn require(
        &self,
        collection_id: Option<i32>,
        needed: Role,
        what: &'static str,
    ) -> Result<(), ServiceError> {
        match self.role_in(collection_id) {
            None => Err(ServiceError::NotFound(what)),
            Some(role) if role >= needed => Ok(()),
            Some(_) => Err(ServiceError::Forbidden),
        }
    }

    /// The signed-in user's id, or "sign in first" for the system actor.
    pub fn require_user(&self) -> Result<i32, ServiceError> {
        self.user_id
            .ok_or_else(|| ServiceError::Unauthenticated("Sign in first.".into()))
    }

    /// Fails unless the caller is a vault admin.
    pub fn require_admin(&self) -> Result<(), ServiceError> {
        if self.is_admin {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        }
    }

    /// Whether the caller administers the vault or at least one collection.
    pub fn administers_anything(&self) -> bool {
        self.is_admin || self.access.roles.values().any(|r| *r == Role::Admin)
    }

    /// Whether the caller may add things somewhere (a collection or outside).
    pub fn edits_anything(&self) -> bool {
        self.is_admin
            || self.access.uncollected >= Some(Role::Edit)
            || self.access.roles.values().any(|r| *r >= Role::Edit)
    }

    /// The collections the caller may see; `None` means all of them.
    pub fn visible_collections(&self) -> Option<Vec<i32>> {
        if self.is_admin {
            return None;
        }
        let mut ids: Vec<i32> = self.access.roles.keys().copied().collect();
        ids.sort_unstable();
        Some(ids)
    }

    /// The query condition on a `collection_id` column that keeps only what
    /// the caller may see; `None` when they see everything.
    pub fn visible_in<C: ColumnTrait>(&self, collection_column: C) -> Option<Condition> {
        let ids = self.visible_collections()?;
        let mut any = Condition::any();
        if !ids.is_empty() {
            any = any.add(collection_column.is_in(ids));
        }
        if self.access.uncollected.is_some() {
            any = any.add(collection_column.is_null());
        }
        if any.is_empty() {
            return Some(Condition::all().add(never()));
        }
        Some(any)
    }
}

/// A condition no row meets.
fn never() -> SimpleExpr {
    Expr::cust("1 = 0")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(access: Access) -> Actor {
        Actor {
            user_id: Some(7),
            username: "u".into(),
            is_admin: false,
            ip: None,
            access: Arc::new(access),
        }
    }

    #[test]
    fn grants_flow_down_the_tree_and_the_strongest_wins() {
        // 1 ─ 2 ─ 3, 4 alone; view on 1, admin on 2.
        let tree = [(1, None), (2, Some(1)), (3, Some(2)), (4, None)];
        let a = actor(Access::compute(
            &tree,
            &[(1, Role::View), (2, Role::Admin)],
            DefaultRole::None,
        ));
        assert_eq!(a.role_in(Some(1)), Some(Role::View));
        assert_eq!(a.role_in(Some(2)), Some(Role::Admin));
        assert_eq!(a.role_in(Some(3)), Some(Role::Admin));
        assert_eq!(a.role_in(Some(4)), None);
        assert_eq!(a.role_in(None), None);
        assert!(matches!(
            a.require(Some(4), Role::View, "model"),
            Err(ServiceError::NotFound("model"))
        ));
        assert!(matches!(
            a.require(Some(1), Role::Edit, "model"),
            Err(ServiceError::Forbidden)
        ));
        assert!(a.require(Some(3), Role::Edit, "model").is_ok());
        assert_eq!(a.visible_collections(), Some(vec![1, 2, 3]));
        assert!(a.administers_anything());
    }

    #[test]
    fn the_default_role_covers_models_outside_collections() {
        let a = actor(Access::compute(&[], &[], DefaultRole::Edit));
        assert_eq!(a.role_in(None), Some(Role::Edit));
        assert!(a.edits_anything());
        let none = actor(Access::compute(&[], &[], DefaultRole::None));
        assert!(none.visible_in(collections::Column::ParentId).is_some());
        assert!(!none.edits_anything());
        assert!(
            Actor::system()
                .visible_in(collections::Column::ParentId)
                .is_none()
        );
    }
}
