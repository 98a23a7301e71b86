//! The word-groups query on a corpus with a natural (Zipfian) vocabulary, against
//! tantivy's own minimum-should-match query over the same terms.
//!
//! `cargo run --release -p techex-matching --example word_groups_zipf`
//!
//! 100,000 documents of 150 words drawn from 50,000 by Zipf's law; 3,000 queries of
//! 2–6 words, each word common (one of the 100 most frequent) or not (ranks
//! 100–5,100) with even odds, requiring most of them, as a search does. Prints
//! milliseconds per query (top ten and the count of matches) for each of three
//! passes.

use std::time::Instant;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Schema, TEXT};
use tantivy::{Index, Searcher, TantivyDocument, Term};
use techex_matching::word_groups::{GroupedTerm, WordGroupsQuery};

const DOCUMENTS: usize = 100_000;
const WORDS_PER_DOCUMENT: usize = 150;
const VOCABULARY: usize = 50_000;
const QUERIES: usize = 3_000;

/// A linear congruential generator: the same corpus on every run.
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() -> tantivy::Result<()> {
    let mut schema = Schema::builder();
    let text = schema.add_text_field("text", TEXT);
    let index = Index::create_in_ram(schema.build());
    let mut rng = Lcg(7);
    let mut cumulative = Vec::with_capacity(VOCABULARY);
    let mut total = 0.0;
    for rank in 0..VOCABULARY {
        total += 1.0 / (rank as f64 + 2.0);
        cumulative.push(total);
    }
    let mut writer = index.writer_with_num_threads(2, 200_000_000)?;
    for _ in 0..DOCUMENTS {
        let words: Vec<String> = (0..WORDS_PER_DOCUMENT)
            .map(|_| {
                let draw = rng.unit() * total;
                format!("w{}", cumulative.partition_point(|&c| c < draw))
            })
            .collect();
        let mut doc = TantivyDocument::default();
        doc.add_text(text, words.join(" "));
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.merge(&index.searchable_segment_ids()?).wait()?;
    let reader = index.reader()?;
    reader.reload()?;
    let searcher = reader.searcher();

    let queries: Vec<(Vec<String>, usize)> = (0..QUERIES)
        .map(|n| {
            let words = 2 + n % 5;
            let terms = (0..words)
                .map(|_| {
                    let rank = if rng.unit() < 0.5 {
                        (rng.unit() * 100.0) as usize
                    } else {
                        100 + (rng.unit() * 5_000.0) as usize
                    };
                    format!("w{rank}")
                })
                .collect();
            let required = if words <= 2 {
                words
            } else {
                (2 * words).div_ceil(3)
            };
            (terms, required)
        })
        .collect();
    let ours: Vec<Box<dyn Query>> = queries
        .iter()
        .map(|(words, required)| word_groups(text, words, *required))
        .collect();
    let tantivy: Vec<Box<dyn Query>> = queries
        .iter()
        .map(|(words, required)| minimum_should_match(text, words, *required))
        .collect();
    for pass in 1..=3 {
        println!(
            "pass {pass}: word groups {:.3} ms/query, tantivy {:.3} ms/query",
            per_query(&searcher, &ours)?,
            per_query(&searcher, &tantivy)?
        );
    }
    Ok(())
}

fn word_groups(field: Field, words: &[String], required: usize) -> Box<dyn Query> {
    let terms = words
        .iter()
        .enumerate()
        .map(|(group, word)| GroupedTerm {
            term: Term::from_field_text(field, word),
            boost: 1.0,
            groups: GroupedTerm::group(group),
        })
        .collect();
    Box::new(WordGroupsQuery::new(terms, required))
}

fn minimum_should_match(field: Field, words: &[String], required: usize) -> Box<dyn Query> {
    let clauses = words
        .iter()
        .map(|word| {
            let term = TermQuery::new(
                Term::from_field_text(field, word),
                IndexRecordOption::WithFreqs,
            );
            (Occur::Should, Box::new(term) as Box<dyn Query>)
        })
        .collect();
    Box::new(BooleanQuery::with_minimum_required_clauses(
        clauses, required,
    ))
}

fn per_query(searcher: &Searcher, queries: &[Box<dyn Query>]) -> tantivy::Result<f64> {
    let started = Instant::now();
    for query in queries {
        searcher.search(
            query.as_ref(),
            &(TopDocs::with_limit(10).order_by_score(), Count),
        )?;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / queries.len() as f64)
}
