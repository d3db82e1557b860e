//! Loopback test servers (axum on port 0) answering from a script, for the HTTP layer's tests.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    hang: bool,
}

impl Reply {
    /// An answer with `status` and `body`.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
            hang: false,
        }
    }

    /// An answer that never comes (the client must time out).
    pub fn hang() -> Self {
        Self {
            hang: true,
            ..Self::new(200, "")
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// The answers a server gives in order; the last one repeats. Records what it received.
#[derive(Debug, Default)]
pub struct Script {
    replies: Mutex<VecDeque<Reply>>,
    hits: AtomicUsize,
    authorizations: Mutex<Vec<String>>,
    bodies: Mutex<Vec<String>>,
}

impl Script {
    /// A script answering `replies` in order (the last one repeats).
    pub fn new(replies: impl IntoIterator<Item = Reply>) -> Arc<Self> {
        Arc::new(Self {
            replies: Mutex::new(replies.into_iter().collect()),
            ..Self::default()
        })
    }

    /// Replaces the remaining answers.
    pub fn set(&self, replies: impl IntoIterator<Item = Reply>) {
        *self.replies.lock().expect("script lock") = replies.into_iter().collect();
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// `Authorization` headers received, in order (empty string when absent).
    pub fn authorizations(&self) -> Vec<String> {
        self.authorizations.lock().expect("script lock").clone()
    }

    /// Request bodies received, in order.
    pub fn bodies(&self) -> Vec<String> {
        self.bodies.lock().expect("script lock").clone()
    }

    fn next(&self) -> Reply {
        let mut replies = self.replies.lock().expect("script lock");
        if replies.len() > 1 {
            replies.pop_front().expect("non-empty")
        } else {
            replies
                .front()
                .cloned()
                .unwrap_or_else(|| Reply::new(404, "no script"))
        }
    }
}

async fn answer(State(script): State<Arc<Script>>, headers: HeaderMap, body: String) -> Response {
    script.bodies.lock().expect("script lock").push(body);
    script.hits.fetch_add(1, Ordering::SeqCst);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    script.authorizations.lock().expect("script lock").push(auth);
    let reply = script.next();
    if reply.hang {
        std::future::pending::<()>().await;
    }
    let mut response = (
        StatusCode::from_u16(reply.status).expect("valid status"),
        reply.body,
    )
        .into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).expect("header value"),
        );
    }
    response
}

/// Serves `script` on a loopback port 0; returns the base URL (`http://127.0.0.1:port`).
pub async fn serve(script: Arc<Script>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let app = Router::new().fallback(answer).with_state(script);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("test server") });
    format!("http://{addr}")
}

/// A token endpoint answer with `token` valid for `expires_in` seconds.
pub fn token_reply(token: &str, expires_in: u64) -> Reply {
    Reply::new(
        200,
        format!(r#"{{"access_token":"{token}","token_type":"bearer","expires_in":{expires_in}}}"#),
    )
    .header("content-type", "application/json")
}
