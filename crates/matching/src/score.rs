//! Matching a listing against listings of the other kind: candidates by text and by
//! sector, then one score per candidate that adds up weighted components, each of
//! them explained.
//!
//! score = Σ weightᵢ × valueᵢ, every value in [0, 1]:
//! - `text`: BM25 relevance of the candidate to this listing's own text (title,
//!   keywords, summary, description), divided by the best candidate's, so 1.0 is the
//!   most relevant text;
//! - `sector`: 1 for a shared code, 0.6 for a shared parent, 0.3 for the same field;
//! - `trl`: 1 when the offer's TRL reaches the need's minimum, minus 0.25 per level
//!   short; 0.5 when either side gives none;
//! - `transfer_mode`: the share of the need's modes the offer supports (0.5 if
//!   either names none);
//! - `price`: 1 when the price range meets the budget, less the further apart they
//!   are; 0.5 when unknown or in different currencies;
//! - `region`: 1 in the same province, 0.5 in the same region.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Score, TantivyDocument, Term};
use techex_domain::listing::{ListingKind, Price};
use techex_domain::taxonomy::Taxonomy;

use crate::analysis;
use crate::document::IndexedListing;
use crate::index::{IndexResult, ListingIndex};
use crate::search::{SearchFilters, filter_clauses, text_query};

/// How much each component counts. Defaults sum to 1; configurable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatchWeights {
    pub text: f32,
    pub sector: f32,
    pub trl: f32,
    pub transfer_mode: f32,
    pub price: f32,
    pub region: f32,
}

impl Default for MatchWeights {
    fn default() -> Self {
        Self {
            text: 0.5,
            sector: 0.2,
            trl: 0.1,
            transfer_mode: 0.08,
            price: 0.06,
            region: 0.06,
        }
    }
}

/// Candidates fetched by text and by sector before re-ranking.
const TEXT_CANDIDATES: usize = 150;
const SECTOR_CANDIDATES: usize = 100;

#[derive(Clone, Debug, Serialize)]
pub struct Component {
    /// text, sector, trl, transfer_mode, price or region.
    pub name: &'static str,
    pub weight: f32,
    /// In [0, 1].
    pub value: f32,
    /// weight × value; the contributions add up to the score.
    pub contribution: f32,
    /// A human note, e.g. "TRL 4, the need asks for 6".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// Words (and two-syllable words) both listings use, folded: `nuoc thai`.
    pub matched_terms: Vec<String>,
    pub components: Vec<Component>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScoredMatch {
    pub listing: IndexedListing,
    pub score: f32,
    pub explanation: Explanation,
}

/// The best `limit` listings of the other kind for `source`, from other
/// organisations, valid on `today`.
pub fn find_matches(
    index: &ListingIndex,
    source: &IndexedListing,
    weights: &MatchWeights,
    today: chrono::NaiveDate,
    limit: usize,
) -> IndexResult<Vec<ScoredMatch>> {
    let fields = index.fields();
    let searcher = index.searcher();
    let filters = SearchFilters {
        kind: Some(source.other_kind()),
        ..SearchFilters::default()
    };
    let restrict = |query: Box<dyn Query>| -> BooleanQuery {
        let mut clauses = filter_clauses(&fields, &filters, today);
        clauses.push((
            Occur::MustNot,
            Box::new(TermQuery::new(
                Term::from_field_text(fields.owner, &source.owner),
                IndexRecordOption::Basic,
            )),
        ));
        clauses.push((Occur::Must, query));
        BooleanQuery::new(clauses)
    };

    let mut text_scores: HashMap<DocAddress, Score> = HashMap::new();
    if let Some(text) = text_query(&fields, &source.query_text(), 48, 48) {
        for (score, address) in searcher.search(
            &restrict(text),
            &TopDocs::with_limit(TEXT_CANDIDATES).order_by_score(),
        )? {
            text_scores.insert(address, score);
        }
    }
    let mut candidates: BTreeSet<DocAddress> = text_scores.keys().copied().collect();
    let sector_terms: Vec<(Occur, Box<dyn Query>)> = sector_and_parents(&source.sectors)
        .into_iter()
        .map(|code| {
            let query: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(fields.sectors, &code),
                IndexRecordOption::Basic,
            ));
            (Occur::Should, query)
        })
        .collect();
    if !sector_terms.is_empty() {
        let by_sector = restrict(Box::new(BooleanQuery::new(sector_terms)));
        for (_, address) in searcher.search(
            &by_sector,
            &TopDocs::with_limit(SECTOR_CANDIDATES).order_by_score(),
        )? {
            candidates.insert(address);
        }
    }

    let best_text = text_scores.values().copied().fold(0.0_f32, f32::max);
    let (source_words, source_pairs) = analysis::query_terms(&source.query_text(), 200, 200);
    let mut matches = Vec::with_capacity(candidates.len());
    for address in candidates {
        let doc: TantivyDocument = searcher.doc(address)?;
        let candidate = index.profile(&doc)?;
        let text = if best_text > 0.0 {
            text_scores.get(&address).copied().unwrap_or(0.0) / best_text
        } else {
            0.0
        };
        let explanation = explain(source, &candidate, text, weights);
        let score = explanation.components.iter().map(|c| c.contribution).sum();
        matches.push(ScoredMatch {
            listing: candidate,
            score,
            explanation,
        });
    }
    matches.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.listing.id.cmp(&b.listing.id))
    });
    matches.truncate(limit);
    // Matched terms only for what is returned: tokenising every candidate is the
    // most expensive part of an explanation.
    for found in &mut matches {
        found.explanation.matched_terms =
            matched_terms(&found.listing, &source_words, &source_pairs);
    }
    Ok(matches)
}

fn sector_and_parents(codes: &[String]) -> Vec<String> {
    let taxonomy = Taxonomy::builtin();
    let mut all = BTreeSet::new();
    for code in codes {
        all.insert(code.clone());
        if let Some(parent) = taxonomy.ancestors(code).first() {
            all.insert((*parent).to_owned());
        }
    }
    all.into_iter().collect()
}

fn explain(
    source: &IndexedListing,
    candidate: &IndexedListing,
    text: f32,
    weights: &MatchWeights,
) -> Explanation {
    let (need, offer) = match source.kind {
        ListingKind::Need => (source, candidate),
        ListingKind::Offer => (candidate, source),
    };
    let mut components = Vec::new();
    let mut push = |name: &'static str, weight: f32, (value, note): (f32, Option<String>)| {
        let value = value.clamp(0.0, 1.0);
        components.push(Component {
            name,
            weight,
            value,
            contribution: weight * value,
            note,
        });
    };
    push("text", weights.text, (text, None));
    push(
        "sector",
        weights.sector,
        sector_score(&source.sectors, &candidate.sectors),
    );
    push("trl", weights.trl, trl_score(need.trl, offer.trl));
    push(
        "transfer_mode",
        weights.transfer_mode,
        mode_score(need, offer),
    );
    push(
        "price",
        weights.price,
        price_score(need.price.as_ref(), offer.price.as_ref()),
    );
    push(
        "region",
        weights.region,
        region_score(source.province.as_deref(), candidate.province.as_deref()),
    );
    Explanation {
        matched_terms: Vec::new(),
        components,
    }
}

fn sector_score(source: &[String], candidate: &[String]) -> (f32, Option<String>) {
    let taxonomy = Taxonomy::builtin();
    let mut best = 0.0_f32;
    let mut note = None;
    for a in source {
        for b in candidate {
            let (score, why) = if a == b {
                (1.0, format!("same sector {a}"))
            } else {
                let up_a = taxonomy.ancestors(a);
                let up_b = taxonomy.ancestors(b);
                let parent_a = up_a.first().copied().unwrap_or(a.as_str());
                let parent_b = up_b.first().copied().unwrap_or(b.as_str());
                let field_a = up_a.last().copied().unwrap_or(a.as_str());
                let field_b = up_b.last().copied().unwrap_or(b.as_str());
                if parent_a == b
                    || parent_b == a
                    || (parent_a == parent_b
                        && !up_a.is_empty()
                        && !up_b.is_empty()
                        && up_a.len() > 1)
                {
                    (0.6, format!("related sectors {a} and {b}"))
                } else if field_a == field_b {
                    (0.3, format!("same field {field_a}"))
                } else {
                    (0.0, String::new())
                }
            };
            if score > best {
                best = score;
                note = Some(why);
            }
        }
    }
    (best, note)
}

fn trl_score(minimum: Option<u8>, offered: Option<u8>) -> (f32, Option<String>) {
    match (minimum, offered) {
        (Some(minimum), Some(offered)) if offered >= minimum => (1.0, None),
        (Some(minimum), Some(offered)) => {
            let short = f32::from(minimum - offered);
            (
                1.0 - 0.25 * short,
                Some(format!("TRL {offered}, the need asks for {minimum}")),
            )
        }
        _ => (0.5, Some("TRL not given on both sides".into())),
    }
}

fn mode_score(need: &IndexedListing, offer: &IndexedListing) -> (f32, Option<String>) {
    if need.transfer_modes.is_empty() || offer.transfer_modes.is_empty() {
        return (0.5, None);
    }
    let shared = need
        .transfer_modes
        .iter()
        .filter(|m| offer.transfer_modes.contains(m))
        .count();
    let value = shared as f32 / need.transfer_modes.len() as f32;
    let note = (shared == 0).then(|| {
        let list = |modes: &[techex_domain::listing::TransferMode]| {
            modes
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "the offer is for {}, the need asks for {}",
            list(&offer.transfer_modes),
            list(&need.transfer_modes)
        )
    });
    (value, note)
}

fn price_score(budget: Option<&Price>, price: Option<&Price>) -> (f32, Option<String>) {
    let (Some(budget), Some(price)) = (budget, price) else {
        return (0.5, None);
    };
    if budget.currency != price.currency {
        return (
            0.5,
            Some(format!(
                "price in {}, budget in {}",
                price.currency, budget.currency
            )),
        );
    }
    let asking = price.min.or(price.max);
    let ceiling = budget.max.or(budget.min);
    match (asking, ceiling) {
        (Some(asking), Some(ceiling)) if asking <= ceiling => (1.0, None),
        (Some(asking), Some(ceiling)) => {
            let ratio = ceiling as f32 / asking as f32;
            let negotiable = if budget.negotiable || price.negotiable {
                " (negotiable)"
            } else {
                ""
            };
            (
                ratio.max(if negotiable.is_empty() { 0.0 } else { 0.5 }),
                Some(format!(
                    "price from {asking} {} exceeds the budget of {ceiling}{negotiable}",
                    price.currency
                )),
            )
        }
        _ => (0.5, None),
    }
}

fn region_score(a: Option<&str>, b: Option<&str>) -> (f32, Option<String>) {
    let (Some(a), Some(b)) = (a, b) else {
        return (0.0, None);
    };
    if a == b {
        return (1.0, Some(format!("both in {a}")));
    }
    let taxonomy = Taxonomy::builtin();
    let region = |code: &str| taxonomy.province(code).map(|p| p.region.clone());
    match (region(a), region(b)) {
        (Some(x), Some(y)) if x == y => (0.5, Some(format!("same region ({x})"))),
        _ => (0.0, None),
    }
}

fn matched_terms(candidate: &IndexedListing, words: &[String], pairs: &[String]) -> Vec<String> {
    let text = format!(
        "{} {} {}",
        candidate.title,
        candidate.keywords.join(" "),
        candidate.summary
    );
    let tokens = analysis::folded_tokens(&text);
    let candidate_words: BTreeSet<&String> = tokens.iter().collect();
    let candidate_pairs: BTreeSet<String> = analysis::bigrams(&tokens).into_iter().collect();
    let mut matched: Vec<String> = pairs
        .iter()
        .filter(|p| candidate_pairs.contains(*p))
        .map(|p| p.replace('_', " "))
        .collect();
    let covered: BTreeSet<String> = matched
        .iter()
        .flat_map(|p| p.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    matched.extend(
        words
            .iter()
            .filter(|w| candidate_words.contains(w) && !covered.contains(*w))
            .cloned(),
    );
    matched.truncate(12);
    matched
}
