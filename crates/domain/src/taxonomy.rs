//! The bilingual taxonomy listings are classified with: sectors and provinces.
//!
//! Sectors form a three-level tree. The fields (`"1"`–`"6"`) and subfields (`"1.1"`,
//! `"2.7"`, …) are the OECD Fields of Research and Development (FORD, Frascati Manual
//! 2015); below them, topics (`"2.7.wastewater"`) are the priority technology areas of
//! Vietnamese science and technology policy, each under the subfield it belongs to.
//!
//! Provinces are the 34 provincial-level units in force since 1 July 2025
//! (Resolution 202/2025/QH15), each in one of the six socio-economic regions and
//! listing the pre-2025 provinces merged into it, so that old addresses still resolve.
//!
//! The data ships inside the binary (`data/sectors.json`, `data/provinces.json`) and is
//! parsed once, on first use of [`Taxonomy::builtin`].

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::listing::wire_enum;
use crate::text::fold;

const SECTORS_JSON: &str = include_str!("../data/sectors.json");
const PROVINCES_JSON: &str = include_str!("../data/provinces.json");

/// Informal names people write for a unit, beyond its code, its names and its former
/// names (which always match). Keys are province codes.
const PROVINCE_ALIASES: &[(&str, &[&str])] = &[
    (
        "ho-chi-minh",
        &["HCM", "HCMC", "TPHCM", "Sài Gòn", "Saigon"],
    ),
    ("dak-lak", &["Đắc Lắc"]),
];

/// Words that may precede a province name and are ignored when matching, folded and
/// split into words ("TP." and "T.P." fold to `tp` and `t p`).
const LEADING_NOISE: &[&[&str]] = &[
    &["thanh", "pho"],
    &["tinh"],
    &["tp"],
    &["t", "p"],
    &["city", "of"],
    &["province", "of"],
    &["city"],
    &["province"],
];

/// Words that may follow a province name and are ignored when matching.
const TRAILING_NOISE: &[&[&str]] = &[&["city"], &["province"]];

/// The depth of a [`Sector`] in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectorLevel {
    /// A FORD major field, e.g. `"2"` Engineering and technology.
    Field,
    /// A FORD subfield, e.g. `"2.7"` Environmental engineering.
    Subfield,
    /// A priority technology area, e.g. `"2.7.wastewater"` Wastewater treatment.
    Topic,
}
wire_enum!(SectorLevel {
    Field => "field",
    Subfield => "subfield",
    Topic => "topic",
});

/// One node of the sector tree, named in Vietnamese and English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    /// Stable identifier: `"2"`, `"2.7"`, `"2.7.wastewater"`.
    pub code: String,
    /// The code of the enclosing sector; `None` for fields.
    pub parent: Option<String>,
    pub level: SectorLevel,
    pub name_vi: String,
    pub name_en: String,
    /// Short search terms in Vietnamese (NFC).
    pub keywords_vi: Vec<String>,
    /// Short search terms in English.
    pub keywords_en: Vec<String>,
}

/// Whether a provincial-level unit is a centrally-run city or a province.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvinceKind {
    City,
    Province,
}

/// One of the six socio-economic regions of Vietnam.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Stable identifier, e.g. `"red-river-delta"`.
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
}

/// A provincial-level unit (province or centrally-run city) as of 1 July 2025.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Province {
    /// The Vietnamese name without diacritics, as a slug: `"ha-noi"`, `"ho-chi-minh"`.
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: ProvinceKind,
    /// The [`Region::code`] of the region it belongs to.
    pub region: String,
    /// The Vietnamese names of the pre-2025 provinces merged into it, its own former
    /// name included.
    pub former: Vec<String>,
}

/// The shape of `data/provinces.json`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvincesFile {
    regions: Vec<Region>,
    provinces: Vec<Province>,
}

/// The serialised form of a [`Taxonomy`]: its data without the lookup maps.
#[derive(Clone, Serialize, Deserialize)]
struct TaxonomyData {
    sectors: Vec<Sector>,
    regions: Vec<Region>,
    provinces: Vec<Province>,
}

/// Sectors, regions and provinces with lookup maps built once.
///
/// Serialises as `{"sectors": [...], "regions": [...], "provinces": [...]}`; the
/// lookup maps are rebuilt on deserialisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "TaxonomyData", into = "TaxonomyData")]
pub struct Taxonomy {
    sectors: Vec<Sector>,
    regions: Vec<Region>,
    provinces: Vec<Province>,
    sector_index: HashMap<String, usize>,
    region_index: HashMap<String, usize>,
    province_index: HashMap<String, usize>,
    /// Matching keys (see [`province_key`]) of codes, names, aliases and former names.
    province_names: HashMap<String, usize>,
}

impl From<TaxonomyData> for Taxonomy {
    fn from(data: TaxonomyData) -> Self {
        Self::build(data.sectors, data.regions, data.provinces)
    }
}

impl From<Taxonomy> for TaxonomyData {
    fn from(taxonomy: Taxonomy) -> Self {
        Self {
            sectors: taxonomy.sectors,
            regions: taxonomy.regions,
            provinces: taxonomy.provinces,
        }
    }
}

impl Taxonomy {
    /// The taxonomy shipped with this crate, parsed on first use.
    ///
    /// # Panics
    ///
    /// Only if the shipped data files are not valid JSON of the documented shape,
    /// which is a build defect: the unit tests of this module parse them.
    #[expect(
        clippy::expect_used,
        reason = "the data is compiled in and checked by the unit tests; failing to parse it is a build defect"
    )]
    pub fn builtin() -> &'static Taxonomy {
        static BUILTIN: OnceLock<Taxonomy> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Self::parse(SECTORS_JSON, PROVINCES_JSON)
                .expect("the shipped taxonomy data (crates/domain/data/*.json) is valid")
        })
    }

    /// Parses the two data files.
    fn parse(sectors_json: &str, provinces_json: &str) -> Result<Self, serde_json::Error> {
        let sectors: Vec<Sector> = serde_json::from_str(sectors_json)?;
        let ProvincesFile { regions, provinces } = serde_json::from_str(provinces_json)?;
        Ok(Self::build(sectors, regions, provinces))
    }

    /// Builds the lookup maps. On duplicate keys the first entry wins.
    fn build(sectors: Vec<Sector>, regions: Vec<Region>, provinces: Vec<Province>) -> Self {
        fn index<T>(items: &[T], code: impl Fn(&T) -> &str) -> HashMap<String, usize> {
            let mut map = HashMap::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                map.entry(code(item).to_owned()).or_insert(i);
            }
            map
        }

        let sector_index = index(&sectors, |s| &s.code);
        let region_index = index(&regions, |r| &r.code);
        let province_index = index(&provinces, |p| &p.code);

        let mut province_names = HashMap::new();
        let mut add = |name: &str, i: usize| {
            let key = province_key(name);
            if !key.is_empty() {
                province_names.entry(key).or_insert(i);
            }
        };
        // Current codes and names first, so they win over any clashing former name.
        for (i, p) in provinces.iter().enumerate() {
            add(&p.code, i);
            add(&p.name_vi, i);
            add(&p.name_en, i);
        }
        for (code, aliases) in PROVINCE_ALIASES {
            if let Some(&i) = province_index.get(*code) {
                for alias in *aliases {
                    add(alias, i);
                }
            }
        }
        for (i, p) in provinces.iter().enumerate() {
            for name in &p.former {
                add(name, i);
            }
        }

        Self {
            sectors,
            regions,
            provinces,
            sector_index,
            region_index,
            province_index,
            province_names,
        }
    }

    /// Every sector: fields, then subfields, then topics.
    pub fn sectors(&self) -> &[Sector] {
        &self.sectors
    }

    /// The sector with this exact code.
    pub fn sector(&self, code: &str) -> Option<&Sector> {
        self.sector_index.get(code).map(|&i| &self.sectors[i])
    }

    /// The parent chain of a sector, nearest first, e.g. `"2.7.wastewater"` gives
    /// `["2.7", "2"]`. Empty for a field or an unknown code.
    pub fn ancestors(&self, code: &str) -> Vec<&str> {
        let mut chain: Vec<&str> = Vec::new();
        let mut current = self.sector(code);
        while let Some(parent) = current.and_then(|s| s.parent.as_deref()) {
            // Guard against a cycle in malformed data.
            if chain.contains(&parent) || chain.len() > self.sectors.len() {
                break;
            }
            chain.push(parent);
            current = self.sector(parent);
        }
        chain
    }

    /// The six socio-economic regions.
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    /// The region with this exact code.
    pub fn region(&self, code: &str) -> Option<&Region> {
        self.region_index.get(code).map(|&i| &self.regions[i])
    }

    /// The 34 provincial-level units.
    pub fn provinces(&self) -> &[Province] {
        &self.provinces
    }

    /// The province with this exact code.
    pub fn province(&self, code: &str) -> Option<&Province> {
        self.province_index.get(code).map(|&i| &self.provinces[i])
    }

    /// Finds a province by code, Vietnamese or English name, a common alias, or a
    /// former (pre-2025) name, ignoring case, diacritics, punctuation, spacing and
    /// prefixes or suffixes such as "Tỉnh", "Thành phố", "TP.", "City", "Province".
    ///
    /// "TP.HCM", "HCM", "Hồ Chí Minh", "Ho Chi Minh City" and "Bình Dương" all find
    /// `ho-chi-minh`; "Ha Noi" and "Hanoi" find `ha-noi`; "Thừa Thiên Huế" finds `hue`.
    pub fn find_province(&self, text: &str) -> Option<&Province> {
        let key = province_key(text);
        if key.is_empty() {
            return None;
        }
        self.province_names.get(&key).map(|&i| &self.provinces[i])
    }

    /// The code of the province a form names (blank: none), or why there is none.
    pub fn province_code(&self, raw: Option<&str>) -> Result<Option<String>, String> {
        match raw.map(str::trim).filter(|p| !p.is_empty()) {
            None => Ok(None),
            Some(text) => self
                .find_province(text)
                .map(|p| Some(p.code.clone()))
                .ok_or_else(|| {
                    format!(
                        "'{text}' is not a province (GET /api/v1/taxonomy/provinces lists them)"
                    )
                }),
        }
    }
}

/// The matching key of a province name: folded (see [`fold`]), punctuation treated as
/// space, administrative prefixes and suffixes dropped, and the remaining words joined
/// without spaces, so "Ha Noi", "Hà Nội" and "Hanoi" share the key `hanoi`. A prefix or
/// suffix is only dropped if something remains.
fn province_key(text: &str) -> String {
    let spaced: String = fold(text)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let all_words: Vec<&str> = spaced.split_whitespace().collect();
    let mut words: &[&str] = &all_words;

    'leading: loop {
        for noise in LEADING_NOISE {
            if words.len() > noise.len() && words.starts_with(noise) {
                words = &words[noise.len()..];
                continue 'leading;
            }
        }
        break;
    }
    'trailing: loop {
        for noise in TRAILING_NOISE {
            if words.len() > noise.len() && words.ends_with(noise) {
                words = &words[..words.len() - noise.len()];
                continue 'trailing;
            }
        }
        break;
    }
    words.concat()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::text::nfc;

    const FORD_SUBFIELDS: &[(&str, &str)] = &[
        ("1.1", "Mathematics"),
        ("1.2", "Computer and information sciences"),
        ("1.3", "Physical sciences"),
        ("1.4", "Chemical sciences"),
        ("1.5", "Earth and related environmental sciences"),
        ("1.6", "Biological sciences"),
        ("1.7", "Other natural sciences"),
        ("2.1", "Civil engineering"),
        (
            "2.2",
            "Electrical engineering, electronic engineering, information engineering",
        ),
        ("2.3", "Mechanical engineering"),
        ("2.4", "Chemical engineering"),
        ("2.5", "Materials engineering"),
        ("2.6", "Medical engineering"),
        ("2.7", "Environmental engineering"),
        ("2.8", "Environmental biotechnology"),
        ("2.9", "Industrial biotechnology"),
        ("2.10", "Nano-technology"),
        ("2.11", "Other engineering and technologies"),
        ("3.1", "Basic medicine"),
        ("3.2", "Clinical medicine"),
        ("3.3", "Health sciences"),
        ("3.4", "Medical biotechnology"),
        ("3.5", "Other medical sciences"),
        ("4.1", "Agriculture, forestry, and fisheries"),
        ("4.2", "Animal and dairy science"),
        ("4.3", "Veterinary science"),
        ("4.4", "Agricultural biotechnology"),
        ("4.5", "Other agricultural sciences"),
        ("5.1", "Psychology and cognitive sciences"),
        ("5.2", "Economics and business"),
        ("5.3", "Education"),
        ("5.4", "Sociology"),
        ("5.5", "Law"),
        ("5.6", "Political science"),
        ("5.7", "Social and economic geography"),
        ("5.8", "Media and communications"),
        ("5.9", "Other social sciences"),
        ("6.1", "History and archaeology"),
        ("6.2", "Languages and literature"),
        ("6.3", "Philosophy, ethics and religion"),
        (
            "6.4",
            "Arts (arts, history of arts, performing arts, music)",
        ),
        ("6.5", "Other humanities"),
    ];

    fn tax() -> &'static Taxonomy {
        Taxonomy::builtin()
    }

    fn level(level: SectorLevel) -> Vec<&'static Sector> {
        tax()
            .sectors()
            .iter()
            .filter(|s| s.level == level)
            .collect()
    }

    fn found(text: &str) -> Option<&'static str> {
        tax().find_province(text).map(|p| p.code.as_str())
    }

    fn is_slug(text: &str) -> bool {
        !text.is_empty()
            && !text.starts_with('-')
            && !text.ends_with('-')
            && !text.contains("--")
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }

    #[test]
    fn shipped_data_parses() {
        let parsed = Taxonomy::parse(SECTORS_JSON, PROVINCES_JSON);
        assert!(parsed.is_ok(), "{parsed:?}");
        assert_eq!(&parsed.unwrap(), tax());
    }

    #[test]
    fn there_are_six_fields_without_parents() {
        let fields = level(SectorLevel::Field);
        let codes: Vec<&str> = fields.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["1", "2", "3", "4", "5", "6"]);
        assert!(fields.iter().all(|s| s.parent.is_none()));
        assert_eq!(
            tax().sector("2").unwrap().name_en,
            "Engineering and technology"
        );
        assert_eq!(
            tax().sector("6").unwrap().name_en,
            "Humanities and the arts"
        );
    }

    #[test]
    fn subfields_are_exactly_the_ford_2015_subfields() {
        for (code, name_en) in FORD_SUBFIELDS {
            let sector = tax()
                .sector(code)
                .unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(sector.level, SectorLevel::Subfield, "{code}");
            assert_eq!(&sector.name_en, name_en, "{code}");
            let field = code.split('.').next().unwrap();
            assert_eq!(sector.parent.as_deref(), Some(field), "{code}");
        }
        assert_eq!(level(SectorLevel::Subfield).len(), FORD_SUBFIELDS.len());
        assert_eq!(FORD_SUBFIELDS.len(), 7 + 11 + 5 + 5 + 9 + 5);
    }

    #[test]
    fn topics_hang_under_subfields_with_slug_codes() {
        let topics = level(SectorLevel::Topic);
        assert!((35..=50).contains(&topics.len()), "{} topics", topics.len());
        for topic in topics {
            let parent = topic.parent.as_deref().expect("a topic has a parent");
            let parent_sector = tax().sector(parent).expect("the parent exists");
            assert_eq!(parent_sector.level, SectorLevel::Subfield, "{}", topic.code);
            let slug = topic
                .code
                .strip_prefix(parent)
                .and_then(|rest| rest.strip_prefix('.'))
                .unwrap_or_else(|| panic!("{} does not extend {parent}", topic.code));
            assert!(is_slug(slug), "{}", topic.code);
        }
    }

    #[test]
    fn required_topics_are_present() {
        for code in [
            "1.2.ai",
            "1.2.big-data",
            "1.2.cloud",
            "1.2.cybersecurity",
            "1.2.blockchain",
            "1.2.e-government",
            "2.2.iot",
            "2.2.semiconductors",
            "2.2.telecom-5g",
            "2.2.robotics",
            "2.2.smart-grid",
            "2.5.new-materials",
            "2.10.nanotech",
            "2.7.renewable-energy",
            "2.7.energy-storage",
            "2.7.hydrogen",
            "2.7.wastewater",
            "2.7.solid-waste",
            "2.7.air-pollution",
            "2.7.oil-gas-mining",
            "1.5.climate-adaptation",
            "1.5.environmental-monitoring",
            "3.4.medical-biotech",
            "3.4.vaccines",
            "3.1.pharma-herbs",
            "2.6.medical-devices",
            "4.4.agri-biotech",
            "4.1.smart-agriculture",
            "4.1.aquaculture",
            "4.1.post-harvest",
            "2.11.food-processing",
            "4.1.plant-varieties",
            "4.2.livestock",
            "4.3.vet-vaccines",
            "2.3.precision-mechanics",
            "2.3.space",
            "2.1.smart-city",
            "2.1.logistics",
            "2.1.construction-materials",
        ] {
            let sector = tax()
                .sector(code)
                .unwrap_or_else(|| panic!("{code} missing"));
            assert_eq!(sector.level, SectorLevel::Topic, "{code}");
        }
        assert_eq!(tax().sector("1.2.ai").unwrap().name_vi, "Trí tuệ nhân tạo");
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = HashSet::new();
        for sector in tax().sectors() {
            assert!(
                seen.insert(&sector.code),
                "duplicate sector {}",
                sector.code
            );
        }
        let mut seen = HashSet::new();
        for region in tax().regions() {
            assert!(is_slug(&region.code), "{}", region.code);
            assert!(
                seen.insert(&region.code),
                "duplicate region {}",
                region.code
            );
        }
        let mut seen = HashSet::new();
        for province in tax().provinces() {
            assert!(seen.insert(&province.code), "duplicate {}", province.code);
        }
    }

    #[test]
    fn sectors_are_sorted_by_level() {
        let levels: Vec<SectorLevel> = tax().sectors().iter().map(|s| s.level).collect();
        let mut sorted = levels.clone();
        sorted.sort_by_key(|l| match l {
            SectorLevel::Field => 0,
            SectorLevel::Subfield => 1,
            SectorLevel::Topic => 2,
        });
        assert_eq!(levels, sorted);
    }

    fn assert_clean(text: &str, what: &str) {
        assert!(!text.trim().is_empty(), "empty {what}");
        assert_eq!(text, text.trim(), "{what} {text:?} has outer whitespace");
        assert_eq!(text, nfc(text), "{what} {text:?} is not NFC");
    }

    #[test]
    fn names_and_keywords_are_non_empty_nfc_text() {
        for s in tax().sectors() {
            assert_clean(&s.name_vi, &s.code);
            assert_clean(&s.name_en, &s.code);
            for keyword in s.keywords_vi.iter().chain(&s.keywords_en) {
                assert_clean(keyword, &s.code);
            }
            if s.level != SectorLevel::Field {
                for keywords in [&s.keywords_vi, &s.keywords_en] {
                    assert!((3..=8).contains(&keywords.len()), "{} keywords", s.code);
                    let distinct: HashSet<_> = keywords.iter().collect();
                    assert_eq!(distinct.len(), keywords.len(), "{} repeats", s.code);
                }
            }
        }
        for r in tax().regions() {
            assert_clean(&r.name_vi, &r.code);
            assert_clean(&r.name_en, &r.code);
        }
        for p in tax().provinces() {
            assert_clean(&p.name_vi, &p.code);
            assert_clean(&p.name_en, &p.code);
            for name in &p.former {
                assert_clean(name, &p.code);
            }
        }
    }

    #[test]
    fn ancestors_walk_up_to_the_field() {
        assert_eq!(tax().ancestors("2.7.wastewater"), ["2.7", "2"]);
        assert_eq!(tax().ancestors("2.10.nanotech"), ["2.10", "2"]);
        assert_eq!(tax().ancestors("2.7"), ["2"]);
        assert!(tax().ancestors("2").is_empty());
        assert!(tax().ancestors("9.9.nothing").is_empty());
        for sector in tax().sectors() {
            let depth = match sector.level {
                SectorLevel::Field => 0,
                SectorLevel::Subfield => 1,
                SectorLevel::Topic => 2,
            };
            assert_eq!(
                tax().ancestors(&sector.code).len(),
                depth,
                "{}",
                sector.code
            );
        }
    }

    #[test]
    fn there_are_six_regions() {
        let codes: Vec<&str> = tax().regions().iter().map(|r| r.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "northern-midlands-mountains",
                "red-river-delta",
                "north-central-central-coast",
                "central-highlands",
                "southeast",
                "mekong-delta",
            ]
        );
        assert_eq!(
            tax().region("mekong-delta").unwrap().name_vi,
            "Đồng bằng sông Cửu Long"
        );
        assert!(tax().region("atlantis").is_none());
    }

    #[test]
    fn there_are_34_provinces_six_of_them_cities() {
        assert_eq!(tax().provinces().len(), 34);
        let mut cities: Vec<&str> = tax()
            .provinces()
            .iter()
            .filter(|p| p.kind == ProvinceKind::City)
            .map(|p| p.code.as_str())
            .collect();
        cities.sort_unstable();
        assert_eq!(
            cities,
            [
                "can-tho",
                "da-nang",
                "ha-noi",
                "hai-phong",
                "ho-chi-minh",
                "hue"
            ]
        );
    }

    #[test]
    fn every_province_is_in_a_known_region_and_every_region_has_provinces() {
        for p in tax().provinces() {
            assert!(
                tax().region(&p.region).is_some(),
                "{}: {}",
                p.code,
                p.region
            );
        }
        for r in tax().regions() {
            assert!(
                tax().provinces().iter().any(|p| p.region == r.code),
                "{} is empty",
                r.code
            );
        }
        let region_of = |code: &str| tax().province(code).unwrap().region.as_str();
        assert_eq!(region_of("lam-dong"), "central-highlands");
        assert_eq!(region_of("gia-lai"), "central-highlands");
        assert_eq!(region_of("dak-lak"), "central-highlands");
        assert_eq!(region_of("khanh-hoa"), "north-central-central-coast");
        assert_eq!(region_of("tay-ninh"), "southeast");
        assert_eq!(region_of("dong-nai"), "southeast");
        assert_eq!(region_of("ho-chi-minh"), "southeast");
        assert_eq!(region_of("can-tho"), "mekong-delta");
    }

    #[test]
    fn province_codes_are_the_unaccented_vietnamese_names() {
        for p in tax().provinces() {
            let name = fold(&p.name_vi);
            let name = name.strip_prefix("thanh pho ").unwrap_or(&name);
            assert_eq!(p.code, name.replace(' ', "-"), "{}", p.name_vi);
        }
        assert_eq!(tax().province("hue").unwrap().name_en, "Hue");
        assert_eq!(
            tax().province("ho-chi-minh").unwrap().name_en,
            "Ho Chi Minh City"
        );
        assert!(
            tax().province("Ha Noi").is_none(),
            "province() takes exact codes"
        );
    }

    #[test]
    fn the_63_former_provinces_each_resolve_to_their_new_unit() {
        let mut names = HashSet::new();
        let mut keys = HashSet::new();
        for p in tax().provinces() {
            assert!(!p.former.is_empty(), "{}", p.code);
            for name in &p.former {
                assert!(names.insert(name.as_str()), "{name} listed twice");
                assert!(
                    keys.insert(province_key(name)),
                    "{name} clashes when folded"
                );
                assert_eq!(found(name), Some(p.code.as_str()), "{name}");
            }
        }
        assert_eq!(names.len(), 63);
        // Units that kept a former province's name list it among their former names.
        for p in tax().provinces() {
            if p.code != "hue" {
                assert!(p.former.contains(&p.name_vi), "{}", p.code);
            }
        }
    }

    #[test]
    fn every_province_is_found_by_code_and_both_names() {
        for p in tax().provinces() {
            for text in [&p.code, &p.name_vi, &p.name_en] {
                assert_eq!(found(text), Some(p.code.as_str()), "{text}");
            }
        }
    }

    #[test]
    fn find_province_spot_checks() {
        for (text, code) in [
            ("Bình Dương", "ho-chi-minh"),
            ("Bà Rịa - Vũng Tàu", "ho-chi-minh"),
            ("Ba Ria Vung Tau", "ho-chi-minh"),
            ("Hà Giang", "tuyen-quang"),
            ("Quảng Nam", "da-nang"),
            ("Bắc Giang", "bac-ninh"),
            ("Vĩnh Phúc", "phu-tho"),
            ("Hòa Bình", "phu-tho"),
            ("Hoà Bình", "phu-tho"),
            ("Kon Tum", "quang-ngai"),
            ("Bình Định", "gia-lai"),
            ("Đắk Nông", "lam-dong"),
            ("Bình Thuận", "lam-dong"),
            ("Phú Yên", "dak-lak"),
            ("Ninh Thuận", "khanh-hoa"),
            ("Long An", "tay-ninh"),
            ("Bình Phước", "dong-nai"),
            ("Hải Dương", "hai-phong"),
            ("Thái Bình", "hung-yen"),
            ("Nam Định", "ninh-binh"),
            ("Hà Nam", "ninh-binh"),
            ("Quảng Bình", "quang-tri"),
            ("Bắc Kạn", "thai-nguyen"),
            ("Yên Bái", "lao-cai"),
            ("Sóc Trăng", "can-tho"),
            ("Hậu Giang", "can-tho"),
            ("Bến Tre", "vinh-long"),
            ("Trà Vinh", "vinh-long"),
            ("Tiền Giang", "dong-thap"),
            ("Bạc Liêu", "ca-mau"),
            ("Kiên Giang", "an-giang"),
            ("Hanoi", "ha-noi"),
            ("Ha Noi", "ha-noi"),
            ("hà nội", "ha-noi"),
            ("Thành phố Hà Nội", "ha-noi"),
            ("TP. Hà Nội", "ha-noi"),
            ("Thừa Thiên Huế", "hue"),
            ("Thừa Thiên - Huế", "hue"),
            ("Huế", "hue"),
            ("Thành phố Huế", "hue"),
            ("Hue City", "hue"),
            ("Haiphong", "hai-phong"),
            ("Danang", "da-nang"),
            ("Tỉnh Đắk Lắk", "dak-lak"),
            ("Dak Lak Province", "dak-lak"),
            ("Daklak", "dak-lak"),
            ("Đắc Lắc", "dak-lak"),
            ("Thanh Hoá", "thanh-hoa"),
            ("Khanh Hoa province", "khanh-hoa"),
        ] {
            assert_eq!(found(text), Some(code), "{text}");
        }
    }

    #[test]
    fn find_province_knows_the_many_names_of_ho_chi_minh_city() {
        for text in [
            "TP.HCM",
            "TP. HCM",
            "TP HCM",
            "Tp.Hcm",
            "tphcm",
            "HCM",
            "HCMC",
            "HCM City",
            "Hồ Chí Minh",
            "Ho Chi Minh",
            "Ho Chi Minh City",
            "ho-chi-minh",
            "Thành phố Hồ Chí Minh",
            "TP. Hồ Chí Minh",
            "T.P. Hồ Chí Minh",
            "  thành   phố hồ chí minh ",
            "Tha\u{300}nh pho\u{302}\u{301} Ho\u{302}\u{300} Chi\u{301} Minh",
            "Sài Gòn",
            "Saigon",
        ] {
            assert_eq!(found(text), Some("ho-chi-minh"), "{text}");
        }
    }

    #[test]
    fn find_province_rejects_unknown_and_blank_text() {
        for text in [
            "",
            "   ",
            "-",
            "Atlantis",
            "Thành phố",
            "Tỉnh",
            "TP.",
            "City",
            "Phnom Penh",
        ] {
            assert_eq!(found(text), None, "{text:?}");
        }
    }

    #[test]
    fn province_key_drops_noise_but_not_everything() {
        assert_eq!(province_key("TP.HCM"), "hcm");
        assert_eq!(province_key("Ho Chi Minh City"), "hochiminh");
        assert_eq!(province_key("Tỉnh Bà Rịa - Vũng Tàu"), "bariavungtau");
        assert_eq!(province_key("Thành phố"), "thanhpho");
        assert_eq!(province_key(""), "");
    }

    #[test]
    fn enums_serialise_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&SectorLevel::Subfield).unwrap(),
            "\"subfield\""
        );
        assert_eq!(
            serde_json::to_string(&ProvinceKind::City).unwrap(),
            "\"city\""
        );
    }

    #[test]
    fn taxonomy_round_trips_through_json() {
        let json = serde_json::to_string(tax()).unwrap();
        let back: Taxonomy = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, tax());
        assert_eq!(back.find_province("HCMC").unwrap().code, "ho-chi-minh");
    }
}
