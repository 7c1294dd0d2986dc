//! The `thredops` command line, run as a user would run it.

use std::process::Command;

fn thredops() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_thredops"));
    for (key, _) in std::env::vars() {
        if key.starts_with("THREDOPS_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

#[test]
fn help_lists_the_subcommands() {
    let out = thredops().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in ["serve", "migrate", "config", "keys"] {
        assert!(text.contains(sub), "{text}");
    }
}

#[test]
fn config_prints_the_effective_settings_with_secrets_redacted() {
    let out = thredops()
        .arg("config")
        .env("THREDOPS_MASTER_KEY", "ab".repeat(32))
        .env("THREDOPS_BIND", "127.0.0.1:9999")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("THREDOPS_BIND = 127.0.0.1:9999"));
    assert!(text.contains("THREDOPS_MASTER_KEY = (set, redacted)"));
    assert!(!text.contains("abab"));
}

#[test]
fn a_bad_setting_stops_start_up_naming_it() {
    let out = thredops()
        .arg("serve")
        .env("THREDOPS_DATABASE_URL", "mysql://x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("THREDOPS_DATABASE_URL") && err.contains("unsupported scheme"),
        "{err}"
    );
}

#[test]
fn an_unreachable_database_is_a_clear_error_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("thredops-cli-{}", std::process::id()));
    let out = thredops()
        .arg("migrate")
        .env("THREDOPS_DATA_DIR", &dir)
        .env(
            "THREDOPS_DATABASE_URL",
            "postgres://nobody@127.0.0.1:1/none",
        )
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot open the PostgreSQL database"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn migrate_creates_an_encrypted_database_and_a_private_key() {
    let dir = std::env::temp_dir().join(format!("thredops-cli-m-{}", std::process::id()));
    let out = thredops()
        .arg("migrate")
        .env("THREDOPS_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("master.key").exists() && dir.join("thredops.db").exists());
    let head = std::fs::read(dir.join("thredops.db")).unwrap();
    assert!(!head.starts_with(b"SQLite format 3"));
    let _ = std::fs::remove_dir_all(&dir);
}
