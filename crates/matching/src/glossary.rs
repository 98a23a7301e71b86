//! A bilingual glossary (`data/glossary.tsv`): the Vietnamese and English names of
//! the things technology listings are about. A need written in one language shares
//! few words with an offer written in the other; the glossary gives a match the
//! other language's names of the phrases the source uses (`nước thải` →
//! `wastewater`, `heat pump` → `bơm nhiệt`), as index terms.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::LazyLock;

use crate::analysis::{self, Word};

/// One pair of names, each as folded words.
struct Entry {
    vietnamese: Vec<String>,
    english: Vec<String>,
}

pub struct Glossary {
    entries: Vec<Entry>,
    /// Every name's first word → (entry, whether that name is the Vietnamese one).
    by_first_word: HashMap<String, Vec<(usize, bool)>>,
}

/// The other language's names of the phrases found in a text, as index terms.
#[derive(Debug, Default, PartialEq)]
pub struct Translations {
    /// One-word names (English: `wastewater`), folded.
    pub words: Vec<String>,
    /// Their English stems.
    pub stems: Vec<String>,
    /// The word pairs of longer names (`nuoc_thai`), as the bigram field holds them.
    pub pairs: Vec<String>,
    /// What was found and what it was taken for, folded: `("nuoc thai", "wastewater")`.
    pub found: Vec<(String, String)>,
}

impl Glossary {
    /// The glossary shipped with techex.
    pub fn builtin() -> &'static Glossary {
        static BUILTIN: LazyLock<Glossary> =
            LazyLock::new(|| Glossary::parse(include_str!("../data/glossary.tsv")));
        &BUILTIN
    }

    /// Reads `vietnamese<TAB>english` lines; `#` starts a comment line. A line
    /// without a tab, or whose Vietnamese name is one syllable, is skipped (the
    /// shipped file is checked by a test).
    fn parse(text: &str) -> Self {
        let folded = |name: &str| -> Vec<String> {
            analysis::words(name)
                .into_iter()
                .map(|w| w.folded)
                .collect()
        };
        let mut glossary = Self {
            entries: Vec::new(),
            by_first_word: HashMap::new(),
        };
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((vietnamese, english)) = line.split_once('\t') else {
                continue;
            };
            let entry = Entry {
                vietnamese: folded(vietnamese),
                english: folded(english),
            };
            if entry.vietnamese.len() < 2 || entry.english.is_empty() {
                continue;
            }
            let at = glossary.entries.len();
            for (name, is_vietnamese) in [(&entry.vietnamese, true), (&entry.english, false)] {
                glossary
                    .by_first_word
                    .entry(name[0].clone())
                    .or_default()
                    .push((at, is_vietnamese));
            }
            glossary.entries.push(entry);
        }
        glossary
    }

    /// Every glossary phrase in `text` (its words in order, as [`analysis::words`]
    /// gives them), each entry once: where it is and the other language's name.
    pub fn phrases<'a>(&'a self, text: &[Word]) -> Vec<Phrase<'a>> {
        let mut phrases = Vec::new();
        let mut seen = BTreeSet::new();
        for start in 0..text.len() {
            let Some(names) = self.by_first_word.get(&text[start].folded) else {
                continue;
            };
            for &(at, is_vietnamese) in names {
                let entry = &self.entries[at];
                let (name, other) = if is_vietnamese {
                    (&entry.vietnamese, &entry.english)
                } else {
                    (&entry.english, &entry.vietnamese)
                };
                let here = text[start..].iter().map(|w| &w.folded);
                if name.len() > text.len() - start || !here.zip(name).all(|(a, b)| a == b) {
                    continue;
                }
                if seen.insert(at) {
                    phrases.push(Phrase {
                        words: start..start + name.len(),
                        name,
                        other,
                    });
                }
            }
        }
        phrases
    }

    /// The other language's names of every glossary phrase in `text`, each term
    /// once.
    pub fn translate(&self, text: &[Word]) -> Translations {
        let mut translations = Translations::default();
        for phrase in self.phrases(text) {
            translations
                .found
                .push((phrase.name.join(" "), phrase.other.join(" ")));
            if let [word] = phrase.other {
                translations.words.push(word.clone());
                translations.stems.extend(analysis::stemmed_terms(word));
            } else {
                translations.pairs.extend(phrase.other_pairs());
            }
        }
        for terms in [
            &mut translations.words,
            &mut translations.stems,
            &mut translations.pairs,
        ] {
            let mut seen = BTreeSet::new();
            terms.retain(|term| seen.insert(term.clone()));
        }
        translations
    }
}

/// A glossary phrase found in a text.
#[derive(Debug)]
pub struct Phrase<'a> {
    /// Its words' positions in the text.
    pub words: Range<usize>,
    /// As found, folded.
    pub name: &'a [String],
    /// The other language's name, folded.
    pub other: &'a [String],
}

impl Phrase<'_> {
    /// The word pairs of the other language's name, as the bigram field holds them
    /// (`nuoc_thai`).
    pub fn other_pairs(&self) -> impl Iterator<Item = String> + '_ {
        self.other.windows(2).map(|pair| pair.join("_"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translate(text: &str) -> Translations {
        Glossary::builtin().translate(&analysis::words(text))
    }

    #[test]
    fn every_shipped_line_is_a_pair_with_a_vietnamese_name_of_two_syllables() {
        let text = include_str!("../data/glossary.tsv");
        let pairs = text.lines().filter(|l| !l.starts_with('#')).count();
        assert!(pairs > 200, "{pairs}");
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (vietnamese, english) = line.split_once('\t').expect(line);
            assert!(
                analysis::words(vietnamese).len() >= 2,
                "one syllable is ambiguous folded: {line}"
            );
            assert!(!analysis::words(english).is_empty(), "{line}");
            assert!(!english.contains('\t'), "{line}");
        }
        assert_eq!(Glossary::builtin().entries.len(), pairs);
    }

    #[test]
    fn vietnamese_phrases_get_english_terms_with_or_without_diacritics() {
        for text in [
            "Xử lý nước thải dệt nhuộm bằng keo tụ điện hóa",
            "xu ly nuoc thai det nhuom bang keo tu dien hoa",
        ] {
            let found = translate(text);
            assert!(found.words.contains(&"wastewater".to_owned()), "{found:?}");
            assert!(found.words.contains(&"electrocoagulation".to_owned()));
            assert!(found.pairs.contains(&"wastewater_treatment".to_owned()));
            assert!(found.pairs.contains(&"textile_dyeing".to_owned()));
            assert!(
                found.stems.contains(&"electrocoagul".to_owned()),
                "{found:?}"
            );
            assert!(
                found
                    .found
                    .contains(&("nuoc thai".to_owned(), "wastewater".to_owned()))
            );
        }
    }

    #[test]
    fn english_phrases_get_vietnamese_word_pairs() {
        let found = translate("A heat pump dryer for coffee, with heat recovery");
        assert!(found.pairs.contains(&"bom_nhiet".to_owned()), "{found:?}");
        assert!(found.pairs.contains(&"thu_hoi".to_owned()));
        assert!(found.pairs.contains(&"hoi_nhiet".to_owned()));
        assert!(
            found.words.is_empty(),
            "Vietnamese names are pairs: {found:?}"
        );
    }

    #[test]
    fn a_phrase_must_be_whole_and_unrelated_text_finds_nothing() {
        // `tóm tắt` folds to `tom tat`: not shrimp; `heat` alone is no heat pump.
        assert_eq!(
            translate("Tóm tắt: heat and pumps"),
            Translations::default()
        );
        assert_eq!(translate(""), Translations::default());
    }
}
