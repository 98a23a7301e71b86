-- Indexes for operator statistics: each figure reads one period of one table.
CREATE INDEX listings_created_at ON listings (created_at);
CREATE INDEX listing_history_action ON listing_history (action, occurred_at);
CREATE INDEX interests_concluded_at ON interests (concluded_at);
