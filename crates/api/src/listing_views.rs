//! Response bodies for listings, the review queue and the taxonomy.

use crate::vocabularies;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use techex_domain::Organisation;
use techex_domain::listing::quality::Warning;
use techex_domain::listing::{HistoryEntry, Listing, ListingContent, Price};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Serialize, ToSchema)]
pub struct PriceView {
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// ISO 4217.
    pub currency: String,
    pub negotiable: bool,
}

impl From<Price> for PriceView {
    fn from(p: Price) -> Self {
        Self {
            min: p.min,
            max: p.max,
            currency: p.currency,
            negotiable: p.negotiable,
        }
    }
}

/// What a listing says.
#[derive(Serialize, ToSchema)]
pub struct ContentView {
    pub title: String,
    pub summary: String,
    pub description: String,
    /// ISO 639-1.
    pub language: String,
    /// Taxonomy sector codes.
    pub sectors: Vec<String>,
    pub keywords: Vec<String>,
    /// 1–9; for a need, the minimum accepted.
    pub trl: Option<u8>,
    /// patent_granted, patent_pending, utility_solution, know_how, copyright or none.
    #[schema(value_type = Option<vocabularies::IpStatus>)]
    pub ip_status: Option<String>,
    pub patent_numbers: Vec<String>,
    /// licence, assignment, joint_development, technical_service, equipment_sale, investment.
    #[schema(value_type = Vec<vocabularies::TransferMode>)]
    pub transfer_modes: Vec<String>,
    pub price: Option<PriceView>,
    /// Taxonomy province code.
    pub province: Option<String>,
    pub valid_until: NaiveDate,
    pub external_ref: Option<String>,
}

impl From<ListingContent> for ContentView {
    fn from(c: ListingContent) -> Self {
        Self {
            title: c.title,
            summary: c.summary,
            description: c.description,
            language: c.language,
            sectors: c.sectors,
            keywords: c.keywords,
            trl: c.trl,
            ip_status: c.ip_status.map(|s| s.as_str().to_owned()),
            patent_numbers: c.patent_numbers,
            transfer_modes: c
                .transfer_modes
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            price: c.price.map(PriceView::from),
            province: c.province,
            valid_until: c.valid_until,
            external_ref: c.external_ref,
        }
    }
}

/// The organisation behind a listing, as the public sees it.
#[derive(Serialize, ToSchema)]
pub struct OrganisationSummary {
    pub id: Uuid,
    pub name: String,
    #[schema(value_type = vocabularies::OrganisationKind)]
    pub kind: String,
    pub province: Option<String>,
    /// Checked by an exchange operator.
    pub verified: bool,
}

impl From<&Organisation> for OrganisationSummary {
    fn from(o: &Organisation) -> Self {
        Self {
            id: o.id.as_uuid(),
            name: o.name.clone(),
            kind: o.kind.as_str().to_owned(),
            province: o.province.clone(),
            verified: o.verified,
        }
    }
}

/// A proposed edit of a published listing, waiting for or refused by review.
#[derive(Serialize, ToSchema)]
pub struct RevisionView {
    /// pending_review or rejected.
    pub status: String,
    pub submitted_at: DateTime<Utc>,
    pub content: ContentView,
}

#[derive(Serialize, ToSchema)]
pub struct RejectionView {
    #[schema(value_type = vocabularies::RejectReason)]
    pub reason_code: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct WarningView {
    /// missing_ip_status, missing_trl, short_summary, no_quantified_benefit,
    /// title_in_capitals or possible_duplicate.
    pub code: String,
    pub field: Option<String>,
    pub message: String,
    pub related_listing: Option<Uuid>,
}

impl From<Warning> for WarningView {
    fn from(w: Warning) -> Self {
        Self {
            code: w.code.to_owned(),
            field: w.field.map(str::to_owned),
            message: w.message,
            related_listing: w.related_listing.map(|id| id.as_uuid()),
        }
    }
}

/// A listing. The owner's members and operators also see its workflow state:
/// `revision`, `rejection`, `warnings` and the review timestamps.
#[derive(Serialize, ToSchema)]
pub struct ListingView {
    pub id: Uuid,
    /// offer or need.
    #[schema(value_type = vocabularies::ListingKind)]
    pub kind: String,
    /// draft, pending_review, published, rejected, archived or expired.
    #[schema(value_type = vocabularies::ListingStatus)]
    pub status: String,
    pub organisation: Option<OrganisationSummary>,
    #[serde(flatten)]
    pub content: ContentView,
    /// Send it back with a PATCH.
    pub version: i64,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<RevisionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<RejectionView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<WarningView>>,
}

impl ListingView {
    /// What anyone may see of a published listing.
    pub fn public(listing: Listing, organisation: Option<&Organisation>) -> Self {
        Self {
            id: listing.id.as_uuid(),
            kind: listing.kind.as_str().to_owned(),
            status: listing.status.as_str().to_owned(),
            organisation: organisation.map(OrganisationSummary::from),
            content: listing.content.into(),
            version: listing.version,
            published_at: listing.published_at,
            created_at: listing.created_at,
            updated_at: None,
            submitted_at: None,
            revision: None,
            rejection: None,
            warnings: None,
        }
    }

    /// Everything, for the owner's members and operators.
    pub fn full(
        listing: Listing,
        organisation: Option<&Organisation>,
        warnings: Option<Vec<Warning>>,
    ) -> Self {
        let updated_at = Some(listing.updated_at);
        let submitted_at = listing.submitted_at;
        let revision = listing.revision.clone().map(|r| RevisionView {
            status: r.status.as_str().to_owned(),
            submitted_at: r.submitted_at,
            content: r.content.into(),
        });
        let rejection = listing.rejection.clone().map(|r| RejectionView {
            reason_code: r.reason_code.as_str().to_owned(),
            message: r.message,
        });
        Self {
            updated_at,
            submitted_at,
            revision,
            rejection,
            warnings: warnings.map(|w| w.into_iter().map(WarningView::from).collect()),
            ..Self::public(listing, organisation)
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntryView {
    pub occurred_at: DateTime<Utc>,
    /// The user who acted; none for the system (expiry).
    pub actor: Option<Uuid>,
    pub action: String,
    pub from: String,
    pub to: String,
    #[schema(value_type = Option<vocabularies::RejectReason>)]
    pub reason_code: Option<String>,
    pub message: Option<String>,
}

impl From<HistoryEntry> for HistoryEntryView {
    fn from(e: HistoryEntry) -> Self {
        Self {
            occurred_at: e.occurred_at,
            actor: e.actor.map(|a| a.as_uuid()),
            action: e.action.as_str().to_owned(),
            from: e.from.as_str().to_owned(),
            to: e.to.as_str().to_owned(),
            reason_code: e.reason_code.map(|r| r.as_str().to_owned()),
            message: e.message,
        }
    }
}

/// One changed field of an edit under review.
#[derive(Serialize, ToSchema)]
pub struct FieldChange {
    pub field: String,
    /// The field's value before the edit: a string, number, array or null.
    #[schema(value_type = Value)]
    pub before: serde_json::Value,
    /// The field's value after the edit.
    #[schema(value_type = Value)]
    pub after: serde_json::Value,
}

/// The fields an edit changes, in a stable order.
pub fn diff(before: &ListingContent, after: &ListingContent) -> Vec<FieldChange> {
    let (Ok(serde_json::Value::Object(before)), Ok(serde_json::Value::Object(after))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    before
        .iter()
        .filter(|(field, value)| after.get(*field) != Some(value))
        .map(|(field, value)| FieldChange {
            field: field.clone(),
            before: value.clone(),
            after: after.get(field).cloned().unwrap_or(serde_json::Value::Null),
        })
        .collect()
}

/// An entry of the operators' review queue.
#[derive(Serialize, ToSchema)]
pub struct QueueItemView {
    /// new_listing or edit.
    pub review: String,
    pub waiting_since: Option<DateTime<Utc>>,
    pub listing: ListingView,
    /// For an edit of a published listing: what it changes.
    pub changes: Vec<FieldChange>,
}
