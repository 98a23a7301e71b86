//! Expressions of interest: how a match becomes a transfer.
//!
//! ```text
//! sent ──accept (owner)──► accepted ──negotiate──► negotiating ──conclude──► concluded
//!  │ │                        │                       │
//!  │ └─decline (owner)─► declined                     │
//!  └─close (requester)──────► closed ◄──close─────────┘ (either side, also from accepted)
//! ```
//!
//! The *owner* is the organisation whose listing the interest is in; the
//! *requester* is the organisation that expressed it (or on whose behalf an
//! operator brokered it). This module is the one place where transitions and who
//! may take them are defined.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::access::{AccessDenied, Actor};
use crate::ids::{InterestId, ListingId, OrganisationId, UserId};
use crate::listing::{TransferMode, wire_enum};
use crate::validation::{ValidationErrors, bounded_text, is_blank, parse_date};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestState {
    Sent,
    Accepted,
    Declined,
    Negotiating,
    Concluded,
    Closed,
}
wire_enum!(InterestState {
    Sent => "sent",
    Accepted => "accepted",
    Declined => "declined",
    Negotiating => "negotiating",
    Concluded => "concluded",
    Closed => "closed",
});

impl InterestState {
    /// The states from which the interest can still move on.
    pub const OPEN: [InterestState; 3] = [Self::Sent, Self::Accepted, Self::Negotiating];

    /// No further transition is possible.
    pub fn is_final(self) -> bool {
        !Self::OPEN.contains(&self)
    }
}

/// Why the owner declined an interest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineReason {
    TooEarlyStage,
    BenefitUnclear,
    Price,
    NotRelevant,
    Other,
}
wire_enum!(DeclineReason {
    TooEarlyStage => "too_early_stage",
    BenefitUnclear => "benefit_unclear",
    Price => "price",
    NotRelevant => "not_relevant",
    Other => "other",
});

/// Why an interest was closed without a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The sides could not agree on terms.
    NoAgreement,
    /// The other side stopped answering.
    NoResponse,
    /// The requester no longer needs it.
    Withdrawn,
    /// A partner was found elsewhere.
    FoundElsewhere,
    Other,
}
wire_enum!(CloseReason {
    NoAgreement => "no_agreement",
    NoResponse => "no_response",
    Withdrawn => "withdrawn",
    FoundElsewhere => "found_elsewhere",
    Other => "other",
});

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestAction {
    Accept,
    Decline,
    Negotiate,
    Conclude,
    Close,
}
wire_enum!(InterestAction {
    Accept => "accept",
    Decline => "decline",
    Negotiate => "negotiate",
    Conclude => "conclude",
    Close => "close",
});

/// Which side of an interest an organisation is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The organisation whose listing the interest is in.
    Owner,
    /// The organisation that expressed the interest.
    Requester,
}

/// The largest transfer value recorded (10^15 of the currency's main unit: about
/// 40 billion US dollars in đồng); more is a typing error, and sums stay far from
/// overflowing.
pub const MAX_TRANSFER_VALUE: i64 = 1_000_000_000_000_000;

/// The terms of a concluded transfer, all optional: an exchange records what the
/// sides are willing to report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// In the currency's main unit (đồng, dollars …).
    pub value: Option<i64>,
    pub currency: Option<String>,
    pub contract_date: Option<NaiveDate>,
    pub transfer_mode: Option<TransferMode>,
}

impl Outcome {
    /// Checks the terms: a value needs a currency and a currency a value, the
    /// value is not negative, and the contract date is not in the future.
    pub fn parse(
        value: Option<i64>,
        currency: Option<&str>,
        contract_date: Option<&str>,
        transfer_mode: Option<&str>,
        today: NaiveDate,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if value.is_some_and(|v| !(0..=MAX_TRANSFER_VALUE).contains(&v)) {
            errors.add(
                "transfer_value",
                format!("must be from 0 to {MAX_TRANSFER_VALUE}"),
            );
        }
        // A value and its currency go together: one without the other says nothing.
        let currency = match (currency, value) {
            (Some(raw), Some(_)) => errors.check("currency", crate::currency::parse_currency(raw)),
            (Some(_), None) => {
                errors.add("currency", "only with transfer_value");
                None
            }
            (None, Some(_)) => {
                errors.add("currency", "is required with transfer_value");
                None
            }
            (None, None) => None,
        };
        let contract_date = contract_date
            .map(|raw| match parse_date(raw.trim()) {
                Ok(date) if date > today => Err("must not be in the future".to_owned()),
                Ok(date) if date.year() < 1950 => Err("must be in 1950 or later".to_owned()),
                other => other,
            })
            .and_then(|parsed| errors.check("contract_date", parsed));
        let transfer_mode = transfer_mode
            .and_then(|raw| errors.check("transfer_mode", raw.parse::<TransferMode>()));
        errors.into_result(|| Self {
            value,
            currency,
            contract_date,
            transfer_mode,
        })
    }
}

/// A state change with the data it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterestCommand {
    Accept,
    Decline {
        reason: DeclineReason,
        message: String,
    },
    Negotiate,
    Conclude(Outcome),
    Close {
        reason: CloseReason,
        message: Option<String>,
    },
}

impl InterestCommand {
    pub fn action(&self) -> InterestAction {
        match self {
            Self::Accept => InterestAction::Accept,
            Self::Decline { .. } => InterestAction::Decline,
            Self::Negotiate => InterestAction::Negotiate,
            Self::Conclude(_) => InterestAction::Conclude,
            Self::Close { .. } => InterestAction::Close,
        }
    }
}

/// An action the interest's state, or the acting side, does not allow (409).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InterestRefusal {
    #[error("cannot {action} an interest that is {state}")]
    Illegal {
        state: InterestState,
        action: InterestAction,
    },
    #[error("{0}")]
    WrongSide(String),
    #[error("the interest is {0}: its thread is closed")]
    Closed(InterestState),
}

/// Whether `party` may take `action` on an interest in `state`, and where it leads.
pub fn plan(
    state: InterestState,
    party: Party,
    action: InterestAction,
) -> Result<InterestState, InterestRefusal> {
    use InterestAction as A;
    use InterestState as S;
    let to = match (state, action) {
        (S::Sent, A::Accept) => S::Accepted,
        (S::Sent, A::Decline) => S::Declined,
        (S::Sent, A::Close) => S::Closed,
        (S::Accepted, A::Negotiate) => S::Negotiating,
        (S::Accepted | S::Negotiating, A::Close) => S::Closed,
        (S::Negotiating, A::Conclude) => S::Concluded,
        _ => return Err(InterestRefusal::Illegal { state, action }),
    };
    match (state, action, party) {
        (S::Sent, A::Accept | A::Decline, Party::Requester) => Err(InterestRefusal::WrongSide(
            "only the listing's organisation can accept or decline an interest".into(),
        )),
        (S::Sent, A::Close, Party::Owner) => Err(InterestRefusal::WrongSide(
            "the listing's organisation answers a new interest by accepting or declining it".into(),
        )),
        _ => Ok(to),
    }
}

/// An expression of interest in a published listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interest {
    pub id: InterestId,
    pub listing: ListingId,
    /// The listing's organisation.
    pub owner: OrganisationId,
    /// The organisation that is interested.
    pub requester: OrganisationId,
    /// The requester's own listing this interest answers (a brokered need, say).
    pub requester_listing: Option<ListingId>,
    pub created_by: UserId,
    /// The operator who introduced the two sides, for a brokered introduction.
    pub brokered_by: Option<UserId>,
    pub state: InterestState,
    pub message: String,
    /// Who answered (accepted or declined) for the owner, and when.
    pub responded_by: Option<UserId>,
    pub responded_at: Option<DateTime<Utc>>,
    /// Set once accepted; contact details are disclosed from then on.
    pub accepted_at: Option<DateTime<Utc>>,
    pub decline_reason: Option<DeclineReason>,
    pub close_reason: Option<CloseReason>,
    /// The decline or close message.
    pub closing_message: Option<String>,
    pub outcome: Option<Outcome>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The most characters of a message (NFC, trimmed).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// The text of a new interest's message, or of a message on its thread.
pub fn parse_message(raw: Option<&str>) -> Result<String, String> {
    bounded_text(raw.ok_or("is required")?, 1, MAX_MESSAGE_CHARS)
}

/// A message that may be left out (closing an interest): a blank one, that shows
/// nothing, is left out too.
pub fn parse_optional_message(raw: Option<&str>) -> Result<Option<String>, String> {
    match raw {
        Some(text) if !is_blank(text) => parse_message(Some(text)).map(Some),
        _ => Ok(None),
    }
}

impl Interest {
    #[expect(
        clippy::too_many_arguments,
        reason = "one constructor for both origins"
    )]
    pub fn new(
        listing: ListingId,
        owner: OrganisationId,
        requester: OrganisationId,
        requester_listing: Option<ListingId>,
        created_by: UserId,
        brokered_by: Option<UserId>,
        message: String,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: InterestId::new(),
            listing,
            owner,
            requester,
            requester_listing,
            created_by,
            brokered_by,
            state: InterestState::Sent,
            message,
            responded_by: None,
            responded_at: None,
            accepted_at: None,
            decline_reason: None,
            close_reason: None,
            closing_message: None,
            outcome: None,
            concluded_at: None,
            closed_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// The side `actor` acts for, if any. Operators follow interests but never act
    /// for a side, whatever their own organisation.
    pub fn party(&self, actor: &Actor) -> Option<Party> {
        if actor.role.is_operator() {
            None
        } else if actor.organisation_id == self.owner {
            Some(Party::Owner)
        } else if actor.organisation_id == self.requester {
            Some(Party::Requester)
        } else {
            None
        }
    }

    /// The two sides and operators see an interest; everyone else is told it does
    /// not exist.
    pub fn can_view(&self, actor: &Actor) -> bool {
        actor.role.is_operator()
            || actor.organisation_id == self.owner
            || actor.organisation_id == self.requester
    }

    /// Contact details are exchanged only once the owner has accepted.
    pub fn contacts_disclosed(&self) -> bool {
        self.accepted_at.is_some()
    }

    /// Messages are exchanged while the interest is open.
    pub fn ensure_open(&self) -> Result<(), InterestRefusal> {
        if self.state.is_final() {
            return Err(InterestRefusal::Closed(self.state));
        }
        Ok(())
    }

    /// Applies `command` for `party`; returns the state it left.
    pub fn perform(
        &mut self,
        party: Party,
        by: UserId,
        command: InterestCommand,
        now: DateTime<Utc>,
    ) -> Result<InterestState, InterestRefusal> {
        let from = self.state;
        let to = plan(from, party, command.action())?;
        match command {
            InterestCommand::Accept => {
                self.accepted_at = Some(now);
                self.responded_at = Some(now);
                self.responded_by = Some(by);
            }
            InterestCommand::Decline { reason, message } => {
                self.decline_reason = Some(reason);
                self.closing_message = Some(message);
                self.responded_at = Some(now);
                self.responded_by = Some(by);
            }
            InterestCommand::Negotiate => {}
            InterestCommand::Conclude(outcome) => {
                self.outcome = Some(outcome);
                self.concluded_at = Some(now);
            }
            InterestCommand::Close { reason, message } => {
                self.close_reason = Some(reason);
                self.closing_message = message;
                self.closed_at = Some(now);
            }
        }
        self.state = to;
        self.version += 1;
        self.updated_at = now;
        Ok(from)
    }
}

/// A member expresses interest in another organisation's listing; operators
/// broker introductions instead.
pub fn ensure_can_express(
    actor: &Actor,
    listing_owner: OrganisationId,
) -> Result<(), AccessDenied> {
    if actor.role.is_operator() {
        return Err(AccessDenied(
            "operators introduce the two sides instead: POST /api/v1/interests/broker".into(),
        ));
    }
    if actor.organisation_id == listing_owner {
        return Err(AccessDenied(
            "your organisation owns this listing: interest comes from other organisations".into(),
        ));
    }
    Ok(())
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Owner => "owner",
            Self::Requester => "requester",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interest() -> Interest {
        Interest::new(
            ListingId::new(),
            OrganisationId::new(),
            OrganisationId::new(),
            None,
            UserId::new(),
            None,
            "We would like to license this.".into(),
            Utc::now(),
        )
    }

    #[test]
    fn the_whole_path_to_a_concluded_transfer() {
        let mut i = interest();
        let by = UserId::new();
        let now = Utc::now();
        i.perform(Party::Owner, by, InterestCommand::Accept, now)
            .unwrap();
        assert!(i.contacts_disclosed());
        assert_eq!(i.responded_by, Some(by));
        i.perform(Party::Requester, by, InterestCommand::Negotiate, now)
            .unwrap();
        let outcome = Outcome {
            value: Some(500_000_000),
            currency: Some("VND".into()),
            ..Outcome::default()
        };
        let from = i
            .perform(
                Party::Owner,
                by,
                InterestCommand::Conclude(outcome.clone()),
                now,
            )
            .unwrap();
        assert_eq!(from, InterestState::Negotiating);
        assert_eq!(i.state, InterestState::Concluded);
        assert_eq!(i.outcome, Some(outcome));
        assert_eq!(i.version, 4);
        assert!(i.state.is_final());
    }

    #[test]
    fn only_the_owner_answers_and_only_the_requester_withdraws() {
        for action in [InterestAction::Accept, InterestAction::Decline] {
            assert!(matches!(
                plan(InterestState::Sent, Party::Requester, action),
                Err(InterestRefusal::WrongSide(_))
            ));
        }
        assert!(plan(InterestState::Sent, Party::Owner, InterestAction::Close).is_err());
        assert_eq!(
            plan(InterestState::Sent, Party::Requester, InterestAction::Close),
            Ok(InterestState::Closed)
        );
    }

    #[test]
    fn operators_follow_but_never_act_for_a_side() {
        use crate::user::Role;
        let i = interest();
        let operator = Actor {
            user_id: UserId::new(),
            organisation_id: i.owner,
            role: Role::Operator,
        };
        assert_eq!(i.party(&operator), None, "even in the owner's organisation");
        assert!(i.can_view(&operator));
        assert!(ensure_can_express(&operator, OrganisationId::new()).is_err());
        let member = Actor {
            role: Role::Member,
            ..operator
        };
        assert_eq!(i.party(&member), Some(Party::Owner));
        assert!(
            ensure_can_express(&member, i.owner).is_err(),
            "not in one's own listing"
        );
        assert!(ensure_can_express(&member, OrganisationId::new()).is_ok());
        let stranger = Actor {
            organisation_id: OrganisationId::new(),
            ..member
        };
        assert!(!i.can_view(&stranger));
    }

    #[test]
    fn illegal_transitions_are_refused_and_change_nothing() {
        let mut i = interest();
        let before = i.clone();
        let error = i
            .perform(
                Party::Owner,
                UserId::new(),
                InterestCommand::Conclude(Outcome::default()),
                Utc::now(),
            )
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot conclude an interest that is sent"
        );
        assert_eq!(i, before);
        for state in [
            InterestState::Declined,
            InterestState::Concluded,
            InterestState::Closed,
        ] {
            for &action in InterestAction::ALL {
                assert!(
                    plan(state, Party::Owner, action).is_err(),
                    "{state} {action}"
                );
            }
        }
    }

    #[test]
    fn outcome_needs_a_currency_with_a_value_and_a_past_date() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let errors =
            Outcome::parse(Some(-1), None, Some("2027-01-01"), Some("gift"), today).unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "transfer_value",
                "currency",
                "contract_date",
                "transfer_mode"
            ]
        );
        let ancient = Outcome::parse(None, None, Some("1066-10-14"), None, today).unwrap_err();
        assert_eq!(ancient.errors()[0].field, "contract_date");
        let huge = Outcome::parse(Some(i64::MAX), Some("VND"), None, None, today).unwrap_err();
        assert_eq!(huge.errors()[0].field, "transfer_value");
        let no_value = Outcome::parse(None, Some("USD"), None, None, today).unwrap_err();
        assert_eq!(no_value.errors()[0].field, "currency");
        assert_eq!(no_value.errors()[0].message, "only with transfer_value");
        let plus_year = Outcome::parse(None, None, Some("+2026-05-31"), None, today).unwrap_err();
        assert_eq!(plus_year.errors()[0].field, "contract_date");
        let ok = Outcome::parse(
            Some(10),
            Some("usd"),
            Some("2026-05-31"),
            Some("licence"),
            today,
        )
        .unwrap();
        assert_eq!(ok.currency.as_deref(), Some("USD"));
    }

    #[test]
    fn a_blank_optional_message_is_left_out() {
        for blank in ["", "   ", "\u{200B}\u{FEFF}"] {
            assert_eq!(parse_optional_message(Some(blank)), Ok(None), "{blank:?}");
        }
        assert_eq!(parse_optional_message(None), Ok(None));
        assert_eq!(
            parse_optional_message(Some(" Cảm ơn ")),
            Ok(Some("Cảm ơn".to_owned()))
        );
        assert!(parse_optional_message(Some(&"x".repeat(4001))).is_err());
        assert!(
            parse_message(Some("")).is_err(),
            "a required message stays required"
        );
    }
}
