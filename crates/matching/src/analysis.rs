//! Text analysis shared by indexing and querying, so both sides agree on terms.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use tantivy::tokenizer::{
    Language, RemoveLongFilter, Stemmer, TextAnalyzer, TokenizerManager, WhitespaceTokenizer,
};

use crate::lower_fold::LowerFold;
use crate::tokenizer::WordTokenizer;

/// Lower-cased and diacritic-folded words: `Công nghệ` → `cong`, `nghe`.
pub const FOLDED: &str = "techex_folded";
/// As [`FOLDED`], then English stems: `treatments` → `treatment`.
pub const STEMMED: &str = "techex_stemmed";
/// Pre-built bigram terms separated by spaces (see [`bigrams`]).
pub const BIGRAMS: &str = "techex_bigrams";

/// Small stop lists: function words that carry no topic in either language.
const STOP_WORDS: &[&str] = &[
    // English
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into",
    "is", "it", "its", "of", "on", "or", "our", "that", "the", "this", "to", "was", "we", "with",
    "which", "will", "can", "per", // Vietnamese, folded
    "va", "cua", "cho", "cac", "mot", "nhung", "la", "co", "duoc", "trong", "voi", "de", "tai",
    "tu", "khi", "nay", "theo", "den", "ve", "tren", "da", "se", "bang", "cung", "nhu", "thi",
    "ma", "hay", "hoac", "nhieu", "can",
];

pub fn register(manager: &TokenizerManager) {
    manager.register(FOLDED, folded_analyzer());
    manager.register(STEMMED, stemmed_analyzer());
    manager.register(
        BIGRAMS,
        TextAnalyzer::builder(WhitespaceTokenizer::default()).build(),
    );
}

fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerFold)
        .filter(Stemmer::new(Language::English))
        .build()
}

fn folded_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerFold)
        .build()
}

/// NFC-normalises text: tantivy's ASCII folding only folds composed letters, and
/// text pasted from macOS often arrives decomposed (NFD).
pub fn normalise(text: &str) -> String {
    techex_domain::text::nfc(text)
}

/// The folded word tokens of `text`, in order.
pub fn folded_tokens(text: &str) -> Vec<String> {
    let mut analyzer = folded_analyzer();
    let normalised = normalise(text);
    let mut stream = analyzer.token_stream(&normalised);
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().text.clone());
    }
    tokens
}

/// The distinct English stems of `text`'s content words (for the `*_stem` fields).
pub fn stemmed_terms(text: &str) -> Vec<String> {
    let mut analyzer = stemmed_analyzer();
    let normalised = normalise(text);
    let mut stream = analyzer.token_stream(&normalised);
    let mut seen = BTreeSet::new();
    let mut stems = Vec::new();
    while stream.advance() {
        let stem = stream.token().text.clone();
        if stem.chars().count() > 2 && !is_stop_word(&stem) && seen.insert(stem.clone()) {
            stems.push(stem);
        }
    }
    stems
}

pub fn is_stop_word(term: &str) -> bool {
    // Asked for every token of every listing and query: a set, not a scan of the list.
    static SET: LazyLock<HashSet<&'static str>> =
        LazyLock::new(|| STOP_WORDS.iter().copied().collect());
    SET.contains(term)
}

/// Adjacent pairs of content words, joined by `_`: `xu_ly nuoc_thai …`. Most
/// Vietnamese words are two syllables, so a bigram is a word where a syllable alone
/// is ambiguous (`thai` in `nước thải` versus `Thái Bình`).
pub fn bigrams(tokens: &[String]) -> Vec<String> {
    tokens
        .windows(2)
        .filter(|pair| !is_stop_word(&pair[0]) && !is_stop_word(&pair[1]))
        .map(|pair| format!("{}_{}", pair[0], pair[1]))
        .collect()
}

/// The distinct content terms of `text` (folded words without stop words) and its
/// distinct bigrams, each capped, in first-seen order.
pub fn query_terms(text: &str, max_words: usize, max_bigrams: usize) -> (Vec<String>, Vec<String>) {
    let tokens = folded_tokens(text);
    let mut seen = BTreeSet::new();
    let words: Vec<String> = tokens
        .iter()
        .filter(|t| {
            !is_stop_word(t) && (t.chars().count() > 1 || t.chars().all(|c| c.is_ascii_digit()))
        })
        .filter(|t| seen.insert((*t).clone()))
        .take(max_words)
        .cloned()
        .collect();
    let mut seen = BTreeSet::new();
    let pairs: Vec<String> = bigrams(&tokens)
        .into_iter()
        .filter(|b| seen.insert(b.clone()))
        .take(max_bigrams)
        .collect();
    (words, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese_including_d_and_decomposed_input() {
        assert_eq!(
            folded_tokens("Công nghệ xử lý nước thải Đồng Nai"),
            ["cong", "nghe", "xu", "ly", "nuoc", "thai", "dong", "nai"]
        );
        let decomposed = "nu\u{031b}\u{0301}o\u{031b}c tha\u{0309}i"; // "nước thải" in NFD
        assert_eq!(folded_tokens(decomposed), ["nuoc", "thai"]);
    }

    #[test]
    fn bigrams_skip_stop_words() {
        let tokens = folded_tokens("xử lý nước thải của nhà máy");
        assert_eq!(
            bigrams(&tokens),
            ["xu_ly", "ly_nuoc", "nuoc_thai", "nha_may"]
        );
    }

    #[test]
    fn query_terms_are_distinct_content_words() {
        let (words, pairs) = query_terms(
            "The treatment of wastewater and the wastewater sludge",
            10,
            10,
        );
        assert_eq!(words, ["treatment", "wastewater", "sludge"]);
        assert_eq!(pairs, ["wastewater_sludge"]);
    }
}
