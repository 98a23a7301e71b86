DROP TABLE listing_history;
DROP TABLE listing_sectors;
DROP TABLE listings;
