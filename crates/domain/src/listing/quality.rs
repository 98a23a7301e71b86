//! Automatic warnings shown to the submitter and in the operator's queue: the
//! remarks a reviewer would otherwise write by hand. They never block a submission.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{ListingContent, ListingKind};
use crate::ids::ListingId;
use crate::text::fold;

/// A summary shorter than this is too short to judge a technology by.
pub const MIN_USEFUL_SUMMARY_CHARS: usize = 100;
/// Titles whose folded words overlap this much are likely the same listing.
const DUPLICATE_SIMILARITY: f64 = 0.8;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Warning {
    /// Stable: missing_ip_status, missing_trl, short_summary, no_quantified_benefit,
    /// title_in_capitals, possible_duplicate.
    pub code: &'static str,
    pub field: Option<&'static str>,
    pub message: String,
    /// For possible_duplicate: the other listing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_listing: Option<ListingId>,
}

impl Warning {
    fn new(code: &'static str, field: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            code,
            field,
            message: message.into(),
            related_listing: None,
        }
    }
}

/// The warnings for `content`; `siblings` are the other live listings of the same
/// organisation with their titles, for the duplicate check.
pub fn warnings(
    kind: ListingKind,
    content: &ListingContent,
    siblings: &[(ListingId, String)],
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if kind == ListingKind::Offer && content.ip_status.is_none() {
        warnings.push(Warning::new(
            "missing_ip_status",
            Some("ip_status"),
            "an offer should say how the technology is protected (patent, utility solution, know-how …)",
        ));
    }
    if kind == ListingKind::Offer && content.trl.is_none() {
        warnings.push(Warning::new(
            "missing_trl",
            Some("trl"),
            "an offer should give its technology readiness level (1–9)",
        ));
    }
    let summary_chars = content.summary.chars().count();
    if summary_chars < MIN_USEFUL_SUMMARY_CHARS {
        warnings.push(Warning::new(
            "short_summary",
            Some("summary"),
            format!("the summary has {summary_chars} characters; at least {MIN_USEFUL_SUMMARY_CHARS} let a reader judge the technology"),
        ));
    }
    if !has_quantity(&content.summary) && !has_quantity(&content.description) {
        warnings.push(Warning::new(
            "no_quantified_benefit",
            Some("summary"),
            "no figure states the benefit (e.g. \"cuts energy use by 30%\", \"50 m³/day\")",
        ));
    }
    if is_shouting(&content.title) {
        warnings.push(Warning::new(
            "title_in_capitals",
            Some("title"),
            "the title is written in capitals",
        ));
    }
    for (id, title) in siblings {
        if title_similarity(&content.title, title) >= DUPLICATE_SIMILARITY {
            let mut warning = Warning::new(
                "possible_duplicate",
                Some("title"),
                format!("the organisation already has a listing titled \"{title}\""),
            );
            warning.related_listing = Some(*id);
            warnings.push(warning);
        }
    }
    warnings
}

/// A digit in the text: a quantity, a percentage, a capacity.
fn has_quantity(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
}

fn is_shouting(title: &str) -> bool {
    let letters: Vec<char> = title.chars().filter(|c| c.is_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_uppercase()).count();
    letters.len() >= 8 && upper * 10 >= letters.len() * 8
}

/// Jaccard similarity of the folded word sets (diacritics and case ignored).
pub fn title_similarity(a: &str, b: &str) -> f64 {
    let words = |text: &str| -> BTreeSet<String> {
        fold(text)
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(&b).count() as f64;
    let union = a.union(&b).count() as f64;
    shared / union
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn content(title: &str, summary: &str) -> ListingContent {
        ListingContent {
            title: title.into(),
            summary: summary.into(),
            description: String::new(),
            language: "vi".into(),
            sectors: vec!["2.7".into()],
            keywords: vec![],
            trl: None,
            ip_status: None,
            patent_numbers: vec![],
            transfer_modes: vec![],
            price: None,
            province: None,
            valid_until: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            external_ref: None,
        }
    }

    fn codes(warnings: &[Warning]) -> Vec<&'static str> {
        warnings.iter().map(|w| w.code).collect()
    }

    #[test]
    fn a_bare_offer_collects_every_warning() {
        let found = warnings(
            ListingKind::Offer,
            &content("MÁY SẤY NÔNG SẢN TIẾT KIỆM", "Máy sấy tốt."),
            &[],
        );
        assert_eq!(
            codes(&found),
            [
                "missing_ip_status",
                "missing_trl",
                "short_summary",
                "no_quantified_benefit",
                "title_in_capitals"
            ]
        );
    }

    #[test]
    fn a_complete_need_has_none() {
        let summary = "Nhà máy cần giảm 30% điện năng tiêu thụ của dây chuyền sấy cà phê công suất 5 tấn/ngày, \
                       ưu tiên công nghệ bơm nhiệt đã được kiểm chứng.";
        assert!(
            warnings(
                ListingKind::Need,
                &content("Cần công nghệ sấy bơm nhiệt", summary),
                &[]
            )
            .is_empty()
        );
    }

    #[test]
    fn near_identical_titles_of_the_same_organisation_are_flagged() {
        let other = ListingId::new();
        let siblings = vec![(other, "Công nghệ xử lý nước thải dệt nhuộm".to_owned())];
        let found = warnings(
            ListingKind::Need,
            &content("Cong nghe xu ly nuoc thai det nhuom", "x"),
            &siblings,
        );
        let duplicate = found
            .iter()
            .find(|w| w.code == "possible_duplicate")
            .expect("flagged");
        assert_eq!(duplicate.related_listing, Some(other));
        let unrelated = vec![(other, "Giống lúa chịu mặn".to_owned())];
        assert!(
            !codes(&warnings(
                ListingKind::Need,
                &content("Công nghệ xử lý nước thải", "x"),
                &unrelated
            ))
            .contains(&"possible_duplicate")
        );
    }
}
