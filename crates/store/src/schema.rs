//! Hand-written diesel schema, portable across SQLite and PostgreSQL (print-schema
//! differs per backend). Keep in step with both `migrations/` folders.

diesel::table! {
    organisations (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        province -> Nullable<Text>,
        country -> Text,
        website -> Nullable<Text>,
        verified -> Bool,
        verified_at -> Nullable<Timestamp>,
        verified_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        full_name -> Text,
        role -> Text,
        organisation_id -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<Text>,
        action -> Text,
        object_type -> Nullable<Text>,
        object_id -> Nullable<Text>,
        detail -> Nullable<Text>,
        client_ip -> Nullable<Text>,
    }
}

diesel::joinable!(users -> organisations (organisation_id));

diesel::table! {
    listings (id) {
        id -> Text,
        kind -> Text,
        status -> Text,
        owner_organisation_id -> Text,
        created_by -> Text,
        content -> Text,
        title -> Text,
        language -> Text,
        province -> Nullable<Text>,
        trl -> Nullable<Integer>,
        valid_until -> Date,
        external_ref -> Nullable<Text>,
        revision_content -> Nullable<Text>,
        revision_status -> Nullable<Text>,
        revision_submitted_at -> Nullable<Timestamp>,
        rejection_code -> Nullable<Text>,
        rejection_message -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        queued_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    listing_sectors (listing_id, code) {
        listing_id -> Text,
        code -> Text,
    }
}

diesel::table! {
    listing_history (id) {
        id -> Text,
        listing_id -> Text,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<Text>,
        action -> Text,
        from_status -> Text,
        to_status -> Text,
        reason_code -> Nullable<Text>,
        message -> Nullable<Text>,
    }
}

diesel::joinable!(listings -> organisations (owner_organisation_id));
diesel::joinable!(listing_sectors -> listings (listing_id));
diesel::joinable!(listing_history -> listings (listing_id));

diesel::table! {
    listing_events (seq) {
        seq -> BigInt,
        listing_id -> Text,
        occurred_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    users,
    audit_log,
    listings,
    listing_sectors,
    listing_history,
    listing_events,
);
