//! Who may see a listing and who may act on it.

use crate::access::{AccessDenied, Actor};
use crate::listing::{Action, Listing};

/// Published listings are public; other states only to the owner's members and
/// operators. Whoever cannot see a listing is told it does not exist (404).
pub fn can_view(actor: Option<&Actor>, listing: &Listing, today: chrono::NaiveDate) -> bool {
    if listing.is_public(today) {
        return true;
    }
    actor.is_some_and(|a| a.role.is_operator() || a.organisation_id == listing.owner)
}

/// Operators review; the owner's members edit and manage their listings; either
/// may archive (operators take listings down).
pub fn ensure_can_act(
    actor: &Actor,
    listing: &Listing,
    action: Action,
) -> Result<(), AccessDenied> {
    let owner = actor.organisation_id == listing.owner;
    let allowed = match action {
        Action::Approve | Action::Reject => actor.role.is_operator(),
        Action::Archive => owner || actor.role.is_operator(),
        Action::Create
        | Action::Edit
        | Action::Submit
        | Action::Withdraw
        | Action::Renew
        | Action::Delete => owner,
        Action::Expire => false,
    };
    if allowed {
        return Ok(());
    }
    Err(AccessDenied(match action {
        Action::Approve | Action::Reject => "only operators review listings".into(),
        Action::Expire => "listings expire by themselves".into(),
        _ => format!("only members of the owning organisation may {action} this listing"),
    }))
}
