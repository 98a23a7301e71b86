//! One middleware around every request: it assigns the request id, turns every error
//! response into problem+json (with that id), records metrics and writes the access
//! log line.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing::Instrument;
use uuid::Uuid;

use crate::problem::{ApiError, PROBLEM_CONTENT_TYPE, client_message};
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest request target (path and query string) techex reads, in bytes; a
/// longer one is refused with 414. (actix's HTTP parser itself refuses a target
/// over 65,534 bytes, with a bare 400, before any of this runs.)
pub const MAX_TARGET_LENGTH: usize = 8 * 1024;

/// The id of the request being served, also sent back as `X-Request-Id`.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id =
        incoming_request_id(&req).unwrap_or_else(|| Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    // Only standard methods become metric labels: anyone can send any method.
    let method = match req.method().as_str() {
        m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m.to_owned(),
        _ => "OTHER".to_owned(),
    };
    let path = req.path().to_owned();
    let started = Instant::now();
    let span = tracing::info_span!("request", request_id = %request_id, %method, %path);

    // The request must not be cloned before routing (the router needs it unshared);
    // an Err here comes from a service, not a handler, and is rare: pass it on.
    let target_length = req
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    let response = if target_length > MAX_TARGET_LENGTH {
        req.error_response(ApiError::UriTooLong(format!(
            "the path and query string are {target_length} bytes long; the limit is \
             {MAX_TARGET_LENGTH}"
        )))
    } else {
        next.call(req)
            .instrument(span.clone())
            .await?
            .map_into_boxed_body()
    };
    // Read before the response is re-rendered: the new one carries no error.
    let internal_cause = match response
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
    {
        Some(ApiError::Internal(cause)) => Some(format!("{cause:#}")),
        _ => None,
    };
    let mut response = if response.status().as_u16() >= 400 {
        as_problem(response, &request_id)
    } else {
        response
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    if let Some(state) = response.request().app_data::<web::Data<AppState>>() {
        state
            .metrics
            .observe_request(&method, &route, status, elapsed);
    }
    let _entered = span.enter();
    let micros = elapsed.as_micros() as u64;
    match internal_cause {
        Some(cause) => tracing::error!(status, micros, error = %cause, "request failed"),
        None if status >= 500 => tracing::error!(status, micros, "request failed"),
        None => tracing::info!(status, micros, "request"),
    }
    Ok(response)
}

/// Accepts a caller's id (from a proxy or client) when it is short and plain.
fn incoming_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    let plain = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    plain.then(|| value.to_owned())
}

/// Renders an error response as problem+json carrying the request id, whatever
/// produced it: a handler's [`ApiError`], an extractor, or actix's router.
fn as_problem(response: ServiceResponse<BoxBody>, request_id: &str) -> ServiceResponse<BoxBody> {
    let status = response.status();
    let own_error = response
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>());
    let (error, mut problem) = match own_error {
        Some(error) => (None, error.to_problem()),
        None => {
            if is_problem(&response) && response.response().error().is_none() {
                return response;
            }
            let message = response
                .response()
                .error()
                .filter(|_| status.is_client_error())
                .map(client_message);
            let error = ApiError::from_status(status, message);
            let problem = error.to_problem();
            (Some(error), problem)
        }
    };
    problem.instance = Some(response.request().path().to_owned());
    problem.request_id = Some(request_id.to_owned());
    let mut rendered = match (&error, own_error) {
        (Some(error), _) => error.response_with(&problem),
        (None, Some(own)) => own.response_with(&problem),
        (None, None) => return response,
    };
    // actix's 405 lists the methods the path takes, from the route table (RFC 9110
    // §15.5.6 requires it); the problem keeps that header.
    // The answer's body is replaced, not what it says about the request: the
    // methods a route takes, and the CORS headers that let a page read the problem.
    let carried: Vec<_> = response
        .headers()
        .iter()
        .filter(|(name, _)| {
            **name == header::ALLOW
                || **name == header::VARY
                || name.as_str().starts_with("access-control-")
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    for (name, _) in &carried {
        rendered.headers_mut().remove(name);
    }
    for (name, value) in carried {
        rendered.headers_mut().append(name, value);
    }
    response.into_response(rendered)
}

fn is_problem(response: &ServiceResponse<BoxBody>) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_CONTENT_TYPE))
}
