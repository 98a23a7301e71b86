//! The append-only audit log: who did what, to which object, when and why.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    LoginSucceeded,
    LoginFailed,
    LoginThrottled,
    AccessDenied,
    UserRegistered,
    OperatorCreated,
    OrganisationVerified,
    UserDisabled,
    UserEnabled,
    RoleChanged,
    ListingCreated,
    ListingEdited,
    ListingSubmitted,
    ListingWithdrawn,
    ListingApproved,
    ListingRejected,
    ListingArchived,
    ListingRenewed,
    ListingExpired,
    ListingDeleted,
    ListingsImported,
    InterestExpressed,
    InterestBrokered,
    InterestAccepted,
    InterestDeclined,
    InterestNegotiating,
    InterestConcluded,
    InterestClosed,
    InterestMessagePosted,
    InterestNoteAdded,
    WebhookRegistered,
    WebhookDeleted,
    InvitationCreated,
    InvitationRevoked,
    InvitationAccepted,
    PasswordChanged,
    PasswordResetIssued,
    PasswordReset,
    OrganisationUpdated,
    ProfileUpdated,
}

impl AuditAction {
    pub const ALL: [AuditAction; 40] = [
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginThrottled,
        Self::AccessDenied,
        Self::UserRegistered,
        Self::OperatorCreated,
        Self::OrganisationVerified,
        Self::UserDisabled,
        Self::UserEnabled,
        Self::RoleChanged,
        Self::ListingCreated,
        Self::ListingEdited,
        Self::ListingSubmitted,
        Self::ListingWithdrawn,
        Self::ListingApproved,
        Self::ListingRejected,
        Self::ListingArchived,
        Self::ListingRenewed,
        Self::ListingExpired,
        Self::ListingDeleted,
        Self::ListingsImported,
        Self::InterestExpressed,
        Self::InterestBrokered,
        Self::InterestAccepted,
        Self::InterestDeclined,
        Self::InterestNegotiating,
        Self::InterestConcluded,
        Self::InterestClosed,
        Self::InterestMessagePosted,
        Self::InterestNoteAdded,
        Self::WebhookRegistered,
        Self::WebhookDeleted,
        Self::InvitationCreated,
        Self::InvitationRevoked,
        Self::InvitationAccepted,
        Self::PasswordChanged,
        Self::PasswordResetIssued,
        Self::PasswordReset,
        Self::OrganisationUpdated,
        Self::ProfileUpdated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::LoginThrottled => "login_throttled",
            Self::AccessDenied => "access_denied",
            Self::UserRegistered => "user_registered",
            Self::OperatorCreated => "operator_created",
            Self::OrganisationVerified => "organisation_verified",
            Self::UserDisabled => "user_disabled",
            Self::UserEnabled => "user_enabled",
            Self::RoleChanged => "role_changed",
            Self::ListingCreated => "listing_created",
            Self::ListingEdited => "listing_edited",
            Self::ListingSubmitted => "listing_submitted",
            Self::ListingWithdrawn => "listing_withdrawn",
            Self::ListingApproved => "listing_approved",
            Self::ListingRejected => "listing_rejected",
            Self::ListingArchived => "listing_archived",
            Self::ListingRenewed => "listing_renewed",
            Self::ListingExpired => "listing_expired",
            Self::ListingDeleted => "listing_deleted",
            Self::ListingsImported => "listings_imported",
            Self::InterestExpressed => "interest_expressed",
            Self::InterestBrokered => "interest_brokered",
            Self::InterestAccepted => "interest_accepted",
            Self::InterestDeclined => "interest_declined",
            Self::InterestNegotiating => "interest_negotiating",
            Self::InterestConcluded => "interest_concluded",
            Self::InterestClosed => "interest_closed",
            Self::InterestMessagePosted => "interest_message_posted",
            Self::InterestNoteAdded => "interest_note_added",
            Self::WebhookRegistered => "webhook_registered",
            Self::WebhookDeleted => "webhook_deleted",
            Self::InvitationCreated => "invitation_created",
            Self::InvitationRevoked => "invitation_revoked",
            Self::InvitationAccepted => "invitation_accepted",
            Self::PasswordChanged => "password_changed",
            Self::PasswordResetIssued => "password_reset_issued",
            Self::PasswordReset => "password_reset",
            Self::OrganisationUpdated => "organisation_updated",
            Self::ProfileUpdated => "profile_updated",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditAction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown audit action '{s}'"))
    }
}

impl From<crate::interest::InterestAction> for AuditAction {
    fn from(action: crate::interest::InterestAction) -> Self {
        use crate::interest::InterestAction;
        match action {
            InterestAction::Accept => Self::InterestAccepted,
            InterestAction::Decline => Self::InterestDeclined,
            InterestAction::Negotiate => Self::InterestNegotiating,
            InterestAction::Conclude => Self::InterestConcluded,
            InterestAction::Close => Self::InterestClosed,
        }
    }
}

impl From<crate::listing::Action> for AuditAction {
    fn from(action: crate::listing::Action) -> Self {
        use crate::listing::Action;
        match action {
            Action::Create => Self::ListingCreated,
            Action::Edit => Self::ListingEdited,
            Action::Submit => Self::ListingSubmitted,
            Action::Withdraw => Self::ListingWithdrawn,
            Action::Approve => Self::ListingApproved,
            Action::Reject => Self::ListingRejected,
            Action::Archive => Self::ListingArchived,
            Action::Renew => Self::ListingRenewed,
            Action::Expire => Self::ListingExpired,
            Action::Delete => Self::ListingDeleted,
        }
    }
}

/// An entry to append. `object` names what was acted on, e.g. `("user", id)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub actor: Option<UserId>,
    pub action: AuditAction,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub detail: Option<String>,
    pub client_ip: Option<String>,
}

impl NewAuditEntry {
    pub fn new(action: AuditAction) -> Self {
        Self {
            actor: None,
            action,
            object_type: None,
            object_id: None,
            detail: None,
            client_ip: None,
        }
    }

    pub fn actor(mut self, actor: UserId) -> Self {
        self.actor = Some(actor);
        self
    }

    pub fn object(mut self, kind: &str, id: impl ToString) -> Self {
        self.object_type = Some(kind.to_owned());
        self.object_id = Some(id.to_string());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn client_ip(mut self, ip: Option<String>) -> Self {
        self.client_ip = ip;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        for action in AuditAction::ALL {
            assert_eq!(action.as_str().parse::<AuditAction>().unwrap(), action);
        }
    }
}

/// A stored audit entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub actor: Option<UserId>,
    pub action: AuditAction,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub detail: Option<String>,
    pub client_ip: Option<String>,
}
