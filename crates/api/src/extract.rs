//! Request extractors whose errors name the offending field: a JSON body and a query
//! string. A type mismatch deep in a body reports its path (`organisation.kind`), a
//! syntax error says where the JSON broke.

use std::any::TypeId;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, Resource, web};
use serde::Deserializer;
use serde::de::{DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use techex_domain::ValidationErrors;
use utoipa::IntoParams;
use utoipa::openapi::path::ParameterIn;

use crate::auth::gate::AuthGate;
use crate::problem::ApiError;

/// The body limit of a route, in bytes. actix's `PayloadConfig` enforces it but
/// keeps it private; this copy lets a 413 name the limit that applied.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

impl BodyLimit {
    /// Limits the bodies of `resource`'s routes to `limit` bytes.
    pub fn apply(resource: Resource, limit: usize) -> Resource {
        resource
            .app_data(web::PayloadConfig::new(limit))
            .app_data(BodyLimit(limit))
    }
}

/// A JSON request body (`application/json` or any `+json` type), limited by the
/// route's or the app's `PayloadConfig` ([`BodyLimit`]).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = media_type(req).is_some_and(|mime| {
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        });
        let limit = req.app_data::<BodyLimit>().map(|limit| limit.0);
        let body = web::Bytes::from_request(req, payload);
        let settled = AuthGate::settled(req);
        Box::pin(async move {
            let parsed = parse_body(is_json, body, limit).await;
            if parsed.is_err() {
                settled.await;
            }
            parsed.map(JsonBody)
        })
    }
}

/// A JSON Lines request body (`application/x-ndjson`, one JSON value a line), as
/// its bytes, limited as [`JsonBody`] is. A body labelled otherwise (a form, a
/// spreadsheet sent by mistake) is refused with 415 before it is read.
pub struct JsonLinesBody(pub web::Bytes);

/// The media types a JSON Lines body goes by; `application/json` too, as some
/// clients label every JSON-ish body so.
pub const JSON_LINES: [&str; 4] = [
    "application/x-ndjson",
    "application/jsonl",
    "application/x-jsonlines",
    "application/json",
];

impl FromRequest for JsonLinesBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let labelled = media_type(req).is_some_and(|mime| JSON_LINES.contains(&mime.as_str()));
        let limit = req.app_data::<BodyLimit>().map(|limit| limit.0);
        let body = web::Bytes::from_request(req, payload);
        let settled = AuthGate::settled(req);
        Box::pin(async move {
            let read = if labelled {
                read_body(body, limit).await
            } else {
                Err(ApiError::UnsupportedMediaType(
                    "send JSON Lines, one JSON object a line, as application/x-ndjson".into(),
                ))
            };
            if read.is_err() {
                settled.await;
            }
            read.map(JsonLinesBody)
        })
    }
}

/// The request's media type without its parameters, lower-cased
/// (`application/json` of `Application/JSON; charset=utf-8`).
fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
}

/// The body of a JSON request, parsed.
async fn parse_body<T: DeserializeOwned>(
    is_json: bool,
    body: impl Future<Output = Result<web::Bytes, actix_web::Error>>,
    limit: Option<usize>,
) -> Result<T, ApiError> {
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(
            "send the request body as application/json".into(),
        ));
    }
    parse_json(&read_body(body, limit).await?)
}

/// A request's body, within the route's limit.
async fn read_body(
    body: impl Future<Output = Result<web::Bytes, actix_web::Error>>,
    limit: Option<usize>,
) -> Result<web::Bytes, ApiError> {
    body.await.map_err(|error| {
        let status = error.as_response_error().status_code();
        match (status, limit) {
            (actix_web::http::StatusCode::PAYLOAD_TOO_LARGE, Some(limit)) => {
                ApiError::PayloadTooLarge(format!(
                    "the request body exceeds the limit of {limit} bytes"
                ))
            }
            _ => ApiError::from_status(status, Some(crate::problem::client_message(&error))),
        }
    })
}

/// A JSON body that may be left out entirely (no body, `Content-Length: 0`, or
/// `null`); a body that is sent must be valid.
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let headers = req.headers();
        let length = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok());
        let empty = match length {
            Some(length) => length.trim() == "0",
            None => {
                !headers.contains_key(header::TRANSFER_ENCODING)
                    && !headers.contains_key(header::CONTENT_TYPE)
            }
        };
        if empty {
            return Box::pin(std::future::ready(Ok(OptionalJsonBody(None))));
        }
        // A JSON `null` is no body either, as the OpenAPI document says.
        let body = JsonBody::<Option<T>>::from_request(req, payload);
        Box::pin(async move { body.await.map(|JsonBody(value)| OptionalJsonBody(value)) })
    }
}

/// Parses JSON, reporting data errors by field and syntax errors as malformed input.
/// An object with the same key twice, at any depth, is refused naming it: parsers
/// disagree on which one counts (serde_json's `Value` keeps the last, a proxy or an
/// audit tool may read the first). A whole number written with a fraction or an
/// exponent (`3.0`, `1e3`) is taken as the integer it is, as JSON Schema's
/// `integer` does: clients that compute in floating point send `version` so.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    from_value(parse_json_value(bytes)?)
}

/// [`parse_json`] into a `Value`, without deserialising it again into a copy of
/// itself (an import reads every line so).
pub fn parse_json_value(bytes: &[u8]) -> Result<serde_json::Value, ApiError> {
    if let Some((field, key)) = duplicate_key(bytes) {
        return Err(ApiError::validation(
            &field,
            format!("duplicate key `{key}`"),
        ));
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    whole_numbers_as_integers(&mut value);
    Ok(value)
}

/// Turns every number of `value` that is a whole number within the range a
/// double holds exactly (±2⁵³) into an integer; other numbers stay as they are,
/// so `1.5` or `1e300` is still refused where an integer is expected.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        serde_json::Value::Number(number) => {
            if let Some(float) = number.as_f64().filter(|_| number.is_f64())
                && float.fract() == 0.0
                && float.abs() <= EXACT
            {
                *number = serde_json::Number::from(float as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        serde_json::Value::Object(members) => {
            members.values_mut().for_each(whole_numbers_as_integers)
        }
        _ => {}
    }
}

/// The first key that appears twice in one object of `json`, with its dotted path
/// (`user.email`, `items[2].title`). Malformed JSON has none: [`parse_json`] reports
/// what is wrong with it.
fn duplicate_key(json: &[u8]) -> Option<(String, String)> {
    let found = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let _ = UniqueKeys {
        path: String::new(),
        found: &found,
    }
    .deserialize(&mut deserializer);
    let found = found.into_inner()?;
    // The walk stopped at the duplicate: the rest must be well-formed for it to count.
    serde_json::from_slice::<serde::de::IgnoredAny>(json)
        .is_ok()
        .then_some(found)
}

/// Walks a JSON value, stopping at the first object with a repeated key.
struct UniqueKeys<'a> {
    path: String,
    found: &'a RefCell<Option<(String, String)>>,
}

impl UniqueKeys<'_> {
    fn child(&self, path: String) -> Self {
        UniqueKeys {
            path,
            found: self.found,
        }
    }
}

impl<'de> DeserializeSeed<'de> for UniqueKeys<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(self.child(format!("{}[{index}]", self.path)))?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key.clone()) {
                *self.found.borrow_mut() = Some((path, key));
                return Err(serde::de::Error::custom("duplicate key"));
            }
            map.next_value_seed(self.child(path))?;
        }
        Ok(())
    }
}

/// Deserialises a JSON value, naming the offending field as [`parse_json`] does.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        ApiError::Validation(ValidationErrors::single(
            data_error_field(&path, &message),
            message,
        ))
    })
}

/// Applies an RFC 7396 JSON merge patch: members of `patch` replace those of
/// `target`, nested objects merge, and `null` removes a member.
pub fn merge_patch(target: &mut serde_json::Value, patch: serde_json::Value) {
    let serde_json::Value::Object(patch) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(&key);
            } else {
                merge_patch(target.entry(key).or_insert(serde_json::Value::Null), value);
            }
        }
    }
}

/// A query string, typed; unknown or ill-typed parameters are named in the error.
///
/// The parameters a route takes are those `T` documents ([`IntoParams`], the same
/// list the OpenAPI document shows): any other is refused here, for every route,
/// rather than by each type (`deny_unknown_fields`), which one could forget.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + IntoParams + 'static> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let query = req.query_string();
        match known_parameters::<T>(query).and_then(|()| parse_query(query)) {
            Ok(query) => Box::pin(std::future::ready(Ok(Query(query)))),
            Err(error) => {
                let settled = AuthGate::settled(req);
                Box::pin(async move {
                    settled.await;
                    Err(error)
                })
            }
        }
    }
}

/// Refuses a parameter that `T` does not document, naming it.
pub fn known_parameters<T: IntoParams + 'static>(query: &str) -> Result<(), ApiError> {
    let known = parameter_names::<T>();
    match form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| !known.iter().any(|known| known == name))
    {
        None => Ok(()),
        Some((name, _)) if known.is_empty() => Err(ApiError::validation(
            &name,
            "unknown parameter: this route takes no query parameters",
        )),
        Some((name, _)) => Err(ApiError::validation(
            &name,
            format!("unknown parameter: this route takes {}", known.join(", ")),
        )),
    }
}

/// The names of the parameters `T` documents, built once per type: building
/// utoipa's descriptions of them on every request cost the search route
/// allocations for nothing.
fn parameter_names<T: IntoParams + 'static>() -> Arc<[String]> {
    static NAMES: OnceLock<RwLock<HashMap<TypeId, Arc<[String]>>>> = OnceLock::new();
    let names = NAMES.get_or_init(Default::default);
    let cached = names
        .read()
        .ok()
        .and_then(|names| names.get(&TypeId::of::<T>()).cloned());
    cached.unwrap_or_else(|| {
        let built: Arc<[String]> = T::into_params(|| Some(ParameterIn::Query))
            .into_iter()
            .map(|parameter| parameter.name)
            .collect();
        if let Ok(mut names) = names.write() {
            names.insert(TypeId::of::<T>(), built.clone());
        }
        built
    })
}

/// Parses a query string; a parameter with an empty value (`?sector=&page=`, as an
/// HTML form sends a field left blank) counts as not given.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let given: String;
    let query = if has_blank(query) {
        given = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(
                form_urlencoded::parse(query.as_bytes()).filter(|(_, value)| !value.is_empty()),
            )
            .finish();
        &given
    } else {
        query
    };
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        // serde names a repeated, unknown or missing parameter in its message, at
        // the root; the parameter is the field.
        let named = ["duplicate field `", "unknown field `", "missing field `"]
            .iter()
            .find_map(|prefix| message.strip_prefix(prefix))
            .and_then(|rest| rest.split('`').next());
        let field = match named {
            Some(name) => name.to_owned(),
            None if path.is_empty() || path == "." => "query".to_owned(),
            None => path,
        };
        let message = match message.as_str() {
            // What an unsigned parser says of `-1` or `1.5`. Every numeric
            // parameter (page, per_page, limit, trl…) starts at 1.
            "invalid digit found in string" => "must be a whole number, 1 or more".to_owned(),
            // Of a number past the parameter's type (`page=99999999999`): each
            // parameter's own bound is checked, and named, after parsing.
            "number too large to fit in target type" => "is too large a number".to_owned(),
            _ => message,
        };
        ApiError::Validation(ValidationErrors::single(field, message))
    })
}

/// Whether a parameter of `query` has an empty value (`page=`, or a bare `page`),
/// read off the raw text: every search goes through here, and decoding its
/// parameters only to look would allocate for each encoded one.
fn has_blank(query: &str) -> bool {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .any(|pair| {
            pair.split_once('=')
                .is_none_or(|(_, value)| value.is_empty())
        })
}

/// Parses a path segment as an id, naming the parameter when it is not one.
pub fn path_id<T: std::str::FromStr>(raw: &str, field: &str) -> Result<T, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::validation(
            field,
            "must be a UUID such as 0193a5b2-7c1d-7e4f-9a0b-123456789abc",
        )
    })
}

/// serde reports a missing field at its parent; name the field itself.
fn data_error_field(path: &str, message: &str) -> String {
    let named = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (named, field_name(path).as_str()) {
        (Some(name), "body") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, _) => field_name(path),
    }
}

/// `.` is serde_path_to_error's name for the root.
fn field_name(path: &str) -> String {
    if path.is_empty() || path == "." {
        "body".into()
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[expect(dead_code, reason = "only deserialised")]
        user: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        #[expect(dead_code, reason = "only deserialised")]
        age: u32,
    }

    fn fields(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Validation(errors) => {
                errors.errors().iter().map(|e| e.field.clone()).collect()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn type_errors_name_the_nested_field() {
        let error = parse_json::<Outer>(br#"{"user": {"age": "old"}}"#).unwrap_err();
        assert_eq!(fields(error), ["user.age"]);
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse_json::<Outer>(b"{\"user\": "),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Outer>(br#"{"user": {"age": 1}} trailing"#),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn missing_and_unknown_fields_are_validation_errors() {
        assert_eq!(fields(parse_json::<Outer>(b"{}").unwrap_err()), ["user"]);
        assert_eq!(
            fields(parse_json::<Outer>(br#"{"user": {}}"#).unwrap_err()),
            ["user.age"]
        );
        assert_eq!(
            fields(parse_json::<Outer>(br#"{"user": {"age": 3, "x": 1}}"#).unwrap_err()),
            ["user.x"]
        );
        assert_eq!(fields(parse_json::<Outer>(b"42").unwrap_err()), ["body"]);
    }

    #[test]
    fn a_key_repeated_at_any_depth_is_refused_naming_it() {
        let repeated = |json: &str| match parse_json::<serde_json::Value>(json.as_bytes()) {
            Err(ApiError::Validation(errors)) => {
                let error = &errors.errors()[0];
                (error.field.clone(), error.message.clone())
            }
            other => panic!("{json}: expected a validation error, got {other:?}"),
        };
        assert_eq!(
            repeated(r#"{"title": "a", "trl": 3, "title": "b"}"#),
            ("title".into(), "duplicate key `title`".into())
        );
        assert_eq!(
            repeated(r#"{"user": {"email": "a@b.vn", "email": "c@d.vn"}}"#).0,
            "user.email"
        );
        assert_eq!(
            repeated(r#"{"items": [{"a": 1}, {"b": [], "b": {}}]}"#).0,
            "items[1].b"
        );
        // An escaped spelling of the same key is the same key.
        assert_eq!(repeated(r#"{"title": 1, "t\u0069tle": 2}"#).0, "title");
        // The same key in different objects, and valid JSON of every kind, is fine.
        let fine = r#"{"a": {"x": 1}, "b": {"x": [true, null, -1, 1.5, "s", {"x": 2}]}}"#;
        assert!(parse_json::<serde_json::Value>(fine.as_bytes()).is_ok());
        // A typed body too: serde's own check would say "duplicate field".
        assert_eq!(
            fields(parse_json::<Outer>(br#"{"user": {"age": 1, "age": 2}}"#).unwrap_err()),
            ["user.age"]
        );
        // Malformed JSON is still reported as such, duplicate or not.
        assert!(matches!(
            parse_json::<serde_json::Value>(br#"{"a": 1, "a": "#),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn whole_numbers_count_as_integers_and_fractions_do_not() {
        for whole in ["3.0", "3e0", "0.3e1", "3"] {
            let json = format!(r#"{{"user": {{"age": {whole}}}}}"#);
            assert!(parse_json::<Outer>(json.as_bytes()).is_ok(), "{whole}");
        }
        for not_whole in ["3.5", "-1.0", "1e300"] {
            let json = format!(r#"{{"user": {{"age": {not_whole}}}}}"#);
            let error = parse_json::<Outer>(json.as_bytes()).unwrap_err();
            assert_eq!(fields(error), ["user.age"], "{not_whole}");
        }
        // Everywhere in the body, and only numbers with no fraction.
        let value: serde_json::Value =
            parse_json(br#"{"a": [2.0, 2.5, {"b": -7.0}], "c": "4.0"}"#).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"a": [2, 2.5, {"b": -7}], "c": "4.0"})
        );
        assert!(value["a"][0].is_i64() && value["a"][2]["b"].is_i64());
    }

    #[test]
    fn merge_patch_replaces_merges_and_removes() {
        let mut target =
            serde_json::json!({"title": "a", "price": {"min": 1, "max": 2}, "province": "hue"});
        merge_patch(
            &mut target,
            serde_json::json!({"title": "b", "price": {"max": 3}, "province": null}),
        );
        assert_eq!(
            target,
            serde_json::json!({"title": "b", "price": {"min": 1, "max": 3}})
        );
    }

    #[derive(Debug, Deserialize)]
    struct Paging {
        #[expect(dead_code, reason = "only deserialised")]
        page: Option<u32>,
    }

    #[derive(Debug, Deserialize, IntoParams)]
    struct Filter {
        kind: Option<String>,
        per_page: Option<u32>,
    }

    #[test]
    fn parameters_a_type_does_not_document_are_refused() {
        assert!(known_parameters::<Filter>("kind=offer&per_page=5").is_ok());
        assert!(known_parameters::<Filter>("").is_ok());
        let error = known_parameters::<Filter>("kind=offer&pagesize=5").unwrap_err();
        assert!(
            format!("{error:?}").contains("this route takes kind, per_page"),
            "{error:?}"
        );
        assert_eq!(fields(error), ["pagesize"]);
        // A bare name and an encoded one are parameters too.
        assert_eq!(
            fields(known_parameters::<Filter>("debug").unwrap_err()),
            ["debug"]
        );
        // Names are compared decoded.
        assert!(known_parameters::<Filter>("per%5Fpage=1&k%69nd=x").is_ok());
    }

    #[test]
    fn an_empty_parameter_is_not_given() {
        let Filter { kind, per_page } = parse_query("kind=&per_page=").unwrap();
        assert_eq!((kind, per_page), (None, None));
        let Filter { kind, per_page } = parse_query("kind=offer&per_page=").unwrap();
        assert_eq!((kind.as_deref(), per_page), (Some("offer"), None));
        let Filter { kind, per_page } = parse_query("kind&&per_page=3").unwrap();
        assert_eq!((kind, per_page), (None, Some(3)));
        // An encoded space is a value, not a blank.
        let Filter { kind, .. } = parse_query("kind=%20").unwrap();
        assert_eq!(kind.as_deref(), Some(" "));
    }

    #[test]
    fn query_errors_name_the_parameter() {
        assert!(parse_query::<Paging>("page=2").is_ok());
        assert_eq!(
            fields(parse_query::<Paging>("page=two").unwrap_err()),
            ["page"]
        );
        assert_eq!(
            fields(parse_query::<Paging>("page=1&page=2").unwrap_err()),
            ["page"]
        );
        for (query, message) in [
            ("page=-1", "must be a whole number, 1 or more"),
            ("page=99999999999999999999999", "is too large a number"),
        ] {
            let error = parse_query::<Paging>(query).unwrap_err();
            assert!(format!("{error:?}").contains(message), "{query}: {error:?}");
            assert_eq!(fields(error), ["page"], "{query}");
        }
    }
}
