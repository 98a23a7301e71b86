//! Lower-casing and diacritic folding in one step: the tokens of tantivy's
//! `LowerCaser` followed by its `AsciiFoldingFilter`, from a table.
//!
//! Both filters map each character on its own, so their chain maps each character
//! to a short string. For the characters up to Latin Extended Additional (all of
//! Vietnamese) that string is read from a table, which the two filters themselves
//! fill once; other characters go through the filters. The two filters were a fifth
//! of a search's instructions: every hit's snippet text passes through them.

use std::cell::RefCell;
use std::mem;
use std::sync::LazyLock;

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};

/// Characters below this come from the table.
const TABLE_END: u32 = 0x1F00;

/// `tokenizer` followed by the two tantivy filters this one stands for.
fn with_tantivy_filters<T: Tokenizer>(tokenizer: T) -> TextAnalyzer {
    TextAnalyzer::builder(tokenizer)
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

thread_local! {
    static FILTERS: RefCell<TextAnalyzer> =
        RefCell::new(with_tantivy_filters(RawTokenizer::default()));
}

/// What the two filters make of `c`.
fn filtered(c: char) -> String {
    FILTERS.with_borrow_mut(|analyzer| {
        let mut text = [0; 4];
        let mut stream = analyzer.token_stream(c.encode_utf8(&mut text));
        if stream.advance() {
            stream.token().text.clone()
        } else {
            String::new()
        }
    })
}

static TABLE: LazyLock<Vec<Box<str>>> = LazyLock::new(|| {
    (0..TABLE_END)
        .map(|code| char::from_u32(code).map_or_else(String::new, filtered))
        .map(String::into_boxed_str)
        .collect()
});

fn push_folded(c: char, out: &mut String) {
    match TABLE.get(c as usize) {
        Some(folded) => out.push_str(folded),
        None => out.push_str(&filtered(c)),
    }
}

/// Lower-cases and folds diacritics: `Nước` → `nuoc`, `Đồng` → `dong`.
#[derive(Clone)]
pub struct LowerFold;

impl TokenFilter for LowerFold {
    type Tokenizer<T: Tokenizer> = LowerFoldFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> LowerFoldFilter<T> {
        LowerFoldFilter {
            tokenizer,
            buffer: String::new(),
        }
    }
}

#[derive(Clone)]
pub struct LowerFoldFilter<T> {
    tokenizer: T,
    buffer: String,
}

impl<T: Tokenizer> Tokenizer for LowerFoldFilter<T> {
    type TokenStream<'a> = LowerFoldStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.buffer.clear();
        LowerFoldStream {
            tail: self.tokenizer.token_stream(text),
            buffer: &mut self.buffer,
        }
    }
}

pub struct LowerFoldStream<'a, T> {
    tail: T,
    buffer: &'a mut String,
}

impl<T: TokenStream> TokenStream for LowerFoldStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let text = &mut self.tail.token_mut().text;
        if text.is_ascii() {
            text.make_ascii_lowercase();
        } else {
            self.buffer.clear();
            for c in text.chars() {
                push_folded(c, self.buffer);
            }
            mem::swap(text, self.buffer);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::SimpleTokenizer;

    use super::*;
    use crate::tokenizer::WordTokenizer;

    fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyzer.token_stream(text);
        let mut found = Vec::new();
        while stream.advance() {
            found.push(stream.token().text.clone());
        }
        found
    }

    #[test]
    fn every_character_folds_as_the_two_filters_fold_it() {
        let mut ours = TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerFold)
            .build();
        let mut theirs = with_tantivy_filters(RawTokenizer::default());
        // Every character, alone and between others, in and beyond the table.
        for c in (0..=0x2FFFF).filter_map(char::from_u32) {
            for text in [c.to_string(), format!("Ab{c}Ư")] {
                assert_eq!(
                    terms(&mut ours, &text),
                    terms(&mut theirs, &text),
                    "U+{:04X}",
                    c as u32
                );
            }
        }
    }

    #[test]
    fn texts_give_the_terms_they_gave_before() {
        let mut ours = TextAnalyzer::builder(WordTokenizer::default())
            .filter(LowerFold)
            .build();
        let mut before = with_tantivy_filters(SimpleTokenizer::default());
        for text in [
            "Công nghệ XỬ LÝ nước thải — Đồng Nai, Đắk Lắk",
            "Cong\u{302} nghe\u{323}\u{302}: İstanbul ΣΟΦΙΑ straße ǅemal ﬁlter Ⅻ",
            "wastewater TREATMENT 4.0, 日本語, ελληνικά",
        ] {
            assert_eq!(terms(&mut ours, text), terms(&mut before, text), "{text}");
        }
    }
}
