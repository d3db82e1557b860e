//! Change-feed streams: every read endpoint pages one `Stream` by change sequence number, so a
//! full listing and a `since=` catch-up share one stable order and nothing is skipped mid-sync.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// Something stored in a stream under a numeric id.
pub trait Keyed {
    /// The record's id.
    fn key(&self) -> u64;
}

macro_rules! keyed {
    ($($t:ty),*) => {$(impl Keyed for $t { fn key(&self) -> u64 { self.id } })*};
}
keyed!(
    crate::model::TestResult,
    crate::model::Note,
    crate::model::Plan,
    crate::model::DyslexiaStatement,
    crate::model::Absence,
    crate::model::SocialEmotional,
    crate::model::LuNoteCategory,
    crate::model::LuGroupPlan,
    crate::model::LuNote,
    crate::tasks::PsTask,
    crate::tasks::LuTask
);

#[derive(Debug, Clone)]
enum Slot {
    Live(u64),
    Tomb { id: u64, deleted_at: String },
}

/// A stream of records with a change log (live entries and tombstones by sequence number).
#[derive(Debug, Clone)]
pub struct Stream<T> {
    log: BTreeMap<u64, Slot>,
    items: HashMap<u64, (u64, T)>,
}

impl<T> Default for Stream<T> {
    fn default() -> Self {
        Self {
            log: BTreeMap::new(),
            items: HashMap::new(),
        }
    }
}

/// A decoded paging position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// Full listing: live records with sequence in `(after, high_water]`.
    Full {
        /// Last sequence already delivered.
        after: u64,
        /// Highest sequence when the listing started.
        high_water: u64,
    },
    /// Change feed: every change (records and tombstones) after this sequence.
    Since(u64),
}

/// Why a cursor was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Not a cursor this server issued.
    #[error("malformed cursor")]
    Malformed,
    /// A cursor of another stream.
    #[error("cursor belongs to another stream")]
    WrongStream,
}

impl Cursor {
    /// Opaque text form, bound to `stream`.
    pub fn encode(self, stream: &str) -> String {
        let plain = match self {
            Cursor::Full { after, high_water } => format!("v1|{stream}|f|{after}|{high_water}"),
            Cursor::Since(s) => format!("v1|{stream}|s|{s}|0"),
        };
        plain.bytes().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses a cursor issued for `stream`.
    pub fn decode(text: &str, stream: &str) -> Result<Self, CursorError> {
        if !text.len().is_multiple_of(2) || text.len() > 512 {
            return Err(CursorError::Malformed);
        }
        let bytes: Option<Vec<u8>> = (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
            .collect();
        let plain =
            String::from_utf8(bytes.ok_or(CursorError::Malformed)?).map_err(|_| CursorError::Malformed)?;
        let parts: Vec<&str> = plain.split('|').collect();
        let [v, s, kind, a, b] = parts.as_slice() else {
            return Err(CursorError::Malformed);
        };
        if *v != "v1" {
            return Err(CursorError::Malformed);
        }
        if *s != stream {
            return Err(CursorError::WrongStream);
        }
        let a: u64 = a.parse().map_err(|_| CursorError::Malformed)?;
        let b: u64 = b.parse().map_err(|_| CursorError::Malformed)?;
        match *kind {
            "f" => Ok(Cursor::Full {
                after: a,
                high_water: b,
            }),
            "s" => Ok(Cursor::Since(a)),
            _ => Err(CursorError::Malformed),
        }
    }
}

/// A tombstone on the wire.
#[derive(Debug, Serialize)]
struct TombOut<'a> {
    id: String,
    deleted_at: &'a str,
}

/// One page on the wire: `{items, tombstones, next_cursor, has_more}`.
#[derive(Debug, Serialize)]
struct PageOut<'a, T> {
    items: Vec<&'a T>,
    tombstones: Vec<TombOut<'a>>,
    next_cursor: String,
    has_more: bool,
}

/// The page a `since` cursor gets when nothing changed after it: what
/// [`Stream::page_json`] answers then, byte for byte.
pub fn empty_since_page(stream: &str, since: u64) -> Vec<u8> {
    let page: PageOut<'_, ()> = PageOut {
        items: Vec::new(),
        tombstones: Vec::new(),
        next_cursor: Cursor::Since(since).encode(stream),
        has_more: false,
    };
    serde_json::to_vec(&page).unwrap_or_default()
}

impl<T: Keyed + Serialize> Stream<T> {
    /// Inserts or replaces a record, moving it to sequence `seq`.
    pub fn upsert(&mut self, item: T, seq: u64) {
        let key = item.key();
        if let Some((old, _)) = self.items.insert(key, (seq, item)) {
            self.log.remove(&old);
        }
        self.log.insert(seq, Slot::Live(key));
    }

    /// Deletes a record, leaving a tombstone at `seq`. Returns whether it existed.
    pub fn delete(&mut self, key: u64, seq: u64, deleted_at: String) -> bool {
        match self.items.remove(&key) {
            Some((old, _)) => {
                self.log.remove(&old);
                self.log.insert(seq, Slot::Tomb { id: key, deleted_at });
                true
            }
            None => false,
        }
    }

    /// The record with `key`.
    pub fn get(&self, key: u64) -> Option<&T> {
        self.items.get(&key).map(|(_, t)| t)
    }

    /// The highest change sequence number in the stream (a record or a tombstone; 0 when
    /// empty): a `since` cursor at or after it has nothing to fetch.
    pub fn top(&self) -> u64 {
        self.log.keys().next_back().copied().unwrap_or(0)
    }

    /// Number of live records.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the stream holds no live record.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Live records in sequence order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.log.values().filter_map(|s| match s {
            Slot::Live(k) => self.items.get(k).map(|(_, t)| t),
            Slot::Tomb { .. } => None,
        })
    }

    /// Serialises one page. `cursor` is `None` for the first page of a full listing;
    /// `duplicate` (fault injection) repeats up to two records of the previous page.
    pub fn page_json(&self, stream: &str, cursor: Option<Cursor>, limit: usize, duplicate: bool) -> Vec<u8> {
        let top = self.log.keys().next_back().copied().unwrap_or(0);
        let mut items: Vec<&T> = Vec::new();
        let mut tombstones = Vec::new();
        let (next, has_more) = match cursor.unwrap_or(Cursor::Full {
            after: 0,
            high_water: top,
        }) {
            Cursor::Full { after, high_water } => {
                if duplicate && after > 0 {
                    let mut again: Vec<&T> = self
                        .log
                        .range(..=after)
                        .rev()
                        .filter_map(|(_, s)| self.live(s))
                        .take(2)
                        .collect();
                    again.reverse();
                    items.extend(again);
                }
                let mut last = after;
                let mut more = false;
                let mut fresh = 0;
                // An empty range (nothing left, or a forged cursor) must not reach BTreeMap::range.
                let window = if after < high_water {
                    self.log.range(after + 1..=high_water)
                } else {
                    self.log.range(0..0)
                };
                for (&seq, slot) in window {
                    if let Some(item) = self.live(slot) {
                        if fresh >= limit {
                            more = true;
                            break;
                        }
                        items.push(item);
                        fresh += 1;
                        last = seq;
                    }
                }
                if more {
                    (
                        Cursor::Full {
                            after: last,
                            high_water,
                        },
                        true,
                    )
                } else {
                    (Cursor::Since(high_water), false)
                }
            }
            Cursor::Since(since) => {
                let mut last = since;
                let mut more = false;
                for (&seq, slot) in self.log.range(since.saturating_add(1)..) {
                    if items.len() + tombstones.len() >= limit {
                        more = true;
                        break;
                    }
                    match slot {
                        Slot::Live(_) => items.extend(self.live(slot)),
                        Slot::Tomb { id, deleted_at } => tombstones.push(TombOut {
                            id: id.to_string(),
                            deleted_at,
                        }),
                    }
                    last = seq;
                }
                (Cursor::Since(last), more)
            }
        };
        let page = PageOut {
            items,
            tombstones,
            next_cursor: next.encode(stream),
            has_more,
        };
        serde_json::to_vec(&page).unwrap_or_default()
    }

    fn live(&self, slot: &Slot) -> Option<&T> {
        match slot {
            Slot::Live(k) => self.items.get(k).map(|(_, t)| t),
            Slot::Tomb { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize)]
    struct Rec {
        id: u64,
        v: u32,
    }
    impl Keyed for Rec {
        fn key(&self) -> u64 {
            self.id
        }
    }

    fn parse(b: &[u8]) -> serde_json::Value {
        serde_json::from_slice(b).expect("json page")
    }

    #[test]
    fn cursor_round_trips_and_is_bound_to_its_stream() {
        let c = Cursor::Full {
            after: 7,
            high_water: 9,
        };
        assert_eq!(Cursor::decode(&c.encode("a"), "a"), Ok(c));
        assert_eq!(Cursor::decode(&c.encode("a"), "b"), Err(CursorError::WrongStream));
        assert_eq!(Cursor::decode("zz", "a"), Err(CursorError::Malformed));
    }

    #[test]
    fn empty_stream_and_forged_cursor_give_empty_pages() {
        let s: Stream<Rec> = Stream::default();
        let p = parse(&s.page_json("x", None, 10, false));
        assert_eq!(p["items"].as_array().map(Vec::len), Some(0));
        assert_eq!(p["has_more"], false);
        let forged = Cursor::Full {
            after: 9,
            high_water: 3,
        };
        let p = parse(&s.page_json("x", Some(forged), 10, true));
        assert_eq!(p["has_more"], false);
    }

    #[test]
    fn update_during_full_listing_is_not_skipped() {
        let mut s = Stream::default();
        for i in 1..=4 {
            s.upsert(Rec { id: i, v: 0 }, i);
        }
        let p1 = parse(&s.page_json("x", None, 2, false));
        assert_eq!(p1["items"].as_array().map(Vec::len), Some(2));
        // Record 1 (already delivered) and record 3 (not yet) change mid-listing.
        s.upsert(Rec { id: 3, v: 1 }, 5);
        s.delete(1, 6, "t".into());
        let c = Cursor::decode(p1["next_cursor"].as_str().expect("cursor"), "x").expect("decode");
        let p2 = parse(&s.page_json("x", Some(c), 2, false));
        assert_eq!(p2["has_more"], false);
        let c = Cursor::decode(p2["next_cursor"].as_str().expect("cursor"), "x").expect("decode");
        let p3 = parse(&s.page_json("x", Some(c), 10, false));
        let ids: Vec<&str> = p3["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["id"].as_u64())
            .map(|_| "x")
            .collect();
        assert_eq!(ids.len(), 1, "changed record 3 comes again in the feed");
        assert_eq!(p3["tombstones"][0]["id"], "1");
    }
}
