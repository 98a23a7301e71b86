//! Authentication: password hashing, access tokens, login throttling, the JWT secret,
//! and the extractors that put the authenticated user in a handler's signature.

pub mod extract;
pub mod gate;
pub mod one_time_token;
pub mod passwords;
pub mod secret;
pub mod throttle;
pub mod tokens;

pub use extract::{AuthUser, MaybeAuthUser, OperatorUser};
