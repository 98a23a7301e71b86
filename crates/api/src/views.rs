//! Response bodies. The domain stays free of framework types, so its values are
//! mapped to these OpenAPI-described shapes here.

use crate::vocabularies;
use chrono::{DateTime, Utc};
use serde::Serialize;
use techex_domain::{AuditEntry, Organisation, User};
use techex_store::Page;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct OrganisationView {
    pub id: Uuid,
    pub name: String,
    /// research_institute, university, enterprise, startup or exchange.
    #[schema(value_type = vocabularies::OrganisationKind)]
    pub kind: String,
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub website: Option<String>,
    /// Set by an exchange operator after checking the organisation.
    pub verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<Organisation> for OrganisationView {
    fn from(o: Organisation) -> Self {
        Self {
            id: o.id.as_uuid(),
            name: o.name,
            kind: o.kind.as_str().to_owned(),
            province: o.province,
            country: o.country,
            website: o.website,
            verified: o.verified,
            verified_at: o.verified_at,
            created_at: o.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    /// member, operator or admin.
    #[schema(value_type = vocabularies::Role)]
    pub role: String,
    pub organisation_id: Uuid,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id.as_uuid(),
            email: u.email.as_str().to_owned(),
            full_name: u.full_name,
            role: u.role.as_str().to_owned(),
            organisation_id: u.organisation_id.as_uuid(),
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

/// A user with their organisation: the answer to registration and to `GET /me`.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    pub user: UserView,
    pub organisation: OrganisationView,
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    pub actor: Option<Uuid>,
    #[schema(value_type = vocabularies::AuditAction)]
    pub action: String,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub detail: Option<String>,
    pub client_ip: Option<String>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            occurred_at: e.occurred_at,
            actor: e.actor.map(|a| a.as_uuid()),
            action: e.action.as_str().to_owned(),
            object_type: e.object_type,
            object_id: e.object_id,
            detail: e.detail,
            client_ip: e.client_ip,
        }
    }
}

/// One page of a list, with the total number of items.
#[derive(Serialize, ToSchema)]
pub struct PageView<T: ToSchema> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

impl<T: ToSchema> PageView<T> {
    pub fn from_page<S>(page: Page<S>) -> Self
    where
        T: From<S>,
    {
        Self {
            items: page.items.into_iter().map(T::from).collect(),
            page: page.page,
            per_page: page.per_page,
            total: page.total,
        }
    }
}
