//! `zorgsignaal signals`: lists signals, as a Dutch table or as the JSON contract (docs/RULES.md).

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Context;

use crate::app::{open_store, today_amsterdam};
use crate::domain::{Brin, Pupil, SignalStatus};
use crate::rules::{SignalJson, text};
use crate::settings::Settings;
use crate::store::{SignalFilter, Store};

/// `zorgsignaal signals`: lists signals, as a Dutch table or as the JSON contract.
pub async fn signals(
    settings: &Settings,
    school: Option<&Brin>,
    all: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await.context("opening the store")?;
    let filter = SignalFilter {
        school: school.cloned(),
        status: (!all).then_some(SignalStatus::Open),
        ..SignalFilter::default()
    };
    let rows = store.signals(&filter).await?;
    let pupils = pupils_by_id(store.as_ref(), settings, school).await?;
    store.close().await;
    let today = today_amsterdam();
    let out: Vec<SignalJson> = rows
        .iter()
        .filter_map(|row| {
            let (pupil, group) = pupils.get(&row.pupil_id)?;
            let group = group.as_deref();
            Some(SignalJson::new(row.id, &row.signal, row.pupil_id, pupil, group))
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if out.is_empty() {
        println!("Geen signalen.");
    }
    for s in &out {
        let snoozed = rows
            .iter()
            .find(|r| r.id == s.id)
            .and_then(|r| r.signal.snoozed_until)
            .filter(|d| *d > today)
            .map(|d| format!(" (uitgesteld tot {})", text::date(d)))
            .unwrap_or_default();
        println!(
            "#{} {} {} ({}) [{} / {}]{}\n    {}",
            s.id,
            s.school,
            s.pupil.name,
            s.pupil.group.as_deref().unwrap_or("groep onbekend"),
            text::rule_label(&s.rule),
            s.severity.dutch(),
            snoozed,
            s.explanation
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Pupils of the schools in scope by store id, with the group they are in now ("groep 5").
async fn pupils_by_id(
    store: &dyn Store,
    settings: &Settings,
    school: Option<&Brin>,
) -> anyhow::Result<HashMap<i64, (Pupil, Option<String>)>> {
    let today = today_amsterdam();
    let mut out = HashMap::new();
    for s in settings
        .schools
        .iter()
        .filter(|s| school.is_none_or(|b| *b == s.brin))
    {
        for h in store.pupil_histories(&s.brin).await? {
            let group = h
                .memberships
                .iter()
                .filter(|m| m.from <= today)
                .max_by_key(|m| m.from)
                .map(|m| format!("groep {}", m.grade));
            out.insert(h.pupil.id, (h.pupil.pupil, group));
        }
    }
    Ok(out)
}
