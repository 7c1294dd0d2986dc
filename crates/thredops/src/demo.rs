//! `thredops demo`: an account with one sandbox creator connected and its history synced, so a
//! visitor can sign in and look around at once.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::auth::ClientInfo;
use crate::config::{Settings, ThreadsMode};
use crate::services::{accounts, profiles};
use crate::startup::Application;
use crate::store::profiles::Connected;
use crate::threads::ThreadsGateway;

/// The sandbox creator connected by default: mid-sized, with a few years of posts.
pub const DEFAULT_CREATOR_INDEX: usize = 2;

/// Creates (or reuses) the account, connects a sandbox creator and waits for its backfill.
pub async fn run(
    mut settings: Settings,
    email: &str,
    password: &str,
    creator: Option<&str>,
) -> anyhow::Result<()> {
    if !matches!(settings.threads, ThreadsMode::Sandbox { .. }) {
        bail!(
            "the demo connects a sandbox creator: run it without a Threads app configured (or with THREDOPS_SANDBOX=on)"
        );
    }
    // A private port: this may run beside `thredops serve` on the same data.
    settings.bind = "127.0.0.1:0".parse().expect("valid address");
    settings.public_url = url::Url::parse("http://127.0.0.1:0").expect("valid URL");
    let app = Application::build(settings).await?;
    let state = app.state().clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));

    let client = ClientInfo {
        ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        user_agent: "thredops demo".into(),
        device: None,
    };
    let user = match accounts::create_confirmed(&state, email, password).await {
        Ok(Some(user)) => {
            println!("created the account {email}");
            user
        }
        Ok(None) => match accounts::sign_in(&state, email, password, &client).await {
            Ok(accounts::SignInOutcome::Session(signed_in)) => {
                println!("using the existing account {email}");
                signed_in.user
            }
            Ok(accounts::SignInOutcome::SecondFactor { .. }) => {
                bail!("{email} has two-step sign-in on; the demo cannot sign in to it")
            }
            Err(_) => bail!("{email} already exists with another password"),
        },
        Err(e) => bail!("cannot create the account: {}", e.public_message()),
    };

    let sandbox = state.threads.sandbox.clone().expect("sandbox mode");
    let creators = sandbox.creators();
    let pick = match creator {
        Some(name) => creators
            .iter()
            .find(|c| c.username == name.trim_start_matches('@')),
        None => creators.get(DEFAULT_CREATOR_INDEX).or(creators.first()),
    }
    .with_context(|| format!("no sandbox creator named {}", creator.unwrap_or("?")))?;
    let scopes: Vec<&str> = ThreadsGateway::scopes()
        .iter()
        .map(|s| s.as_str())
        .collect();
    let token = threads_api::AccessToken::new(sandbox.mint_token(pick.user_id, &scopes));
    let expires_at = state.threads.now() + chrono::Duration::days(60);
    let connected = profiles::attach_profile(
        &state,
        &crate::domain::WorkspaceId::owned_by(&user.id),
        &token,
        expires_at,
    )
    .await
    .map_err(|e| anyhow::anyhow!("connecting @{}: {e}", pick.username))?;
    let profile_id = match connected {
        Connected::New(id) | Connected::Reconnected(id) => id,
    };
    println!(
        "connected @{} ({} posts, {} followers); fetching its history…",
        pick.username, pick.posts_count, pick.followers_count
    );

    loop {
        let record = state
            .store
            .profile(&profile_id)
            .await?
            .context("profile vanished")?;
        if record.backfill_done_at.is_some() {
            break;
        }
        if let Some(progress) = crate::sync::progress(&state, &profile_id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            let stored = progress["posts_stored"].as_u64().unwrap_or(0);
            println!("  {stored} of {} posts stored", pick.posts_count);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    println!("done: sign in as {email} to explore @{}", pick.username);
    let _ = stop.send(());
    server.await.context("server task")??;
    Ok(())
}
