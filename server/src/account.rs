//! `server reset-admin USERNAME`: account recovery when every admin is
//! locked out. Reads the new password from standard input (never from the
//! command line, where other users could see it), makes USERNAME an enabled
//! admin with it, and ends their sessions.

use std::io::BufRead;

use anyhow::Context;
use app::backend::config::Settings;

const USAGE: &str =
    "usage: server reset-admin USERNAME   (the new password is read from standard input)";

/// Runs the command; the process exit code.
pub fn run(args: &[String]) -> i32 {
    let [username] = args else {
        eprintln!("{USAGE}");
        return 2;
    };
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("printstash reset-admin: cannot start: {err}");
            return 2;
        }
    };
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        // A terminal would echo the password; make the caller pipe it in.
        eprintln!(
            "printstash reset-admin: pipe the new password in, e.g.\n  read -rs PW && printf '%s\\n' \"$PW\" | server reset-admin {username}"
        );
        return 2;
    }
    let mut password = String::new();
    if let Err(err) = std::io::stdin().lock().read_line(&mut password) {
        eprintln!("printstash reset-admin: cannot read the password: {err}");
        return 1;
    }
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    crate::telemetry::init(&settings.log);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("printstash reset-admin: cannot start the runtime: {err}");
            return 1;
        }
    };
    let outcome = runtime.block_on(async {
        let state = crate::boot::build_state(settings)
            .await
            .context("booting PrintStash")?;
        app::backend::auth::users::recover_admin(&state, username, &password)
            .await
            .map_err(|err| anyhow::anyhow!("{}", app::error::AppError::from(err)))
    });
    match outcome {
        Ok(user) => {
            eprintln!(
                "printstash reset-admin: {} is an enabled admin with the new password; their sessions ended",
                user.username
            );
            0
        }
        Err(err) => {
            eprintln!("printstash reset-admin: {err:#}");
            1
        }
    }
}
