//! A match's candidates: the best by text, and the first of its sectors.
//!
//! Listings of the same sector are all alike to a sector query, so there is nothing
//! to rank and no need to read past the number wanted. Scoring them, as a top-k
//! collector does, visited every listing of the sector: half of a large exchange may
//! share one field.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeSet, BinaryHeap};
use std::ops::Range;

use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

/// The `limit` best-scoring listings of `query` among those matching `filter`,
/// best first (equal scores in index order), as tantivy's top-k collector ranks
/// them. Only the documents `within` gives for a segment are read: every listing
/// the filter allows must be in that range.
///
/// The filter is looked up only for a listing that would enter the best so far,
/// rather than intersected with the query: the filter of a match (the other kind)
/// holds half the exchange, and the intersection sought the query's union of terms
/// to each of them. Listings come in index order, so the filter is read forward
/// once per segment.
pub fn top_scoring(
    searcher: &Searcher,
    query: &dyn Query,
    filter: &dyn Query,
    within: impl Fn(&SegmentReader) -> tantivy::Result<Range<DocId>>,
    limit: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let filter = filter.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut best: BinaryHeap<Reverse<Ranked>> = BinaryHeap::with_capacity(limit + 1);
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let range = within(segment)?;
        if range.is_empty() {
            continue;
        }
        let mut scorer = weight.scorer(segment, 1.0)?;
        let mut allowed = filter.scorer(segment, 1.0)?;
        let alive = segment.alive_bitset();
        let mut doc = scorer.doc();
        if doc < range.start {
            doc = scorer.seek(range.start);
        }
        while doc < range.end {
            let score = scorer.score();
            let better = match best.peek() {
                Some(Reverse(worst)) if best.len() == limit => score > worst.score,
                _ => true,
            };
            if better && !alive.is_some_and(|alive| alive.is_deleted(doc)) {
                if allowed.doc() < doc {
                    allowed.seek(doc);
                }
                if allowed.doc() == doc {
                    best.push(Reverse(Ranked {
                        score,
                        address: DocAddress::new(ord as u32, doc),
                    }));
                    if best.len() > limit {
                        best.pop();
                    }
                }
            }
            doc = scorer.advance();
        }
    }
    // Ascending in `Reverse`: best first.
    Ok(best
        .into_sorted_vec()
        .into_iter()
        .map(|Reverse(r)| (r.score, r.address))
        .collect())
}

/// A scored listing, ordered from worst to best: by score, then earlier in the
/// index first.
struct Ranked {
    score: Score,
    address: DocAddress,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .total_cmp(&other.score)
            .then_with(|| other.address.cmp(&self.address))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

/// Up to `limit` listings matching `query` in index order, leaving out those in
/// `skip`.
pub fn first_matching(
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
    skip: &BTreeSet<DocAddress>,
) -> tantivy::Result<Vec<DocAddress>> {
    let mut found = Vec::new();
    if limit == 0 {
        return Ok(found);
    }
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let mut matching = weight.scorer(segment, 1.0)?;
        let alive = segment.alive_bitset();
        let mut doc = matching.doc();
        while doc != TERMINATED {
            let address = DocAddress::new(ord as u32, doc);
            let deleted = alive.is_some_and(|alive| alive.is_deleted(doc));
            if !deleted && !skip.contains(&address) {
                found.push(address);
                if found.len() == limit {
                    return Ok(found);
                }
            }
            doc = matching.advance();
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use tantivy::collector::DocSetCollector;
    use tantivy::query::TermQuery;
    use tantivy::schema::{Field, IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{Index, TantivyDocument, Term};

    use super::*;

    const WORDS: [&str; 8] = ["nuoc", "thai", "xu", "ly", "bun", "loc", "mang", "say"];

    /// 6,000 documents of 1–8 pseudo-random words in three segments, a `tag` on
    /// every third and a few deleted, so that filtering, segments and deletions
    /// all play a part.
    fn index() -> (Index, Field, Field) {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let tag = schema.add_text_field("tag", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut state: u64 = 11;
        for n in 0..6_000_u64 {
            let mut doc = TantivyDocument::default();
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let words: Vec<&str> = (0..1 + (state >> 33) % 8)
                .map(|i| WORDS[((state >> (6 + 3 * i)) % 8) as usize])
                .collect();
            doc.add_text(text, words.join(" "));
            doc.add_text(tag, if n % 3 == 0 { "x" } else { "y" });
            doc.add_text(tag, format!("n{n}"));
            writer.add_document(doc).unwrap();
            if n % 2_000 == 1_999 {
                writer.commit().unwrap();
            }
        }
        for n in (0..6_000).step_by(7) {
            writer.delete_term(Term::from_field_text(tag, &format!("n{n}")));
        }
        writer.commit().unwrap();
        (index, text, tag)
    }

    fn term(field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::WithFreqs,
        ))
    }

    #[test]
    fn top_scoring_ranks_as_tantivy_ranks_the_filtered_query() {
        use tantivy::collector::TopDocs;
        use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur};

        let (index, text, tag) = index();
        let searcher = index.reader().unwrap().searcher();
        let filter = term(tag, "x");
        let whole = |segment: &SegmentReader| Ok(0..segment.max_doc());
        for words in [&["nuoc"][..], &["nuoc", "thai", "say"], &["mang", "absent"]] {
            let query = BooleanQuery::new(
                words
                    .iter()
                    .map(|w| (Occur::Should, term(text, w)))
                    .collect(),
            );
            // Short texts of eight words: many equal scores, ranked in index order.
            for limit in [1, 10, 150, 10_000] {
                let filtered = BooleanQuery::new(vec![
                    (
                        Occur::Must,
                        Box::new(ConstScoreQuery::new(filter.box_clone(), 0.0)),
                    ),
                    (Occur::Must, Box::new(query.clone())),
                ]);
                let expected = searcher
                    .search(&filtered, &TopDocs::with_limit(limit).order_by_score())
                    .unwrap();
                let found = top_scoring(&searcher, &query, filter.as_ref(), whole, limit).unwrap();
                assert_eq!(found, expected, "{words:?}, {limit}");
                // Within a range of each segment: the best of those in it.
                let all = searcher
                    .search(&filtered, &TopDocs::with_limit(10_000).order_by_score())
                    .unwrap();
                let range = 500..1_500;
                let expected: Vec<(Score, DocAddress)> = all
                    .into_iter()
                    .filter(|(_, address)| range.contains(&address.doc_id))
                    .take(limit)
                    .collect();
                let within = |_: &SegmentReader| Ok(range.clone());
                let found = top_scoring(&searcher, &query, filter.as_ref(), within, limit).unwrap();
                assert_eq!(found, expected, "{words:?}, {limit}, within {range:?}");
            }
        }
        assert!(
            top_scoring(
                &searcher,
                &BooleanQuery::new(vec![]),
                filter.as_ref(),
                whole,
                5
            )
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn first_matching_reads_in_index_order_and_skips_deleted_and_skipped() {
        let (index, _, tag) = index();
        let searcher = index.reader().unwrap().searcher();
        let query = term(tag, "x");
        let all: Vec<DocAddress> = {
            let mut all: Vec<DocAddress> = searcher
                .search(query.as_ref(), &DocSetCollector)
                .unwrap()
                .into_iter()
                .collect();
            all.sort();
            all
        };
        let skip: BTreeSet<DocAddress> = all.iter().copied().step_by(2).take(300).collect();
        let expected: Vec<DocAddress> = all
            .iter()
            .copied()
            .filter(|a| !skip.contains(a))
            .take(900)
            .collect();
        let found = first_matching(&searcher, query.as_ref(), 900, &skip).unwrap();
        assert_eq!(found, expected);
        assert!(
            found.iter().any(|a| a.segment_ord > 0),
            "900 reach the second segment"
        );
        let everything =
            first_matching(&searcher, query.as_ref(), 10_000, &BTreeSet::new()).unwrap();
        assert_eq!(everything, all);
    }
}
