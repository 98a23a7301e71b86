//! Bulk import of listings from JSON Lines (or one JSON array), shared by
//! `POST /api/v1/listings/import` and `techex import FILE`. Each line is a listing
//! with `owner_organisation_id`, `external_ref`, `kind` and the content fields
//! (the format `GET /api/v1/listings/export?format=jsonl` writes).
//!
//! Each line is its own transaction: good lines are imported while bad ones are
//! reported with their line numbers. Importing is idempotent on (organisation,
//! external_ref): an unchanged line changes nothing, a changed one edits the
//! listing through the ordinary lifecycle.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use techex_domain::listing::content::parse_kind;
use techex_domain::listing::{
    Command, Listing, ListingContent, ListingInput, ListingStatus, RevisionStatus,
};
use techex_domain::validation::ValidationErrors;
use techex_domain::{Actor, AuditAction, FieldError, ListingId, NewAuditEntry, OrganisationId};
use techex_store::repo::{audit, listings, organisations};
use techex_store::{DbConnection, Store};
use utoipa::ToSchema;

use crate::extract::{from_value, parse_json_value};
use crate::problem::ApiError;
use crate::workflow::{self, Transition};

pub struct ImportOptions {
    /// The data is already vetted: publish every imported listing.
    pub publish: bool,
    /// Who imports (`None`: the command line).
    pub actor: Option<Actor>,
    pub client_ip: Option<String>,
}

/// What an import did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Every refused line with its problems.
    pub errors: Vec<LineError>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LineError {
    /// The line of the input the listing starts on, from 1.
    pub line: usize,
    pub external_ref: Option<String>,
    #[schema(value_type = Vec<crate::problem::FieldErrorSchema>)]
    pub errors: Vec<FieldError>,
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Imports every listing of `text` (see [`entries`]); `progress(done, total)` is
/// called after each one.
/// Fails as a whole only when the database fails.
pub fn import(
    store: &Store,
    text: &str,
    options: &ImportOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<ImportReport, ApiError> {
    // Spreadsheet programs and Windows editors start UTF-8 files with a byte-order
    // mark; it is no part of the first line's JSON.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let lines = entries(text);
    let mut report = ImportReport::default();
    let mut conn = store.conn()?;
    for (done, (number, line)) in lines.iter().enumerate() {
        let today = Utc::now().date_naive();
        match import_line(&mut conn, line, options, today, listings::now()) {
            Ok(Outcome::Created) => report.created += 1,
            Ok(Outcome::Updated) => report.updated += 1,
            Ok(Outcome::Unchanged) => report.unchanged += 1,
            Err(ApiError::Internal(cause)) => return Err(ApiError::Internal(cause)),
            Err(ApiError::Unavailable(detail)) => return Err(ApiError::Unavailable(detail)),
            Err(error) => {
                report.failed += 1;
                report.errors.push(LineError {
                    line: *number,
                    external_ref: external_ref_of(line),
                    errors: field_errors(error),
                });
            }
        }
        progress(done + 1, lines.len());
    }
    let mut entry = NewAuditEntry::new(AuditAction::ListingsImported)
        .object(
            "import",
            if options.publish {
                "published"
            } else {
                "drafts"
            },
        )
        .detail(format!(
            "{} created, {} updated, {} unchanged, {} failed",
            report.created, report.updated, report.unchanged, report.failed
        ))
        .client_ip(options.client_ip.clone());
    entry.actor = options.actor.map(|actor| actor.user_id);
    audit::append(&mut conn, &entry)?;
    Ok(report)
}

/// The listings of an import, each with the line it starts on: the JSON values of
/// the text one after another — JSON Lines, or objects laid out over several lines
/// each (as `jq .` writes them) — or the items of one JSON array. A text that is
/// not such values is read line by line, so that the good lines of JSON Lines
/// with a bad one are still imported.
fn entries(text: &str) -> Vec<(usize, &str)> {
    // Items keep their own text, not parsed values: each is checked as a line is,
    // duplicate keys included.
    let values: Result<Vec<&RawValue>, _> = serde_json::Deserializer::from_str(text)
        .into_iter::<&RawValue>()
        .collect();
    if let Ok(values) = values {
        let items = match values.as_slice() {
            [array] if array.get().starts_with('[') => {
                serde_json::from_str::<Vec<&RawValue>>(array.get()).ok()
            }
            _ => None,
        };
        // Lines are counted on from the previous listing, not from the start: a
        // large import holds thousands of listings.
        let (mut line, mut counted) = (1, 0);
        return items
            .unwrap_or(values)
            .into_iter()
            .map(RawValue::get)
            .map(|listing| {
                let offset = offset_in(text, listing);
                line += text
                    .get(counted..offset)
                    .map_or(0, |gap| gap.matches('\n').count());
                counted = offset;
                (line, listing)
            })
            .collect();
    }
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
        .peekable();
    // A document that is no JSON (cut short, a comma missing) is one entry, so
    // that its one error says where, rather than one error for each of its lines.
    // A pretty-printer opens a document with `[` or `{` alone on its line, which
    // is never a line of JSON Lines. The whole text is kept, so that the parser's
    // position is the file's.
    if let Some(&(first, "[" | "{")) = lines.peek() {
        return vec![(first, text.trim_end())];
    }
    lines.collect()
}

/// Where in `text` its slice `part` starts, in bytes.
fn offset_in(text: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

fn external_ref_of(line: &str) -> Option<String> {
    serde_json::from_str::<Value>(line)
        .ok()?
        .get("external_ref")?
        .as_str()
        .map(str::to_owned)
}

fn field_errors(error: ApiError) -> Vec<FieldError> {
    match error {
        ApiError::Validation(errors) => errors.errors().to_vec(),
        other => vec![FieldError {
            field: "line".into(),
            message: other.to_problem().detail,
        }],
    }
}

fn import_line(
    conn: &mut DbConnection,
    line: &str,
    options: &ImportOptions,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Outcome, ApiError> {
    // As every JSON body: a key given twice is refused, naming it, rather than
    // the last one silently kept.
    let value = parse_json_value(line.as_bytes()).map_err(|error| match error {
        ApiError::BadRequest(detail) => ApiError::validation("line", format!("not JSON: {detail}")),
        other => other,
    })?;
    let Value::Object(mut fields) = value else {
        return Err(ApiError::validation("line", "must be a JSON object"));
    };
    let owner = fields.remove("owner_organisation_id");
    let kind = fields.remove("kind");
    let input: ListingInput = from_value(Value::Object(fields))?;

    let mut errors = ValidationErrors::new();
    let owner = errors.check(
        "owner_organisation_id",
        owner
            .as_ref()
            .and_then(Value::as_str)
            .ok_or_else(|| "is required".to_owned())
            .and_then(|id| {
                id.parse::<OrganisationId>()
                    .map_err(|_| "must be an organisation id".to_owned())
            }),
    );
    if input
        .external_ref
        .as_deref()
        .is_none_or(|r| r.trim().is_empty())
    {
        errors.add(
            "external_ref",
            "is required: it makes re-imports update instead of duplicating",
        );
    }
    let kind = errors.check("kind", parse_kind(kind.as_ref()));
    let content = ListingContent::parse(&input, today)
        .map_err(|e| errors.extend(e))
        .ok();
    let (Some(owner), Some(kind), Some(content), true) = (owner, kind, content, errors.is_empty())
    else {
        return Err(ApiError::Validation(errors));
    };
    let organisation =
        organisations::get(conn, owner).map_err(|error| match ApiError::from(error) {
            ApiError::NotFound(_) => {
                ApiError::validation("owner_organisation_id", "no such organisation")
            }
            other => other,
        })?;
    // As through the API: operators post no listings and never review their own
    // organisation's, so they import none of it either (with `publish` they would
    // approve it). Another exchange's own services may be imported: its listings
    // are reviewed by this exchange's operators like any others. The command line
    // (no actor) is the deployment's administrator and loads any owner's.
    if options
        .actor
        .is_some_and(|actor| actor.organisation_id == organisation.id)
    {
        return Err(ApiError::validation(
            "owner_organisation_id",
            "is your own organisation: operators review listings rather than post them",
        ));
    }
    let external_ref = content.external_ref.clone().unwrap_or_default();

    let Some(existing) = find_existing(conn, organisation.id, &external_ref)? else {
        // The organisation's first user stands as creator when an operator or the
        // command line imports on its behalf.
        let created_by = match options.actor {
            Some(actor) => actor.user_id,
            None => techex_store::repo::users::first_of_organisation(conn, organisation.id)?
                .map(|u| u.id)
                .ok_or_else(|| {
                    ApiError::validation("owner_organisation_id", "the organisation has no users")
                })?,
        };
        let listing = Listing::new_draft(kind, organisation.id, created_by, content, now);
        workflow::create(conn, &listing, options.client_ip.clone())?;
        if options.publish {
            step(conn, listing.id, Command::Submit, options, now)?;
            step(conn, listing.id, Command::Approve, options, now)?;
        }
        return Ok(Outcome::Created);
    };
    // A listing exported without its own reference carries its id as one: keep it
    // reference-less, as it was.
    let mut content = content;
    if existing.id.to_string() == external_ref {
        content.external_ref = existing.content.external_ref.clone();
    }

    if existing.kind != kind {
        return Err(ApiError::validation(
            "kind",
            format!(
                "the existing listing with this external_ref is {}",
                existing.kind.with_article()
            ),
        ));
    }
    // Compared with the approved content: an export carries that, not a pending edit.
    let changed = existing.content != content;
    let pending_edit = existing
        .revision
        .as_ref()
        .is_some_and(|r| r.status == RevisionStatus::PendingReview);
    let published = existing.status == ListingStatus::Published;
    if !changed && (!options.publish || published) {
        return Ok(Outcome::Unchanged);
    }
    if changed && pending_edit {
        // Never overwrite an owner's edit that waits for review.
        return Err(ApiError::Conflict(
            "the listing has an edit waiting for review; approve or reject it before importing over it".into(),
        ));
    }
    let mut listing = existing;
    if changed {
        listing = step(
            conn,
            listing.id,
            Command::Edit(Box::new(content)),
            options,
            now,
        )?;
    }
    if options.publish {
        if listing.status == ListingStatus::Draft {
            listing = step(conn, listing.id, Command::Submit, options, now)?;
        }
        if listing.awaits_review() {
            step(conn, listing.id, Command::Approve, options, now)?;
        }
    }
    Ok(Outcome::Updated)
}

fn step(
    conn: &mut DbConnection,
    listing: ListingId,
    command: Command,
    options: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<Listing, ApiError> {
    let transition = Transition {
        listing,
        actor: options.actor.map(|actor| actor.user_id),
        command,
        expected_version: None,
        note: Some("bulk import".into()),
        client_ip: options.client_ip.clone(),
    };
    workflow::perform(conn, transition, now)?.ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("an import step deleted listing {listing}"))
    })
}

/// The listing with this reference, or — for a reference that is a listing id, as
/// exports write for listings without one — that listing of the organisation.
fn find_existing(
    conn: &mut DbConnection,
    owner: OrganisationId,
    external_ref: &str,
) -> Result<Option<Listing>, ApiError> {
    if let Some(listing) = listings::find_by_external_ref(conn, owner, external_ref)? {
        return Ok(Some(listing));
    }
    let Ok(id) = external_ref.parse::<ListingId>() else {
        return Ok(None);
    };
    Ok(listings::get_many(conn, &[id])?
        .into_iter()
        .find(|l| l.owner == owner))
}

#[cfg(test)]
mod tests {
    use super::entries;

    #[test]
    fn json_values_are_read_whole_with_the_lines_they_start_on() {
        let array = "[\n  {\"a\": 1},\n  {\n    \"b\": [2, 3]\n  },\n  7\n]\n";
        assert_eq!(
            entries(array),
            [
                (2, "{\"a\": 1}"),
                (3, "{\n    \"b\": [2, 3]\n  }"),
                (6, "7")
            ]
        );
        let object = "\n{\n  \"a\": 1\n}\n";
        assert_eq!(entries(object), [(2, "{\n  \"a\": 1\n}")]);
        // As `jq .` writes JSON Lines: one object after another, each on lines.
        let stream = "{\n  \"a\": 1\n}\n{\n  \"b\": 2\n}\n";
        assert_eq!(
            entries(stream),
            [(1, "{\n  \"a\": 1\n}"), (4, "{\n  \"b\": 2\n}")]
        );
        let lines = "\n{\"a\": 1}\n\n  {\"b\": 2}  \n";
        assert_eq!(entries(lines), [(2, "{\"a\": 1}"), (4, "{\"b\": 2}")]);
        assert_eq!(entries("{\"a\": 1}"), [(1, "{\"a\": 1}")]);
        assert_eq!(entries("[]"), []);
        assert_eq!(entries(""), []);
    }

    #[test]
    fn a_text_that_is_not_json_values_is_read_by_lines_or_as_one_broken_document() {
        // JSON Lines with a bad line: the others are still entries.
        assert_eq!(
            entries("{\"a\": \n{\"b\": 2}"),
            [(1, "{\"a\":"), (2, "{\"b\": 2}")]
        );
        // A document cut short is one entry, from the start of the text, so that
        // the parser's line and column are the file's.
        assert_eq!(entries("\n[\n{\"a\": 1,\n"), [(2, "\n[\n{\"a\": 1,")]);
    }
}
