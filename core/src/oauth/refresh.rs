//! A new access token for a refresh token (RFC 6749 §6).

use super::dialect::{form_post, malformed};
use super::error::RequestError;
use super::exchange::Exchange;
use super::wire;
use crate::{DeviceClient, Moment, Secret, TokenGrant, Transmit};

/// Exchanges a refresh token for a new grant, authenticating as the client did for the
/// device flow. The answer may carry a new refresh token; when it does not, the old one
/// stays usable (RFC 6749 §6).
///
/// ```
/// use skytells_auth::{DeviceClient, Exchange, Moment, Refresh, Secret};
/// let client = DeviceClient::new("https://x.test/device", "https://x.test/token", "my-cli")?;
/// let refresh_token = Secret::new("rt-1");
/// let refresh = Refresh::new(&client, &refresh_token, Moment::ZERO);
/// let sent = refresh.transmit()?;
/// assert_eq!(sent.request.body(), b"client_id=my-cli&grant_type=refresh_token&refresh_token=rt-1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Refresh<'a> {
    client: &'a DeviceClient,
    refresh_token: &'a Secret,
    sent_at: Moment,
    scope: Option<String>,
}

impl<'a> Refresh<'a> {
    /// A refresh sent at `sent_at` on the caller's clock (the new grant's `expires_at`
    /// counts from there).
    pub fn new(client: &'a DeviceClient, refresh_token: &'a Secret, sent_at: Moment) -> Self {
        Refresh { client, refresh_token, sent_at, scope: None }
    }

    /// Asks for fewer scopes than were granted.
    pub fn with_scopes<S: AsRef<str>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scope = Some(scopes.into_iter().map(|scope| scope.as_ref().to_owned()).collect::<Vec<_>>().join(" "));
        self
    }
}

impl Exchange for Refresh<'_> {
    type Output = TokenGrant;
    type Error = RequestError;

    fn transmit(&self) -> Result<Transmit, RequestError> {
        let mut fields = vec![("grant_type", "refresh_token"), ("refresh_token", self.refresh_token.expose())];
        if let Some(scope) = &self.scope {
            fields.push(("scope", scope));
        }
        fields.extend(self.client.token_params());
        form_post(self.client, self.client.token_endpoint(), fields)
    }

    fn interpret(&self, response: http::Response<Vec<u8>>) -> Result<TokenGrant, RequestError> {
        if !response.status().is_success() {
            return Err(wire::standard_failure(&response));
        }
        let object = wire::parse_object(&response).map_err(|problem| malformed(&response, problem))?;
        if let Some(error) = wire::oauth_error(&object) {
            return Err(RequestError::OAuth { status: response.status().as_u16(), error });
        }
        TokenGrant::from_object(&object, self.sent_at).map_err(|problem| malformed(&response, problem))
    }
}
