//! Command-line tools on any file, no server needed:
//! `server inspect FILE…` prints one JSON object per file (what the vault
//! would learn from it); `server thumbnail FILE -o OUT.webp [--size WxH]`
//! writes the thumbnail the vault would store. `server seed` (in `seed`)
//! fills the configured vault with synthetic benchmark models;
//! `server reset-admin` (in `account`) recovers a locked-out vault.

use std::io::Write;
use std::path::{Path, PathBuf};

use app::backend::formats::Limits;
use app::backend::formats::inspect::inspect_path;
use app::backend::ingest::analyze::analyze;
use app::backend::thumbs::encode::{encode_png, encode_webp, fit_within};
use app::backend::thumbs::render::RenderOptions;

/// Runs a subcommand if `args` names one; `None` means "start the server".
pub fn run(args: &[String]) -> Option<i32> {
    match args.first().map(String::as_str) {
        Some("inspect") => Some(inspect(&args[1..])),
        Some("thumbnail") => Some(thumbnail(&args[1..])),
        Some("seed") => Some(crate::seed::run(&args[1..])),
        Some("reset-admin") => Some(crate::account::run(&args[1..])),
        Some("-h" | "--help" | "help") => {
            eprintln!("{}", USAGE);
            Some(0)
        }
        Some(other) => {
            eprintln!("printstash: unknown command {other:?}\n\n{USAGE}");
            Some(2)
        }
        None => None,
    }
}

const USAGE: &str = "usage:
  server                                   start PrintStash (settings from VAULT_* variables)
  server inspect FILE...                   print what the vault learns from each file, one JSON object per line
  server thumbnail FILE -o OUT.webp [--size WxH]
                                           write the thumbnail the vault would store (default 640x480;
                                           WebP, or PNG when OUT ends in .png)
  server seed --models N [--seed S]        add N synthetic benchmark models (not real prints; identity_kind
                                           \"seed\") to the vault the VAULT_* settings name; same seed, same models
  server reset-admin USERNAME              make USERNAME an enabled admin with a new password read from
                                           standard input (when every admin is locked out)";

fn inspect(files: &[String]) -> i32 {
    if files.is_empty() {
        eprintln!("printstash inspect: name at least one file\n\n{USAGE}");
        return 2;
    }
    let limits = Limits::default();
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in files {
        let report = inspect_path(Path::new(file), &limits);
        failed |= report.error.is_some();
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.insert("file".into(), serde_json::Value::String(file.clone()));
        }
        if writeln!(out, "{value}").is_err() {
            return 1;
        }
    }
    i32::from(failed)
}

fn parse_size(text: &str) -> Option<(u32, u32)> {
    let (w, h) = text.split_once(['x', 'X'])?;
    let (w, h) = (w.parse().ok()?, h.parse().ok()?);
    (1..=4096).contains(&w).then_some(())?;
    (1..=4096).contains(&h).then_some((w, h))
}

fn thumbnail(args: &[String]) -> i32 {
    let mut input: Option<PathBuf> = None;
    let mut output: Option<PathBuf> = None;
    let mut size = (640, 480);
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "-o" | "--output" => output = iter.next().map(PathBuf::from),
            "--size" => match iter.next().and_then(|s| parse_size(s)) {
                Some(s) => size = s,
                None => {
                    eprintln!(
                        "printstash thumbnail: --size wants WIDTHxHEIGHT, each 1-4096 (e.g. 640x480)"
                    );
                    return 2;
                }
            },
            other if input.is_none() => input = Some(PathBuf::from(other)),
            other => {
                eprintln!("printstash thumbnail: unexpected argument {other:?}\n\n{USAGE}");
                return 2;
            }
        }
    }
    let (Some(input), Some(output)) = (input, output) else {
        eprintln!("printstash thumbnail: need FILE and -o OUT.webp\n\n{USAGE}");
        return 2;
    };
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let render = RenderOptions {
        width: size.0,
        height: size.1,
        ..RenderOptions::default()
    };
    let analysis = analyze(&input, &name, &Limits::default(), &render);
    let Some(image) = analysis.thumbnail else {
        eprintln!(
            "printstash thumbnail: {}: no thumbnail: {}",
            input.display(),
            analysis
                .error
                .as_deref()
                .unwrap_or("the file has no embedded picture and no mesh to render")
        );
        return 1;
    };
    let image = fit_within(&image, size.0, size.1);
    let is_png = output
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("png"));
    let encoded = if is_png {
        encode_png(&image)
    } else {
        encode_webp(&image)
    };
    match encoded
        .map_err(|e| e.to_string())
        .and_then(|bytes| std::fs::write(&output, bytes).map_err(|e| e.to_string()))
    {
        Ok(()) => {
            eprintln!(
                "wrote {} ({}x{})",
                output.display(),
                image.width(),
                image.height()
            );
            0
        }
        Err(err) => {
            eprintln!(
                "printstash thumbnail: cannot write {}: {err}",
                output.display()
            );
            1
        }
    }
}
