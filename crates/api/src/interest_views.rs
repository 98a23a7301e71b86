//! How interests and their threads look over the API. Contact details appear only
//! once the listing's organisation has accepted; operators' notes never appear to
//! the two sides.

use crate::vocabularies;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use techex_domain::interest::{Interest, InterestAction, plan};
use techex_domain::listing::Listing;
use techex_domain::{Actor, ListingId, Organisation, OrganisationId, User, UserId};
use techex_store::DbConnection;
use techex_store::repo::interests::Message;
use techex_store::repo::{listings, organisations, users};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::listing_views::OrganisationSummary;
use crate::problem::ApiError;

#[derive(Serialize, ToSchema)]
pub struct ListingRef {
    pub id: Uuid,
    #[schema(value_type = vocabularies::ListingKind)]
    pub kind: String,
    pub title: String,
}

impl From<&Listing> for ListingRef {
    fn from(l: &Listing) -> Self {
        Self {
            id: l.id.as_uuid(),
            kind: l.kind.as_str().to_owned(),
            title: l.content.title.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OutcomeView {
    pub transfer_value: Option<i64>,
    pub currency: Option<String>,
    pub contract_date: Option<NaiveDate>,
    #[schema(value_type = Option<vocabularies::TransferMode>)]
    pub transfer_mode: Option<String>,
}

/// Who to talk to on one side.
#[derive(Serialize, ToSchema)]
pub struct ContactView {
    pub organisation: String,
    pub website: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ContactsView {
    pub owner: ContactView,
    pub requester: ContactView,
}

#[derive(Serialize, ToSchema)]
pub struct InterestView {
    pub id: Uuid,
    /// sent, accepted, declined, negotiating, concluded or closed.
    #[schema(value_type = vocabularies::InterestState)]
    pub state: String,
    /// The listing the interest is in.
    pub listing: Option<ListingRef>,
    /// The requester's own listing it answers (a brokered need, say).
    pub requester_listing: Option<ListingRef>,
    /// The listing's organisation.
    pub owner: Option<OrganisationSummary>,
    /// The interested organisation.
    pub requester: Option<OrganisationSummary>,
    /// owner or requester: the caller's side (none for operators).
    pub your_side: Option<String>,
    /// The actions the caller may take now.
    #[schema(value_type = Vec<vocabularies::InterestAction>)]
    pub allowed_actions: Vec<String>,
    /// Introduced by an exchange operator.
    pub brokered: bool,
    pub message: String,
    #[schema(value_type = Option<vocabularies::DeclineReason>)]
    pub decline_reason: Option<String>,
    #[schema(value_type = Option<vocabularies::CloseReason>)]
    pub close_reason: Option<String>,
    /// The decline or close message.
    pub closing_message: Option<String>,
    pub outcome: Option<OutcomeView>,
    /// Both sides' contact details, from acceptance on; null before.
    pub contacts: Option<ContactsView>,
    /// Send it back with an action to make sure nothing changed meanwhile.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub concluded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    /// The author's name, once contact details are disclosed (always for operators).
    pub author_name: Option<String>,
    pub organisation: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Builds the views of `list` for `actor`, with two batched reads for listings and
/// organisations; contacts (more reads) only when `with_contacts`.
pub fn describe(
    conn: &mut DbConnection,
    actor: &Actor,
    list: Vec<Interest>,
    with_contacts: bool,
) -> Result<Vec<InterestView>, ApiError> {
    let listing_ids: Vec<ListingId> = list
        .iter()
        .flat_map(|i| [Some(i.listing), i.requester_listing])
        .flatten()
        .collect();
    let listings: HashMap<ListingId, Listing> = listings::get_many(conn, &listing_ids)?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let org_ids: Vec<OrganisationId> = list.iter().flat_map(|i| [i.owner, i.requester]).collect();
    let orgs = organisations::get_many(conn, &org_ids)?;
    let mut views = Vec::with_capacity(list.len());
    for interest in list {
        let contacts = if with_contacts && interest.contacts_disclosed() {
            Some(contacts(conn, &interest, &listings, &orgs)?)
        } else {
            None
        };
        views.push(view(actor, interest, &listings, &orgs, contacts));
    }
    Ok(views)
}

fn view(
    actor: &Actor,
    i: Interest,
    listings: &HashMap<ListingId, Listing>,
    orgs: &HashMap<OrganisationId, Organisation>,
    contacts: Option<ContactsView>,
) -> InterestView {
    let party = i.party(actor);
    let allowed_actions = party
        .map(|party| {
            InterestAction::ALL
                .iter()
                .filter(|&&a| plan(i.state, party, a).is_ok())
                .map(|a| a.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    InterestView {
        id: i.id.as_uuid(),
        state: i.state.as_str().to_owned(),
        listing: listings.get(&i.listing).map(ListingRef::from),
        requester_listing: i
            .requester_listing
            .and_then(|id| listings.get(&id))
            .map(ListingRef::from),
        owner: orgs.get(&i.owner).map(OrganisationSummary::from),
        requester: orgs.get(&i.requester).map(OrganisationSummary::from),
        your_side: party.map(|p| p.to_string()),
        allowed_actions,
        brokered: i.brokered_by.is_some(),
        message: i.message,
        decline_reason: i.decline_reason.map(|r| r.as_str().to_owned()),
        close_reason: i.close_reason.map(|r| r.as_str().to_owned()),
        closing_message: i.closing_message,
        outcome: i.outcome.map(|o| OutcomeView {
            transfer_value: o.value,
            currency: o.currency,
            contract_date: o.contract_date,
            transfer_mode: o.transfer_mode.map(|m| m.as_str().to_owned()),
        }),
        contacts,
        version: i.version,
        created_at: i.created_at,
        updated_at: i.updated_at,
        responded_at: i.responded_at,
        accepted_at: i.accepted_at,
        concluded_at: i.concluded_at,
        closed_at: i.closed_at,
    }
}

/// The owner's contact is who accepted; the requester's is who wrote the interest,
/// or — for a brokered one — who created the need it answers. Whoever is no longer
/// an active member of that side (or, like an importing operator, never was) gives
/// way to the side's oldest active member.
fn contacts(
    conn: &mut DbConnection,
    i: &Interest,
    listings: &HashMap<ListingId, Listing>,
    orgs: &HashMap<OrganisationId, Organisation>,
) -> Result<ContactsView, ApiError> {
    let requester_person = match i.brokered_by {
        Some(_) => i
            .requester_listing
            .and_then(|id| listings.get(&id))
            .map(|need| need.created_by),
        None => Some(i.created_by),
    };
    Ok(ContactsView {
        owner: contact(conn, i.owner, orgs.get(&i.owner), i.responded_by)?,
        requester: contact(conn, i.requester, orgs.get(&i.requester), requester_person)?,
    })
}

fn contact(
    conn: &mut DbConnection,
    side: OrganisationId,
    organisation: Option<&Organisation>,
    preferred: Option<UserId>,
) -> Result<ContactView, ApiError> {
    let preferred = preferred
        .map(|id| users::get(conn, id))
        .transpose()?
        .filter(|u| u.organisation_id == side && !u.disabled && !u.role.is_operator());
    let person: Option<User> = match preferred {
        Some(user) => Some(user),
        None => users::first_active_member(conn, side)?,
    };
    Ok(ContactView {
        organisation: organisation.map(|o| o.name.clone()).unwrap_or_default(),
        website: organisation.and_then(|o| o.website.clone()),
        full_name: person.as_ref().map(|u| u.full_name.to_string()),
        email: person.map(|u| u.email.as_str().to_owned()),
    })
}

/// The thread with each author's organisation, and their name when `people`.
pub fn thread(
    conn: &mut DbConnection,
    messages: Vec<Message>,
    people: bool,
) -> Result<Vec<MessageView>, ApiError> {
    let org_ids: Vec<OrganisationId> = messages.iter().map(|m| m.author_organisation).collect();
    let orgs = organisations::get_many(conn, &org_ids)?;
    let mut names: HashMap<UserId, String> = HashMap::new();
    let mut views = Vec::with_capacity(messages.len());
    for m in messages {
        // Names are contact details: none before acceptance.
        if people && let std::collections::hash_map::Entry::Vacant(slot) = names.entry(m.author) {
            slot.insert(users::get(conn, m.author)?.full_name.to_string());
        }
        views.push(MessageView {
            id: m.id,
            author_name: names.get(&m.author).cloned(),
            organisation: orgs.get(&m.author_organisation).map(|o| o.name.clone()),
            body: m.body,
            created_at: m.created_at,
        });
    }
    Ok(views)
}
