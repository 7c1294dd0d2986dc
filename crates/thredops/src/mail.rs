//! Outgoing email. With `THREDOPS_SMTP_URL` set, messages go out through SMTP (lettre over
//! rustls); otherwise every message is written to the outbox folder in the data directory, so
//! nothing is lost and the demo works.

use std::path::PathBuf;

use anyhow::Context;

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

/// Sends mail through SMTP when configured, else into the outbox folder.
#[derive(Clone)]
pub struct Mailer {
    outbox: PathBuf,
    from: String,
    smtp: Option<lettre::AsyncSmtpTransport<lettre::Tokio1Executor>>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP credentials: never print it.
        f.debug_struct("Mailer")
            .field("outbox", &self.outbox)
            .field("smtp", &self.smtp.is_some())
            .finish()
    }
}

impl Mailer {
    /// A mailer writing to `<data_dir>/outbox`.
    pub fn outbox(data_dir: &std::path::Path, from: impl Into<String>) -> Self {
        Self {
            outbox: data_dir.join("outbox"),
            from: from.into(),
            smtp: None,
        }
    }

    /// A mailer delivering through the SMTP server at `url` (lettre's URL syntax, e.g.
    /// `smtps://user:pass@host:465`); the outbox stays as the place for tests and the operator.
    pub fn smtp(
        data_dir: &std::path::Path,
        from: impl Into<String>,
        url: &str,
    ) -> anyhow::Result<Self> {
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .context("THREDOPS_SMTP_URL is not a usable SMTP URL")?
            .build();
        let mut mailer = Self::outbox(data_dir, from);
        mailer.smtp = Some(transport);
        Ok(mailer)
    }

    /// Whether mail leaves the machine (SMTP) rather than landing in the outbox.
    pub fn is_smtp(&self) -> bool {
        self.smtp.is_some()
    }

    async fn send_smtp(
        &self,
        transport: &lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
        email: &Email,
    ) -> anyhow::Result<()> {
        use lettre::AsyncTransport;
        let message = lettre::Message::builder()
            .from(
                self.from
                    .parse()
                    .context("THREDOPS_MAIL_FROM is not an address")?,
            )
            .to(email.to.parse().context("recipient is not an address")?)
            .subject(email.subject.replace(['\r', '\n'], " "))
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .context("building the message")?;
        transport
            .send(message)
            .await
            .context("SMTP delivery failed")?;
        tracing::info!(subject = %email.subject, "mail sent through SMTP");
        Ok(())
    }

    /// Where messages are written.
    pub fn outbox_dir(&self) -> &std::path::Path {
        &self.outbox
    }

    /// Delivers a message: through SMTP when configured, else one `.eml` file in the outbox.
    /// Returns the outbox file, if one was written.
    pub async fn send(&self, email: &Email) -> anyhow::Result<Option<PathBuf>> {
        if let Some(transport) = &self.smtp {
            self.send_smtp(transport, email).await?;
            return Ok(None);
        }
        self.write_outbox(email).await.map(Some)
    }

    async fn write_outbox(&self, email: &Email) -> anyhow::Result<PathBuf> {
        tokio::fs::create_dir_all(&self.outbox)
            .await
            .context("creating the mail outbox")?;
        let name = format!(
            "{}-{}.eml",
            crate::clock::now().format("%Y%m%dT%H%M%S%.3f"),
            uuid::Uuid::new_v4().simple()
        );
        let path = self.outbox.join(name);
        let text = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
            self.from,
            email.to,
            email.subject.replace(['\r', '\n'], " "),
            crate::clock::now().to_rfc2822(),
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

    #[test]
    fn a_bad_smtp_url_fails_at_start_up() {
        let dir = std::env::temp_dir();
        assert!(Mailer::smtp(&dir, "a@b.example", "ftp://nowhere").is_err());
        assert!(
            Mailer::smtp(&dir, "a@b.example", "smtp://127.0.0.1:2525")
                .unwrap()
                .is_smtp()
        );
    }

    /// A minimal SMTP server that accepts one message and hands back what it received.
    async fn fake_smtp() -> (u16, tokio::task::JoinHandle<String>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            let mut received = String::new();
            write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
            let mut in_data = false;
            while let Ok(Some(line)) = lines.next_line().await {
                received.push_str(&line);
                received.push('\n');
                let reply: &[u8] = if in_data {
                    if line != "." {
                        continue;
                    }
                    in_data = false;
                    b"250 queued\r\n"
                } else if line.starts_with("EHLO") {
                    b"250 fake\r\n"
                } else if line.starts_with("DATA") {
                    in_data = true;
                    b"354 go on\r\n"
                } else if line.starts_with("QUIT") {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                } else {
                    b"250 ok\r\n"
                };
                write.write_all(reply).await.unwrap();
            }
            received
        });
        (port, task)
    }

    #[tokio::test]
    async fn with_smtp_configured_mail_is_delivered_and_not_written_to_the_outbox() {
        let (port, server) = fake_smtp().await;
        let dir = std::env::temp_dir().join(format!("thredops-smtp-{}", uuid::Uuid::new_v4()));
        let mailer = Mailer::smtp(
            &dir,
            "ThredOps <no-reply@thredops.example>",
            &format!("smtp://127.0.0.1:{port}"),
        )
        .unwrap();
        let sent = mailer
            .send(&Email {
                to: "maya@example.com".into(),
                subject: "Receipt".into(),
                body: "Confirmation code: abc".into(),
            })
            .await
            .unwrap();
        assert_eq!(sent, None);
        drop(mailer);
        let received = tokio::time::timeout(std::time::Duration::from_secs(10), server)
            .await
            .unwrap()
            .unwrap();
        assert!(
            received.contains("RCPT TO:<maya@example.com>"),
            "{received}"
        );
        assert!(
            received.contains("Subject: Receipt") && received.contains("Confirmation code: abc"),
            "{received}"
        );
        assert!(mailer_outbox_is_empty(&dir));
    }

    fn mailer_outbox_is_empty(dir: &std::path::Path) -> bool {
        std::fs::read_dir(dir.join("outbox"))
            .map(|d| d.count() == 0)
            .unwrap_or(true)
    }
}
