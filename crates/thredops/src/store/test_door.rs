//! The one raw door into the database for integration tests and benches, which seed or inspect
//! rows no API reaches. Application code never uses it: areas call store methods, and store
//! modules use the crate's own `with_pool!`.

use super::{Pool, Store};

impl Store {
    /// The underlying pool, for tests and benches only.
    #[doc(hidden)]
    pub fn pool_for_tests(&self) -> &Pool {
        self.pool()
    }
}

/// Runs test code on whichever pool the store holds; `$p` is bound to the concrete pool.
#[macro_export]
#[doc(hidden)]
macro_rules! with_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match $store.pool_for_tests() {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}
