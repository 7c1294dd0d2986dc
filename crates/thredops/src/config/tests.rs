use super::*;
use std::collections::HashMap;

fn load(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    RawSettings::load(None, |name| env.get(name).cloned())?.parse()
}

#[test]
fn defaults_start_a_local_sqlite_server() {
    let s = load(&[]).unwrap();
    assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(s.public_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(
        s.database,
        DatabaseTarget::Sqlite(PathBuf::from("./data/thredops.db"))
    );
    assert_eq!(s.master_key_file, PathBuf::from("./data/master.key"));
}

#[test]
fn environment_overrides_defaults() {
    let s = load(&[
        ("THREDOPS_BIND", "0.0.0.0:9000"),
        ("THREDOPS_DATA_DIR", "/srv/t"),
    ])
    .unwrap();
    assert_eq!(s.bind.port(), 9000);
    assert_eq!(
        s.database,
        DatabaseTarget::Sqlite(PathBuf::from("/srv/t/thredops.db"))
    );
}

#[test]
fn unknown_database_scheme_is_refused_with_the_variable_named() {
    let err = load(&[("THREDOPS_DATABASE_URL", "mysql://root@localhost/x")]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("THREDOPS_DATABASE_URL"), "{msg}");
    assert!(msg.contains("mysql"), "{msg}");
}

#[test]
fn postgres_url_selects_postgres() {
    let s = load(&[(
        "THREDOPS_DATABASE_URL",
        "postgres://postgres@127.0.0.1/thredops?sslmode=require",
    )])
    .unwrap();
    assert!(matches!(s.database, DatabaseTarget::Postgres(_)));
}

#[test]
fn bad_values_name_their_variable() {
    for (var, value) in [
        ("THREDOPS_BIND", "not-an-address"),
        ("THREDOPS_PUBLIC_URL", "ftp://example.com"),
        ("THREDOPS_LOG_FORMAT", "xml"),
        ("THREDOPS_SESSION_IDLE_MINUTES", "0"),
        ("THREDOPS_TRUST_FORWARDED_FOR", "maybe"),
    ] {
        let err = load(&[(var, value)]).unwrap_err().to_string();
        assert!(err.contains(var), "{var}: {err}");
    }
}

#[test]
fn tls_needs_both_files() {
    let err = load(&[("THREDOPS_TLS_CERT", "cert.pem")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("THREDOPS_TLS_KEY"), "{err}");
}

#[test]
fn file_values_sit_between_defaults_and_environment() {
    let dir = std::env::temp_dir().join(format!("thredops-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("thredops.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:7000\"\nmax_body_bytes = 2048\n").unwrap();
    let raw = RawSettings::load(Some(&file), |name| {
        (name == "THREDOPS_MAX_BODY_BYTES").then(|| "4096".to_owned())
    })
    .unwrap();
    let s = raw.parse().unwrap();
    assert_eq!(s.bind.port(), 7000);
    assert_eq!(s.max_body_bytes, 4096);

    std::fs::write(&file, "colour = \"blue\"\n").unwrap();
    let err = RawSettings::load(Some(&file), |_| None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("colour"), "{err}");
}

#[test]
fn describe_redacts_secrets() {
    let raw = RawSettings::load(None, |name| match name {
        "THREDOPS_MASTER_KEY" => Some("ab".repeat(32)),
        "THREDOPS_DATABASE_URL" => Some("postgres://u:pw@h/db".into()),
        _ => None,
    })
    .unwrap();
    let text = raw.describe();
    assert!(!text.contains("abab"), "{text}");
    assert!(!text.contains("pw@"), "{text}");
    assert!(text.contains("THREDOPS_MASTER_KEY = (set, redacted)"));
}

#[test]
fn readme_documents_every_setting() {
    let readme = include_str!("../../../../README.md");
    for spec in SETTINGS {
        assert!(
            readme.contains(spec.env),
            "README.md does not document {}",
            spec.env
        );
    }
}

#[test]
fn sandbox_is_on_without_a_threads_app_and_off_with_one() {
    assert!(matches!(
        load(&[]).unwrap().threads,
        ThreadsMode::Sandbox {
            seed: 42,
            frozen_clock: false,
            admin_open: false
        }
    ));
    let real = load(&[
        ("THREDOPS_THREADS_APP_ID", "123"),
        ("THREDOPS_THREADS_APP_SECRET", "s"),
    ])
    .unwrap();
    assert!(matches!(real.threads, ThreadsMode::Real { .. }));
    let forced = load(&[
        ("THREDOPS_THREADS_APP_ID", "123"),
        ("THREDOPS_THREADS_APP_SECRET", "s"),
        ("THREDOPS_SANDBOX", "on"),
    ])
    .unwrap();
    assert!(matches!(forced.threads, ThreadsMode::Sandbox { .. }));
}

#[test]
fn a_real_threads_app_needs_its_secret() {
    let err = load(&[("THREDOPS_THREADS_APP_ID", "123")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("THREDOPS_THREADS_APP_SECRET"), "{err}");
    let err = load(&[("THREDOPS_SANDBOX", "off")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("THREDOPS_THREADS_APP_ID"), "{err}");
}

#[test]
fn a_misspelt_variable_is_refused_with_the_setting_it_was_meant_to_be() {
    let err = check_names(["THREDOPS_DATABSE_URL".to_owned()]).unwrap_err();
    assert!(
        err.to_string().contains(
            "THREDOPS_DATABSE_URL is not a ThredOps setting (did you mean THREDOPS_DATABASE_URL?)"
        ),
        "{err}"
    );
    let err = check_names(["THREDOPS_WHATEVER_THIS_IS".to_owned()]).unwrap_err();
    assert!(!err.to_string().contains("did you mean"), "{err}");
    // Settings, the harness's switches and other programs' variables pass.
    check_names(
        [
            "THREDOPS_BIND",
            "THREDOPS_TEST_DATABASE_URL",
            "PATH",
            "THREDOP",
        ]
        .map(str::to_owned),
    )
    .unwrap();
}

#[test]
fn the_sandbox_switch_names_its_three_values() {
    let err = load(&[("THREDOPS_SANDBOX", "maybe")]).unwrap_err();
    assert!(
        err.to_string().contains("expected auto, on or off"),
        "{err}"
    );
}
