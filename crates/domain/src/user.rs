//! User accounts and their roles.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::email::Email;
use crate::ids::{OrganisationId, UserId};
use crate::validation::bounded_text;

/// What a user may do beyond their own organisation's business.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Acts for its organisation: posts listings, expresses interest.
    Member,
    /// Runs the exchange: verifies organisations, moderates listings, manages users.
    Operator,
    /// An operator who may also manage other operators.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Self::Member, Self::Operator, Self::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    /// Operators and admins both run the exchange.
    pub fn is_operator(self) -> bool {
        matches!(self, Self::Operator | Self::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| "must be one of: member, operator, admin".to_owned())
    }
}

/// A person's name as shown to the other side of a transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FullName(String);

/// A full name's length, in characters ([`bounded_text`]).
pub const MAX_FULL_NAME_CHARS: usize = 200;

impl FullName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        bounded_text(raw, 1, MAX_FULL_NAME_CHARS).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A stored user account (without its password hash, which never leaves the store
/// except for verification).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub full_name: String,
    pub role: Role,
    pub organisation_id: OrganisationId,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// When the account was last disabled: access tokens issued until then are
    /// refused, also once it is enabled again.
    pub tokens_revoked_at: Option<DateTime<Utc>>,
}

/// A valid user, not yet stored; the password is already hashed.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub id: UserId,
    pub email: Email,
    pub password_hash: String,
    pub full_name: FullName,
    pub role: Role,
    pub organisation_id: OrganisationId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_rights() {
        assert!(!Role::Member.is_operator());
        assert!(Role::Operator.is_operator());
        assert!(Role::Admin.is_operator());
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
