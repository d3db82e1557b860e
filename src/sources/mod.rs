//! Source adapters (bronkoppelingen) and what they share: the HTTP layer, OAuth2 tokens, errors.

pub mod breaker;
pub mod error;
pub mod http;
pub mod oauth;
pub mod ratelimit;
pub mod redact;
pub mod request;
pub mod retry;

#[cfg(test)]
mod test_support;
