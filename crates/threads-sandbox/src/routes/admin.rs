//! The admin API under `/_sandbox/` (JSON): creators, clock, tokens, faults, truth, reset.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Sandbox;
use crate::faults::FaultConfig;
use crate::ids::ObjectRef;
use crate::tokens::{ALL_SCOPES, TokenKind};
use crate::world::render;
use crate::world::traits::CreatorTraits;

type AdminResult = Result<Json<Value>, (StatusCode, Json<Value>)>;

fn fail(status: StatusCode, message: impl std::fmt::Display) -> (StatusCode, Json<Value>) {
    (status, Json(json!({"error": message.to_string()})))
}

pub fn router() -> Router<Sandbox> {
    Router::new()
        .route("/creators", get(list_creators).post(create_creator))
        .route("/clock", get(get_clock))
        .route("/clock/advance", post(advance_clock))
        .route("/clock/set", post(set_clock))
        .route("/tokens", post(mint_token))
        .route("/tokens/revoke", post(revoke_tokens))
        .route("/faults", get(get_faults).put(put_faults))
        .route("/truth/{user_id}", get(truth))
        .route("/metrics", post(plant_metrics))
        .route("/reset", post(reset))
}

async fn list_creators(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!({"data": sb.creators()}))
}

async fn create_creator(
    State(sb): State<Sandbox>,
    Json(traits): Json<CreatorTraits>,
) -> AdminResult {
    let created = sb
        .create_creator(traits)
        .map_err(|e| fail(StatusCode::BAD_REQUEST, e))?;
    Ok(Json(json!(created)))
}

fn clock_json(sb: &Sandbox) -> Json<Value> {
    let now = sb.clock().now();
    Json(
        json!({"now": now.to_rfc3339(), "timestamp": now.timestamp(), "frozen": sb.clock().is_frozen()}),
    )
}

async fn get_clock(State(sb): State<Sandbox>) -> Json<Value> {
    clock_json(&sb)
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(State(sb): State<Sandbox>, Json(body): Json<Advance>) -> AdminResult {
    sb.clock()
        .advance(Duration::seconds(body.seconds))
        .map_err(|e| fail(StatusCode::BAD_REQUEST, e))?;
    Ok(clock_json(&sb))
}

#[derive(Deserialize)]
struct SetClock {
    time: DateTime<Utc>,
}

async fn set_clock(State(sb): State<Sandbox>, Json(body): Json<SetClock>) -> AdminResult {
    sb.clock()
        .set(body.time)
        .map_err(|e| fail(StatusCode::BAD_REQUEST, e))?;
    Ok(clock_json(&sb))
}

#[derive(Deserialize)]
struct MintRequest {
    user_id: Value,
    scopes: Option<Vec<String>>,
    #[serde(default)]
    kind: TokenKind,
}

fn parse_user(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

async fn mint_token(State(sb): State<Sandbox>, Json(body): Json<MintRequest>) -> AdminResult {
    let user_id = parse_user(&body.user_id)
        .filter(|u| sb.world().by_user.contains_key(u))
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, "unknown user_id"))?;
    let scopes = body
        .scopes
        .unwrap_or_else(|| ALL_SCOPES.iter().map(|s| (*s).to_owned()).collect());
    let (token, info) = sb.mint(user_id, scopes, body.kind);
    Ok(Json(json!({
        "access_token": token, "user_id": user_id.to_string(), "scopes": info.scopes, "kind": info.kind,
        "expires_at": info.expires_at.to_rfc3339(), "expires_in": (info.expires_at - info.issued_at).num_seconds(),
    })))
}

#[derive(Deserialize)]
struct RevokeRequest {
    access_token: Option<String>,
    user_id: Option<Value>,
}

async fn revoke_tokens(State(sb): State<Sandbox>, Json(body): Json<RevokeRequest>) -> AdminResult {
    let mut tokens = sb.tokens();
    let revoked = match (
        &body.access_token,
        body.user_id.as_ref().and_then(parse_user),
    ) {
        (Some(t), _) => usize::from(tokens.revoke(t)),
        (None, Some(u)) => tokens.revoke_user(u),
        _ => {
            return Err(fail(
                StatusCode::BAD_REQUEST,
                "give access_token or user_id",
            ));
        }
    };
    Ok(Json(json!({"revoked": revoked})))
}

async fn get_faults(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!(sb.faults()))
}

async fn put_faults(State(sb): State<Sandbox>, Json(faults): Json<FaultConfig>) -> Json<Value> {
    sb.set_faults(faults);
    Json(json!(sb.faults()))
}

#[derive(Deserialize)]
struct TruthQuery {
    #[serde(default)]
    include_deleted: bool,
}

const TRUTH_FIELDS: &[&str] = &[
    "id",
    "media_type",
    "timestamp",
    "text",
    "permalink",
    "shortcode",
    "topic_tag",
    "link_attachment_url",
    "is_quote_post",
    "quoted_post",
    "reposted_post",
    "children",
    "poll_attachment",
    "gif_url",
    "reply_audience",
    "root_post",
    "replied_to",
];

/// Ground truth for a creator: every post and reply with its current metrics.
async fn truth(
    State(sb): State<Sandbox>,
    Path(user_id): Path<String>,
    Query(q): Query<TruthQuery>,
) -> AdminResult {
    let uid: u64 = user_id
        .parse()
        .map_err(|_| fail(StatusCode::BAD_REQUEST, "bad user id"))?;
    let now = sb.clock().now_ts();
    let world = sb.world();
    let c = world
        .creator_by_user(uid)
        .ok_or_else(|| fail(StatusCode::NOT_FOUND, "unknown user"))?;
    let fields: Vec<String> = TRUTH_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    let entry = |r: ObjectRef, p: &crate::world::Post| -> Value {
        let mut v = match render::post(&world, r, &fields, now, uid) {
            Ok(map) => Value::Object(map),
            Err(_) => json!({"id": r.id().to_string()}),
        };
        v["deleted"] = json!(p.deleted);
        v["metrics"] = json!(c.metrics_of(p, now));
        v
    };
    let deleted_view = |r: ObjectRef, p: &crate::world::Post| -> Value {
        json!({"id": r.id().to_string(), "deleted": true, "timestamp": render::timestamp(p.ts), "metrics": c.metrics_of(p, now)})
    };
    let mut posts = Vec::new();
    for (i, p) in c.posts[..c.visible_end(now)].iter().enumerate().rev() {
        let r = ObjectRef::Post {
            creator: c.index,
            post: i,
        };
        match (p.deleted, q.include_deleted) {
            (false, _) => posts.push(entry(r, p)),
            (true, true) => posts.push(deleted_view(r, p)),
            (true, false) => {}
        }
    }
    let replies: Vec<Value> = c
        .replies
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, p)| !p.deleted && p.ts <= now)
        .map(|(i, p)| {
            entry(
                ObjectRef::OwnReply {
                    creator: c.index,
                    reply: i,
                },
                p,
            )
        })
        .collect();
    Ok(Json(json!({
        "user_id": uid.to_string(), "username": c.username, "now": render::timestamp(now),
        "followers_count": c.followers_at(now), "posts_count": posts.len(), "replies_count": replies.len(),
        "traits": c.traits, "profile": c.profile, "posts": posts, "replies": replies,
    })))
}

#[derive(Deserialize)]
struct Plant {
    media_id: String,
    likes: u64,
    views: u64,
}

/// Sets a post's likes and views (e.g. to pass an auto-plug's threshold).
async fn plant_metrics(State(sb): State<Sandbox>, Json(body): Json<Plant>) -> AdminResult {
    let r = ObjectRef::parse(&body.media_id)
        .ok_or_else(|| fail(StatusCode::BAD_REQUEST, "bad media id"))?;
    if !sb.world_mut().plant_metrics(r, body.likes, body.views) {
        return Err(fail(StatusCode::NOT_FOUND, "unknown post"));
    }
    Ok(Json(
        json!({"media_id": body.media_id, "likes": body.likes, "views": body.views}),
    ))
}

async fn reset(State(sb): State<Sandbox>) -> Json<Value> {
    sb.reset();
    Json(json!({"reset": true}))
}
