//! Source adapters (bronkoppelingen) and what they share: the HTTP layer, OAuth2 tokens, errors.
//! Every wire format stays behind these modules; sync and rules only see domain types.

pub mod breaker;
pub mod csv_import;
pub mod edexml;
pub mod error;
pub mod feed;
pub mod http;
pub mod leeruniek;
pub mod oauth;
pub mod oso;
pub mod parnassys;
pub mod parnassys_gkv;
pub mod ratelimit;
pub mod redact;
pub mod request;
pub mod retry;
pub mod uwlr;
pub mod xml;

#[cfg(test)]
pub(crate) mod test_support;
