//! Text analysis shared by indexing and querying, so both sides agree on terms.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::LazyLock;

use foldhash::{HashSet, HashSetExt};
use tantivy::tokenizer::{
    Language, RemoveLongFilter, Stemmer, TextAnalyzer, TokenizerManager, WhitespaceTokenizer,
};

use crate::lower_fold::LowerFold;
use crate::tokenizer::WordTokenizer;

/// Lower-cased and diacritic-folded words: `Công nghệ` → `cong`, `nghe`.
pub const FOLDED: &str = "techex_folded";
/// As [`FOLDED`], then English stems: `treatments` → `treatment`.
pub const STEMMED: &str = "techex_stemmed";
/// Pre-built bigram terms separated by spaces (see [`bigrams`]). Numbered: when the
/// way bigrams are built changes, so does the name, and an index built the old
/// way no longer matches the schema and is rebuilt from the outbox on start.
pub const BIGRAMS: &str = "techex_bigrams_3";

/// English function words, matched as typed.
const STOP_WORDS_EN: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "into",
    "is", "it", "its", "of", "on", "or", "our", "that", "the", "this", "to", "was", "we", "with",
    "which", "will", "can", "per",
];

/// Vietnamese function words, matched as typed, with their diacritics: folded,
/// most are also content words (`có` and `cơ khí`, `với` and `vôi`, `từ` and `tự
/// động`, `đã` and `Đà Nẵng`). `bằng` (`cân bằng`, `đồng bằng`) and `cần` (`Cần
/// Thơ`) are left out for the same reason.
const STOP_WORDS_VI: &[&str] = &[
    "và", "của", "cho", "các", "một", "những", "là", "có", "được", "trong", "với", "để", "tại",
    "từ", "khi", "này", "theo", "đến", "về", "trên", "đã", "sẽ", "cũng", "như", "thì", "mà", "hay",
    "hoặc", "nhiều",
];

/// The same words typed without diacritics, taken as function words only in a
/// text typed without them: in one with diacritics, `co` is `cơ` or `cô`, not
/// `có`. A query of nothing but such words searches for them all the same
/// ([`query_terms`]): `co khi` may well mean `cơ khí`.
const STOP_WORDS_VI_PLAIN: &[&str] = &[
    "va", "cua", "cho", "cac", "mot", "nhung", "la", "co", "duoc", "trong", "voi", "de", "tai",
    "tu", "khi", "nay", "theo", "den", "ve", "tren", "da", "se", "cung", "nhu", "thi", "ma", "hay",
    "hoac", "nhieu", "bang",
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

/// The distinct English stems of `text`'s content words (for the `*_stem` fields).
pub fn stemmed_terms(text: &str) -> Vec<String> {
    distinct_stems(
        analysed(stemmed_analyzer(), text)
            .into_iter()
            .filter(|w| !w.stop)
            .map(|w| w.folded),
    )
}

/// [`stemmed_terms`] of a text already analysed into [`words`]: its content words
/// stemmed as the stemmed analyzer stems them, without reading the text again (a
/// match's source is a whole description). The words go through the stemmer in
/// one stream: a stream per word made a stemmer per word, which cost more than
/// reading the text again.
pub fn stems_of(words: &[Word]) -> Vec<String> {
    // A folded word holds no whitespace: each is one token of the joined text.
    // Each word is stemmed once: its stem is the same at every occurrence, and
    // the stems keep the order of their first occurrence.
    let mut seen = HashSet::new();
    let content: Vec<&str> = words
        .iter()
        .filter(|w| !w.stop && seen.insert(w.folded.as_str()))
        .map(|w| w.folded.as_str())
        .collect();
    let joined = content.join(" ");
    let mut stemmer = TextAnalyzer::builder(WhitespaceTokenizer::default())
        .filter(Stemmer::new(Language::English))
        .build();
    let mut stream = stemmer.token_stream(&joined);
    let mut stems = Vec::with_capacity(content.len());
    while stream.advance() {
        stems.push(stream.token().text.clone());
    }
    distinct_stems(stems.into_iter())
}

/// The stems long enough to say something, each once, in order.
fn distinct_stems(stems: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    stems
        .filter(|stem| stem.chars().count() > 2 && seen.insert(stem.clone()))
        .collect()
}

/// A word of a text: lower-cased and folded (and stemmed, from
/// [`stemmed_terms`]), and whether it is a function word there — decided on the
/// word as typed, before folding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub folded: String,
    pub stop: bool,
}

/// The words of `text`, in order.
pub fn words(text: &str) -> Vec<Word> {
    analysed(folded_analyzer(), text)
}

/// The tokens `analyzer` makes of `text`, each marked as a function word or not.
fn analysed(mut analyzer: TextAnalyzer, text: &str) -> Vec<Word> {
    let normalised = normalise(text);
    let function_words = FunctionWords::of(&normalised);
    let mut stream = analyzer.token_stream(&normalised);
    let mut words = Vec::new();
    while stream.advance() {
        let token = stream.token();
        words.push(Word {
            folded: token.text.clone(),
            stop: function_words.contains(&normalised[token.offset_from..token.offset_to]),
        });
    }
    words
}

/// Which words are function words in one text.
struct FunctionWords {
    /// Whether the text is written with Vietnamese diacritics.
    diacritics: bool,
}

impl FunctionWords {
    fn of(text: &str) -> Self {
        Self {
            diacritics: text.chars().any(|c| !c.is_ascii() && c.is_alphabetic()),
        }
    }

    fn contains(&self, typed: &str) -> bool {
        const LISTS: [&[&str]; 3] = [STOP_WORDS_EN, STOP_WORDS_VI, STOP_WORDS_VI_PLAIN];
        // Asked for every token of every listing and query: sets, not scans.
        static SETS: LazyLock<[HashSet<&'static str>; 3]> =
            LazyLock::new(|| LISTS.map(|list| list.iter().copied().collect()));
        // Longer tokens (most of them) need no lower-casing or lookup.
        static LONGEST: LazyLock<usize> = LazyLock::new(|| {
            LISTS
                .iter()
                .flat_map(|l| l.iter())
                .map(|w| w.len())
                .max()
                .unwrap_or(0)
        });
        if typed.len() > *LONGEST {
            return false;
        }
        let lower = if typed.chars().any(char::is_uppercase) {
            Cow::Owned(typed.to_lowercase())
        } else {
            Cow::Borrowed(typed)
        };
        let [english, vietnamese, plain] = &*SETS;
        english.contains(&*lower)
            || vietnamese.contains(&*lower)
            || (!self.diacritics && plain.contains(&*lower))
    }
}

/// Adjacent pairs of words, joined by `_`: `xu_ly nuoc_thai …`. Most Vietnamese
/// words are two syllables, so a bigram is a word where a syllable alone is
/// ambiguous (`thai` in `nước thải` versus `Thái Bình`). Every pair is indexed,
/// function words included: `từ` is *from* but `từ tính` is magnetism, and typed
/// without diacritics `tu dong` is `tự động`.
pub fn bigrams(words: &[Word]) -> Vec<String> {
    pairs(words, |_| true)
}

/// The pairs of two content words: those that say what a whole description is
/// about (a match's salient pairs, its explanation), where `thai_cua` says nothing.
pub fn content_bigrams(words: &[Word]) -> Vec<String> {
    pairs(words, |pair| !pair[0].stop && !pair[1].stop)
}

fn pairs(words: &[Word], keep: impl Fn(&[Word]) -> bool) -> Vec<String> {
    words
        .windows(2)
        .filter(|pair| keep(pair))
        .map(|pair| format!("{}_{}", pair[0].folded, pair[1].folded))
        .collect()
}

/// The distinct pairs of a search's text, function words included, capped.
pub fn query_pairs(text: &str, max: usize) -> Vec<String> {
    pairs_of(&words(text), max)
}

/// [`query_pairs`] of a text's [`words`].
pub fn pairs_of(words: &[Word], max: usize) -> Vec<String> {
    let mut seen = BTreeSet::new();
    bigrams(words)
        .into_iter()
        .filter(|b| seen.insert(b.clone()))
        .take(max)
        .collect()
}

/// The distinct content terms of `text` (folded words without stop words) and its
/// distinct pairs of content words, each capped, in first-seen order.
pub fn query_terms(text: &str, max_words: usize, max_bigrams: usize) -> (Vec<String>, Vec<String>) {
    terms_of(&words(text), max_words, max_bigrams)
}

/// [`query_terms`] of a text's [`words`].
pub fn terms_of(all: &[Word], max_words: usize, max_bigrams: usize) -> (Vec<String>, Vec<String>) {
    // A text of function words only (`the`, `co khi`) is searched for them, and
    // for their pairs.
    let only_function_words = all.iter().all(|w| w.stop);
    let mut seen = HashSet::new();
    let content: Vec<String> = all
        .iter()
        .filter(|w| only_function_words || !w.stop)
        .map(|w| w.folded.as_str())
        .filter(|t| t.chars().count() > 1 || t.chars().all(|c| c.is_ascii_digit()))
        .filter(|t| seen.insert(*t))
        .take(max_words)
        .map(str::to_owned)
        .collect();
    let pairs = if only_function_words {
        bigrams(all)
    } else {
        content_bigrams(all)
    };
    let mut seen = HashSet::new();
    let pairs: Vec<String> = pairs
        .into_iter()
        .filter(|b| seen.insert(b.clone()))
        .take(max_bigrams)
        .collect();
    (content, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folded(text: &str) -> Vec<String> {
        words(text).into_iter().map(|w| w.folded).collect()
    }

    fn stops(text: &str) -> Vec<String> {
        words(text)
            .into_iter()
            .filter(|w| w.stop)
            .map(|w| w.folded)
            .collect()
    }

    #[test]
    fn folds_vietnamese_including_d_and_decomposed_input() {
        assert_eq!(
            folded("Công nghệ xử lý nước thải Đồng Nai"),
            ["cong", "nghe", "xu", "ly", "nuoc", "thai", "dong", "nai"]
        );
        let decomposed = "nu\u{031b}\u{0301}o\u{031b}c tha\u{0309}i"; // "nước thải" in NFD
        assert_eq!(folded(decomposed), ["nuoc", "thai"]);
    }

    #[test]
    fn function_words_are_told_apart_before_folding() {
        // Content words that fold to a function word stay.
        for text in [
            "cơ khí",
            "trồng lúa",
            "vôi",
            "đèn LED",
            "Đà Nẵng",
            "tự động",
            "cân bằng",
            "đồng bằng",
            "Cần Thơ",
            "tái chế",
            "dược liệu",
            "vệ sinh",
            "ổn định",
            "tơ tằm",
        ] {
            assert_eq!(stops(text), Vec::<String>::new(), "{text}");
        }
        assert_eq!(
            stops("Có khi cần thiết bị của nhà máy trong tỉnh"),
            ["co", "khi", "cua", "trong"]
        );
        // In a text typed without diacritics the folded forms are function words…
        assert_eq!(
            stops("may say cho hop tac xa bang lo dien"),
            ["cho", "bang"]
        );
        // … but in one typed with them, `co` is `cơ` or `cô`.
        assert_eq!(stops("cô giáo co giãn"), Vec::<String>::new());
        assert_eq!(stops("The treatment OF water"), ["the", "of"]);
        let (words, pairs) = query_terms("cơ khí", 10, 10);
        assert_eq!(
            (words, pairs),
            (vec!["co".into(), "khi".into()], vec!["co_khi".into()])
        );
        // A query of function words only searches for them.
        let (words, pairs) = query_terms("co khi", 10, 10);
        assert_eq!(
            (words, pairs),
            (vec!["co".into(), "khi".into()], vec!["co_khi".into()])
        );
    }

    #[test]
    fn content_pairs_skip_function_words_and_indexed_pairs_do_not() {
        let text = words("xử lý nước thải của nhà máy");
        assert_eq!(
            content_bigrams(&text),
            ["xu_ly", "ly_nuoc", "nuoc_thai", "nha_may"]
        );
        assert_eq!(
            bigrams(&text),
            [
                "xu_ly",
                "ly_nuoc",
                "nuoc_thai",
                "thai_cua",
                "cua_nha",
                "nha_may"
            ]
        );
        assert_eq!(
            query_pairs("vật liệu từ tính, từ tính", 10),
            ["vat_lieu", "lieu_tu", "tu_tinh", "tinh_tu"]
        );
    }

    #[test]
    fn stems_of_analysed_words_are_the_stemmed_analyzers() {
        for text in [
            "The treatments of wastewaters and the treated sludge, treating it",
            "Công nghệ xử lý nước thải dệt nhuộm; máy sấy bơm nhiệt",
            "Cong nghe xu ly nuoc thai co khi chinh xac, drying dryers dried",
            "nu\u{031b}\u{0301}o\u{031b}c tha\u{0309}i and COD 900-1200 mg/L, 5G IoT-sensors",
            "",
        ] {
            assert_eq!(stems_of(&words(text)), stemmed_terms(text), "{text}");
        }
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
