//! Property tests of the credentials file and of flag › environment › file precedence.

use proptest::prelude::*;
use serde_json::{Map, Value};
use skytells_auth::skytells::{resolve_credentials, ApiBase, ApiOrigin, Credentials, EnvSnapshot, Source};
use skytells_auth::Secret;

fn credential_text() -> impl Strategy<Value = String> {
    "[!-~]{1,40}"
}

/// JSON values the Node CLI (or a future one) might have put in fields we do not know.
fn unknown_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn credentials_file() -> impl Strategy<Value = Map<String, Value>> {
    (
        prop::option::of(credential_text()),
        prop::option::of(credential_text()),
        prop::option::of(any::<u64>()),
        prop::collection::btree_map("[a-z_]{1,10}", unknown_value(), 0..5),
    )
        .prop_map(|(token, access_key, created_at, unknown)| {
            let mut fields = Map::new();
            for (name, value) in unknown {
                if !["token", "access_key", "created_at", "scopes", "origins"].contains(&name.as_str()) {
                    fields.insert(name, value);
                }
            }
            if let Some(token) = token {
                fields.insert("token".into(), token.into());
            }
            if let Some(key) = access_key {
                fields.insert("access_key".into(), key.into());
            }
            if let Some(created_at) = created_at {
                fields.insert("created_at".into(), created_at.into());
            }
            fields
        })
}

fn unknown_fields(fields: &Map<String, Value>) -> Vec<(String, Value)> {
    fields
        .iter()
        .filter(|(name, _)| !["token", "access_key", "created_at", "scopes"].contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

#[derive(Debug, Clone)]
enum Rewrite {
    Login(String, Vec<String>, u64),
    Link(String, u64),
    Logout,
}

fn rewrite() -> impl Strategy<Value = Rewrite> {
    prop_oneof![
        (credential_text(), prop::collection::vec("[a-z.]{1,12}", 0..4), any::<u64>())
            .prop_map(|(token, scopes, now)| Rewrite::Login(token, scopes, now)),
        (credential_text(), any::<u64>()).prop_map(|(key, now)| Rewrite::Link(key, now)),
        Just(Rewrite::Logout),
    ]
}

proptest! {
    #[test]
    fn serialize_then_parse_is_identity(fields in credentials_file()) {
        let original = Credentials::parse(&serde_json::to_vec(&fields).unwrap()).unwrap();
        let reparsed = Credentials::parse(&original.to_bytes()).unwrap();
        prop_assert_eq!(&reparsed, &original);
        prop_assert_eq!(reparsed.to_bytes(), original.to_bytes());
    }

    #[test]
    fn unknown_fields_survive_any_sequence_of_rewrites(fields in credentials_file(), rewrites in prop::collection::vec(rewrite(), 1..6)) {
        let mut credentials = Credentials::parse(&serde_json::to_vec(&fields).unwrap()).unwrap();
        for step in &rewrites {
            match step {
                Rewrite::Login(token, scopes, now) => credentials.set_token(&Secret::new(token.clone()), scopes, *now),
                Rewrite::Link(key, now) => credentials.set_access_key(&Secret::new(key.clone()), *now),
                Rewrite::Logout => credentials.clear_login(),
            }
            credentials = Credentials::parse(&credentials.to_bytes()).unwrap();
        }
        let written: Map<String, Value> = serde_json::from_slice(&credentials.to_bytes()).unwrap();
        prop_assert_eq!(unknown_fields(&written), unknown_fields(&fields));
        match rewrites.last().unwrap() {
            Rewrite::Login(token, _, now) => {
                prop_assert_eq!(credentials.token().unwrap().expose().to_owned(), token.clone());
                prop_assert_eq!(credentials.created_at(), Some(*now));
            }
            Rewrite::Link(key, _) => prop_assert_eq!(credentials.access_key().unwrap().expose().to_owned(), key.clone()),
            Rewrite::Logout => {
                prop_assert!(credentials.token().is_none() && credentials.access_key().is_none());
            }
        }
    }

    #[test]
    fn precedence_is_environment_then_file_with_empty_meaning_unset(
        env in prop::option::of(prop_oneof![
            Just(String::new()),
            Just(" \n".to_owned()),
            credential_text(),
            credential_text().prop_map(|text| format!(" {text}\n")),
        ]),
        stored in prop::option::of(prop_oneof![Just(String::new()), credential_text()]),
        for_access_key in any::<bool>(),
    ) {
        let (field, var) = if for_access_key { ("access_key", "SKYTELLS_ACCESS_KEY") } else { ("token", "SKYTELLS_TOKEN") };
        let env_snapshot = EnvSnapshot::from_pairs(env.iter().map(|value| (var, value.as_str())));
        let file = stored.as_ref().map(|value| {
            Credentials::parse(serde_json::json!({ field: value }).to_string().as_bytes()).unwrap()
        });
        let resolved = resolve_credentials(&env_snapshot, file.as_ref(), &ApiBase::default());
        let chosen = if for_access_key { resolved.access_key } else { resolved.token };
        let non_empty = |value: &Option<String>| value.clone().filter(|text| !text.trim().is_empty() && !text.is_empty());
        let expected = if let Some(value) = env.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            Some((value.to_owned(), Source::Env(var)))
        } else {
            non_empty(&stored).map(|value| (value, Source::File))
        };
        prop_assert_eq!(chosen.map(|sourced| (sourced.value.expose().to_owned(), sourced.source)), expected);
    }
}

/// One change a login, link or logout makes, to one of four origins (0 is the default API).
#[derive(Debug, Clone)]
enum Change {
    Token(usize, String),
    AccessKey(usize, String),
    Clear(usize),
    ClearAll,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (0..4usize, "sk_pat_[a-f0-9]{4}").prop_map(|(origin, token)| Change::Token(origin, token)),
        (0..4usize, "sk_proj_[a-z0-9]{4}").prop_map(|(origin, key)| Change::AccessKey(origin, key)),
        (0..4usize).prop_map(Change::Clear),
        Just(Change::ClearAll),
    ]
}

proptest! {
    /// Whatever logins, links and logouts happen to which origins, each origin reads back
    /// exactly its own (as a map from origin to login would), the top-level fields are
    /// only ever the default API's, the file round-trips, and unknown fields stay.
    #[test]
    fn each_origins_login_is_its_own_and_only_the_default_apis_is_at_the_top(
        changes in prop::collection::vec(change(), 0..24),
    ) {
        let origins: Vec<ApiOrigin> = ["https://console.skytells.ai", "https://staging.example.com", "http://127.0.0.1:8787", "http://[::1]:9"]
            .iter()
            .map(|url| ApiOrigin::parse(url).unwrap())
            .collect();
        let mut credentials = Credentials::parse(br#"{"api_key":"legacy"}"#).unwrap();
        let mut model: Vec<(Option<String>, Option<String>)> = vec![(None, None); origins.len()];
        for change in changes {
            match change {
                Change::Token(at, token) => {
                    credentials.set_token_for(&origins[at], &Secret::new(&token), &[], 1);
                    model[at].0 = Some(token);
                }
                Change::AccessKey(at, key) => {
                    credentials.set_access_key_for(&origins[at], &Secret::new(&key), 1);
                    model[at].1 = Some(key);
                }
                Change::Clear(at) => {
                    credentials.clear_login_for(&origins[at]);
                    model[at] = (None, None);
                }
                Change::ClearAll => {
                    credentials.clear_all_logins();
                    model.iter_mut().for_each(|login| *login = (None, None));
                }
            }
            let reread = Credentials::from_files(&credentials.to_bytes(), credentials.origins_file_bytes().as_deref()).unwrap();
            prop_assert_eq!(&reread, &credentials);
            // credentials.json, what the Node CLI reads, holds the default API's login only.
            let node_view = Credentials::parse(&credentials.to_bytes()).unwrap();
            prop_assert_eq!(node_view.logged_in_origins().iter().all(ApiOrigin::is_default), true);
            for (origin, (token, key)) in origins.iter().zip(&model) {
                let login = reread.login_for(origin);
                prop_assert_eq!(login.token.map(|secret| secret.expose().to_owned()), token.clone());
                prop_assert_eq!(login.access_key.map(|secret| secret.expose().to_owned()), key.clone());
            }
            prop_assert_eq!(reread.token().map(|secret| secret.expose().to_owned()), model[0].0.clone());
            let logged_in: Vec<&ApiOrigin> =
                origins.iter().zip(&model).filter(|(_, (t, k))| t.is_some() || k.is_some()).map(|(o, _)| o).collect();
            let mut listed = reread.logged_in_origins();
            listed.sort();
            let mut expected: Vec<ApiOrigin> = logged_in.into_iter().cloned().collect();
            expected.sort();
            prop_assert_eq!(listed, expected);
            let file: Value = serde_json::from_slice(&credentials.to_bytes()).unwrap();
            prop_assert_eq!(&file["api_key"], "legacy");
        }
    }
}
