//! The `thredops` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// ThredOps: a strategic command centre for creators on Threads.
#[derive(Debug, Parser)]
#[command(name = "thredops", version, about, long_about = None)]
pub struct Cli {
    /// Optional TOML configuration file (keys as listed by `thredops config`, lower case).
    #[arg(
        long,
        short,
        global = true,
        env = "THREDOPS_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,

    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the effective configuration, secrets redacted.
    Config,
    /// Create a demo account with one sandbox creator connected and its history synced
    /// (sandbox mode; works before `serve` or beside it).
    Demo {
        /// Email of the demo account.
        #[arg(long, default_value = "demo@thredops.local")]
        email: String,
        /// Password of the demo account (at least 10 characters).
        #[arg(long, env = "THREDOPS_DEMO_PASSWORD")]
        password: String,
        /// Sandbox creator to connect (username); a mid-sized one by default.
        #[arg(long)]
        creator: Option<String>,
    },
    /// Manage keys.
    Keys {
        /// Key operation.
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Staff administration.
    Admin {
        /// Admin operation.
        #[command(subcommand)]
        command: AdminCommand,
    },
}

/// Staff administration.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Give an account a staff role: user (none), support (support desk and account summaries,
    /// each view logged for the user) or admin.
    Grant {
        /// The account's email.
        email: String,
        /// user, support or admin.
        role: String,
    },
}

/// Key operations.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Start signing sessions with a new key; sessions signed with older keys stay valid until they
    /// expire. Restart (or roll) the servers to pick it up.
    RotateSigning,
    /// Replace the master key: re-wrap every key under a new one and, on SQLite, re-encrypt the
    /// database. Stop the servers first; the old key file is kept beside the new one.
    Rotate,
}
