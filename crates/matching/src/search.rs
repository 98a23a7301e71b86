//! The catalogue search: any text, filters, facet counts, snippets, pagination.
//! Text never reaches tantivy's query parser: it is analysed into terms, so no
//! input can be a syntax error.

use std::collections::HashSet;
use std::ops::Bound;

use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, InvertedIndexRangeQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, Order, Score, Searcher, TantivyDocument, Term};
use techex_domain::listing::ListingKind;

use crate::analysis;
use crate::facet_counts::{FacetCollector, FacetCounts};
use crate::glossary::Glossary;
use crate::index::{Fields, IndexResult, ListingIndex, day_number};
use crate::snippet::{Highlighter, push_escaped};
use crate::word_groups::{GroupedTerm, WordGroupsQuery};

/// Boosts: a word in the title says more about a listing than one in its body; a
/// bigram (a two-syllable word) more than a syllable alone.
pub const TITLE_BOOST: Score = 2.5;
pub const BODY_BOOST: Score = 1.0;
pub const STEM_BOOST: Score = 0.6;
pub const BIGRAM_BOOST: Score = 1.5;
/// A search's own word pairs count for more than a match's: a search is a few
/// words the user typed side by side, and a listing that has them side by side
/// (`cơ khí`) is about them, where one with `khí thải` and `hữu cơ` is not.
pub const SEARCH_BIGRAM_BOOST: Score = 4.0;
/// How much a glossary translation of a search's or a match's words weighs against
/// the words themselves: as much, since it names the same thing (docs/matching.md).
pub const TRANSLATION_WEIGHT: Score = 1.0;

#[derive(Clone, Debug, Default)]
pub struct SearchFilters {
    pub kind: Option<ListingKind>,
    /// Any of these sector codes (or below them).
    pub sectors: Vec<String>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
    pub ip_status: Option<String>,
    pub transfer_modes: Vec<String>,
    pub province: Option<String>,
    pub language: Option<String>,
}

impl SearchFilters {
    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        let Self {
            kind,
            sectors,
            trl_min,
            trl_max,
            ip_status,
            transfer_modes,
            province,
            language,
        } = self;
        kind.is_none()
            && sectors.is_empty()
            && trl_min.is_none()
            && trl_max.is_none()
            && ip_status.is_none()
            && transfer_modes.is_empty()
            && province.is_none()
            && language.is_none()
    }
}

#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub text: String,
    pub filters: SearchFilters,
    /// Listings valid until before this day are left out.
    pub today: chrono::NaiveDate,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct SearchHit {
    pub id: String,
    pub kind: ListingKind,
    pub title: String,
    pub external_ref: Option<String>,
    /// An excerpt with the matched words in `<b>…</b>`; the rest is HTML-escaped.
    pub snippet: String,
    pub score: Score,
    /// The listing has only some of the query's words: it is listed after every
    /// listing that has most of them (see [`search`]).
    pub partial: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct SearchResults {
    /// Every listing the results go through, partial ones included.
    pub total: usize,
    /// Where the listings with only some of the query's words begin, counted over
    /// all the results (not this page); `None` when there are none.
    pub partial_from: Option<usize>,
    pub hits: Vec<SearchHit>,
    /// facet → value → count, over every match (not just this page).
    pub facets: FacetCounts,
}

/// How many of a query's words a listing must contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordMatch {
    /// Both words of a two-word query, two thirds of a longer one.
    Most,
    /// Half of them (one of two): the fallback when no listing has most.
    Half,
}

/// The text part of a search. Each query word is one group — the word in the title
/// or the body, or its English stem — and a listing must contain `word_match` of the
/// groups. Word pairs (bigrams) only add to the score. Requiring most words keeps a
/// query such as "xu ly nuoc thai" from matching every listing that merely says
/// "xu ly", which is more precise and lets the facets and the total count far fewer
/// documents. `None` when the text has no searchable term.
pub fn text_query(
    searcher: &Searcher,
    fields: &Fields,
    glossary: &Glossary,
    text: &str,
    max_words: usize,
    max_bigrams: usize,
    word_match: WordMatch,
) -> Option<Box<dyn Query>> {
    // The text is analysed once, for its words, its pairs and its glossary phrases.
    let tokens = analysis::words(text);
    let pairs = analysis::pairs_of(&tokens, max_bigrams);
    let (words, _) = analysis::terms_of(&tokens, max_words, 0);
    if words.is_empty() {
        let stems: Vec<String> = analysis::stemmed_terms(text)
            .into_iter()
            .take(max_words)
            .collect();
        return terms_query(fields, &[], &stems, &pairs);
    }
    let words = &words[..words.len().min(WordGroupsQuery::MAX_GROUPS)];
    let mut terms = Vec::new();
    for (group, word) in words.iter().enumerate() {
        push_word_terms(
            &mut terms,
            searcher,
            fields,
            word,
            GroupedTerm::group(group),
            1.0,
        );
    }
    terms.extend(pairs.iter().map(|pair| GroupedTerm {
        term: Term::from_field_text(fields.bigrams, pair),
        boost: SEARCH_BIGRAM_BOOST,
        groups: 0,
    }));
    for translated in translated_terms(searcher, fields, glossary, &tokens, words) {
        // A word or pair typed in both languages (`bơm nhiệt heat pump`) is one
        // term, scored once and counting for every group it stands for.
        match terms.iter_mut().find(|t| t.term == translated.term) {
            Some(known) => known.groups |= translated.groups,
            None => terms.push(translated),
        }
    }
    let required = match (word_match, words.len()) {
        (WordMatch::Half, n) => n.div_ceil(2).max(1),
        (WordMatch::Most, n @ 0..=2) => n,
        (WordMatch::Most, n) => (2 * n).div_ceil(3),
    };
    Some(Box::new(WordGroupsQuery::new(terms, required)))
}

/// The glossary's other-language names of the phrases in a search's text
/// (`docs/matching.md`, "Across the two languages"), each counting for all the
/// query words (`words`, one group each) of the phrase it translates:
/// `wastewater` for both `nuoc` and `thai`. A name of several words is searched as
/// its rarest word pair, the one most particular to the whole name: `ly_nuoc` of
/// `xử lý nước thải`, where `xu_ly` or `nuoc_thai` alone would stand for the
/// whole phrase in listings that only treat something or only mention wastewater.
fn translated_terms(
    searcher: &Searcher,
    fields: &Fields,
    glossary: &Glossary,
    tokens: &[analysis::Word],
    words: &[String],
) -> Vec<GroupedTerm> {
    let mut terms = Vec::new();
    for phrase in glossary.phrases(tokens) {
        let groups: u64 = tokens[phrase.words.clone()]
            .iter()
            .filter_map(|token| words.iter().position(|w| *w == token.folded))
            .fold(0, |mask, group| mask | GroupedTerm::group(group));
        if groups == 0 {
            continue;
        }
        if let [word] = phrase.other {
            push_word_terms(
                &mut terms,
                searcher,
                fields,
                word,
                groups,
                TRANSLATION_WEIGHT,
            );
        } else if let Some(pair) = phrase.other_pairs().min_by_key(|pair| {
            searcher
                .doc_freq(&Term::from_field_text(fields.bigrams, pair))
                .unwrap_or(0)
        }) {
            terms.push(GroupedTerm {
                term: Term::from_field_text(fields.bigrams, &pair),
                boost: SEARCH_BIGRAM_BOOST * TRANSLATION_WEIGHT,
                groups,
            });
        }
    }
    terms
}

/// Adds a searched word's terms, counting for `groups`, their boosts times
/// `weight`: the word in the title and in the body, and its English stems in the
/// stemmed fields, unless a stem has the word's very listings (see
/// [`same_listings`]).
fn push_word_terms(
    terms: &mut Vec<GroupedTerm>,
    searcher: &Searcher,
    fields: &Fields,
    word: &str,
    groups: u64,
    weight: Score,
) {
    let mut term = |field: Field, text: &str, boost: Score| {
        terms.push(GroupedTerm {
            term: Term::from_field_text(field, text),
            boost: boost * weight,
            groups,
        });
    };
    let stems = analysis::stemmed_terms(word);
    for (field, stem_field, boost) in [
        (fields.title, fields.title_stem, TITLE_BOOST),
        (fields.body, fields.body_stem, BODY_BOOST),
    ] {
        match stems.as_slice() {
            [stem]
                if same_listings(
                    searcher,
                    &Term::from_field_text(field, word),
                    &Term::from_field_text(stem_field, stem),
                ) =>
            {
                term(field, word, boost * (1.0 + STEM_BOOST));
            }
            _ => {
                term(field, word, boost);
                for stem in &stems {
                    term(stem_field, stem, boost * STEM_BOOST);
                }
            }
        }
    }
}

/// Whether a word's stem occurs in exactly the listings that have the word (true
/// of most Vietnamese syllables and of English words seen in one form only). The
/// stemmed field holds the stem wherever the word occurs, so equal document counts
/// mean equal sets, and — same tokens, same field lengths — equal BM25 scores: the
/// stem's part is then added to the word's boost instead of reading its postings.
fn same_listings(searcher: &Searcher, word: &Term, stem: &Term) -> bool {
    matches!(
        (searcher.doc_freq(word), searcher.doc_freq(stem)),
        (Ok(a), Ok(b)) if a == b
    )
}

/// The query over given terms, any of which makes a listing match: words in title
/// and body, stems in the stemmed fields, bigrams in the bigram field. Read by the
/// word-groups scorer as one group, which reads postings window by window rather
/// than through tantivy's union of term scorers.
pub fn terms_query(
    fields: &Fields,
    words: &[String],
    stems: &[String],
    pairs: &[String],
) -> Option<Box<dyn Query>> {
    let terms = grouped_terms(fields, words, stems, pairs, 1.0);
    (!terms.is_empty()).then(|| Box::new(WordGroupsQuery::new(terms, 1)) as Box<dyn Query>)
}

/// The terms of [`terms_query`], each boost multiplied by `weight`.
pub(crate) fn grouped_terms(
    fields: &Fields,
    words: &[String],
    stems: &[String],
    pairs: &[String],
    weight: Score,
) -> Vec<GroupedTerm> {
    let term = |field: Field, text: &String, boost: Score| GroupedTerm {
        term: Term::from_field_text(field, text),
        boost: boost * weight,
        groups: GroupedTerm::group(0),
    };
    let mut terms = Vec::new();
    for word in words {
        terms.push(term(fields.title, word, TITLE_BOOST));
        terms.push(term(fields.body, word, BODY_BOOST));
    }
    for stem in stems {
        terms.push(term(fields.title_stem, stem, STEM_BOOST * TITLE_BOOST));
        terms.push(term(fields.body_stem, stem, STEM_BOOST));
    }
    for pair in pairs {
        terms.push(term(fields.bigrams, pair, BIGRAM_BOOST));
    }
    terms
}

fn term_filter(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// Listings with any of `values` in `field`.
pub(crate) fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        values
            .iter()
            .map(|v| (Occur::Should, term_filter(field, v)))
            .collect(),
    ))
}

/// The filter clauses, always including validity on `today`.
pub fn filter_clauses(
    fields: &Fields,
    filters: &SearchFilters,
    today: chrono::NaiveDate,
) -> Vec<(Occur, Box<dyn Query>)> {
    // Expired listings leave the index at the daily sweep; until then they are
    // excluded by the (usually empty) set that expired, from the inverted index,
    // rather than by reading every match's date.
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
        Occur::MustNot,
        Box::new(InvertedIndexRangeQuery::new(
            Bound::Unbounded,
            Bound::Excluded(Term::from_field_i64(fields.valid_until, day_number(today))),
        )),
    )];
    if let Some(kind) = filters.kind {
        clauses.push((Occur::Must, term_filter(fields.kind, kind.as_str())));
    }
    if !filters.sectors.is_empty() {
        clauses.push((Occur::Must, any_of(fields.sectors, &filters.sectors)));
    }
    if filters.trl_min.is_some() || filters.trl_max.is_some() {
        let lower = filters.trl_min.map_or(Bound::Unbounded, |t| {
            Bound::Included(Term::from_field_u64(fields.trl, u64::from(t)))
        });
        let upper = filters.trl_max.map_or(Bound::Unbounded, |t| {
            Bound::Included(Term::from_field_u64(fields.trl, u64::from(t)))
        });
        clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
    }
    if let Some(status) = &filters.ip_status {
        clauses.push((Occur::Must, term_filter(fields.ip_status, status)));
    }
    if !filters.transfer_modes.is_empty() {
        clauses.push((
            Occur::Must,
            any_of(fields.transfer_modes, &filters.transfer_modes),
        ));
    }
    if let Some(province) = &filters.province {
        clauses.push((Occur::Must, term_filter(fields.province, province)));
    }
    if let Some(language) = &filters.language {
        clauses.push((Occur::Must, term_filter(fields.language, language)));
    }
    clauses
}

/// Searches requiring most of the query's words (see [`WordMatch`]).
///
/// When fewer listings have most of them than the page reaches, a query of
/// [`TOP_UP_WORDS`] words or more goes on with the listings that have half of them:
/// `nuoi tom the tuan hoan` lists the recirculating shrimp farms first, then those
/// about shrimp farming alone, rather than stopping at two results. The total and
/// the facets then count both. A shorter query is loosened only when no listing
/// has most of its words, and not when it is the filters that left out every
/// listing with most of them: half of two words is one syllable, and a filtered
/// page would fill with listings that share a stray syllable with the query.
pub fn search(index: &ListingIndex, request: &SearchRequest) -> IndexResult<SearchResults> {
    let searcher = index.searcher();
    let reach = request.offset + request.limit.max(1);
    let strict = ranked(index, &searcher, request, WordMatch::Most, reach)?;
    if strict.total >= reach {
        return page(index, &searcher, request, strict);
    }
    let results = match analysis::query_terms(&request.text, TOP_UP_WORDS, 0)
        .0
        .len()
    {
        0 | 1 => strict,
        words if words >= TOP_UP_WORDS => {
            // Every listing with most of the words has half of them: the looser
            // reading counts them all, and ranks the others after them.
            let mut loose = ranked(
                index,
                &searcher,
                request,
                WordMatch::Half,
                reach + strict.total,
            )?;
            let full: HashSet<DocAddress> = strict.top.iter().map(|(_, a)| *a).collect();
            let others = std::mem::take(&mut loose.top)
                .into_iter()
                .filter(|(_, a)| !full.contains(a));
            loose.partial_from = (loose.total > strict.total).then_some(strict.total);
            loose.top = strict.top.into_iter().chain(others).collect();
            loose
        }
        _ if strict.total > 0 || filters_left_out_every_full_match(index, &searcher, request)? => {
            strict
        }
        _ => {
            let mut loose = ranked(index, &searcher, request, WordMatch::Half, reach)?;
            loose.partial_from = (loose.total > 0).then_some(0);
            loose
        }
    };
    page(index, &searcher, request, results)
}

/// Whether the request's filters are what leave out every listing with most of
/// its words. Only counted: no hits, facets or snippets for a page nobody sees.
fn filters_left_out_every_full_match(
    index: &ListingIndex,
    searcher: &Searcher,
    request: &SearchRequest,
) -> IndexResult<bool> {
    if request.filters.is_empty() {
        return Ok(false);
    }
    let (unfiltered, _) = query(
        index,
        searcher,
        &request.text,
        &SearchFilters::default(),
        request.today,
        WordMatch::Most,
    );
    Ok(searcher.search(&unfiltered, &Count)? > 0)
}

/// Queries of this many words or more are topped up with listings that have half
/// of them (see [`search`]).
pub const TOP_UP_WORDS: usize = 4;

/// The matches of one reading of a search: the best `reach` in order (newest first
/// when browsing), and the total and facet counts over all of them.
struct Ranked {
    top: Vec<(Score, DocAddress)>,
    total: usize,
    facets: FacetCounts,
    query: BooleanQuery,
    browsing: bool,
    /// Where in `top` the listings with only some of the words begin.
    partial_from: Option<usize>,
}

/// The query of a search: its text (or every listing, when it has none, which is
/// then `browsing`) under the filters.
fn query(
    index: &ListingIndex,
    searcher: &Searcher,
    text: &str,
    filters: &SearchFilters,
    today: chrono::NaiveDate,
    word_match: WordMatch,
) -> (BooleanQuery, bool) {
    let fields = index.fields();
    let text = text_query(
        searcher,
        &fields,
        index.glossary(),
        text,
        32,
        32,
        word_match,
    );
    let browsing = text.is_none();
    let mut clauses = filter_clauses(&fields, filters, today);
    clauses.push((Occur::Must, text.unwrap_or_else(|| Box::new(AllQuery))));
    (BooleanQuery::new(clauses), browsing)
}

fn ranked(
    index: &ListingIndex,
    searcher: &Searcher,
    request: &SearchRequest,
    word_match: WordMatch,
    reach: usize,
) -> IndexResult<Ranked> {
    let (query, browsing) = query(
        index,
        searcher,
        &request.text,
        &request.filters,
        request.today,
        word_match,
    );
    let facets = FacetCollector {
        tables: index.facet_tables(),
    };
    let (top, total, facets) = if browsing {
        // No text: newest first.
        let top = TopDocs::with_limit(reach.max(1))
            .order_by_fast_field::<i64>("published_at", Order::Desc);
        let (top, total, counts) = searcher.search(&query, &(top, Count, facets))?;
        (
            top.into_iter().map(|(_, address)| (0.0, address)).collect(),
            total,
            counts,
        )
    } else {
        let top = TopDocs::with_limit(reach.max(1)).order_by_score();
        searcher.search(&query, &(top, Count, facets))?
    };
    Ok(Ranked {
        top,
        total,
        facets,
        query,
        browsing,
        partial_from: None,
    })
}

/// The requested page of `ranked`, with its total and facets; hits, snippets
/// included, are built for that page only.
fn page(
    index: &ListingIndex,
    searcher: &Searcher,
    request: &SearchRequest,
    counted: Ranked,
) -> IndexResult<SearchResults> {
    let fields = index.fields();
    let mut highlighter = if counted.browsing {
        None
    } else {
        Some(Highlighter::new(
            searcher,
            &counted.query,
            fields.body,
            fields.bigrams,
            fields.body_stem,
        )?)
    };
    let hits = counted
        .top
        .into_iter()
        .enumerate()
        .skip(request.offset)
        .take(request.limit.max(1))
        .map(|(position, (score, address))| {
            let partial = counted.partial_from.is_some_and(|from| position >= from);
            hit(index, searcher, address, score, highlighter.as_mut())
                .map(|hit| SearchHit { partial, ..hit })
        })
        .collect::<IndexResult<Vec<_>>>()?;
    Ok(SearchResults {
        total: counted.total,
        partial_from: counted.partial_from,
        hits,
        facets: counted.facets,
    })
}

fn hit(
    index: &ListingIndex,
    searcher: &Searcher,
    address: DocAddress,
    score: Score,
    highlighter: Option<&mut Highlighter>,
) -> IndexResult<SearchHit> {
    let doc: TantivyDocument = searcher.doc(address)?;
    let profile = index.profile(&doc)?;
    let excerpt = highlighter.and_then(|highlighter| {
        let body = doc
            .get_first(index.fields().body)
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        snippet(highlighter, body)
    });
    let snippet = excerpt.unwrap_or_else(|| {
        let mut html = String::new();
        push_escaped(&mut html, &first_chars(&profile.summary, 200));
        html
    });
    Ok(SearchHit {
        id: profile.id,
        kind: profile.kind,
        title: profile.title,
        external_ref: profile.external_ref,
        snippet,
        score,
        partial: false,
    })
}

/// How much of a body a snippet is first looked for in. Tokenising the text was
/// most of a snippet's cost, and descriptions can be long; the body starts with the
/// summary, where a search's words are usually found.
const SNIPPET_SCAN_CHARS: usize = 1000;

/// The best excerpt of the body's first [`SNIPPET_SCAN_CHARS`] characters, or of
/// the whole body when the searched words are not in them.
fn snippet(highlighter: &mut Highlighter, body: &str) -> Option<String> {
    let head = leading_words(body, SNIPPET_SCAN_CHARS);
    highlighter.html(head).or_else(|| {
        (head.len() < body.len())
            .then(|| highlighter.html(body))
            .flatten()
    })
}

/// The text up to the last whitespace within its first `n` characters (all of it
/// if shorter), so that no word is cut into a shorter one that might match.
fn leading_words(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        None => text,
        Some((end, _)) => {
            let head = &text[..end];
            head.rfind(char::is_whitespace).map_or(head, |i| &head[..i])
        }
    }
}

fn first_chars(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::leading_words;

    #[test]
    fn leading_words_cut_at_whitespace_and_never_inside_a_character() {
        assert_eq!(leading_words("xử lý nước thải", 100), "xử lý nước thải");
        assert_eq!(leading_words("xử lý nước thải", 9), "xử lý");
        assert_eq!(leading_words("xử lý nước thải", 6), "xử lý");
        assert_eq!(leading_words("nướcthải", 3), "nướ");
        assert_eq!(leading_words("", 3), "");
    }
}
