//! techex domain: the types and rules of a technology exchange.
//!
//! Pure values and decisions, no I/O and no framework types: the store and the API
//! build on these so each rule is written exactly once. Values are parsed, not
//! validated: once an [`Email`] or a [`NewOrganisation`] exists it is valid.

pub mod access;
pub mod audit;
pub mod currency;
pub mod email;
pub mod event;
pub mod ids;
pub mod interest;
pub mod language;
pub mod listing;
pub mod organisation;
pub mod password;
pub mod taxonomy;
pub mod text;
pub mod user;
pub mod validation;

pub use access::{AccessDenied, Actor};
pub use audit::{AuditAction, AuditEntry, NewAuditEntry};
pub use email::Email;
pub use ids::{InterestId, ListingId, OrganisationId, UserId};
pub use organisation::{NewOrganisation, Organisation, OrganisationInput, OrganisationKind};
pub use password::Password;
pub use user::{FullName, NewUser, Role, User};
pub use validation::{FieldError, ValidationErrors};
