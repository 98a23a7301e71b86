//! Words split at every character that is not a letter or a digit — tantivy's
//! `SimpleTokenizer`, with the same tokens — but deciding Vietnamese letters
//! without the Unicode tables. `char::is_alphanumeric` looks up every non-ASCII
//! character in them, and Vietnamese text is mostly such characters: that lookup
//! was an eighth of a search's instructions (snippets tokenise each hit's text).

use std::str::CharIndices;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Whether `c` is part of a word: exactly `char::is_alphanumeric`.
#[inline]
pub fn is_word_char(c: char) -> bool {
    match c {
        _ if c.is_ascii() => c.is_ascii_alphanumeric(),
        // Latin-1 letters (all but × and ÷), Latin Extended-A and -B, and Latin
        // Extended Additional (ạ, ế, ữ …): letters, every one of them.
        '\u{D7}' | '\u{F7}' => false,
        '\u{C0}'..='\u{24F}' | '\u{1E00}'..='\u{1EFF}' => true,
        _ => c.is_alphanumeric(),
    }
}

#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

pub struct WordTokenStream<'a> {
    text: &'a str,
    chars: CharIndices<'a>,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        self.token.reset();
        WordTokenStream {
            text,
            chars: text.char_indices(),
            token: &mut self.token,
        }
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        while let Some((start, c)) = self.chars.next() {
            if is_word_char(c) {
                let end = self
                    .chars
                    .find(|(_, c)| !is_word_char(*c))
                    .map_or(self.text.len(), |(offset, _)| offset);
                self.token.offset_from = start;
                self.token.offset_to = end;
                self.token.text.push_str(&self.text[start..end]);
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::SimpleTokenizer;

    use super::*;

    #[test]
    fn word_characters_are_exactly_the_alphanumeric_ones() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            assert_eq!(
                is_word_char(c),
                c.is_alphanumeric(),
                "{c:?} U+{:04X}",
                c as u32
            );
        }
    }

    fn tokens<T: Tokenizer>(mut tokenizer: T, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = tokenizer.token_stream(text);
        let mut found = Vec::new();
        while stream.advance() {
            let t = stream.token();
            found.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        found
    }

    #[test]
    fn tokens_are_those_of_the_simple_tokenizer() {
        for text in [
            "",
            "  ",
            "Công nghệ xử lý nước thải — 90% COD, Đồng Nai!",
            "Cong\u{302} nghe\u{323}\u{302}: decomposed × marks ÷ 2½ m³/ngày",
            "wastewater-treatment (electrocoagulation); IoT 4.0 ①② 日本語 ελληνικά",
            "tail",
        ] {
            assert_eq!(
                tokens(WordTokenizer::default(), text),
                tokens(SimpleTokenizer::default(), text),
                "{text}"
            );
        }
    }
}
