//! What every handler shares: the application state and the board page's settings.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::domain::{Brin, DomainMapping, School};
use crate::settings::{ApiSettings, Settings};
use crate::store::Store;

/// What the board page (`/bestuur`) takes from the configuration, so that it counts and
/// suppresses as the board report does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardPageSettings {
    /// Counts from 1 to this minus one are shown as `<N` (`report.small_count_threshold`).
    pub threshold: u32,
    /// Each school's `signal_without_plan.weeks` (the term of "plan binnen 6 weken"); a school not
    /// listed uses the default, 6.
    pub plan_weeks: std::collections::BTreeMap<Brin, u32>,
}

impl Default for BoardPageSettings {
    fn default() -> Self {
        Self {
            threshold: crate::settings::ReportSettings::default().small_count_threshold,
            plan_weeks: std::collections::BTreeMap::new(),
        }
    }
}

impl BoardPageSettings {
    /// From the configuration.
    pub fn from_settings(s: &Settings) -> Self {
        Self {
            threshold: s.report.small_count_threshold,
            plan_weeks: s
                .schools
                .iter()
                .map(|school| {
                    (
                        school.brin.clone(),
                        s.rules_for(&school.brin).signal_without_plan.weeks,
                    )
                })
                .collect(),
        }
    }

    /// The plan term of a school, in weeks.
    pub fn plan_weeks(&self, school: &Brin) -> u32 {
        self.plan_weeks
            .get(school)
            .copied()
            .unwrap_or_else(|| crate::rules::params::SignalWithoutPlan::default().weeks)
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// `[api]` settings (cookies, sessions, login limits).
    pub settings: Arc<ApiSettings>,
    /// Test → domain mapping for the results chart.
    pub mapping: Arc<DomainMapping>,
    /// Suppression threshold and plan terms of the board page.
    pub board: Arc<BoardPageSettings>,
    /// Prometheus handle for `/metrics`, when a recorder is installed.
    pub metrics: Option<PrometheusHandle>,
    /// The configured schools: a UWLR key is only honoured for one of them.
    pub schools: Arc<Vec<School>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over a store with the given settings, the default domain mapping and no metrics.
    pub fn new(store: Arc<dyn Store>, settings: ApiSettings) -> Self {
        Self {
            store,
            settings: Arc::new(settings),
            mapping: Arc::new(DomainMapping::default()),
            board: Arc::new(BoardPageSettings::default()),
            metrics: None,
            schools: Arc::new(Vec::new()),
        }
    }

    /// State over a store as the configuration sets it up: `[api]`, the board's domain mapping,
    /// the board page's settings and the configured schools (`serve` and `run` both use this).
    pub fn from_settings(
        store: Arc<dyn Store>,
        settings: &Settings,
        metrics: Option<PrometheusHandle>,
    ) -> Self {
        Self {
            store,
            settings: Arc::new(settings.api.clone()),
            mapping: Arc::new(settings.rules.board().domain_mapping.clone()),
            board: Arc::new(BoardPageSettings::from_settings(settings)),
            metrics,
            schools: Arc::new(settings.schools.iter().map(|s| s.school()).collect()),
        }
    }
}
