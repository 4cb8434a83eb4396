//! Sign-in rate limits per account and per client address (governor's GCRA),
//! so a guessed password costs the guesser minutes, not the server.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::backend::config::AuthSettings;
use crate::backend::error::ServiceError;

/// The two keyed limiters used by sign-in.
pub struct LoginLimiter {
    per_account: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginLimiter")
    }
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl LoginLimiter {
    /// Limiters with the configured attempts per minute (bursts of that size).
    pub fn new(settings: &AuthSettings) -> Self {
        Self {
            per_account: RateLimiter::keyed(per_minute(settings.login_per_account_per_minute)),
            per_ip: RateLimiter::keyed(per_minute(settings.login_per_ip_per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one attempt for `username` from `ip`, or says how long to wait.
    pub fn check(&self, username: &str, ip: &str) -> Result<(), ServiceError> {
        let wait = |not_until: governor::NotUntil<_>| {
            let seconds = not_until.wait_time_from(self.clock.now()).as_secs_f64();
            ServiceError::RateLimited {
                retry_after_s: seconds.ceil().max(1.0) as u64,
            }
        };
        self.per_ip.check_key(&ip.to_owned()).map_err(wait)?;
        self.per_account
            .check_key(&username.trim().to_lowercase())
            .map_err(wait)?;
        // Keys of idle accounts/addresses are dropped now and then.
        if self.per_ip.len() > 10_000 {
            self.per_ip.retain_recent();
        }
        if self.per_account.len() > 10_000 {
            self.per_account.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_limit_stops_the_sixth_attempt_and_says_how_long() {
        let mut settings = crate::backend::config::Settings::from_lookup(|_| None)
            .expect("defaults")
            .auth;
        settings.login_per_account_per_minute = 5;
        let limiter = LoginLimiter::new(&settings);
        for _ in 0..5 {
            limiter
                .check("Alice", "10.0.0.1")
                .expect("within the limit");
        }
        match limiter.check("alice", "10.0.0.2") {
            Err(ServiceError::RateLimited { retry_after_s }) => {
                assert!((1..=12).contains(&retry_after_s), "{retry_after_s}")
            }
            other => panic!("expected a rate limit, got {other:?}"),
        }
        limiter
            .check("bob", "10.0.0.1")
            .expect("another account is not limited");
    }
}
