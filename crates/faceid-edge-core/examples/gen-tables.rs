//! Writes the files generated from the core's tables (the TypeScript unions,
//! the README's table of error codes, the tables as JSON for the JavaScript
//! tests). `cargo test` fails while one is out of date.
//!
//! `cargo run -p faceid-edge-core --example gen-tables` writes them;
//! `… -- --check` only says which are out of date (exit status 1).

#[path = "../tests/tables/render.rs"]
mod render;

use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = render::root();
    let files = match render::files(&root) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("gen-tables: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stale = 0;
    for (path, text) in files {
        let full = root.join(path);
        if std::fs::read_to_string(&full).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        stale += 1;
        if check {
            eprintln!("{path} is out of date");
        } else if let Err(e) = std::fs::write(&full, text) {
            eprintln!("gen-tables: {path}: {e}");
            return ExitCode::FAILURE;
        } else {
            println!("wrote {path}");
        }
    }
    if check && stale > 0 {
        eprintln!("run `{}`", render::COMMAND);
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
