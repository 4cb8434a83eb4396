//! The one resolver of ADR 0002: `effective = overlay ?? frozen` for the few
//! keys an admin may change while the vault runs. Nothing else reads the
//! `runtime_settings` table, and code that needs one of these keys asks
//! [`effective`] instead of reading `Settings` directly.

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::backend::auth::Actor;
use crate::backend::config::Settings;
use crate::backend::db::entities::runtime_settings;
use crate::backend::error::ServiceError;
use crate::backend::state::AppState;
use crate::params::settings::UpdateSettingsParams;
use crate::views::settings::{RuntimeSettings, SettingItem, SettingType};

/// The admin-editable keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Days a trashed model stays restorable.
    TrashRetentionDays,
    /// Hours an unreferenced blob is kept before GC.
    BlobGcGraceHours,
    /// Largest upload in MiB.
    MaxUploadMb,
    /// Whether "printed fine" sets a revision to known_good by default.
    KnownGoodOnSuccess,
}

impl Key {
    /// Every key, in display order.
    pub const ALL: [Key; 4] = [
        Key::TrashRetentionDays,
        Key::BlobGcGraceHours,
        Key::MaxUploadMb,
        Key::KnownGoodOnSuccess,
    ];

    /// The stored/wire name.
    pub fn name(self) -> &'static str {
        match self {
            Key::TrashRetentionDays => "trash_retention_days",
            Key::BlobGcGraceHours => "blob_gc_grace_hours",
            Key::MaxUploadMb => "max_upload_mb",
            Key::KnownGoodOnSuccess => "known_good_on_success",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Key::TrashRetentionDays => {
                "Days a trashed model stays restorable before trash expiry deletes it for good."
            }
            Key::BlobGcGraceHours => {
                "Hours a stored file nothing refers to is kept before orphan GC deletes it."
            }
            Key::MaxUploadMb => {
                "Largest upload accepted, in MiB; bigger uploads get HTTP 413 while streaming."
            }
            Key::KnownGoodOnSuccess => {
                "When a print is reported as printed fine, mark its revision known_good."
            }
        }
    }

    fn variable(self) -> Option<&'static str> {
        match self {
            Key::TrashRetentionDays => Some("VAULT_TRASH_RETENTION_DAYS"),
            Key::BlobGcGraceHours => Some("VAULT_BLOB_GC_GRACE_HOURS"),
            Key::MaxUploadMb => Some("VAULT_MAX_UPLOAD_MB"),
            Key::KnownGoodOnSuccess => None,
        }
    }

    fn kind(self) -> (SettingType, Option<i64>, Option<i64>) {
        match self {
            Key::TrashRetentionDays => (SettingType::Integer, Some(1), Some(3650)),
            Key::BlobGcGraceHours => (SettingType::Integer, Some(1), Some(8760)),
            Key::MaxUploadMb => (SettingType::Integer, Some(1), Some(1_048_576)),
            Key::KnownGoodOnSuccess => (SettingType::Boolean, None, None),
        }
    }

    fn frozen(self, settings: &Settings) -> Value {
        match self {
            Key::TrashRetentionDays => json!(settings.trash_retention_days),
            Key::BlobGcGraceHours => json!(settings.blob_gc_grace_hours),
            Key::MaxUploadMb => json!(settings.max_upload_bytes / (1024 * 1024)),
            Key::KnownGoodOnSuccess => json!(false),
        }
    }

    fn parse(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Checks a proposed value, returning it normalised.
    fn validate(self, value: &Value) -> Result<Value, ServiceError> {
        let invalid = |reason: String| ServiceError::Invalid {
            field: "settings",
            reason,
        };
        match self.kind() {
            (SettingType::Boolean, _, _) => value
                .as_bool()
                .map(Value::Bool)
                .ok_or_else(|| invalid(format!("{} must be true or false.", self.name()))),
            (SettingType::Integer, min, max) => {
                let n = value
                    .as_i64()
                    .ok_or_else(|| invalid(format!("{} must be a whole number.", self.name())))?;
                let (lo, hi) = (min.unwrap_or(i64::MIN), max.unwrap_or(i64::MAX));
                if n < lo || n > hi {
                    return Err(invalid(format!(
                        "{} must be between {lo} and {hi}, got {n}.",
                        self.name()
                    )));
                }
                Ok(json!(n))
            }
        }
    }
}

/// The values in effect for the editable keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Effective {
    /// See [`Key::TrashRetentionDays`].
    pub trash_retention_days: u32,
    /// See [`Key::BlobGcGraceHours`].
    pub blob_gc_grace_hours: u32,
    /// See [`Key::MaxUploadMb`], in bytes.
    pub max_upload_bytes: u64,
    /// See [`Key::KnownGoodOnSuccess`].
    pub known_good_on_success: bool,
}

impl Effective {
    /// The retention period as a duration.
    pub fn trash_retention(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.trash_retention_days))
    }
}

async fn overlay(state: &AppState) -> Result<Vec<runtime_settings::Model>, ServiceError> {
    let names: Vec<&str> = Key::ALL.iter().map(|k| k.name()).collect();
    Ok(runtime_settings::Entity::find()
        .filter(runtime_settings::Column::Key.is_in(names))
        .all(&state.db)
        .await?)
}

fn resolve(key: Key, settings: &Settings, rows: &[runtime_settings::Model]) -> (Value, bool) {
    match rows
        .iter()
        .find(|r| r.key == key.name())
        .and_then(|r| key.validate(&r.value).ok())
    {
        Some(value) => (value, true),
        None => (key.frozen(settings), false),
    }
}

/// The effective values (`overlay ?? frozen`).
pub async fn effective(state: &AppState) -> Result<Effective, ServiceError> {
    let rows = overlay(state).await?;
    let get = |key: Key| resolve(key, &state.settings, &rows).0;
    let int = |key: Key| get(key).as_u64().unwrap_or(0);
    Ok(Effective {
        trash_retention_days: u32::try_from(int(Key::TrashRetentionDays)).unwrap_or(u32::MAX),
        blob_gc_grace_hours: u32::try_from(int(Key::BlobGcGraceHours)).unwrap_or(u32::MAX),
        max_upload_bytes: int(Key::MaxUploadMb).saturating_mul(1024 * 1024),
        known_good_on_success: get(Key::KnownGoodOnSuccess).as_bool().unwrap_or(false),
    })
}

/// Every editable key with its effective and frozen value.
pub async fn list_settings(
    state: &AppState,
    actor: &Actor,
) -> Result<RuntimeSettings, ServiceError> {
    actor.require_admin()?;
    let rows = overlay(state).await?;
    let items = Key::ALL
        .into_iter()
        .map(|key| {
            let (value, overridden) = resolve(key, &state.settings, &rows);
            let (kind, min, max) = key.kind();
            SettingItem {
                key: key.name().to_owned(),
                help: key.help().to_owned(),
                value,
                default: key.frozen(&state.settings),
                overridden,
                variable: key.variable().map(str::to_owned),
                kind,
                min,
                max,
            }
        })
        .collect();
    Ok(RuntimeSettings { items })
}

/// Sets or clears (`null`) overrides, all or nothing (admin only).
pub async fn update_settings(
    state: &AppState,
    actor: &Actor,
    params: UpdateSettingsParams,
) -> Result<RuntimeSettings, ServiceError> {
    actor.require_admin()?;
    let mut changes = Vec::new();
    for (name, value) in &params.values {
        let key = Key::parse(name).ok_or_else(|| ServiceError::Invalid {
            field: "settings",
            reason: format!(
                "\"{name}\" is not an editable setting; editable: {}.",
                Key::ALL.map(Key::name).join(", ")
            ),
        })?;
        let value = if value.is_null() {
            None
        } else {
            Some(key.validate(value)?)
        };
        changes.push((key, value));
    }
    let txn = state.begin_write().await?;
    for (key, value) in changes {
        runtime_settings::Entity::delete_by_id(key.name().to_owned())
            .exec(&*txn)
            .await?;
        if let Some(value) = value {
            runtime_settings::Entity::insert(runtime_settings::ActiveModel {
                key: Set(key.name().to_owned()),
                value: Set(value),
                updated_at: Set(chrono::Utc::now()),
            })
            .exec_without_returning(&*txn)
            .await?;
        }
    }
    let keys: Vec<&str> = params.values.keys().map(String::as_str).collect();
    crate::backend::auth::audit::record(
        &*txn,
        actor,
        "settings.update",
        "settings",
        keys.join(", "),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(keys = ?params.values.keys().collect::<Vec<_>>(), "runtime settings changed");
    list_settings(state, actor).await
}
