//! OAuth2 client-credentials token endpoint and bearer-token checks shared by both REST systems.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::{Shared, json_error, server_error_status};
use crate::faults::FaultKind;
use crate::model::System;
use crate::state::Token;

/// `POST {base}/oauth/token` for `system`.
pub async fn token(shared: Arc<Shared>, system: System, headers: HeaderMap, body: Bytes) -> Response {
    let label = format!("{}.oauth", system_name(system));
    match shared
        .pre(
            &label,
            &[FaultKind::RateLimit, FaultKind::ServerError, FaultKind::Slow],
        )
        .await
    {
        Err(r) => return r,
        Ok(Some((FaultKind::ServerError, w))) => {
            return json_error(server_error_status(w), "server_error", "Tijdelijke storing.");
        }
        Ok(_) => {}
    }
    let form = parse_form(&body);
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    match get("grant_type").as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only client_credentials is supported.",
            );
        }
        None => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required.",
            );
        }
    }
    let (client_id, secret) = match (get("client_id"), get("client_secret")) {
        (Some(id), Some(secret)) => (id, secret),
        _ => match basic_credentials(&headers) {
            Some(c) => c,
            None => return invalid_client("Client authentication failed."),
        },
    };
    let lifetime = *shared
        .token_lifetime
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut st = shared.write();
    let Some(client) = st.clients.get(&client_id).cloned() else {
        return invalid_client("Client authentication failed.");
    };
    if client.client_secret != secret || client.system != system {
        return invalid_client("Client authentication failed.");
    }
    if client.schools.iter().all(|b| st.revoked(b).unwrap_or(true)) {
        return invalid_client("Consent for this client has been revoked.");
    }
    let scopes: Vec<String> = match get("scope") {
        Some(s) if !s.trim().is_empty() => s.split_whitespace().map(String::from).collect(),
        _ => client.scopes.clone(),
    };
    if let Some(bad) = scopes.iter().find(|s| !client.scopes.contains(s)) {
        return json_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("Scope {bad} is not allowed for this client."),
        );
    }
    st.tokens_issued += 1;
    let digest = Sha256::digest(format!("{}|{}|{}", shared.seed, st.tokens_issued, client_id).as_bytes());
    let access_token: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    st.tokens.insert(
        access_token.clone(),
        Token {
            client_id,
            system,
            scopes: scopes.clone(),
            expires_at: Instant::now() + lifetime,
            revoked: false,
        },
    );
    let body = serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": lifetime.as_secs(),
        "scope": scopes.join(" "),
    });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// Lower-case name of a system (labels, URLs).
pub fn system_name(system: System) -> &'static str {
    match system {
        System::Parnassys => "parnassys",
        System::Leeruniek => "leeruniek",
    }
}

fn invalid_client(description: &str) -> Response {
    let mut r = json_error(StatusCode::UNAUTHORIZED, "invalid_client", description);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"oauth\""),
    );
    r
}

fn unauthorized(code: &str, description: &str) -> Response {
    let mut r = json_error(StatusCode::UNAUTHORIZED, code, description);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    r
}

/// Checks the bearer token for `system`, school `brin` and `scope`; returns the token string.
// The error is the finished HTTP answer, handed straight back to axum; boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub fn authorize(
    shared: &Shared,
    headers: &HeaderMap,
    system: System,
    brin: &str,
    scope: &str,
) -> Result<String, Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| unauthorized("invalid_token", "Bearer token required."))?;
    let st = shared.read();
    let token = st
        .tokens
        .get(bearer)
        .ok_or_else(|| unauthorized("invalid_token", "Unknown token."))?;
    if token.revoked || token.expires_at <= Instant::now() {
        return Err(unauthorized("invalid_token", "Token expired or revoked."));
    }
    if token.system != system {
        return Err(unauthorized("invalid_token", "Token issued for another system."));
    }
    let client = st
        .clients
        .get(&token.client_id)
        .ok_or_else(|| unauthorized("invalid_token", "Unknown client."))?;
    if !client.schools.iter().any(|b| b == brin) {
        return Err(json_error(
            StatusCode::FORBIDDEN,
            "forbidden_school",
            "This client has no access to this school.",
        ));
    }
    let revoked = st
        .revoked(brin)
        .ok_or_else(|| json_error(StatusCode::NOT_FOUND, "unknown_school", "Unknown school."))?;
    if revoked {
        return Err(unauthorized(
            "invalid_token",
            "Consent for this school has been revoked.",
        ));
    }
    if !token.scopes.iter().any(|s| s == scope) {
        return Err(json_error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            &format!("Scope {scope} required."),
        ));
    }
    Ok(bearer.to_string())
}

/// Revokes one token (fault injection) and answers as a server would.
pub fn revoke(shared: &Shared, token: &str) -> Response {
    if let Some(t) = shared.write().tokens.get_mut(token) {
        t.revoked = true;
    }
    unauthorized("invalid_token", "Token revoked.")
}

/// Parses `application/x-www-form-urlencoded`.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = String::from_utf8(base64_decode(v.trim())?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((percent_decode(id), percent_decode(secret)))
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    };
    let clean: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in clean.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= val(c)? << (18 - 6 * i);
        }
        let n = chunk.len().saturating_sub(1);
        out.extend(acc.to_be_bytes()[1..=n].iter());
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_and_basic_auth() {
        let f = parse_form(b"grant_type=client_credentials&scope=a%20b+c&x=");
        assert_eq!(f[1], ("scope".to_string(), "a b c".to_string()));
        assert_eq!(f[2].1, "");
        assert_eq!(base64_decode("dXNlcjpwYXNz").as_deref(), Some(&b"user:pass"[..]));
        assert_eq!(base64_decode("YQ==").as_deref(), Some(&b"a"[..]));
    }
}
