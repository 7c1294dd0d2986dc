//! Letting SQLite connections finish closing before SQLCipher's exit-time cleanup runs.
//!
//! SQLCipher registers an `atexit` handler that frees its crypto provider, private heap and
//! mutexes. sqlx runs every SQLite connection on its own worker thread, and a dropped pool closes
//! those connections asynchronously: when the process exits just after a pool was dropped (the
//! end of a test binary, a CLI command), a worker can still be inside `sqlite3_close` while that
//! handler frees what it is using, and the process dies with SIGSEGV after everything succeeded.
//!
//! Our own handler, registered after SQLCipher's and so run before it, waits (bounded) until no
//! worker thread is left. Workers are recognised by the thread name we give them.

use std::sync::Once;
use std::time::{Duration, Instant};

/// Prefix of our SQLite worker threads' names; Linux keeps the first 15 bytes of a thread name.
const WORKER_PREFIX: &str = "thredops-sql-";

/// How long exit waits for workers; a pool still open at exit would otherwise hang it.
const EXIT_WAIT: Duration = Duration::from_secs(3);

/// The name sqlx gives the worker thread of connection `id`.
pub(super) fn worker_thread_name(id: u64) -> String {
    format!("{WORKER_PREFIX}{id}")
}

/// Registers the exit handler once; call after the first SQLite connection opened, which is
/// when SQLCipher registers its own (`atexit` handlers run in reverse order of registration).
pub(super) fn wait_for_workers_at_exit() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: `atexit` only records a function pointer; the handler is a plain `extern "C"`
        // function that neither unwinds nor calls `exit`.
        #[expect(
            unsafe_code,
            reason = "libc has no safe way to register an exit handler"
        )]
        unsafe {
            libc::atexit(wait_for_workers);
        }
    });
}

extern "C" fn wait_for_workers() {
    let deadline = Instant::now() + EXIT_WAIT;
    while threads_named(WORKER_PREFIX) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// How many of this process's threads have a name starting with `prefix` (Linux; elsewhere we
/// cannot tell and say none).
fn threads_named(prefix: &str) -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .filter(|name| name.starts_with(prefix))
        .count()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn named_threads_are_counted_until_they_end() {
        // A prefix of its own: other tests in this binary open SQLite workers concurrently.
        let prefix = "exit-count-";
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        let worker = std::thread::Builder::new()
            .name(format!("{prefix}1"))
            .spawn(move || {
                // A thread names itself as it starts, before running this.
                started.send(()).unwrap();
                stopped.recv().ok()
            })
            .unwrap();
        running.recv().unwrap();
        assert_eq!(threads_named(prefix), 1);
        stop.send(()).unwrap();
        worker.join().unwrap();
        // The kernel drops an exited thread's entry just after `join` can return.
        let deadline = Instant::now() + Duration::from_secs(5);
        while threads_named(prefix) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(threads_named(prefix), 0);
    }

    #[test]
    fn worker_names_carry_the_prefix_linux_keeps() {
        assert!(WORKER_PREFIX.len() < 15);
        assert!(worker_thread_name(123_456).starts_with(WORKER_PREFIX));
    }
}
