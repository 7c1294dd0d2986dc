//! A small reader of RSS 2.0 (and RSS 1.0) and Atom documents: just the items' title, link and
//! identity, which is all a draft needs. It reads tags and text, CDATA, comments and the
//! predefined and numeric entities; anything else in the document is skipped.

/// One item of a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// What makes the item the same one next time: its guid or id, else its link, else its title.
    pub key: String,
    /// Its title (whitespace collapsed).
    pub title: String,
    /// Its link, when it has an http(s) one.
    pub link: Option<String>,
}

/// Why a document could not be read, in words for the feeds page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Default)]
struct Current {
    title: String,
    link: Option<String>,
    /// The item's `guid` (RSS) or `id` (Atom), as the feed gives it.
    guid: String,
}

/// The items of an RSS or Atom document, in document order.
pub fn items(doc: &str) -> Result<Vec<Item>, ParseError> {
    let bad = |why: &str| ParseError(format!("The feed is not well-formed XML ({why})."));
    let mut rest = doc.trim_start_matches('\u{feff}');
    let mut stack: Vec<String> = Vec::new();
    let mut root: Option<String> = None;
    let mut current: Option<Current> = None;
    let mut text = String::new();
    let mut out = Vec::new();
    // Length of the stack with the open item's own element on it (its fields are one deeper).
    let mut depth = 0;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            text.push_str(&decode(rest));
            break;
        };
        text.push_str(&decode(&rest[..lt]));
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = r.find("]]>").ok_or_else(|| bad("unclosed CDATA"))?;
            text.push_str(&r[..end]);
            rest = &r[end + 3..];
            continue;
        }
        if let Some(r) = rest.strip_prefix("<!--") {
            let end = r.find("-->").ok_or_else(|| bad("unclosed comment"))?;
            rest = &r[end + 3..];
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            let end = rest.find('>').ok_or_else(|| bad("unclosed declaration"))?;
            rest = &rest[end + 1..];
            continue;
        }
        let end = tag_end(rest).ok_or_else(|| bad("unclosed tag"))?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let name = local(name.trim());
            let open = stack
                .pop()
                .ok_or_else(|| bad("a closing tag without its opening"))?;
            if open != name {
                return Err(bad(&format!("</{name}> closes <{open}>")));
            }
            if let Some(c) = current.as_mut() {
                let depth_of_field = stack.len() == depth;
                let value = collapse(&text);
                match name.as_str() {
                    "item" | "entry" if stack.len() + 1 == depth => {
                        if let Some(c) = current.take() {
                            push(&mut out, c);
                        }
                    }
                    "title" if depth_of_field => c.title = value,
                    "guid" | "id" if depth_of_field => c.guid = value,
                    "link" if depth_of_field && c.link.is_none() && !value.is_empty() => {
                        c.link = Some(value)
                    }
                    _ => {}
                }
            }
            text.clear();
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name_end = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
        let name = local(&body[..name_end]);
        let attrs = &body[name_end..];
        if root.is_none() {
            if !matches!(name.as_str(), "rss" | "feed" | "RDF") {
                return Err(ParseError(format!(
                    "This is not an RSS or Atom feed (its document is <{name}>)."
                )));
            }
            root = Some(name.clone());
        }
        if name == "link"
            && let Some(c) = current.as_mut()
            && stack.len() == depth
            && let Some(href) = attr(attrs, "href")
        {
            let rel = attr(attrs, "rel").unwrap_or_else(|| "alternate".into());
            if rel == "alternate" && c.link.is_none() {
                c.link = Some(href);
            }
        }
        if !self_closing {
            if matches!(name.as_str(), "item" | "entry") && current.is_none() {
                current = Some(Current::default());
                stack.push(name);
                depth = stack.len();
            } else {
                stack.push(name);
            }
        }
        text.clear();
    }
    if root.is_none() {
        return Err(ParseError(
            "The address answered with no feed at all.".into(),
        ));
    }
    if let Some(open) = stack.last() {
        return Err(bad(&format!("<{open}> is never closed")));
    }
    Ok(out)
}

fn push(out: &mut Vec<Item>, c: Current) {
    let link = c
        .link
        .map(|l| l.trim().to_owned())
        .filter(|l| l.starts_with("https://") || l.starts_with("http://"));
    let key = [Some(c.guid.clone()), link.clone(), Some(c.title.clone())]
        .into_iter()
        .flatten()
        .find(|k| !k.is_empty());
    if let Some(key) = key {
        out.push(Item {
            key,
            title: c.title,
            link,
        });
    }
}

/// Where the tag that starts `s` ends, minding quoted attribute values.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, ch) in s.char_indices().skip(1) {
        match (quote, ch) {
            (None, '"' | '\'') => quote = Some(ch),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_owned()
}

fn attr(attrs: &str, name: &str) -> Option<String> {
    let mut rest = attrs;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let q = after.chars().next()?;
        if q != '"' && q != '\'' {
            return None;
        }
        let close = after[1..].find(q)? + 1;
        if local(key) == name {
            return Some(decode(&after[1..close]));
        }
        rest = &after[close + 1..];
    }
    None
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Replaces the predefined and numeric entities (others stay as written).
fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';').filter(|&i| i <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rss_and_atom_items() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><link>https://b.example/</link>
<item><title>First &amp; best</title><link>https://b.example/1</link><guid isPermaLink="false">p1</guid></item>
<item><title><![CDATA[Second <b>post</b>]]></title><link>https://b.example/2</link></item></channel></rss>"#;
        let got = items(rss).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].title, "First & best");
        assert_eq!(got[0].key, "p1");
        assert_eq!(got[1].key, "https://b.example/2");
        assert_eq!(got[1].title, "Second <b>post</b>");
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><link href="https://a.example/"/>
<entry><title type="text">Entry one</title><link rel="self" href="https://a.example/self"/><link href="https://a.example/e1"/><id>urn:e1</id></entry></feed>"#;
        let got = items(atom).unwrap();
        assert_eq!(
            got,
            vec![Item {
                key: "urn:e1".into(),
                title: "Entry one".into(),
                link: Some("https://a.example/e1".into())
            }]
        );
    }

    #[test]
    fn refuses_what_is_not_a_feed() {
        assert!(
            items("<html><body>hi</body></html>")
                .unwrap_err()
                .0
                .contains("not an RSS or Atom")
        );
        assert!(
            items("<rss><channel><item><title>x</item></channel></rss>")
                .unwrap_err()
                .0
                .contains("well-formed")
        );
        assert!(items("just text").is_err());
    }
}
