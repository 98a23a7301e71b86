//! A query over terms in groups — one group per query word, holding the word's forms
//! (title, body, stems) — that matches documents containing terms of at least
//! `required` groups and scores each by the sum of all its matching terms, optional
//! ones (word pairs) included.
//!
//! This is "most of the query's words". tantivy's minimum-should-match over nested
//! unions gives the same result but keeps its sub-scorers in a binary heap that it
//! pops for every posting: half the time of a search went there. Here the postings
//! are read once, window by window, into a per-document bit mask of groups and a
//! score sum — the way tantivy's own union works, with the count of groups on top.
//! Each term's postings and field lengths are read directly rather than through a
//! boxed term scorer: three virtual calls per posting cost a third of a search.
//!
//! A term may count for several groups: a glossary translation of a two-word
//! phrase stands for both of the query's words (`wastewater` for `nuoc` and
//! `thai`).
//!
//! Only the rarest groups are read whole. A document with `required` of the `n`
//! groups has one of the `n - required + 1` rarest (it lacks at most
//! `n - required` groups), so those groups — the drivers — find every candidate;
//! the other groups' postings, usually those of a common word such as `công` or
//! `xử`, are only sought at the candidates when they are sparse enough, or else
//! read with only the candidates scored; a candidate stops being sought once it
//! can no longer reach `required`.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

/// One term of the query: which groups it counts for and its boost.
#[derive(Clone, Debug)]
pub struct GroupedTerm {
    pub term: Term,
    pub boost: Score,
    /// Bit `g` set: the term counts for group `g`; none set: it only adds to the
    /// score.
    pub groups: u64,
}

impl GroupedTerm {
    /// The bit of group `group`, which must be below [`WordGroupsQuery::MAX_GROUPS`].
    pub fn group(group: usize) -> u64 {
        1 << group
    }
}

#[derive(Clone, Debug)]
pub struct WordGroupsQuery {
    terms: Vec<GroupedTerm>,
    required: u32,
}

impl WordGroupsQuery {
    /// Groups are bits of a `u64`.
    pub const MAX_GROUPS: usize = 64;

    /// `required` is at least 1.
    pub fn new(terms: Vec<GroupedTerm>, required: usize) -> Self {
        Self {
            terms,
            required: required.clamp(1, Self::MAX_GROUPS) as u32,
        }
    }
}

impl Query for WordGroupsQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let terms = self
            .terms
            .iter()
            .map(|t| {
                // BM25 as tantivy's term query computes it.
                let bm25 = match enable_scoring {
                    EnableScoring::Enabled {
                        statistics_provider,
                        ..
                    } => Some(Bm25Weight::for_terms(
                        statistics_provider,
                        std::slice::from_ref(&t.term),
                    )?),
                    EnableScoring::Disabled { .. } => None,
                };
                Ok(WeightedTerm {
                    term: t.term.clone(),
                    mask: t.groups,
                    boost: t.boost,
                    bm25,
                })
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(WordGroupsWeight {
            terms,
            required: self.required,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for t in &self.terms {
            visitor(&t.term, false);
        }
    }
}

struct WeightedTerm {
    term: Term,
    mask: u64,
    boost: Score,
    /// `None` when scoring is disabled.
    bm25: Option<Bm25Weight>,
}

struct WordGroupsWeight {
    terms: Vec<WeightedTerm>,
    required: u32,
}

impl Weight for WordGroupsWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut terms = Vec::with_capacity(self.terms.len());
        for t in &self.terms {
            let field = t.term.field();
            let record = if t.bm25.is_some() {
                IndexRecordOption::WithFreqs
            } else {
                IndexRecordOption::Basic
            };
            let Some(postings) = reader
                .inverted_index(field)?
                .read_postings(&t.term, record)?
            else {
                continue;
            };
            if postings.doc() == TERMINATED {
                continue;
            }
            let scoring = match &t.bm25 {
                Some(bm25) => Some((
                    bm25.boost_by(boost * t.boost),
                    reader
                        .fieldnorms_readers()
                        .get_field(field)?
                        .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1)),
                )),
                None => None,
            };
            let per_window = (u64::from(postings.doc_freq()) * WINDOW as u64
                / u64::from(reader.max_doc().max(1))) as u32;
            terms.push(SegmentTerm {
                mask: t.mask,
                postings,
                scoring,
                per_window,
            });
        }
        Ok(Box::new(WordGroupsScorer::new(terms, self.required)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new_with_string(
            format!("sum of the terms, at least {} word(s)", self.required),
            scorer.score(),
        ))
    }
}

/// Documents per window: offsets fit a `u16`, buffers stay in cache.
const WINDOW: usize = 4096;

/// A term's postings in one segment.
struct SegmentTerm {
    mask: u64,
    postings: SegmentPostings,
    /// The term's BM25 weight (boosted) and its field's lengths; `None` when
    /// scoring is disabled.
    scoring: Option<(Bm25Weight, FieldNormReader)>,
    /// How many of a window's documents have the term, on average.
    per_window: u32,
}

/// A candidate is sought in a term's postings when reading them whole would cost
/// more: a seek (skip list, then a search of a block of 128) costs about as much
/// as reading this many postings.
const SEEK_COST: u32 = 4;

impl SegmentTerm {
    /// Marks the window's document `doc`, the postings' current one, with the
    /// term's group and adds its score.
    #[inline]
    fn add(&self, doc: DocId, offset: usize, masks: &mut [u64], scores: &mut [Score]) {
        masks[offset] |= self.mask;
        if let Some((bm25, fieldnorms)) = &self.scoring {
            scores[offset] += bm25.score(fieldnorms.fieldnorm_id(doc), self.postings.term_freq());
        }
    }

    /// Reads the postings up to `end`, marking the window's documents with the
    /// term's group and adding its score. The postings are at `start` or past it.
    fn read(
        &mut self,
        start: DocId,
        end: DocId,
        masks: &mut [u64],
        scores: &mut [Score],
        touched: &mut [u64],
    ) {
        let mut doc = self.postings.doc();
        while doc < end {
            let offset = (doc - start) as usize;
            touched[offset / 64] |= 1 << (offset % 64);
            self.add(doc, offset, masks, scores);
            doc = self.postings.advance();
        }
    }

    /// Reads a follower's postings up to `end`, marking and scoring only the
    /// window's candidates (`live`, offsets from `start`): a document that is not
    /// one cannot match, so its postings need no score. The postings may lag
    /// behind `start`.
    fn read_at_candidates(
        &mut self,
        start: DocId,
        end: DocId,
        live: &[u64],
        masks: &mut [u64],
        scores: &mut [Score],
    ) {
        if self.postings.doc() < start {
            self.postings.seek(start);
        }
        let mut doc = self.postings.doc();
        while doc < end {
            let offset = (doc - start) as usize;
            if live[offset / 64] & (1 << (offset % 64)) != 0 {
                self.add(doc, offset, masks, scores);
            }
            doc = self.postings.advance();
        }
    }

    /// Seeks the window's candidates (`live`, offsets from `start`) in the postings,
    /// marking those that have the term.
    fn seek_each(&mut self, start: DocId, live: &[u64], masks: &mut [u64], scores: &mut [Score]) {
        for offset in set_bits(live) {
            let target = start + offset as DocId;
            let doc = self.postings.seek(target.max(self.postings.doc()));
            if doc == target {
                self.add(doc, offset, masks, scores);
            } else if doc == TERMINATED {
                return;
            }
        }
    }
}

/// The groups read at candidates only, rarest first, and last the terms that only
/// add to the score.
struct Follower {
    terms: Vec<SegmentTerm>,
    /// How many groups this one and those after it add at most.
    groups_left: u32,
}

struct WordGroupsScorer {
    /// The rarest groups' terms, read whole: every match has one of them.
    drivers: Vec<SegmentTerm>,
    followers: Vec<Follower>,
    required: u32,
    masks: Box<[u64]>,
    scores: Box<[Score]>,
    /// Which offsets of the window some posting touched.
    touched: [u64; WINDOW / 64],
    /// The window's candidates that can still reach `required` groups.
    live: [u64; WINDOW / 64],
    /// The matching documents of the current window, in order, with their scores.
    hits: Vec<(DocId, Score)>,
    cursor: usize,
}

impl WordGroupsScorer {
    fn new(terms: Vec<SegmentTerm>, required: u32) -> Self {
        let (drivers, followers) = split(terms, required);
        let mut scorer = Self {
            drivers,
            followers,
            required,
            masks: vec![0; WINDOW].into_boxed_slice(),
            scores: vec![0.0; WINDOW].into_boxed_slice(),
            touched: [0; WINDOW / 64],
            live: [0; WINDOW / 64],
            hits: Vec::new(),
            cursor: 0,
        };
        scorer.refill();
        scorer
    }

    /// Reads windows of postings until one holds a matching document (or none is left).
    fn refill(&mut self) -> DocId {
        self.hits.clear();
        self.cursor = 0;
        loop {
            let start = self
                .drivers
                .iter()
                .map(|t| t.postings.doc())
                .min()
                .unwrap_or(TERMINATED);
            if start == TERMINATED {
                return TERMINATED;
            }
            let end = start.saturating_add(WINDOW as DocId);
            for term in &mut self.drivers {
                term.read(
                    start,
                    end,
                    &mut self.masks,
                    &mut self.scores,
                    &mut self.touched,
                );
            }
            if !self.followers.is_empty() {
                self.live = self.touched;
            }
            for follower in &mut self.followers {
                let live = prune(
                    &mut self.live,
                    &self.masks,
                    self.required.saturating_sub(follower.groups_left),
                );
                if live == 0 {
                    break;
                }
                for term in &mut follower.terms {
                    if live * SEEK_COST < term.per_window {
                        term.seek_each(start, &self.live, &mut self.masks, &mut self.scores);
                    } else {
                        term.read_at_candidates(
                            start,
                            end,
                            &self.live,
                            &mut self.masks,
                            &mut self.scores,
                        );
                    }
                }
            }
            self.drain(start);
            if let Some((doc, _)) = self.hits.first() {
                return *doc;
            }
        }
    }

    /// Moves the window's documents with enough groups to `hits` and clears the window.
    fn drain(&mut self, start: DocId) {
        for offset in set_bits(&self.touched) {
            if self.masks[offset].count_ones() >= self.required {
                self.hits
                    .push((start + offset as DocId, self.scores[offset]));
            }
            self.masks[offset] = 0;
            self.scores[offset] = 0.0;
        }
        self.touched = [0; WINDOW / 64];
    }
}

/// The offsets whose bits are set, in order.
#[inline]
fn set_bits(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(|(index, &word)| {
        let mut rest = word;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                index * 64 + bit
            })
        })
    })
}

/// Splits the terms into the drivers — all terms of the `n - required + 1` rarest
/// of the `n` groups present — and the followers: the other groups, rarest first,
/// then the terms of no group. A term of several groups goes with the rarest of
/// them, so that a driver group's every term is read whole and a follower adds no
/// group ranked before it. With fewer than `required` groups present nothing can
/// match, and there is no driver. A term (postings, BM25 table) is a few
/// kilobytes, and a match's query has dozens: each is moved once.
fn split(terms: Vec<SegmentTerm>, required: u32) -> (Vec<SegmentTerm>, Vec<Follower>) {
    // How many postings each group's terms have.
    let mut sizes = [0_u64; WordGroupsQuery::MAX_GROUPS];
    let mut present = 0_u64;
    for term in &terms {
        present |= term.mask;
        for group in set_bits(std::slice::from_ref(&term.mask)) {
            sizes[group] += u64::from(term.postings.doc_freq());
        }
    }
    let mut groups: Vec<usize> = set_bits(std::slice::from_ref(&present)).collect();
    if (groups.len() as u32) < required {
        return (Vec::new(), Vec::new());
    }
    groups.sort_by_key(|group| sizes[*group]);
    let mut ranks = [0_usize; WordGroupsQuery::MAX_GROUPS];
    for (rank, group) in groups.iter().enumerate() {
        ranks[*group] = rank;
    }
    let present = groups.len() as u32;
    let driving = (present - required + 1) as usize;
    let mut drivers = Vec::with_capacity(terms.len());
    let mut followers: Vec<Follower> = (driving..groups.len())
        .map(|rank| Follower {
            terms: Vec::new(),
            groups_left: present - rank as u32,
        })
        .collect();
    let mut optional = Vec::new();
    for term in terms {
        let rank = set_bits(std::slice::from_ref(&term.mask))
            .map(|group| ranks[group])
            .min();
        match rank {
            None => optional.push(term),
            Some(rank) if rank < driving => drivers.push(term),
            Some(rank) => followers[rank - driving].terms.push(term),
        }
    }
    if !optional.is_empty() {
        followers.push(Follower {
            terms: optional,
            groups_left: 0,
        });
    }
    (drivers, followers)
}

/// Drops from `live` the candidates with fewer than `at_least` groups; returns how
/// many are left. Every candidate has one group, so `at_least` 1 drops none.
fn prune(live: &mut [u64], masks: &[u64], at_least: u32) -> u32 {
    if at_least > 1 {
        for (index, word) in live.iter_mut().enumerate() {
            let candidates = [*word];
            for bit in set_bits(&candidates) {
                if masks[index * 64 + bit].count_ones() < at_least {
                    *word &= !(1 << bit);
                }
            }
        }
    }
    live.iter().map(|word| word.count_ones()).sum()
}

impl DocSet for WordGroupsScorer {
    fn advance(&mut self) -> DocId {
        self.cursor += 1;
        match self.hits.get(self.cursor) {
            Some((doc, _)) => *doc,
            None => self.refill(),
        }
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc() >= target {
            return self.doc();
        }
        if self.hits.last().is_some_and(|(last, _)| *last >= target) {
            // Under a filter the target is usually a few hits ahead: gallop, then
            // search the last step only. A binary search over the whole window was
            // a sixth of a match.
            let rest = &self.hits[self.cursor..];
            let mut step = 1;
            while step < rest.len() && rest[step].0 < target {
                step *= 2;
            }
            let from = step / 2;
            let to = step.min(rest.len());
            self.cursor += from + rest[from..to].partition_point(|(doc, _)| *doc < target);
            return self.doc();
        }
        for term in &mut self.drivers {
            if term.postings.doc() < target {
                term.postings.seek(target);
            }
        }
        self.refill()
    }

    fn doc(&self) -> DocId {
        self.hits
            .get(self.cursor)
            .map_or(TERMINATED, |(doc, _)| *doc)
    }

    fn size_hint(&self) -> u32 {
        self.drivers
            .iter()
            .map(|t| t.postings.size_hint())
            .max()
            .unwrap_or(0)
    }
}

impl Scorer for WordGroupsScorer {
    fn score(&mut self) -> Score {
        self.hits.get(self.cursor).map_or(0.0, |(_, score)| *score)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, Occur, TermQuery};
    use tantivy::schema::{STRING, Schema, TEXT};
    use tantivy::{DocAddress, Index, TantivyDocument};

    use super::*;

    const WORDS: [&str; 8] = ["nuoc", "thai", "xu", "ly", "bun", "loc", "mang", "say"];

    /// 10,000 documents (three windows) of 1–6 pseudo-random words, a rare word
    /// (`hiem`) in every 37th, and a `tag` field on every third, for filtered
    /// queries.
    fn index() -> (Index, tantivy::schema::Field, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let tag = schema.add_text_field("tag", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        let mut state: u64 = 7;
        for n in 0..10_000 {
            let mut doc = TantivyDocument::default();
            let mut words = Vec::new();
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            for i in 0..(1 + (state >> 33) % 6) {
                words.push(WORDS[((state >> (8 + 3 * i)) % 8) as usize]);
            }
            if n % 37 == 0 {
                words.push("hiem");
            }
            doc.add_text(text, words.join(" "));
            if n % 3 == 0 {
                doc.add_text(tag, "x");
            }
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        (index, text, tag)
    }

    fn term(field: tantivy::schema::Field, word: &str) -> Term {
        Term::from_field_text(field, word)
    }

    /// The same query built from tantivy's boolean queries.
    fn reference(
        groups: &[Vec<(Term, Score)>],
        optional: &[(Term, Score)],
        required: usize,
    ) -> BooleanQuery {
        let boosted = |(t, b): &(Term, Score)| -> (Occur, Box<dyn Query>) {
            let query = TermQuery::new(t.clone(), IndexRecordOption::WithFreqs);
            (
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(query), *b)),
            )
        };
        let groups = groups
            .iter()
            .map(|forms| {
                let forms = forms.iter().map(boosted).collect();
                (
                    Occur::Should,
                    Box::new(BooleanQuery::new(forms)) as Box<dyn Query>,
                )
            })
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            Box::new(BooleanQuery::with_minimum_required_clauses(
                groups, required,
            )),
        )];
        clauses.extend(optional.iter().map(boosted));
        BooleanQuery::new(clauses)
    }

    fn ours(
        groups: &[Vec<(Term, Score)>],
        optional: &[(Term, Score)],
        required: usize,
    ) -> WordGroupsQuery {
        let mut terms = Vec::new();
        for (group, forms) in groups.iter().enumerate() {
            for (term, boost) in forms {
                terms.push(GroupedTerm {
                    term: term.clone(),
                    boost: *boost,
                    groups: GroupedTerm::group(group),
                });
            }
        }
        for (term, boost) in optional {
            terms.push(GroupedTerm {
                term: term.clone(),
                boost: *boost,
                groups: 0,
            });
        }
        WordGroupsQuery::new(terms, required)
    }

    fn all(index: &Index, query: &dyn Query) -> Vec<(DocAddress, Score)> {
        let searcher = index.reader().unwrap().searcher();
        let mut found: Vec<(DocAddress, Score)> = searcher
            .search(query, &TopDocs::with_limit(20_000).order_by_score())
            .unwrap()
            .into_iter()
            .map(|(score, address)| (address, score))
            .collect();
        found.sort_by_key(|(address, _)| *address);
        found
    }

    fn assert_same(a: &[(DocAddress, Score)], b: &[(DocAddress, Score)]) {
        assert_eq!(a.len(), b.len(), "different numbers of matches");
        for ((da, sa), (db, sb)) in a.iter().zip(b) {
            assert_eq!(da, db);
            assert!(
                (sa - sb).abs() < 1e-4 * sa.abs().max(1.0),
                "{da:?}: {sa} vs {sb}"
            );
        }
    }

    /// For every number of required groups, our query matches and scores as the
    /// reference does, and matches something up to `matching_up_to` groups.
    fn assert_like_reference(
        index: &Index,
        groups: &[Vec<(Term, Score)>],
        optional: &[(Term, Score)],
        matching_up_to: usize,
    ) {
        for required in 1..=groups.len() {
            let expected = all(index, &reference(groups, optional, required));
            let got = all(index, &ours(groups, optional, required));
            if required <= matching_up_to {
                assert!(!expected.is_empty(), "required {required}");
            }
            assert_same(&got, &expected);
        }
    }

    #[test]
    fn matches_and_scores_like_minimum_should_match() {
        let (index, text, _) = index();
        let groups: Vec<Vec<(Term, Score)>> = vec![
            vec![(term(text, "nuoc"), 2.5), (term(text, "nuoc"), 1.0)],
            vec![(term(text, "thai"), 1.0)],
            vec![(term(text, "xu"), 1.0), (term(text, "mang"), 0.6)],
            vec![(term(text, "absent"), 1.0)],
        ];
        let optional = vec![(term(text, "bun"), 1.5)];
        // No listing has the absent word: none has all four groups.
        assert_like_reference(&index, &groups, &optional, 3);
    }

    /// A rare word's group drives; the common words' postings are sought at its
    /// listings, and the scores are still every matching term's.
    #[test]
    fn common_words_sought_at_a_rare_words_listings_match_and_score_alike() {
        let (index, text, _) = index();
        let groups: Vec<Vec<(Term, Score)>> = vec![
            vec![(term(text, "nuoc"), 2.5), (term(text, "nuoc"), 1.0)],
            vec![(term(text, "hiem"), 1.0)],
            vec![(term(text, "thai"), 1.0), (term(text, "mang"), 0.6)],
            vec![(term(text, "loc"), 1.0)],
        ];
        let optional = vec![(term(text, "bun"), 1.5), (term(text, "hiem"), 0.5)];
        assert_like_reference(&index, &groups, &optional, 4);
    }

    type Groups = Vec<Vec<(Term, Score)>>;

    /// A term of two groups (a translation of a two-word phrase) counts for both,
    /// once in the score: as in the reference with the term in each of its groups
    /// at half its boost. It may be a driver, a follower or both groups' only term.
    #[test]
    fn a_term_of_several_groups_counts_for_each_and_scores_once() {
        let (index, text, _) = index();
        let both = (term(text, "loc"), 2.0);
        let half = (both.0.clone(), both.1 / 2.0);
        let cases: [(Groups, Vec<usize>); 3] = [
            // Rare groups, one of them shared.
            (
                vec![
                    vec![(term(text, "hiem"), 1.0)],
                    vec![(term(text, "nuoc"), 1.0)],
                    vec![(term(text, "thai"), 1.0)],
                ],
                vec![0, 1],
            ),
            // Common groups: the shared term follows the rare one.
            (
                vec![
                    vec![(term(text, "hiem"), 1.0)],
                    vec![(term(text, "nuoc"), 1.0), (term(text, "xu"), 0.6)],
                    vec![(term(text, "thai"), 1.0)],
                    vec![(term(text, "mang"), 1.0)],
                ],
                vec![1, 3],
            ),
            // Two groups whose only form is the shared term.
            (
                vec![vec![(term(text, "bun"), 1.0)], vec![], vec![]],
                vec![1, 2],
            ),
        ];
        for (groups, shared) in cases {
            let mut with_half = groups.clone();
            for group in &shared {
                with_half[*group].push(half.clone());
            }
            let mut query = ours(&groups, &[], 1);
            query.terms.push(GroupedTerm {
                term: both.0.clone(),
                boost: both.1,
                groups: shared.iter().map(|g| GroupedTerm::group(*g)).sum(),
            });
            for required in 1..=groups.len() {
                query.required = required as u32;
                let expected = all(&index, &reference(&with_half, &[], required));
                assert!(required > 1 || !expected.is_empty());
                assert_same(&all(&index, &query), &expected);
            }
        }
    }

    #[test]
    fn seeks_land_on_the_first_match_at_or_after_the_target() {
        let (index, text, _) = index();
        let groups: Vec<Vec<(Term, Score)>> = vec![
            vec![(term(text, "nuoc"), 1.0)],
            vec![(term(text, "bun"), 1.0)],
        ];
        let expected: Vec<DocId> = all(&index, &reference(&groups, &[], 1))
            .into_iter()
            .map(|(address, _)| address.doc_id)
            .collect();
        let searcher = index.reader().unwrap().searcher();
        let segment = &searcher.segment_readers()[0];
        let query = ours(&groups, &[], 1);
        let weight = query
            .weight(EnableScoring::enabled_from_searcher(&searcher))
            .unwrap();
        // Gaps from the next match to well past a window.
        for gap in [1, 2, 3, 5, 17, 64, 300, 5_000] {
            let mut scorer = weight.scorer(segment, 1.0).unwrap();
            let mut target = 0;
            while target < 10_000 {
                let want = expected
                    .iter()
                    .copied()
                    .find(|doc| *doc >= target.max(scorer.doc()))
                    .unwrap_or(TERMINATED);
                assert_eq!(scorer.seek(target), want, "gap {gap}, target {target}");
                target += gap;
            }
        }
    }

    #[test]
    fn seeks_correctly_under_a_filter() {
        let (index, text, tag) = index();
        let groups: Vec<Vec<(Term, Score)>> = vec![
            vec![(term(text, "loc"), 1.0)],
            vec![(term(text, "say"), 1.0)],
            vec![(term(text, "ly"), 1.0)],
        ];
        let filtered = |query: Box<dyn Query>| {
            let filter = TermQuery::new(term(tag, "x"), IndexRecordOption::Basic);
            BooleanQuery::new(vec![(Occur::Must, Box::new(filter)), (Occur::Must, query)])
        };
        let expected = all(&index, &filtered(Box::new(reference(&groups, &[], 2))));
        let got = all(&index, &filtered(Box::new(ours(&groups, &[], 2))));
        assert!(expected.len() > 100);
        assert_same(&got, &expected);
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(
            ours(&groups, &[], 2).count(&searcher).unwrap(),
            reference(&groups, &[], 2).count(&searcher).unwrap()
        );
    }
}
