//! The closed vocabularies the API accepts, as OpenAPI schemas: a generated client
//! offers the values and a request generator sends only those the server takes.
//! Each schema is built from the list its parser reads: a domain type's `ALL`, or
//! for the two vocabularies a route matches by hand (`SIDES`, `FORMATS`) a
//! constant beside that match, which an end-to-end test sends value by value.
//! Fields and parameters name them with `value_type`; they stay strings in Rust,
//! parsed where the route validates them, so that a wrong value is a 400 naming
//! the field rather than a deserialisation error.

use techex_domain::{audit, event, interest, language, listing, organisation, taxonomy, user};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use crate::routes;

/// A string schema taking one of `values`.
fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values))
            .build(),
    ))
}

/// `values` without repeats, in order: two vocabularies joined share `other`.
fn distinct<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = Vec::new();
    for value in values {
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    seen
}

/// Each `$name => $values`: a schema type for `value_type`, and in [`components`]
/// the component of that name, so that a vocabulary only a parameter names (which
/// utoipa does not collect as it does a body's) is in the document too.
macro_rules! vocabularies {
    ($($(#[$doc:meta])* $name:ident => $values:expr;)+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl utoipa::PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    one_of($values)
                }
            }

            impl utoipa::ToSchema for $name {}
        )+

        /// Every vocabulary, as (component name, schema).
        pub fn components() -> Vec<(&'static str, RefOr<Schema>)> {
            vec![$((stringify!($name), <$name as utoipa::PartialSchema>::schema())),+]
        }
    };
}

vocabularies! {
    /// A listing's kind.
    ListingKind => listing::ListingKind::ALL.iter().map(|v| v.as_str());
    /// The state of a listing's intellectual property.
    IpStatus => listing::IpStatus::ALL.iter().map(|v| v.as_str());
    /// A way a technology changes hands.
    TransferMode => listing::TransferMode::ALL.iter().map(|v| v.as_str());
    /// Where a listing is in its lifecycle.
    ListingStatus => listing::ListingStatus::ALL.iter().map(|v| v.as_str());
    /// Why an operator sends a listing back.
    RejectReason => listing::RejectReason::ALL.iter().map(|v| v.as_str());
    /// An ISO 639-1 code.
    LanguageCode => language::ISO_639_1;
    /// Where an expression of interest is.
    InterestState => interest::InterestState::ALL.iter().map(|v| v.as_str());
    /// Why an interest is declined or closed (`decline` takes the first five,
    /// `close` the others and `other`).
    InterestReason => distinct(
        interest::DeclineReason::ALL
            .iter()
            .map(|v| v.as_str())
            .chain(interest::CloseReason::ALL.iter().map(|v| v.as_str())),
    );
    /// Why an interest was declined.
    DeclineReason => interest::DeclineReason::ALL.iter().map(|v| v.as_str());
    /// Why an interest was closed.
    CloseReason => interest::CloseReason::ALL.iter().map(|v| v.as_str());
    /// A step the caller may take in an interest.
    InterestAction => interest::InterestAction::ALL.iter().map(|v| v.as_str());
    /// Which interests: those the caller's organisation sent or received.
    InterestSide => routes::interests::SIDES;
    /// An organisation's kind.
    OrganisationKind => organisation::OrganisationKind::ALL.iter().map(|v| v.as_str());
    /// A kind an organisation may register as (an exchange is set up by its
    /// operators).
    RegisteringKind => organisation::OrganisationKind::ALL
        .iter()
        .filter(|v| v.may_self_register())
        .map(|v| v.as_str());
    /// A user's role.
    Role => user::Role::ALL.iter().map(|v| v.as_str());
    /// What an audit entry records.
    AuditAction => audit::AuditAction::ALL.iter().map(|v| v.as_str());
    /// A depth of the sector tree.
    SectorLevel => taxonomy::SectorLevel::ALL.iter().map(|v| v.as_str());
    /// A format of the exchange's listings file.
    ExportFormat => routes::exchange_data::FORMATS;
    /// An event a webhook endpoint may be sent (docs/webhooks.md).
    EventName => event::EventKind::ALL.iter().map(|v| v.as_str());
}
