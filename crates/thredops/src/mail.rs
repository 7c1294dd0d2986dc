//! Outgoing email. Without SMTP configured, every message is written to the outbox folder in
//! the data directory, so nothing is lost and the demo works; SMTP delivery can be added behind
//! the same `send`.

use std::path::PathBuf;

use anyhow::Context;
use chrono::Utc;

/// One plain-text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Sends mail (for now: into the outbox folder).
#[derive(Debug, Clone)]
pub struct Mailer {
    outbox: PathBuf,
    from: String,
}

impl Mailer {
    /// A mailer writing to `<data_dir>/outbox`.
    pub fn outbox(data_dir: &std::path::Path, from: impl Into<String>) -> Self {
        Self {
            outbox: data_dir.join("outbox"),
            from: from.into(),
        }
    }

    /// Where messages are written.
    pub fn outbox_dir(&self) -> &std::path::Path {
        &self.outbox
    }

    /// Delivers a message: one `.eml` file per message in the outbox.
    pub async fn send(&self, email: &Email) -> anyhow::Result<PathBuf> {
        tokio::fs::create_dir_all(&self.outbox)
            .await
            .context("creating the mail outbox")?;
        let name = format!(
            "{}-{}.eml",
            Utc::now().format("%Y%m%dT%H%M%S%.3f"),
            uuid::Uuid::new_v4().simple()
        );
        let path = self.outbox.join(name);
        let text = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            self.from,
            email.to,
            email.subject.replace(['\r', '\n'], " "),
            Utc::now().to_rfc2822(),
            email.body
        );
        tokio::fs::write(&path, text)
            .await
            .context("writing to the mail outbox")?;
        tracing::info!(subject = %email.subject, "mail written to the outbox");
        Ok(path)
    }

    /// Messages in the outbox, oldest first (for tests and the operator).
    pub fn outbox_messages(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(&self.outbox)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn messages_land_in_the_outbox_with_headers_and_no_header_injection() {
        let dir = std::env::temp_dir().join(format!("thredops-mail-{}", uuid::Uuid::new_v4()));
        let mailer = Mailer::outbox(&dir, "ThredOps <no-reply@thredops.local>");
        mailer
            .send(&Email {
                to: "maya@example.com".into(),
                subject: "Hello\r\nBcc: evil@example.com".into(),
                body: "Body text".into(),
            })
            .await
            .unwrap();
        let messages = mailer.outbox_messages();
        assert_eq!(messages.len(), 1);
        assert!(messages[0].contains("To: maya@example.com") && messages[0].contains("Body text"));
        assert!(!messages[0].contains("\r\nBcc:"), "{}", messages[0]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
