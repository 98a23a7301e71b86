//! The lengths and ranges the server checks, stated in the request schemas of the OpenAPI
//! document, so that a client — a form, a generated SDK — can check them before
//! it sends. Each figure is the constant the validation itself uses; the
//! end-to-end test `documented_lengths_are_the_ones_checked` sends each bound and
//! one past it.
//!
//! The server counts the characters of the trimmed NFC form without invisible
//! ones, as a person would; JSON Schema counts code points as sent. They agree
//! for text typed in composed form, as keyboards type it; otherwise a client's
//! maximum is stricter than the server's, and its minimum looser.

use techex_domain::interest::MAX_MESSAGE_CHARS;
use techex_domain::listing::content::{
    MAX_DESCRIPTION_CHARS, MAX_EXTERNAL_REF_CHARS, MAX_KEYWORD_CHARS, MAX_KEYWORDS,
    MAX_PATENT_NUMBER_CHARS, MAX_PATENT_NUMBERS, MAX_SECTORS, MAX_SUMMARY_CHARS, MAX_TITLE_CHARS,
    MIN_TITLE_CHARS, TRL_LEVELS,
};
use techex_domain::organisation::{MAX_ORGANISATION_NAME_CHARS, MIN_ORGANISATION_NAME_CHARS};
use techex_domain::password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use techex_domain::user::MAX_FULL_NAME_CHARS;
use utoipa::Modify;
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{OpenApi, RefOr};

/// What a property may hold.
#[derive(Clone, Copy, Debug)]
pub enum Bound {
    /// From `min` to `max` characters.
    Chars { min: usize, max: usize },
    /// From `min` to `max` items, each of `chars` characters (from, to) when they
    /// are free text.
    Items {
        min: usize,
        max: usize,
        chars: Option<(usize, usize)>,
    },
    /// A whole number from `min` to `max`.
    Range { min: u8, max: u8 },
}

/// Every documented bound: (schema, property, bound). `ListingPatch` is built from
/// `ListingRequest`'s properties afterwards, and takes their bounds with them.
pub const LIMITS: &[(&str, &str, Bound)] = &[
    ("ListingRequest", "title", TITLE),
    ("ListingRequest", "summary", SUMMARY),
    ("ListingRequest", "description", DESCRIPTION),
    ("ListingRequest", "external_ref", EXTERNAL_REF),
    ("ListingRequest", "sectors", SECTORS),
    ("ListingRequest", "keywords", KEYWORDS),
    ("ListingRequest", "patent_numbers", PATENT_NUMBERS),
    ("ListingRequest", "trl", TRL),
    ("ExpressBody", "message", MESSAGE),
    ("MessageBody", "body", MESSAGE),
    ("BrokerBody", "message", MESSAGE),
    // Required to decline, optional to close.
    ("InterestActionBody", "message", chars(0, MAX_MESSAGE_CHARS)),
    // A registration's and a join's (`JoinRequest` names `UserForm` too).
    ("OrganisationForm", "name", ORGANISATION_NAME),
    ("UserForm", "password", PASSWORD),
    ("UserForm", "full_name", FULL_NAME),
    ("ProfilePatch", "full_name", FULL_NAME),
];

const fn chars(min: usize, max: usize) -> Bound {
    Bound::Chars { min, max }
}

const TITLE: Bound = chars(MIN_TITLE_CHARS, MAX_TITLE_CHARS);
const SUMMARY: Bound = chars(0, MAX_SUMMARY_CHARS);
const DESCRIPTION: Bound = chars(0, MAX_DESCRIPTION_CHARS);
const EXTERNAL_REF: Bound = chars(0, MAX_EXTERNAL_REF_CHARS);
const SECTORS: Bound = Bound::Items {
    min: 1,
    max: MAX_SECTORS,
    chars: None,
};
const KEYWORDS: Bound = Bound::Items {
    min: 0,
    max: MAX_KEYWORDS,
    chars: Some((1, MAX_KEYWORD_CHARS)),
};
/// A blank patent number is left out rather than refused.
const PATENT_NUMBERS: Bound = Bound::Items {
    min: 0,
    max: MAX_PATENT_NUMBERS,
    chars: Some((0, MAX_PATENT_NUMBER_CHARS)),
};
const MESSAGE: Bound = chars(1, MAX_MESSAGE_CHARS);
const ORGANISATION_NAME: Bound = chars(MIN_ORGANISATION_NAME_CHARS, MAX_ORGANISATION_NAME_CHARS);
const PASSWORD: Bound = chars(MIN_PASSWORD_CHARS, MAX_PASSWORD_CHARS);
const FULL_NAME: Bound = chars(1, MAX_FULL_NAME_CHARS);
const TRL: Bound = Bound::Range {
    min: *TRL_LEVELS.start(),
    max: *TRL_LEVELS.end(),
};

/// Writes [`LIMITS`] into the document's schemas.
pub struct RequestLimits;

impl Modify for RequestLimits {
    fn modify(&self, openapi: &mut OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (schema, property, bound) in LIMITS {
            let target = components
                .schemas
                .get_mut(*schema)
                .and_then(|schema| match schema {
                    RefOr::T(Schema::Object(object)) => object.properties.get_mut(*property),
                    _ => None,
                });
            // A bound that finds no property is caught by the unit test below.
            if let Some(RefOr::T(target)) = target {
                apply(target, *bound);
            }
        }
    }
}

fn apply(schema: &mut Schema, bound: Bound) {
    let at_least = |min: usize| (min > 0).then_some(min);
    match (schema, bound) {
        (Schema::Object(text), Bound::Chars { min, max }) => {
            text.min_length = at_least(min);
            text.max_length = Some(max);
        }
        (Schema::Array(list), Bound::Items { min, max, chars }) => {
            list.min_items = at_least(min);
            list.max_items = Some(max);
            if let (Some((min, max)), ArrayItems::RefOrSchema(item)) = (chars, &mut list.items)
                && let RefOr::T(Schema::Object(text)) = item.as_mut()
            {
                text.min_length = at_least(min);
                text.max_length = Some(max);
            }
        }
        (Schema::Object(number), Bound::Range { min, max }) => {
            number.minimum = Some(min.into());
            number.maximum = Some(max.into());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use utoipa::OpenApi;

    use super::*;

    #[test]
    fn every_limit_is_in_the_document() {
        let document = serde_json::to_value(crate::openapi::ApiDoc::openapi()).unwrap();
        // A minimum of 0 is no minimum.
        let stated = |min: usize| if min > 0 { json!(min) } else { Value::Null };
        let documented = LIMITS.iter().flat_map(|&(schema, property, bound)| {
            let patched = (schema == "ListingRequest").then_some("ListingPatch");
            std::iter::once(schema)
                .chain(patched)
                .map(move |schema| (schema, property, bound))
        });
        for (schema, property, bound) in documented {
            let found = &document["components"]["schemas"][schema]["properties"][property];
            let (lengths, min, max) = match bound {
                Bound::Chars { min, max } => ((found, "minLength", "maxLength"), min, max),
                Bound::Items { min, max, chars } => {
                    if let Some((min, max)) = chars {
                        assert_eq!(
                            found["items"]["minLength"],
                            stated(min),
                            "{schema}.{property}"
                        );
                        assert_eq!(found["items"]["maxLength"], max, "{schema}.{property}");
                    }
                    ((found, "minItems", "maxItems"), min, max)
                }
                Bound::Range { min, max } => {
                    assert_eq!(found["minimum"], min, "{schema}.{property}: {found}");
                    assert_eq!(found["maximum"], max, "{schema}.{property}: {found}");
                    continue;
                }
            };
            let (found, min_key, max_key) = lengths;
            assert_eq!(found[max_key], max, "{schema}.{property}: {found}");
            assert_eq!(found[min_key], stated(min), "{schema}.{property}: {found}");
        }
    }
}
