//! What the index knows about a listing: the searchable text, the filterable fields,
//! and a stored profile from which hits and match explanations are built without a
//! database round trip.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use techex_domain::listing::{Listing, ListingKind, Price, TransferMode};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedListing {
    pub id: String,
    pub kind: ListingKind,
    pub owner: String,
    pub language: String,
    pub title: String,
    pub summary: String,
    /// Indexed and used for snippets; left out of the stored profile.
    #[serde(skip)]
    pub description: String,
    pub keywords: Vec<String>,
    pub sectors: Vec<String>,
    pub trl: Option<u8>,
    pub ip_status: Option<String>,
    pub transfer_modes: Vec<TransferMode>,
    pub price: Option<Price>,
    pub province: Option<String>,
    pub external_ref: Option<String>,
    /// Seconds since the epoch; newest first when browsing.
    pub published_at: i64,
    pub valid_until: NaiveDate,
}

impl From<&Listing> for IndexedListing {
    fn from(listing: &Listing) -> Self {
        let c = &listing.content;
        Self {
            id: listing.id.to_string(),
            kind: listing.kind,
            owner: listing.owner.to_string(),
            language: c.language.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            description: c.description.clone(),
            keywords: c.keywords.clone(),
            sectors: c.sectors.clone(),
            trl: c.trl,
            ip_status: c.ip_status.map(|s| s.as_str().to_owned()),
            transfer_modes: c.transfer_modes.clone(),
            price: c.price.clone(),
            province: c.province.clone(),
            external_ref: c.external_ref.clone(),
            published_at: listing.published_at.map_or(0, |t| t.timestamp()),
            valid_until: c.valid_until,
        }
    }
}

impl IndexedListing {
    /// The text a match query is built from: what the listing is about.
    pub fn query_text(&self) -> String {
        let description: String = self.description.chars().take(1500).collect();
        format!(
            "{} {} {} {}",
            self.title,
            self.keywords.join(" "),
            self.summary,
            description
        )
    }

    /// Everything searchable besides the title.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}",
            self.summary,
            self.description,
            self.keywords.join(", ")
        )
    }

    pub fn other_kind(&self) -> ListingKind {
        match self.kind {
            ListingKind::Offer => ListingKind::Need,
            ListingKind::Need => ListingKind::Offer,
        }
    }
}
