//! Turns a normalised page into a store batch: bad records and an id seen twice with different
//! content go to quarantine with a specific reason; records of a pupil the store does not know
//! yet are held until the pupil appears; the rest is upserted.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::domain::{Brin, Source};
use crate::sources::feed::{FeedPosition, Record, SourcePage};
use crate::store::{HeldRecord, PageBatch, QuarantineItem, RecordKind, Tombstone};

/// Reference and duplicate checks across the pages of one stream run.
pub(crate) struct PageChecker<'a> {
    known: &'a HashSet<String>,
    /// Content hash per id seen in this pass (full listing) or page (change feed).
    seen: HashMap<String, u64>,
}

/// Feeds the JSON text of a record straight into a hasher (no string per record: the sync spent
/// a measurable share of its time allocating and freeing those, issue 15).
struct HashWriter<'a>(&'a mut DefaultHasher);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn content_hash(raw: &serde_json::Value) -> u64 {
    let mut h = DefaultHasher::new();
    if serde_json::to_writer(HashWriter(&mut h), raw).is_err() {
        // Serialising a `Value` into a writer that never fails does not fail; hash the text then.
        raw.to_string().hash(&mut h);
    }
    h.finish()
}

impl<'a> PageChecker<'a> {
    pub(crate) fn new(known: &'a HashSet<String>) -> Self {
        Self {
            known,
            seen: HashMap::new(),
        }
    }

    /// The batch for `page`, read at `at`.
    ///
    /// Duplicates: within a full listing every id comes once, so an id repeated with the same
    /// content is dropped and with other content is quarantined. In the change feed a record
    /// changed during the run legitimately comes again later (newer content wins), so there the
    /// check is per page only.
    pub(crate) fn batch(
        &mut self,
        source: Source,
        school: &Brin,
        stream: &str,
        kind: RecordKind,
        at: &FeedPosition,
        page: SourcePage,
    ) -> PageBatch {
        if !at.is_full_listing() {
            self.seen.clear();
        }
        let mut batch = PageBatch::new(source, school.clone(), stream);
        let quarantine =
            |batch: &mut PageBatch, id: Option<String>, raw: serde_json::Value, reason: String| {
                batch.quarantine.push(QuarantineItem {
                    source,
                    school: school.clone(),
                    stream: stream.to_owned(),
                    external_id: id,
                    raw,
                    reason,
                });
            };
        for rec in page.records {
            let record = match rec.parsed {
                Ok(r) => r,
                Err(reason) => {
                    quarantine(&mut batch, rec.external_id, rec.raw, reason);
                    continue;
                }
            };
            let id = record.external_id().to_owned();
            let hash = content_hash(&rec.raw);
            match self.seen.get(&id) {
                Some(h) if *h == hash => continue,
                Some(_) => {
                    let reason = format!("duplicate id {id} with different content in one pass");
                    quarantine(&mut batch, Some(id), rec.raw, reason);
                    continue;
                }
                None => {
                    self.seen.insert(id.clone(), hash);
                }
            }
            // A pupil not (yet) in the snapshot: a new pupil's first records come before the next
            // GKV snapshot lists them. Held, not lost; applied once the pupil is known.
            if let Some(pupil) = record.pupil_external_id()
                && !self.known.contains(pupil)
            {
                batch.held.push(match record {
                    Record::Result(r) => HeldRecord::Result(r),
                    Record::Note(n) => HeldRecord::Note(n),
                    Record::Plan(p) => HeldRecord::Plan(p),
                    Record::DyslexiaStatement(d) => HeldRecord::DyslexiaStatement(d),
                    Record::Absence(a) => HeldRecord::Absence(a),
                    Record::SocialEmotional(m) => HeldRecord::SocialEmotional(m),
                });
                continue;
            }
            match record {
                Record::Result(r) => batch.results.push(r),
                Record::Note(n) => batch.notes.push(n),
                Record::Plan(p) => batch.plans.push(p),
                Record::DyslexiaStatement(d) => batch.dyslexia_statements.push(d),
                Record::Absence(a) => batch.absences.push(a),
                Record::SocialEmotional(m) => batch.social_emotional.push(m),
            }
        }
        batch.tombstones = page
            .tombstones
            .into_iter()
            .map(|external_id| Tombstone { kind, external_id })
            .collect();
        batch.new_cursor = page.next.to_stored();
        batch.finished = !page.has_more;
        batch
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::sources::feed::SourceRecord;
    use crate::sources::parnassys::ParnassysStream;

    fn brin() -> Brin {
        Brin::parse("11ZW").expect("brin")
    }

    fn item(id: &str, pupil: &str, score: f64) -> SourceRecord {
        let raw = json!({"id": id, "leerling_id": pupil, "toetscode": "DMT", "toetsonderdeelcode": null,
            "toetsnaam": "DMT", "leverancier": "Cito", "afnamedatum": "2025-01-20", "toetsmoment": "M",
            "score": score, "vaardigheidsscore": null, "vaardigheidsschaal": null, "referentiescores": []});
        SourceRecord {
            external_id: Some(id.to_owned()),
            parsed: ParnassysStream::Results.normalise(&brin(), &raw),
            raw,
        }
    }

    fn page(records: Vec<SourceRecord>, has_more: bool) -> SourcePage {
        SourcePage {
            records,
            tombstones: vec!["gone".into()],
            next: FeedPosition::Paging("c".into()),
            has_more,
        }
    }

    #[test]
    fn repeats_are_dropped_conflicts_quarantined_and_unknown_pupils_held() {
        let known: HashSet<String> = ["p1".to_owned()].into();
        let mut checker = PageChecker::new(&known);
        let b = checker.batch(
            Source::Parnassys,
            &brin(),
            "results",
            RecordKind::Result,
            &FeedPosition::Start,
            page(
                vec![
                    item("r1", "p1", 10.0),
                    item("r1", "p1", 10.0),
                    item("r2", "p9", 1.0),
                ],
                true,
            ),
        );
        assert_eq!(b.results.len(), 1, "an identical repeat is stored once");
        assert!(b.quarantine.is_empty(), "{:?}", b.quarantine);
        assert_eq!(b.held.len(), 1, "the record of the unknown pupil waits");
        assert_eq!(b.held[0].external_id(), "r2");
        assert_eq!(b.held[0].pupil_external_id(), Some("p9"));
        assert_eq!(b.tombstones[0].external_id, "gone");
        assert_eq!(b.new_cursor.as_deref(), Some("page:c"));
        assert!(!b.finished);

        // The next page of the same full listing brings r1 again with other content.
        let b = checker.batch(
            Source::Parnassys,
            &brin(),
            "results",
            RecordKind::Result,
            &FeedPosition::Paging("c".into()),
            page(vec![item("r1", "p1", 11.0)], false),
        );
        assert!(b.results.is_empty());
        assert_eq!(
            b.quarantine[0].reason,
            "duplicate id r1 with different content in one pass"
        );
        assert!(b.finished);
    }

    #[test]
    fn in_the_change_feed_a_later_version_wins() {
        let known: HashSet<String> = ["p1".to_owned()].into();
        let mut checker = PageChecker::new(&known);
        let at = FeedPosition::Since("s".into());
        let mk = |score| page(vec![item("r1", "p1", score)], true);
        let b1 = checker.batch(
            Source::Parnassys,
            &brin(),
            "results",
            RecordKind::Result,
            &at,
            mk(10.0),
        );
        let b2 = checker.batch(
            Source::Parnassys,
            &brin(),
            "results",
            RecordKind::Result,
            &at,
            mk(11.0),
        );
        assert_eq!((b1.results.len(), b2.results.len()), (1, 1));
        assert!(b2.quarantine.is_empty());
    }
}
