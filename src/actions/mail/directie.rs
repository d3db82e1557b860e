//! The directie escalation (issue 16 item 12): an evaluation more than `escalate_after_days` late
//! is reported to the directie inside Zorgsignaal — a mail to the school's `directie_emails` and
//! the dashboard — and never pushed as a task into the pupil's file in ParnasSys or Leeruniek,
//! where parents may read it. The escalations are tasks of kind `directie_escalation` without an
//! outbox row; this mail lists the ones raised since the last mail to each directie address.

use std::collections::HashMap;

use askama::Template;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Europe::Amsterdam;

use super::MailError;
use super::digest::{Digest, DigestPolicy, MailKind};
use super::mailer::Mailer;
use super::policy::{SendSummary, quiet_reason, school_quiet_reason};
use crate::domain::{Pupil, School};
use crate::rules::text;
use crate::settings::Settings;
use crate::store::{EscalationRow, MailRecord, Store};

/// `kind` of the directie mail in the mail log.
pub const DIRECTIE_MAIL_KIND: &str = "directie";

/// How far back a first directie mail looks for escalations.
pub const DIRECTIE_LOOKBACK_DAYS: i64 = 14;

/// For every school and each of its `directie_emails`: one mail with the escalations raised since
/// the last mail to that address (at most [`DIRECTIE_LOOKBACK_DAYS`] back), when there are any.
/// Quiet at the same times as the digest (disabled, weekend, `[mail] holidays`, the school's own
/// holidays); at most `max_per_ib_per_hour` mails per address per hour. Recorded after the
/// transport accepted it.
pub async fn send_directie_escalations(
    store: &dyn Store,
    settings: &Settings,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<SendSummary, MailError> {
    let mail = &settings.mail;
    if let Some(quiet) = quiet_reason(mail, now) {
        return Ok(SendSummary {
            quiet: Some(quiet),
            ..SendSummary::default()
        });
    }
    let policy = DigestPolicy::from_settings(mail);
    let mut summary = SendSummary::default();
    for school_settings in settings.schools.iter().filter(|s| !s.directie_emails.is_empty()) {
        if school_quiet_reason(settings, school_settings, now).is_some() {
            summary.quiet_schools += school_settings.directie_emails.len();
            continue;
        }
        let school = school_settings.school();
        let lookback = now - TimeDelta::days(DIRECTIE_LOOKBACK_DAYS);
        let all = store.directie_escalations(&school.brin, lookback).await?;
        if all.is_empty() {
            summary.no_news += school_settings.directie_emails.len();
            continue;
        }
        let pupils: HashMap<i64, Pupil> = store
            .pupil_rosters(&school.brin)
            .await?
            .into_iter()
            .map(|h| (h.pupil.id, h.pupil.pupil))
            .collect();
        let mut seen: Vec<&str> = Vec::new();
        for to in school_settings.directie_emails.iter().map(|e| e.trim()) {
            if to.is_empty() || seen.contains(&to) {
                continue;
            }
            seen.push(to);
            let since = last_mail_at(store, to, now).await?.unwrap_or(lookback);
            let new: Vec<&EscalationRow> = all.iter().filter(|e| e.created_at >= since).collect();
            if new.is_empty() {
                summary.no_news += 1;
                continue;
            }
            if store.mails_sent_since(to, now - TimeDelta::hours(1)).await?
                >= i64::from(mail.max_per_ib_per_hour)
            {
                summary.rate_limited += 1;
                continue;
            }
            let message = build_directie_mail(&school, to, &new, &pupils, &policy, now)?;
            mailer.send(&mail.from, &message, now).await?;
            store
                .record_mail(&MailRecord {
                    to: to.to_owned(),
                    kind: DIRECTIE_MAIL_KIND.to_owned(),
                    school: Some(school.brin.clone()),
                    subject_hash: MailRecord::hash_subject(&message.subject),
                    sent_at: now,
                })
                .await?;
            tracing::info!(school = %school.brin, items = new.len(), "directie mail sent");
            summary.sent += 1;
        }
    }
    Ok(summary)
}

/// The directie mail: subject with the count and the school (never a pupil name), one line per
/// escalation with the pupil as the digest shows him, and the dashboard link. The HTML part is the
/// template `templates/mail/directie.html`.
pub fn build_directie_mail(
    school: &School,
    to: &str,
    items: &[&EscalationRow],
    pupils: &HashMap<i64, Pupil>,
    policy: &DigestPolicy,
    now: DateTime<Utc>,
) -> Result<Digest, askama::Error> {
    let date = now.with_timezone(&Amsterdam).date_naive();
    let n = items.len();
    let subject = format!(
        "Zorgsignaal: {n} {} voor de directie – {} – {}",
        if n == 1 { "escalatie" } else { "escalaties" },
        school.name,
        text::date(date)
    );
    let lines: Vec<String> = items
        .iter()
        .map(|e| {
            let who = pupils
                .get(&e.pupil_id)
                .map_or_else(|| "leerling".to_string(), |p| policy.display(p));
            format!("{who}: {} {}", e.title, e.body)
        })
        .collect();
    // What the items are about: late plan evaluations, and (issue 18) unauthorised absence the
    // directie must report to the leerplichtambtenaar.
    let absence = |e: &&&EscalationRow| {
        e.key
            .starts_with(&format!("{}/", crate::rules::unauthorised_absence::RULE_ID))
    };
    let what = match (
        items.iter().any(|e| absence(&e)),
        items.iter().all(|e| absence(&e)),
    ) {
        (true, true) => "Ongeoorloofd verzuim bij {school} moet gemeld worden bij de leerplichtambtenaar.",
        (true, false) => {
            "Bij {school} zijn evaluaties van plannen langer dan afgesproken te laat en moet ongeoorloofd \
             verzuim gemeld worden bij de leerplichtambtenaar."
        }
        _ => "Evaluaties van plannen bij {school} zijn langer dan afgesproken te laat.",
    };
    let intro = format!(
        "{} Dit bericht blijft binnen Zorgsignaal: het staat niet in het leerlingdossier.",
        what.replace("{school}", &school.name)
    );
    let link = policy.school_link(&school.brin);
    let mut text_body = format!("{intro}\n\n");
    for l in &lines {
        text_body.push_str(&format!("- {l}\n"));
    }
    if let Some(link) = &link {
        text_body.push_str(&format!("\nDashboard: {link}\n"));
    }
    let html = DirectieHtml {
        intro: &intro,
        lines: &lines,
        link: link.as_deref(),
    }
    .render()?;
    Ok(Digest {
        to: to.to_owned(),
        school: school.brin.clone(),
        kind: MailKind::Directie,
        lines: n,
        repeat_lines: 0,
        discussion_groups: Vec::new(),
        named: Vec::new(),
        subject,
        text: text_body,
        html,
        new_items: n,
        has_new_high: false,
    })
}

/// The HTML part of the directie mail (askama escapes every value).
#[derive(Template)]
#[template(path = "mail/directie.html")]
struct DirectieHtml<'a> {
    intro: &'a str,
    lines: &'a [String],
    link: Option<&'a str>,
}

/// When the last mail to `to` within [`DIRECTIE_LOOKBACK_DAYS`] was sent, to one second (the mail
/// log answers "how many since t", which falls as t grows, so the last time is found by
/// bisection). `now` when a mail is logged at or after `now`.
async fn last_mail_at(
    store: &dyn Store,
    to: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, crate::store::StoreError> {
    let mut lo = now - TimeDelta::days(DIRECTIE_LOOKBACK_DAYS);
    if store.mails_sent_since(to, lo).await? == 0 {
        return Ok(None);
    }
    let mut hi = now;
    if store.mails_sent_since(to, hi).await? > 0 {
        return Ok(Some(now));
    }
    while hi - lo > TimeDelta::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if store.mails_sent_since(to, mid).await? > 0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(Some(lo))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Brin;

    fn row(id: i64, key: &str, title: &str) -> EscalationRow {
        EscalationRow {
            task_id: id,
            pupil_id: id,
            key: key.into(),
            signal_key: Some(key.into()),
            title: title.into(),
            body: "02-03-2026 (5,5 uur).".into(),
            due_on: None,
            created_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    /// Issue 18: the directie mail says what its items are about: late evaluations, unauthorised
    /// absence to report to the leerplichtambtenaar, or both; never a pupil name in the subject.
    #[test]
    fn the_intro_names_late_evaluations_and_verzuim() {
        let settings =
            crate::settings::Settings::from_toml_str(crate::settings::DEFAULT_CONFIG_TOML).expect("settings");
        let policy = DigestPolicy::from_settings(&settings.mail);
        let school = School {
            brin: Brin::parse("11ZW").expect("brin"),
            name: "OBS De Linde".into(),
            care_ladder: "abcd".into(),
        };
        let late = row(
            1,
            "plan_evaluation_overdue/p1/none/plan3-2026-02-01",
            "Evaluatie te laat",
        );
        let absence = row(
            2,
            "unauthorised_absence/p2/none/a2026-03-02",
            "Verzuim melden bij de leerplichtambtenaar",
        );
        let mail = |items: &[&EscalationRow]| {
            build_directie_mail(
                &school,
                "directie@school.example",
                items,
                &HashMap::new(),
                &policy,
                Utc::now(),
            )
            .expect("render")
        };
        let only_absence = mail(&[&absence]);
        assert!(
            only_absence.text.starts_with(
                "Ongeoorloofd verzuim bij OBS De Linde moet gemeld worden bij de leerplichtambtenaar."
            ),
            "{}",
            only_absence.text
        );
        assert!(
            only_absence
                .text
                .contains("Verzuim melden bij de leerplichtambtenaar 02-03-2026")
        );
        assert!(
            mail(&[&late])
                .text
                .starts_with("Evaluaties van plannen bij OBS De Linde")
        );
        let both = mail(&[&late, &absence]);
        assert!(both.text.contains("evaluaties van plannen") && both.text.contains("leerplichtambtenaar"));
        assert!(
            crate::rules::text::dutch_text_problems(&both.text).is_empty(),
            "{}",
            both.text
        );
        // Issue 13 item 4: the HTML part is a template; askama escapes `'` too.
        let odd = row(3, "plan_evaluation_overdue/p3/none/x", "O'Brien <b> & \"x\"");
        let html = mail(&[&odd]).html;
        assert!(
            html.contains("<li>leerling: O&#39;Brien &#60;b&#62; &#38; &#34;x&#34; 02-03-2026"),
            "{html}"
        );
    }
}
