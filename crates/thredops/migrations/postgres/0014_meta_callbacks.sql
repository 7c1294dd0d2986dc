-- Meta callbacks (deauthorize, data deletion) already applied, by the SHA-256 of their
-- signed_request: a captured request sent again gets the first answer and changes nothing (it
-- must not remove a profile the person connected again since). Kept while such a request could
-- still pass the freshness check.
CREATE TABLE meta_callbacks (
    request_hash TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    response TEXT NOT NULL,
    applied_at BIGINT NOT NULL
);
