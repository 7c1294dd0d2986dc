//! The `thredops` binary: parse the command line and configuration, then run.

use std::process::ExitCode;

use clap::Parser;
use thredops::cli::{AdminCommand, Cli, Command, KeysCommand};
use thredops::config::RawSettings;
use thredops::startup::{Application, open_store, shutdown_signal};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let raw = match RawSettings::from_process_env(cli.config.as_deref()) {
        Ok(raw) => raw,
        Err(e) => return fail("configuration error", &e.into()),
    };
    let settings = match raw.parse() {
        Ok(s) => s,
        Err(e) => return fail("configuration error", &e.into()),
    };
    thredops::telemetry::init(&settings.log_level, settings.log_json);

    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Config => {
            print!("{}", raw.describe());
            Ok(())
        }
        Command::Migrate => migrate(&settings).await,
        Command::Keys {
            command: KeysCommand::RotateSigning,
        } => rotate_signing(&settings).await,
        Command::Keys { command: KeysCommand::Rotate } => thredops::keys::rotate_master(&settings).await.map(|r| {
            println!("master key rotated: {} data keys, {} signing keys and {} support images re-wrapped{}", r.data_keys, r.signing_keys, r.attachments, if thredops::keys::reencrypts_file(&settings) { ", database re-encrypted" } else { "" });
            println!("new key: {}", r.key_file.display());
            match r.old_key_file {
                Some(old) => println!("old key kept at {} (delete it once the new key is backed up)", old.display()),
                None => println!("the key came from THREDOPS_MASTER_KEY: put the new key (in the file above) there before restarting"),
            }
        }),
        Command::Admin {
            command: AdminCommand::Grant { email, role },
        } => grant(&settings, &email, &role).await,
        Command::Serve => serve(settings).await,
        Command::Demo {
            email,
            password,
            creator,
        } => thredops::demo::run(settings, &email, &password, creator.as_deref()).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail("error", &e),
    }
}

async fn serve(settings: thredops::config::Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    let url = app.state().settings.public_url.clone();
    tracing::info!(
        %url,
        backend = app.state().store.backend(),
        session_check = app.state().store.session_check_name(),
        "ThredOps is ready"
    );
    println!("ThredOps is running at {url}  (Ctrl-C to stop)");
    println!(
        "  data: {} ({} database)",
        app.state().settings.data_dir.display(),
        app.state().store.backend()
    );
    if app.state().threads.sandbox.is_some() {
        println!("  Threads: built-in sandbox with synthetic creators (no Meta app configured)");
        println!(
            "  Next: open {url}signup, create an account, then Profiles > Connect a Threads profile."
        );
        println!(
            "  Or, in another terminal: thredops demo --email you@example.com --password <10+ chars>"
        );
    } else {
        println!(
            "  Threads: real API; OAuth redirect URI {}",
            app.state().threads.redirect_uri
        );
    }
    app.run_until_stopped(shutdown_signal()).await
}

async fn migrate(settings: &thredops::config::Settings) -> anyhow::Result<()> {
    let (_, store) = open_store(settings).await?;
    println!("migrations applied ({} backend)", store.backend());
    store.close().await;
    Ok(())
}

async fn rotate_signing(settings: &thredops::config::Settings) -> anyhow::Result<()> {
    let (master, store) = open_store(settings).await?;
    let rotated =
        thredops::auth::Keyring::rotate(&store, &master, thredops::clock::now_unix()).await;
    store.close().await;
    println!(
        "new signing key {} is current; restart the servers to sign with it",
        rotated?
    );
    Ok(())
}

async fn grant(
    settings: &thredops::config::Settings,
    email: &str,
    role: &str,
) -> anyhow::Result<()> {
    let (_, store) = open_store(settings).await?;
    let granted = thredops::privacy::staff::grant(&store, email, role).await;
    store.close().await;
    granted?;
    println!("{email} now has the role {role}");
    Ok(())
}

fn fail(what: &str, e: &anyhow::Error) -> ExitCode {
    eprintln!("{what}: {e:#}");
    ExitCode::FAILURE
}
