//! The files generated from the core's tables: the TypeScript unions
//! (`src/wasm/ts/tables.d.ts`), the README's table of error codes, and the
//! tables as JSON for the JavaScript tests (`tests/js/fixtures/tables.json`).
//! Written by `cargo run -p faceid-edge-core --example gen-tables`; the test
//! `tests/generated.rs` fails when one is out of date.

use std::fs;
use std::path::{Path, PathBuf};

use faceid_edge_core::edge::{mask, routes, Trim};
use faceid_edge_core::endpoints::{Files, Host, Kind, Method, ENDPOINTS};
use faceid_edge_core::error::{Error, CODE_DOCS};
use faceid_edge_core::order_token::TokenKind;
use serde_json::{json, Value};

/// The command that writes the generated files.
pub const COMMAND: &str = "cargo run -p faceid-edge-core --example gen-tables";

/// The line before the README's generated table.
const README_START: &str = "<!-- The table of codes is generated from crates/faceid-edge-core/src/error/codes.rs by `cargo run -p faceid-edge-core --example gen-tables`: edit it there. -->";
/// The line after it.
const README_END: &str = "<!-- End of the generated table of codes. -->";

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every generated file: its path under `root` and what it should hold.
/// The README's text around the table is read from the file at `root`.
pub fn files(root: &Path) -> Result<Vec<(&'static str, String)>, String> {
    let readme =
        fs::read_to_string(root.join("README.md")).map_err(|e| format!("README.md: {e}"))?;
    Ok(vec![
        ("src/wasm/ts/tables.d.ts", typescript()),
        ("README.md", readme_with_table(&readme)?),
        ("tests/js/fixtures/tables.json", json_tables()),
    ])
}

/// A TypeScript union of string literals, one member a line.
fn union(doc: &str, name: &str, members: impl IntoIterator<Item = &'static str>) -> String {
    let mut out = format!("/** {doc} */\nexport type {name} =");
    for m in members {
        out.push_str(&format!("\n  | \"{m}\""));
    }
    out.push_str(";\n");
    out
}

/// `src/wasm/ts/tables.d.ts`.
pub fn typescript() -> String {
    [
        format!(
            "// Generated from the core's tables (crates/faceid-edge-core/src/error/codes.rs, endpoints/rows.rs and\n\
             // edge.rs) by `{COMMAND}`: edit them there. `cargo test` fails when this file is out of date.\n\
             // Part of faceid_edge.d.ts (src/wasm/types.rs includes it; wasm-bindgen merges the parts).\n"
        ),
        union(
            "Every `code` a `FaceIdError` can carry in this version.",
            "FaceIdErrorCode",
            Error::CODES.iter().copied(),
        ),
        union(
            "The request kinds of `signedRequest`.",
            "RequestKind",
            Kind::ALL.iter().map(|k| k.name()),
        ),
        union(
            "A route's name, as the `rateLimit` hook sees it.",
            "EdgeRoute",
            routes().map(|r| r.name),
        ),
        union(
            "What a page may read of an order.",
            "OrderKind",
            TokenKind::rows().map(|t| t.name),
        ),
    ]
    .join("\n")
}

/// The README's table of error codes, between its two marker lines.
pub fn readme_table() -> String {
    let mut out = format!("{README_START}\n\n| code | when |\n|---|---|\n");
    for doc in CODE_DOCS {
        out.push_str(&format!("| `{}` | {} |\n", doc.code, doc.when));
    }
    out.push('\n');
    out.push_str(README_END);
    out
}

/// `readme` with its table of error codes replaced by [`readme_table`].
pub fn readme_with_table(readme: &str) -> Result<String, String> {
    let start = readme
        .find(README_START)
        .ok_or_else(|| format!("README.md: no line {README_START}"))?;
    let end = readme[start..]
        .find(README_END)
        .map(|i| start + i + README_END.len())
        .ok_or_else(|| format!("README.md: no line {README_END} after the table"))?;
    Ok(format!(
        "{}{}{}",
        &readme[..start],
        readme_table(),
        &readme[end..]
    ))
}

fn method(m: Method) -> &'static str {
    m.as_str()
}

fn host(h: Host) -> &'static str {
    match h {
        Host::Server => "server",
        Host::Kyc => "kyc",
    }
}

fn files_name(f: Files) -> &'static str {
    match f {
        Files::None => "none",
        Files::Face => "face",
        Files::Images => "images",
    }
}

fn trim_name(t: Trim) -> &'static str {
    match t {
        Trim::Keep => "keep",
        Trim::MaskName => "maskName",
        Trim::MaskId => "maskId",
        Trim::MaskCard => "maskCard",
        Trim::Drop => "drop",
    }
}

/// `tests/js/fixtures/tables.json`: the tables for the JavaScript tests.
pub fn json_tables() -> String {
    let endpoints: Vec<Value> = ENDPOINTS
        .iter()
        .map(|e| {
            json!({
                "name": e.name,
                "requestKind": e.request_kind,
                "path": e.path,
                "method": method(e.method),
                "host": host(e.host),
                "appIdParam": e.app_id_param,
                "files": files_name(e.files),
                "media": e.media,
                "trim": e.trim.iter().map(|(f, t)| json!([f, trim_name(*t)])).collect::<Vec<_>>(),
                "token": e.token.map(|t| t.name),
                "route": e.route.map(|r| r.name),
            })
        })
        .collect();
    let routes: Vec<Value> = routes()
        .map(|r| json!({ "name": r.name, "path": r.path, "method": method(r.method) }))
        .collect();
    // What each masking rule makes of a few values (edge::mask), for the
    // plain-JavaScript trimming of the benchmark to be held to.
    let samples = [
        "",
        "王",
        "张三丰",
        "123456",
        "1234567",
        "12345678",
        "123456789",
        "11010519491231002X",
        "6222020200112233445",
    ];
    let masks: Vec<Value> = [Trim::MaskName, Trim::MaskId, Trim::MaskCard]
        .into_iter()
        .map(|rule| {
            let pairs: Vec<Value> = samples.iter().map(|v| json!([v, mask(rule, v)])).collect();
            json!({ "rule": trim_name(rule), "examples": pairs })
        })
        .collect();
    let tables = json!({
        "generatedBy": format!("{COMMAND} (from crates/faceid-edge-core): do not edit"),
        "errorCodes": Error::CODES,
        "endpoints": endpoints,
        "routes": routes,
        "masks": masks,
    });
    let mut text = serde_json::to_string_pretty(&tables).unwrap_or_default();
    text.push('\n');
    text
}
