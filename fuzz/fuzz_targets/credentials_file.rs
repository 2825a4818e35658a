//! The credentials files' parser: anything it accepts survives a rewrite unchanged, a
//! change to one API's login leaves every other API's as it was, and credentials.json
//! (what the Node CLI reads) never holds another API's login.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skytells_auth::skytells::{ApiOrigin, Credentials};
use skytells_auth::Secret;

/// What the store would write, read back.
fn reread(credentials: &Credentials) -> Credentials {
    let reread = Credentials::from_files(&credentials.to_bytes(), credentials.origins_file_bytes().as_deref())
        .expect("what we write, we read");
    let node_view = Credentials::parse(&credentials.to_bytes()).expect("what we write, we read");
    assert!(node_view.logged_in_origins().iter().all(ApiOrigin::is_default), "another API's login in credentials.json");
    reread
}

fuzz_target!(|bytes: &[u8]| {
    // The first half as credentials.json, the rest as the origins file.
    let (main, origins) = bytes.split_at(bytes.len() / 2);
    let Ok(credentials) = Credentials::from_files(main, Some(origins)).or_else(|_| Credentials::parse(bytes)) else {
        return;
    };
    let reparsed = reread(&credentials);
    assert_eq!(reparsed, credentials);
    let mut changed = reparsed;
    changed.set_access_key(&Secret::new("sk_proj_fuzz"), 1);
    changed.clear_login();
    reread(&changed);

    let fuzzed = ApiOrigin::parse("https://fuzz.example").expect("an origin");
    let others = credentials.logged_in_origins();
    let mut changed = credentials.clone();
    changed.set_token_for(&fuzzed, &Secret::new("sk_pat_fuzz"), &[], 1);
    let after = reread(&changed);
    assert_eq!(after.login_for(&fuzzed).token.map(|token| token.expose().to_owned()).as_deref(), Some("sk_pat_fuzz"));
    for origin in others.iter().filter(|origin| **origin != fuzzed) {
        assert_eq!(after.login_for(origin), credentials.login_for(origin), "{origin} changed");
    }
    changed.clear_login_for(&fuzzed);
    reread(&changed);
});
