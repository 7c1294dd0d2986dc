//! What each signed-in route needs of a workspace role. One table for pages and the API, read
//! by the web layer before any handler runs, so no handler can forget the check; a route the
//! table does not know needs the owner (closed by default), and a test walks every route.

use crate::domain::Need;

/// What a request to `path` with `method` needs of the role it is made with.
pub fn need(method: &str, path: &str) -> Need {
    let read = matches!(method, "GET" | "HEAD");
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "v1", rest @ ..] => api(read, rest),
        rest => page(read, rest),
    }
}

/// The JSON API under `/api/v1`.
fn api(read: bool, rest: &[&str]) -> Need {
    use Need::*;
    match rest {
        // The person: their sign-in, settings, tokens, data and support conversations.
        [
            "me" | "auth" | "privacy" | "support" | "tokens" | "openapi.json" | "staff",
            ..,
        ] => Personal,
        ["notifications", "email"] => Personal,
        ["notifications", ..] => View,
        ["workspaces", "members", ..] if read => View,
        ["workspaces"] if read => Personal,
        ["workspaces", "current"] => Personal,
        ["workspaces", "invitations", "accept"] => Personal,
        ["workspaces", _, "membership"] => Personal,
        ["workspaces", ..] => Manage,
        ["billing", ..] => Owner,
        ["review", ..] => Review,
        ["profiles"] if read => View,
        ["profiles"] => Manage,
        ["profiles", _] if read => View,
        ["profiles", _] => Manage,
        ["profiles", _, ..] if read => View,
        ["profiles", _, "audits" | "strategy", ..] => Edit,
        ["strategy", ..] | ["audits", ..] if read => View,
        ["strategy", ..] => Edit,
        ["publishing", ..] if read => View,
        ["publishing", ..] => Edit,
        ["inbox", ..] if read => View,
        ["inbox", "profiles", _, "on" | "off"] => Manage,
        ["inbox", ..] => Edit,
        ["competitors" | "listening", ..] if read => View,
        ["competitors" | "listening", ..] => Manage,
        ["webhooks", ..] => Manage,
        _ => Owner,
    }
}

/// Pages.
fn page(read: bool, segments: &[&str]) -> Need {
    use Need::*;
    match segments {
        ["logout"] => Personal,
        // Each MCP tool checks the role its operation needs.
        ["mcp"] => View,
        ["settings", "webhooks", ..] => Manage,
        ["settings", ..] => Personal,
        ["app", "support", ..] => Personal,
        ["app", "workspaces", ..] if read => Personal,
        ["app", "workspaces", "switch" | "accept" | "leave"] => Personal,
        ["app", "workspaces", ..] => Manage,
        ["app", "review", ..] => Review,
        ["app", "billing", ..] => Owner,
        ["app", "notifications", ..] => View,
        ["app", "profiles", "connect"] => Manage,
        ["app", "profiles", _, "disconnect"] => Manage,
        ["app", "inbox", "profiles", _, "on" | "off"] => Manage,
        ["app", "competitors" | "listening", ..] if !read => Manage,
        ["oauth", "threads", "callback"] => Manage,
        ["app", ..] if read => View,
        ["app", ..] => Edit,
        _ => Owner,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_setup_need_what_their_role_table_says() {
        use Need::*;
        let cases = [
            ("GET", "/app", View),
            ("GET", "/app/profiles/p1/analytics", View),
            ("POST", "/app/schedule", Edit),
            ("POST", "/app/profiles/p1/disconnect", Manage),
            ("POST", "/app/profiles/connect", Manage),
            ("GET", "/app/billing", Owner),
            ("POST", "/settings/password", Personal),
            ("POST", "/settings/webhooks", Manage),
            ("GET", "/app/support/tickets", Personal),
            ("POST", "/app/workspaces/switch", Personal),
            ("POST", "/app/workspaces/members", Manage),
            ("GET", "/app/review", Review),
            ("GET", "/api/v1/me", Personal),
            ("GET", "/api/v1/profiles/p1/analytics/overview", View),
            ("POST", "/api/v1/profiles/p1/audits", Edit),
            ("DELETE", "/api/v1/profiles/p1", Manage),
            ("POST", "/api/v1/publishing/posts", Edit),
            ("GET", "/api/v1/publishing/posts", View),
            ("POST", "/api/v1/inbox/profiles/p1/on", Manage),
            ("POST", "/api/v1/inbox/items/i1/reply", Edit),
            ("POST", "/api/v1/competitors", Manage),
            ("GET", "/api/v1/webhooks", Manage),
            ("POST", "/api/v1/billing/checkout", Owner),
            ("PUT", "/api/v1/notifications/email", Personal),
            ("POST", "/api/v1/notifications/read-all", View),
            ("GET", "/api/v1/workspaces", Personal),
            ("PUT", "/api/v1/workspaces/current", Personal),
            ("GET", "/api/v1/workspaces/members", View),
            ("POST", "/api/v1/workspaces/invitations", Manage),
            ("POST", "/api/v1/workspaces/invitations/accept", Personal),
            ("DELETE", "/api/v1/workspaces/w1/membership", Personal),
            ("DELETE", "/api/v1/workspaces/members/u1", Manage),
            ("POST", "/mcp", View),
            ("GET", "/api/v1/something-new", Owner),
            ("GET", "/somewhere-new", Owner),
        ];
        for (method, path, expected) in cases {
            assert_eq!(need(method, path), expected, "{method} {path}");
        }
    }
}
