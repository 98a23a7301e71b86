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
/// each an index into `labels` or [`NONE`]. One fixed-width row per document: a
/// search reads the rows of its matches, scattered over the segment, and a row
/// costs one memory access where an offsets array and a values array cost two.
struct SegmentFacets {
    width: usize,
    values: Vec<u16>,
    /// (index in [`FACETS`], value).
    labels: Vec<(usize, String)>,
}

/// The padding of a row with fewer values than the widest.
const NONE: u16 = u16::MAX;

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
                [name, value] if labels.len() < usize::from(NONE) => {
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
        let mut values = Vec::with_capacity(rows.len() * width);
        for row in rows {
            let padding = width - row.len();
            values.extend(row);
            values.extend(std::iter::repeat_n(NONE, padding));
        }
        Ok(Self {
            width,
            values,
            labels,
        })
    }

    fn values(&self, doc: DocId) -> &[u16] {
        let start = doc as usize * self.width;
        &self.values[start..start + self.width]
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
}

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
        for &value in self.table.values(doc) {
            // NONE, the padding, is past the end of `counts`.
            if let Some(count) = self.counts.get_mut(usize::from(value)) {
                *count += 1;
            }
        }
    }

    fn harvest(self) -> FacetCounts {
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
