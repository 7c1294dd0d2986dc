//! What a person may do in a workspace, and what a request needs.

/// A person's role in a workspace, most powerful first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceRole {
    /// The account the workspace is: everything, billing and deleting it included.
    Owner,
    /// Everything but billing: profiles, members, webhooks, content.
    Admin,
    /// Content: drafts, posts, replies, audits; not profiles, members or webhooks.
    Editor,
    /// Reads everything the workspace holds, changes nothing.
    Viewer,
    /// Sees planned posts for approval only.
    Reviewer,
}

/// What a request needs of the role it is made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Acts on the person, not the workspace (their own settings, sessions, support tickets).
    Personal,
    /// Reads the workspace's data.
    View,
    /// Changes the workspace's content (drafts, posts, replies, audits).
    Edit,
    /// Changes how the workspace is set up (profiles, members, webhooks, listening).
    Manage,
    /// Billing and what only the account that is the workspace may do.
    Owner,
    /// The approval queue (approvers and client reviewers).
    Review,
}

/// A request the user's role in the workspace does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Your role in this workspace does not allow this.")]
pub struct RoleRefusal;

impl WorkspaceRole {
    /// Roles a member row may hold (the owner is the account itself).
    pub const MEMBER_ROLES: [WorkspaceRole; 4] = [
        WorkspaceRole::Admin,
        WorkspaceRole::Editor,
        WorkspaceRole::Viewer,
        WorkspaceRole::Reviewer,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceRole::Owner => "owner",
            WorkspaceRole::Admin => "admin",
            WorkspaceRole::Editor => "editor",
            WorkspaceRole::Viewer => "viewer",
            WorkspaceRole::Reviewer => "reviewer",
        }
    }

    /// Parses a stored or typed member role; `owner` is not one.
    pub fn parse_member(s: &str) -> Option<Self> {
        Self::MEMBER_ROLES.into_iter().find(|r| r.as_str() == s)
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            WorkspaceRole::Owner => "Owner",
            WorkspaceRole::Admin => "Admin",
            WorkspaceRole::Editor => "Editor",
            WorkspaceRole::Viewer => "Viewer",
            WorkspaceRole::Reviewer => "Client reviewer",
        }
    }

    /// Whether this role may make a request that needs `need`.
    pub fn may(self, need: Need) -> bool {
        use WorkspaceRole::*;
        match need {
            Need::Personal => true,
            Need::View => matches!(self, Owner | Admin | Editor | Viewer),
            Need::Edit => matches!(self, Owner | Admin | Editor),
            Need::Manage => matches!(self, Owner | Admin),
            Need::Owner => self == Owner,
            Need::Review => matches!(self, Owner | Admin | Reviewer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_reaches_what_it_is_for_and_nothing_more() {
        use WorkspaceRole::*;
        let needs = [
            Need::Personal,
            Need::View,
            Need::Edit,
            Need::Manage,
            Need::Owner,
            Need::Review,
        ];
        let expect: [(WorkspaceRole, [bool; 6]); 5] = [
            (Owner, [true, true, true, true, true, true]),
            (Admin, [true, true, true, true, false, true]),
            (Editor, [true, true, true, false, false, false]),
            (Viewer, [true, true, false, false, false, false]),
            (Reviewer, [true, false, false, false, false, true]),
        ];
        for (role, allowed) in expect {
            for (need, ok) in needs.iter().zip(allowed) {
                assert_eq!(role.may(*need), ok, "{role:?} {need:?}");
            }
        }
        assert_eq!(WorkspaceRole::parse_member("owner"), None);
        for role in WorkspaceRole::MEMBER_ROLES {
            assert_eq!(WorkspaceRole::parse_member(role.as_str()), Some(role));
        }
    }
}
