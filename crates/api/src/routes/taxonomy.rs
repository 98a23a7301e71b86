//! The bilingual taxonomy shipped with techex: sectors and provinces.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use techex_domain::taxonomy::{SectorLevel, Taxonomy};
use utoipa::{IntoParams, ToSchema};

use crate::extract::Query;
use crate::problem::ApiError;
use crate::vocabularies;

#[derive(Serialize, ToSchema)]
pub struct SectorView {
    pub code: String,
    pub parent: Option<String>,
    /// field (OECD FORD major field), subfield (FORD subfield) or topic (a priority
    /// technology area of Vietnamese S&T policy, placed under its subfield).
    #[schema(value_type = vocabularies::SectorLevel)]
    pub level: String,
    pub name_vi: String,
    pub name_en: String,
    pub keywords_vi: Vec<String>,
    pub keywords_en: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SectorQuery {
    /// field, subfield or topic.
    #[param(value_type = Option<vocabularies::SectorLevel>)]
    pub level: Option<String>,
    /// Only the sectors directly below this code.
    pub parent: Option<String>,
}

/// Sectors: the OECD Fields of Research and Development (Frascati 2015) with the
/// priority technology areas of Vietnamese S&T policy mapped into them.
#[utoipa::path(get, path = "/api/v1/taxonomy/sectors", tag = "taxonomy", params(SectorQuery),
    responses((status = 200, body = Vec<SectorView>)))]
pub async fn sectors(Query(query): Query<SectorQuery>) -> Result<HttpResponse, ApiError> {
    let level = super::choice::<SectorLevel>("level", query.level.as_deref())?;
    let sectors: Vec<SectorView> = Taxonomy::builtin()
        .sectors()
        .iter()
        .filter(|s| level.is_none_or(|l| s.level == l))
        .filter(|s| {
            query
                .parent
                .as_deref()
                .is_none_or(|p| s.parent.as_deref() == Some(p))
        })
        .map(|s| SectorView {
            code: s.code.clone(),
            parent: s.parent.clone(),
            level: s.level.as_str().to_owned(),
            name_vi: s.name_vi.clone(),
            name_en: s.name_en.clone(),
            keywords_vi: s.keywords_vi.clone(),
            keywords_en: s.keywords_en.clone(),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(sectors))
}

#[derive(Serialize, ToSchema)]
pub struct RegionView {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProvinceView {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    /// city (centrally-run) or province.
    pub kind: String,
    pub region: String,
    /// Pre-2025 provinces merged into this one; listings may name them.
    pub former: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProvincesView {
    pub regions: Vec<RegionView>,
    pub provinces: Vec<ProvinceView>,
}

/// Vietnam's 34 provincial-level units (since 1 July 2025) and its six regions.
#[utoipa::path(get, path = "/api/v1/taxonomy/provinces", tag = "taxonomy",
    responses((status = 200, body = ProvincesView)))]
pub async fn provinces() -> HttpResponse {
    let taxonomy = Taxonomy::builtin();
    let view = ProvincesView {
        regions: taxonomy
            .regions()
            .iter()
            .map(|r| RegionView {
                code: r.code.clone(),
                name_vi: r.name_vi.clone(),
                name_en: r.name_en.clone(),
            })
            .collect(),
        provinces: taxonomy
            .provinces()
            .iter()
            .map(|p| ProvinceView {
                code: p.code.clone(),
                name_vi: p.name_vi.clone(),
                name_en: p.name_en.clone(),
                kind: match p.kind {
                    techex_domain::taxonomy::ProvinceKind::City => "city",
                    techex_domain::taxonomy::ProvinceKind::Province => "province",
                }
                .to_owned(),
                region: p.region.clone(),
                former: p.former.clone(),
            })
            .collect(),
    };
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(view)
}
