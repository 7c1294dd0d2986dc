//! Prints the token owner's profile and the first page of their posts.
//!
//! ```sh
//! THREADS_ACCESS_TOKEN=TH... cargo run -p threads-api --example profile
//! # against a sandbox:
//! THREADS_GRAPH_URL=http://127.0.0.1:8081 THREADS_ACCESS_TOKEN=... cargo run -p threads-api --example profile
//! ```

use futures_util::StreamExt;
use threads_api::{AccessToken, DEFAULT_GRAPH_BASE, ListQuery, ThreadsClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let token = std::env::var("THREADS_ACCESS_TOKEN")
        .map_err(|_| "set THREADS_ACCESS_TOKEN to a Threads user access token")?;
    let graph =
        std::env::var("THREADS_GRAPH_URL").unwrap_or_else(|_| DEFAULT_GRAPH_BASE.to_owned());
    let client = ThreadsClient::builder().graph_base(graph).build()?;
    let me = client.session(AccessToken::new(token));

    let profile = me.profile().await?;
    println!(
        "@{} ({})",
        profile.username.as_deref().unwrap_or("?"),
        profile.id
    );
    if let Some(name) = &profile.name {
        println!("  name: {name}");
    }
    if let Some(bio) = &profile.threads_biography {
        println!("  bio:  {bio}");
    }

    let mut pages = me.posts_pages(&ListQuery::new().limit(25));
    match pages.next().await {
        Some(page) => {
            let page = page?;
            println!("first page: {} posts", page.data.len());
            for post in &page.data {
                let when = post.timestamp.map(|t| t.to_rfc3339()).unwrap_or_default();
                let kind = post.media_type.as_ref().map(|t| t.as_str()).unwrap_or("?");
                let text: String = post
                    .text
                    .as_deref()
                    .unwrap_or("")
                    .chars()
                    .take(60)
                    .collect();
                println!("  {} {when} {kind:<14} {text}", post.id);
            }
        }
        None => println!("no posts"),
    }
    println!("API calls made: {}", client.calls_made());
    Ok(())
}
