//! The listing filters shared by the catalogue (`GET /listings`) and the search
//! (`GET /search`), checked in one place.

use techex_domain::ValidationErrors;
use techex_domain::listing::ListingKind;
use techex_domain::taxonomy::Taxonomy;

pub struct ListingFilters {
    pub kind: Option<ListingKind>,
    /// A known sector code.
    pub sector: Option<String>,
    /// A province code (names are resolved).
    pub province: Option<String>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
}

/// Checks the filters, adding every problem to `errors`.
pub fn parse(
    kind: Option<&str>,
    sector: Option<&str>,
    province: Option<&str>,
    trl_min: Option<u8>,
    trl_max: Option<u8>,
    errors: &mut ValidationErrors,
) -> ListingFilters {
    let taxonomy = Taxonomy::builtin();
    let kind = errors
        .check("kind", kind.map(str::parse::<ListingKind>).transpose())
        .flatten();
    if let Some(sector) = sector.filter(|s| taxonomy.sector(s).is_none()) {
        errors.add(
            "sector",
            format!("'{sector}' is not a sector code (GET /api/v1/taxonomy/sectors lists them)"),
        );
    }
    let province = province.and_then(|text| {
        errors.check(
            "province",
            taxonomy
                .find_province(text)
                .map(|p| p.code.clone())
                .ok_or_else(|| format!("'{text}' is not a province")),
        )
    });
    let levels = techex_domain::listing::content::TRL_LEVELS;
    for (field, level) in [("trl_min", trl_min), ("trl_max", trl_max)] {
        if level.is_some_and(|l| !levels.contains(&l)) {
            errors.add(
                field,
                format!("must be from {} to {}", levels.start(), levels.end()),
            );
        }
    }
    if let (Some(min), Some(max)) = (trl_min, trl_max)
        && min > max
    {
        errors.add("trl_max", "must not be less than trl_min");
    }
    ListingFilters {
        kind,
        sector: sector.map(str::to_owned),
        province,
        trl_min,
        trl_max,
    }
}
