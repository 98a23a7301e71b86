//! Measured relevance: reads a labelled set in the BEIR layout (`corpus.jsonl`,
//! `queries.jsonl`, `qrels.tsv`), indexes the corpus with the production analyzers
//! into a temporary index, runs every query through the same ranking path as
//! `GET /listings/{id}/matches`, and computes nDCG@10, MAP@100 and recall@100 —
//! beside a plain BM25 baseline on the same data. It also types each need's search
//! words into the search (`GET /search`, offers only), to measure its ranking.
//!
//! A corpus or query line may carry listing fields in `metadata` (kind, sectors,
//! trl, transfer_modes, price, province …); without them it is plain text.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STORED, STRING, Schema, TEXT, Value};
use tantivy::{Index, TantivyDocument, Term, doc};
use techex_domain::listing::{ListingKind, Price, TransferMode};

use crate::document::IndexedListing;
use crate::glossary::Glossary;
use crate::index::{IndexError, ListingIndex};
use crate::score::{MatchWeights, find_matches};
use crate::search::{SearchFilters, SearchRequest, search};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{file}: {detail}")]
    Data { file: String, detail: String },
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("baseline index: {0}")]
    Baseline(#[from] tantivy::TantivyError),
}

#[derive(Debug, Deserialize)]
struct Line {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Debug, Default, Deserialize)]
struct Metadata {
    kind: Option<ListingKind>,
    language: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    description: Option<String>,
    #[serde(default)]
    sectors: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    trl: Option<u8>,
    ip_status: Option<String>,
    #[serde(default)]
    transfer_modes: Vec<TransferMode>,
    price: Option<Price>,
    province: Option<String>,
    organisation: Option<String>,
    /// For a query: the words typed into the search box for the same need.
    search: Option<String>,
}

/// One labelled set, loaded.
pub struct Dataset {
    corpus: Vec<IndexedListing>,
    queries: Vec<IndexedListing>,
    /// query id → the words typed into the search for it (its title when none
    /// is given).
    searches: HashMap<String, String>,
    /// query id → document id → grade.
    qrels: HashMap<String, HashMap<String, u32>>,
}

fn data_error(file: &Path, detail: impl ToString) -> EvalError {
    EvalError::Data {
        file: file.display().to_string(),
        detail: detail.to_string(),
    }
}

fn listing(line: Line, default_kind: ListingKind, owner_prefix: &str) -> IndexedListing {
    let m = line.metadata;
    let title = m.title.unwrap_or(line.title);
    let (summary, description) = match (m.summary, m.description) {
        (Some(summary), Some(description)) => (summary, description),
        (Some(summary), None) => (summary, String::new()),
        _ => (line.text.clone(), String::new()),
    };
    IndexedListing {
        owner: format!(
            "{owner_prefix}{}",
            m.organisation.unwrap_or_else(|| line.id.clone())
        ),
        id: line.id,
        kind: m.kind.unwrap_or(default_kind),
        language: m.language.unwrap_or_else(|| "vi".into()),
        title,
        summary,
        description,
        keywords: m.keywords,
        sectors: m.sectors,
        trl: m.trl,
        ip_status: m.ip_status,
        transfer_modes: m.transfer_modes,
        price: m.price,
        province: m.province,
        external_ref: None,
        published_at: 0,
        valid_until: chrono::NaiveDate::MAX,
    }
}

fn read_lines(path: &Path) -> Result<Vec<Line>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| data_error(path, e))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| {
            serde_json::from_str(l).map_err(|e| data_error(path, format!("line {}: {e}", n + 1)))
        })
        .collect()
}

impl Dataset {
    pub fn load(dir: &Path) -> Result<Self, EvalError> {
        let corpus = read_lines(&dir.join("corpus.jsonl"))?
            .into_iter()
            .map(|l| listing(l, ListingKind::Offer, "corpus:"))
            .collect();
        let mut searches = HashMap::new();
        let queries = read_lines(&dir.join("queries.jsonl"))?
            .into_iter()
            .map(|mut l| {
                if let Some(search) = l.metadata.search.take() {
                    searches.insert(l.id.clone(), search);
                }
                listing(l, ListingKind::Need, "query:")
            })
            .collect();
        let path = dir.join("qrels.tsv");
        let text = std::fs::read_to_string(&path).map_err(|e| data_error(&path, e))?;
        let mut qrels: HashMap<String, HashMap<String, u32>> = HashMap::new();
        for (n, row) in text
            .lines()
            .enumerate()
            .skip(1)
            .filter(|(_, r)| !r.trim().is_empty())
        {
            let cols: Vec<&str> = row.split('\t').collect();
            let [query, document, grade] = cols[..] else {
                return Err(data_error(
                    &path,
                    format!("line {}: expected 3 tab-separated columns", n + 1),
                ));
            };
            let grade: u32 = grade
                .trim()
                .parse()
                .map_err(|_| data_error(&path, format!("line {}: bad grade", n + 1)))?;
            qrels
                .entry(query.to_owned())
                .or_default()
                .insert(document.to_owned(), grade);
        }
        Ok(Self {
            corpus,
            queries,
            searches,
            qrels,
        })
    }

    pub fn corpus(&self) -> &[IndexedListing] {
        &self.corpus
    }

    pub fn queries(&self) -> &[IndexedListing] {
        &self.queries
    }
}

/// The three measures, averaged over the judged queries.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Scores {
    #[serde(rename = "ndcg@10")]
    pub ndcg_at_10: f64,
    #[serde(rename = "map@100")]
    pub map_at_100: f64,
    #[serde(rename = "recall@100")]
    pub recall_at_100: f64,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub queries: usize,
    pub documents: usize,
    pub techex: Scores,
    /// Each need's search words (`metadata.search`, else its title) as the text of
    /// a search for listings of the other kind.
    pub search: Scores,
    /// Plain BM25 over title + text with tantivy's default analyzer, for comparison.
    pub bm25_baseline: Scores,
    /// Each query's scores, for looking into failures (`techex eval --per-query`).
    #[serde(skip)]
    pub per_query: PerQuery,
}

/// Query id → its scores, for the matches and for the search.
#[derive(Debug, Default)]
pub struct PerQuery {
    pub matches: BTreeMap<String, Scores>,
    pub search: BTreeMap<String, Scores>,
}

/// Runs the evaluation with `weights`: the matches and the search on one index.
pub fn evaluate(
    dataset: &Dataset,
    weights: &MatchWeights,
    glossary: &Arc<Glossary>,
) -> Result<Report, EvalError> {
    let index = indexed(dataset, glossary)?;
    let per_query = PerQuery {
        matches: match_scores(&index, dataset, weights)?,
        search: search_scores(&index, dataset)?,
    };
    let baseline = baseline(dataset)?;
    let mean_of =
        |scores: &BTreeMap<String, Scores>| mean(&scores.values().copied().collect::<Vec<_>>());
    Ok(Report {
        queries: per_query.matches.len(),
        documents: dataset.corpus.len(),
        techex: mean_of(&per_query.matches),
        search: mean_of(&per_query.search),
        bm25_baseline: mean(&baseline),
        per_query,
    })
}

fn judged(dataset: &Dataset) -> impl Iterator<Item = &IndexedListing> {
    dataset.queries.iter().filter(|q| {
        dataset
            .qrels
            .get(&q.id)
            .is_some_and(|j| j.values().any(|g| *g > 0))
    })
}

fn baseline(dataset: &Dataset) -> Result<Vec<Scores>, EvalError> {
    let mut builder = Schema::builder();
    let id = builder.add_text_field("id", STRING | STORED);
    let text = builder.add_text_field("text", TEXT);
    let index = Index::create_in_ram(builder.build());
    let mut writer = index.writer_with_num_threads(1, 32 * 1024 * 1024)?;
    for listing in &dataset.corpus {
        writer.add_document(
            doc!(id => listing.id.clone(), text => format!("{} {}", listing.title, listing.body())),
        )?;
    }
    writer.commit()?;
    let searcher = index.reader()?.searcher();
    let mut analyzer = index.tokenizer_for_field(text)?;
    let mut scores = Vec::new();
    for query in judged(dataset) {
        let mut terms = Vec::new();
        let query_text = format!("{} {}", query.title, query.summary);
        let mut stream = analyzer.token_stream(&query_text);
        while stream.advance() {
            terms.push(stream.token().text.clone());
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| -> (Occur, Box<dyn Query>) {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(text, t),
                        IndexRecordOption::WithFreqs,
                    )),
                )
            })
            .collect();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(100).order_by_score(),
        )?;
        let ranked: Vec<String> = top
            .into_iter()
            .filter_map(|(_, address)| {
                let doc: TantivyDocument = searcher.doc(address).ok()?;
                doc.get_first(id)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            })
            .collect();
        scores.push(measure(&ranked, &dataset.qrels[&query.id]));
    }
    Ok(scores)
}

/// nDCG@10 with graded gains (2^grade − 1); MAP@100 and recall@100 count grades ≥ 1.
pub fn measure(ranked: &[String], judgements: &HashMap<String, u32>) -> Scores {
    let gain = |grade: u32| f64::from(2u32.pow(grade) - 1);
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, id)| gain(judgements.get(id).copied().unwrap_or(0)) / (i as f64 + 2.0).log2())
        .fold(0.0, |a, b| a + b);
    let mut ideal: Vec<u32> = judgements.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| gain(*g) / (i as f64 + 2.0).log2())
        .sum();
    let relevant = judgements.values().filter(|g| **g > 0).count();
    let mut hits = 0;
    let mut precision_sum = 0.0;
    for (i, id) in ranked.iter().take(100).enumerate() {
        if judgements.get(id).is_some_and(|g| *g > 0) {
            hits += 1;
            precision_sum += f64::from(hits) / (i as f64 + 1.0);
        }
    }
    Scores {
        ndcg_at_10: if idcg > 0.0 { dcg / idcg } else { 0.0 },
        map_at_100: if relevant > 0 {
            precision_sum / relevant as f64
        } else {
            0.0
        },
        recall_at_100: if relevant > 0 {
            f64::from(hits) / relevant as f64
        } else {
            0.0
        },
    }
}

fn mean(scores: &[Scores]) -> Scores {
    let n = scores.len().max(1) as f64;
    Scores {
        ndcg_at_10: scores.iter().map(|s| s.ndcg_at_10).sum::<f64>() / n,
        map_at_100: scores.iter().map(|s| s.map_at_100).sum::<f64>() / n,
        recall_at_100: scores.iter().map(|s| s.recall_at_100).sum::<f64>() / n,
    }
}

/// The corpus and the needs in an index, as on a live exchange: the needs count in
/// the words' document frequencies, and each need finds itself in the index.
fn indexed(dataset: &Dataset, glossary: &Arc<Glossary>) -> Result<ListingIndex, EvalError> {
    let index = ListingIndex::in_memory()?.with_glossary(glossary.clone());
    for listing in dataset.corpus.iter().chain(&dataset.queries) {
        index.upsert(listing)?;
    }
    index.commit(0)?;
    Ok(index)
}

/// Each judged query's scores for its matches.
fn match_scores(
    index: &ListingIndex,
    dataset: &Dataset,
    weights: &MatchWeights,
) -> Result<BTreeMap<String, Scores>, EvalError> {
    let today = chrono::Utc::now().date_naive();
    let mut out = BTreeMap::new();
    for query in judged(dataset) {
        let ranked: Vec<String> = find_matches(index, query, weights, today, 100)?
            .into_iter()
            .map(|m| m.listing.id)
            .collect();
        out.insert(
            query.id.clone(),
            measure(&ranked, &dataset.qrels[&query.id]),
        );
    }
    Ok(out)
}

/// Each judged query's scores for its search words typed into the search, for
/// listings of the other kind, the first 100 results.
fn search_scores(
    index: &ListingIndex,
    dataset: &Dataset,
) -> Result<BTreeMap<String, Scores>, EvalError> {
    let mut out = BTreeMap::new();
    for query in judged(dataset) {
        let request = SearchRequest {
            text: dataset
                .searches
                .get(&query.id)
                .unwrap_or(&query.title)
                .clone(),
            filters: SearchFilters {
                kind: Some(query.other_kind()),
                ..SearchFilters::default()
            },
            today: chrono::Utc::now().date_naive(),
            offset: 0,
            limit: 100,
        };
        let ranked: Vec<String> = search(index, &request)?
            .hits
            .into_iter()
            .map(|hit| hit.id)
            .collect();
        out.insert(
            query.id.clone(),
            measure(&ranked, &dataset.qrels[&query.id]),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_perfect_and_an_empty_ranking() {
        let judgements: HashMap<String, u32> = [
            ("a".to_owned(), 3),
            ("b".to_owned(), 1),
            ("c".to_owned(), 0),
        ]
        .into();
        let perfect = measure(&["a".into(), "b".into()], &judgements);
        assert!((perfect.ndcg_at_10 - 1.0).abs() < 1e-9);
        assert!((perfect.map_at_100 - 1.0).abs() < 1e-9);
        assert!((perfect.recall_at_100 - 1.0).abs() < 1e-9);
        let reversed = measure(&["c".into(), "b".into(), "a".into()], &judgements);
        assert!(reversed.ndcg_at_10 < 0.7);
        assert!((reversed.map_at_100 - (0.5 + 2.0 / 3.0) / 2.0).abs() < 1e-9);
        assert_eq!(measure(&[], &judgements).recall_at_100, 0.0);
    }
}
