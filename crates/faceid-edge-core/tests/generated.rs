//! The drift check: every file generated from the core's tables (see
//! `tables/render.rs`) holds exactly what the tables say today.

// Host only: it reads files, and its dev-dependencies are host-only.
#![cfg(not(target_arch = "wasm32"))]

#[path = "tables/render.rs"]
mod render;

#[test]
fn generated_files_are_up_to_date() {
    let root = render::root();
    // The crate on its own (as published) has none of the repository's files.
    if !root.join("src/wasm/ts").is_dir() {
        eprintln!("not in the faceid-edge repository: nothing to compare");
        return;
    }
    let files = render::files(&root).unwrap_or_else(|e| panic!("{e}"));
    let stale: Vec<&str> = files
        .iter()
        .filter(|(path, text)| {
            std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(text.as_str())
        })
        .map(|(path, _)| *path)
        .collect();
    assert!(
        stale.is_empty(),
        "out of date: {}; run `{}`",
        stale.join(", "),
        render::COMMAND
    );
}

#[test]
fn the_readme_table_is_replaced_between_its_markers_only() {
    let table = render::readme_table();
    let readme = format!("# A\n\n{table}\n\ntext after\n");
    let stale = readme.replace("| `ABORTED` |", "| `ABORTED_` |");
    assert_ne!(stale, readme);
    assert_eq!(render::readme_with_table(&stale), Ok(readme.clone()));
    assert!(render::readme_with_table("# no table\n").is_err());
}

#[test]
fn the_typescript_unions_list_every_member() {
    let ts = render::typescript();
    for code in faceid_edge_core::Error::CODES {
        assert!(ts.contains(&format!("\n  | \"{code}\"")), "{code}");
    }
    for name in ["FaceIdErrorCode", "RequestKind", "EdgeRoute", "OrderKind"] {
        assert_eq!(
            ts.matches(&format!("export type {name} =")).count(),
            1,
            "{name}"
        );
    }
}
