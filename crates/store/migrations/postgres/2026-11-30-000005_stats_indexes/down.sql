DROP INDEX interests_concluded_at;
DROP INDEX listing_history_action;
DROP INDEX listings_created_at;
