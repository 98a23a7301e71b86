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

use std::collections::BTreeSet;
use std::ops::Bound;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use serde::{Deserialize, Serialize};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocId, Score, SegmentReader, TantivyDocument, Term};
use techex_domain::listing::{ListingKind, Price, TransferMode};
use techex_domain::taxonomy::Taxonomy;

use crate::analysis;
use crate::candidates;
use crate::document::IndexedListing;
use crate::glossary::Translations;
use crate::index::{IndexResult, ListingIndex};
use crate::search::{SearchFilters, TRANSLATION_WEIGHT, any_of, filter_clauses, grouped_terms};
use crate::word_groups::WordGroupsQuery;

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
    let mut clauses = filter_clauses(&fields, &filters, today);
    clauses.push((
        Occur::MustNot,
        Box::new(TermQuery::new(
            Term::from_field_text(fields.owner, &source.owner),
            IndexRecordOption::Basic,
        )),
    ));
    let allowed = BooleanQuery::new(clauses);

    let mut text_scores: HashMap<DocAddress, Score> = HashMap::new();
    // The source text is analysed once: for the query and for the matched terms.
    let text = source.query_text();
    let tokens = analysis::words(&text);
    let translations = index.glossary().translate(&tokens);
    let stems = analysis::stems_of(&tokens);
    let (words, pairs) = analysis::terms_of(&tokens, 400, 400);
    // A published source is in the index itself: its own words must occur in at
    // least one other listing to be worth searching for.
    let own_id = Term::from_field_text(fields.id, &source.id);
    let min_doc_freq = 1 + u64::from(searcher.doc_freq(&own_id)? > 0);
    let (salient, telling) = salient_query(
        &searcher,
        &fields,
        &words,
        &stems,
        &pairs,
        &translations,
        min_doc_freq,
    );
    if let Some(text) = salient {
        // The filters are no part of the score: the text value is the text's own
        // relevance.
        for (score, address) in candidates::top_scoring(
            &searcher,
            text.as_ref(),
            &allowed,
            |segment| index.kind_range(segment, source.other_kind()),
            TEXT_CANDIDATES,
        )? {
            text_scores.insert(address, score);
        }
    }
    let mut candidates: BTreeSet<DocAddress> = text_scores.keys().copied().collect();
    candidates.extend(sector_candidates(&searcher, &fields, &allowed, source)?);

    let best_text = text_scores.values().copied().fold(0.0_f32, f32::max);
    let source_facts = Facts::of(source);
    // Score every candidate from fast fields; stored documents are read only for
    // the few returned.
    let mut readers: HashMap<u32, FactReader> = HashMap::new();
    // Ranked by the components' values alone; the notes that explain them are
    // written for the returned few.
    let mut scored: Vec<(f32, DocAddress, Facts, f32)> = Vec::with_capacity(candidates.len());
    for address in candidates {
        let reader = match readers.entry(address.segment_ord) {
            std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
            std::collections::hash_map::Entry::Vacant(entry) => entry.insert(FactReader::open(
                searcher.segment_reader(address.segment_ord),
            )?),
        };
        let facts = reader.read(address.doc_id);
        let text = if best_text > 0.0 {
            text_scores.get(&address).copied().unwrap_or(0.0) / best_text
        } else {
            0.0
        };
        let score = explain(source.kind, &source_facts, &facts, text, weights, false)
            .components
            .iter()
            .map(|c| c.contribution)
            .sum();
        scored.push((score, address, facts, text));
    }
    // Best first, equal scores in index order. Only the returned few are sorted:
    // a candidate carries its facts, and sorting hundreds moved them all.
    let order = |a: &(f32, DocAddress, Facts, f32), b: &(f32, DocAddress, Facts, f32)| {
        b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1))
    };
    if scored.len() > limit {
        scored.select_nth_unstable_by(limit, order);
        scored.truncate(limit);
    }
    scored.sort_unstable_by(order);
    let shared_terms = SourceTerms {
        telling: &telling,
        words: &words[..words.len().min(200)],
        pairs: &pairs[..pairs.len().min(200)],
        translated: &translations.found,
        // The words in order, for the phrases an explanation shows whole.
        sequence: &tokens,
        lone_words_shown: source.language != "vi",
    };
    let mut matches = Vec::with_capacity(scored.len());
    for (score, address, facts, text) in scored {
        let doc: TantivyDocument = searcher.doc(address)?;
        let listing = index.profile(&doc)?;
        let mut explanation = explain(source.kind, &source_facts, &facts, text, weights, true);
        explanation.matched_terms = shared_terms.matched_by(&listing);
        matches.push(ScoredMatch {
            listing,
            score,
            explanation,
        });
    }
    Ok(matches)
}

/// Terms chosen from a listing's text to find others like it.
const SALIENT_WORDS: usize = 16;
const SALIENT_STEMS: usize = 8;
const SALIENT_BIGRAMS: usize = 16;

/// A query over the listing's most telling terms: those that occur in the fewest
/// listings (and in at least `min_doc_freq`, so that a word of the source's own
/// is not chosen). A long description yields hundreds of terms; the rare ones
/// carry what it is about, and the common ones only cost time.
fn salient_query(
    searcher: &tantivy::Searcher,
    fields: &crate::index::Fields,
    words: &[String],
    stems: &[String],
    pairs: &[String],
    translations: &Translations,
    min_doc_freq: u64,
) -> (Option<Box<dyn Query>>, Vec<String>) {
    // A description yields hundreds of distinct terms: each is looked up in the
    // field's term dictionaries directly, and only the few kept are ordered.
    let rarest = |terms: &[String], field: tantivy::schema::Field, keep: usize| -> Vec<String> {
        let dictionaries: Vec<_> = searcher
            .segment_readers()
            .iter()
            .filter_map(|segment| segment.inverted_index(field).ok())
            .collect();
        let doc_freq = |term: &str| -> u64 {
            dictionaries
                .iter()
                .filter_map(|d| d.terms().get(term.as_bytes()).ok().flatten())
                .map(|info| u64::from(info.doc_freq))
                .sum()
        };
        let mut counted: Vec<(u64, usize)> = terms
            .iter()
            .enumerate()
            .map(|(position, term)| (doc_freq(term), position))
            .filter(|(df, _)| *df >= min_doc_freq)
            .collect();
        if counted.len() > keep {
            counted.select_nth_unstable(keep);
            counted.truncate(keep);
        }
        counted.sort_unstable();
        counted
            .into_iter()
            .map(|(_, position)| terms[position].clone())
            .collect()
    };
    // Numbers (quantities, years) say nothing about what a listing is.
    let words: Vec<String> = words
        .iter()
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
        .cloned()
        .collect();
    let words = rarest(&words, fields.body, SALIENT_WORDS);
    let stems = rarest(stems, fields.body_stem, SALIENT_STEMS);
    let pairs = rarest(pairs, fields.bigrams, SALIENT_BIGRAMS);
    let mut terms = grouped_terms(fields, &words, &stems, &pairs, 1.0);
    // The other language's names of the source's phrases, in any listing.
    terms.extend(grouped_terms(
        fields,
        &rarest(&translations.words, fields.body, SALIENT_WORDS),
        &rarest(&translations.stems, fields.body_stem, SALIENT_STEMS),
        &rarest(&translations.pairs, fields.bigrams, SALIENT_BIGRAMS),
        TRANSLATION_WEIGHT,
    ));
    let query =
        (!terms.is_empty()).then(|| Box::new(WordGroupsQuery::new(terms, 1)) as Box<dyn Query>);
    (query, pairs.into_iter().chain(words).collect())
}

/// Listings that share a sector with the source, and when there are too few, its
/// parent sector: they may use other words for the same thing. Within a sector,
/// they are taken in tiers, tightest first: all of the source's [`fits`], then all
/// but the last, down to none. Within a tier they are all alike to this query, so
/// the first ones in the index are taken without scoring.
fn sector_candidates(
    searcher: &tantivy::Searcher,
    fields: &crate::index::Fields,
    allowed: &BooleanQuery,
    source: &IndexedListing,
) -> IndexResult<BTreeSet<DocAddress>> {
    let taxonomy = Taxonomy::builtin();
    let codes = &source.sectors;
    let parents: Vec<String> = codes
        .iter()
        .filter_map(|code| taxonomy.ancestors(code).first().map(|p| (*p).to_owned()))
        .filter(|parent| !codes.contains(parent))
        .collect();
    let fits = fits(fields, source);
    let mut found = BTreeSet::new();
    for level in [&codes[..], &parents[..]] {
        if level.is_empty() {
            continue;
        }
        for tier in (0..=fits.len()).rev() {
            let wanted = SECTOR_CANDIDATES - found.len();
            if wanted == 0 {
                return Ok(found);
            }
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
                (Occur::Must, Box::new(allowed.clone())),
                (Occur::Must, any_of(fields.sectors, level)),
            ];
            clauses.extend(
                fits[..tier]
                    .iter()
                    .map(|fit| (Occur::Must, fit.box_clone())),
            );
            found.extend(candidates::first_matching(
                searcher,
                &BooleanQuery::new(clauses),
                wanted,
                &found,
            )?);
        }
    }
    Ok(found)
}

/// The filters by which a sector's listings are preferred, the weightiest first:
/// the source's TRL met, then a transfer mode shared, as far as the source gives
/// them (the two heaviest of the structured components after the sector). In a
/// sector of thousands, the hundred candidates then start with those that meet
/// the source's TRL and share a mode, not with the first hundred in the index. A
/// tier with fewer listings than wanted reads the whole sector; a province tier,
/// usually that sparse, cost a tenth of a match at 100,000 listings, so the
/// province is left to the ranking (docs/performance.md).
fn fits(fields: &crate::index::Fields, source: &IndexedListing) -> Vec<Box<dyn Query>> {
    let mut fits: Vec<Box<dyn Query>> = Vec::new();
    if let Some(trl) = source.trl {
        let trl = Term::from_field_u64(fields.trl, u64::from(trl));
        // A need's TRL is its minimum: offers at or above it meet it, and an
        // offer meets needs that ask for its level or less.
        let (lower, upper) = match source.kind {
            ListingKind::Need => (Bound::Included(trl), Bound::Unbounded),
            ListingKind::Offer => (Bound::Unbounded, Bound::Included(trl)),
        };
        fits.push(Box::new(RangeQuery::new(lower, upper)));
    }
    if !source.transfer_modes.is_empty() {
        let modes: Vec<String> = source
            .transfer_modes
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect();
        fits.push(any_of(fields.transfer_modes, &modes));
    }
    fits
}

/// What the structured components need to know about a listing.
#[derive(Debug, Default)]
struct Facts {
    trl: Option<u8>,
    sectors: Vec<String>,
    transfer_modes: Vec<TransferMode>,
    price: Option<Price>,
    province: Option<String>,
}

impl Facts {
    fn of(listing: &IndexedListing) -> Self {
        Self {
            trl: listing.trl,
            sectors: listing.sectors.clone(),
            transfer_modes: listing.transfer_modes.clone(),
            price: listing.price.clone(),
            province: listing.province.clone(),
        }
    }
}

/// Reads [`Facts`] from one segment's fast fields.
struct FactReader {
    trl: Column<u64>,
    price_min: Column<i64>,
    price_max: Column<i64>,
    negotiable: Column<u64>,
    currency: Strings,
    province: Strings,
    sectors: Strings,
    transfer_modes: Strings,
}

/// A string column whose values are looked up once: candidates share a few
/// sectors, provinces and modes, and each lookup searches the column's dictionary.
struct Strings {
    column: Option<StrColumn>,
    known: HashMap<u64, Option<String>>,
}

impl Strings {
    fn new(column: Option<StrColumn>) -> Self {
        Self {
            column,
            known: HashMap::new(),
        }
    }

    fn of(&mut self, doc: DocId) -> Vec<String> {
        let Some(column) = &self.column else {
            return Vec::new();
        };
        column
            .term_ords(doc)
            .filter_map(|ord| {
                self.known
                    .entry(ord)
                    .or_insert_with(|| {
                        let mut text = String::new();
                        column
                            .ord_to_str(ord, &mut text)
                            .ok()
                            .filter(|found| *found)
                            .map(|_| text)
                    })
                    .clone()
            })
            .collect()
    }
}

impl FactReader {
    fn open(segment: &SegmentReader) -> IndexResult<Self> {
        let fast = segment.fast_fields();
        Ok(Self {
            trl: fast.u64("trl")?,
            price_min: fast.i64("price_min")?,
            price_max: fast.i64("price_max")?,
            negotiable: fast.u64("negotiable")?,
            currency: Strings::new(fast.str("currency")?),
            province: Strings::new(fast.str("province")?),
            sectors: Strings::new(fast.str("sector_codes")?),
            transfer_modes: Strings::new(fast.str("transfer_modes")?),
        })
    }

    fn read(&mut self, doc: DocId) -> Facts {
        let currency = self.currency.of(doc).into_iter().next();
        Facts {
            trl: self.trl.first(doc).and_then(|t| u8::try_from(t).ok()),
            sectors: self.sectors.of(doc),
            transfer_modes: self
                .transfer_modes
                .of(doc)
                .iter()
                .filter_map(|m| m.parse().ok())
                .collect(),
            price: currency.map(|currency| Price {
                min: self.price_min.first(doc),
                max: self.price_max.first(doc),
                currency,
                negotiable: self.negotiable.first(doc) == Some(1),
            }),
            province: self.province.of(doc).into_iter().next(),
        }
    }
}

/// The components of a candidate's score, with their notes when `notes` is set
/// (the values are the same either way).
fn explain(
    source_kind: ListingKind,
    source: &Facts,
    candidate: &Facts,
    text: f32,
    weights: &MatchWeights,
    notes: bool,
) -> Explanation {
    let (need, offer) = match source_kind {
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
        sector_score(&source.sectors, &candidate.sectors, notes),
    );
    push("trl", weights.trl, trl_score(need.trl, offer.trl, notes));
    push(
        "transfer_mode",
        weights.transfer_mode,
        mode_score(&need.transfer_modes, &offer.transfer_modes, notes),
    );
    push(
        "price",
        weights.price,
        price_score(need.price.as_ref(), offer.price.as_ref(), notes),
    );
    push(
        "region",
        weights.region,
        region_score(
            source.province.as_deref(),
            candidate.province.as_deref(),
            notes,
        ),
    );
    Explanation {
        matched_terms: Vec::new(),
        components,
    }
}

/// How two sector codes relate, from closest to unrelated.
enum SectorRelation<'a> {
    Same,
    Related,
    SameField(&'a str),
    Unrelated,
}

impl SectorRelation<'_> {
    fn value(&self) -> f32 {
        match self {
            Self::Same => 1.0,
            Self::Related => 0.6,
            Self::SameField(_) => 0.3,
            Self::Unrelated => 0.0,
        }
    }
}

fn sector_relation<'a>(taxonomy: &'a Taxonomy, a: &'a str, b: &'a str) -> SectorRelation<'a> {
    if a == b {
        return SectorRelation::Same;
    }
    let up_a = taxonomy.ancestors(a);
    let up_b = taxonomy.ancestors(b);
    let parent_a = up_a.first().copied().unwrap_or(a);
    let parent_b = up_b.first().copied().unwrap_or(b);
    let field_a = up_a.last().copied().unwrap_or(a);
    let field_b = up_b.last().copied().unwrap_or(b);
    // One is the other's parent, or both share a parent below the top-level field
    // (children of the field itself are only of the same field).
    if parent_a == b || parent_b == a || (parent_a == parent_b && up_a.len() > 1) {
        SectorRelation::Related
    } else if field_a == field_b {
        SectorRelation::SameField(field_a)
    } else {
        SectorRelation::Unrelated
    }
}

fn sector_score(source: &[String], candidate: &[String], notes: bool) -> (f32, Option<String>) {
    let taxonomy = Taxonomy::builtin();
    let mut best: Option<(SectorRelation, &str, &str)> = None;
    for a in source {
        for b in candidate {
            let relation = sector_relation(taxonomy, a, b);
            if relation.value() > best.as_ref().map_or(0.0, |(r, _, _)| r.value()) {
                best = Some((relation, a, b));
            }
        }
    }
    let Some((relation, a, b)) = best else {
        return (0.0, None);
    };
    let note = notes.then(|| match relation {
        SectorRelation::Same => format!("same sector {a}"),
        SectorRelation::Related => format!("related sectors {a} and {b}"),
        SectorRelation::SameField(field) => format!("same field {field}"),
        SectorRelation::Unrelated => String::new(),
    });
    (relation.value(), note)
}

fn trl_score(minimum: Option<u8>, offered: Option<u8>, notes: bool) -> (f32, Option<String>) {
    match (minimum, offered) {
        (Some(minimum), Some(offered)) if offered >= minimum => (1.0, None),
        (Some(minimum), Some(offered)) => {
            let short = f32::from(minimum - offered);
            (
                1.0 - 0.25 * short,
                notes.then(|| format!("TRL {offered}, the need asks for {minimum}")),
            )
        }
        _ => (0.5, notes.then(|| "TRL not given on both sides".into())),
    }
}

fn mode_score(need: &[TransferMode], offer: &[TransferMode], notes: bool) -> (f32, Option<String>) {
    if need.is_empty() || offer.is_empty() {
        return (0.5, None);
    }
    let shared = need.iter().filter(|m| offer.contains(m)).count();
    let value = shared as f32 / need.len() as f32;
    let note = (notes && shared == 0).then(|| {
        let list = |modes: &[TransferMode]| {
            modes
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "the offer is for {}, the need asks for {}",
            list(offer),
            list(need)
        )
    });
    (value, note)
}

fn price_score(
    budget: Option<&Price>,
    price: Option<&Price>,
    notes: bool,
) -> (f32, Option<String>) {
    let (Some(budget), Some(price)) = (budget, price) else {
        return (0.5, None);
    };
    if budget.currency != price.currency {
        return (
            0.5,
            notes.then(|| format!("price in {}, budget in {}", price.currency, budget.currency)),
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
                notes.then(|| {
                    format!(
                        "price from {asking} {} exceeds the budget of {ceiling}{negotiable}",
                        price.currency
                    )
                }),
            )
        }
        _ => (0.5, None),
    }
}

fn region_score(a: Option<&str>, b: Option<&str>, notes: bool) -> (f32, Option<String>) {
    let (Some(a), Some(b)) = (a, b) else {
        return (0.0, None);
    };
    if a == b {
        return (1.0, notes.then(|| format!("both in {a}")));
    }
    let taxonomy = Taxonomy::builtin();
    let region = |code: &str| taxonomy.province(code).map(|p| p.region.as_str());
    match (region(a), region(b)) {
        (Some(x), Some(y)) if x == y => (0.5, notes.then(|| format!("same region ({x})"))),
        _ => (0.0, None),
    }
}

/// What a match's explanation may name of its source's text.
struct SourceTerms<'a> {
    /// The salient pairs (`nuoc_thai`) and words, rarest first: what the source is about.
    telling: &'a [String],
    /// The source's other content words and pairs, in the order of its text.
    words: &'a [String],
    pairs: &'a [String],
    /// Glossary phrases and their names in the other language.
    translated: &'a [(String, String)],
    /// The source's words in order.
    sequence: &'a [analysis::Word],
    /// Whether a word alone may be shown when not telling: not for Vietnamese.
    lone_words_shown: bool,
}

/// The most words of a shared phrase an explanation shows.
const PHRASE_WORDS: usize = 8;

impl SourceTerms<'_> {
    /// The terms `candidate` shares with the source, at most 12, the most telling
    /// first: the salient pairs and words, then glossary names for the source's
    /// phrases (`wastewater (nuoc thai)`), then any other shared pair or word.
    /// Bare numbers (and pairs with one) and single letters say nothing and are
    /// left out. A shared pair is shown within the phrase around it that both
    /// use: `xu ly nuoc thai`, rather than `xu ly`, `nuoc thai` and the seam
    /// `ly nuoc`.
    fn matched_by(&self, candidate: &IndexedListing) -> Vec<String> {
        const SHOWN: usize = 12;
        // Each field on its own, so that no pair or phrase runs from one into the
        // next (a title ending `may say`, a keyword `bom nhiet`).
        let fields: Vec<Vec<analysis::Word>> = [&candidate.title, &candidate.summary]
            .into_iter()
            .chain(&candidate.keywords)
            .map(|field| analysis::words(field))
            .collect();
        let candidate_words: HashSet<&str> =
            fields.iter().flatten().map(|w| w.folded.as_str()).collect();
        let candidate_pairs: HashSet<String> = fields
            .iter()
            .flat_map(|field| analysis::content_bigrams(field))
            .collect();
        let says_something = |term: &str| {
            term.chars().count() > 1
                && term
                    .split('_')
                    .all(|part| !part.chars().all(|c| c.is_ascii_digit()))
        };
        let shared = |term: &String| {
            candidate_pairs.contains(term) || candidate_words.contains(term.as_str())
        };
        // Whether a field of the candidate has these words in a row.
        let uses = |name: &[&str]| {
            fields.iter().any(|field| {
                field
                    .windows(name.len())
                    .any(|window| window.iter().zip(name).all(|(w, n)| w.folded == *n))
            })
        };
        let telling = self
            .telling
            .iter()
            .filter(|t| says_something(t) && shared(t));
        let translations = self
            .translated
            .iter()
            .filter(|(_, translation)| uses(&translation.split(' ').collect::<Vec<_>>()))
            .map(|(phrase, translation)| format!("{translation} ({phrase})"));
        // A Vietnamese syllable alone (`nghe` of `cong nghe`) says little: only
        // the telling ones are shown, and the rest within their pairs.
        let others = self
            .pairs
            .iter()
            .chain(self.words.iter().filter(|_| self.lone_words_shown))
            .filter(|t| says_something(t) && shared(t));
        let sequence = self.sequence;
        // The phrase around a pair's first place in the source, grown word by word
        // while the candidate uses it whole too: content words only, no number.
        let phrase_of = |term: &str| -> Option<Vec<&str>> {
            let (first, second) = term.split_once('_')?;
            let at = sequence
                .windows(2)
                .position(|pair| pair[0].folded == first && pair[1].folded == second)?;
            let joins = |i: usize| !sequence[i].stop && says_something(&sequence[i].folded);
            let used = |from: usize, to: usize| {
                uses(
                    &sequence[from..=to]
                        .iter()
                        .map(|w| w.folded.as_str())
                        .collect::<Vec<_>>(),
                )
            };
            let (mut from, mut to) = (at, at + 1);
            while from > 0 && joins(from - 1) && used(from - 1, to) {
                from -= 1;
            }
            while to + 1 < sequence.len() && joins(to + 1) && used(from, to + 1) {
                to += 1;
            }
            (to - from > 1).then(|| {
                sequence[from..=to]
                    .iter()
                    .map(|w| w.folded.as_str())
                    .collect()
            })
        };
        let mut matched: Vec<String> = Vec::with_capacity(SHOWN);
        let mut covered: HashSet<String> = HashSet::new();
        let mut push = |term: String, matched: &mut Vec<String>| {
            // A word or pair already shown within a pair or phrase adds nothing.
            if matched.len() == SHOWN || covered.contains(&term) {
                return;
            }
            match phrase_of(&term) {
                Some(phrase) => {
                    covered.extend(phrase.iter().map(|w| (*w).to_owned()));
                    covered.extend(phrase.windows(2).map(|pair| pair.join("_")));
                    // A long shared run (a copied sentence) is shown by its start.
                    let shown = &phrase[..phrase.len().min(PHRASE_WORDS)];
                    let ellipsis = if shown.len() < phrase.len() {
                        " …"
                    } else {
                        ""
                    };
                    matched.push(format!("{}{ellipsis}", shown.join(" ")));
                }
                // Nor does a pair of two words already shown (`ecg spo2`).
                None if term.split('_').all(|word| covered.contains(word)) => {}
                None => {
                    covered.extend(term.split('_').map(str::to_owned));
                    covered.insert(term.clone());
                    matched.push(term.replace('_', " "));
                }
            }
        };
        // Lazily, and no further than the terms shown: a source has hundreds of
        // words and pairs, each looked up in the candidate's.
        for term in telling.cloned().chain(translations).chain(others.cloned()) {
            if matched.len() == SHOWN {
                break;
            }
            push(term, &mut matched);
        }
        // A term shown before a phrase that holds it (`nuoc thai`, then `xu ly
        // nuoc thai`) adds nothing either.
        let runs: Vec<Vec<&str>> = matched.iter().map(|t| t.split(' ').collect()).collect();
        let within = |run: &[&str], other: &[&str]| {
            run.len() < other.len() && other.windows(run.len()).any(|part| part == run)
        };
        let mut kept = runs
            .iter()
            .map(|run| !runs.iter().any(|other| within(run, other)))
            .collect::<Vec<_>>()
            .into_iter();
        matched.retain(|_| kept.next().unwrap_or(true));
        matched
    }
}

#[cfg(test)]
mod tests {
    use techex_domain::listing::ListingKind;

    use super::*;

    fn offer(title: &str, summary: &str) -> IndexedListing {
        IndexedListing {
            id: "o1".into(),
            kind: ListingKind::Offer,
            owner: "institute".into(),
            language: "vi".into(),
            title: title.into(),
            summary: summary.into(),
            description: String::new(),
            keywords: vec![],
            sectors: vec![],
            trl: None,
            ip_status: None,
            transfer_modes: vec![],
            price: None,
            province: None,
            external_ref: None,
            published_at: 0,
            valid_until: chrono::NaiveDate::MAX,
        }
    }

    /// The terms an explanation shows for `candidate`, of a source with `text` in
    /// `language` whose salient terms are `telling`.
    fn shown(
        text: &str,
        language: &str,
        telling: &[&str],
        candidate: &IndexedListing,
    ) -> Vec<String> {
        let tokens = analysis::words(text);
        let (words, pairs) = analysis::terms_of(&tokens, 400, 400);
        let telling: Vec<String> = telling.iter().map(|t| (*t).to_owned()).collect();
        SourceTerms {
            telling: &telling,
            words: &words,
            pairs: &pairs,
            translated: &[],
            sequence: &tokens,
            lone_words_shown: language != "vi",
        }
        .matched_by(candidate)
    }

    #[test]
    fn shared_phrases_are_shown_whole_and_lone_syllables_only_when_telling() {
        let candidate = offer(
            "Công nghệ xử lý nước thải dệt nhuộm",
            "Giảm màu và COD; vận hành đơn giản, chi phí thấp.",
        );
        let text = "Cần công nghệ xử lý nước thải dệt nhuộm có màu, COD cao. \
                    Vận hành đơn giản.";
        // The run both use is one phrase, found from its telling pair; `van hanh
        // don gian` is another. `màu` is shared but, alone, not telling.
        assert_eq!(
            shown(text, "vi", &["cod", "det_nhuom"], &candidate),
            [
                "cod",
                "cong nghe xu ly nuoc thai det nhuom",
                "van hanh don gian"
            ]
        );
        // An English word alone says more than a Vietnamese syllable does.
        assert_eq!(
            shown(text, "en", &["cod", "det_nhuom"], &candidate),
            [
                "cod",
                "cong nghe xu ly nuoc thai det nhuom",
                "van hanh don gian",
                "mau"
            ]
        );
    }

    #[test]
    fn phrases_stay_within_a_field_and_a_term_within_a_shown_phrase_is_dropped() {
        let mut candidate = offer("Máy sấy", "Tiết kiệm điện năng cho nông sản.");
        candidate.keywords = vec!["bơm nhiệt".into()];
        // The source says `máy sấy bơm nhiệt` in a row; the candidate's title
        // ends at `máy sấy`, and `bơm nhiệt` is a keyword of its own.
        let source = "máy sấy bơm nhiệt tiết kiệm điện năng";
        assert_eq!(
            shown(source, "vi", &["bom_nhiet", "may_say"], &candidate),
            ["bom nhiet", "may say", "tiet kiem dien nang"]
        );
        // `nuoc thai` first appears where the candidate does not follow, so it is
        // shown alone, until the phrase that holds it is found.
        let candidate = offer("Xử lý nước thải dệt nhuộm", "");
        let source = "Nước thải sinh hoạt. Xử lý nước thải dệt nhuộm";
        assert_eq!(
            shown(source, "vi", &["nuoc_thai"], &candidate),
            ["xu ly nuoc thai det nhuom"]
        );
    }

    #[test]
    fn a_long_shared_run_is_shown_by_its_start_and_a_pair_within_a_shown_phrase_is_not_repeated() {
        let sentence = "máy sấy bơm nhiệt tiết kiệm điện năng nông sản dược liệu";
        let candidate = offer("Máy sấy", sentence);
        let terms = shown(sentence, "vi", &["duoc_lieu", "bom_nhiet"], &candidate);
        assert_eq!(terms, ["may say bom nhiet tiet kiem dien nang …"]);
        // A function word ends a phrase: `cho` (for) joins nothing.
        let sentence = "máy sấy bơm nhiệt cho nông sản";
        let candidate = offer("Máy sấy", sentence);
        let terms = shown(sentence, "vi", &["nong_san", "bom_nhiet"], &candidate);
        assert_eq!(terms, ["nong san", "may say bom nhiet"]);
    }
}
