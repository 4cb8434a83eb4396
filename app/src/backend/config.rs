//! Frozen settings (ADR 0002): read once from `VAULT_*` environment variables
//! at boot, validated, and never mutated afterwards. An invalid value stops
//! the boot with a message naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::views::system::DatabaseKind;

/// A setting that could not be used; the message names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} is invalid: {reason} (got {value:?})")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// The value that was found.
    pub value: String,
    /// What is wrong with it and what would be accepted.
    pub reason: String,
}

/// The frozen, env-derived settings of one server process.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// `VAULT_DATA_DIR`: where the SQLite file, blobs and temp files live. Default `./data`.
    pub data_dir: PathBuf,
    /// `VAULT_BIND`: address the HTTP server listens on. Default `127.0.0.1:8080`.
    pub bind: SocketAddr,
    /// `VAULT_DATABASE_URL`: `sqlite://…` or `postgres://…`. Default: `sqlite://<data dir>/printstash.db`.
    pub database_url: String,
    /// `VAULT_LOG`: tracing filter directive, e.g. `info` or `printstash=debug,info`. Default `info`.
    pub log: String,
    /// `VAULT_SITE_DIR`: the built browser assets (`pkg/`, icons). Default `target/site`.
    pub site_dir: PathBuf,
    /// `VAULT_TRASH_RETENTION_DAYS`: days a trashed model stays restorable. Default 30.
    pub trash_retention_days: u32,
    /// Sign-in, sessions, passwords and the default role (`VAULT_ADMIN_*`,
    /// `VAULT_SESSION_*`, `VAULT_ARGON2_*`, `VAULT_LOGIN_*`, …).
    pub auth: AuthSettings,
    /// `VAULT_MAX_UPLOAD_MB`: largest accepted upload. Default 1024.
    pub max_upload_bytes: u64,
    /// `VAULT_INGEST_CONCURRENCY`: uploads analysed at once. Default 2.
    pub ingest_concurrency: u32,
    /// `VAULT_BLOB_GC_GRACE_HOURS`: how long an unreferenced blob is kept. Default 24.
    pub blob_gc_grace_hours: u32,
    /// `VAULT_MAINTENANCE_INTERVAL_MINUTES`: how often trash expiry and blob GC run. Default 60.
    pub maintenance_interval_minutes: u32,
    /// `VAULT_SECRET_KEY`: base64 of 32 bytes sealing printer secrets; unset:
    /// a key file in the data directory.
    pub secret_key: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field("bind", &self.bind)
            .field("database_url", &redact_url(&self.database_url))
            .field("log", &self.log)
            .field("site_dir", &self.site_dir)
            .field("trash_retention_days", &self.trash_retention_days)
            .field("auth", &self.auth)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("ingest_concurrency", &self.ingest_concurrency)
            .field("blob_gc_grace_hours", &self.blob_gc_grace_hours)
            .field(
                "maintenance_interval_minutes",
                &self.maintenance_interval_minutes,
            )
            .finish()
    }
}

/// One documented `VAULT_*` variable (feeds docs/CONFIGURATION.md and the README table).
pub struct VariableDoc {
    /// The variable's name.
    pub name: &'static str,
    /// Its default, as text.
    pub default: &'static str,
    /// What it does.
    pub help: &'static str,
}

/// Every variable this version reads, in the order of the docs.
pub const VARIABLES: &[VariableDoc] = &[
    VariableDoc {
        name: "VAULT_DATA_DIR",
        default: "./data",
        help: "Directory for the SQLite database, stored files and temporary uploads. Created if missing.",
    },
    VariableDoc {
        name: "VAULT_BIND",
        default: "127.0.0.1:8080",
        help: "IP address and port the web server listens on (use 0.0.0.0:8080 to accept other machines).",
    },
    VariableDoc {
        name: "VAULT_DATABASE_URL",
        default: "sqlite://<VAULT_DATA_DIR>/printstash.db",
        help: "Database to use: a sqlite:// file or a postgres://user:pass@host/db server.",
    },
    VariableDoc {
        name: "VAULT_LOG",
        default: "info",
        help: "Log filter in tracing's EnvFilter syntax, e.g. debug or info,sqlx=warn.",
    },
    VariableDoc {
        name: "VAULT_TRASH_RETENTION_DAYS",
        default: "30",
        help: "Days a trashed model stays restorable before it is deleted for good (1-3650).",
    },
    VariableDoc {
        name: "VAULT_ADMIN_USERNAME",
        default: "(unset: the first visit shows the setup page)",
        help: "With VAULT_ADMIN_PASSWORD: creates this admin at boot when no admin exists yet. Ignored afterwards.",
    },
    VariableDoc {
        name: "VAULT_ADMIN_PASSWORD",
        default: "(unset)",
        help: "The password of VAULT_ADMIN_USERNAME (at least 8 characters). Never logged; change it in the UI after the first sign-in.",
    },
    VariableDoc {
        name: "VAULT_DEFAULT_ROLE",
        default: "view",
        help: "What every signed-in user may do with models outside any collection: none, view or edit. Collections grant roles per user.",
    },
    VariableDoc {
        name: "VAULT_SESSION_IDLE_HOURS",
        default: "168",
        help: "A browser session ends after this many hours without a request (1-8760).",
    },
    VariableDoc {
        name: "VAULT_SESSION_MAX_DAYS",
        default: "30",
        help: "A browser session ends this many days after sign-in, however active (1-3650).",
    },
    VariableDoc {
        name: "VAULT_COOKIE_SECURE",
        default: "auto",
        help: "Mark the session cookie Secure: auto (when the request came over HTTPS, as told by X-Forwarded-Proto behind a trusted proxy), always, or never.",
    },
    VariableDoc {
        name: "VAULT_TRUST_PROXY",
        default: "false",
        help: "Believe X-Forwarded-For, X-Forwarded-Proto and X-Forwarded-Host (set it only behind a reverse proxy that sets them).",
    },
    VariableDoc {
        name: "VAULT_LOGIN_ATTEMPTS_PER_MINUTE",
        default: "5",
        help: "Sign-in attempts allowed per account per minute (1-1000); more get HTTP 429 with the seconds to wait.",
    },
    VariableDoc {
        name: "VAULT_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP",
        default: "20",
        help: "Sign-in attempts allowed per client address per minute (1-10000).",
    },
    VariableDoc {
        name: "VAULT_ARGON2_MEMORY_KIB",
        default: "19456",
        help: "Argon2id memory cost for password hashes in KiB (8192-1048576). Existing hashes keep their parameters.",
    },
    VariableDoc {
        name: "VAULT_ARGON2_ITERATIONS",
        default: "2",
        help: "Argon2id time cost (1-20).",
    },
    VariableDoc {
        name: "VAULT_ARGON2_PARALLELISM",
        default: "1",
        help: "Argon2id lanes (1-16).",
    },
    VariableDoc {
        name: "VAULT_MAX_UPLOAD_MB",
        default: "1024",
        help: "Largest upload accepted, in MiB; bigger uploads get HTTP 413 while streaming.",
    },
    VariableDoc {
        name: "VAULT_INGEST_CONCURRENCY",
        default: "2",
        help: "How many uploads are read, hashed and thumbnailed at once (1-64); more wait their turn as pending jobs.",
    },
    VariableDoc {
        name: "VAULT_BLOB_GC_GRACE_HOURS",
        default: "24",
        help: "Hours a stored file that nothing refers to any more is kept before orphan GC deletes it (1-8760).",
    },
    VariableDoc {
        name: "VAULT_MAINTENANCE_INTERVAL_MINUTES",
        default: "60",
        help: "Minutes between runs of the background maintenance jobs: trash expiry and orphan-blob GC (1-10080).",
    },
    VariableDoc {
        name: "VAULT_SECRET_KEY",
        default: "(a key file, <data dir>/secret.key)",
        help: "Key that encrypts printer API keys and access codes at rest: 32 random bytes in base64 (`openssl rand -base64 32`). Unset: a key file made on first boot in the data directory (back it up with the database).",
    },
    VariableDoc {
        name: "VAULT_SITE_DIR",
        default: "target/site",
        help: "Directory holding the built browser assets (pkg/, icons, manifest).",
    },
];

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (the environment in production, a
    /// map in tests). Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let data_dir = PathBuf::from(get("VAULT_DATA_DIR").unwrap_or_else(|| "./data".into()));

        let bind_text = get("VAULT_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind_text.trim().parse().map_err(|_| ConfigError {
            variable: "VAULT_BIND",
            value: bind_text.clone(),
            reason: "expected IP:PORT such as 127.0.0.1:8080".into(),
        })?;

        let database_url = match get("VAULT_DATABASE_URL") {
            Some(url) => {
                let url = url.trim().to_owned();
                if database_kind_of(&url).is_none() {
                    return Err(ConfigError {
                        variable: "VAULT_DATABASE_URL",
                        value: redact_url(&url),
                        reason: "expected a sqlite:// or postgres:// URL".into(),
                    });
                }
                url
            }
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("printstash.db").display()
            ),
        };

        let log = get("VAULT_LOG").unwrap_or_else(|| "info".into());
        if let Err(err) = tracing_subscriber::EnvFilter::try_new(&log) {
            return Err(ConfigError {
                variable: "VAULT_LOG",
                value: log,
                reason: format!("{err}; use a level such as info or target=level pairs"),
            });
        }

        let site_dir = PathBuf::from(get("VAULT_SITE_DIR").unwrap_or_else(|| "target/site".into()));
        let trash_retention_days = parse_number(&get, "VAULT_TRASH_RETENTION_DAYS", 30, 1..=3650)?;
        let auth = AuthSettings::from_lookup(&get)?;
        let max_upload_mb: u64 = parse_number(&get, "VAULT_MAX_UPLOAD_MB", 1024, 1..=1_048_576)?;
        let ingest_concurrency = parse_number(&get, "VAULT_INGEST_CONCURRENCY", 2, 1..=64)?;
        let blob_gc_grace_hours = parse_number(&get, "VAULT_BLOB_GC_GRACE_HOURS", 24, 1..=8760)?;
        let maintenance_interval_minutes =
            parse_number(&get, "VAULT_MAINTENANCE_INTERVAL_MINUTES", 60, 1..=10_080)?;
        let secret_key = get("VAULT_SECRET_KEY").map(|k| k.trim().to_owned());
        if let Some(key) = &secret_key
            && crate::backend::crypto::SecretBox::from_base64(key).is_err()
        {
            return Err(ConfigError {
                variable: "VAULT_SECRET_KEY",
                value: "(hidden)".into(),
                reason: "expected 32 random bytes in base64, e.g. from `openssl rand -base64 32`"
                    .into(),
            });
        }

        Ok(Self {
            data_dir,
            bind,
            database_url,
            log,
            site_dir,
            trash_retention_days,
            auth,
            max_upload_bytes: max_upload_mb * 1024 * 1024,
            ingest_concurrency,
            blob_gc_grace_hours,
            maintenance_interval_minutes,
            secret_key,
        })
    }

    /// The database engine `database_url` points at.
    pub fn database_kind(&self) -> DatabaseKind {
        database_kind_of(&self.database_url).unwrap_or(DatabaseKind::Sqlite)
    }
}

/// When the session cookie carries the `Secure` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieSecure {
    /// When the request came over HTTPS.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// What every signed-in user may do outside any collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultRole {
    /// Nothing: uncollected models are admin-only.
    None,
    /// See them.
    View,
    /// See, upload, edit, trash and restore them.
    Edit,
}

/// The sign-in and authorisation settings.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// `VAULT_ADMIN_USERNAME` + `VAULT_ADMIN_PASSWORD`: the admin made at boot.
    pub bootstrap_admin: Option<(String, String)>,
    /// `VAULT_DEFAULT_ROLE`.
    pub default_role: DefaultRole,
    /// `VAULT_SESSION_IDLE_HOURS`.
    pub session_idle_hours: u32,
    /// `VAULT_SESSION_MAX_DAYS`.
    pub session_max_days: u32,
    /// `VAULT_COOKIE_SECURE`.
    pub cookie_secure: CookieSecure,
    /// `VAULT_TRUST_PROXY`.
    pub trust_proxy: bool,
    /// `VAULT_LOGIN_ATTEMPTS_PER_MINUTE`.
    pub login_per_account_per_minute: u32,
    /// `VAULT_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP`.
    pub login_per_ip_per_minute: u32,
    /// `VAULT_ARGON2_MEMORY_KIB`.
    pub argon2_memory_kib: u32,
    /// `VAULT_ARGON2_ITERATIONS`.
    pub argon2_iterations: u32,
    /// `VAULT_ARGON2_PARALLELISM`.
    pub argon2_parallelism: u32,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field(
                "bootstrap_admin",
                &self.bootstrap_admin.as_ref().map(|(name, _)| (name, "***")),
            )
            .field("default_role", &self.default_role)
            .field("session_idle_hours", &self.session_idle_hours)
            .field("session_max_days", &self.session_max_days)
            .field("cookie_secure", &self.cookie_secure)
            .field("trust_proxy", &self.trust_proxy)
            .field(
                "login_per_account_per_minute",
                &self.login_per_account_per_minute,
            )
            .field("login_per_ip_per_minute", &self.login_per_ip_per_minute)
            .field("argon2_memory_kib", &self.argon2_memory_kib)
            .field("argon2_iterations", &self.argon2_iterations)
            .field("argon2_parallelism", &self.argon2_parallelism)
            .finish()
    }
}

impl AuthSettings {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let bootstrap_admin = match (get("VAULT_ADMIN_USERNAME"), get("VAULT_ADMIN_PASSWORD")) {
            (Some(name), Some(password)) => {
                if password.chars().count() < 8 {
                    return Err(ConfigError {
                        variable: "VAULT_ADMIN_PASSWORD",
                        value: "***".into(),
                        reason: "use at least 8 characters".into(),
                    });
                }
                Some((name.trim().to_owned(), password))
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError {
                    variable: "VAULT_ADMIN_PASSWORD",
                    value: String::new(),
                    reason: "VAULT_ADMIN_USERNAME is set, so set the admin's password too".into(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError {
                    variable: "VAULT_ADMIN_USERNAME",
                    value: String::new(),
                    reason: "VAULT_ADMIN_PASSWORD is set, so name the admin too".into(),
                });
            }
        };
        let default_role = match get("VAULT_DEFAULT_ROLE").as_deref().map(str::trim) {
            None | Some("view") => DefaultRole::View,
            Some("none") => DefaultRole::None,
            Some("edit") => DefaultRole::Edit,
            Some(other) => {
                return Err(ConfigError {
                    variable: "VAULT_DEFAULT_ROLE",
                    value: other.to_owned(),
                    reason: "expected none, view or edit".into(),
                });
            }
        };
        let cookie_secure = match get("VAULT_COOKIE_SECURE").as_deref().map(str::trim) {
            None | Some("auto") => CookieSecure::Auto,
            Some("always" | "true") => CookieSecure::Always,
            Some("never" | "false") => CookieSecure::Never,
            Some(other) => {
                return Err(ConfigError {
                    variable: "VAULT_COOKIE_SECURE",
                    value: other.to_owned(),
                    reason: "expected auto, always or never".into(),
                });
            }
        };
        let trust_proxy = match get("VAULT_TRUST_PROXY").as_deref().map(str::trim) {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                return Err(ConfigError {
                    variable: "VAULT_TRUST_PROXY",
                    value: other.to_owned(),
                    reason: "expected true or false".into(),
                });
            }
        };
        Ok(Self {
            bootstrap_admin,
            default_role,
            session_idle_hours: parse_number(get, "VAULT_SESSION_IDLE_HOURS", 168, 1..=8760)?,
            session_max_days: parse_number(get, "VAULT_SESSION_MAX_DAYS", 30, 1..=3650)?,
            cookie_secure,
            trust_proxy,
            login_per_account_per_minute: parse_number(
                get,
                "VAULT_LOGIN_ATTEMPTS_PER_MINUTE",
                5,
                1..=1000,
            )?,
            login_per_ip_per_minute: parse_number(
                get,
                "VAULT_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP",
                20,
                1..=10_000,
            )?,
            argon2_memory_kib: parse_number(
                get,
                "VAULT_ARGON2_MEMORY_KIB",
                19_456,
                8192..=1_048_576,
            )?,
            argon2_iterations: parse_number(get, "VAULT_ARGON2_ITERATIONS", 2, 1..=20)?,
            argon2_parallelism: parse_number(get, "VAULT_ARGON2_PARALLELISM", 1, 1..=16)?,
        })
    }
}

/// Reads a whole number within `range`, or the default when unset.
fn parse_number<T>(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(text) = get(variable) else {
        return Ok(default);
    };
    match text.trim().parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(value),
        _ => Err(ConfigError {
            variable,
            value: text,
            reason: format!(
                "expected a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        }),
    }
}

/// The engine a URL selects, or `None` for an unsupported scheme.
pub fn database_kind_of(url: &str) -> Option<DatabaseKind> {
    if url.starts_with("sqlite:") {
        Some(DatabaseKind::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(DatabaseKind::Postgres)
    } else {
        None
    }
}

/// The URL with any password replaced by `***`, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_no_configuration() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database_kind(), DatabaseKind::Sqlite);
        assert!(s.database_url.contains("data/printstash.db"));
        assert_eq!(s.log, "info");
    }

    #[test]
    fn database_url_defaults_into_the_data_dir() {
        let s = settings(&[("VAULT_DATA_DIR", "/srv/vault")]).unwrap();
        assert_eq!(s.database_url, "sqlite:///srv/vault/printstash.db?mode=rwc");
    }

    #[test]
    fn postgres_urls_are_accepted() {
        let s = settings(&[("VAULT_DATABASE_URL", "postgres://u:secret@db/vault")]).unwrap();
        assert_eq!(s.database_kind(), DatabaseKind::Postgres);
        assert!(!format!("{s:?}").contains("secret"));
    }

    #[test]
    fn bad_bind_names_the_variable() {
        let err = settings(&[("VAULT_BIND", "localhost")]).unwrap_err();
        assert_eq!(err.variable, "VAULT_BIND");
        assert!(err.to_string().contains("VAULT_BIND"));
    }

    #[test]
    fn bad_database_url_names_the_variable_without_the_password() {
        let err = settings(&[("VAULT_DATABASE_URL", "mysql://u:hunter2@db/x")]).unwrap_err();
        assert_eq!(err.variable, "VAULT_DATABASE_URL");
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn bad_log_level_names_the_variable() {
        let err = settings(&[("VAULT_LOG", "verbose=loud")]).unwrap_err();
        assert_eq!(err.variable, "VAULT_LOG");
        assert!(settings(&[("VAULT_LOG", "info,sqlx=warn")]).is_ok());
        assert!(settings(&[("VAULT_LOG", "printstash")]).is_ok());
    }

    #[test]
    fn config_docs_list_every_variable() {
        let asked = std::cell::RefCell::new(Vec::<String>::new());
        Settings::from_lookup(|k| {
            asked.borrow_mut().push(k.to_owned());
            None
        })
        .unwrap();
        let mut asked = asked.into_inner();
        asked.sort();
        let mut documented: Vec<String> = VARIABLES.iter().map(|v| v.name.to_owned()).collect();
        documented.sort();
        assert_eq!(
            asked, documented,
            "every variable read is documented in VARIABLES"
        );

        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for doc in ["README.md", "docs/CONFIGURATION.md"] {
            let text = std::fs::read_to_string(root.join(doc)).unwrap();
            for var in VARIABLES {
                assert!(
                    text.contains(var.name),
                    "{doc} does not document {}",
                    var.name
                );
            }
        }
    }
}
