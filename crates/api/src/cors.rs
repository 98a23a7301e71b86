//! Cross-origin access for browser applications served from another origin — a
//! partner exchange's portal, a department's web site — named in
//! `server.cors_origins` (docs/api.md, "Browser clients"). With none named, no
//! CORS header is sent and a browser lets only same-origin pages read answers.
//!
//! Tokens travel in the `Authorization` header, never in cookies, so an allowed
//! origin gains nothing a page could not already do with a token it holds: no
//! credentials mode is offered. A request from an origin not named is served as
//! any other (non-browser clients send what `Origin` they like) but gets no
//! `Access-Control-Allow-Origin`, so a browser keeps the answer from the page.

use actix_cors::Cors;
use actix_web::http::{Method, header};
use actix_web::middleware::Condition;

use crate::middleware::REQUEST_ID;

/// What a browser may read beyond the body: where a created object is, when to
/// retry, the id to quote to an operator, how a token was refused, an export's
/// file name.
const EXPOSED: [header::HeaderName; 5] = [
    header::LOCATION,
    header::RETRY_AFTER,
    REQUEST_ID,
    header::WWW_AUTHENTICATE,
    header::CONTENT_DISPOSITION,
];

/// How long a browser may reuse a preflight's answer, in seconds.
const PREFLIGHT_MAX_AGE: usize = 3600;

/// The CORS middleware for `origins` (checked by [`check_origins`]: `*` stands
/// alone); disabled when there are none.
pub fn middleware(origins: &[String]) -> Condition<Cors> {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, REQUEST_ID])
        .expose_headers(EXPOSED)
        .max_age(PREFLIGHT_MAX_AGE);
    if origins == ["*"] {
        cors = cors.allow_any_origin().send_wildcard();
    } else {
        for origin in origins {
            cors = cors.allowed_origin(origin);
        }
    }
    Condition::new(!origins.is_empty(), cors)
}

/// Whether `origins` are each an origin [`check_origin`] takes, `*` alone.
pub fn check_origins(origins: &[String]) -> Result<(), String> {
    for origin in origins {
        check_origin(origin)?;
    }
    if origins.len() > 1 && origins.iter().any(|o| o == "*") {
        return Err("* allows every origin and stands alone".into());
    }
    Ok(())
}

/// Whether `origin` is `*` or an origin as a browser sends it: `http` or `https`,
/// a host, perhaps a port, and nothing after (`https://portal.example.vn`).
pub fn check_origin(origin: &str) -> Result<(), String> {
    if origin == "*" {
        return Ok(());
    }
    let well_formed = url::Url::parse(origin).ok().filter(|url| {
        matches!(url.scheme(), "http" | "https")
            // A host name or an address: no wildcard (`*.example.vn`) matches.
            && url.host_str().is_some_and(|host| {
                host.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '[' | ']' | ':'))
            })
            && url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none()
            // The serialised origin has no path: `Url` adds `/` to one without.
            && url.origin().ascii_serialization() == origin
    });
    match well_formed {
        Some(_) => Ok(()),
        None => Err(format!(
            "'{origin}' is not an origin as a browser sends it, such as \
             https://portal.example.vn (scheme, host in lower case and port only, no path or \
             trailing slash), nor *"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_a_scheme_a_host_and_a_port_or_a_wildcard() {
        for good in [
            "*",
            "https://portal.example.vn",
            "http://localhost:5173",
            "http://[::1]:8080",
            "https://sankhcn.hanoi.gov.vn:8443",
        ] {
            assert_eq!(check_origin(good), Ok(()), "{good}");
        }
        for bad in [
            "portal.example.vn",
            "https://portal.example.vn/",
            "https://portal.example.vn/app",
            "ftp://portal.example.vn",
            "https://user@portal.example.vn",
            "https://PORTAL.example.vn",
            "https://*.example.vn",
            "",
        ] {
            assert!(check_origin(bad).is_err(), "{bad} was taken");
        }
    }
}
