//! OAuth apps that act for a user: web (code + client secret), PKCE and device code.

use serde_json::json;

use super::endpoints::Endpoints;
use super::pkce::{PkceChallenge, PkceVerifier};
use super::request::OAuthRequest;
use super::tokens::DeviceCode;
use crate::secret::Secret;

/// The device-code grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// An OAuth app that gets user tokens: a PKCE or device app (public client, no secret) or a
/// web app (confidential client with a secret).
///
/// Every method builds an [`OAuthRequest`] or a URL without touching the network; send a
/// request with [`OAuthRequest::send_token`] / [`OAuthRequest::send_device_code`], or use
/// [`device_login`](super::device_login) for the whole device flow.
///
/// # Security
///
/// The client secret is a [`Secret`]; `Debug` prints `[redacted]`.
#[derive(Debug, Clone)]
pub struct OAuthApp {
    client_id: String,
    client_secret: Option<Secret>,
    endpoints: Endpoints,
}

impl OAuthApp {
    /// A public client (PKCE or device app) on `https://api.coze.com`.
    pub fn new(client_id: impl Into<String>) -> Self {
        OAuthApp {
            client_id: client_id.into(),
            client_secret: None,
            endpoints: Endpoints::default(),
        }
    }

    /// A web app: the client secret authenticates the code exchange and refreshes.
    pub fn web(client_id: impl Into<String>, client_secret: Secret) -> Self {
        OAuthApp::new(client_id).with_client_secret(client_secret)
    }

    /// Sets the client secret (web apps).
    pub fn with_client_secret(mut self, client_secret: Secret) -> Self {
        self.client_secret = Some(client_secret);
        self
    }

    /// Uses these endpoints (API base and web base).
    pub fn with_endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = endpoints;
        self
    }

    /// Uses this API base (the web base is derived from it, see [`Endpoints::new`]).
    pub fn with_base_url(self, api_base: &str) -> Self {
        self.with_endpoints(Endpoints::new(api_base))
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// True for a web app (has a client secret).
    pub fn has_client_secret(&self) -> bool {
        self.client_secret.is_some()
    }

    /// Starts building the authorize URL that the user opens in a browser.
    ///
    /// `state` should be unpredictable; check it on the callback before exchanging the code.
    pub fn authorize_url<'a>(&'a self, redirect_uri: &'a str, state: &'a str) -> AuthorizeUrl<'a> {
        AuthorizeUrl {
            app: self,
            redirect_uri,
            state,
            challenge: None,
            workspace_id: None,
        }
    }

    /// The token request for an authorization code from the redirect. Pass the PKCE verifier
    /// for PKCE apps (it is consumed); web apps authenticate with their secret.
    pub fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: Option<PkceVerifier>,
    ) -> OAuthRequest {
        let mut body = json!({
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "code": code,
            "redirect_uri": redirect_uri,
        });
        if let Some(verifier) = verifier {
            body["code_verifier"] = json!(verifier.into_inner());
        }
        OAuthRequest::post(self.endpoints.token(None), self.client_secret.clone(), body)
    }

    /// The token request that trades a refresh token for a new token pair. The old refresh
    /// token stops working once this succeeds (Coze rotates them).
    pub fn refresh(&self, refresh_token: &Secret) -> OAuthRequest {
        let body = json!({
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "refresh_token": refresh_token.expose(),
        });
        OAuthRequest::post(self.endpoints.token(None), self.client_secret.clone(), body)
    }

    /// The device-code request; with a workspace id the token is authorised for that
    /// (team) workspace.
    pub fn device_code(&self, workspace_id: Option<&str>) -> OAuthRequest {
        let body = json!({ "client_id": self.client_id });
        OAuthRequest::post(self.endpoints.device_code(workspace_id), None, body)
    }

    /// One poll of the token endpoint for a device code.
    pub fn poll_device(&self, device: &DeviceCode) -> OAuthRequest {
        let body = json!({
            "grant_type": DEVICE_CODE_GRANT,
            "client_id": self.client_id,
            "device_code": device.device_code.expose(),
        });
        OAuthRequest::post(self.endpoints.token(None), None, body)
    }
}

/// Builder of an authorize URL; see [`OAuthApp::authorize_url`].
#[derive(Debug)]
pub struct AuthorizeUrl<'a> {
    app: &'a OAuthApp,
    redirect_uri: &'a str,
    state: &'a str,
    challenge: Option<PkceChallenge>,
    workspace_id: Option<&'a str>,
}

impl<'a> AuthorizeUrl<'a> {
    /// Adds `code_challenge` and `code_challenge_method` (PKCE apps).
    pub fn pkce(mut self, challenge: PkceChallenge) -> Self {
        self.challenge = Some(challenge);
        self
    }

    /// Uses the workspace-scoped authorize page: the token is authorised for that (team)
    /// workspace.
    pub fn workspace(mut self, workspace_id: &'a str) -> Self {
        self.workspace_id = Some(workspace_id);
        self
    }

    /// The URL, with parameters in the Python SDK's order, form-encoded.
    pub fn build(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.app.client_id)
            .append_pair("redirect_uri", self.redirect_uri)
            .append_pair("state", self.state);
        if let Some(challenge) = &self.challenge {
            query
                .append_pair("code_challenge", challenge.value())
                .append_pair("code_challenge_method", challenge.method().as_str());
        }
        format!(
            "{}?{}",
            self.app.endpoints.authorize(self.workspace_id),
            query.finish()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::pkce::PkceMethod;

    const BASE: &str = "https://www.coze.com/api/permission/oauth2/authorize?response_type=code&client_id=client+id&redirect_uri=https%3A%2F%2Fexample.com&state=state";

    #[test]
    fn authorize_urls_match_the_python_sdk() {
        let app = OAuthApp::new("client id");
        assert_eq!(
            app.authorize_url("https://example.com", "state").build(),
            BASE
        );
        let verifier = PkceVerifier::from_string("code_verifier");
        let url = app
            .authorize_url("https://example.com", "state")
            .pkce(verifier.challenge(PkceMethod::S256))
            .build();
        assert_eq!(
            url,
            format!(
                "{BASE}&code_challenge=73oehA2tBul5grZPhXUGQwNAjxh69zNES8bu2bVD0EM&code_challenge_method=S256"
            )
        );
        let url = app
            .authorize_url("https://example.com", "state")
            .workspace("this_is_id")
            .build();
        assert!(url.starts_with(
            "https://www.coze.com/api/permission/oauth2/workspace_id/this_is_id/authorize?"
        ));
        let custom = OAuthApp::new("c").with_base_url("https://api.example.com");
        assert!(
            custom
                .authorize_url("r", "")
                .build()
                .starts_with("https://api.example.com/api/permission/oauth2/authorize?")
        );
    }

    #[test]
    fn pkce_exchange_has_verifier_and_no_auth() {
        let app = OAuthApp::new("cid").with_base_url("http://127.0.0.1:9");
        let req = app.exchange_code("code_1", "http://cb", Some(PkceVerifier::from_string("v1")));
        assert_eq!(req.url(), "http://127.0.0.1:9/api/permission/oauth2/token");
        assert!(req.bearer().is_none());
        assert_eq!(
            req.body(),
            &json!({"grant_type":"authorization_code","client_id":"cid","code":"code_1",
                    "redirect_uri":"http://cb","code_verifier":"v1"})
        );
    }

    #[test]
    fn web_exchange_and_refresh_use_the_secret() {
        let app = OAuthApp::web("cid", Secret::new("sec"));
        let req = app.exchange_code("c", "http://cb", None);
        assert_eq!(req.bearer().map(Secret::expose), Some("sec"));
        assert!(req.body().get("code_verifier").is_none());
        assert!(
            req.headers()
                .contains(&("Authorization", "Bearer sec".to_string()))
        );
        let req = app.refresh(&Secret::new("rt"));
        assert_eq!(
            req.body(),
            &json!({"grant_type":"refresh_token","client_id":"cid","refresh_token":"rt"})
        );
        assert_eq!(req.bearer().map(Secret::expose), Some("sec"));
        assert!(!format!("{app:?}").contains("sec\""));
    }

    #[test]
    fn device_requests() {
        let app = OAuthApp::new("dev");
        let req = app.device_code(Some("ws1"));
        assert_eq!(
            req.url(),
            "https://api.coze.com/api/permission/oauth2/workspace_id/ws1/device/code"
        );
        assert_eq!(req.body(), &json!({"client_id":"dev"}));
        let code = DeviceCode {
            device_code: Secret::new("dc"),
            user_code: "U".into(),
            verification_uri: "v".into(),
            expires_in: 300,
            interval: 5,
        };
        let req = app.poll_device(&code);
        assert_eq!(
            req.body(),
            &json!({"grant_type":DEVICE_CODE_GRANT,"client_id":"dev","device_code":"dc"})
        );
    }
}
