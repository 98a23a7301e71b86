//! The OpenAPI 3 document served at `/api/openapi.json` and browsed at `/api/docs`.

use std::collections::{HashMap, HashSet};

use actix_web::http::StatusCode;
use techex_store::paging::{MAX_PAGE, MAX_PER_PAGE};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ArrayItems, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{Modify, OpenApi};

use crate::request_limits::RequestLimits;
use crate::{routes, vocabularies};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "techex",
        description = "Technology exchange: research institutes and universities offer technologies, \
                       enterprises post needs, operators verify and approve. Errors are RFC 9457 \
                       application/problem+json.",
    ),
    paths(
        routes::health::healthz,
        routes::health::readyz,
        routes::health::metrics,
        routes::auth::register,
        routes::auth::login,
        routes::auth::join,
        routes::auth::reset_password,
        routes::me::change_password,
        routes::me::me,
        routes::me::update,
        routes::organisations::list,
        routes::organisations::get,
        routes::organisations::verify,
        routes::users::list,
        routes::users::disable,
        routes::users::enable,
        routes::users::set_role,
        routes::audit::list,
        routes::listings::create,
        routes::exchange_data::import,
        routes::exchange_data::export,
        routes::listings::catalogue,
        routes::listings::get,
        routes::listings::patch,
        routes::listings::delete,
        routes::listings::submit,
        routes::listings::withdraw,
        routes::listings::approve,
        routes::listings::reject,
        routes::listings::archive,
        routes::listings::renew,
        routes::listings::history,
        routes::listings::mine,
        routes::moderation::queue,
        routes::search::search,
        routes::search::matches,
        routes::taxonomy::sectors,
        routes::taxonomy::provinces,
        routes::interests::express,
        routes::interests::list,
        routes::interests::broker,
        routes::interests::get,
        routes::interests::accept,
        routes::interests::decline,
        routes::interests::negotiate,
        routes::interests::conclude,
        routes::interests::close,
        routes::interests::messages,
        routes::interests::post_message,
        routes::interests::notes,
        routes::interests::add_note,
        routes::notifications::inbox,
        routes::notifications::mark_read,
        routes::notifications::mark_all_read,
        routes::stats::report,
        routes::stats::report_csv,
        routes::stats::public,
        routes::webhooks::create,
        routes::webhooks::list,
        routes::webhooks::get,
        routes::webhooks::delete,
        routes::webhooks::deliveries,
        routes::invitations::create,
        routes::invitations::list,
        routes::invitations::revoke,
        routes::users::password_reset,
        routes::organisations::members,
        routes::organisations::update,
    ),
    components(schemas(crate::problem::Problem, crate::problem::FieldErrorSchema)),
    // The limits first: the patch schema copies the request's bounded properties.
    modifiers(
        &BearerAuth,
        &RequestLimits,
        &PatchIsPartial,
        &RequiredIsNotNull,
        &ClientContract,
        &Vocabularies,
    ),
    tags(
        (name = "auth", description = "Registration, login and the signed-in account"),
        (name = "organisations", description = "Organisations and their verification"),
        (name = "invitations", description = "Colleagues invited to join the caller's organisation"),
        (name = "users", description = "Account administration by operators"),
        (name = "audit", description = "The append-only audit log"),
        (name = "listings", description = "Technology offers and needs, and their review"),
        (name = "moderation", description = "The operators' review queue"),
        (name = "search", description = "Full-text search and explained matches"),
        (name = "interests", description = "Expressions of interest, from first message to concluded transfer"),
        (name = "notifications", description = "Each user's inbox"),
        (name = "taxonomy", description = "Sectors and provinces, in Vietnamese and English"),
        (name = "statistics", description = "Figures for operators' reports, and a public summary"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "webhooks", description = "Signed event deliveries to an organisation's endpoints"),
    )
)]
pub struct ApiDoc;

/// Every closed vocabulary as a component (`crate::vocabularies`).
struct Vocabularies;

impl Modify for Vocabularies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, schema) in vocabularies::components() {
            components.schemas.insert(name.to_owned(), schema);
        }
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// A merge patch carries any of a listing's fields and needs none of them but
/// `version`. Derived types would inherit `ListingRequest`'s required fields (a
/// generated client would insist on a title in every edit), so the patch schema is
/// rebuilt here from the request's properties, which stay written in one place.
struct PatchIsPartial;

impl Modify for PatchIsPartial {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(schemas) = openapi.components.as_mut().map(|c| &mut c.schemas) else {
            return;
        };
        let Some(RefOr::T(Schema::Object(mut partial))) = schemas.get("ListingRequest").cloned()
        else {
            return;
        };
        let Some(RefOr::T(Schema::AllOf(patch))) = schemas.get("ListingPatch") else {
            return;
        };
        // The patch's own part: `version`, required.
        let own = patch.items.iter().find_map(|item| match item {
            RefOr::T(Schema::Object(own)) => Some(own.clone()),
            _ => None,
        });
        let Some(own) = own else {
            return;
        };
        partial.description = patch.description.clone();
        // A listing's kind is never edited (the route refuses it, naming it).
        partial.properties.remove("kind");
        partial.properties.extend(own.properties);
        partial.required = own.required;
        schemas.insert("ListingPatch".to_owned(), RefOr::T(Schema::Object(partial)));
    }
}

/// A required property of a request body is never null. Such fields are `Option`s
/// so that a missing one and a `null` one both get "is required", naming it, which
/// makes utoipa document them as nullable: a client generated from the document, or
/// a form, would then offer `null` as a valid value. Responses keep their nullable
/// required properties: there the property is always present and may be null.
struct RequiredIsNotNull;

impl Modify for RequiredIsNotNull {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        // Request bodies, then the schemas they name, and those they name in turn.
        let mut pending = Vec::new();
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                let Some(RefOr::T(body)) = &mut operation.request_body else {
                    continue;
                };
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content
                        && let Some(schema) = &mut content.schema
                    {
                        required_not_null(schema, &mut pending);
                    }
                }
            }
        }
        let Some(schemas) = openapi.components.as_mut().map(|c| &mut c.schemas) else {
            return;
        };
        let mut seen = HashSet::new();
        while let Some(name) = pending.pop() {
            if seen.insert(name.clone())
                && let Some(schema) = schemas.get_mut(&name)
            {
                required_not_null(schema, &mut pending);
            }
        }
    }
}

/// Takes `null` out of the required properties of `schema`, of the parts it is
/// made of (`allOf`, `oneOf`, an array's items) and of its inline objects, and
/// pushes the names of the component schemas it refers to.
fn required_not_null(schema: &mut RefOr<Schema>, names: &mut Vec<String>) {
    match schema {
        RefOr::Ref(reference) => {
            if let Some(name) = reference.ref_location.strip_prefix("#/components/schemas/") {
                names.push(name.to_owned());
            }
        }
        RefOr::T(Schema::Object(object)) => {
            for (property, schema) in object.properties.iter_mut() {
                if object.required.contains(property) {
                    not_null(schema);
                }
                required_not_null(schema, names);
            }
        }
        RefOr::T(Schema::AllOf(all)) => {
            for part in &mut all.items {
                required_not_null(part, names);
            }
        }
        RefOr::T(Schema::OneOf(one)) => {
            for part in &mut one.items {
                required_not_null(part, names);
            }
        }
        RefOr::T(Schema::Array(array)) => {
            if let ArrayItems::RefOrSchema(item) = &mut array.items {
                required_not_null(item, names);
            }
        }
        RefOr::T(_) => {}
    }
}

/// Takes `null` out of the types `schema` allows: `["string", "null"]` becomes
/// `"string"`, and `oneOf: [{$ref}, {type: null}]` the reference.
fn not_null(schema: &mut RefOr<Schema>) {
    let is_null = |s: &RefOr<Schema>| matches!(s, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null));
    match schema {
        RefOr::T(Schema::Object(object)) => {
            if let SchemaType::Array(types) = &mut object.schema_type {
                types.retain(|t| *t != Type::Null);
                if let [only] = types.as_slice() {
                    object.schema_type = SchemaType::Type(only.clone());
                }
            }
        }
        RefOr::T(Schema::OneOf(one)) => {
            one.items.retain(|item| !is_null(item));
            if let [only] = one.items.as_slice() {
                *schema = only.clone();
            }
        }
        _ => {}
    }
}

/// What generated clients rely on and each route's annotation would otherwise have
/// to repeat: unique operation ids, a description for every answer, the answers
/// every route of a kind gives (401 to a missing or bad token; 400 to an id, a
/// parameter or a body that does not parse; 413 to a body over the limit and 415 to
/// one of another content type; 404 to an id of nothing the caller may see), and
/// the ranges of the paging and TRL parameters.
struct ClientContract;

impl Modify for ClientContract {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut ids: HashMap<String, usize> = HashMap::new();
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                *ids.entry(operation.operation_id.clone().unwrap_or_default())
                    .or_default() += 1;
            }
        }
        for item in openapi.paths.paths.values_mut() {
            for operation in operations(item) {
                // `list` names five handlers: the tag tells them apart.
                if let (Some(id), Some(tag)) = (
                    operation.operation_id.as_mut(),
                    operation.tags.as_ref().and_then(|t| t.first()),
                ) && ids.get(id.as_str()).is_some_and(|n| *n > 1)
                {
                    *id = format!("{tag}_{id}");
                }
                let parameters = operation.parameters.iter().flatten();
                let has = |place: ParameterIn| {
                    parameters
                        .clone()
                        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
                };
                let takes_parameters = has(ParameterIn::Path) || has(ParameterIn::Query);
                let takes_body = operation.request_body.is_some();
                let mut usual = Vec::new();
                if takes_parameters {
                    usual.push((400, "invalid parameters, each named"));
                } else if takes_body {
                    usual.push((400, "an invalid body: each field named, or where it broke"));
                }
                if has(ParameterIn::Path) {
                    usual.push((404, "no such object, or none the caller may see"));
                }
                if operation.security.is_some() {
                    usual.push((401, "no token, or an expired, revoked or invalid one"));
                }
                if takes_body {
                    usual.push((413, "the body is larger than the route's limit"));
                    usual.push((415, "the body's content type is not the one given here"));
                }
                for (status, description) in usual {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem(description));
                }
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && response.description.is_empty()
                    {
                        response.description = status
                            .parse()
                            .ok()
                            .and_then(|s| StatusCode::from_u16(s).ok())
                            .and_then(|s| s.canonical_reason())
                            .unwrap_or("answer")
                            .to_owned();
                    }
                }
                for parameter in operation.parameters.iter_mut().flatten() {
                    // A blank query parameter is one left out (`extract::parse_query`).
                    // utoipa has no field for this (valid in OpenAPI 3.1, though "not
                    // recommended"), so it goes in as an extension without the `x-`.
                    if let RefOr::T(parameter) = parameter
                        && parameter.parameter_in == ParameterIn::Query
                    {
                        parameter
                            .extensions
                            .get_or_insert_with(Default::default)
                            .insert("allowEmptyValue".to_owned(), true.into());
                    }
                    if let RefOr::T(parameter) = parameter
                        && let Some((min, max)) = range_of(&parameter.name)
                        && let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut()
                    {
                        schema.minimum = Some(min.into());
                        schema.maximum = Some(max.into());
                    }
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// The range a parameter of this name takes wherever it appears.
fn range_of(name: &str) -> Option<(i64, i64)> {
    let trl = || {
        let levels = techex_domain::listing::content::TRL_LEVELS;
        (i64::from(*levels.start()), i64::from(*levels.end()))
    };
    match name {
        "page" => Some((1, i64::from(MAX_PAGE))),
        "per_page" => Some((1, i64::from(MAX_PER_PAGE))),
        "trl_min" | "trl_max" => Some(trl()),
        "limit" => Some((1, routes::search::MAX_MATCHES as i64)),
        _ => None,
    }
}

fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
