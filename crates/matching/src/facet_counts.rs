//! Facet counts over every match of a search, from a per-segment table of each
//! listing's facet values.
//!
//! tantivy's `FacetCollector` reads each match's values through the columnar
//! store's bit-packed, multi-valued column, which made a fifth of a search's time.
//! A segment never changes once written, so its values are read once into plain
//! arrays, kept while the segment is searched, and counting is an array lookup.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::schema::Facet;
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader, index::SegmentId};

/// facet → value → number of matches.
pub type FacetCounts = BTreeMap<String, BTreeMap<String, u64>>;

/// The facets counted, as the first part of a facet path (`/kind/offer`).
pub const FACETS: [&str; 5] = ["kind", "sector", "trl", "province", "transfer_mode"];

/// One segment's facet values: document `d` has `values[d * width..(d + 1) * width]`,
/// each an index into `labels` or padding. One fixed-width row per document: a
/// search reads the rows of its matches, scattered over the segment, and a row
/// costs one memory access where an offsets array and a values array cost two.
struct SegmentFacets {
    width: usize,
    values: Values,
    /// (index in [`FACETS`], value).
    labels: Vec<(usize, String)>,
}

/// The rows, a byte per value while the labels fit one. Reading the rows of the
/// matches is mostly cache misses, a sixth of a search; bytes halve the table.
enum Values {
    Narrow(Vec<u8>),
    Wide(Vec<u16>),
}

/// The padding of a row with fewer values than the widest: the type's largest
/// value, which no label index reaches.
trait Padding: Copy + Into<usize> {
    const PADDING: Self;
}

impl Padding for u8 {
    const PADDING: Self = u8::MAX;
}

impl Padding for u16 {
    const PADDING: Self = u16::MAX;
}

/// `rows` as one fixed-width table.
fn table<T: Padding>(rows: &[Vec<u16>], width: usize, narrow: impl Fn(u16) -> T) -> Vec<T> {
    let mut values = Vec::with_capacity(rows.len() * width);
    for row in rows {
        values.extend(row.iter().map(|&v| narrow(v)));
        values.extend(std::iter::repeat_n(T::PADDING, width - row.len()));
    }
    values
}

/// Adds a row's values to `counts`; the padding is past its end.
fn count<T: Padding>(counts: &mut [u64], row: &[T]) {
    for &value in row {
        if let Some(count) = counts.get_mut(value.into()) {
            *count += 1;
        }
    }
}

impl SegmentFacets {
    fn read(segment: &SegmentReader, field: &str) -> tantivy::Result<Self> {
        let reader = segment.facet_reader(field)?;
        // Facet ordinal → label, for the paths `/facet/value` of a counted facet.
        let mut label_of = Vec::with_capacity(reader.num_facets());
        let mut labels = Vec::new();
        let mut facet = Facet::root();
        for ord in 0..reader.num_facets() as u64 {
            reader.facet_from_ord(ord, &mut facet)?;
            let path = facet.to_path();
            let label = match path.as_slice() {
                [name, value] if labels.len() < usize::from(u16::PADDING) => {
                    FACETS.iter().position(|f| f == name).map(|i| {
                        labels.push((i, (*value).to_owned()));
                        (labels.len() - 1) as u16
                    })
                }
                _ => None,
            };
            label_of.push(label);
        }
        let rows: Vec<Vec<u16>> = (0..segment.max_doc())
            .map(|doc| {
                reader
                    .facet_ords(doc)
                    .filter_map(|ord| label_of.get(ord as usize).copied().flatten())
                    .collect()
            })
            .collect();
        let width = rows.iter().map(Vec::len).max().unwrap_or(0);
        let values = if labels.len() < usize::from(u8::PADDING) {
            Values::Narrow(table(&rows, width, |v| v as u8))
        } else {
            Values::Wide(table(&rows, width, |v| v))
        };
        Ok(Self {
            width,
            values,
            labels,
        })
    }

    /// Adds the values of `docs` to `counts`.
    fn count(&self, docs: &[DocId], counts: &mut [u64]) {
        match &self.values {
            Values::Narrow(values) => self.count_rows(values, docs, counts),
            Values::Wide(values) => self.count_rows(values, docs, counts),
        }
    }

    /// The rows of a search's matches are scattered over the table, and reading
    /// each was a cache miss the search waited for, one match at a time (a sixth
    /// of a search). The rows of a batch are first touched together, so that
    /// their misses overlap, then counted.
    fn count_rows<T: Padding>(&self, values: &[T], docs: &[DocId], counts: &mut [u64]) {
        let rows = docs.iter().map(|&doc| {
            let start = doc as usize * self.width;
            &values[start..start + self.width]
        });
        let mut touched = 0;
        for row in rows.clone() {
            touched ^= row.first().map_or(0, |&v| v.into());
        }
        std::hint::black_box(touched);
        for row in rows {
            count(counts, row);
        }
    }
}

/// The tables of the segments being searched, kept across searches.
pub struct FacetTables {
    /// The index's facet field.
    field: &'static str,
    segments: Mutex<HashMap<SegmentId, Arc<SegmentFacets>>>,
}

impl FacetTables {
    pub fn new(field: &'static str) -> Self {
        Self {
            field,
            segments: Mutex::default(),
        }
    }

    fn get(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentFacets>> {
        let id = segment.segment_id();
        if let Some(table) = self.lock().get(&id) {
            return Ok(table.clone());
        }
        // Read outside the lock: searches of other segments need not wait. Two
        // searches may both read a new segment once; the tables are equal.
        let table = Arc::new(SegmentFacets::read(segment, self.field)?);
        self.lock().insert(id, table.clone());
        Ok(table)
    }

    /// Reads the tables of the searcher's new segments and forgets those of the
    /// segments it no longer has (merged or deleted away).
    pub fn warm(&self, searcher: &Searcher) -> tantivy::Result<()> {
        let segments = searcher.segment_readers();
        for segment in segments {
            self.get(segment)?;
        }
        let live: Vec<SegmentId> = segments.iter().map(|s| s.segment_id()).collect();
        self.lock().retain(|id, _| live.contains(id));
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<SegmentFacets>>> {
        self.segments
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Counts the values of [`FACETS`] over every match.
pub struct FacetCollector<'a> {
    pub tables: &'a FacetTables,
}

pub struct FacetSegmentCollector {
    table: Arc<SegmentFacets>,
    counts: Vec<u64>,
    /// Matches not counted yet: they are counted [`BATCH`] at a time.
    batch: Vec<DocId>,
}

/// Matches counted together (see [`SegmentFacets::count_rows`]).
const BATCH: usize = 64;

impl Collector for FacetCollector<'_> {
    type Fruit = FacetCounts;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let table = self.tables.get(segment)?;
        Ok(FacetSegmentCollector {
            counts: vec![0; table.labels.len()],
            table,
            batch: Vec::with_capacity(BATCH),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<FacetCounts>) -> tantivy::Result<FacetCounts> {
        let mut merged: FacetCounts = FACETS
            .iter()
            .map(|f| ((*f).to_owned(), BTreeMap::new()))
            .collect();
        for counts in segments {
            for (facet, values) in counts {
                let into = merged.entry(facet).or_default();
                for (value, count) in values {
                    *into.entry(value).or_default() += count;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetCounts;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.batch.push(doc);
        if self.batch.len() == BATCH {
            self.table.count(&self.batch, &mut self.counts);
            self.batch.clear();
        }
    }

    fn harvest(mut self) -> FacetCounts {
        self.table.count(&self.batch, &mut self.counts);
        let mut counts = FacetCounts::new();
        for (label, &count) in self.table.labels.iter().zip(&self.counts) {
            if count > 0 {
                let (facet, value) = label;
                counts
                    .entry(FACETS[*facet].to_owned())
                    .or_default()
                    .insert(value.clone(), count);
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use tantivy::query::{AllQuery, TermQuery};
    use tantivy::schema::{FacetOptions, IndexRecordOption, STRING, Schema};
    use tantivy::{Index, TantivyDocument, Term};

    use super::*;

    /// Counts over the documents with `tag` of an index whose documents have the
    /// given facet paths.
    fn counts(documents: &[Vec<[&str; 2]>], tag: &str) -> FacetCounts {
        let mut builder = Schema::builder();
        let facets = builder.add_facet_field("facets", FacetOptions::default());
        let tags = builder.add_text_field("tag", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for (n, paths) in documents.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_text(tags, if n % 2 == 0 { "even" } else { "odd" });
            for path in paths {
                doc.add_facet(facets, Facet::from_path(path));
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let collector = FacetCollector {
            tables: &FacetTables::new("facets"),
        };
        let query: Box<dyn tantivy::query::Query> = if tag.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(TermQuery::new(
                Term::from_field_text(tags, tag),
                IndexRecordOption::Basic,
            ))
        };
        searcher.search(&query, &collector).unwrap()
    }

    fn count_of(counts: &FacetCounts, facet: &str, value: &str) -> u64 {
        counts
            .get(facet)
            .and_then(|values| values.get(value))
            .copied()
            .unwrap_or(0)
    }

    #[test]
    fn counts_each_value_over_the_matches_only() {
        let documents = vec![
            vec![
                ["kind", "offer"],
                ["sector", "2"],
                ["sector", "2.7"],
                ["trl", "6"],
            ],
            vec![["kind", "need"], ["sector", "2"]],
            vec![
                ["kind", "offer"],
                ["sector", "4"],
                ["transfer_mode", "licence"],
            ],
            vec![["kind", "offer"], ["other", "ignored"]],
        ];
        let all = counts(&documents, "");
        assert_eq!(count_of(&all, "kind", "offer"), 3);
        assert_eq!(count_of(&all, "kind", "need"), 1);
        assert_eq!(count_of(&all, "sector", "2"), 2);
        assert_eq!(count_of(&all, "sector", "2.7"), 1);
        assert_eq!(count_of(&all, "transfer_mode", "licence"), 1);
        assert!(!all.contains_key("other"));
        let even = counts(&documents, "even");
        assert_eq!(count_of(&even, "kind", "offer"), 2);
        assert_eq!(count_of(&even, "kind", "need"), 0);
        assert_eq!(count_of(&even, "sector", "4"), 1);
        assert_eq!(count_of(&even, "trl", "6"), 1);
    }

    #[test]
    fn counts_segments_with_more_labels_than_a_byte_holds() {
        let provinces: Vec<String> = (0..300).map(|n| format!("p{n:03}")).collect();
        let documents: Vec<Vec<[&str; 2]>> = provinces
            .iter()
            .map(|p| vec![["kind", "offer"], ["province", p.as_str()]])
            .collect();
        let all = counts(&documents, "");
        assert_eq!(count_of(&all, "kind", "offer"), 300);
        assert_eq!(all["province"].len(), 300);
        assert!(all["province"].values().all(|&n| n == 1));
        let odd = counts(&documents, "odd");
        assert_eq!(count_of(&odd, "kind", "offer"), 150);
        assert_eq!(count_of(&odd, "province", "p299"), 1);
        assert_eq!(count_of(&odd, "province", "p298"), 0);
    }
}
