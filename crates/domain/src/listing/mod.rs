//! Listings: technology offers (from institutes and universities) and needs (from
//! enterprises) share one shape with a `kind`.
//!
//! - [`content`]: the fields and every rule on them, parsed from raw input.
//! - [`lifecycle`]: the state machine, the only place transitions are defined.
//! - [`access`]: who may see and act on a listing.
//! - [`quality`]: warnings a reviewer would otherwise write by hand.

pub mod access;
pub mod content;
pub mod lifecycle;
pub mod quality;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use content::{ListingContent, ListingInput, Price, PriceInput};
pub use lifecycle::{Action, Command, IllegalTransition, ListingStatus, RevisionStatus, Step};

use crate::ids::{ListingId, OrganisationId, UserId};

/// Implements `as_str`, `Display`, `FromStr` and `ALL` for a fieldless enum whose
/// wire names are snake_case.
macro_rules! wire_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("must be one of: {}", names.join(", "))
                })
            }
        }
    };
}
pub(crate) use wire_enum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingKind {
    /// A technology an institute or university can transfer.
    Offer,
    /// A technology an enterprise is looking for.
    Need,
}
wire_enum!(ListingKind { Offer => "offer", Need => "need" });

impl ListingKind {
    /// The kind with its article, for messages: "an offer", "a need".
    pub fn with_article(self) -> &'static str {
        match self {
            Self::Offer => "an offer",
            Self::Need => "a need",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IpStatus {
    PatentGranted,
    PatentPending,
    UtilitySolution,
    KnowHow,
    Copyright,
    None,
}
wire_enum!(IpStatus {
    PatentGranted => "patent_granted",
    PatentPending => "patent_pending",
    UtilitySolution => "utility_solution",
    KnowHow => "know_how",
    Copyright => "copyright",
    None => "none",
});

impl IpStatus {
    /// Statuses that come with patent or utility-solution numbers.
    pub fn has_numbers(self) -> bool {
        matches!(
            self,
            Self::PatentGranted | Self::PatentPending | Self::UtilitySolution
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferMode {
    Licence,
    Assignment,
    JointDevelopment,
    TechnicalService,
    EquipmentSale,
    Investment,
}
wire_enum!(TransferMode {
    Licence => "licence",
    Assignment => "assignment",
    JointDevelopment => "joint_development",
    TechnicalService => "technical_service",
    EquipmentSale => "equipment_sale",
    Investment => "investment",
});

/// Why an operator rejected a listing or an edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    Incomplete,
    UnclearBenefit,
    MissingIpStatus,
    Duplicate,
    OutOfScope,
    UnverifiedOrganisation,
    Other,
}
wire_enum!(RejectReason {
    Incomplete => "incomplete",
    UnclearBenefit => "unclear_benefit",
    MissingIpStatus => "missing_ip_status",
    Duplicate => "duplicate",
    OutOfScope => "out_of_scope",
    UnverifiedOrganisation => "unverified_organisation",
    Other => "other",
});

/// An operator's recorded reason for a rejection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub reason_code: RejectReason,
    pub message: String,
}

/// A proposed edit of a published listing: the approved content stays public until
/// an operator approves this.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub content: ListingContent,
    pub status: RevisionStatus,
    pub submitted_at: DateTime<Utc>,
}

/// A stored listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listing {
    pub id: ListingId,
    pub kind: ListingKind,
    pub status: ListingStatus,
    pub owner: OrganisationId,
    pub created_by: UserId,
    /// The content as last approved (for a published listing: what the public sees).
    pub content: ListingContent,
    pub revision: Option<Revision>,
    /// The last rejection, of the listing or of its revision.
    pub rejection: Option<Rejection>,
    /// Incremented by every change; a PATCH must name the version it edits.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
}

impl Listing {
    /// A new draft at version 1.
    pub fn new_draft(
        kind: ListingKind,
        owner: OrganisationId,
        created_by: UserId,
        content: ListingContent,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: ListingId::new(),
            kind,
            status: ListingStatus::Draft,
            owner,
            created_by,
            content,
            revision: None,
            rejection: None,
            version: 1,
            created_at: now,
            updated_at: now,
            submitted_at: None,
            published_at: None,
        }
    }

    /// Whether the public sees it now: published and not past its valid-until date
    /// (the expiry sweep may not have run yet).
    pub fn is_public(&self, today: chrono::NaiveDate) -> bool {
        self.status == ListingStatus::Published && self.content.valid_until >= today
    }

    /// Whether it is waiting for an operator: a submitted listing or a proposed edit.
    pub fn awaits_review(&self) -> bool {
        self.status == ListingStatus::PendingReview
            || self
                .revision
                .as_ref()
                .is_some_and(|r| r.status == RevisionStatus::PendingReview)
    }
}

/// One step in a listing's life, as shown by `GET /listings/{id}/history`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub occurred_at: DateTime<Utc>,
    pub actor: Option<UserId>,
    pub action: Action,
    pub from: ListingStatus,
    pub to: ListingStatus,
    pub reason_code: Option<RejectReason>,
    pub message: Option<String>,
}
