DROP INDEX listing_events_listing;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE job_cursors;
DROP TABLE notices_sent;
DROP TABLE notifications;
DROP TABLE interest_messages;
DROP TABLE interests;
