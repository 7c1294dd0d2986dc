-- Analytics reads only what sync stores (0003) and keeps no copies, so account deletion purges it
-- with the profile. Reads are ranges bounded by the period shown.
-- Posts rows carry their sealed content, so summing or sorting a period's posts from the table
-- reads (and, on SQLCipher, decrypts) every content page. This covering index holds what the
-- overview sums and the explorer filters and sorts on, so those read the index only and fetch
-- content for the one page shown (docs/bench-analytics.md has the before and after).
CREATE INDEX analytics_posts_period ON posts(profile_id, posted_at, is_repost, has_poll, is_quote, media_type, views, likes, replies, reposts, quotes, shares, media_id);
