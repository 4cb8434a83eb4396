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
    /// `VAULT_API_TOKEN`: when set, REST calls must send it as a Bearer token
    /// or `X-Api-Key` (single-admin mode until users and sign-in land).
    pub api_token: Option<String>,
    /// `VAULT_MAX_UPLOAD_MB`: largest accepted upload. Default 1024.
    pub max_upload_bytes: u64,
    /// `VAULT_INGEST_CONCURRENCY`: uploads analysed at once. Default 2.
    pub ingest_concurrency: u32,
    /// `VAULT_BLOB_GC_GRACE_HOURS`: how long an unreferenced blob is kept. Default 24.
    pub blob_gc_grace_hours: u32,
    /// `VAULT_MAINTENANCE_INTERVAL_MINUTES`: how often trash expiry and blob GC run. Default 60.
    pub maintenance_interval_minutes: u32,
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
            .field("api_token", &self.api_token.as_ref().map(|_| "***"))
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
        name: "VAULT_API_TOKEN",
        default: "(unset: the API is open to whoever reaches VAULT_BIND)",
        help: "Shared secret for the REST API (Authorization: Bearer or X-Api-Key), at least 16 characters. Set it whenever VAULT_BIND is not loopback.",
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
        let api_token = get("VAULT_API_TOKEN").map(|t| t.trim().to_owned());
        if let Some(token) = &api_token
            && token.len() < 16
        {
            return Err(ConfigError {
                variable: "VAULT_API_TOKEN",
                value: "***".into(),
                reason: format!("use at least 16 characters (got {})", token.len()),
            });
        }
        let max_upload_mb: u64 = parse_number(&get, "VAULT_MAX_UPLOAD_MB", 1024, 1..=1_048_576)?;
        let ingest_concurrency = parse_number(&get, "VAULT_INGEST_CONCURRENCY", 2, 1..=64)?;
        let blob_gc_grace_hours = parse_number(&get, "VAULT_BLOB_GC_GRACE_HOURS", 24, 1..=8760)?;
        let maintenance_interval_minutes =
            parse_number(&get, "VAULT_MAINTENANCE_INTERVAL_MINUTES", 60, 1..=10_080)?;

        Ok(Self {
            data_dir,
            bind,
            database_url,
            log,
            site_dir,
            trash_retention_days,
            api_token,
            max_upload_bytes: max_upload_mb * 1024 * 1024,
            ingest_concurrency,
            blob_gc_grace_hours,
            maintenance_interval_minutes,
        })
    }

    /// The database engine `database_url` points at.
    pub fn database_kind(&self) -> DatabaseKind {
        database_kind_of(&self.database_url).unwrap_or(DatabaseKind::Sqlite)
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
