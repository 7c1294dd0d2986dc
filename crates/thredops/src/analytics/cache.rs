//! A small in-process cache of computed analytics, checked against each profile's data version.
//!
//! An entry is served only while the version it was computed under is still the profile's
//! current `data_version`, a counter in the database that every write to the profile's analytics
//! data bumps in the same transaction (store/synced.rs). The caller reads the version with the
//! profile row it loads anyway for the ownership check, so a hit costs no extra query, and a
//! write made by any instance invalidates every instance's entries.
//!
//! Versions must be read *before* the data a value is computed from: a value computed while a
//! write lands is then stored under the old version, and the next read (seeing the new version)
//! recomputes. Storing it under the new version could serve stale numbers until the next write.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

/// A bounded map of values tagged with the data version they were computed under. When full,
/// inserting drops the least recently used entry (a scan: capacities are small, and only a miss
/// pays for it).
#[derive(Debug)]
pub struct VersionedCache<K, V> {
    capacity: usize,
    inner: Mutex<Inner<K, V>>,
}

#[derive(Debug)]
struct Inner<K, V> {
    entries: HashMap<K, Entry<V>>,
    clock: u64,
}

#[derive(Debug)]
struct Entry<V> {
    version: i64,
    used: u64,
    value: Arc<V>,
}

impl<K: Hash + Eq + Clone, V> VersionedCache<K, V> {
    /// An empty cache holding at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                clock: 0,
            }),
        }
    }

    /// The value stored for `key` if it was computed under `version`.
    pub fn get<Q>(&self, key: &Q, version: i64) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut inner = self.lock();
        inner.clock += 1;
        let now = inner.clock;
        let entry = inner.entries.get_mut(key)?;
        if entry.version != version {
            return None;
        }
        entry.used = now;
        Some(entry.value.clone())
    }

    /// Stores `value`, computed under `version`, for `key`.
    pub fn insert(&self, key: K, version: i64, value: Arc<V>) {
        let mut inner = self.lock();
        inner.clock += 1;
        let used = inner.clock;
        if inner.entries.len() >= self.capacity && !inner.entries.contains_key(&key) {
            let oldest = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                inner.entries.remove(&oldest);
            }
        }
        inner.entries.insert(
            key,
            Entry {
                version,
                used,
                value,
            },
        );
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        // The map stays consistent even if a holder panicked: every update is a single insert.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_served_only_under_the_version_it_was_computed_with() {
        let cache = VersionedCache::new(4);
        cache.insert("a", 1, Arc::new(10));
        assert_eq!(cache.get("a", 1).as_deref(), Some(&10));
        assert_eq!(cache.get("a", 2), None);
        assert_eq!(cache.get("b", 1), None);
    }

    #[test]
    fn a_full_cache_drops_the_least_recently_used_entry() {
        let cache = VersionedCache::new(2);
        cache.insert("a", 0, Arc::new(1));
        cache.insert("b", 0, Arc::new(2));
        assert!(cache.get("a", 0).is_some());
        cache.insert("c", 0, Arc::new(3));
        assert_eq!(cache.len(), 2);
        assert!(cache.get("a", 0).is_some());
        assert_eq!(cache.get("b", 0), None);
        assert!(cache.get("c", 0).is_some());
    }

    #[test]
    fn replacing_an_entry_keeps_the_newest_value() {
        let cache = VersionedCache::new(1);
        cache.insert("a", 1, Arc::new(1));
        cache.insert("a", 2, Arc::new(2));
        assert_eq!(cache.get("a", 2).as_deref(), Some(&2));
        assert_eq!(cache.len(), 1);
    }
}
