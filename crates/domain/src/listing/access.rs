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

/// Operators review, never a listing of their own organisation; the owner's members
/// edit and manage their listings; either may archive (operators take listings down).
pub fn ensure_can_act(
    actor: &Actor,
    listing: &Listing,
    action: Action,
) -> Result<(), AccessDenied> {
    let owner = actor.organisation_id == listing.owner;
    let operator = actor.role.is_operator();
    let allowed = match action {
        Action::Approve | Action::Reject => operator && !owner,
        Action::Archive => owner || operator,
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
        Action::Approve | Action::Reject if operator => {
            "an operator does not review a listing of their own organisation".into()
        }
        Action::Approve | Action::Reject => "only operators review listings".into(),
        Action::Expire => "listings expire by themselves".into(),
        _ => format!("only members of the owning organisation may {action} this listing"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{OrganisationId, UserId};
    use crate::listing::lifecycle::perform_tests::draft;
    use crate::user::Role;

    fn actor(role: Role, organisation_id: OrganisationId) -> Actor {
        Actor {
            user_id: UserId::new(),
            organisation_id,
            role,
        }
    }

    #[test]
    fn operators_review_other_organisations_listings_only() {
        let listing = draft();
        let outside = actor(Role::Operator, OrganisationId::new());
        let inside = actor(Role::Operator, listing.owner);
        let admin_inside = actor(Role::Admin, listing.owner);
        for action in [Action::Approve, Action::Reject] {
            assert!(ensure_can_act(&outside, &listing, action).is_ok());
            for staff in [&inside, &admin_inside] {
                let denied = ensure_can_act(staff, &listing, action).unwrap_err();
                assert!(denied.0.contains("own organisation"), "{denied}");
            }
            let member = actor(Role::Member, listing.owner);
            assert!(ensure_can_act(&member, &listing, action).is_err());
        }
        // Their own organisation's listing is theirs to manage as a member's.
        assert!(ensure_can_act(&inside, &listing, Action::Edit).is_ok());
    }
}
