//! The on-disk index of published listings. One writer, owned here; every commit
//! carries the last applied outbox sequence as its payload, so after a crash the
//! indexer knows exactly where to resume.

use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};

use std::sync::atomic::{AtomicI64, Ordering};
use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::TermQuery;
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions, Value,
};

use tantivy::{
    DocId, DocSet, Index, IndexReader, IndexSettings, IndexSortByField, IndexWriter, Order,
    ReloadPolicy, Searcher, SegmentReader, TantivyDocument, Term,
};
use techex_domain::listing::ListingKind;
use techex_domain::taxonomy::Taxonomy;

use crate::analysis::{self, BIGRAMS, FOLDED, STEMMED};
use crate::document::IndexedListing;
use crate::facet_counts::FacetTables;
use crate::glossary::Glossary;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(String),
    #[error("search index: corrupt stored profile: {0}")]
    Profile(#[from] serde_json::Error),
}

pub type IndexResult<T> = Result<T, IndexError>;

/// The schema's fields, resolved once.
#[derive(Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub kind: Field,
    /// The kind as a number, by which each segment's documents are sorted: the
    /// listings of one kind are a contiguous range of document ids
    /// ([`ListingIndex::kind_range`]).
    pub kind_order: Field,
    pub owner: Field,
    pub language: Field,
    pub province: Field,
    pub region: Field,
    pub ip_status: Field,
    pub transfer_modes: Field,
    /// Each code with all its ancestors, so a filter on `2` finds `2.7`.
    pub sectors: Field,
    /// The listing's own sector codes, for scoring.
    pub sector_codes: Field,
    pub price_min: Field,
    pub price_max: Field,
    pub currency: Field,
    pub negotiable: Field,
    pub trl: Field,
    pub published_at: Field,
    pub valid_until: Field,
    pub title: Field,
    pub body: Field,
    pub title_stem: Field,
    pub body_stem: Field,
    pub bigrams: Field,
    pub facets: Field,
    pub profile: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |tokenizer: &str, stored: bool| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        kind: builder.add_text_field("kind", STRING | STORED),
        kind_order: builder.add_u64_field(KIND_ORDER, FAST),
        owner: builder.add_text_field("owner", STRING),
        language: builder.add_text_field("language", STRING),
        province: builder.add_text_field("province", STRING | FAST),
        region: builder.add_text_field("region", STRING),
        ip_status: builder.add_text_field("ip_status", STRING),
        transfer_modes: builder.add_text_field("transfer_modes", STRING | FAST),
        sectors: builder.add_text_field("sectors", STRING),
        sector_codes: builder.add_text_field("sector_codes", STRING | FAST),
        price_min: builder.add_i64_field("price_min", FAST),
        price_max: builder.add_i64_field("price_max", FAST),
        currency: builder.add_text_field("currency", STRING | FAST),
        negotiable: builder.add_u64_field("negotiable", FAST),
        trl: builder.add_u64_field("trl", INDEXED | FAST),
        published_at: builder.add_i64_field("published_at", INDEXED | FAST),
        valid_until: builder.add_i64_field("valid_until", INDEXED | FAST),
        title: builder.add_text_field("title", text(FOLDED, true)),
        body: builder.add_text_field("body", text(FOLDED, true)),
        title_stem: builder.add_text_field("title_stem", text(STEMMED, false)),
        body_stem: builder.add_text_field("body_stem", text(STEMMED, false)),
        bigrams: builder.add_text_field("bigrams", text(BIGRAMS, false)),
        facets: builder.add_facet_field(FACETS_FIELD, FacetOptions::default()),
        profile: builder.add_text_field("profile", STORED),
    };
    (builder.build(), fields)
}

/// The fast field the index is sorted by.
const KIND_ORDER: &str = "kind_order";

fn kind_order(kind: ListingKind) -> u64 {
    match kind {
        ListingKind::Offer => 0,
        ListingKind::Need => 1,
    }
}

/// Days since the epoch, for date filters on fast fields.
pub fn day_number(date: chrono::NaiveDate) -> i64 {
    date.signed_duration_since(chrono::NaiveDate::default())
        .num_days()
}

pub struct ListingIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    /// The outbox sequence the searchers see: set only after the reader reloads,
    /// whereas the commit payload on disk is ahead of it for a moment.
    searchable_seq: AtomicI64,
    /// Facet values of the segments being searched.
    facet_tables: FacetTables,
    /// The names searches and matches translate (`docs/matching.md`).
    glossary: Arc<Glossary>,
}

/// The field of the facets counted by a search (`/kind/offer`, `/sector/2.7` …).
const FACETS_FIELD: &str = "facets";

/// Memory for the writer's indexing buffer (tantivy's minimum is 15 MB per thread).
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

impl ListingIndex {
    /// Opens the index in `dir`, creating it (and the directory) if needed.
    pub fn open_or_create(dir: &Path) -> IndexResult<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| IndexError::Directory(format!("{}: {e}", dir.display())))?;
        let directory = MmapDirectory::open(dir)
            .map_err(|e| IndexError::Directory(format!("{}: {e}", dir.display())))?;
        let (schema, _) = schema();
        match Index::builder()
            .schema(schema.clone())
            .settings(settings())
            .open_or_create(directory)
        {
            Ok(index) => Self::from_index(index),
            // The index is derived data: one written by an older schema is rebuilt
            // (the indexer replays the outbox from the start into the new one).
            Err(tantivy::TantivyError::SchemaError(reason)) => {
                tracing::warn!(dir = %dir.display(), %reason, "search index schema changed; rebuilding the index");
                std::fs::remove_dir_all(dir)
                    .map_err(|e| IndexError::Directory(format!("{}: {e}", dir.display())))?;
                std::fs::create_dir_all(dir)
                    .map_err(|e| IndexError::Directory(format!("{}: {e}", dir.display())))?;
                let directory = MmapDirectory::open(dir)
                    .map_err(|e| IndexError::Directory(format!("{}: {e}", dir.display())))?;
                Self::from_index(Index::create(directory, schema, settings())?)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// An index in memory (evaluation, tests).
    pub fn in_memory() -> IndexResult<Self> {
        Self::from_index(
            Index::builder()
                .schema(schema().0)
                .settings(settings())
                .create_in_ram()?,
        )
    }

    fn from_index(index: Index) -> IndexResult<Self> {
        analysis::register(index.tokenizers());
        let (_, fields) = schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .doc_store_cache_num_blocks(DOC_STORE_CACHE_BLOCKS)
            .try_into()?;
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let searchable_seq = AtomicI64::new(payload_seq(&index)?);
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            searchable_seq,
            facet_tables: FacetTables::new(FACETS_FIELD),
            glossary: Glossary::builtin(),
        })
    }

    pub fn fields(&self) -> Fields {
        self.fields
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    pub fn facet_tables(&self) -> &FacetTables {
        &self.facet_tables
    }

    /// The documents of `kind` in a segment of this index: a contiguous range,
    /// because every segment is sorted by kind (`settings`; new segments and
    /// merges alike), so that a match reads the postings of the other kind's range
    /// only, about half of them. Deleted documents are in the range. An index's
    /// settings are fixed when it is created; one not sorted by kind gives the
    /// whole segment.
    pub fn kind_range(
        &self,
        segment: &SegmentReader,
        kind: ListingKind,
    ) -> tantivy::Result<Range<DocId>> {
        let sorted = self
            .index
            .settings()
            .sort_by_field
            .as_ref()
            .is_some_and(|sort| sort.field == KIND_ORDER && sort.order == Order::Asc);
        if !sorted {
            return Ok(0..segment.max_doc());
        }
        let term = Term::from_field_text(self.fields.kind, kind.as_str());
        let Some(postings) = segment
            .inverted_index(self.fields.kind)?
            .read_postings(&term, IndexRecordOption::Basic)?
        else {
            return Ok(0..0);
        };
        let first = postings.doc();
        Ok(first..first.saturating_add(postings.doc_freq()))
    }

    /// The shipped glossary unless [`Self::with_glossary`] gave another.
    pub fn glossary(&self) -> &Glossary {
        &self.glossary
    }

    /// Searches and matches translate with `glossary` (an exchange's own pairs
    /// added to the shipped ones).
    pub fn with_glossary(mut self, glossary: Arc<Glossary>) -> Self {
        self.glossary = glossary;
        self
    }

    /// Makes the last commit visible to searches, with the facet values of its new
    /// segments read before the first search needs them.
    fn reload(&self) -> IndexResult<()> {
        self.reader.reload()?;
        self.facet_tables.warm(&self.searcher())?;
        Ok(())
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds or replaces the listing (visible after the next commit).
    pub fn upsert(&self, listing: &IndexedListing) -> IndexResult<()> {
        let f = self.fields;
        let taxonomy = Taxonomy::builtin();
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, &listing.id);
        doc.add_text(f.kind, listing.kind.as_str());
        doc.add_u64(f.kind_order, kind_order(listing.kind));
        doc.add_text(f.owner, &listing.owner);
        doc.add_text(f.language, &listing.language);
        doc.add_facet(f.facets, Facet::from_path(["kind", listing.kind.as_str()]));
        if let Some(province) = &listing.province {
            doc.add_text(f.province, province);
            doc.add_facet(f.facets, Facet::from_path(["province", province.as_str()]));
            if let Some(region) = taxonomy.province(province).map(|p| p.region.clone()) {
                doc.add_text(f.region, &region);
            }
        }
        if let Some(status) = &listing.ip_status {
            doc.add_text(f.ip_status, status);
        }
        for mode in &listing.transfer_modes {
            doc.add_text(f.transfer_modes, mode.as_str());
            doc.add_facet(f.facets, Facet::from_path(["transfer_mode", mode.as_str()]));
        }
        if let Some(price) = &listing.price {
            if let Some(min) = price.min {
                doc.add_i64(f.price_min, min);
            }
            if let Some(max) = price.max {
                doc.add_i64(f.price_max, max);
            }
            doc.add_text(f.currency, &price.currency);
            doc.add_u64(f.negotiable, u64::from(price.negotiable));
        }
        for code in &listing.sectors {
            doc.add_text(f.sector_codes, code);
        }
        let mut sectors: Vec<String> = Vec::new();
        for code in &listing.sectors {
            sectors.push(code.clone());
            sectors.extend(taxonomy.ancestors(code).into_iter().map(str::to_owned));
        }
        sectors.sort();
        sectors.dedup();
        for code in &sectors {
            doc.add_text(f.sectors, code);
            doc.add_facet(f.facets, Facet::from_path(["sector", code.as_str()]));
        }
        if let Some(trl) = listing.trl {
            doc.add_u64(f.trl, u64::from(trl));
            doc.add_facet(
                f.facets,
                Facet::from_path(["trl", trl.to_string().as_str()]),
            );
        }
        doc.add_i64(f.published_at, listing.published_at);
        doc.add_i64(f.valid_until, day_number(listing.valid_until));
        let title = analysis::normalise(&listing.title);
        let body = analysis::normalise(&listing.body());
        doc.add_text(f.title, &title);
        doc.add_text(f.title_stem, &title);
        doc.add_text(f.body, &body);
        doc.add_text(f.body_stem, &body);
        let mut pairs = analysis::bigrams(&analysis::words(&title));
        pairs.extend(analysis::bigrams(&analysis::words(&body)));
        doc.add_text(f.bigrams, pairs.join(" "));
        doc.add_text(f.profile, serde_json::to_string(listing)?);

        let writer = self.writer();
        writer.delete_term(Term::from_field_text(f.id, &listing.id));
        writer.add_document(doc)?;
        Ok(())
    }

    /// Removes the listing, if indexed (effective after the next commit).
    pub fn delete(&self, id: &str) {
        self.writer()
            .delete_term(Term::from_field_text(self.fields.id, id));
    }

    /// Commits pending changes with the outbox position they bring the index to, and
    /// makes them visible to searches.
    pub fn commit(&self, last_seq: i64) -> IndexResult<()> {
        {
            let mut writer = self.writer();
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&last_seq.to_string());
            prepared.commit()?;
        }
        self.reload()?;
        self.searchable_seq.store(last_seq, Ordering::Release);
        Ok(())
    }

    /// Merges every segment into one. A bulk build leaves several; each costs every
    /// query a term lookup and a scorer per term, so a rebuilt index is merged
    /// before it is served. The commit payload is kept.
    pub fn merge_segments(&self) -> IndexResult<()> {
        let segments = self.index.searchable_segment_ids()?;
        if segments.len() > 1 {
            self.writer().merge(&segments).wait()?;
            self.reload()?;
        }
        Ok(())
    }

    /// The outbox sequence up to which searches see every change.
    pub fn searchable_seq(&self) -> i64 {
        self.searchable_seq.load(Ordering::Acquire)
    }

    /// The outbox sequence of the last commit (0 for a new index).
    pub fn last_seq(&self) -> IndexResult<i64> {
        payload_seq(&self.index)
    }

    pub fn num_docs(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// The stored profile of the listing `id`, if indexed.
    pub fn get(&self, id: &str) -> IndexResult<Option<IndexedListing>> {
        let searcher = self.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match top.first() {
            Some((_, address)) => Ok(Some(self.profile(&searcher.doc(*address)?)?)),
            None => Ok(None),
        }
    }

    /// The stored profile of a retrieved document.
    pub fn profile(&self, doc: &TantivyDocument) -> IndexResult<IndexedListing> {
        let json = doc
            .get_first(self.fields.profile)
            .and_then(|v| v.as_str())
            .unwrap_or("{}");
        Ok(serde_json::from_str(json)?)
    }
}

/// Decompressed blocks of stored documents kept per segment (tantivy keeps 100):
/// the listings that many searches and matches return — the popular ones — are
/// then read without decompressing their block again. 16 MiB of 4 KiB blocks.
const DOC_STORE_CACHE_BLOCKS: usize = 4096;

/// Settings of a new index. Documents are sorted by kind, offers first
/// ([`ListingIndex::kind_range`]). Stored documents are compressed in blocks of 4 KiB
/// (tantivy's default is 16 KiB): a search reads ten scattered documents, and each
/// read decompresses its whole block.
fn settings() -> IndexSettings {
    IndexSettings {
        sort_by_field: Some(IndexSortByField {
            field: KIND_ORDER.to_owned(),
            order: Order::Asc,
        }),
        docstore_blocksize: 4096,
        ..IndexSettings::default()
    }
}

/// The outbox sequence recorded in the last commit's payload (0 for a new index).
fn payload_seq(index: &Index) -> IndexResult<i64> {
    let metas = index.load_metas()?;
    Ok(metas
        .payload
        .as_deref()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0))
}
