//! The catalogue search: any text, filters, facet counts, snippets, pagination.
//! Text never reaches tantivy's query parser: it is analysed into terms, so no
//! input can be a syntax error.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::Serialize;
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Score, Searcher, TantivyDocument, Term};
use techex_domain::listing::ListingKind;

use crate::analysis;
use crate::index::{Fields, IndexResult, ListingIndex, day_number};

/// Boosts: a word in the title says more about a listing than one in its body; a
/// bigram (a two-syllable word) more than a syllable alone.
pub const TITLE_BOOST: Score = 2.5;
pub const BODY_BOOST: Score = 1.0;
pub const STEM_BOOST: Score = 0.6;
pub const BIGRAM_BOOST: Score = 1.5;

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
}

#[derive(Clone, Debug, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<SearchHit>,
    /// facet → value → count, over every match (not just this page).
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
}

const FACETS: [&str; 5] = ["kind", "sector", "trl", "province", "transfer_mode"];

/// The text part of a query: the analysed terms over title, body, stems and bigrams.
/// `None` when the text has no searchable term.
pub fn text_query(
    fields: &Fields,
    text: &str,
    max_words: usize,
    max_bigrams: usize,
) -> Option<Box<dyn Query>> {
    let (words, pairs) = analysis::query_terms(text, max_words, max_bigrams);
    let stems: Vec<String> = analysis::stemmed_terms(text)
        .into_iter()
        .take(max_words)
        .collect();
    terms_query(fields, &words, &stems, &pairs)
}

/// The query over given terms: words in title and body, stems in the stemmed
/// fields, bigrams in the bigram field.
pub fn terms_query(
    fields: &Fields,
    words: &[String],
    stems: &[String],
    pairs: &[String],
) -> Option<Box<dyn Query>> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let term = |field: Field, text: &str, boost: Score| -> (Occur, Box<dyn Query>) {
        let query = TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        );
        (
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(query), boost)),
        )
    };
    for word in words {
        clauses.push(term(fields.title, word, TITLE_BOOST));
        clauses.push(term(fields.body, word, BODY_BOOST));
    }
    for stem in stems {
        clauses.push(term(fields.title_stem, stem, STEM_BOOST * TITLE_BOOST));
        clauses.push(term(fields.body_stem, stem, STEM_BOOST));
    }
    for pair in pairs {
        clauses.push(term(fields.bigrams, pair, BIGRAM_BOOST));
    }
    (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
}

fn term_filter(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
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
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
        Occur::Must,
        Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_i64(fields.valid_until, day_number(today))),
            Bound::Unbounded,
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

pub fn search(index: &ListingIndex, request: &SearchRequest) -> IndexResult<SearchResults> {
    let fields = index.fields();
    let searcher = index.searcher();
    let text = text_query(&fields, &request.text, 32, 32);
    let mut clauses = filter_clauses(&fields, &request.filters, request.today);
    let browsing = text.is_none();
    clauses.push((Occur::Must, text.unwrap_or_else(|| Box::new(AllQuery))));
    let query = BooleanQuery::new(clauses);

    let mut facets = FacetCollector::for_field("facets");
    for facet in FACETS {
        facets.add_facet(format!("/{facet}").as_str());
    }
    let limit = request.limit.max(1);
    let (addresses, total, facet_counts): (Vec<(Score, DocAddress)>, usize, _) = if browsing {
        // No text: newest first.
        let top = TopDocs::with_limit(limit)
            .and_offset(request.offset)
            .order_by_fast_field::<i64>("published_at", Order::Desc);
        let (top, total, counts) = searcher.search(&query, &(top, Count, facets))?;
        (
            top.into_iter().map(|(_, address)| (0.0, address)).collect(),
            total,
            counts,
        )
    } else {
        let top = TopDocs::with_limit(limit)
            .and_offset(request.offset)
            .order_by_score();
        searcher.search(&query, &(top, Count, facets))?
    };

    let snippets = if browsing {
        None
    } else {
        SnippetGenerator::create(&searcher, &query, fields.body).ok()
    };
    let hits = addresses
        .into_iter()
        .map(|(score, address)| hit(index, &searcher, address, score, snippets.as_ref()))
        .collect::<IndexResult<Vec<_>>>()?;
    let mut facets = BTreeMap::new();
    for facet in FACETS {
        let counts: BTreeMap<String, u64> = facet_counts
            .get(&format!("/{facet}"))
            .map(|(value, count)| {
                (
                    value
                        .to_path()
                        .last()
                        .map(|s| (*s).to_owned())
                        .unwrap_or_default(),
                    count,
                )
            })
            .collect();
        facets.insert(facet.to_owned(), counts);
    }
    Ok(SearchResults {
        total,
        hits,
        facets,
    })
}

fn hit(
    index: &ListingIndex,
    searcher: &Searcher,
    address: DocAddress,
    score: Score,
    snippets: Option<&SnippetGenerator>,
) -> IndexResult<SearchHit> {
    let doc: TantivyDocument = searcher.doc(address)?;
    let profile = index.profile(&doc)?;
    let snippet = match snippets {
        Some(generator) => {
            let snippet = generator.snippet_from_doc(&doc);
            if snippet.fragment().is_empty() {
                escape(&first_chars(&profile.summary, 200))
            } else {
                snippet.to_html()
            }
        }
        None => escape(&first_chars(&profile.summary, 200)),
    };
    Ok(SearchHit {
        id: profile.id,
        kind: profile.kind,
        title: profile.title,
        external_ref: profile.external_ref,
        snippet,
        score,
    })
}

fn first_chars(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
