//! What a listing says, and every rule on it. [`ListingInput`] is the raw shape a
//! client sends (every field optional, so that all missing fields are reported at
//! once); [`ListingContent::parse`] turns it into valid content or a list of
//! per-field errors.

use std::collections::BTreeSet;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{IpStatus, ListingKind, TransferMode};
use crate::currency::parse_currency;
use crate::taxonomy::Taxonomy;
use crate::text::nfc;
use crate::validation::{ValidationErrors, bounded_text, is_blank, parse_date, trim_blank};

pub const MAX_SECTORS: usize = 10;
pub const MAX_KEYWORDS: usize = 20;
pub const MAX_PATENT_NUMBERS: usize = 20;
/// Text limits, in characters of the NFC form.
pub const MIN_TITLE_CHARS: usize = 5;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_SUMMARY_CHARS: usize = 600;
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
pub const MAX_KEYWORD_CHARS: usize = 60;
pub const MAX_PATENT_NUMBER_CHARS: usize = 50;
pub const MAX_EXTERNAL_REF_CHARS: usize = 100;
/// The most text a valid listing holds, in characters: every text field at its limit.
pub const MAX_TEXT_CHARS: usize = MAX_TITLE_CHARS
    + MAX_SUMMARY_CHARS
    + MAX_DESCRIPTION_CHARS
    + MAX_KEYWORDS * MAX_KEYWORD_CHARS
    + MAX_PATENT_NUMBERS * MAX_PATENT_NUMBER_CHARS
    + MAX_EXTERNAL_REF_CHARS;
/// How far ahead a listing may be valid.
pub const MAX_VALIDITY_MONTHS: u32 = 24;
/// Validity given when a new listing names none.
pub const DEFAULT_VALIDITY_MONTHS: u32 = 12;

/// Price of an offer or budget of a need, in whole units of `currency`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub currency: String,
    pub negotiable: bool,
}

/// Valid listing content. Text is NFC-normalised, so the same words typed on
/// different systems compare equal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingContent {
    pub title: String,
    pub summary: String,
    pub description: String,
    /// ISO 639-1, e.g. `vi` or `en`.
    pub language: String,
    /// Taxonomy codes, 1–10.
    pub sectors: Vec<String>,
    pub keywords: Vec<String>,
    /// Technology readiness level 1–9; for a need, the minimum it accepts.
    pub trl: Option<u8>,
    pub ip_status: Option<IpStatus>,
    pub patent_numbers: Vec<String>,
    pub transfer_modes: Vec<TransferMode>,
    pub price: Option<Price>,
    /// A province code of the taxonomy.
    pub province: Option<String>,
    pub valid_until: NaiveDate,
    /// The listing's id in another system (an exchange it was imported from).
    pub external_ref: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceInput {
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub currency: Option<String>,
    pub negotiable: Option<bool>,
}

/// The raw fields of a listing as a client sends them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub language: Option<String>,
    pub sectors: Option<Vec<String>>,
    pub keywords: Option<Vec<String>>,
    pub trl: Option<i64>,
    pub ip_status: Option<String>,
    pub patent_numbers: Option<Vec<String>>,
    pub transfer_modes: Option<Vec<String>>,
    pub price: Option<PriceInput>,
    pub province: Option<String>,
    /// `YYYY-MM-DD`.
    pub valid_until: Option<String>,
    pub external_ref: Option<String>,
}

impl ListingContent {
    /// Checks every rule against `today` and reports all violations at once.
    pub fn parse(input: &ListingInput, today: NaiveDate) -> Result<Self, ValidationErrors> {
        let taxonomy = Taxonomy::builtin();
        let mut errors = ValidationErrors::new();
        let text = |raw: &Option<String>| raw.as_deref().map(nfc).unwrap_or_default();

        let title = errors.check(
            "title",
            required_text(&text(&input.title), MIN_TITLE_CHARS, MAX_TITLE_CHARS),
        );
        let summary = errors.check(
            "summary",
            optional_text(&text(&input.summary), MAX_SUMMARY_CHARS),
        );
        let description = errors.check(
            "description",
            optional_text(&text(&input.description), MAX_DESCRIPTION_CHARS),
        );
        let language = errors.check("language", parse_language(input.language.as_deref()));
        let sectors = errors.check("sectors", parse_sectors(input.sectors.as_deref(), taxonomy));
        let keywords = errors.check(
            "keywords",
            parse_keywords(input.keywords.as_deref().unwrap_or_default()),
        );
        let trl = errors.check("trl", parse_trl(input.trl)).flatten();
        let ip_status = errors
            .check(
                "ip_status",
                input
                    .ip_status
                    .as_deref()
                    .map(str::parse::<IpStatus>)
                    .transpose(),
            )
            .flatten();
        let patent_numbers = errors.check(
            "patent_numbers",
            parse_patent_numbers(
                input.patent_numbers.as_deref().unwrap_or_default(),
                ip_status,
            ),
        );
        let transfer_modes = errors.check(
            "transfer_modes",
            parse_transfer_modes(input.transfer_modes.as_deref().unwrap_or_default()),
        );
        let price = match &input.price {
            None => None,
            Some(price) => parse_price(price, &mut errors),
        };
        let province = errors
            .check(
                "province",
                taxonomy.province_code(input.province.as_deref()),
            )
            .flatten();
        let valid_until = errors.check(
            "valid_until",
            parse_valid_until(input.valid_until.as_deref(), today),
        );
        let external_ref = errors
            .check(
                "external_ref",
                optional_text(&text(&input.external_ref), MAX_EXTERNAL_REF_CHARS).map(non_empty),
            )
            .flatten();

        match (
            title,
            summary,
            description,
            language,
            sectors,
            keywords,
            patent_numbers,
            transfer_modes,
            valid_until,
        ) {
            (
                Some(title),
                Some(summary),
                Some(description),
                Some(language),
                Some(sectors),
                Some(keywords),
                Some(patent_numbers),
                Some(transfer_modes),
                Some(valid_until),
            ) if errors.is_empty() => Ok(Self {
                title,
                summary,
                description,
                language,
                sectors,
                keywords,
                trl,
                ip_status,
                patent_numbers,
                transfer_modes,
                price,
                province,
                valid_until,
                external_ref,
            }),
            _ => Err(errors),
        }
    }

    /// The input that parses back to this content (for merge-patching an edit).
    pub fn to_input(&self) -> ListingInput {
        ListingInput {
            title: Some(self.title.clone()),
            summary: Some(self.summary.clone()),
            description: Some(self.description.clone()),
            language: Some(self.language.clone()),
            sectors: Some(self.sectors.clone()),
            keywords: Some(self.keywords.clone()),
            trl: self.trl.map(i64::from),
            ip_status: self.ip_status.map(|s| s.as_str().to_owned()),
            patent_numbers: Some(self.patent_numbers.clone()),
            transfer_modes: Some(
                self.transfer_modes
                    .iter()
                    .map(|m| m.as_str().to_owned())
                    .collect(),
            ),
            price: self.price.as_ref().map(|p| PriceInput {
                min: p.min,
                max: p.max,
                currency: Some(p.currency.clone()),
                negotiable: Some(p.negotiable),
            }),
            province: self.province.clone(),
            valid_until: Some(self.valid_until.to_string()),
            external_ref: self.external_ref.clone(),
        }
    }

    /// The latest valid-until date allowed on `today`.
    pub fn latest_valid_until(today: NaiveDate) -> NaiveDate {
        today
            .checked_add_months(Months::new(MAX_VALIDITY_MONTHS))
            .unwrap_or(today)
    }
}

/// The kind a client names when creating a listing, as the JSON value sent.
pub fn parse_kind(raw: Option<&serde_json::Value>) -> Result<ListingKind, String> {
    match raw {
        None | Some(serde_json::Value::Null) => Err("is required: offer or need".into()),
        Some(serde_json::Value::String(kind)) => kind.parse(),
        Some(_) => Err("must be a string: offer or need".into()),
    }
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn required_text(raw: &str, min: usize, max: usize) -> Result<String, String> {
    if is_blank(raw) {
        return Err("is required".into());
    }
    bounded_text(raw, min, max)
}

/// Empty is allowed; control characters other than line breaks and tabs are not.
fn optional_text(raw: &str, max: usize) -> Result<String, String> {
    let trimmed = trim_blank(raw);
    if trimmed.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_owned())
}

fn parse_language(raw: Option<&str>) -> Result<String, String> {
    crate::language::parse(raw.ok_or("is required: an ISO 639-1 code such as vi or en")?)
}

fn parse_sectors(raw: Option<&[String]>, taxonomy: &Taxonomy) -> Result<Vec<String>, String> {
    let codes = raw.unwrap_or_default();
    if codes.is_empty() {
        return Err(
            "must name at least one sector (GET /api/v1/taxonomy/sectors lists them)".into(),
        );
    }
    let mut seen = BTreeSet::new();
    let mut sectors = Vec::new();
    for code in codes {
        let code = code.trim();
        if taxonomy.sector(code).is_none() {
            return Err(format!(
                "'{code}' is not a sector code (GET /api/v1/taxonomy/sectors lists them)"
            ));
        }
        if seen.insert(code.to_owned()) {
            sectors.push(code.to_owned());
        }
    }
    if sectors.len() > MAX_SECTORS {
        return Err(format!("at most {MAX_SECTORS} sectors"));
    }
    Ok(sectors)
}

fn parse_keywords(raw: &[String]) -> Result<Vec<String>, String> {
    let mut seen = BTreeSet::new();
    let mut keywords = Vec::new();
    for keyword in raw {
        let keyword = bounded_text(&nfc(keyword), 1, MAX_KEYWORD_CHARS)
            .map_err(|e| format!("each keyword {e}"))?;
        if seen.insert(crate::text::fold(&keyword)) {
            keywords.push(keyword);
        }
    }
    if keywords.len() > MAX_KEYWORDS {
        return Err(format!("at most {MAX_KEYWORDS} keywords"));
    }
    Ok(keywords)
}

/// Technology readiness levels.
pub const TRL_LEVELS: std::ops::RangeInclusive<u8> = 1..=9;

fn parse_trl(raw: Option<i64>) -> Result<Option<u8>, String> {
    match raw.map(u8::try_from) {
        None => Ok(None),
        Some(Ok(level)) if TRL_LEVELS.contains(&level) => Ok(Some(level)),
        Some(_) => Err(format!(
            "must be a technology readiness level from {} to {}",
            TRL_LEVELS.start(),
            TRL_LEVELS.end()
        )),
    }
}

fn parse_patent_numbers(
    raw: &[String],
    ip_status: Option<IpStatus>,
) -> Result<Vec<String>, String> {
    let numbers: Vec<String> = raw
        .iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect();
    if numbers.is_empty() {
        return Ok(numbers);
    }
    if !ip_status.is_some_and(IpStatus::has_numbers) {
        return Err(
            "only with ip_status patent_granted, patent_pending or utility_solution".into(),
        );
    }
    if numbers.len() > MAX_PATENT_NUMBERS {
        return Err(format!("at most {MAX_PATENT_NUMBERS} numbers"));
    }
    if let Some(bad) = numbers
        .iter()
        .find(|n| n.chars().count() > MAX_PATENT_NUMBER_CHARS || n.chars().any(char::is_control))
    {
        return Err(format!("'{bad}' is not a patent number"));
    }
    Ok(numbers)
}

fn parse_transfer_modes(raw: &[String]) -> Result<Vec<TransferMode>, String> {
    let mut modes = BTreeSet::new();
    for mode in raw {
        modes.insert(
            mode.parse::<TransferMode>()
                .map_err(|e| format!("'{}': {e}", mode.trim()))?,
        );
    }
    Ok(modes.into_iter().collect())
}

fn parse_price(input: &PriceInput, errors: &mut ValidationErrors) -> Option<Price> {
    let before = errors.errors().len();
    for (field, amount) in [("price.min", input.min), ("price.max", input.max)] {
        if amount.is_some_and(|a| a < 0) {
            errors.add(field, "must not be negative");
        }
    }
    if let (Some(min), Some(max)) = (input.min, input.max)
        && min > max
    {
        errors.add("price.max", "must not be less than price.min");
    }
    let negotiable = input.negotiable.unwrap_or(false);
    if input.min.is_none() && input.max.is_none() && !negotiable {
        errors.add("price", "give min or max, or set negotiable");
    }
    let currency = errors.check(
        "price.currency",
        parse_currency(input.currency.as_deref().unwrap_or("VND")),
    );
    (errors.errors().len() == before).then(|| Price {
        min: input.min,
        max: input.max,
        currency: currency.unwrap_or_default(),
        negotiable,
    })
}

fn parse_valid_until(raw: Option<&str>, today: NaiveDate) -> Result<NaiveDate, String> {
    let latest = ListingContent::latest_valid_until(today);
    // Left out, the default; sent, a date (a blank one is a mistake, not a default).
    let Some(raw) = raw else {
        return Ok(today
            .checked_add_months(Months::new(DEFAULT_VALIDITY_MONTHS))
            .unwrap_or(latest));
    };
    let date = parse_date(raw.trim())?;
    if date <= today {
        return Err("must be in the future".into());
    }
    if date > latest {
        return Err(format!(
            "must be at most {MAX_VALIDITY_MONTHS} months ahead (by {latest})"
        ));
    }
    Ok(date)
}

/// Checks a new valid-until for a renewal: after today, within the limit, and not
/// before the current one — a renewal extends; ending a listing early is archiving.
pub fn parse_renewal(
    raw: Option<&str>,
    current: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, String> {
    match raw {
        Some(_) => {
            let date = parse_valid_until(raw, today)?;
            if date < current {
                return Err(format!(
                    "must not be before the current end of validity, {current}; archive the listing to end it earlier"
                ));
            }
            Ok(date)
        }
        None => {
            let base = current.max(today);
            let proposed = base
                .checked_add_months(Months::new(DEFAULT_VALIDITY_MONTHS))
                .unwrap_or(base);
            Ok(proposed.min(ListingContent::latest_valid_until(today)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    pub(crate) fn valid_input() -> ListingInput {
        ListingInput {
            title: Some("Công nghệ xử lý nước thải dệt nhuộm".into()),
            summary: Some("Giảm 90% COD trong nước thải dệt nhuộm bằng keo tụ điện hóa.".into()),
            description: Some("Hệ thống module 50 m3/ngày.".into()),
            language: Some("vi".into()),
            sectors: Some(vec!["2.7".into()]),
            keywords: Some(vec!["nước thải".into(), "Nước Thải".into(), "COD".into()]),
            trl: Some(6),
            ip_status: Some("patent_granted".into()),
            patent_numbers: Some(vec!["1-0012345".into()]),
            transfer_modes: Some(vec![
                "licence".into(),
                "technical_service".into(),
                "licence".into(),
            ]),
            price: Some(PriceInput {
                min: Some(500_000_000),
                max: Some(900_000_000),
                currency: Some("vnd".into()),
                negotiable: None,
            }),
            province: Some("TP.HCM".into()),
            valid_until: Some("2027-06-30".into()),
            external_ref: Some("HCM-2026-001".into()),
        }
    }

    #[test]
    fn parses_valid_content_and_normalises_it() {
        let content = ListingContent::parse(&valid_input(), today()).unwrap();
        assert_eq!(
            content.keywords,
            ["nước thải", "COD"],
            "keywords are deduplicated ignoring case"
        );
        assert_eq!(
            content.transfer_modes,
            [TransferMode::Licence, TransferMode::TechnicalService]
        );
        assert_eq!(content.price.as_ref().unwrap().currency, "VND");
        assert_eq!(content.province.as_deref(), Some("ho-chi-minh"));
        assert_eq!(content.trl, Some(6));
        assert_eq!(
            ListingContent::parse(&content.to_input(), today()).unwrap(),
            content,
            "round trip"
        );
    }

    #[test]
    fn reports_every_violated_rule() {
        let input = ListingInput {
            title: Some("abc".into()),
            summary: Some("x".repeat(601)),
            language: Some("vietnamese".into()),
            sectors: Some(vec!["99.9".into()]),
            trl: Some(12),
            ip_status: Some("know_how".into()),
            patent_numbers: Some(vec!["1-0001".into()]),
            transfer_modes: Some(vec!["gift".into()]),
            price: Some(PriceInput {
                min: Some(10),
                max: Some(5),
                currency: Some("XYZ".into()),
                negotiable: None,
            }),
            province: Some("Atlantis".into()),
            valid_until: Some("2020-01-01".into()),
            ..ListingInput::default()
        };
        let errors = ListingContent::parse(&input, today()).unwrap_err();
        let mut fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "language",
                "patent_numbers",
                "price.currency",
                "price.max",
                "province",
                "sectors",
                "summary",
                "title",
                "transfer_modes",
                "trl",
                "valid_until"
            ]
        );
    }

    #[test]
    fn valid_until_defaults_to_a_year_and_is_capped_at_two() {
        let input = ListingInput {
            valid_until: None,
            ..valid_input()
        };
        let content = ListingContent::parse(&input, today()).unwrap();
        assert_eq!(
            content.valid_until,
            NaiveDate::from_ymd_opt(2027, 11, 23).unwrap()
        );
        let too_far = ListingInput {
            valid_until: Some("2028-11-24".into()),
            ..valid_input()
        };
        assert!(ListingContent::parse(&too_far, today()).is_err());
        let at_limit = ListingInput {
            valid_until: Some("2028-11-23".into()),
            ..valid_input()
        };
        assert!(ListingContent::parse(&at_limit, today()).is_ok());
    }

    #[test]
    fn renewal_extends_by_a_year_within_the_cap() {
        let current = NaiveDate::from_ymd_opt(2027, 6, 30).unwrap();
        assert_eq!(
            parse_renewal(None, current, today()).unwrap(),
            NaiveDate::from_ymd_opt(2028, 6, 30).unwrap()
        );
        let expired = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(
            parse_renewal(None, expired, today()).unwrap(),
            NaiveDate::from_ymd_opt(2027, 11, 23).unwrap()
        );
        assert!(parse_renewal(Some("2026-11-23"), current, today()).is_err());
        // A renewal never shortens a listing's validity; the same date or a later
        // one is accepted, and an expired listing may take any future date.
        let shorter = parse_renewal(Some("2027-06-29"), current, today()).unwrap_err();
        assert!(shorter.contains("2027-06-30"), "{shorter}");
        assert_eq!(
            parse_renewal(Some("2027-06-30"), current, today()),
            Ok(current)
        );
        assert_eq!(
            parse_renewal(Some("2027-09-01"), current, today()),
            Ok(NaiveDate::from_ymd_opt(2027, 9, 1).unwrap())
        );
        assert_eq!(
            parse_renewal(Some("2027-01-15"), expired, today()),
            Ok(NaiveDate::from_ymd_opt(2027, 1, 15).unwrap())
        );
    }

    #[test]
    fn valid_until_is_a_plain_date_never_blank() {
        let current = NaiveDate::from_ymd_opt(2027, 6, 30).unwrap();
        for raw in ["", "  "] {
            let error = parse_renewal(Some(raw), current, today()).unwrap_err();
            assert!(error.contains("blank"), "{raw:?}: {error}");
        }
        for raw in ["+12027-01-01", "+2027-07-01", "2027-7-1"] {
            let error = parse_renewal(Some(raw), current, today()).unwrap_err();
            assert!(error.contains("YYYY-MM-DD"), "{raw}: {error}");
            let input = ListingInput {
                valid_until: Some(raw.into()),
                ..valid_input()
            };
            let errors = ListingContent::parse(&input, today()).unwrap_err();
            assert_eq!(errors.errors()[0].field, "valid_until");
        }
        let blank = ListingInput {
            valid_until: Some(String::new()),
            ..valid_input()
        };
        assert!(ListingContent::parse(&blank, today()).is_err());
    }

    #[test]
    fn a_price_needs_an_amount_or_negotiable() {
        let vague = ListingInput {
            price: Some(PriceInput::default()),
            ..valid_input()
        };
        assert!(ListingContent::parse(&vague, today()).is_err());
        let negotiable = ListingInput {
            price: Some(PriceInput {
                negotiable: Some(true),
                ..PriceInput::default()
            }),
            ..valid_input()
        };
        assert!(
            ListingContent::parse(&negotiable, today())
                .unwrap()
                .price
                .unwrap()
                .negotiable
        );
    }

    fn title_error(title: &str) -> Option<String> {
        let input = ListingInput {
            title: Some(title.into()),
            ..valid_input()
        };
        ListingContent::parse(&input, today()).err().map(|errors| {
            let [error] = errors.errors() else {
                panic!("one error expected: {errors}");
            };
            assert_eq!(error.field, "title");
            error.message.clone()
        })
    }

    #[test]
    fn decomposed_vietnamese_titles_are_valid_and_stored_composed() {
        // "Công nghệ xử lý nước thải" with every mark a separate code point.
        let nfd = "Co\u{302}ng nghe\u{323}\u{302} xu\u{31B}\u{309} ly\u{301} \
                   nu\u{31B}o\u{31B}\u{301}c tha\u{309}i";
        let input = ListingInput {
            title: Some(nfd.into()),
            ..valid_input()
        };
        let content = ListingContent::parse(&input, today()).unwrap();
        assert_eq!(content.title, "Công nghệ xử lý nước thải");
        // Five letters, each with two marks: exactly the minimum.
        assert_eq!(
            title_error("Đe\u{323}\u{302}o\u{31B}\u{300}u\u{31B}\u{301}a\u{306}\u{303}"),
            None
        );
        // Two hundred letters of three code points each: exactly the maximum.
        assert_eq!(title_error(&"e\u{323}\u{302}".repeat(200)), None);
        assert!(title_error(&"e\u{323}\u{302}".repeat(201)).is_some());
    }

    #[test]
    fn titles_padded_with_invisible_or_blank_characters_are_refused() {
        for padded in [
            "a\u{200B}\u{200B}\u{200B}b",
            "ab\u{00AD}\u{00AD}\u{00AD}cd",
            "\u{301}\u{302}\u{303}\u{309}\u{323}",
        ] {
            let message = title_error(padded).unwrap();
            assert!(message.contains("at least 5"), "{padded:?}: {message}");
        }
        for blank in ["\u{3164}".repeat(5), "\u{2800}".repeat(5)] {
            assert_eq!(title_error(&blank).as_deref(), Some("is required"));
        }
        let spoof = title_error("Title with \u{202E} gnp.exe").unwrap();
        assert!(spoof.contains("bidirectional"), "{spoof}");
    }

    #[test]
    fn the_kind_is_a_string_offer_or_need() {
        use serde_json::json;
        assert_eq!(parse_kind(Some(&json!("need"))), Ok(ListingKind::Need));
        assert_eq!(parse_kind(None).unwrap_err(), "is required: offer or need");
        assert_eq!(
            parse_kind(Some(&json!(null))).unwrap_err(),
            "is required: offer or need"
        );
        for wrong in [json!(1), json!(true), json!(["offer"])] {
            assert_eq!(
                parse_kind(Some(&wrong)).unwrap_err(),
                "must be a string: offer or need",
                "{wrong}"
            );
        }
        assert!(parse_kind(Some(&json!("gift"))).is_err());
        assert_eq!(ListingKind::Offer.with_article(), "an offer");
        assert_eq!(ListingKind::Need.with_article(), "a need");
    }

    #[test]
    fn missing_required_fields_are_named() {
        let errors = ListingContent::parse(&ListingInput::default(), today()).unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "language", "sectors"]);
    }
}
