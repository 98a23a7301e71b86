//! The listing state machine: the one place where transitions are defined.
//!
//! ```text
//! draft ──submit──► pending_review ──approve──► published ──archive──► archived
//!   ▲                 │      │                    │  │ ▲
//!   └───withdraw──────┘      └─reject─► rejected  │  │ └─renew── expired
//!   ▲                                    │        │  └──expire──►
//!   └──────────────edit──────────────────┘        └─edit: a revision goes to review;
//!                                                   approve applies it, reject or
//!                                                   withdraw drops it, the approved
//!                                                   content stays public meanwhile
//! ```

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Listing, ListingContent, Rejection, Revision, wire_enum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    Draft,
    PendingReview,
    Published,
    Rejected,
    Archived,
    Expired,
}
wire_enum!(ListingStatus {
    Draft => "draft",
    PendingReview => "pending_review",
    Published => "published",
    Rejected => "rejected",
    Archived => "archived",
    Expired => "expired",
});

/// The state of a proposed edit of a published listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionStatus {
    PendingReview,
    Rejected,
}
wire_enum!(RevisionStatus { PendingReview => "pending_review", Rejected => "rejected" });

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Creation: recorded in the history, never a transition.
    Create,
    Edit,
    Submit,
    Withdraw,
    Approve,
    Reject,
    Archive,
    Renew,
    Expire,
    Delete,
}
wire_enum!(Action {
    Create => "create",
    Edit => "edit",
    Submit => "submit",
    Withdraw => "withdraw",
    Approve => "approve",
    Reject => "reject",
    Archive => "archive",
    Renew => "renew",
    Expire => "expire",
    Delete => "delete",
});

/// What a legal action does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The content is replaced in place and the listing moves to `to`.
    Edit { to: ListingStatus },
    /// The listing moves to another status; its content is unchanged.
    Move { to: ListingStatus },
    /// A published listing's edit is kept aside for review.
    ProposeRevision,
    /// The reviewed edit replaces the public content.
    ApplyRevision,
    /// The reviewed edit is refused; the public content stays.
    RejectRevision,
    /// The owner takes the edit back.
    DiscardRevision,
    /// The valid-until date moves on and the listing is (again) published.
    Renew,
    /// A draft is removed.
    Delete,
    /// An edit that changes nothing: the content it sends is the content it builds
    /// on, and the listing would stay where it is. Nothing is written, so no new
    /// version, history entry or review.
    Unchanged,
}

/// An action that the listing's state does not allow (answered with 409).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct IllegalTransition {
    pub status: ListingStatus,
    pub revision: Option<RevisionStatus>,
    pub action: Action,
}

impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} a listing that is {}",
            self.action, self.status
        )?;
        if let Some(revision) = self.revision {
            write!(f, " (with an edit that is {revision})")?;
        }
        Ok(())
    }
}

/// Whether `action` is legal for a listing in `status` with an edit in `revision`,
/// and what it does.
pub fn plan(
    status: ListingStatus,
    revision: Option<RevisionStatus>,
    action: Action,
) -> Result<Step, IllegalTransition> {
    use Action as A;
    use ListingStatus as S;
    use RevisionStatus as R;
    let step = match (status, revision, action) {
        (S::Draft, _, A::Edit) => Step::Edit { to: S::Draft },
        (S::Draft, _, A::Submit) => Step::Move {
            to: S::PendingReview,
        },
        (S::Draft, _, A::Delete) => Step::Delete,
        (S::PendingReview, _, A::Withdraw) => Step::Move { to: S::Draft },
        (S::PendingReview, _, A::Approve) => Step::Move { to: S::Published },
        (S::PendingReview, _, A::Reject) => Step::Move { to: S::Rejected },
        (S::Rejected, _, A::Edit) => Step::Edit { to: S::Draft },
        (S::Published, _, A::Edit) => Step::ProposeRevision,
        (S::Published, Some(R::PendingReview), A::Approve) => Step::ApplyRevision,
        (S::Published, Some(R::PendingReview), A::Reject) => Step::RejectRevision,
        (S::Published, Some(_), A::Withdraw) => Step::DiscardRevision,
        (S::Published | S::Expired, _, A::Archive) => Step::Move { to: S::Archived },
        (S::Published | S::Expired, _, A::Renew) => Step::Renew,
        (S::Published, _, A::Expire) => Step::Move { to: S::Expired },
        _ => {
            return Err(IllegalTransition {
                status,
                revision,
                action,
            });
        }
    };
    Ok(step)
}

/// An action with the data it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// New, already validated content (boxed: it dwarfs the other variants).
    Edit(Box<ListingContent>),
    Submit,
    Withdraw,
    Approve,
    Reject(Rejection),
    Archive,
    /// The new valid-until date.
    Renew(NaiveDate),
    /// Expiry on this day; refused if the listing is still valid then (it may have
    /// been renewed since the sweep looked).
    Expire(NaiveDate),
    Delete,
}

impl Command {
    pub fn action(&self) -> Action {
        match self {
            Self::Edit(_) => Action::Edit,
            Self::Submit => Action::Submit,
            Self::Withdraw => Action::Withdraw,
            Self::Approve => Action::Approve,
            Self::Reject(_) => Action::Reject,
            Self::Archive => Action::Archive,
            Self::Renew(_) => Action::Renew,
            Self::Expire(_) => Action::Expire,
            Self::Delete => Action::Delete,
        }
    }
}

impl Listing {
    /// Whether the edit `step` to `content` would leave the listing as it is: a draft
    /// edited to its own content, or a published listing edited to the content
    /// public or under review. A rejected listing edited unchanged returns to draft,
    /// and a rejected edit sent again goes back to review: both are changes.
    fn edit_changes_nothing(&self, step: Step, content: &ListingContent) -> bool {
        match step {
            Step::Edit { to } => to == self.status && *content == self.content,
            Step::ProposeRevision => match &self.revision {
                Some(revision) => {
                    revision.status == RevisionStatus::PendingReview && *content == revision.content
                }
                None => *content == self.content,
            },
            _ => false,
        }
    }

    /// Applies `command` if the listing's state allows it: the content, status,
    /// revision, rejection, timestamps and version all change here and only here.
    /// A `Delete` changes nothing; the caller removes the listing.
    pub fn perform(
        &mut self,
        command: Command,
        now: DateTime<Utc>,
    ) -> Result<Step, IllegalTransition> {
        let refused = IllegalTransition {
            status: self.status,
            revision: self.revision.as_ref().map(|r| r.status),
            action: command.action(),
        };
        if let Command::Expire(today) = command
            && self.content.valid_until >= today
        {
            return Err(refused);
        }
        let step = plan(self.status, refused.revision, command.action())?;
        if let Command::Edit(content) = &command
            && self.edit_changes_nothing(step, content)
        {
            return Ok(Step::Unchanged);
        }
        match (step, command) {
            (Step::Delete, _) => return Ok(step),
            (Step::Edit { to }, Command::Edit(content)) => {
                self.content = *content;
                self.status = to;
                self.rejection = None;
            }
            (Step::ProposeRevision, Command::Edit(content)) => {
                self.revision = Some(Revision {
                    content: *content,
                    status: RevisionStatus::PendingReview,
                    submitted_at: now,
                });
                self.rejection = None;
            }
            (Step::ApplyRevision, _) => {
                if let Some(revision) = self.revision.take() {
                    self.content = revision.content;
                }
                self.published_at = Some(now);
                self.rejection = None;
            }
            (Step::RejectRevision, Command::Reject(rejection)) => {
                if let Some(revision) = self.revision.as_mut() {
                    revision.status = RevisionStatus::Rejected;
                }
                self.rejection = Some(rejection);
            }
            (Step::DiscardRevision, _) => self.revision = None,
            (Step::Renew, Command::Renew(valid_until)) => {
                self.content.valid_until = valid_until;
                // A pending edit would otherwise bring the old date back when approved.
                if let Some(revision) = self.revision.as_mut() {
                    revision.content.valid_until = valid_until;
                }
                self.status = ListingStatus::Published;
            }
            (Step::Move { to }, command) => {
                self.status = to;
                match (to, command) {
                    (ListingStatus::PendingReview, _) => self.submitted_at = Some(now),
                    (ListingStatus::Draft, _) => self.submitted_at = None,
                    (ListingStatus::Published, _) => {
                        self.published_at = Some(now);
                        self.rejection = None;
                    }
                    (ListingStatus::Rejected, Command::Reject(rejection)) => {
                        self.rejection = Some(rejection)
                    }
                    // A listing leaving the catalogue takes its pending edit with it.
                    (ListingStatus::Archived | ListingStatus::Expired, _) => self.revision = None,
                    _ => {}
                }
            }
            // plan() pairs each step with the action of its command, so the data
            // always matches; an impossible pairing is refused rather than guessed.
            _ => return Err(refused),
        }
        self.version += 1;
        self.updated_at = now;
        Ok(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_main_path() {
        assert_eq!(
            plan(ListingStatus::Draft, None, Action::Submit),
            Ok(Step::Move {
                to: ListingStatus::PendingReview
            })
        );
        assert_eq!(
            plan(ListingStatus::PendingReview, None, Action::Approve),
            Ok(Step::Move {
                to: ListingStatus::Published
            })
        );
        assert_eq!(
            plan(ListingStatus::Published, None, Action::Archive),
            Ok(Step::Move {
                to: ListingStatus::Archived
            })
        );
    }

    #[test]
    fn rejected_listings_go_back_to_draft_by_editing() {
        assert_eq!(
            plan(ListingStatus::PendingReview, None, Action::Reject),
            Ok(Step::Move {
                to: ListingStatus::Rejected
            })
        );
        assert_eq!(
            plan(ListingStatus::Rejected, None, Action::Edit),
            Ok(Step::Edit {
                to: ListingStatus::Draft
            })
        );
        assert!(plan(ListingStatus::Rejected, None, Action::Submit).is_err());
    }

    #[test]
    fn edits_of_published_listings_are_reviewed_separately() {
        let published = ListingStatus::Published;
        assert_eq!(
            plan(published, None, Action::Edit),
            Ok(Step::ProposeRevision)
        );
        let pending = Some(RevisionStatus::PendingReview);
        assert_eq!(
            plan(published, pending, Action::Approve),
            Ok(Step::ApplyRevision)
        );
        assert_eq!(
            plan(published, pending, Action::Reject),
            Ok(Step::RejectRevision)
        );
        assert_eq!(
            plan(published, pending, Action::Withdraw),
            Ok(Step::DiscardRevision)
        );
        assert!(
            plan(published, None, Action::Approve).is_err(),
            "nothing to approve"
        );
        assert!(plan(published, Some(RevisionStatus::Rejected), Action::Approve).is_err());
    }

    #[test]
    fn illegal_actions_name_the_state() {
        let error = plan(ListingStatus::Archived, None, Action::Submit).unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot submit a listing that is archived"
        );
        assert!(
            plan(ListingStatus::Published, None, Action::Delete).is_err(),
            "only drafts are deleted"
        );
        assert!(
            plan(ListingStatus::Draft, None, Action::Approve).is_err(),
            "drafts are not reviewed"
        );
        assert!(plan(ListingStatus::Expired, None, Action::Expire).is_err());
    }

    #[test]
    fn expired_listings_can_be_renewed_or_archived() {
        assert_eq!(
            plan(ListingStatus::Expired, None, Action::Renew),
            Ok(Step::Renew)
        );
        assert_eq!(
            plan(ListingStatus::Expired, None, Action::Archive),
            Ok(Step::Move {
                to: ListingStatus::Archived
            })
        );
    }
}

#[cfg(test)]
pub(crate) mod perform_tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::ids::{ListingId, OrganisationId, UserId};
    use crate::listing::{ListingKind, RejectReason};

    pub(crate) fn content(title: &str) -> ListingContent {
        ListingContent {
            title: title.into(),
            summary: String::new(),
            description: String::new(),
            language: "vi".into(),
            sectors: vec!["2.7".into()],
            keywords: vec![],
            trl: Some(5),
            ip_status: None,
            patent_numbers: vec![],
            transfer_modes: vec![],
            price: None,
            province: None,
            valid_until: NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
            external_ref: None,
        }
    }

    pub(crate) fn draft() -> Listing {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 1, 8, 0, 0).unwrap();
        Listing {
            id: ListingId::new(),
            kind: ListingKind::Offer,
            status: ListingStatus::Draft,
            owner: OrganisationId::new(),
            created_by: UserId::new(),
            content: content("Original title"),
            revision: None,
            rejection: None,
            version: 1,
            created_at: t0,
            updated_at: t0,
            submitted_at: None,
            published_at: None,
        }
    }

    fn rejection() -> Rejection {
        Rejection {
            reason_code: RejectReason::Incomplete,
            message: "add the TRL evidence".into(),
        }
    }

    #[test]
    fn the_whole_life_of_a_listing() {
        let now = Utc::now();
        let mut listing = draft();
        listing.perform(Command::Submit, now).unwrap();
        assert_eq!(
            (listing.status, listing.submitted_at, listing.version),
            (ListingStatus::PendingReview, Some(now), 2)
        );
        listing.perform(Command::Reject(rejection()), now).unwrap();
        assert_eq!(listing.status, ListingStatus::Rejected);
        assert_eq!(listing.rejection, Some(rejection()));
        listing
            .perform(Command::Edit(Box::new(content("Better title"))), now)
            .unwrap();
        assert_eq!(listing.status, ListingStatus::Draft);
        assert_eq!(listing.rejection, None, "editing clears the old rejection");
        listing.perform(Command::Submit, now).unwrap();
        listing.perform(Command::Approve, now).unwrap();
        assert_eq!(
            (listing.status, listing.published_at),
            (ListingStatus::Published, Some(now))
        );
        listing.perform(Command::Archive, now).unwrap();
        assert_eq!(listing.status, ListingStatus::Archived);
        assert_eq!(listing.version, 7);
        let error = listing.perform(Command::Submit, now).unwrap_err();
        assert_eq!(error.status, ListingStatus::Archived);
        assert_eq!(listing.version, 7, "a refused action changes nothing");
    }

    #[test]
    fn a_published_edit_waits_for_review_while_the_approved_content_stays() {
        let now = Utc::now();
        let mut listing = draft();
        listing.perform(Command::Submit, now).unwrap();
        listing.perform(Command::Approve, now).unwrap();
        listing
            .perform(Command::Edit(Box::new(content("Edited title"))), now)
            .unwrap();
        assert_eq!(listing.status, ListingStatus::Published);
        assert_eq!(listing.content.title, "Original title");
        assert_eq!(
            listing.revision.as_ref().unwrap().content.title,
            "Edited title"
        );
        listing.perform(Command::Reject(rejection()), now).unwrap();
        assert_eq!(
            listing.revision.as_ref().unwrap().status,
            RevisionStatus::Rejected
        );
        assert_eq!(listing.content.title, "Original title");
        listing
            .perform(Command::Edit(Box::new(content("Edited again"))), now)
            .unwrap();
        listing.perform(Command::Approve, now).unwrap();
        assert_eq!(listing.content.title, "Edited again");
        assert!(listing.revision.is_none());
    }

    #[test]
    fn an_edit_that_changes_nothing_is_no_step() {
        let now = Utc::now();
        let edit = |title: &str| Command::Edit(Box::new(content(title)));
        let mut listing = draft();
        assert_eq!(
            listing.perform(edit("Original title"), now),
            Ok(Step::Unchanged)
        );
        assert_eq!(listing.version, 1);
        listing.perform(Command::Submit, now).unwrap();
        listing.perform(Command::Approve, now).unwrap();
        let published = listing.clone();
        assert_eq!(
            listing.perform(edit("Original title"), now),
            Ok(Step::Unchanged)
        );
        assert_eq!(listing, published, "no revision, no new version");
        listing.perform(edit("Edited title"), now).unwrap();
        let under_review = listing.clone();
        assert_eq!(
            listing.perform(edit("Edited title"), Utc::now()),
            Ok(Step::Unchanged)
        );
        assert_eq!(
            listing, under_review,
            "the edit keeps its place in the queue"
        );
        // A rejected edit sent again unchanged goes back to review.
        listing.perform(Command::Reject(rejection()), now).unwrap();
        assert_eq!(
            listing.perform(edit("Edited title"), now),
            Ok(Step::ProposeRevision)
        );
        // A rejected listing edited unchanged returns to draft.
        let mut rejected = draft();
        rejected.perform(Command::Submit, now).unwrap();
        rejected.perform(Command::Reject(rejection()), now).unwrap();
        assert_eq!(
            rejected.perform(edit("Original title"), now),
            Ok(Step::Edit {
                to: ListingStatus::Draft
            })
        );
        // An edit the state does not allow is refused, changed or not.
        let mut pending = draft();
        pending.perform(Command::Submit, now).unwrap();
        assert!(pending.perform(edit("Original title"), now).is_err());
    }

    #[test]
    fn renewal_carries_over_to_a_pending_edit_and_expiry_respects_renewal() {
        let now = Utc::now();
        let mut listing = draft();
        listing.perform(Command::Submit, now).unwrap();
        listing.perform(Command::Approve, now).unwrap();
        listing
            .perform(Command::Edit(Box::new(content("Edited"))), now)
            .unwrap();
        let later = NaiveDate::from_ymd_opt(2028, 6, 1).unwrap();
        listing.perform(Command::Renew(later), now).unwrap();
        listing.perform(Command::Approve, now).unwrap();
        assert_eq!(
            listing.content.valid_until, later,
            "approving the edit keeps the renewal"
        );
        let day_before = later - chrono::Duration::days(1);
        assert!(
            listing.perform(Command::Expire(day_before), now).is_err(),
            "still valid: not expired"
        );
        listing
            .perform(Command::Edit(Box::new(content("Edited again"))), now)
            .unwrap();
        listing
            .perform(Command::Expire(later + chrono::Duration::days(1)), now)
            .unwrap();
        assert_eq!(listing.status, ListingStatus::Expired);
        assert!(
            listing.revision.is_none(),
            "an expired listing leaves no edit stuck in the queue"
        );
    }

    #[test]
    fn renewal_moves_the_date_and_revives_an_expired_listing() {
        let now = Utc::now();
        let mut listing = draft();
        listing.perform(Command::Submit, now).unwrap();
        listing.perform(Command::Approve, now).unwrap();
        listing
            .perform(
                Command::Expire(now.date_naive() + chrono::Duration::days(400)),
                now,
            )
            .unwrap();
        assert_eq!(listing.status, ListingStatus::Expired);
        let later = NaiveDate::from_ymd_opt(2028, 1, 31).unwrap();
        listing.perform(Command::Renew(later), now).unwrap();
        assert_eq!(
            (listing.status, listing.content.valid_until),
            (ListingStatus::Published, later)
        );
    }
}
