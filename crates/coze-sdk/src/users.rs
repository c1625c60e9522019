//! Users: `client.users()`.

use crate::client::{ApiRequest, Client};
use crate::error::Result;
use crate::types::users::User;

/// User endpoints. Get one with [`Client::users`].
#[derive(Debug, Clone, Copy)]
pub struct UsersApi<'c> {
    client: &'c Client,
}

impl Client {
    /// Users: the account behind the token.
    pub fn users(&self) -> UsersApi<'_> {
        UsersApi { client: self }
    }
}

impl UsersApi<'_> {
    /// The account the token acts for (`GET /v1/users/me`), e.g. to show who is logged in.
    ///
    /// # Errors
    ///
    /// API errors (4100 when the token is refused), transport errors.
    pub async fn me(&self) -> Result<User> {
        self.client.send(ApiRequest::get("/v1/users/me")).await
    }
}
