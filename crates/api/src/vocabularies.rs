//! The closed vocabularies the API accepts, as OpenAPI schemas: a generated client
//! offers the values and a request generator sends only those the server takes.
//! Each schema is built from the list its parser reads (a domain type's `ALL`, or
//! the route's own constant), so the document cannot drift from the server.
//! Fields and parameters name them with `value_type`; they stay strings in Rust,
//! parsed where the route validates them, so that a wrong value is a 400 naming
//! the field rather than a deserialisation error.

use techex_domain::{audit, interest, language, listing, organisation, taxonomy, user};
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

/// A schema, and the component named `$name`, whose values are `$values`.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident => $values:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                one_of($values)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

vocabulary!(
    /// A listing's kind.
    ListingKind => listing::ListingKind::ALL.iter().map(|v| v.as_str())
);
vocabulary!(
    /// The state of a listing's intellectual property.
    IpStatus => listing::IpStatus::ALL.iter().map(|v| v.as_str())
);
vocabulary!(
    /// A way a technology changes hands.
    TransferMode => listing::TransferMode::ALL.iter().map(|v| v.as_str())
);
vocabulary!(
    /// Where a listing is in its lifecycle.
    ListingStatus => listing::ListingStatus::ALL.iter().map(|v| v.as_str())
);
vocabulary!(
    /// Why an operator sends a listing back.
    RejectReason => listing::RejectReason::ALL.iter().map(|v| v.as_str())
);
vocabulary!(
    /// An ISO 639-1 code.
    LanguageCode => language::ISO_639_1
);
vocabulary!(
    /// Where an expression of interest is.
    InterestState => interest::InterestState::ALL.iter().map(|v| v.as_str())
);
vocabulary!(
    /// Why an interest is declined or closed (`decline` takes the first five,
    /// `close` the others and `other`).
    InterestReason => interest::DeclineReason::ALL
        .iter()
        .map(|v| v.as_str())
        .chain(interest::CloseReason::ALL.iter().map(|v| v.as_str()).filter(|v| *v != "other"))
);
vocabulary!(
    /// Which interests: those the caller's organisation sent or received.
    InterestSide => routes::interests::SIDES
);
vocabulary!(
    /// An organisation's kind.
    OrganisationKind => organisation::OrganisationKind::ALL.iter().map(|v| v.as_str())
);
vocabulary!(
    /// A kind an organisation may register as (an exchange is set up by its
    /// operators).
    RegisteringKind => organisation::OrganisationKind::ALL
        .iter()
        .filter(|v| v.may_self_register())
        .map(|v| v.as_str())
);
vocabulary!(
    /// A user's role.
    Role => user::Role::ALL.iter().map(|v| v.as_str())
);
vocabulary!(
    /// What an audit entry records.
    AuditAction => audit::AuditAction::ALL.iter().map(|v| v.as_str())
);
vocabulary!(
    /// A depth of the sector tree.
    SectorLevel => taxonomy::SectorLevel::ALL.iter().map(|v| v.as_str())
);
vocabulary!(
    /// A format of the exchange's listings file.
    ExportFormat => routes::exchange_data::FORMATS
);
