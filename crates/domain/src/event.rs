//! What an organisation is told about: each event lands in its members' inboxes and
//! goes to the webhooks it registered for that event.

use serde::{Deserialize, Serialize};

use crate::listing::wire_enum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "listing.approved")]
    ListingApproved,
    #[serde(rename = "listing.rejected")]
    ListingRejected,
    #[serde(rename = "listing.expiring")]
    ListingExpiring,
    #[serde(rename = "listing.expired")]
    ListingExpired,
    #[serde(rename = "interest.created")]
    InterestCreated,
    #[serde(rename = "interest.changed")]
    InterestChanged,
    #[serde(rename = "interest.message")]
    InterestMessage,
    #[serde(rename = "match.found")]
    MatchFound,
}
wire_enum!(EventKind {
    ListingApproved => "listing.approved",
    ListingRejected => "listing.rejected",
    ListingExpiring => "listing.expiring",
    ListingExpired => "listing.expired",
    InterestCreated => "interest.created",
    InterestChanged => "interest.changed",
    InterestMessage => "interest.message",
    MatchFound => "match.found",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_agree_with_serde() {
        for &kind in EventKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(kind.as_str().parse::<EventKind>().unwrap(), kind);
        }
    }
}
