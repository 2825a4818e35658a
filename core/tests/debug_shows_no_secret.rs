//! `{:?}` and `{:#?}` of every public type that can hold a secret show none of it: not
//! the whole secret, and not a run of it long enough to recognise.

use skytells_auth::skytells::{
    resolve_credentials, AccessKey, ApiBase, ApiConfig, Credentials, EnvSnapshot, FetchIdentity, PersonalAccessToken,
    StoredLogin, VerifyAccessKey, VerifyToken,
};
use skytells_auth::{
    ClientAuth, DeviceClient, DeviceFlow, Exchange, FlowEvent, Moment, Outcome, Output, Refresh, Secret, TokenGrant,
};

const CLIENT_SECRET: &str = "cs-Q7vXw2Lp9ZtR4mKd";
const ASSERTION: &str = "eyJhbGciOiJSUzI1NiJ9.Qz7pLm3VxKw8";
const DEVICE_CODE: &str = "dc-Hn8Yb5Vc3Xs1Jq6W";
const ACCESS_TOKEN: &str = "at-Pf4Gd9Rk2Lm7Ns0T";
const REFRESH_TOKEN: &str = "rt-Wz3Kc8Vb1Qx5Hy9J";
const ID_TOKEN: &str = "eyJ0eXAiOiJKV1QifQ.Rb5mWq2Zc9Ty";
const NESTED_TOKEN: &str = "nt-Uj6Bn2Mf8Ld4Ks0P";
const PERSONAL_TOKEN: &str = "sk_pat_a4c123b1612dd272d1371c17149d439536b3216fdaeeb975729fae923d5a4fd1";
const ACCESS_KEY: &str = "sk_proj_Zx9Wv8Ut7Sr6Qp5";

/// Runs of this many characters of a secret are what a reader could recognise it by.
const RECOGNISABLE: usize = 4;

/// What `shown` gives away of `secret`: a run of [`RECOGNISABLE`] characters, past
/// a public `sk_pat_`/`sk_proj_` prefix and the four characters allowed after it.
fn leaks<'a>(shown: &str, secret: &'a str) -> Option<&'a str> {
    let shown_freely =
        ["sk_pat_", "sk_proj_"].iter().find(|prefix| secret.starts_with(*prefix)).map_or(0, |prefix| prefix.len() + 4);
    let hidden = &secret[shown_freely..];
    (0..=hidden.len().saturating_sub(RECOGNISABLE))
        .map(|start| &hidden[start..(start + RECOGNISABLE).min(hidden.len())])
        .find(|window| shown.contains(window))
}

fn assert_shows_no_secret(what: &str, value: &dyn std::fmt::Debug) {
    let basic = "Basic ";
    for shown in [format!("{value:?}"), format!("{value:#?}")] {
        for secret in [CLIENT_SECRET, ASSERTION, DEVICE_CODE, ACCESS_TOKEN, REFRESH_TOKEN, ID_TOKEN, NESTED_TOKEN]
            .into_iter()
            .chain([PERSONAL_TOKEN, ACCESS_KEY])
        {
            assert_eq!(leaks(&shown, secret), None, "{what} shows part of {secret}: {shown}");
        }
        assert!(!shown.contains(basic), "{what} shows an Authorization header: {shown}");
    }
}

fn answer(status: u16, body: &str) -> Result<http::Response<Vec<u8>>, skytells_auth::TransportError> {
    Ok(http::Response::builder().status(status).body(body.as_bytes().to_vec()).unwrap())
}

fn client(auth: ClientAuth) -> DeviceClient {
    DeviceClient::new("https://id.test/device", "https://id.test/token", "my-cli")
        .unwrap()
        .with_auth(auth)
        .with_param("client_assertion", ASSERTION)
}

#[test]
fn no_public_type_shows_a_secret_in_debug() {
    for auth in
        [ClientAuth::SecretPost(Secret::new(CLIENT_SECRET)), ClientAuth::SecretBasic(Secret::new(CLIENT_SECRET))]
    {
        assert_shows_no_secret("ClientAuth", &auth);
        let client = client(auth);
        assert_shows_no_secret("DeviceClient", &client);

        let mut flow = DeviceFlow::new(client.clone(), ["openid"]);
        let device_request = flow.poll_output(Moment::ZERO);
        assert!(matches!(device_request, Output::Transmit(_)));
        assert_shows_no_secret("Output::Transmit (device authorization)", &device_request);
        let issued = format!(
            r#"{{"device_code":"{DEVICE_CODE}","user_code":"ABCD-1234","verification_uri":"https://id.test/a","interval":5}}"#
        );
        flow.handle_result(Moment::ZERO, answer(200, &issued)).unwrap();
        assert_shows_no_secret("DeviceFlow (polling)", &flow);
        let Output::Event(FlowEvent::CodeIssued(_)) = flow.poll_output(Moment::ZERO) else { panic!("code issued") };

        let now = Moment::from_secs(5);
        let Output::Transmit(poll) = flow.poll_output(now) else { panic!("a poll is due") };
        assert_shows_no_secret("Transmit (token poll)", &poll);
        let granted = format!(
            r#"{{"access_token":"{ACCESS_TOKEN}","refresh_token":"{REFRESH_TOKEN}","id_token":"{ID_TOKEN}",
                "expires_in":60,"issued_token":{{"token":"{NESTED_TOKEN}"}}}}"#
        );
        flow.handle_result(now, answer(200, &granted)).unwrap();
        assert_shows_no_secret("DeviceFlow (finished)", &flow);
        let Output::Done(outcome) = flow.poll_output(now) else { panic!("done") };
        assert_shows_no_secret("Outcome", &outcome);
        let Outcome::Authorized(grant) = outcome else { panic!("authorized") };
        assert_shows_no_secret("TokenGrant", &grant);
        assert_eq!(grant.extra.len(), 1, "the nested token is kept, only not shown");

        let refresh_token: &Secret = grant.refresh_token.as_ref().unwrap();
        let refresh = Refresh::new(&client, refresh_token, now);
        assert_shows_no_secret("Refresh", &refresh);
        assert_shows_no_secret("Transmit (refresh)", &refresh.transmit().unwrap());
        let grant: TokenGrant = refresh.interpret(answer(200, &granted).unwrap()).unwrap();
        assert_shows_no_secret("TokenGrant (refreshed)", &grant);
    }
}

#[test]
fn the_skytells_profile_shows_no_secret_in_debug() {
    let config = ApiConfig::new(ApiBase::parse("https://api.test").unwrap());
    let token = PersonalAccessToken::parse(PERSONAL_TOKEN).unwrap();
    let key = AccessKey::parse(ACCESS_KEY).unwrap();
    assert_shows_no_secret("PersonalAccessToken", &token);
    assert_shows_no_secret("AccessKey", &key);
    let verify = VerifyToken { config: &config, token: token.secret() };
    assert_shows_no_secret("VerifyToken", &verify);
    assert_shows_no_secret("Transmit (bearer)", &verify.transmit().unwrap());
    let identity = FetchIdentity { config: &config, token: token.secret() };
    assert_shows_no_secret("FetchIdentity", &identity);
    let verify_key = VerifyAccessKey { config: &config, access_key: key.secret() };
    assert_shows_no_secret("VerifyAccessKey", &verify_key);
    assert_shows_no_secret("Transmit (access key)", &verify_key.transmit().unwrap());
    let file = format!(r#"{{"token":"{PERSONAL_TOKEN}","access_key":"{ACCESS_KEY}","api_key":"{NESTED_TOKEN}"}}"#);
    let others = format!(r#"{{"https://api.test":{{"token":"{PERSONAL_TOKEN}","future":"{REFRESH_TOKEN}"}}}}"#);
    let credentials = Credentials::from_files(file.as_bytes(), Some(others.as_bytes())).unwrap();
    assert_shows_no_secret("Credentials", &credentials);
    let stored: StoredLogin = credentials.login_for(&ApiBase::default().origin());
    assert!(stored.token.is_some() && stored.access_key.is_some());
    assert_shows_no_secret("StoredLogin", &stored);
    let env = EnvSnapshot::from_pairs([("SKYTELLS_TOKEN", PERSONAL_TOKEN), ("SKYTELLS_ACCESS_KEY", ACCESS_KEY)]);
    assert_shows_no_secret("EnvSnapshot", &env);
    let resolved = resolve_credentials(&env, Some(&credentials), &config.base);
    assert_shows_no_secret("Resolved", &resolved);
    let device = config.device_client();
    assert_shows_no_secret("DeviceClient (Skytells)", &device);
}
