//! WAL checkpoints off the writing thread. SQLite's own automatic
//! checkpoint runs inside the commit that takes the WAL past
//! `wal_autocheckpoint` pages: on the JS thread that stalls the event loop
//! for milliseconds (every page copied back to the database, two fsyncs),
//! and it made half the cost of an UPDATE-heavy loop. Instead the writer's
//! WAL hook counts commits and wakes a background thread, which checkpoints
//! through a connection of its own in PASSIVE mode (it never blocks a
//! writer or a reader).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};
use rusqlite::wal::CheckpointMode;
use rusqlite::Connection;

use crate::error::{Error, Result};

/// SQLite's default `wal_autocheckpoint`, in pages.
pub const DEFAULT_THRESHOLD: u32 = 1000;

/// Past this many times the threshold the writer checkpoints itself, as
/// SQLite would: the background thread is not keeping up (or could not open
/// its connection), and the WAL must not grow without bound.
/// (4: the UPDATE-heavy loop that gained most ran 10.3 µs an op, against 9.9
/// with 8 and 11.8 with 2, for a WAL of at most 16 MB with 4 KB pages.)
const FALLBACK_FACTOR: u32 = 4;

/// Commit activity on the writer, read by the idle checkpoint.
#[derive(Default)]
pub struct Activity {
    commits: AtomicU64,
    /// The commit count the idle check saw on its previous tick.
    seen: AtomicU64,
    /// The commit count at the last completed TRUNCATE checkpoint.
    truncated_at: AtomicU64,
}

impl Activity {
    /// True once no commit happened for a whole tick since the previous one,
    /// and some did since the last TRUNCATE: the moment to shrink the WAL.
    pub fn quiet_with_news(&self) -> bool {
        let commits = self.commits.load(Ordering::Relaxed);
        let before = self.seen.swap(commits, Ordering::Relaxed);
        commits == before && commits != self.truncated_at.load(Ordering::Relaxed)
    }

    pub fn truncated(&self) {
        self.truncated_at
            .store(self.seen.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}

struct Shared {
    requested: AtomicBool,
    stop: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
    runs: AtomicU64,
    fallback_runs: AtomicU64,
}

/// The background checkpoint thread of one pool.
pub struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread; `open` gives it its connection, opened on the first
    /// request so that a pool which never writes pays for nothing.
    pub fn start(
        name: &str,
        open: impl FnOnce() -> Result<Connection> + Send + 'static,
    ) -> Result<Checkpointer> {
        let shared = Arc::new(Shared {
            requested: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            runs: AtomicU64::new(0),
            fallback_runs: AtomicU64::new(0),
        });
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("noormme-{name}"))
            .spawn(move || checkpoint_loop(&state, open))
            .map_err(|e| {
                Error::usage(
                    "THREAD_SPAWN",
                    format!("could not start the checkpoint thread: {e}"),
                )
            })?;
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }

    /// Replaces SQLite's automatic checkpoint on `writer` with a request to
    /// this thread once the WAL holds `threshold` pages (0: never, as with
    /// `wal_autocheckpoint=0`); counts commits in `activity`.
    pub fn install(
        &self,
        writer: &mut Connection,
        threshold: u32,
        activity: Arc<Activity>,
    ) -> Result<()> {
        let shared = self.shared.clone();
        let fallback = threshold.saturating_mul(FALLBACK_FACTOR);
        // The WAL size at which the next background checkpoint is asked for:
        // one per `threshold` new pages, not one per commit past it.
        let mut next_request = threshold;
        writer.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages| {
            activity.commits.fetch_add(1, Ordering::Relaxed);
            let pages = u32::try_from(pages).unwrap_or(0);
            if threshold == 0 {
                return Ok(());
            }
            if pages < next_request.saturating_sub(threshold) {
                // The WAL started over since the last request.
                next_request = threshold;
            }
            if pages >= fallback {
                // SQLITE_BUSY here only means another checkpoint is running.
                if wal.checkpoint_v2(CheckpointMode::PASSIVE).is_ok() {
                    shared.fallback_runs.fetch_add(1, Ordering::Relaxed);
                }
            } else if pages >= next_request {
                next_request = pages.saturating_add(threshold);
                if !shared.requested.swap(true, Ordering::AcqRel) {
                    let _guard = shared.lock.lock();
                    shared.wake.notify_one();
                }
            }
            Ok(())
        }))?;
        Ok(())
    }

    /// Checkpoints completed so far: (by the background thread, by the writer itself).
    pub fn runs(&self) -> (u64, u64) {
        (
            self.shared.runs.load(Ordering::Relaxed),
            self.shared.fallback_runs.load(Ordering::Relaxed),
        )
    }

    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        {
            let _guard = self.shared.lock.lock();
            self.shared.wake.notify_one();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn checkpoint_loop(shared: &Shared, open: impl FnOnce() -> Result<Connection>) {
    let mut open = Some(open);
    let mut conn: Option<Connection> = None;
    loop {
        {
            let mut guard = shared.lock.lock();
            while !shared.requested.load(Ordering::Acquire) && !shared.stop.load(Ordering::Acquire)
            {
                shared.wake.wait(&mut guard);
            }
        }
        if shared.stop.load(Ordering::Acquire) {
            return;
        }
        // Cleared before the run, so commits during it ask for another.
        shared.requested.store(false, Ordering::Release);
        if conn.is_none() {
            // Opened once; if that fails the writer's fallback keeps the WAL bounded.
            conn = open.take().and_then(|open| open().ok());
        }
        if let Some(conn) = &conn {
            // Busy (1) only means another connection is checkpointing.
            let busy = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(0));
            if matches!(busy, Ok(0)) {
                shared.runs.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
