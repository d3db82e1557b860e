//! The mock test publisher (toetsuitgever, `mocks::publisher`) wired to Zorgsignaal's own UWLR
//! endpoint, for `demo` and `simulate`: the API router serves `POST /uwlr/v2/leerresultaten` on
//! a random loopback port, every ESIS-like school of the generated board gets an
//! autorisatiesleutel in the store (as `zorgsignaal uwlr-key add` makes one), and one publisher
//! per such school delivers its results as their test dates are reached.

use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use mocks::Dataset;
use mocks::publisher::{Delivered, Publisher};
use tokio_util::sync::CancellationToken;

use crate::api::auth::{random_token, token_hash};
use crate::api::{self, AppState};
use crate::domain::Brin;
use crate::settings::Settings;
use crate::store::Store;

/// Label of the keys the demo and the simulation make.
pub const KEY_LABEL: &str = "Mock-toetsuitgever";

/// The publishers of the board's ESIS-like schools and the endpoint they deliver to.
pub struct MockPublishers {
    publishers: Vec<Publisher>,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// Full URL of `POST /uwlr/v2/leerresultaten`.
    pub endpoint: String,
}

impl MockPublishers {
    /// Starts the endpoint and a publisher for every configured ESIS-like school of `dataset`
    /// (`None` when there is none).
    pub async fn start(
        settings: &Settings,
        store: Arc<dyn Store>,
        dataset: &Dataset,
    ) -> anyhow::Result<Option<Self>> {
        let schools: Vec<_> = dataset
            .schools
            .iter()
            .filter(|s| s.uwlr.is_some())
            .filter(|s| settings.schools.iter().any(|c| c.brin.as_str() == s.brin))
            .collect();
        if schools.is_empty() {
            return Ok(None);
        }
        let state = AppState {
            schools: Arc::new(settings.schools.iter().map(|s| s.school()).collect()),
            ..AppState::new(store.clone(), settings.api.clone())
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the UWLR endpoint on loopback")?;
        let endpoint = format!(
            "http://{}{}",
            listener.local_addr().context("endpoint address")?,
            api::uwlr::PATH
        );
        let mut publishers = Vec::new();
        for school in schools {
            let brin = Brin::parse(&school.brin).map_err(|e| anyhow::anyhow!("BRIN {}: {e}", school.brin))?;
            let key = random_token();
            store
                .create_uwlr_key(&brin, &token_hash(&key), KEY_LABEL)
                .await
                .with_context(|| format!("making the UWLR key of {brin}"))?;
            publishers.push(Publisher::new(&endpoint, &key, school));
        }
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(api::serve(listener, state, shutdown.clone()));
        Ok(Some(Self {
            publishers,
            shutdown,
            server,
            endpoint,
        }))
    }

    /// Delivers every school's results of the test dates up to and including `day` not
    /// delivered yet.
    pub async fn deliver_until(&mut self, day: NaiveDate) -> anyhow::Result<Delivered> {
        let mut total = Delivered::default();
        for p in &mut self.publishers {
            let d = p
                .deliver_until(day)
                .await
                .with_context(|| format!("the mock test publisher of {}", p.brin()))?;
            total.messages += d.messages;
            total.results += d.results;
        }
        Ok(total)
    }

    /// BRINs of the ESIS-like schools.
    pub fn schools(&self) -> Vec<String> {
        self.publishers.iter().map(|p| p.brin().to_owned()).collect()
    }

    /// Stops the endpoint.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.server.await;
    }
}
