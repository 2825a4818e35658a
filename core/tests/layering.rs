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
