//! Organisations: the institutes, universities and enterprises that trade technology,
//! and the exchanges that run the market.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{OrganisationId, UserId};
use crate::taxonomy::Taxonomy;
use crate::validation::{ValidationErrors, bounded_text};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    ResearchInstitute,
    University,
    Enterprise,
    Startup,
    Exchange,
}

impl OrganisationKind {
    pub const ALL: [OrganisationKind; 5] = [
        Self::ResearchInstitute,
        Self::University,
        Self::Enterprise,
        Self::Startup,
        Self::Exchange,
    ];

    /// Whether an organisation of this kind may sign itself up. An exchange runs
    /// the market: its organisation is set up with its first operator
    /// (`techex create-operator`), never claimed through the public form.
    pub fn may_self_register(self) -> bool {
        self != Self::Exchange
    }

    /// The kind a registration form names: one that may sign itself up. The error
    /// lists only those, so it never suggests a kind that would be refused.
    pub fn parse_self_registering(raw: &str) -> Result<Self, String> {
        let allowed: Vec<&str> = Self::ALL
            .into_iter()
            .filter(|kind| kind.may_self_register())
            .map(Self::as_str)
            .collect();
        match raw.trim().parse::<Self>() {
            Ok(kind) if kind.may_self_register() => Ok(kind),
            Ok(_) => Err(format!(
                "an exchange is set up by its operators (techex create-operator); register as one of: {}",
                allowed.join(", ")
            )),
            Err(_) => Err(format!("must be one of: {}", allowed.join(", "))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResearchInstitute => "research_institute",
            Self::University => "university",
            Self::Enterprise => "enterprise",
            Self::Startup => "startup",
            Self::Exchange => "exchange",
        }
    }
}

impl fmt::Display for OrganisationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrganisationKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!("must be one of: {}", names.join(", "))
            })
    }
}

/// A stored organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
    pub province: Option<String>,
    pub country: String,
    pub website: Option<String>,
    pub verified: bool,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// The raw fields a registration form sends for its organisation.
#[derive(Clone, Debug, Default)]
pub struct OrganisationInput<'a> {
    pub name: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub province: Option<&'a str>,
    pub country: Option<&'a str>,
    pub website: Option<&'a str>,
}

/// A valid organisation, not yet stored. New organisations are never verified:
/// only an operator verifies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOrganisation {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
    pub province: Option<String>,
    pub country: String,
    pub website: Option<String>,
}

/// An organisation's name's length, in characters ([`bounded_text`]).
pub const MIN_ORGANISATION_NAME_CHARS: usize = 2;
pub const MAX_ORGANISATION_NAME_CHARS: usize = 200;

impl NewOrganisation {
    /// Checks every field and reports all violations at once; any kind, as an
    /// operator sets up (an exchange included).
    pub fn parse(input: OrganisationInput<'_>) -> Result<Self, ValidationErrors> {
        Self::parse_with(input, |kind| kind.trim().parse())
    }

    /// As [`NewOrganisation::parse`], for an organisation signing itself up: only
    /// the kinds that may ([`OrganisationKind::parse_self_registering`]).
    pub fn parse_registration(input: OrganisationInput<'_>) -> Result<Self, ValidationErrors> {
        Self::parse_with(input, OrganisationKind::parse_self_registering)
    }

    fn parse_with(
        input: OrganisationInput<'_>,
        parse_kind: fn(&str) -> Result<OrganisationKind, String>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = errors.check(
            "name",
            required(input.name).and_then(|n| {
                bounded_text(n, MIN_ORGANISATION_NAME_CHARS, MAX_ORGANISATION_NAME_CHARS)
            }),
        );
        let kind = errors.check("kind", required(input.kind).and_then(parse_kind));
        let country = errors.check("country", parse_country(input.country.unwrap_or("VN")));
        // A Vietnamese organisation's province is one of the taxonomy's, stored by
        // its code as a listing's is; elsewhere it is whatever region the form says.
        let province = if country.as_deref().is_none_or(|c| c == "VN") {
            errors.check(
                "province",
                Taxonomy::builtin().province_code(input.province),
            )
        } else {
            errors.check("province", optional_text(input.province, 100))
        }
        .flatten();
        let website = errors
            .check("website", parse_website(input.website))
            .flatten();
        errors.into_result(|| Self {
            id: OrganisationId::new(),
            name: name.unwrap_or_default(),
            kind: kind.unwrap_or(OrganisationKind::Enterprise),
            province,
            country: country.unwrap_or_default(),
            website,
        })
    }
}

fn required(value: Option<&str>) -> Result<&str, String> {
    value.ok_or_else(|| "is required".to_owned())
}

fn optional_text(value: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => bounded_text(text, 1, max).map(Some),
    }
}

/// ISO 3166-1 alpha-2, upper-cased (`vn` → `VN`).
fn parse_country(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err("must be an ISO 3166-1 alpha-2 country code such as VN".into())
    }
}

fn parse_website(raw: Option<&str>) -> Result<Option<String>, String> {
    let Some(url) = raw.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("must start with http:// or https://")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if url.len() > 300 {
        return Err("must be at most 300 characters".into());
    }
    if host.is_empty()
        || !host.contains('.')
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("is not a valid web address".into());
    }
    Ok(Some(url.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>() -> OrganisationInput<'a> {
        OrganisationInput {
            name: Some("  Viện Công nghệ Môi trường "),
            kind: Some("research_institute"),
            province: Some("Hà Nội"),
            country: Some("vn"),
            website: Some("https://iet.ac.vn"),
        }
    }

    #[test]
    fn parses_a_valid_organisation() {
        let org = NewOrganisation::parse(input()).unwrap();
        assert_eq!(org.name, "Viện Công nghệ Môi trường");
        assert_eq!(org.kind, OrganisationKind::ResearchInstitute);
        assert_eq!(org.country, "VN");
        assert_eq!(org.province.as_deref(), Some("ha-noi"));
    }

    #[test]
    fn reports_every_bad_field() {
        let errors = NewOrganisation::parse(OrganisationInput {
            name: Some("x"),
            kind: Some("ministry"),
            country: Some("Vietnam"),
            website: Some("ftp://example.org"),
            ..input()
        })
        .unwrap_err();
        let fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "kind", "country", "website"]);
    }

    #[test]
    fn a_vietnamese_province_is_one_of_the_taxonomy_and_stored_by_code() {
        let parse = |province, country| {
            NewOrganisation::parse(OrganisationInput {
                province: Some(province),
                country: Some(country),
                ..input()
            })
        };
        assert_eq!(
            parse("TP.HCM", "VN").unwrap().province.as_deref(),
            Some("ho-chi-minh")
        );
        let errors = parse("zz", "VN").unwrap_err();
        assert_eq!(errors.errors()[0].field, "province");
        assert!(
            errors.errors()[0]
                .message
                .contains("'zz' is not a province")
        );
        // Abroad, the region is free text.
        assert_eq!(
            parse("Bangkok", "TH").unwrap().province.as_deref(),
            Some("Bangkok")
        );
    }

    #[test]
    fn missing_name_and_kind_are_required() {
        let errors = NewOrganisation::parse(OrganisationInput::default()).unwrap_err();
        assert_eq!(errors.errors().len(), 2);
        assert!(errors.errors().iter().all(|e| e.message == "is required"));
    }

    #[test]
    fn registration_names_only_the_kinds_that_may_register() {
        let kind_error = |kind| {
            let errors = NewOrganisation::parse_registration(OrganisationInput {
                kind: Some(kind),
                ..input()
            })
            .unwrap_err();
            assert_eq!(errors.errors()[0].field, "kind");
            errors.errors()[0].message.clone()
        };
        let unknown = kind_error("zzz");
        assert_eq!(
            unknown,
            "must be one of: research_institute, university, enterprise, startup"
        );
        let exchange = kind_error("exchange");
        assert!(exchange.starts_with("an exchange is set up by its operators"));
        assert!(!exchange.contains("exchange,") && !exchange.ends_with("exchange"));
        assert!(NewOrganisation::parse_registration(input()).is_ok());
        // Operators set up exchanges through the unrestricted parse.
        let exchange = NewOrganisation::parse(OrganisationInput {
            kind: Some("exchange"),
            ..input()
        });
        assert_eq!(exchange.unwrap().kind, OrganisationKind::Exchange);
    }

    #[test]
    fn kinds_round_trip() {
        for kind in OrganisationKind::ALL {
            assert_eq!(kind.as_str().parse::<OrganisationKind>().unwrap(), kind);
        }
    }
}
