//! Who may do what. Every permission rule lives here, so handlers ask instead of
//! re-deciding.

use serde::Serialize;

use crate::ids::{OrganisationId, UserId};
use crate::user::{Role, User};

/// The authenticated user on whose behalf a request acts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub organisation_id: OrganisationId,
    pub role: Role,
}

impl From<&User> for Actor {
    fn from(user: &User) -> Self {
        Self {
            user_id: user.id,
            organisation_id: user.organisation_id,
            role: user.role,
        }
    }
}

/// Why an action was refused; the API answers 403 with this reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{0}")]
pub struct AccessDenied(pub String);

impl Actor {
    pub fn ensure_operator(&self) -> Result<(), AccessDenied> {
        if self.role.is_operator() {
            Ok(())
        } else {
            Err(AccessDenied("this action needs the operator role".into()))
        }
    }

    /// Posting an offer or need. Operators review listings and never their own
    /// organisation's, so a listing of the exchange's would wait for review forever.
    pub fn ensure_can_post(&self) -> Result<(), AccessDenied> {
        if self.role.is_operator() {
            Err(AccessDenied(
                "operators review listings rather than post them: offers and needs are posted by members of institutes, universities and enterprises".into(),
            ))
        } else {
            Ok(())
        }
    }

    /// Disabling, enabling and role changes. Operators manage members and operators;
    /// only an admin touches an admin; nobody changes their own account, so an
    /// exchange cannot lock out its last operator by accident.
    pub fn ensure_can_manage(&self, target: &User) -> Result<(), AccessDenied> {
        self.ensure_operator()?;
        if target.id == self.user_id {
            return Err(AccessDenied(
                "operators cannot change their own account".into(),
            ));
        }
        if target.role == Role::Admin && self.role != Role::Admin {
            return Err(AccessDenied(
                "only an admin can change an admin's account".into(),
            ));
        }
        Ok(())
    }

    /// Granting a role: never above one's own, and a staff role (operator, admin)
    /// only within one's own organisation — the exchange. A member of an institute
    /// or enterprise made operator would review their own organisation's listings.
    pub fn ensure_can_grant(&self, target: &User, role: Role) -> Result<(), AccessDenied> {
        self.ensure_can_manage(target)?;
        if role.is_operator() && target.organisation_id != self.organisation_id {
            return Err(AccessDenied(format!(
                "the {role} role is given only to users of the exchange's own organisation"
            )));
        }
        if role == Role::Admin && self.role != Role::Admin {
            return Err(AccessDenied(
                "only an admin can grant the admin role".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::email::Email;

    fn user(role: Role) -> User {
        User {
            id: UserId::new(),
            email: Email::parse("a@example.org").unwrap(),
            full_name: "A".into(),
            role,
            organisation_id: OrganisationId::new(),
            disabled: false,
            tokens_revoked_at: None,
            created_at: Utc::now(),
        }
    }

    /// Another user of `of`'s organisation.
    fn colleague(of: &User, role: Role) -> User {
        User {
            organisation_id: of.organisation_id,
            ..user(role)
        }
    }

    #[test]
    fn members_cannot_operate() {
        let member = Actor::from(&user(Role::Member));
        assert!(member.ensure_operator().is_err());
        assert!(member.ensure_can_post().is_ok());
        assert!(member.ensure_can_manage(&user(Role::Member)).is_err());
    }

    #[test]
    fn operators_manage_members_but_not_admins_or_themselves() {
        let me = user(Role::Operator);
        let operator = Actor::from(&me);
        assert!(operator.ensure_can_post().is_err());
        assert!(operator.ensure_can_manage(&user(Role::Member)).is_ok());
        assert!(operator.ensure_can_manage(&user(Role::Admin)).is_err());
        assert!(operator.ensure_can_manage(&me).is_err());
        assert!(
            operator
                .ensure_can_grant(&colleague(&me, Role::Member), Role::Operator)
                .is_ok()
        );
        assert!(
            operator
                .ensure_can_grant(&colleague(&me, Role::Member), Role::Admin)
                .is_err()
        );
    }

    #[test]
    fn staff_roles_stay_in_the_exchange() {
        for role in [Role::Operator, Role::Admin] {
            let me = user(role);
            let actor = Actor::from(&me);
            let outsider = user(Role::Member);
            let denied = actor
                .ensure_can_grant(&outsider, Role::Operator)
                .unwrap_err();
            assert!(denied.0.contains("own organisation"), "{denied}");
            assert!(actor.ensure_can_grant(&outsider, Role::Admin).is_err());
            // Demoting or keeping a member of another organisation a member is fine.
            assert!(actor.ensure_can_grant(&outsider, Role::Member).is_ok());
            assert!(
                actor
                    .ensure_can_grant(&colleague(&me, Role::Member), Role::Operator)
                    .is_ok()
            );
        }
    }

    #[test]
    fn admins_manage_admins() {
        let me = user(Role::Admin);
        let admin = Actor::from(&me);
        assert!(admin.ensure_can_manage(&user(Role::Admin)).is_ok());
        assert!(
            admin
                .ensure_can_grant(&colleague(&me, Role::Member), Role::Admin)
                .is_ok()
        );
    }
}
