//! What `scripts/package.sh` cannot see from inside one crate: files that each published
//! crate carries a copy of, because cargo packages nothing outside a crate's folder.

use std::path::{Path, PathBuf};

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

const LIBRARY_CRATES: [&str; 5] = ["core", "tls", "io-blocking", "io-tokio", "store"];

/// Each library crate ships both licences, the same texts as the workspace's (links on
/// a checkout with symbolic links, whose targets cargo packages; a checkout without them
/// has text files naming the target instead, which this catches).
#[test]
fn every_library_crate_ships_the_workspace_licences() {
    for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
        let expected = read(&root().join(licence));
        for krate in LIBRARY_CRATES {
            let path = root().join(krate).join(licence);
            assert!(read(&path) == expected, "{} differs from the workspace's {licence}", path.display());
        }
    }
}

/// Both drivers' `device_login` examples keep one command line: the two copies of its
/// module (one per published crate) are the same file.
#[test]
fn both_device_login_examples_share_one_command_line() {
    let [blocking, tokio] =
        ["io-blocking", "io-tokio"].map(|krate| root().join(krate).join("examples/shared/device_login_cli.rs"));
    assert!(read(&blocking) == read(&tokio), "{} and {} differ", blocking.display(), tokio.display());
}

/// Each library crate names its README, which exists.
#[test]
fn every_library_crate_has_a_readme() {
    for krate in LIBRARY_CRATES {
        let manifest = String::from_utf8(read(&root().join(krate).join("Cargo.toml"))).unwrap();
        assert!(manifest.contains("readme = \"README.md\""), "{krate}/Cargo.toml names no README");
        assert!(root().join(krate).join("README.md").is_file(), "{krate}/README.md is missing");
    }
}
