//! `techex demo`: an exchange to try at once. The labelled evaluation set
//! (`tests/data/eval`, embedded in the binary) is published into a separate SQLite
//! database under `<data_dir>/demo/`, with an account for each role.

use std::collections::BTreeMap;

use anyhow::Context;
use serde_json::{Value, json};
use techex_domain::listing::{Command, ListingStatus};
use techex_domain::{
    Email, FullName, NewOrganisation, NewUser, OrganisationId, OrganisationInput, OrganisationKind,
    Password, Role, UserId,
};
use techex_store::Store;
use techex_store::repo::{listings, organisations, users};

use crate::import::{ImportOptions, import};
use crate::settings::Settings;
use crate::workflow::{self, Transition};

const CORPUS: &str = include_str!("../../../tests/data/eval/corpus.jsonl");
const NEEDS: &str = include_str!("../../../tests/data/eval/queries.jsonl");
pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// Settings pointing at the demo's own database and index, never the real ones.
pub fn settings(mut settings: Settings) -> Settings {
    settings.server.data_dir = settings.server.data_dir.join("demo");
    settings.database.url = String::new();
    settings
}

/// The accounts printed for a newcomer: (role, e-mail, organisation).
pub struct Account {
    pub role: &'static str,
    pub email: String,
    pub organisation: String,
}

/// Loads the demo data (idempotent: a second run changes nothing) and returns the
/// demo accounts.
pub fn load(store: &Store) -> anyhow::Result<Vec<Account>> {
    let password = Password::parse(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    let hash = crate::auth::passwords::hash_blocking(&password)?;
    let lines: Vec<Value> = CORPUS
        .lines()
        .chain(NEEDS.lines())
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .context("the embedded demo data")?;

    let mut organisation_ids: BTreeMap<String, OrganisationId> = BTreeMap::new();
    let mut accounts = Vec::new();
    for line in &lines {
        let meta = &line["metadata"];
        let name = meta["organisation"]
            .as_str()
            .unwrap_or("Demo organisation")
            .to_owned();
        if organisation_ids.contains_key(&name) {
            continue;
        }
        let kind = meta["organisation_kind"].as_str().unwrap_or("enterprise");
        let number = organisation_ids.len() + 1;
        let email = match (kind, accounts.len()) {
            ("research_institute" | "university", 0) => "institute@demo.techex.vn".to_owned(),
            ("enterprise", 1) => "enterprise@demo.techex.vn".to_owned(),
            _ => format!("member{number}@demo.techex.vn"),
        };
        let id = ensure_organisation(store, &name, kind, &email, &hash, Role::Member, true)?;
        if email.starts_with("institute@") {
            accounts.push(Account {
                role: "research institute member",
                email: email.clone(),
                organisation: name.clone(),
            });
        } else if email.starts_with("enterprise@") {
            accounts.push(Account {
                role: "enterprise member",
                email: email.clone(),
                organisation: name.clone(),
            });
        }
        organisation_ids.insert(name, id);
    }
    let exchange = "Sàn giao dịch công nghệ (demo)";
    ensure_organisation(
        store,
        exchange,
        OrganisationKind::Exchange.as_str(),
        "operator@demo.techex.vn",
        &hash,
        Role::Operator,
        true,
    )?;
    accounts.insert(
        0,
        Account {
            role: "operator",
            email: "operator@demo.techex.vn".into(),
            organisation: exchange.into(),
        },
    );

    let jsonl: String = lines
        .iter()
        .filter_map(|line| {
            let meta = &line["metadata"];
            let owner = organisation_ids.get(meta["organisation"].as_str()?)?;
            let title = meta["title"].as_str().or_else(|| line["title"].as_str())?;
            let mut listing = json!({
                "owner_organisation_id": owner.to_string(),
                "external_ref": format!("DEMO-{}", line["_id"].as_str()?),
                "kind": meta["kind"],
                "title": title,
                "summary": meta["summary"],
                "description": meta["description"],
                "language": meta["language"],
                "sectors": meta["sectors"],
                "keywords": meta["keywords"],
                "trl": meta["trl"],
                "transfer_modes": meta["transfer_modes"],
                "province": meta["province"],
                "price": meta["price"],
            });
            for field in ["ip_status", "patent_numbers"] {
                if !meta[field].is_null() {
                    listing[field] = meta[field].clone();
                }
            }
            Some(format!("{listing}\n"))
        })
        .collect();
    let report = import(
        store,
        &jsonl,
        &ImportOptions {
            publish: true,
            actor: None,
            client_ip: None,
        },
        |_, _| {},
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if report.failed > 0 {
        let first = report
            .errors
            .first()
            .map(|e| format!("line {}: {:?}", e.line, e.errors))
            .unwrap_or_default();
        anyhow::bail!(
            "{} demo listings could not be loaded ({first})",
            report.failed
        );
    }
    seed_operator_work(store, &organisation_ids, &hash)?;
    Ok(accounts)
}

/// Something for the operator to do: a newly registered organisation to verify and
/// an offer of the demo institute waiting for review.
fn seed_operator_work(
    store: &Store,
    organisation_ids: &BTreeMap<String, OrganisationId>,
    hash: &str,
) -> anyhow::Result<()> {
    ensure_organisation(
        store,
        "Công ty TNHH Cơ khí Chính xác Tân Phát",
        OrganisationKind::Enterprise.as_str(),
        "newcomer@demo.techex.vn",
        hash,
        Role::Member,
        false,
    )?;
    let institute = store
        .run(|conn| {
            users::find_credentials(
                conn,
                &Email::parse("institute@demo.techex.vn").map_err(corrupt)?,
            )
        })?
        .map(|(user, _)| user.organisation_id)
        .or_else(|| organisation_ids.values().next().copied())
        .context("the demo institute")?;
    let pending = json!({
        "owner_organisation_id": institute.to_string(),
        "external_ref": "DEMO-PENDING-1",
        "kind": "offer",
        "title": "Hệ thống lọc màng gốm tái sử dụng nước thải dệt nhuộm",
        "summary": "Màng gốm Al2O3 lọc nước thải sau keo tụ để tái sử dụng 60% cho công đoạn giặt, \
                    tuổi thọ màng 8 năm, công suất 100 m3/ngày.",
        "language": "vi",
        "sectors": ["2.7"],
        "keywords": ["màng gốm", "tái sử dụng nước", "dệt nhuộm"],
        "trl": 6,
        "ip_status": "patent_pending",
        "patent_numbers": ["1-2025-01234"],
        "transfer_modes": ["licence", "joint_development"],
        "province": "Hà Nội",
    });
    import(
        store,
        &format!("{pending}\n"),
        &ImportOptions {
            publish: false,
            actor: None,
            client_ip: None,
        },
        |_, _| {},
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let draft = store
        .run(|conn| listings::find_by_external_ref(conn, institute, "DEMO-PENDING-1"))?
        .context("the demo listing awaiting review")?;
    if draft.status == ListingStatus::Draft {
        let mut conn = store.conn()?;
        workflow::perform(
            &mut conn,
            Transition {
                listing: draft.id,
                actor: Some(draft.created_by),
                command: Command::Submit,
                expected_version: None,
                note: None,
                client_ip: None,
            },
            listings::now(),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(())
}

fn corrupt(detail: impl ToString) -> techex_store::StoreError {
    techex_store::StoreError::Corrupt {
        table: "demo",
        detail: detail.to_string(),
    }
}

/// The organisation named `name` with its member `email`, created (verified) if new.
fn ensure_organisation(
    store: &Store,
    name: &str,
    kind: &str,
    email: &str,
    hash: &str,
    role: Role,
    verified: bool,
) -> anyhow::Result<OrganisationId> {
    let email = Email::parse(email).map_err(anyhow::Error::msg)?;
    store
        .run(|conn| {
            if let Some((user, _)) = users::find_credentials(conn, &email)? {
                return Ok(user.organisation_id);
            }
            let organisation = NewOrganisation::parse(OrganisationInput {
                name: Some(name),
                kind: Some(kind),
                country: Some("VN"),
                ..Default::default()
            })
            .map_err(|e| techex_store::StoreError::Corrupt {
                table: "demo",
                detail: e.to_string(),
            })?;
            let stored = organisations::insert(conn, &organisation, verified)?;
            users::insert(
                conn,
                &NewUser {
                    id: UserId::new(),
                    email: email.clone(),
                    password_hash: hash.to_owned(),
                    full_name: FullName::parse("Demo user").map_err(|e| {
                        techex_store::StoreError::Corrupt {
                            table: "demo",
                            detail: e,
                        }
                    })?,
                    role,
                    organisation_id: stored.id,
                },
            )?;
            Ok(stored.id)
        })
        .map_err(|e: techex_store::StoreError| anyhow::anyhow!("{e}"))
}
