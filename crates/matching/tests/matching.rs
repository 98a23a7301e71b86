//! The index, search and matching on small hand-made data.

#![expect(clippy::unwrap_used, reason = "a failed step is a failed test")]

use chrono::{Duration, NaiveDate, Utc};
use techex_domain::listing::{ListingKind, Price, TransferMode};
use techex_matching::score::find_matches;
use techex_matching::search::{SearchFilters, SearchRequest, WordMatch, search, text_query};
use techex_matching::{IndexedListing, ListingIndex, MatchWeights};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn listing(
    id: &str,
    kind: ListingKind,
    owner: &str,
    title: &str,
    summary: &str,
    sectors: &[&str],
) -> IndexedListing {
    IndexedListing {
        id: id.into(),
        kind,
        owner: owner.into(),
        language: "vi".into(),
        title: title.into(),
        summary: summary.into(),
        description: String::new(),
        keywords: vec![],
        sectors: sectors.iter().map(|s| s.to_string()).collect(),
        trl: Some(7),
        ip_status: None,
        transfer_modes: vec![TransferMode::Licence],
        price: None,
        province: Some("ha-noi".into()),
        external_ref: None,
        published_at: 1_700_000_000,
        valid_until: today() + Duration::days(30),
    }
}

fn corpus() -> ListingIndex {
    let index = ListingIndex::in_memory().unwrap();
    let offers = [
        (
            "o1",
            "Công nghệ xử lý nước thải dệt nhuộm",
            "Keo tụ điện hóa giảm 90% COD và độ màu nước thải nhà máy nhuộm.",
            &["2.7"][..],
        ),
        (
            "o2",
            "Hệ thống lọc nước sinh hoạt",
            "Lọc nước giếng khoan nhiễm sắt và asen cho hộ gia đình.",
            &["2.7"][..],
        ),
        (
            "o3",
            "Máy sấy nông sản bơm nhiệt",
            "Sấy cà phê, hồ tiêu tiết kiệm 40% điện năng.",
            &["2.3"][..],
        ),
        (
            "o4",
            "Wastewater treatment for seafood plants",
            "Anaerobic reactor cutting COD of seafood processing effluent.",
            &["2.7"][..],
        ),
    ];
    for (id, title, summary, sectors) in offers {
        add_offer(&index, id, title, summary, sectors);
    }
    index.commit(4).unwrap();
    index
}

/// An offer of the institute, not yet committed.
fn add_offer(index: &ListingIndex, id: &str, title: &str, summary: &str, sectors: &[&str]) {
    index
        .upsert(&listing(
            id,
            ListingKind::Offer,
            "institute",
            title,
            summary,
            sectors,
        ))
        .unwrap();
}

fn ids(hits: &[techex_matching::SearchHit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

fn request(text: &str) -> SearchRequest {
    SearchRequest {
        text: text.into(),
        filters: SearchFilters::default(),
        today: today(),
        offset: 0,
        limit: 10,
    }
}

#[test]
fn text_typed_without_diacritics_finds_vietnamese_listings() {
    let index = corpus();
    let results = search(&index, &request("cong nghe xu ly nuoc thai")).unwrap();
    assert_eq!(results.hits[0].id, "o1");
    assert!(
        results.hits[0].snippet.contains("<b>"),
        "{}",
        results.hits[0].snippet
    );
    let decomposed = search(
        &index,
        &request("xu\u{301} ly\u{301} nươ\u{301}c tha\u{309}i"),
    )
    .unwrap();
    assert_eq!(decomposed.hits[0].id, "o1", "NFD input is normalised");
}

#[test]
fn most_words_are_required_and_any_word_is_the_fallback() {
    let index = corpus();
    // o2 shares only "nuoc" with this query: it is not a result. o4 has four of
    // the six words, in English: "wastewater treatment" (xử lý nước thải).
    let results = search(&index, &request("xu ly nuoc thai det nhuom")).unwrap();
    assert_eq!(ids(&results.hits), ["o1", "o4"]);
    assert_eq!(results.total, 2);
    // Fewer than a page, but no other listing has half of the six words either.
    assert_eq!(results.partial_from, None);
    assert!(results.hits.iter().all(|h| !h.partial));
    assert_eq!(
        results.facets["kind"]["offer"], 2,
        "facets count the same matches"
    );
    // Two words, both required; with no listing having both, any one will do.
    assert_eq!(
        ids(&search(&index, &request("loc nuoc")).unwrap().hits),
        ["o2"]
    );
    let fallback = search(&index, &request("seafood zeolite")).unwrap();
    assert_eq!(ids(&fallback.hits), ["o4"]);
    // Four words, none with three: half of them will do (o2), one will not (o4).
    let half = search(&index, &request("loc nuoc seafood zeolite")).unwrap();
    assert_eq!(ids(&half.hits), ["o2"]);
    assert_eq!(half.partial_from, Some(0), "every result is partial");
    assert!(half.hits[0].partial);
    assert!(
        fallback.hits[0].partial,
        "the fallback's results are partial too"
    );
}

#[test]
fn a_long_query_few_listings_match_in_full_goes_on_with_partial_ones() {
    let index = corpus();
    for (id, title, summary) in [
        (
            "o5",
            "Máy sấy vải dệt nhuộm",
            "Sấy vải sau công đoạn nhuộm.",
        ),
        (
            "o6",
            "Thuốc nhuộm hoạt tính cho vải dệt",
            "Thuốc nhuộm bền màu cho sợi bông.",
        ),
    ] {
        add_offer(&index, id, title, summary, &["2.3"]);
    }
    index.commit(5).unwrap();
    // Only o1 treats dyeing wastewater; o5 and o6 are about dyeing alone, o4
    // about wastewater alone: they follow, marked partial.
    let results = search(&index, &request("nuoc thai det nhuom")).unwrap();
    assert_eq!(ids(&results.hits)[0], "o1");
    assert!(!results.hits[0].partial);
    let rest: std::collections::BTreeSet<&str> = ids(&results.hits)[1..].iter().copied().collect();
    assert_eq!(rest, ["o4", "o5", "o6"].into());
    assert!(results.hits[1..].iter().all(|h| h.partial));
    assert_eq!((results.total, results.partial_from), (4, Some(1)));
    assert_eq!(results.facets["kind"]["offer"], 4, "facets count them all");
    // Pages follow the same order, partial ones after the full one.
    let mut second = request("nuoc thai det nhuom");
    second.offset = 2;
    second.limit = 2;
    let paged = search(&index, &second).unwrap();
    assert_eq!(ids(&paged.hits), ids(&results.hits)[2..4]);
    assert!(paged.hits.iter().all(|h| h.partial));
    assert_eq!((paged.total, paged.partial_from), (4, Some(1)));
    // A page the full matches fill is not topped up: the total counts them alone.
    let mut first = request("nuoc thai det nhuom");
    first.limit = 1;
    let full = search(&index, &first).unwrap();
    assert_eq!(ids(&full.hits), ["o1"]);
    assert_eq!((full.total, full.partial_from), (1, None));
    // Half of a shorter query is a syllable: `nước thải` is not topped up with
    // every listing that says `thải` or `nước`.
    let short = search(&index, &request("nuoc thai")).unwrap();
    assert!(short.hits.iter().all(|h| !h.partial));
    assert_eq!(short.partial_from, None);
}

#[test]
fn a_search_finds_listings_in_the_other_language_through_the_glossary() {
    let index = corpus();
    // o5 treats images, not water: `xử lý` alone is no wastewater treatment.
    add_offer(
        &index,
        "o5",
        "Xử lý ảnh vệ tinh",
        "Xử lý và phân loại ảnh vệ tinh cho bản đồ đất.",
        &["5.1"],
    );
    index.commit(5).unwrap();
    // English words, Vietnamese listing: heat pump is bơm nhiệt, dryer máy sấy.
    let dryer = search(&index, &request("heat pump dryer")).unwrap();
    assert_eq!(ids(&dryer.hits), ["o3"]);
    // The snippet shows the words of the translation (`máy sấy`) that found it.
    assert!(
        dryer.hits[0].snippet.starts_with("<b>Sấy</b> cà phê"),
        "{}",
        dryer.hits[0].snippet
    );
    for query in ["wastewater treatment", "Wastewater Treatment plant"] {
        let results = search(&index, &request(query)).unwrap();
        assert_eq!(ids(&results.hits), ["o4", "o1"], "{query}");
    }
    // Vietnamese words, typed without diacritics: the listing with the words
    // themselves first, then the one in English.
    for query in ["xử lý nước thải", "xu ly nuoc thai"] {
        let results = search(&index, &request(query)).unwrap();
        assert_eq!(ids(&results.hits[..2]), ["o1", "o4"], "{query}");
        assert!(results.hits[0].score > results.hits[1].score);
        // o5, with `xử lý` alone, is at most a partial result after them.
        assert_eq!(results.partial_from, Some(2), "{query}");
        assert_eq!(ids(&results.hits[2..]), ["o5"], "{query}");
        assert!(results.hits[2].partial);
    }
    // A translation counts only for the words it translates: `nước thải`
    // (wastewater) is two of the four words, and o4 has no word for `sấy` or
    // `cà phê`.
    assert!(
        search(&index, &request("nuoc thai say ca phe"))
            .unwrap()
            .hits
            .iter()
            .all(|h| h.id != "o4")
    );
}

/// Typed in both languages, a phrase and its translation are the same terms:
/// each is read and scored once.
#[test]
fn a_query_in_both_languages_reads_each_term_once() {
    let index = corpus();
    let query = text_query(
        &index.searcher(),
        &index.fields(),
        index.glossary(),
        "bơm nhiệt heat pump, máy sấy dryer",
        32,
        32,
        WordMatch::Most,
    )
    .unwrap();
    let mut terms = Vec::new();
    query.query_terms(&mut |term, _| terms.push(term.clone()));
    let all = terms.len();
    terms.sort();
    terms.dedup();
    assert_eq!(terms.len(), all, "a term is read twice");
    let found = search(&index, &request("bơm nhiệt heat pump, máy sấy dryer")).unwrap();
    assert_eq!(ids(&found.hits), ["o3"]);
}

#[test]
fn words_side_by_side_beat_the_same_syllables_apart() {
    // `cơ khí` (mechanical engineering) against a listing full of `khí` (gas)
    // with a `cơ` (organic) elsewhere: the two-syllable word decides.
    let index = corpus();
    for (id, title, summary) in [
        (
            "o6",
            "Lò đốt rác sinh hoạt",
            "Khí thải, khí lò và khí nóng được làm sạch; chất hữu cơ phân hủy hết, khí ra ống khói đạt chuẩn.",
        ),
        (
            "o7",
            "Xưởng chế tạo chi tiết máy",
            "Dịch vụ gia công cơ khí chính xác cho nhà máy, đúc và tiện phay.",
        ),
    ] {
        add_offer(&index, id, title, summary, &["2.3"]);
    }
    index.commit(6).unwrap();
    for query in ["cơ khí", "co khi"] {
        let results = search(&index, &request(query)).unwrap();
        assert_eq!(ids(&results.hits), ["o7", "o6"], "{query}");
    }
}

#[test]
fn pairs_span_function_words() {
    // `từ` is "from", but `từ tính` is magnetism; typed plain, `tu dong` is `tự động`.
    let index = corpus();
    for (id, title, summary) in [
        ("o8", "Nam châm ferit", "Vật liệu từ tính cho động cơ điện."),
        (
            "o9",
            "Vật liệu cách nhiệt tính năng cao",
            "Tấm cách nhiệt chở từ nhà máy đến công trình.",
        ),
        ("o10", "Dây chuyền cân hàng", "Hệ thống tự động cân hàng."),
        ("o11", "Đồng hồ đo điện", "Đồng hồ điện tử ba pha."),
    ] {
        add_offer(&index, id, title, summary, &["2.3"]);
    }
    index.commit(6).unwrap();
    let first = |query: &str| search(&index, &request(query)).unwrap().hits[0].id.clone();
    assert_eq!(first("tu dong"), "o10");
    assert_eq!(first("vật liệu từ tính"), "o8");
}

#[test]
fn a_filter_that_leaves_out_every_full_match_leaves_a_short_query_no_results() {
    let index = corpus();
    add_offer(
        &index,
        "o5",
        "Máy sấy vải dệt nhuộm",
        "Sấy vải sau công đoạn nhuộm.",
        &["2.3"],
    );
    index.commit(5).unwrap();
    assert_eq!(
        ids(&search(&index, &request("thai nhuom")).unwrap().hits),
        ["o1"]
    );
    // o1 has both words but not the sector: o5, with one of the two, is no answer.
    let mut filtered = request("thai nhuom");
    filtered.filters.sectors = vec!["2.3".into()];
    let results = search(&index, &filtered).unwrap();
    assert_eq!((results.total, results.hits.len()), (0, 0));
    // A longer query goes on with listings that have half of its words, partial,
    // under the filter as without it.
    let mut long = request("nuoc thai det nhuom");
    long.filters.sectors = vec!["2.3".into()];
    let results = search(&index, &long).unwrap();
    assert_eq!(ids(&results.hits), ["o5"]);
    assert_eq!(results.partial_from, Some(0));
    // With no listing anywhere having most of the words, the filter keeps the
    // looser answer.
    let mut loose = request("say det nhuom seafood zeolite");
    loose.filters.sectors = vec!["2.3".into()];
    assert_eq!(ids(&search(&index, &loose).unwrap().hits), ["o5"]);
}

#[test]
fn facet_counts_follow_changes_deletions_and_merges() {
    let index = corpus();
    let browse = request("");
    let before = search(&index, &browse).unwrap().facets;
    assert_eq!(before["province"]["ha-noi"], 4);
    assert_eq!(before["trl"]["7"], 4);
    assert_eq!(before["transfer_mode"]["licence"], 4);
    assert!(!before["kind"].contains_key("need"));

    // An edit lands in a new segment; the old version must no longer be counted.
    let mut moved = listing(
        "o3",
        ListingKind::Offer,
        "institute",
        "Máy sấy nông sản bơm nhiệt",
        "Sấy cà phê.",
        &["2.3"],
    );
    moved.province = Some("da-nang".into());
    moved.trl = Some(5);
    index.upsert(&moved).unwrap();
    index.delete("o4");
    index.commit(6).unwrap();
    let after = search(&index, &browse).unwrap().facets;
    assert_eq!(after["province"]["ha-noi"], 2);
    assert_eq!(after["province"]["da-nang"], 1);
    assert_eq!(after["trl"]["7"], 2);
    assert_eq!(after["trl"]["5"], 1);
    assert_eq!(after["sector"]["2.7"], 2);
    assert_eq!(after["kind"]["offer"], 3);

    index.merge_segments().unwrap();
    assert_eq!(search(&index, &browse).unwrap().facets, after);
    // Counted over the matches only.
    let dryer = search(&index, &request("may say nong san")).unwrap();
    assert_eq!(dryer.total, 1);
    assert_eq!(dryer.facets["province"].len(), 1);
    assert_eq!(dryer.facets["province"]["da-nang"], 1);
}

#[test]
fn snippets_highlight_words_found_late_in_a_long_description() {
    let index = ListingIndex::in_memory().unwrap();
    let mut long = listing(
        "long",
        ListingKind::Offer,
        "institute",
        "Thiết bị công nghiệp",
        "Mô tả ngắn.",
        &["2.7"],
    );
    long.description = format!("{} zeolite membrane", "máy móc ".repeat(400));
    index.upsert(&long).unwrap();
    index.commit(1).unwrap();
    let results = search(&index, &request("zeolite")).unwrap();
    assert_eq!(ids(&results.hits), ["long"]);
    assert!(
        results.hits[0].snippet.contains("<b>zeolite</b>"),
        "{}",
        results.hits[0].snippet
    );
    let early = search(&index, &request("thiet bi may moc")).unwrap();
    assert!(
        early.hits[0].snippet.contains("<b>"),
        "{}",
        early.hits[0].snippet
    );
}

#[test]
fn english_stems_match_and_syntax_is_never_an_error() {
    let index = corpus();
    let results = search(&index, &request("treating wastewaters")).unwrap();
    assert_eq!(results.hits[0].id, "o4");
    // Found through its stem, the word is highlighted as it is written.
    let results = search(&index, &request("reactors")).unwrap();
    assert_eq!(ids(&results.hits), ["o4"]);
    assert!(
        results.hits[0].snippet.contains("<b>reactor</b>"),
        "{}",
        results.hits[0].snippet
    );
    for odd in ["\"unclosed", "title:(", "AND OR NOT", "*", "-", "((("] {
        assert!(search(&index, &request(odd)).is_ok(), "{odd}");
    }
}

#[test]
fn empty_text_browses_with_filters_and_facets() {
    let index = corpus();
    let mut browse = request("");
    browse.filters.sectors = vec!["2".into()];
    let results = search(&index, &browse).unwrap();
    assert_eq!(results.total, 4, "sector 2 covers 2.3 and 2.7");
    assert_eq!(results.facets["sector"]["2.7"], 3);
    assert_eq!(results.facets["sector"]["2.3"], 1);
    browse.filters.sectors = vec!["2.3".into()];
    assert_eq!(ids(&search(&index, &browse).unwrap().hits), ["o3"]);
    browse.filters.sectors = vec![];
    browse.filters.trl_min = Some(8);
    assert_eq!(search(&index, &browse).unwrap().total, 0);
}

#[test]
fn deletes_and_expiry_hide_listings() {
    let index = corpus();
    index.delete("o1");
    index.commit(5).unwrap();
    assert!(
        !ids(&search(&index, &request("nuoc thai det nhuom"))
            .unwrap()
            .hits)
        .contains(&"o1")
    );
    let mut later = request("");
    later.today = today() + Duration::days(31);
    assert_eq!(search(&index, &later).unwrap().total, 0, "past valid_until");
}

#[test]
fn matches_rank_the_right_offer_and_explain_it() {
    let index = corpus();
    let mut need = listing(
        "n1",
        ListingKind::Need,
        "enterprise",
        "Can xu ly nuoc thai nha may nhuom",
        "Nuoc thai det nhuom co mau va COD cao, can giai phap giam 90% COD, 200 m3/ngay.",
        &["2.7"],
    );
    need.trl = Some(8);
    need.price = Some(Price {
        min: None,
        max: Some(500_000_000),
        currency: "VND".into(),
        negotiable: false,
    });
    let matches = find_matches(&index, &need, &MatchWeights::default(), today(), 10).unwrap();
    assert_eq!(matches[0].listing.id, "o1");
    let explanation = &matches[0].explanation;
    // Shared phrases are shown whole, as both use them, not pair by pair: the
    // need's `xu ly nuoc thai` is in the offer's title, and `nuoc thai nha may
    // nhuom` in its summary; `ly nuoc`, `thai nha` are no words.
    let terms = &explanation.matched_terms;
    for phrase in ["xu ly nuoc thai", "nuoc thai nha may nhuom"] {
        assert!(terms.iter().any(|t| t == phrase), "{phrase}: {terms:?}");
    }
    for fragment in ["xu ly", "ly nuoc", "nuoc thai", "thai nha", "nuoc", "nhuom"] {
        assert!(
            !terms.iter().any(|t| t == fragment),
            "{fragment}: {terms:?}"
        );
    }
    // Both say `giảm 90% COD`: a bare number tells nothing about what either is.
    let numbers = |t: &String| t.split(' ').any(|w| w.chars().all(|c| c.is_ascii_digit()));
    assert!(
        !explanation.matched_terms.iter().any(numbers),
        "{:?}",
        explanation.matched_terms
    );
    let total: f32 = explanation.components.iter().map(|c| c.contribution).sum();
    assert!(
        (total - matches[0].score).abs() < 1e-5,
        "contributions add up to the score"
    );
    let trl = explanation
        .components
        .iter()
        .find(|c| c.name == "trl")
        .unwrap();
    assert_eq!(trl.note.as_deref(), Some("TRL 7, the need asks for 8"));
    assert!(matches.iter().all(|m| m.listing.kind == ListingKind::Offer));
}

#[test]
fn a_published_need_searches_with_words_other_listings_share() {
    // The need is in the index itself; the words only it uses (more than the
    // salient terms' quota) must not crowd out the one it shares with an offer.
    let index = corpus();
    let own_words: Vec<String> = (0..30).map(|n| format!("riengbiet{n}")).collect();
    let need = listing(
        "n9",
        ListingKind::Need,
        "enterprise",
        "Yêu cầu kỹ thuật",
        &format!("{} asen", own_words.join(" ")),
        &["9.9"],
    );
    index.upsert(&need).unwrap();
    index.commit(5).unwrap();
    let matches = find_matches(&index, &need, &MatchWeights::default(), today(), 10).unwrap();
    let o2 = matches.iter().find(|m| m.listing.id == "o2").unwrap();
    let text = o2
        .explanation
        .components
        .iter()
        .find(|c| c.name == "text")
        .unwrap();
    assert!(text.value > 0.9, "text {:?}", text);
    assert_eq!(o2.explanation.matched_terms, ["asen"]);
}

#[test]
fn a_need_in_english_finds_the_offer_in_vietnamese_through_the_glossary() {
    // No word in common with o3 (a Vietnamese heat-pump dryer), and no sector
    // either: only the glossary's names (`heat pump` → `bơm nhiệt`, `coffee` → `cà
    // phê`) can bring it, and it must rank above o1–o2, which share none of them.
    let index = corpus();
    let mut need = listing(
        "n2",
        ListingKind::Need,
        "enterprise",
        "Heat pump dryer for coffee",
        "We dry coffee beans and want a heat pump with lower power consumption.",
        &["9.9"],
    );
    need.language = "en".into();
    let matches = find_matches(&index, &need, &MatchWeights::default(), today(), 10).unwrap();
    assert_eq!(matches[0].listing.id, "o3", "{:?}", ids_of(&matches));
    let text = matches[0]
        .explanation
        .components
        .iter()
        .find(|c| c.name == "text")
        .unwrap();
    assert!(text.value > 0.9, "{text:?}");
    let terms = &matches[0].explanation.matched_terms;
    for shown in ["bom nhiet (heat pump)", "ca phe (coffee)"] {
        assert!(terms.iter().any(|t| t == shown), "{shown}: {terms:?}");
    }
    // The Vietnamese listings without any of those names score nothing for text.
    for other in matches
        .iter()
        .filter(|m| ["o1", "o2"].contains(&m.listing.id.as_str()))
    {
        let text = other
            .explanation
            .components
            .iter()
            .find(|c| c.name == "text")
            .unwrap();
        assert_eq!(text.value, 0.0, "{}", other.listing.id);
    }
}

fn ids_of(matches: &[techex_matching::ScoredMatch]) -> Vec<&str> {
    matches.iter().map(|m| m.listing.id.as_str()).collect()
}

#[test]
fn matches_never_include_the_same_organisation() {
    let index = corpus();
    let own = listing(
        "n2",
        ListingKind::Need,
        "institute",
        "Xử lý nước thải",
        "nước thải",
        &["2.7"],
    );
    index
        .upsert(&listing(
            "n3",
            ListingKind::Offer,
            "institute",
            "Xử lý nước thải khác",
            "nước thải",
            &["2.7"],
        ))
        .unwrap();
    index.commit(6).unwrap();
    assert!(
        find_matches(&index, &own, &MatchWeights::default(), today(), 10)
            .unwrap()
            .is_empty()
    );
}

/// A need of sector 2.7 that shares no word with the sector tests' offers: only
/// sectors bring them in.
fn odour_need() -> IndexedListing {
    listing(
        "n1",
        ListingKind::Need,
        "enterprise",
        "Giải pháp khử mùi",
        "khử mùi",
        &["2.7"],
    )
}

#[test]
fn listings_of_the_same_sector_are_candidates_before_those_of_its_parent() {
    // 150 offers of the same field (2.3, under 2) and three of the need's own
    // sector (2.7), none of them sharing a word with the need: only sectors bring
    // them in, and there is room for fewer than all of them.
    let index = ListingIndex::in_memory().unwrap();
    for n in 0..150 {
        let id = format!("dryer-{n}");
        let offer = listing(
            &id,
            ListingKind::Offer,
            "institute",
            "Máy sấy",
            "sấy",
            &["2.3"],
        );
        index.upsert(&offer).unwrap();
    }
    for id in ["filter-1", "filter-2", "filter-3"] {
        let offer = listing(id, ListingKind::Offer, "lab", "Màng lọc", "lọc", &["2.7"]);
        index.upsert(&offer).unwrap();
    }
    index.commit(153).unwrap();
    let need = odour_need();
    let matches = find_matches(&index, &need, &MatchWeights::default(), today(), 200).unwrap();
    let ids: Vec<&str> = matches.iter().map(|m| m.listing.id.as_str()).collect();
    assert_eq!(ids[..3], ["filter-1", "filter-2", "filter-3"], "{ids:?}");
    assert!(
        matches.len() > 3 && matches.len() < 153,
        "the parent's listings fill a bounded candidate set: {}",
        matches.len()
    );
    let sector = |m: &techex_matching::ScoredMatch| {
        m.explanation
            .components
            .iter()
            .find(|c| c.name == "sector")
            .map(|c| c.value)
    };
    assert_eq!(sector(&matches[0]), Some(1.0));
    assert_eq!(sector(&matches[3]), Some(0.3), "same field only");
}

#[test]
fn in_a_large_sector_the_listings_that_meet_the_need_are_its_candidates() {
    // 130 offers of the need's sector, none sharing a word with it, fall short of
    // its TRL; 110 meet its TRL but share none of its transfer modes; three that
    // meet both are indexed after them all. Only a hundred of the sector are
    // candidates: they must be the three that fit, then those that meet the TRL,
    // not the first hundred in the index.
    let index = ListingIndex::in_memory().unwrap();
    let sector_offer = |id: &str, trl: u8, mode: TransferMode| {
        let mut offer = listing(id, ListingKind::Offer, "lab", "Máy sấy", "sấy", &["2.7"]);
        offer.trl = Some(trl);
        offer.transfer_modes = vec![mode];
        offer
    };
    for n in 0..130 {
        let offer = sector_offer(&format!("early-{n}"), 3, TransferMode::EquipmentSale);
        index.upsert(&offer).unwrap();
    }
    for n in 0..110 {
        let offer = sector_offer(&format!("trl-only-{n}"), 7, TransferMode::EquipmentSale);
        index.upsert(&offer).unwrap();
    }
    for n in 0..3 {
        let offer = sector_offer(&format!("fit-{n}"), 7, TransferMode::Licence);
        index.upsert(&offer).unwrap();
    }
    index.commit(243).unwrap();
    let mut need = odour_need();
    need.trl = Some(6);
    let matches = find_matches(&index, &need, &MatchWeights::default(), today(), 5).unwrap();
    let ids: Vec<&str> = matches.iter().map(|m| m.listing.id.as_str()).collect();
    assert_eq!(ids[..3], ["fit-0", "fit-1", "fit-2"], "{ids:?}");
    assert!(
        ids[3..].iter().all(|id| id.starts_with("trl-only-")),
        "{ids:?}"
    );
    let trl = matches[0]
        .explanation
        .components
        .iter()
        .find(|c| c.name == "trl")
        .map(|c| c.value);
    assert_eq!(trl, Some(1.0));
}

#[test]
fn in_a_large_sector_an_offer_is_given_the_needs_its_trl_meets() {
    // 120 needs ask for more than the offer's TRL 4; one, indexed last, asks for 3.
    let index = ListingIndex::in_memory().unwrap();
    for n in 0..120 {
        let id = format!("demanding-{n}");
        let mut need = listing(&id, ListingKind::Need, "firm", "Máy sấy", "sấy", &["2.7"]);
        need.trl = Some(8);
        index.upsert(&need).unwrap();
    }
    let mut modest = listing("modest", ListingKind::Need, "firm", "Lò", "lò", &["2.7"]);
    modest.trl = Some(3);
    index.upsert(&modest).unwrap();
    index.commit(121).unwrap();
    let mut offer = listing("o1", ListingKind::Offer, "lab", "Màng lọc", "lọc", &["2.7"]);
    offer.trl = Some(4);
    let matches = find_matches(&index, &offer, &MatchWeights::default(), today(), 3).unwrap();
    let ids: Vec<&str> = matches.iter().map(|m| m.listing.id.as_str()).collect();
    assert_eq!(ids[0], "modest", "{ids:?}");
    assert!(ids[1].starts_with("demanding-"), "{ids:?}");
}

/// An offer for the tests of the index on disk.
fn nano_offer(id: &str) -> IndexedListing {
    listing(
        id,
        ListingKind::Offer,
        "x",
        "Vật liệu nano",
        "nano bạc",
        &["2.10"],
    )
}

#[test]
fn the_outbox_position_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = ListingIndex::open_or_create(dir.path()).unwrap();
        assert_eq!(index.last_seq().unwrap(), 0);
        index.upsert(&nano_offer("o9")).unwrap();
        index.commit(42).unwrap();
    }
    let index = ListingIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.last_seq().unwrap(), 42);
    assert_eq!(index.num_docs(), 1);
    assert_eq!(index.get("o9").unwrap().unwrap().title, "Vật liệu nano");
}

#[test]
fn merging_segments_keeps_every_listing_and_the_outbox_position() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = ListingIndex::open_or_create(dir.path()).unwrap();
        for n in 0..3 {
            let id = format!("o{n}");
            index.upsert(&nano_offer(&id)).unwrap();
            index.commit(10 + n).unwrap();
        }
        assert_eq!(index.index().searchable_segment_ids().unwrap().len(), 3);
        index.merge_segments().unwrap();
        assert_eq!(index.index().searchable_segment_ids().unwrap().len(), 1);
        assert_eq!(search(&index, &request("vat lieu nano")).unwrap().total, 3);
    }
    let index = ListingIndex::open_or_create(dir.path()).unwrap();
    assert_eq!(index.last_seq().unwrap(), 12);
    assert_eq!(index.index().searchable_segment_ids().unwrap().len(), 1);
    assert_eq!(index.num_docs(), 3);
}

/// Each segment's listings of one kind, read from their stored `kind`.
fn kinds_of_segment(index: &ListingIndex, segment: u32) -> Vec<String> {
    use tantivy::schema::Value;
    let searcher = index.searcher();
    let max_doc = searcher.segment_reader(segment).max_doc();
    (0..max_doc)
        .map(|doc| {
            let stored: tantivy::TantivyDocument = searcher
                .doc(tantivy::DocAddress::new(segment, doc))
                .unwrap();
            stored
                .get_first(index.fields().kind)
                .and_then(|v| v.as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn each_segment_holds_each_kind_as_one_range_before_and_after_merging() {
    let index = ListingIndex::in_memory().unwrap();
    // Needs and offers interleaved, over three commits, with some replaced.
    for n in 0..30 {
        let kind = if n % 3 == 0 {
            ListingKind::Need
        } else {
            ListingKind::Offer
        };
        let id = format!("l{}", n % 25);
        index
            .upsert(&listing(
                &id,
                kind,
                "x",
                "Vật liệu nano",
                "nano bạc",
                &["2.10"],
            ))
            .unwrap();
        if n % 10 == 9 {
            index.commit(n).unwrap();
        }
    }
    let check = |index: &ListingIndex| {
        let searcher = index.searcher();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            let kinds = kinds_of_segment(index, ord as u32);
            for kind in [ListingKind::Offer, ListingKind::Need] {
                let range = index.kind_range(segment, kind).unwrap();
                let expected: Vec<usize> = (0..kinds.len())
                    .filter(|doc| kinds[*doc] == kind.as_str())
                    .collect();
                assert!(!expected.is_empty(), "segment {ord} has {kind:?}");
                assert_eq!(
                    range.map(|doc| doc as usize).collect::<Vec<_>>(),
                    expected,
                    "segment {ord}, {kind:?}"
                );
            }
        }
    };
    assert_eq!(index.searcher().segment_readers().len(), 3);
    check(&index);
    index.merge_segments().unwrap();
    assert_eq!(index.searcher().segment_readers().len(), 1);
    check(&index);
}

#[test]
fn an_offer_finds_needs_that_come_after_every_offer_of_each_segment() {
    // Needs and offers interleaved over three commits: each segment keeps its
    // needs after its offers, so an offer's candidates start past them.
    let index = ListingIndex::in_memory().unwrap();
    let texts = [
        (
            "Cần xử lý nước thải dệt nhuộm",
            "nước thải nhuộm có màu, COD cao",
        ),
        ("Cần máy sấy nông sản", "sấy cà phê tiết kiệm điện"),
        ("Cần vật liệu nano bạc", "nano bạc kháng khuẩn"),
    ];
    for n in 0..30_usize {
        let (title, summary) = texts[n % 3];
        let (kind, owner) = if n % 2 == 0 {
            (ListingKind::Need, "enterprise")
        } else {
            (ListingKind::Offer, "other-lab")
        };
        index
            .upsert(&listing(
                &format!("l{n}"),
                kind,
                owner,
                title,
                summary,
                &["2.7"],
            ))
            .unwrap();
        if n % 10 == 9 {
            index.commit(n as i64).unwrap();
        }
    }
    assert_eq!(index.searcher().segment_readers().len(), 3);
    let offer = listing(
        "o-dye",
        ListingKind::Offer,
        "lab",
        "Công nghệ xử lý nước thải dệt nhuộm",
        "Keo tụ điện hóa khử màu nước thải nhuộm, giảm COD",
        &["2.7"],
    );
    let matches = find_matches(&index, &offer, &MatchWeights::default(), today(), 50).unwrap();
    // Every need, from every segment, and nothing else.
    let mut found: Vec<&str> = ids_of(&matches);
    found.sort_unstable();
    let mut needs: Vec<String> = (0..30).step_by(2).map(|n| format!("l{n}")).collect();
    needs.sort_unstable();
    assert_eq!(found, needs);
    // The needs about dyeing wastewater (every third listing) first.
    let first: Vec<&str> = ids_of(&matches[..5]);
    for id in &first {
        let n: usize = id[1..].parse().unwrap();
        assert_eq!(n % 3, 0, "{first:?}");
    }
}
