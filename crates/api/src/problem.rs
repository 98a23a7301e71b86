//! Every error leaves techex as RFC 9457 `application/problem+json`. This module is
//! the one place that maps an error to a status, a stable `type` and a message.
//!
//! Handlers return [`ApiError`]. Errors raised outside them (unknown route, wrong
//! method, actix's own rejections) are rewritten into the same shape by
//! [`crate::middleware`], which also adds the request id to every problem.

use std::fmt;

use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use techex_domain::{AccessDenied, FieldError, ValidationErrors};
use techex_store::StoreError;
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem document.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A stable identifier of the problem kind, e.g. `urn:techex:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Quote it when reporting a problem; the server log has the details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// For validation problems: every violated rule, by field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorSchema>)]
    pub errors: Vec<FieldError>,
}

/// One violated rule: the field (a dotted path such as `user.email`) and why.
#[derive(ToSchema)]
#[expect(dead_code, reason = "documents FieldError's JSON shape for OpenAPI")]
pub struct FieldErrorSchema {
    field: String,
    message: String,
}

#[derive(Debug)]
pub enum ApiError {
    /// Well-formed input that breaks rules: names every field.
    Validation(ValidationErrors),
    /// Input that cannot be read at all (malformed JSON, bad query string).
    BadRequest(String),
    /// No valid credentials for a route that needs them.
    Unauthenticated(String),
    /// Login failed: the same answer for an unknown e-mail and a wrong password.
    InvalidCredentials,
    Forbidden(String),
    NotFound(String),
    MethodNotAllowed,
    Conflict(String),
    PayloadTooLarge(String),
    /// The request target (path and query string) is longer than techex reads.
    UriTooLong(String),
    UnsupportedMediaType(String),
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    Unavailable(String),
    /// Anything unexpected: the client sees "internal error", the log the cause.
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(ValidationErrors::single(field, message))
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// The stable code used in the problem `type` (`urn:techex:problem:<code>`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation",
            Self::BadRequest(_) => "bad-request",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::InvalidCredentials => "invalid-credentials",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::UriTooLong(_) => "uri-too-long",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Validation(errors) => format!("the request has invalid fields: {errors}"),
            Self::InvalidCredentials => "the e-mail address or the password is wrong".into(),
            Self::MethodNotAllowed => "this route does not accept that HTTP method".into(),
            Self::TooManyRequests { detail, .. } => detail.clone(),
            // Never the cause: it may name tables, paths or secrets.
            Self::Internal(_) => "internal error; quote the request id when reporting it".into(),
            Self::BadRequest(d)
            | Self::Unauthenticated(d)
            | Self::Forbidden(d)
            | Self::NotFound(d)
            | Self::Conflict(d)
            | Self::PayloadTooLarge(d)
            | Self::UriTooLong(d)
            | Self::UnsupportedMediaType(d)
            | Self::Unavailable(d) => d.clone(),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        Problem {
            kind: format!("urn:techex:problem:{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            instance: None,
            request_id: None,
            errors: match self {
                Self::Validation(errors) => errors.errors().to_vec(),
                _ => Vec::new(),
            },
        }
    }

    /// Builds the response for `problem`, with the headers this error calls for.
    pub fn response_with(&self, problem: &Problem) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        ));
        match self {
            Self::Unauthenticated(_) | Self::InvalidCredentials => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::TooManyRequests {
                retry_after_secs, ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.max(&1).to_string()));
            }
            _ => {}
        }
        let body = serde_json::to_vec(problem).unwrap_or_else(|_| b"{}".to_vec());
        response.body(body)
    }

    /// The problem for a bare status produced outside any handler (actix's own
    /// 404/405, rejected payloads), keeping actix's message for client errors.
    pub fn from_status(status: StatusCode, message: Option<String>) -> Self {
        let message = message.filter(|m| !m.is_empty());
        match status {
            StatusCode::NOT_FOUND => {
                Self::NotFound(message.unwrap_or_else(|| "no such route".into()))
            }
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge(
                message.unwrap_or_else(|| "the request body is too large".into()),
            ),
            StatusCode::URI_TOO_LONG => {
                Self::UriTooLong(message.unwrap_or_else(|| "the request target is too long".into()))
            }
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(
                message.unwrap_or_else(|| "unsupported content type".into()),
            ),
            StatusCode::UNAUTHORIZED => {
                Self::Unauthenticated(message.unwrap_or_else(|| "authentication required".into()))
            }
            StatusCode::FORBIDDEN => Self::Forbidden(message.unwrap_or_else(|| "forbidden".into())),
            StatusCode::CONFLICT => Self::Conflict(message.unwrap_or_else(|| "conflict".into())),
            StatusCode::SERVICE_UNAVAILABLE => {
                Self::Unavailable(message.unwrap_or_else(|| "unavailable".into()))
            }
            s if s.is_client_error() => {
                Self::BadRequest(message.unwrap_or_else(|| "bad request".into()))
            }
            _ => Self::Internal(anyhow::anyhow!(
                message.unwrap_or_else(|| status.to_string())
            )),
        }
    }
}

/// What a client is told of an error actix raised: its message, except for a body
/// that could not be read, whose message would quote Rust's internal description of
/// the cause (`Some(Custom { kind: InvalidInput, error: "invalid gzip header" })`).
pub fn client_message(error: &actix_web::Error) -> String {
    match error.as_error::<PayloadError>() {
        None => error.to_string(),
        Some(PayloadError::Overflow) => "the request body is too large".into(),
        Some(PayloadError::UnknownLength) => {
            "the request body has no length: send Content-Length or a chunked body".into()
        }
        Some(_) => "the request body could not be read: it ended early, or it is not \
                    encoded as its Content-Encoding header says"
            .into(),
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Internal(error) => write!(f, "internal error: {error:#}"),
            other => write!(f, "{}: {}", other.code(), other.detail()),
        }
    }
}

impl std::error::Error for ApiError {}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.response_with(&self.to_problem())
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        Self::Validation(errors)
    }
}

impl From<AccessDenied> for ApiError {
    fn from(denied: AccessDenied) -> Self {
        Self::Forbidden(denied.0)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound("not found".into()),
            StoreError::Conflict(what) => Self::Conflict(format!("already exists ({what})")),
            StoreError::Stale { current } => crate::workflow::stale(current),
            StoreError::Pool(e) => Self::Unavailable(format!("the database is unavailable: {e}")),
            // PostgreSQL refuses NUL characters in text; input validation should have
            // caught them, and this keeps any that slip through a 400, not a 500.
            StoreError::Database(techex_store::DieselError::DatabaseError(_, info))
                if info.message().contains("invalid byte sequence") =>
            {
                Self::BadRequest(
                    "the request contains characters that cannot be stored (e.g. NUL)".into(),
                )
            }
            other => Self::Internal(anyhow::Error::new(other)),
        }
    }
}

/// Lets `ApiError` be the error of a store transaction.
impl From<techex_store::DieselError> for ApiError {
    fn from(error: techex_store::DieselError) -> Self {
        Self::from(StoreError::from(error))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::Internal(anyhow::anyhow!("blocking task failed: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_body_is_described_without_rust_internals() {
        let cause = std::io::Error::new(std::io::ErrorKind::InvalidInput, "invalid gzip header");
        let error = actix_web::Error::from(PayloadError::Incomplete(Some(cause)));
        let message = client_message(&error);
        assert!(message.contains("Content-Encoding"), "{message}");
        for internal in ["Some(", "Custom", "kind:", "InvalidInput"] {
            assert!(!message.contains(internal), "{message}");
        }
        let other = actix_web::error::ErrorBadRequest("plain words");
        assert_eq!(client_message(&other), "plain words");
    }

    #[test]
    fn validation_problems_list_every_field() {
        let mut errors = ValidationErrors::new();
        errors.add("user.email", "must contain '@'");
        errors.add("organisation.kind", "must be one of: …");
        let problem = ApiError::Validation(errors).to_problem();
        assert_eq!(problem.status, 400);
        assert_eq!(problem.kind, "urn:techex:problem:validation");
        let fields: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["user.email", "organisation.kind"]);
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let problem =
            ApiError::internal(anyhow::anyhow!("password=hunter2 at /srv/db")).to_problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("hunter2"));
    }

    #[test]
    fn store_conflicts_are_409_and_pool_timeouts_503() {
        assert_eq!(
            ApiError::from(StoreError::Conflict("users_email".into())).status(),
            StatusCode::CONFLICT
        );
        assert_eq!(
            ApiError::from(StoreError::NotFound).status(),
            StatusCode::NOT_FOUND
        );
    }
}
