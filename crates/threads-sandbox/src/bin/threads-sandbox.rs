//! Runs the sandbox alone: `threads-sandbox --bind 127.0.0.1:PORT --seed N [--config FILE]
//! [--public-base-url URL] [--latency-ms N]`. The config file may be TOML or JSON.

use std::process::ExitCode;

use threads_sandbox::{Sandbox, SandboxConfig};

struct Args {
    bind: String,
    config: SandboxConfig,
}

fn parse_args() -> Result<Args, String> {
    let mut bind = "127.0.0.1:8787".to_owned();
    let mut config = SandboxConfig::default();
    let mut seed = None;
    let mut base = None;
    let mut latency = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bind" => bind = value()?,
            "--seed" => {
                seed = Some(
                    value()?
                        .parse::<u64>()
                        .map_err(|e| format!("--seed: {e}"))?,
                )
            }
            "--public-base-url" => base = Some(value()?),
            "--latency-ms" => {
                latency = Some(
                    value()?
                        .parse::<u64>()
                        .map_err(|e| format!("--latency-ms: {e}"))?,
                )
            }
            "--config" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                config = if path.ends_with(".json") {
                    SandboxConfig::from_json_str(&text)
                } else {
                    SandboxConfig::from_toml_str(&text)
                }
                .map_err(|e| e.to_string())?;
            }
            "--help" | "-h" => {
                return Err("usage: threads-sandbox [--bind ADDR] [--seed N] [--config FILE] [--public-base-url URL] [--latency-ms N]".to_owned());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    // Command-line flags override the file.
    if let Some(s) = seed {
        config.seed = s;
    }
    if let Some(b) = base {
        config.public_base_url = Some(b);
    }
    if let Some(l) = latency {
        config.faults.latency_ms = l;
    }
    Ok(Args { bind, config })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(&args.bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot bind {}: {e}", args.bind);
            return ExitCode::FAILURE;
        }
    };
    let sandbox = Sandbox::new(args.config);
    if sandbox.config().public_base_url.is_none()
        && let Ok(addr) = listener.local_addr()
    {
        sandbox.set_public_base_url(format!("http://{addr}"));
    }
    for c in sandbox.creators() {
        println!(
            "creator {} @{} followers={} posts={}",
            c.user_id, c.username, c.followers_count, c.posts_count
        );
    }
    let addr = listener
        .local_addr()
        .map_or_else(|_| args.bind.clone(), |a| a.to_string());
    println!("threads-sandbox listening on http://{addr}");
    // Webhooks go out once a second: often enough that a receiver sees replies and mentions
    // soon after the clock passes them, rare enough to batch a fast-forwarded clock.
    if let Some(url) = &sandbox.config().webhook_url {
        println!("webhooks to {url}");
        sandbox.spawn_webhook_delivery(std::time::Duration::from_secs(1));
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, sandbox.router())
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("server error: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
