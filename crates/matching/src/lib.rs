//! techex matching: a tantivy index of published listings, free-text search with
//! filters and facets, and ranked, explained matches between offers and needs.
//!
//! - [`analysis`]: how Vietnamese and English text becomes terms (NFC, lower-case,
//!   diacritic folding so `nuoc thai` finds `nước thải`, English stems, and syllable
//!   bigrams, since Vietnamese words are mostly two syllables).
//! - [`document`]: what is indexed about a listing.
//! - [`index`]: the on-disk index with the outbox position in its commit payload.
//! - [`search`]: the catalogue search.
//! - [`facet_counts`]: its facet counts.
//! - [`snippet`]: its hits' highlighted excerpts.
//! - [`score`]: the match formula and its explanation.
//! - [`candidates`]: a match's candidates: the best by text among the listings it
//!   may match, and the first of its sectors.
//! - [`glossary`]: Vietnamese and English names of the same things, for matches
//!   across the two languages.
//! - [`lower_fold`]: lower-casing and diacritic folding from a table.
//! - [`tokenizer`]: where words begin and end, quickly for Vietnamese.
//! - [`word_groups`]: the query that requires most of a search's words.
//!
//! The index is derived data: the database is the truth, and the index can always
//! be rebuilt from it.

pub mod analysis;
pub mod candidates;
pub mod document;
pub mod eval;
pub mod facet_counts;
pub mod glossary;
pub mod index;
pub mod lower_fold;
pub mod score;
pub mod search;
pub mod snippet;
pub mod tokenizer;
pub mod word_groups;

pub use document::IndexedListing;
pub use index::{IndexError, ListingIndex};
pub use score::{Explanation, MatchWeights, ScoredMatch};
pub use search::{SearchFilters, SearchHit, SearchRequest, SearchResults};
