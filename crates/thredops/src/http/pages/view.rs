//! What the app pages share in their views: the chrome around every signed-in page and a
//! form's problems. Each page renders its own `#[derive(Serialize)]` view struct, named after
//! its template, so a misspelt value fails to compile instead of rendering as nothing.

use std::collections::BTreeMap;

use serde::Serialize;

use super::app::NavItem;
use crate::billing::gate::PastDueNotice;
use crate::domain::WorkspaceRole;
use crate::http::session::AuthUser;
use crate::http::state::WebState;

/// What the layout of every signed-in page shows around its content: who is signed in, the
/// navigation, the workspace badge and the header's counters. Each view flattens it in.
#[derive(Serialize)]
pub struct Chrome<'a> {
    user: &'a str,
    csrf: String,
    nav: Vec<&'static NavItem>,
    active: &'a str,
    sandbox: bool,
    past_due: Option<&'a PastDueNotice>,
    unread_notifications: i64,
    unread_inbox: i64,
    user_tz: Option<&'a str>,
    workspace: WorkspaceBadge<'a>,
}

/// The workspace the pages act in, as the header names it.
#[derive(Serialize)]
struct WorkspaceBadge<'a> {
    name: Option<&'a str>,
    role: &'static str,
    own: bool,
}

impl<'a> Chrome<'a> {
    /// The chrome of a page of `auth`, with `active` highlighted in the navigation.
    pub fn new(state: &WebState, auth: &'a AuthUser, active: &'a str) -> Self {
        Chrome {
            user: &auth.user.email,
            csrf: state.csrf.for_session(&auth.session_id),
            // A client reviewer sees only what their role opens.
            nav: if auth.workspace.role == WorkspaceRole::Reviewer {
                super::app::reviewer_nav()
            } else {
                super::app::NAV.iter().collect()
            },
            active,
            sandbox: state.threads.sandbox.is_some(),
            past_due: auth.past_due.as_ref(),
            unread_notifications: auth.unread_notifications,
            unread_inbox: auth.unread_inbox,
            user_tz: auth.user.timezone.as_deref(),
            workspace: WorkspaceBadge {
                name: auth.workspace_name.as_deref(),
                role: auth.workspace.role.label(),
                own: auth.workspace.is_own(&auth.user),
            },
        }
    }
}

/// One of the user's profiles in a profile choice.
#[derive(Serialize)]
pub struct ProfileChoice {
    pub id: String,
    pub username: String,
    pub selected: bool,
}

/// What the last action left to say, on pages that always carry all three: a notice, a refused
/// form's message and its field errors (empty when there is nothing to say).
#[derive(Serialize, Default)]
pub struct Flash {
    pub notice: String,
    pub error: String,
    pub fields: BTreeMap<String, String>,
}

impl Flash {
    /// Only a notice.
    pub fn notice(notice: impl Into<String>) -> Self {
        Flash {
            notice: notice.into(),
            ..Flash::default()
        }
    }

    /// A refused form's message and field errors.
    pub fn refused(error: String, fields: BTreeMap<String, String>) -> Self {
        Flash {
            error,
            fields,
            ..Flash::default()
        }
    }
}

/// A form's problems: a form-level message and one message per field. Empty, it renders as
/// the template defaults do (no message, no field errors).
#[derive(Serialize, Default)]
pub struct Problems {
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    fields: BTreeMap<String, String>,
}

impl Problems {
    /// Only a form-level message.
    pub fn message(error: impl Into<String>) -> Self {
        Problems {
            error: Some(error.into()),
            fields: BTreeMap::new(),
        }
    }

    /// A message and the fields it is about.
    pub fn fields(error: impl Into<String>, fields: BTreeMap<String, String>) -> Self {
        Problems {
            error: Some(error.into()),
            fields,
        }
    }
}
