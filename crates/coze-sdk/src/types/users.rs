//! Types of the users endpoints.

use serde::{Deserialize, Serialize};

/// A Coze account, as `GET /v1/users/me` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The account id.
    pub user_id: String,
    /// The unique user name.
    #[serde(default)]
    pub user_name: String,
    /// The display name.
    #[serde(default)]
    pub nick_name: String,
    /// The avatar image URL.
    #[serde(default)]
    pub avatar_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_users_me_payload() {
        let u: User = serde_json::from_str(
            r#"{"user_id":"7","user_name":"n","nick_name":"N","avatar_url":"https://a/b.png","x":1}"#,
        )
        .expect("valid fixture");
        assert_eq!((u.user_id.as_str(), u.nick_name.as_str()), ("7", "N"));
    }
}
