//! A search hit's snippet: the excerpt of its body where the searched words weigh
//! most, with them in `<b>…</b>` and the rest HTML-escaped.
//!
//! The rule is tantivy's `SnippetGenerator`'s: the text is cut into fragments of
//! at most [`FRAGMENT_BYTES`], each scored by the words it holds (a word found in
//! `n` listings counts 1 / (1 + n), so rare words weigh more), and the best one,
//! the first of equals, is shown. tantivy's lower-cases every token again into a
//! new string and looks it up in a sorted map; the field's tokens are already
//! folded, and a search has a handful of words, so each token is compared with
//! them as it comes. A snippet was half of a hit's cost.

use tantivy::query::Query;
use tantivy::schema::Field;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Score, Searcher, Term};

/// A fragment's length, in bytes of the text, as tantivy's default.
const FRAGMENT_BYTES: usize = 150;

/// The searched words of one field, ready to highlight any number of texts.
pub struct Highlighter {
    /// Each word as the field's analyzer folds it, with its weight.
    words: Vec<(String, Score)>,
    /// The field's own analyzer, so that a text's tokens are its indexed terms.
    analyzer: TextAnalyzer,
    /// The searched English stems, with their weights: a listing found through a
    /// stem (`reactor` for `reactors`) shows the word that made it match.
    stems: Vec<(String, Score)>,
    /// The stemmed field's analyzer, to stem a token.
    stemmer: TextAnalyzer,
}

/// The best fragment found so far, or being built.
#[derive(Default)]
struct Fragment {
    score: Score,
    start: usize,
    end: usize,
    words: Vec<(usize, usize)>,
}

impl Highlighter {
    /// The words of `query` in `field` and of its word pairs in `pair_field`
    /// (`wastewater_treatment`, a translation that found the listing), and its stems
    /// in `stem_field`, that occur in some listing.
    pub fn new(
        searcher: &Searcher,
        query: &dyn Query,
        field: Field,
        pair_field: Field,
        stem_field: Field,
    ) -> tantivy::Result<Self> {
        Ok(Self {
            words: weighted_terms(searcher, query, field, Some(pair_field))?,
            analyzer: searcher.index().tokenizer_for_field(field)?,
            stems: weighted_terms(searcher, query, stem_field, None)?,
            stemmer: searcher.index().tokenizer_for_field(stem_field)?,
        })
    }

    /// The best fragment of `text` as HTML, or `None` when no searched word is in it.
    pub fn html(&mut self, text: &str) -> Option<String> {
        if self.words.is_empty() && self.stems.is_empty() {
            return None;
        }
        let mut best = Fragment::default();
        let mut current = Fragment::default();
        let mut tokens = self.analyzer.token_stream(text);
        while let Some(token) = tokens.next() {
            if token.offset_to - current.start > FRAGMENT_BYTES {
                keep_better(&mut best, &mut current);
                current.start = token.offset_from;
            }
            current.end = token.offset_to;
            let weight = match self.words.iter().find(|(word, _)| *word == token.text) {
                Some((_, weight)) => Some(*weight),
                None => stem_weight(&mut self.stemmer, &self.stems, &token.text),
            };
            if let Some(weight) = weight {
                current.score += weight;
                current.words.push((token.offset_from, token.offset_to));
            }
        }
        keep_better(&mut best, &mut current);
        (best.score > 0.0).then(|| to_html(text, &best))
    }
}

/// The distinct terms of `query` in `field`, and the words of its pairs in
/// `pair_field`, found in some listing, each weighing 1 / (1 + the number of
/// listings it is in).
fn weighted_terms(
    searcher: &Searcher,
    query: &dyn Query,
    field: Field,
    pair_field: Option<Field>,
) -> tantivy::Result<Vec<(String, Score)>> {
    let mut terms = Vec::new();
    query.query_terms(&mut |term, _| {
        if term.field() == field {
            terms.push(term.clone());
        } else if Some(term.field()) == pair_field
            && let Some(pair) = term.value().as_str()
        {
            terms.extend(pair.split('_').map(|w| Term::from_field_text(field, w)));
        }
    });
    terms.sort();
    terms.dedup();
    let mut weighted = Vec::with_capacity(terms.len());
    for term in &terms {
        let value = term.value();
        let Some(text) = value.as_str() else {
            continue;
        };
        let listings = searcher.doc_freq(term)?;
        if listings > 0 {
            weighted.push((text.to_owned(), 1.0 / (1.0 + listings as Score)));
        }
    }
    Ok(weighted)
}

/// The weight of the searched stem that `token` (a folded word) has, if any. A
/// stem is most of its word, so only a token that begins like a searched stem is
/// stemmed: a snippet stems a handful of its words, not all.
fn stem_weight(
    stemmer: &mut TextAnalyzer,
    stems: &[(String, Score)],
    token: &str,
) -> Option<Score> {
    const PREFIX: usize = 3;
    let begins_like = |stem: &str| {
        stem.len() >= PREFIX && token.as_bytes().starts_with(&stem.as_bytes()[..PREFIX])
    };
    if !stems.iter().any(|(stem, _)| begins_like(stem)) {
        return None;
    }
    let mut stream = stemmer.token_stream(token);
    let stemmed = stream.next()?.text.clone();
    stems
        .iter()
        .find(|(stem, _)| *stem == stemmed)
        .map(|(_, weight)| *weight)
}

/// Makes `current` the best if it scores higher (an earlier fragment wins a tie),
/// and clears it for the next fragment.
fn keep_better(best: &mut Fragment, current: &mut Fragment) {
    if current.score > best.score {
        std::mem::swap(best, current);
    }
    current.score = 0.0;
    current.words.clear();
}

fn to_html(text: &str, fragment: &Fragment) -> String {
    let mut html = String::with_capacity(fragment.end - fragment.start + 16);
    let mut from = fragment.start;
    for &(start, end) in &fragment.words {
        push_escaped(&mut html, &text[from..start]);
        html.push_str("<b>");
        push_escaped(&mut html, &text[start..end]);
        html.push_str("</b>");
        from = end;
    }
    push_escaped(&mut html, &text[from..fragment.end]);
    html
}

/// Appends `text` with the characters that mean something in HTML escaped.
pub fn push_escaped(html: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
        html.push_str(&rest[..at]);
        html.push_str(match rest.as_bytes()[at] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#x27;",
        });
        rest = &rest[at + 1..];
    }
    html.push_str(rest);
}

#[cfg(test)]
mod tests {
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
    use tantivy::snippet::SnippetGenerator;
    use tantivy::{Index, TantivyDocument, Term};

    use super::*;
    use crate::analysis;

    const TEXTS: [&str; 4] = [
        "Công nghệ xử lý nước thải dệt nhuộm bằng keo tụ điện hóa, giảm COD 90 % \
         trong 2 giờ; bùn thải ít hơn 40 %. Hệ thống <mô-đun> lắp đặt \"tại chỗ\" & vận \
         hành tự động. Nước thải sau xử lý đạt QCVN 40:2011.",
        "Electrocoagulation for textile wastewater: COD down 90 % in two hours, less \
         sludge; modular <units> & O'Neill's \"plug and play\" control. Wastewater \
         treatment plants of 50-500 m³/day.",
        "Máy sấy nông sản dùng năng lượng mặt trời, sấy cà phê và hạt điều.",
        "",
    ];

    /// The texts in a folded `body` field and a stemmed one; a `pairs` field is
    /// only searched for.
    fn index() -> (Index, Field, Field) {
        let mut schema = Schema::builder();
        let field = |schema: &mut tantivy::schema::SchemaBuilder, name, tokenizer| {
            schema.add_text_field(
                name,
                TextOptions::default().set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(tokenizer)
                        .set_index_option(IndexRecordOption::WithFreqsAndPositions),
                ),
            )
        };
        let body = field(&mut schema, "body", analysis::FOLDED);
        let stem = field(&mut schema, "body_stem", analysis::STEMMED);
        field(&mut schema, "pairs", analysis::FOLDED);
        let index = Index::create_in_ram(schema.build());
        analysis::register(index.tokenizers());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for text in TEXTS {
            let mut doc = TantivyDocument::default();
            doc.add_text(body, text);
            doc.add_text(stem, text);
            writer.add_document(doc).unwrap();
        }
        writer.commit().unwrap();
        (index, body, stem)
    }

    fn query(body: Field, words: &[&str]) -> BooleanQuery {
        BooleanQuery::new(
            words
                .iter()
                .map(|w| {
                    let term = TermQuery::new(
                        Term::from_field_text(body, w),
                        IndexRecordOption::WithFreqs,
                    );
                    (Occur::Should, Box::new(term) as Box<dyn Query>)
                })
                .collect(),
        )
    }

    #[test]
    fn snippets_are_those_of_tantivys_generator() {
        let (index, body, stem) = index();
        let searcher = index.reader().unwrap().searcher();
        for words in [
            &["nuoc", "thai", "cod"][..],
            &["wastewater", "units", "neill"],
            &["say", "ca", "phe"],
            &["tu", "dong", "qcvn"],
            &["absent"],
            &[],
        ] {
            let query = query(body, words);
            let tantivy = SnippetGenerator::create(&searcher, &query, body).unwrap();
            let mut ours = Highlighter::new(&searcher, &query, body, pairs(&index), stem).unwrap();
            for text in TEXTS {
                let expected = tantivy.snippet(text);
                let expected = (!expected.fragment().is_empty()).then(|| expected.to_html());
                assert_eq!(ours.html(text), expected, "{words:?} in {text}");
            }
        }
    }

    #[test]
    fn the_rarer_word_wins_and_the_first_of_equals() {
        let (index, body, stem) = index();
        let searcher = index.reader().unwrap().searcher();
        // `cod` is in two listings, `sludge` in one: the fragment with `sludge` wins.
        let mut highlighter = Highlighter::new(
            &searcher,
            &query(body, &["cod", "sludge"]),
            body,
            pairs(&index),
            stem,
        )
        .unwrap();
        let html = highlighter.html(TEXTS[1]).unwrap();
        assert!(html.contains("<b>sludge</b>"), "{html}");
        let mut highlighter = Highlighter::new(
            &searcher,
            &query(body, &["wastewater"]),
            body,
            pairs(&index),
            stem,
        )
        .unwrap();
        let html = highlighter.html(TEXTS[1]).unwrap();
        assert!(
            html.starts_with("Electrocoagulation for textile <b>wastewater</b>"),
            "{html}"
        );
    }

    #[test]
    fn a_word_found_through_its_stem_is_highlighted() {
        let (index, body, stem) = index();
        let searcher = index.reader().unwrap().searcher();
        // A search for `plant` finds `plants` through the stem.
        let query = TermQuery::new(
            Term::from_field_text(stem, "plant"),
            IndexRecordOption::WithFreqs,
        );
        let mut highlighter =
            Highlighter::new(&searcher, &query, body, pairs(&index), stem).unwrap();
        let html = highlighter.html(TEXTS[1]).unwrap();
        assert_eq!(html, "treatment <b>plants</b> of 50-500 m³/day");
        assert_eq!(highlighter.html(TEXTS[2]), None);
    }

    fn pairs(index: &Index) -> Field {
        index.schema().get_field("pairs").unwrap()
    }

    /// A listing found through a translated word pair shows the pair's words.
    #[test]
    fn the_words_of_a_searched_pair_are_highlighted() {
        let (index, body, stem) = index();
        let searcher = index.reader().unwrap().searcher();
        let query = TermQuery::new(
            Term::from_field_text(pairs(&index), "textile_wastewater"),
            IndexRecordOption::WithFreqs,
        );
        let mut highlighter =
            Highlighter::new(&searcher, &query, body, pairs(&index), stem).unwrap();
        let html = highlighter.html(TEXTS[1]).unwrap();
        assert!(
            html.starts_with("Electrocoagulation for <b>textile</b> <b>wastewater</b>:"),
            "{html}"
        );
    }

    #[test]
    fn html_characters_are_escaped() {
        let mut html = String::new();
        push_escaped(&mut html, r#"a<b>&"c"'d'"#);
        assert_eq!(html, "a&lt;b&gt;&amp;&quot;c&quot;&#x27;d&#x27;");
    }
}
