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
        tokens_revoked_at -> Nullable<Timestamp>,
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

diesel::table! {
    invitations (id) {
        id -> Text,
        organisation_id -> Text,
        email -> Text,
        token_sha256 -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        accepted_user_id -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Text,
        user_id -> Text,
        token_sha256 -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
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

diesel::table! {
    interests (id) {
        id -> Text,
        listing_id -> Text,
        owner_organisation_id -> Text,
        requester_organisation_id -> Text,
        requester_listing_id -> Nullable<Text>,
        created_by -> Text,
        brokered_by -> Nullable<Text>,
        state -> Text,
        message -> Text,
        responded_by -> Nullable<Text>,
        responded_at -> Nullable<Timestamp>,
        accepted_at -> Nullable<Timestamp>,
        decline_reason -> Nullable<Text>,
        close_reason -> Nullable<Text>,
        closing_message -> Nullable<Text>,
        transfer_value -> Nullable<BigInt>,
        transfer_currency -> Nullable<Text>,
        contract_date -> Nullable<Date>,
        transfer_mode -> Nullable<Text>,
        concluded_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    interest_messages (id) {
        id -> Text,
        interest_id -> Text,
        author_user_id -> Text,
        author_organisation_id -> Text,
        operator_note -> Bool,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        user_id -> Text,
        event -> Text,
        title -> Text,
        detail -> Text,
        object_type -> Text,
        object_id -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notices_sent (key) {
        key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    job_cursors (name) {
        name -> Text,
        seq -> BigInt,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        organisation_id -> Text,
        url -> Text,
        secret -> Text,
        events -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        event -> Text,
        payload -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(interest_messages -> interests (interest_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    users,
    audit_log,
    listings,
    listing_sectors,
    listing_history,
    listing_events,
    interests,
    interest_messages,
    notifications,
    notices_sent,
    job_cursors,
    webhooks,
    webhook_deliveries,
    invitations,
    password_resets,
);
