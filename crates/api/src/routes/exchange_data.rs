//! Bulk import and export of listings, for operators migrating an exchange's data.

use std::io::Write;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;
use techex_domain::ListingId;
use techex_domain::listing::Listing;
use techex_store::repo::{listings, organisations};
use utoipa::openapi::schema::{
    AllOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::auth::OperatorUser;
use crate::extract::{JsonLinesBody, Query};
use crate::import::{self, ImportOptions, ImportReport};
use crate::problem::ApiError;
use crate::state::AppState;
use crate::vocabularies;

/// One line of an import (and of a `format=jsonl` export): a listing's fields as
/// `POST /api/v1/listings` takes them, with its owner and `external_ref`.
/// Documentation of what `crate::import` parses.
pub struct ImportLine;

impl utoipa::PartialSchema for ImportLine {
    fn schema() -> RefOr<Schema> {
        let uuid = ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)));
        AllOfBuilder::new()
            .item(Ref::from_schema_name(
                super::listings::ListingRequest::name(),
            ))
            .item(
                // A line's kind, as a listing's; its reference, which a listing may
                // leave out and a line may not.
                ObjectBuilder::new()
                    .property(
                        "kind",
                        Ref::from_schema_name(vocabularies::ListingKind::name()),
                    )
                    .property(
                        "external_ref",
                        ObjectBuilder::new().schema_type(Type::String),
                    )
                    .property("owner_organisation_id", uuid)
                    .required("owner_organisation_id")
                    .required("kind")
                    .required("external_ref"),
            )
            .into()
    }
}

impl ToSchema for ImportLine {}

/// A body labelled `application/json`: one [`ImportLine`] object, or an array of
/// them, laid out in any way.
pub struct ImportDocument;

impl utoipa::PartialSchema for ImportDocument {
    fn schema() -> RefOr<Schema> {
        let line = || Ref::from_schema_name(ImportLine::name());
        OneOfBuilder::new()
            .item(line())
            .item(ArrayBuilder::new().items(line()))
            .into()
    }
}

impl ToSchema for ImportDocument {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((ImportLine::name().into(), ImportLine::schema()));
    }
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportQuery {
    /// Publish every imported listing (the data was vetted by its exchange).
    pub publish: Option<bool>,
}

/// Imports listings from JSON Lines, or from a JSON array of them (operators). Good
/// listings are imported, bad ones reported with the lines they start on;
/// re-importing is idempotent on (organisation, external_ref).
#[utoipa::path(post, path = "/api/v1/listings/import", tag = "listings", security(("bearer" = [])),
    params(ImportQuery),
    request_body(description = "one listing per line (an ImportLine): owner_organisation_id, kind, external_ref and the listing fields; the body may also be pretty-printed JSON: an ImportLine, ImportLines one after another, or an array of them",
        content(
            (String = "application/x-ndjson"),
            (String = "application/jsonl"),
            (String = "application/x-jsonlines"),
            (ImportDocument = "application/json"),
        )),
    responses(
        (status = 200, body = ImportReport),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn import(
    state: web::Data<AppState>,
    req: HttpRequest,
    OperatorUser(operator): OperatorUser,
    Query(query): Query<ImportQuery>,
    JsonLinesBody(body): JsonLinesBody,
) -> Result<HttpResponse, ApiError> {
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::BadRequest("the body is not UTF-8 text".into()))?;
    let options = ImportOptions {
        publish: query.publish.unwrap_or(false),
        actor: Some(operator.actor()),
        client_ip: state.client_ip(&req),
    };
    let store = state.store.clone();
    let report = web::block(move || import::import(&store, &text, &options, |_, _| {})).await??;
    Ok(HttpResponse::Ok().json(report))
}

/// The values of the export's `format`, as `export` matches them, for the document
/// (an end-to-end test sends each).
pub const FORMATS: [&str; 2] = ["jsonl", "csv"];

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// jsonl (the import format; the default) or csv.
    #[param(value_type = Option<vocabularies::ExportFormat>)]
    pub format: Option<String>,
}

#[derive(Clone, Copy)]
enum Format {
    JsonLines,
    Csv,
}

/// Rows fetched per database round trip while streaming.
const BATCH: i64 = 500;

/// Streams every published listing as JSON Lines (re-importable) or CSV (operators).
#[utoipa::path(get, path = "/api/v1/listings/export", tag = "listings", security(("bearer" = [])),
    params(ExportQuery),
    responses(
        (status = 200, description = "JSON Lines, or CSV with format=csv", content(
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        (status = 400, body = crate::problem::Problem, content_type = "application/problem+json", description = "an unknown format"),
        (status = 403, body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn export(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    Query(query): Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let format = match query.format.as_deref() {
        None | Some("jsonl") => Format::JsonLines,
        Some("csv") => Format::Csv,
        Some(_) => return Err(ApiError::validation("format", "must be jsonl or csv")),
    };
    let today = Utc::now().date_naive();
    // State: the last id sent, whether the header is due, whether the end was reached.
    let start = (None::<ListingId>, matches!(format, Format::Csv), false);
    let stream = futures_util::stream::unfold(start, move |(after, header, done)| {
        let state = state.clone();
        async move {
            if done {
                return None;
            }
            let batch = state
                .db(move |conn| {
                    let page = listings::published_after(conn, after, today, BATCH)?;
                    let owners: Vec<_> = page.iter().map(|l| l.owner).collect();
                    let names = organisations::get_many(conn, &owners)?;
                    Ok::<_, ApiError>((page, names))
                })
                .await;
            let (page, names) = match batch {
                Ok(batch) => batch,
                Err(error) => {
                    // Headers are sent: the client sees a truncated body, the log says why.
                    tracing::error!(%error, "export failed");
                    return Some((
                        Err(actix_web::error::ErrorInternalServerError("export failed")),
                        (after, false, true),
                    ));
                }
            };
            let last = page.last().map(|l| l.id);
            let finished = (page.len() as i64) < BATCH;
            let chunk = match format {
                Format::JsonLines => json_lines(&page),
                Format::Csv => csv_rows(&page, &names, header),
            };
            Some((
                Ok::<_, actix_web::Error>(Bytes::from(chunk)),
                (last.or(after), false, finished),
            ))
        }
    });
    let content_type = match format {
        Format::JsonLines => "application/x-ndjson; charset=utf-8",
        Format::Csv => "text/csv; charset=utf-8",
    };
    let file = match format {
        Format::JsonLines => "techex-listings.jsonl",
        Format::Csv => "techex-listings.csv",
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file}\""),
        ))
        .streaming(stream))
}

/// One import line per listing: re-importing the export changes nothing.
pub fn export_line(listing: &Listing) -> serde_json::Value {
    let mut input = listing.content.to_input();
    if input.external_ref.is_none() {
        // Without its own reference, the listing's id keeps re-imports idempotent.
        input.external_ref = Some(listing.id.to_string());
    }
    let mut line = serde_json::to_value(input).unwrap_or_default();
    if let serde_json::Value::Object(fields) = &mut line {
        fields.retain(|_, value| !value.is_null());
        fields.insert(
            "owner_organisation_id".into(),
            listing.owner.to_string().into(),
        );
        fields.insert("kind".into(), listing.kind.as_str().into());
    }
    line
}

fn json_lines(page: &[Listing]) -> Vec<u8> {
    let mut out = Vec::new();
    for listing in page {
        let _ = serde_json::to_writer(&mut out, &export_line(listing));
        out.push(b'\n');
    }
    out
}

const CSV_HEADER: [&str; 22] = [
    "id",
    "kind",
    "title",
    "summary",
    "description",
    "language",
    "sectors",
    "keywords",
    "trl",
    "ip_status",
    "patent_numbers",
    "transfer_modes",
    "price_min",
    "price_max",
    "currency",
    "negotiable",
    "province",
    "valid_until",
    "external_ref",
    "organisation_id",
    "organisation_name",
    "published_at",
];

/// Spreadsheets run a cell that starts with = + - @ as a formula; a leading
/// apostrophe makes it text (OWASP CSV injection). Every CSV the API writes uses it.
pub(crate) fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn csv_rows(
    page: &[Listing],
    names: &std::collections::HashMap<techex_domain::OrganisationId, techex_domain::Organisation>,
    header: bool,
) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if header {
        let _ = writer.write_record(CSV_HEADER);
    }
    for listing in page {
        let c = &listing.content;
        let price = c.price.as_ref();
        let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        let row = [
            listing.id.to_string(),
            listing.kind.to_string(),
            c.title.clone(),
            c.summary.clone(),
            c.description.clone(),
            c.language.clone(),
            c.sectors.join(";"),
            c.keywords.join(";"),
            c.trl.map(|t| t.to_string()).unwrap_or_default(),
            c.ip_status.map(|s| s.to_string()).unwrap_or_default(),
            c.patent_numbers.join(";"),
            c.transfer_modes
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            number(price.and_then(|p| p.min)),
            number(price.and_then(|p| p.max)),
            price.map(|p| p.currency.clone()).unwrap_or_default(),
            price.map(|p| p.negotiable.to_string()).unwrap_or_default(),
            c.province.clone().unwrap_or_default(),
            c.valid_until.to_string(),
            c.external_ref.clone().unwrap_or_default(),
            listing.owner.to_string(),
            names
                .get(&listing.owner)
                .map(|o| o.name.clone())
                .unwrap_or_default(),
            listing
                .published_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
        ];
        let _ = writer.write_record(row.iter().map(|cell| spreadsheet_safe(cell).into_owned()));
    }
    let mut out = writer.into_inner().unwrap_or_default();
    let _ = out.flush();
    out
}
