//! Property tests of the credentials file and of flag › environment › file precedence.

use proptest::prelude::*;
use serde_json::{Map, Value};
use skytells_auth::skytells::{resolve_credentials, Credentials, EnvSnapshot, Source};
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
                if !["token", "access_key", "created_at", "scopes"].contains(&name.as_str()) {
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
        let resolved = resolve_credentials(&env_snapshot, file.as_ref());
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
