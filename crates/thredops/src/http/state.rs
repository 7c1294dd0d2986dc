//! The state every handler gets: the application core plus what only the web layer needs.

use std::ops::Deref;
use std::sync::Arc;

use crate::app::AppState;

use super::cookies::CookieJar;
use super::metrics::Metrics;
use super::templates::Templates;

/// The web layer's parts beside the core.
#[derive(Debug)]
pub struct Web {
    /// The application core, handed to product areas.
    pub app: AppState,
    /// Cookie names and flags.
    pub cookies: CookieJar,
    /// HTML templates.
    pub templates: Templates,
    /// Prometheus registry.
    pub metrics: Metrics,
    /// Request budgets of API tokens.
    pub token_limiter: crate::api_tokens::Limiter,
}

/// Cheap-to-clone handle on [`Web`]; derefs to the core, so `&WebState` passes where an area
/// asks for `&AppState`.
#[derive(Debug, Clone)]
pub struct WebState(pub Arc<Web>);

impl WebState {
    /// Wraps the core with the web layer's own parts.
    pub fn new(app: AppState) -> Self {
        let cookies = CookieJar::new(app.is_https());
        WebState(Arc::new(Web {
            app,
            cookies,
            templates: Templates::default(),
            metrics: Metrics::default(),
            token_limiter: Default::default(),
        }))
    }

    /// The core handle, for work that outlives the request (jobs, spawned tasks).
    pub fn core(&self) -> &AppState {
        &self.0.app
    }
}

impl Deref for WebState {
    type Target = Web;

    fn deref(&self) -> &Web {
        &self.0
    }
}

impl Deref for Web {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.app
    }
}
