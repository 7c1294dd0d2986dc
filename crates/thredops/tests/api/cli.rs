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

#[tokio::test]
async fn demo_prepares_an_account_that_a_running_server_serves_and_keeps_syncing() {
    let dir = std::env::temp_dir().join(format!("thredops-demo-{}", uuid::Uuid::new_v4()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = thredops()
        .arg("serve")
        .env("THREDOPS_DATA_DIR", &dir)
        .env("THREDOPS_BIND", format!("127.0.0.1:{port}"))
        .env("THREDOPS_LOG", "error")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = crate::helpers::client();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| !r.status().is_success())
        .unwrap_or(true)
    {
        assert!(std::time::Instant::now() < deadline, "server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let creators: serde_json::Value = client
        .get(format!("{base}/sandbox/_sandbox/creators"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let smallest = creators["data"]
        .as_array()
        .unwrap()
        .iter()
        .min_by_key(|c| c["posts_count"].as_u64())
        .unwrap()["username"]
        .as_str()
        .unwrap()
        .to_owned();

    // Beside the running server, on the same data.
    let out = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            thredops()
                .args([
                    "demo",
                    "--email",
                    "visitor@example.com",
                    "--password",
                    "demo-passphrase-1",
                    "--creator",
                    &smallest,
                ])
                .env("THREDOPS_DATA_DIR", &dir)
                .env("THREDOPS_LOG", "error")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("done: sign in as visitor@example.com"),
        "{stdout}"
    );

    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "visitor@example.com", "password": "demo-passphrase-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let profiles: serde_json::Value = client
        .get(format!("{base}/api/v1/profiles"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(profiles[0]["sync"]["state"], "idle", "{profiles}");
    assert_eq!(profiles[0]["status"], "active");
    // The server's own sandbox accepts the token the demo connected with: a sync succeeds there.
    let id = profiles[0]["id"].as_str().unwrap().to_owned();
    let before = profiles[0]["sync"]["last_sync_at"].as_i64().unwrap();
    let page = client
        .get(format!("{base}/app/profiles/{id}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = client
        .post(format!("{base}/app/profiles/{id}/sync"))
        .form(&[("csrf", crate::connect::csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let p: serde_json::Value = client
            .get(format!("{base}/api/v1/profiles/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(p["status"], "active", "{p}");
        if p["sync"]["last_sync_at"].as_i64().unwrap() > before {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server's sync did not run: {p}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Running it again reuses the account and the profile.
    let again = thredops()
        .args([
            "demo",
            "--email",
            "visitor@example.com",
            "--password",
            "demo-passphrase-1",
            "--creator",
            profiles[0]["username"].as_str().unwrap(),
        ])
        .env("THREDOPS_DATA_DIR", &dir)
        .env("THREDOPS_LOG", "error")
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("using the existing account"));
    let _ = std::process::Command::new("kill")
        .arg(server.id().to_string())
        .status();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_misspelt_setting_stops_start_up_naming_the_right_one() {
    let out = thredops()
        .arg("config")
        .env("THREDOPS_PUBLC_URL", "https://thredops.example")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("THREDOPS_PUBLC_URL is not a ThredOps setting")
            && err.contains("did you mean THREDOPS_PUBLIC_URL?"),
        "{err}"
    );
}

#[test]
fn an_empty_database_file_is_refused_and_left_as_it_is() {
    let dir = std::env::temp_dir().join(format!("thredops-cli-e-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("thredops.db"), b"").unwrap();
    let out = thredops()
        .arg("migrate")
        .env("THREDOPS_DATA_DIR", &dir)
        .output()
        .unwrap();
    let size = std::fs::metadata(dir.join("thredops.db")).unwrap().len();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("is empty (0 bytes)"), "{err}");
    assert_eq!(size, 0, "the file must not be turned into a new database");
}

#[test]
fn a_damaged_database_file_stops_start_up_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("thredops-cli-d-{}", uuid::Uuid::new_v4()));
    let migrate = || {
        thredops()
            .arg("migrate")
            .env("THREDOPS_DATA_DIR", &dir)
            .output()
            .unwrap()
    };
    assert!(migrate().status.success());
    // Scribble over a page past the schema's first pages, as a failing disk would.
    let path = dir.join("thredops.db");
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 6 * 4096, "database of {} bytes", bytes.len());
    for b in &mut bytes[5 * 4096 + 64..5 * 4096 + 1024] {
        *b ^= 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    let out = migrate();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("is damaged"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
