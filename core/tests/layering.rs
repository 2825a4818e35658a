//! The generic OAuth part of the core knows nothing of the Skytells profile: the
//! dependency points one way, from `skytells/` to the rest.

use std::path::Path;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_generic_part_never_uses_the_skytells_profile() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let generic: Vec<_> = sources(&src).into_iter().filter(|path| !path.starts_with(src.join("skytells"))).collect();
    assert!(generic.iter().any(|path| path.ends_with("oauth/flow/mod.rs")), "{generic:?}");
    for path in generic {
        let text = std::fs::read_to_string(&path).unwrap();
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let uses_profile =
                code.contains("skytells::") || code.contains("mod skytells") && !path.ends_with("lib.rs");
            assert!(
                !uses_profile,
                "{}:{}: the generic part uses the Skytells profile: {line}",
                path.display(),
                number + 1
            );
        }
    }
}

/// Doc examples compile as written in an embedder's crate, which may not depend on `http`
/// itself: each example that names `http::` imports it from `skytells_auth` (doctests
/// would compile without the import, since the core depends on `http`).
#[test]
fn doc_examples_take_http_from_the_core() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = sources(&root.join("src"));
    files.extend(sources(&root.join("examples")));
    let mut checked = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let is_example = path.starts_with(root.join("examples"));
        // An example program is one block; doc comments hold blocks between ``` fences.
        let mut blocks: Vec<(usize, Vec<&str>)> = Vec::new();
        let mut open: Option<(usize, Vec<&str>)> = is_example.then(|| (1, Vec::new()));
        for (number, line) in text.lines().enumerate() {
            if is_example {
                open.as_mut().unwrap().1.push(line);
                continue;
            }
            let trimmed = line.trim_start();
            let Some(doc) = trimmed.strip_prefix("///").or_else(|| trimmed.strip_prefix("//!")) else { continue };
            let doc = doc.strip_prefix(' ').unwrap_or(doc);
            if doc.starts_with("```") {
                match open.take() {
                    Some(block) => blocks.push(block),
                    None if doc == "```" || doc.starts_with("```rust") || doc.starts_with("```no_run") => {
                        open = Some((number + 1, Vec::new()))
                    }
                    None => open = Some((number + 1, vec!["// not Rust"])),
                }
            } else if let Some((_, lines)) = open.as_mut() {
                lines.push(doc);
            }
        }
        blocks.extend(open.filter(|_| is_example));
        for (start, lines) in blocks {
            let names_http = lines.iter().any(|line| {
                let code = line.trim_start_matches('#').split("//").next().unwrap_or_default();
                code.contains("http::") && !code.contains("skytells_auth::http::")
            });
            let imports_http = lines.iter().any(|line| {
                let code = line.trim_start_matches('#').trim();
                code.starts_with("use skytells_auth::") && code.contains("http")
                    || code.starts_with("http,")
                    || code.contains(" http,")
                    || code.contains("{http,")
            });
            if names_http {
                checked += 1;
                assert!(
                    imports_http,
                    "{}:{start}: an example names http:: without `use skytells_auth::http`",
                    path.display()
                );
            }
        }
    }
    assert!(checked >= 3, "only {checked} examples name http::");
}
