//! A bilingual glossary (`data/glossary.tsv`): the Vietnamese and English names of
//! the things technology listings are about. A need written in one language shares
//! few words with an offer written in the other; the glossary gives a match the
//! other language's names of the phrases the source uses (`nước thải` →
//! `wastewater`, `heat pump` → `bơm nhiệt`), as index terms.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::{Arc, LazyLock};

use crate::analysis::{self, Word};

/// One pair of names, each as folded words.
#[derive(Clone)]
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

/// Why an exchange's own glossary file was refused.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct GlossaryError {
    pub line: usize,
    pub reason: &'static str,
}

impl Glossary {
    /// The glossary shipped with techex.
    pub fn builtin() -> Arc<Glossary> {
        static BUILTIN: LazyLock<Arc<Glossary>> = LazyLock::new(|| {
            let mut glossary = Glossary {
                entries: Vec::new(),
                by_first_word: HashMap::new(),
            };
            // The shipped file is checked line by line by a test.
            for line in include_str!("../data/glossary.tsv").lines() {
                let _ = glossary.add_line(line);
            }
            Arc::new(glossary)
        });
        BUILTIN.clone()
    }

    /// The shipped glossary with an exchange's own pairs added: `text` in the same
    /// format (`vietnamese<TAB>english` lines, `#` comment lines, blank lines),
    /// every line checked.
    pub fn builtin_and(text: &str) -> Result<Glossary, GlossaryError> {
        let builtin = Self::builtin();
        let mut glossary = Glossary {
            entries: builtin.entries.clone(),
            by_first_word: builtin.by_first_word.clone(),
        };
        for (number, line) in text.lines().enumerate() {
            glossary.add_line(line).map_err(|reason| GlossaryError {
                line: number + 1,
                reason,
            })?;
        }
        Ok(glossary)
    }

    /// How many pairs of names it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds one `vietnamese<TAB>english` line; a comment or blank line adds
    /// nothing.
    fn add_line(&mut self, line: &str) -> Result<(), &'static str> {
        if line.trim().is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let Some((vietnamese, english)) = line.split_once('\t') else {
            return Err("expected a Vietnamese name, a tab and an English name");
        };
        let folded = |name: &str| -> Vec<String> {
            analysis::words(name)
                .into_iter()
                .map(|w| w.folded)
                .collect()
        };
        let entry = Entry {
            vietnamese: folded(vietnamese),
            english: folded(english),
        };
        if entry.vietnamese.len() < 2 {
            // Folded, a single syllable is ambiguous: `tom` is tôm and tóm.
            return Err("the Vietnamese name must have at least two syllables");
        }
        if entry.english.is_empty() {
            return Err("the English name has no word");
        }
        let at = self.entries.len();
        for (name, is_vietnamese) in [(&entry.vietnamese, true), (&entry.english, false)] {
            self.by_first_word
                .entry(name[0].clone())
                .or_default()
                .push((at, is_vietnamese));
        }
        self.entries.push(entry);
        Ok(())
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
    fn an_exchanges_own_pairs_are_added_to_the_shipped_ones() {
        let glossary =
            Glossary::builtin_and("# Our specialty\n\nnước mắm\tfish sauce\r\n").unwrap();
        assert_eq!(glossary.len(), Glossary::builtin().len() + 1);
        let found = glossary.translate(&analysis::words("Rut ngan thoi gian u nuoc mam"));
        assert_eq!(found.pairs, ["fish_sauce"]);
        let found = glossary.translate(&analysis::words("Fish sauce and wastewater"));
        assert!(found.pairs.contains(&"nuoc_mam".to_owned()), "{found:?}");
        assert!(
            found.pairs.contains(&"nuoc_thai".to_owned()),
            "shipped pairs stay"
        );
        assert!(
            Glossary::builtin()
                .translate(&analysis::words("nuoc mam"))
                .found
                .is_empty(),
            "the shipped glossary is unchanged"
        );
    }

    #[test]
    fn a_bad_line_in_an_exchanges_glossary_is_refused_with_its_number() {
        for (text, line, reason) in [
            ("nước mắm fish sauce", 1, "a tab"),
            (
                "# one\nnước mắm\tfish sauce\ntôm\tshrimp",
                3,
                "two syllables",
            ),
            ("nước mắm\t  -", 1, "no word"),
        ] {
            let error = Glossary::builtin_and(text).err().unwrap();
            assert_eq!(error.line, line, "{text}");
            assert!(error.to_string().contains(reason), "{error}");
        }
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
