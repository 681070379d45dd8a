//! The connection pool: one writer, a few readers in WAL mode, worker threads
//! for statements too slow to run on the JS thread, and periodic checkpoints.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use lru::LruCache;
use parking_lot::{Condvar, MappedMutexGuard, Mutex, MutexGuard, RwLock};
use rusqlite::{Connection, InterruptHandle, OpenFlags};

use crate::checkpoint::{Activity, Checkpointer, DEFAULT_THRESHOLD};
use crate::error::{code_name, Error, Result};
use crate::exec::{
    self, Budget, Conn, Encoded, Param, StatementId, StatementInfo, MAX_STATEMENT_ID,
};

#[derive(Debug, Clone)]
pub struct Options {
    /// Reader connections (and threads); `None` picks from the core count.
    pub readers: Option<usize>,
    /// How long a write waits for another process's lock before `BusyError`.
    pub busy_timeout: Duration,
    pub readonly: bool,
    /// `PRAGMA name = value` applied to every connection after the defaults.
    pub pragmas: Vec<(String, String)>,
    /// How long a read may run on the JS thread before moving to a reader.
    pub inline_budget: Duration,
    pub checkpoint_interval: Duration,
    /// How many registered statements the pool keeps; past it, the least
    /// recently used is forgotten and its id answers `UNKNOWN_STATEMENT`.
    pub statement_cache_size: NonZeroUsize,
}

/// Registered statements a pool keeps unless told otherwise.
pub const STATEMENT_CACHE_SIZE: NonZeroUsize = NonZeroUsize::new(2000).unwrap();

impl Default for Options {
    fn default() -> Self {
        Options {
            readers: None,
            busy_timeout: Duration::from_millis(5000),
            readonly: false,
            pragmas: Vec::new(),
            inline_budget: Duration::from_millis(4),
            checkpoint_interval: Duration::from_secs(2),
            statement_cache_size: STATEMENT_CACHE_SIZE,
        }
    }
}

/// Which connection a statement needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Read,
    Write,
}

#[derive(Debug, Clone)]
pub struct Info {
    pub path: String,
    pub journal_mode: String,
    pub wal: bool,
    pub readers: usize,
    pub readonly: bool,
    pub fallback_reason: Option<String>,
    pub sqlite_version: String,
}

/// A connection shared between the JS thread (inline runs) and one worker.
struct Slot {
    /// None once the pool closed it: `db.close()` releases the file at once.
    conn: Mutex<Option<Conn>>,
    watch: Arc<Watch>,
    epoch: Instant,
}

const UNWATCHED: u8 = 0;
const WATCHING_READ: u8 = 1;
const WATCHING_WRITE: u8 = 2;

/// What the progress handler watches in an inline run. The clock is first
/// read at the handler's first call (every 1,000 VM steps), so a run too
/// short to reach one reads no clock at all.
struct Watch {
    mode: AtomicU8,
    /// Nanoseconds since `epoch`, plus one, at the first progress call; 0 before.
    started: AtomicU64,
}

impl Slot {
    /// The connection, waiting for it; None once the pool closed it.
    fn lock(&self) -> Option<MappedMutexGuard<'_, Conn>> {
        MutexGuard::try_map(self.conn.lock(), Option::as_mut).ok()
    }

    /// The connection if nobody holds it and the pool has not closed it.
    fn try_lock(&self) -> Option<MappedMutexGuard<'_, Conn>> {
        self.conn
            .try_lock()
            .and_then(|guard| MutexGuard::try_map(guard, Option::as_mut).ok())
    }

    /// Closes the connection (its statements are finalized with it), once
    /// whoever holds it lets go; later locks find none.
    fn close(&self) {
        self.conn.lock().take();
    }

    fn new(mut conn: Connection, budget: Duration) -> Result<Self> {
        let watch = Arc::new(Watch {
            mode: AtomicU8::new(UNWATCHED),
            started: AtomicU64::new(0),
        });
        let epoch = Instant::now();
        let watched = watch.clone();
        let budget = budget.as_nanos() as u64;
        conn.progress_handler(
            1000,
            Some(move || {
                let mode = watched.mode.load(Ordering::Relaxed);
                if mode == UNWATCHED {
                    return false;
                }
                let now = epoch.elapsed().as_nanos() as u64 + 1;
                let started = watched.started.load(Ordering::Relaxed);
                if started == 0 {
                    watched.started.store(now, Ordering::Relaxed);
                    return false;
                }
                // Interrupting a write inside a transaction would roll the
                // whole transaction back, so only reads are ever stopped.
                mode == WATCHING_READ && now - started > budget
            }),
        )?;
        Ok(Slot {
            conn: Mutex::new(Some(Conn::new(conn)?)),
            watch,
            epoch,
        })
    }
}

impl Budget for Slot {
    fn arm(&self, readonly: bool) {
        let mode = if readonly {
            WATCHING_READ
        } else {
            WATCHING_WRITE
        };
        self.watch.mode.store(mode, Ordering::Relaxed);
    }

    fn disarm(&self) -> Duration {
        self.watch.mode.store(UNWATCHED, Ordering::Relaxed);
        match self.watch.started.swap(0, Ordering::Relaxed) {
            0 => Duration::ZERO,
            started => {
                let now = self.epoch.elapsed().as_nanos() as u64 + 1;
                Duration::from_nanos(now.saturating_sub(started))
            }
        }
    }
}

/// A unit of work for a worker: runs with the connection (None once the pool
/// closed) and returns what reports its outcome, which the worker calls only
/// after releasing the connection, so the caller woken by it finds the
/// connection free (an inline run right after would otherwise meet a held
/// lock and take the slow path).
type Job = Box<dyn FnOnce(Option<&Conn>) -> Completion + Send>;
type Completion = Box<dyn FnOnce() + Send>;

struct Queue {
    jobs: Mutex<VecDeque<Job>>,
    ready: Condvar,
    closed: AtomicBool,
}

/// Threads that each own one connection and take jobs from a shared queue.
struct Workers {
    queue: Arc<Queue>,
    threads: Vec<JoinHandle<()>>,
    interrupts: Vec<InterruptHandle>,
}

impl Workers {
    fn start(
        name: &str,
        slots: Vec<Arc<Slot>>,
        idle: Option<(Duration, Arc<dyn Fn() + Send + Sync>)>,
    ) -> Result<Workers> {
        let queue = Arc::new(Queue {
            jobs: Mutex::new(VecDeque::new()),
            ready: Condvar::new(),
            closed: AtomicBool::new(false),
        });
        let mut threads = Vec::new();
        let mut interrupts = Vec::new();
        for (i, slot) in slots.into_iter().enumerate() {
            let handle = slot.lock().map(|conn| conn.get_interrupt_handle());
            interrupts.push(handle.ok_or_else(|| {
                Error::usage(
                    "POOL_CLOSED",
                    "a connection was closed before its worker started",
                )
            })?);
            let queue = queue.clone();
            let idle = idle.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("noormme-{name}-{i}"))
                .spawn(move || worker_loop(&queue, &slot, idle));
            threads.push(spawned.map_err(|e| {
                Error::usage("THREAD_SPAWN", format!("could not start a worker: {e}"))
            })?);
        }
        Ok(Workers {
            queue,
            threads,
            interrupts,
        })
    }

    fn submit(&self, job: Job) {
        self.queue.jobs.lock().push_back(job);
        self.queue.ready.notify_one();
    }

    fn stop(&mut self) {
        self.queue.closed.store(true, Ordering::Release);
        for handle in &self.interrupts {
            handle.interrupt();
        }
        self.queue.ready.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

enum Next {
    Run(Job),
    Idle,
    Stop,
}

fn worker_loop(queue: &Queue, slot: &Slot, idle: Option<(Duration, Arc<dyn Fn() + Send + Sync>)>) {
    loop {
        let next = {
            let mut jobs = queue.jobs.lock();
            loop {
                if queue.closed.load(Ordering::Acquire) {
                    break Next::Stop;
                }
                if let Some(job) = jobs.pop_front() {
                    break Next::Run(job);
                }
                match &idle {
                    Some((every, _)) => {
                        if queue.ready.wait_for(&mut jobs, *every).timed_out() && jobs.is_empty() {
                            break Next::Idle;
                        }
                    }
                    None => queue.ready.wait(&mut jobs),
                }
            }
        };
        match next {
            Next::Run(job) => {
                let finished = {
                    let conn = slot.lock();
                    // A panicking job must not take the worker (and every later query)
                    // down with it; the job's own guard reports to its caller.
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn.as_deref())))
                };
                if let Ok(report) = finished {
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(report));
                }
            }
            Next::Idle => {
                if let Some((_, hook)) = &idle {
                    hook();
                }
            }
            Next::Stop => {
                // Whatever is still queued is told the pool closed, so no
                // caller waits forever.
                let left: Vec<Job> = queue.jobs.lock().drain(..).collect();
                for job in left {
                    if let Ok(report) =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(None)))
                    {
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(report));
                    }
                }
                return;
            }
        }
    }
}

pub struct Pool {
    path: String,
    options: Options,
    info: Info,
    writer: Option<Arc<Slot>>,
    /// The connection reads use on the JS thread (the writer when single-connection).
    inline_reader: Arc<Slot>,
    read_workers: Mutex<Option<Workers>>,
    write_worker: Mutex<Option<Workers>>,
    statements: Mutex<Statements>,
    catalog: RwLock<Option<Arc<crate::catalog::Catalog>>>,
    /// Checkpoints the WAL off the writing threads (WAL pools that write).
    checkpointer: Mutex<Option<Checkpointer>>,
    closed: AtomicBool,
}

/// The registered statements, by id, bounded: registering one past the
/// bound forgets the least recently registered or run. Ids are never
/// reused, so a forgotten id can only ever answer `UNKNOWN_STATEMENT`
/// (which the JS layer answers by registering the text again), never run
/// another statement.
struct Statements {
    by_id: LruCache<StatementId, Arc<StatementInfo>>,
    /// The id the next registration gets.
    next_id: StatementId,
}

impl Statements {
    fn new(bound: NonZeroUsize) -> Self {
        Statements {
            by_id: LruCache::new(bound),
            next_id: 0,
        }
    }

    /// Takes the next id. Past MAX_STATEMENT_ID ids would repeat (or lose
    /// precision in JS), so registering fails instead.
    fn next_id(&mut self) -> Result<StatementId> {
        let id = self.next_id;
        if id > MAX_STATEMENT_ID {
            return Err(Error::usage(
                "STATEMENT_IDS_EXHAUSTED",
                "this database has registered 2^53 statements, every id it can give; close every handle on it and open it again",
            ));
        }
        self.next_id = id + 1;
        Ok(id)
    }

    /// The statement `id`, now the most recently used.
    fn get(&mut self, id: StatementId) -> Result<Arc<StatementInfo>> {
        self.by_id.get(&id).cloned().ok_or_else(|| {
            Error::usage(
                "UNKNOWN_STATEMENT",
                format!("no statement #{id}: it was never registered, or was forgotten to make room for others; register its SQL again"),
            )
        })
    }
}

/// What `register` tells the caller about a statement.
#[derive(Debug, Clone)]
pub struct Registered {
    pub id: StatementId,
    pub readonly: bool,
    /// One entry per parameter: its name with prefix (`:email`), or `None` for `?`.
    pub params: Vec<Option<String>>,
}

impl Pool {
    pub fn open(path: &str, options: Options) -> Result<Pool> {
        let memory = path.is_empty() || path == ":memory:" || path.contains("mode=memory");
        let abs = if memory {
            ":memory:".to_string()
        } else {
            absolute(path)
        };
        if !memory {
            check_directory(&abs)?;
        }
        let budget = options.inline_budget;
        let bound = options.statement_cache_size;
        let sqlite_version = rusqlite::version().to_string();

        if options.readonly {
            let opened = open_connection(&abs, &options, memory).and_then(|conn| {
                let mode: String = conn
                    .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                    .map_err(|e| connection_error(&abs, e.into()))?;
                Ok((conn, mode))
            });
            let (first, target, mode, fallback_reason) = match opened {
                Ok((conn, mode)) => (conn, abs.clone(), mode, None),
                Err(e) if !memory && cannot_init_wal_index(&e) && Path::new(&abs).is_file() => {
                    let (conn, target) = open_immutable(&abs, &options)?;
                    let mode = conn
                        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                        .map_err(|e| connection_error(&abs, e.into()))?;
                    let why = "the database is in WAL mode and its directory is read-only, so no -shm file can be created: opened immutable (SQLite's immutable=1), which does not see changes other processes make while it is open".to_string();
                    (conn, target, mode, Some(why))
                }
                // The generic advice ("pass readonly: true") is no help here.
                Err(Error::Connection {
                    code: "SQLITE_READONLY",
                    raw_code,
                    path,
                    ..
                }) => {
                    return Err(Error::Connection {
                        message: format!("{path} cannot be read by this process (file or directory permissions): fix the permissions"),
                        path,
                        code: "SQLITE_READONLY",
                        raw_code,
                    })
                }
                Err(e) => return Err(e),
            };
            let readers = if memory { 0 } else { reader_count(&options) };
            let inline_reader = Arc::new(Slot::new(first, budget)?);
            let mut slots = Vec::new();
            for _ in 0..readers {
                slots.push(Arc::new(Slot::new(
                    open_connection(&target, &options, memory)?,
                    budget,
                )?));
            }
            let info = Info {
                path: abs.clone(),
                wal: mode == "wal",
                journal_mode: mode,
                readers,
                readonly: true,
                fallback_reason,
                sqlite_version,
            };
            let (read_workers, write_worker) = if readers == 0 {
                (
                    None,
                    Some(Workers::start("reader", vec![inline_reader.clone()], None)?),
                )
            } else {
                (Some(Workers::start("reader", slots, None)?), None)
            };
            return Ok(Pool {
                path: abs,
                options,
                info,
                writer: None,
                inline_reader,
                read_workers: Mutex::new(read_workers),
                write_worker: Mutex::new(write_worker),
                statements: Mutex::new(Statements::new(bound)),
                catalog: RwLock::new(None),
                checkpointer: Mutex::new(None),
                closed: AtomicBool::new(false),
            });
        }

        let first = open_connection(&abs, &options, memory)?;
        if first
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(|e| connection_error(&abs, e.into()))?
        {
            return Err(read_only_file(&abs));
        }
        let mode: String = first
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| connection_error(&abs, e.into()))?;
        let wal = mode.eq_ignore_ascii_case("wal");
        let fallback_reason = if wal {
            None
        } else if memory {
            Some(
                "in-memory databases cannot use WAL: one connection serves reads and writes".into(),
            )
        } else {
            Some(format!(
                "PRAGMA journal_mode=WAL answered '{mode}': one connection serves reads and writes"
            ))
        };
        let mut first = first;
        let activity = Arc::new(Activity::default());
        let checkpointer = if wal {
            let (path, own_options) = (abs.clone(), options.clone());
            let checkpointer = Checkpointer::start("checkpoint", move || {
                open_connection(&path, &own_options, false)
            })?;
            checkpointer.install(&mut first, autocheckpoint(&options), activity.clone())?;
            Some(checkpointer)
        } else {
            None
        };
        let writer = Arc::new(Slot::new(first, budget)?);
        let checkpoint_target = writer.clone();
        let checkpoint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            checkpoint_if_quiet(&checkpoint_target, &activity);
        });
        let idle = wal.then_some((options.checkpoint_interval, checkpoint));
        let write_worker = Workers::start("writer", vec![writer.clone()], idle)?;

        let (inline_reader, read_workers, readers) = if wal {
            let readers = reader_count(&options);
            let inline_reader =
                Arc::new(Slot::new(open_connection(&abs, &options, false)?, budget)?);
            let mut slots = Vec::new();
            for _ in 0..readers {
                slots.push(Arc::new(Slot::new(
                    open_connection(&abs, &options, false)?,
                    budget,
                )?));
            }
            (
                inline_reader,
                Some(Workers::start("reader", slots, None)?),
                readers,
            )
        } else {
            (writer.clone(), None, 0)
        };
        Ok(Pool {
            info: Info {
                path: abs.clone(),
                journal_mode: mode.to_ascii_lowercase(),
                wal,
                readers,
                readonly: false,
                fallback_reason,
                sqlite_version,
            },
            path: abs,
            options,
            writer: Some(writer),
            inline_reader,
            read_workers: Mutex::new(read_workers),
            write_worker: Mutex::new(Some(write_worker)),
            statements: Mutex::new(Statements::new(bound)),
            catalog: RwLock::new(None),
            checkpointer: Mutex::new(checkpointer),
            closed: AtomicBool::new(false),
        })
    }

    pub fn info(&self) -> &Info {
        &self.info
    }

    /// WAL checkpoints completed so far: (by the background thread, by the writer itself).
    pub fn checkpoints(&self) -> (u64, u64) {
        self.checkpointer
            .lock()
            .as_ref()
            .map_or((0, 0), Checkpointer::runs)
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    fn ensure_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(closed_error(&self.path));
        }
        Ok(())
    }

    /// The writer if it is free (it sees tables an open transaction created),
    /// else the inline reader; a closed pool's error once close() ran.
    fn writer_or_inline_reader(&self) -> Result<MappedMutexGuard<'_, Conn>> {
        self.writer
            .as_ref()
            .and_then(|w| w.try_lock())
            .or_else(|| self.inline_reader.lock())
            .ok_or_else(|| closed_error(&self.path))
    }

    /// Compiles `sql` once to learn whether it writes and what parameters it takes.
    pub fn register(&self, sql: &str, internal: bool) -> Result<Registered> {
        self.ensure_open()?;
        // The writer sees tables created by an open transaction; when a worker
        // holds it, the inline reader answers instead of blocking the JS thread.
        let conn = self.writer_or_inline_reader()?;
        let (readonly, params) = conn.guarded(internal, |c| {
            let stmt = c.prepare(sql)?;
            let params = (1..=stmt.parameter_count())
                .map(|i| stmt.parameter_name(i).map(str::to_owned))
                .collect();
            Ok((stmt.readonly(), params))
        })?;
        let calls_regexp = conn.saw_regexp();
        drop(conn);
        let mut statements = self.statements.lock();
        let id = statements.next_id()?;
        let info = StatementInfo::new(id, sql.to_owned(), readonly).with_internal(internal);
        if calls_regexp {
            info.mark_calls_regexp();
        }
        statements.by_id.push(id, Arc::new(info));
        Ok(Registered {
            id,
            readonly,
            params,
        })
    }

    /// Reads the schema, with policies and relations, as JSON text. Runs on
    /// the writer when it is free, so tables created in an open transaction
    /// on this pool are seen.
    pub fn discover(&self, options: &crate::catalog::CatalogOptions) -> Result<String> {
        self.ensure_open()?;
        let conn = self.writer_or_inline_reader()?;
        let catalog = crate::catalog::Catalog::discover(&conn, options)?;
        let json = catalog.to_json().to_string();
        drop(conn);
        *self.catalog.write() = Some(Arc::new(catalog));
        Ok(json)
    }

    /// Compiles a QuerySet shape against the last discovered schema.
    pub fn compile(&self, shape: &serde_json::Value) -> Result<crate::query::Compiled> {
        let catalog =
            self.catalog.read().clone().ok_or_else(|| {
                Error::usage("NO_SCHEMA", "the schema has not been discovered yet")
            })?;
        crate::query::compile(&catalog, shape)
    }

    /// How many statements are registered now, and how many are kept at most.
    pub fn statements(&self) -> (usize, usize) {
        let statements = self.statements.lock();
        (statements.by_id.len(), statements.by_id.cap().get())
    }

    /// The registered statement `id` (refreshing it), or `UNKNOWN_STATEMENT`.
    fn statement(&self, id: StatementId) -> Result<Arc<StatementInfo>> {
        self.statements.lock().get(id)
    }

    fn slot_for(&self, target: Target) -> Result<&Arc<Slot>> {
        match target {
            Target::Read => Ok(&self.inline_reader),
            Target::Write => self.writer.as_ref().ok_or_else(|| {
                Error::usage(
                    "READONLY_DATABASE",
                    format!(
                        "{} was opened with readonly: true; writes are refused",
                        self.path
                    ),
                )
            }),
        }
    }

    /// Runs on the calling (JS) thread. `Error::OverBudget` means "run it
    /// with `submit` instead": the connection was busy or the read was slow.
    pub fn run_inline(
        &self,
        id: StatementId,
        params: &[Param<'_>],
        target: Target,
    ) -> Result<Encoded> {
        self.ensure_open()?;
        let info = self.statement(id)?;
        let slot = self.slot_for(target)?;
        // A REGEXP call cannot be stopped by the time budget once it runs.
        if info.calls_regexp() {
            return Err(Error::OverBudget);
        }
        let Some(conn) = slot.try_lock() else {
            return Err(Error::OverBudget);
        };
        match exec::run(&conn, &info, params, Some(slot.as_ref()), false) {
            Err(e) if e.is_busy() => Err(Error::OverBudget),
            other => other,
        }
    }

    /// Runs a registered statement on a worker; `done` is called from that thread.
    pub fn run_async(
        &self,
        id: StatementId,
        params: Vec<Param<'static>>,
        target: Target,
        done: impl FnOnce(Result<Encoded>) + Send + 'static,
    ) {
        let info = match self.ensure_open().and_then(|_| self.statement(id)) {
            Ok(info) => info,
            Err(e) => return done(Err(e)),
        };
        let busy_timeout = self.options.busy_timeout;
        self.submit(
            target,
            move |conn| retry_busy(busy_timeout, || exec::run(conn, &info, &params, None, true)),
            done,
        );
    }

    /// Runs a script of several statements on the writer (migrations, seeds).
    pub fn exec_script(&self, sql: String, done: impl FnOnce(Result<()>) + Send + 'static) {
        if let Err(e) = self
            .ensure_open()
            .and_then(|_| self.slot_for(Target::Write).map(|_| ()))
        {
            return done(Err(e));
        }
        let busy_timeout = self.options.busy_timeout;
        self.submit(
            Target::Write,
            move |conn| {
                retry_busy(busy_timeout, || {
                    conn.guarded(false, |c| Ok(c.execute_batch(&sql)?))
                })
            },
            done,
        );
    }

    fn submit<T: Send + 'static>(
        &self,
        target: Target,
        work: impl FnOnce(&Conn) -> Result<T> + Send + 'static,
        done: impl FnOnce(Result<T>) + Send + 'static,
    ) {
        let path = self.path.clone();
        let job: Job = Box::new(move |conn| {
            let result = match conn {
                None => Err(closed_error(&path)),
                Some(conn) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(conn)))
                    .unwrap_or_else(|_| {
                        Err(Error::usage(
                            "INTERNAL",
                            "an internal error stopped this statement (the connection is still usable)",
                        ))
                    }),
            };
            Box::new(move || done(result))
        });
        let readers = self.read_workers.lock();
        match (target, readers.as_ref()) {
            (Target::Read, Some(workers)) => workers.submit(job),
            _ => {
                drop(readers);
                match self.write_worker.lock().as_ref() {
                    Some(workers) => workers.submit(job),
                    None => job(None)(),
                }
            }
        }
    }

    /// Stops the workers (interrupting running statements) and closes every
    /// connection. Pending jobs that never ran report `POOL_CLOSED`.
    pub fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(mut w) = self.read_workers.lock().take() {
            w.stop();
        }
        if let Some(mut w) = self.write_worker.lock().take() {
            w.stop();
        }
        if let Some(mut c) = self.checkpointer.lock().take() {
            c.stop();
        }
        if let Some(writer) = &self.writer {
            if let Some(conn) = writer.lock() {
                if !conn.is_autocommit() {
                    let _ = conn.guarded(true, |c| Ok(c.execute_batch("ROLLBACK")?));
                }
                if self.info.wal {
                    let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
                }
            }
            writer.close();
        }
        // The workers' own connections went with their threads; these two are
        // the pool's, and another process may want the file now, not when
        // the garbage collector drops the pool.
        self.inline_reader.close();
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.close();
    }
}

fn closed_error(path: &str) -> Error {
    Error::usage(
        "POOL_CLOSED",
        format!("the database {path} has been closed; open a new NOORMME instance"),
    )
}

/// The longest pause between two tries of a lock another process holds. A
/// process that commits and at once begins again takes the lock back within
/// a fraction of a millisecond, so a waiter only gets its turn by trying
/// inside that gap: with pauses of 50 ms, 6 processes × 300 transactions
/// left two waiting past the 5 s busy timeout. A try costs microseconds.
const MAX_BUSY_PAUSE: Duration = Duration::from_millis(1);

/// Retries a unit of work while SQLite answers SQLITE_BUSY, with growing
/// pauses, until `timeout`; then reports `BusyError`.
fn retry_busy<T>(timeout: Duration, mut work: impl FnMut() -> Result<T>) -> Result<T> {
    let started = Instant::now();
    let mut pause = Duration::from_micros(250);
    loop {
        match work() {
            Err(e) if e.is_busy() => {
                let waited = started.elapsed();
                if waited >= timeout {
                    return Err(Error::Busy {
                        waited_ms: waited.as_millis() as u64,
                        detail: e.to_string(),
                    });
                }
                std::thread::sleep(pause.min(timeout - waited));
                pause = (pause * 2).min(MAX_BUSY_PAUSE);
            }
            other => return other,
        }
    }
}

/// Shrinks the WAL back to nothing (TRUNCATE) once writes have gone quiet.
fn checkpoint_if_quiet(writer: &Slot, activity: &Activity) {
    if !activity.quiet_with_news() {
        return;
    }
    if let Some(conn) = writer.try_lock() {
        // A checkpoint inside an open transaction would fail; the next idle tick retries.
        if conn.is_autocommit() {
            let done: rusqlite::Result<(i64, i64, i64)> =
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                });
            if matches!(done, Ok((0, _, _))) {
                activity.truncated();
            }
        }
    }
}

/// The WAL size (pages) that asks for a checkpoint: SQLite's default, or
/// what the `wal_autocheckpoint` pragma option says (0 or less: never).
fn autocheckpoint(options: &Options) -> u32 {
    options
        .pragmas
        .iter()
        .rev()
        .find(|(name, _)| name.eq_ignore_ascii_case("wal_autocheckpoint"))
        .and_then(|(_, value)| value.parse::<i64>().ok())
        .map_or(DEFAULT_THRESHOLD, |pages| {
            pages.clamp(0, u32::MAX.into()) as u32
        })
}

fn reader_count(options: &Options) -> usize {
    options.readers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(2, 4)
    })
}

fn absolute(path: &str) -> String {
    let p = Path::new(path);
    let joined: PathBuf = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    };
    // Normalise `.` and `..` without touching the file system, so a file
    // that does not exist yet still gets one canonical spelling.
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out.to_string_lossy().into_owned()
}

fn check_directory(abs: &str) -> Result<()> {
    let dir = Path::new(abs).parent().unwrap_or(Path::new("/"));
    if !dir.is_dir() {
        return Err(Error::Connection {
            path: abs.to_owned(),
            code: "SQLITE_CANTOPEN",
            raw_code: rusqlite::ffi::SQLITE_CANTOPEN,
            message: format!(
                "cannot open {abs}: the directory {} does not exist. Create it first (mkdir -p) or fix the path.",
                dir.display()
            ),
        });
    }
    Ok(())
}

fn read_only_file(abs: &str) -> Error {
    Error::Connection {
        path: abs.to_owned(),
        code: "SQLITE_READONLY",
        raw_code: rusqlite::ffi::SQLITE_READONLY,
        message: format!(
            "{abs} can only be opened read-only by this process (file or directory permissions). Fix the permissions, or pass readonly: true if you only read."
        ),
    }
}

/// Whether a read-only connection failed because it cannot set up the WAL
/// index: a WAL database whose -shm file is missing and cannot be created
/// (SQLITE_READONLY_CANTINIT, SQLITE_CANTOPEN or plain SQLITE_READONLY).
fn cannot_init_wal_index(err: &Error) -> bool {
    matches!(err, Error::Connection { raw_code, .. } if matches!(raw_code & 0xff, 8 | 14))
}

/// Opens a read-only connection to `abs` as immutable (no locks, no WAL
/// index), for a WAL database in a directory this process cannot write.
/// Refused when the -wal file holds changes: immutable reads ignore it, so
/// they would silently miss committed rows. Returns the connection and the
/// URI that opens more like it.
fn open_immutable(abs: &str, options: &Options) -> Result<(Connection, String)> {
    let wal = format!("{abs}-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(Error::Connection {
            path: abs.to_owned(),
            code: "SQLITE_READONLY",
            raw_code: rusqlite::ffi::SQLITE_READONLY,
            message: format!(
                "{abs} is in WAL mode and {wal} holds changes not yet in the database, but this process cannot create {abs}-shm (the directory is read-only), so it cannot read them. Let a process with write access open it once (its checkpoint folds the WAL in), or make the directory writable."
            ),
        });
    }
    // A URI path escapes what a URI would read as its own syntax.
    let mut uri = String::from("file:");
    for c in abs.chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    let conn = open_connection(&uri, options, false)?;
    Ok((conn, uri))
}

/// Rewrites open-time failures as `ConnectionError` with the path and a remedy.
fn connection_error(abs: &str, err: Error) -> Error {
    let Error::Sqlite {
        raw_code, message, ..
    } = err
    else {
        return err;
    };
    let hint = match raw_code & 0xff {
        26 => format!("{abs} is not a SQLite database (its header is not SQLite's). Check the path: it may point at another kind of file."),
        14 => format!("cannot open {abs}: {message}. Check that the file exists and the path is right."),
        8 => return read_only_file(abs),
        11 => format!("{abs} is corrupt: {message}. Restore it from a backup."),
        _ => format!("cannot open {abs}: {message}"),
    };
    Error::Connection {
        path: abs.to_owned(),
        code: code_name(raw_code),
        raw_code,
        message: hint,
    }
}

fn open_connection(abs: &str, options: &Options, memory: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    if options.readonly {
        flags |= OpenFlags::SQLITE_OPEN_READ_ONLY;
    } else {
        flags |= OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = if memory {
        Connection::open_in_memory_with_flags(flags)
    } else {
        Connection::open_with_flags(abs, flags)
    }
    .map_err(|e| connection_error(abs, e.into()))?;
    crate::functions::register(&conn)?;
    // The JS thread must never sleep in SQLite's busy handler: BUSY is
    // answered by moving the work to a worker, which retries with backoff.
    conn.busy_timeout(Duration::ZERO)?;
    let defaults = [
        ("synchronous", "NORMAL"),
        ("foreign_keys", "ON"),
        ("temp_store", "MEMORY"),
        ("cache_size", "-16000"),
        ("journal_size_limit", "67108864"),
    ];
    for (name, value) in defaults.iter().map(|(n, v)| (*n, *v)).chain(
        options
            .pragmas
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str())),
    ) {
        apply_pragma(&conn, name, value).map_err(|e| connection_error(abs, e))?;
    }
    Ok(conn)
}

/// Pragma names and values come from options, not from SQL: both are checked
/// to be plain words or numbers so no option can smuggle a statement in.
fn apply_pragma(conn: &Connection, name: &str, value: &str) -> Result<()> {
    let name_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let value_ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if !name_ok || !value_ok {
        return Err(Error::usage(
            "INVALID_PRAGMA",
            format!("pragma {name:?} = {value:?} is not a plain name and value"),
        ));
    }
    conn.execute_batch(&format!("PRAGMA {name} = {value}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn temp_db() -> (tempfile::TempDir, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db").to_string_lossy().into_owned();
        (dir, path)
    }

    fn wait<T: Send + 'static>(f: impl FnOnce(Box<dyn FnOnce(T) + Send>)) -> T {
        let (tx, rx) = mpsc::channel();
        f(Box::new(move |v| tx.send(v).unwrap()));
        rx.recv_timeout(Duration::from_secs(10)).unwrap()
    }

    #[test]
    fn opens_in_wal_with_readers_and_defaults() {
        let (_d, path) = temp_db();
        let pool = Pool::open(
            &path,
            Options {
                readers: Some(2),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(pool.info().wal);
        assert_eq!(pool.info().readers, 2);
        let id = pool.register("PRAGMA foreign_keys", false).unwrap().id;
        let enc = pool.run_inline(id, &[], Target::Read).unwrap();
        assert_eq!(enc.cells[0], 1.0);
    }

    #[test]
    fn memory_falls_back_to_one_connection_and_says_why() {
        let pool = Pool::open(":memory:", Options::default()).unwrap();
        assert!(!pool.info().wal);
        assert_eq!(pool.info().readers, 0);
        assert!(pool
            .info()
            .fallback_reason
            .as_deref()
            .unwrap()
            .contains("in-memory"));
        // Reads and writes see the same single database.
        let w = pool.register("CREATE TABLE t(x)", false).unwrap().id;
        pool.run_inline(w, &[], Target::Write).unwrap();
        let r = pool.register("SELECT count(*) FROM t", false).unwrap().id;
        let enc: Result<Encoded> = wait(|done| pool.run_async(r, vec![], Target::Read, done));
        assert_eq!(enc.unwrap().cells[0], 0.0);
    }

    #[test]
    fn slow_inline_read_is_stopped_then_runs_on_a_reader() {
        let (_d, path) = temp_db();
        let pool = Pool::open(&path, Options::default()).unwrap();
        let slow = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000000) SELECT count(*) FROM c";
        let id = pool.register(slow, false).unwrap().id;
        let started = Instant::now();
        assert!(matches!(
            pool.run_inline(id, &[], Target::Read),
            Err(Error::OverBudget)
        ));
        assert!(started.elapsed() < Duration::from_millis(100));
        let enc = wait(|done| pool.run_async(id, vec![], Target::Read, done)).unwrap();
        assert_eq!(enc.cells[0], 3_000_000.0);
        // Off-thread results always carry names: they may reach JS out of order.
        assert!(enc.column_names.is_some());
    }

    fn is_transaction_statement<T: std::fmt::Debug>(r: &Result<T>) -> bool {
        matches!(r, Err(Error::Usage { code: "TRANSACTION_STATEMENT", message }) if message.contains("db.transaction"))
    }

    #[test]
    fn transaction_statements_are_refused_unless_internal_however_spelled() {
        let (_d, path) = temp_db();
        let pool = Pool::open(&path, Options::default()).unwrap();
        for sql in [
            "BEGIN",
            ";BEGIN",
            "/* x */ BEGIN",
            "-- hi\n begin immediate",
            "SAVEPOINT a",
            "RELEASE a",
            "COMMIT",
            "END",
            "ROLLBACK",
            "ROLLBACK TO a",
        ] {
            assert!(
                is_transaction_statement(&pool.register(sql, false)),
                "{sql}"
            );
        }
        // Text that only looks like one is an ordinary statement.
        assert!(pool.register("SELECT 'BEGIN'", false).is_ok());
        // A script cannot open one either, not even after other statements.
        let create: Result<()> = wait(|done| {
            pool.exec_script(
                "CREATE TABLE t(x); ;BEGIN; INSERT INTO t VALUES (1)".into(),
                done,
            )
        });
        assert!(is_transaction_statement(&create), "{create:?}");
        let writer = pool.writer.as_ref().unwrap();
        assert!(writer.lock().unwrap().is_autocommit());
        // The pool's own statements go through, also when prepared again
        // after a schema change, and an ordinary error is not mistaken for one.
        let begin = pool.register("BEGIN IMMEDIATE", true).unwrap().id;
        let commit = pool.register("COMMIT", true).unwrap().id;
        let insert = pool
            .register("INSERT INTO t(x) VALUES (2)", false)
            .unwrap()
            .id;
        for round in 0..2 {
            pool.run_inline(begin, &[], Target::Write).unwrap();
            assert!(!writer.lock().unwrap().is_autocommit());
            pool.run_inline(insert, &[], Target::Write).unwrap();
            pool.run_inline(commit, &[], Target::Write).unwrap();
            assert!(writer.lock().unwrap().is_autocommit());
            let alter: Result<()> =
                wait(|done| pool.exec_script(format!("CREATE TABLE s{round}(x)"), done));
            alter.unwrap();
        }
        let missing: Result<()> =
            wait(|done| pool.exec_script("SELECT * FROM nowhere".into(), done));
        assert!(matches!(missing, Err(Error::Sqlite { .. })), "{missing:?}");
    }

    #[test]
    fn statements_calling_regexp_never_run_inline() {
        let (_d, path) = temp_db();
        let pool = Pool::open(&path, Options::default()).unwrap();
        let setup: Result<()> = wait(|done| {
            pool.exec_script(
                "CREATE TABLE t(name TEXT); INSERT INTO t VALUES ('abc'), ('xyz');
                 CREATE VIEW v AS SELECT name FROM t WHERE name REGEXP '^a';"
                    .into(),
                done,
            )
        });
        setup.unwrap();
        for (sql, target) in [
            ("SELECT count(*) FROM t WHERE name REGEXP ?", Target::Read),
            (
                "SELECT count(*) FROM t WHERE name REGEXP ('(?i)' || ?)",
                Target::Read,
            ),
            (
                "UPDATE t SET name = name WHERE name REGEXP ?",
                Target::Write,
            ),
        ] {
            let id = pool.register(sql, false).unwrap().id;
            let params = [Param::Text("^a".into())];
            assert!(
                matches!(pool.run_inline(id, &params, target), Err(Error::OverBudget)),
                "{sql}"
            );
            let enc = wait(|done| pool.run_async(id, params.to_vec(), target, done)).unwrap();
            assert!(enc.cells.first() == Some(&1.0) || enc.changes == 1, "{sql}");
        }
        // Through a view too: SQLite reports the call when it expands it.
        let view = pool.register("SELECT count(*) FROM v", false).unwrap().id;
        assert!(matches!(
            pool.run_inline(view, &[], Target::Read),
            Err(Error::OverBudget)
        ));
        // Others still run inline.
        let plain = pool
            .register("SELECT count(*) FROM t WHERE name = ?", false)
            .unwrap()
            .id;
        let enc = pool
            .run_inline(plain, &[Param::Text("abc".into())], Target::Read)
            .unwrap();
        assert_eq!(enc.cells[0], 1.0);
    }

    #[test]
    fn write_waits_for_another_connection_then_reports_busy() {
        let (_d, path) = temp_db();
        let pool = Pool::open(
            &path,
            Options {
                busy_timeout: Duration::from_millis(150),
                ..Default::default()
            },
        )
        .unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let id = pool.register("CREATE TABLE t(x)", false).unwrap().id;
        assert!(matches!(
            pool.run_inline(id, &[], Target::Write),
            Err(Error::OverBudget)
        ));
        let started = Instant::now();
        let err = wait(|done| pool.run_async(id, vec![], Target::Write, done)).unwrap_err();
        assert!(matches!(err, Error::Busy { .. }), "{err:?}");
        assert!(started.elapsed() >= Duration::from_millis(150));
        other.execute_batch("COMMIT").unwrap();
        // Once the lock is free the same statement goes through.
        assert!(wait(|done| pool.run_async(id, vec![], Target::Write, done)).is_ok());
    }

    #[test]
    fn missing_directory_and_non_database_are_connection_errors() {
        let (dir, _) = temp_db();
        let missing = dir.path().join("nope/x.db");
        match Pool::open(missing.to_str().unwrap(), Options::default()) {
            Err(Error::Connection { message, .. }) => assert!(message.contains("does not exist")),
            other => panic!("{:?}", other.err()),
        }
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
        match Pool::open(junk.to_str().unwrap(), Options::default()) {
            Err(Error::Connection { code, .. }) => assert_eq!(code, "SQLITE_NOTADB"),
            other => panic!("{:?}", other.err()),
        }
    }

    #[test]
    fn pragma_options_cannot_inject_sql() {
        let pool = Pool::open(
            ":memory:",
            Options {
                pragmas: vec![("cache_size".into(), "1; DROP TABLE x".into())],
                ..Default::default()
            },
        );
        assert!(matches!(
            pool,
            Err(Error::Usage {
                code: "INVALID_PRAGMA",
                ..
            })
        ));
    }

    fn writes_with_autocheckpoint(pages: &str, commits: usize) -> (tempfile::TempDir, Pool) {
        let (dir, path) = temp_db();
        let pool = Pool::open(
            &path,
            Options {
                pragmas: vec![("wal_autocheckpoint".into(), pages.into())],
                ..Default::default()
            },
        )
        .unwrap();
        let create = pool.register("CREATE TABLE t(x BLOB)", false).unwrap().id;
        pool.run_inline(create, &[], Target::Write).unwrap();
        // One or two pages a commit.
        let insert = pool
            .register("INSERT INTO t VALUES (zeroblob(3000))", false)
            .unwrap()
            .id;
        for _ in 0..commits {
            pool.run_inline(insert, &[], Target::Write).unwrap();
        }
        (dir, pool)
    }

    #[test]
    fn checkpoints_run_on_a_background_thread_not_in_the_commit() {
        // 60 commits pass 50 pages but not the writer's own limit (200).
        let (_d, pool) = writes_with_autocheckpoint("50", 60);
        let started = Instant::now();
        while pool.checkpoints().0 == 0 && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(pool.checkpoints().0 > 0, "{:?}", pool.checkpoints());
        assert_eq!(pool.checkpoints().1, 0);
    }

    #[test]
    fn wal_autocheckpoint_zero_turns_automatic_checkpoints_off() {
        // Past the default threshold of 1,000 pages.
        let (_d, pool) = writes_with_autocheckpoint("0", 700);
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(pool.checkpoints(), (0, 0));
        // Every frame is still in the WAL, none copied back.
        let id = pool
            .register("PRAGMA wal_checkpoint(PASSIVE)", false)
            .unwrap()
            .id;
        let enc = wait(|done| pool.run_async(id, vec![], Target::Write, done)).unwrap();
        assert!(enc.cells[1] >= 1000.0, "{:?}", enc.cells);
    }

    fn is_unknown_statement<T: std::fmt::Debug>(r: &Result<T>) -> bool {
        matches!(r, Err(Error::Usage { code: "UNKNOWN_STATEMENT", message }) if message.contains("register its SQL again"))
    }

    #[test]
    fn the_registry_keeps_the_most_recently_used_statements_up_to_its_bound() {
        let pool = Pool::open(":memory:", Options::default()).unwrap();
        let bound = STATEMENT_CACHE_SIZE.get();
        let register = |i: usize| pool.register(&format!("SELECT {i}"), false).unwrap().id;
        let first = register(0);
        let mut ids = vec![first];
        for i in 1..bound + 500 {
            ids.push(register(i));
            // The first stays in use all along.
            if i % 100 == 0 {
                let enc = pool.run_inline(first, &[], Target::Read).unwrap();
                assert_eq!(enc.cells, vec![0.0]);
            }
        }
        assert_eq!(pool.statements(), (bound, bound));
        // Every registration got an id of its own.
        let distinct: std::collections::HashSet<StatementId> = ids.iter().copied().collect();
        assert_eq!(distinct.len(), ids.len());
        // The oldest others were forgotten, inline and on a worker alike.
        for &gone in &ids[1..=500] {
            assert!(is_unknown_statement(&pool.run_inline(
                gone,
                &[],
                Target::Read
            )));
        }
        let late: Result<Encoded> = wait(|done| pool.run_async(ids[1], vec![], Target::Read, done));
        assert!(is_unknown_statement(&late), "{late:?}");
        // The rest still run, each its own statement.
        for (i, &id) in ids.iter().enumerate().skip(501).step_by(97) {
            let enc = pool.run_inline(id, &[], Target::Read).unwrap();
            assert_eq!(enc.cells, vec![i as f64]);
        }
        assert_eq!(
            pool.run_inline(first, &[], Target::Read).unwrap().cells,
            vec![0.0]
        );
        // The same text registered again is a new id, never a forgotten one.
        let again = pool.register("SELECT 1", false).unwrap().id;
        assert!(!distinct.contains(&again));
        assert_eq!(
            pool.run_inline(again, &[], Target::Read).unwrap().cells,
            vec![1.0]
        );
        assert!(is_unknown_statement(&pool.run_inline(
            MAX_STATEMENT_ID,
            &[],
            Target::Read
        )));
    }

    #[test]
    fn the_registry_bound_is_an_option() {
        let pool = Pool::open(
            ":memory:",
            Options {
                statement_cache_size: NonZeroUsize::new(16).unwrap(),
                ..Default::default()
            },
        )
        .unwrap();
        let ids: Vec<StatementId> = (0..40)
            .map(|i| pool.register(&format!("SELECT {i}"), false).unwrap().id)
            .collect();
        assert_eq!(pool.statements(), (16, 16));
        assert!(is_unknown_statement(&pool.run_inline(
            ids[23],
            &[],
            Target::Read
        )));
        assert_eq!(
            pool.run_inline(ids[24], &[], Target::Read).unwrap().cells,
            vec![24.0]
        );
    }

    #[test]
    fn ids_run_out_with_an_error_rather_than_repeat() {
        let pool = Pool::open(":memory:", Options::default()).unwrap();
        pool.statements.lock().next_id = MAX_STATEMENT_ID;
        let last = pool.register("SELECT 7", false).unwrap().id;
        assert_eq!(last, MAX_STATEMENT_ID);
        let spent = pool.register("SELECT 8", false);
        assert!(
            matches!(
                spent,
                Err(Error::Usage {
                    code: "STATEMENT_IDS_EXHAUSTED",
                    ..
                })
            ),
            "{spent:?}"
        );
        // What was registered still runs.
        assert_eq!(
            pool.run_inline(last, &[], Target::Read).unwrap().cells,
            vec![7.0]
        );
        assert_eq!(pool.statements().0, 1);
    }

    #[test]
    fn absolute_paths_are_normalised() {
        assert_eq!(absolute("/a/b/../c/./d.db"), "/a/c/d.db");
    }
}

#[cfg(test)]
mod bench {
    use super::*;

    fn rss_mb() -> f64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// Registers (and runs once) 200,000 distinct SQL texts, printing the
    /// rate per 20,000 and the resident memory. Run by hand:
    /// `cargo test --release bench -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn registration_throughput() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db").to_string_lossy().into_owned();
        for run in [false, true] {
            let pool = Pool::open(&path, Options::default()).unwrap();
            println!("register{}:", if run { " + run inline" } else { "" });
            let start = rss_mb();
            for chunk in 0..10 {
                let t = Instant::now();
                for i in 0..20_000u32 {
                    let n = chunk * 20_000 + i;
                    let sql = format!("SELECT {n} + {} + ?", u32::from(run));
                    let id = pool.register(&sql, false).unwrap().id;
                    if run {
                        pool.run_inline(id, &[Param::Integer(1)], Target::Read)
                            .unwrap();
                    }
                }
                println!(
                    "  {:>7} texts: {:>8.0}/s, RSS {:.0} MB (+{:.0})",
                    (chunk + 1) * 20_000,
                    20_000.0 / t.elapsed().as_secs_f64(),
                    rss_mb(),
                    rss_mb() - start
                );
            }
        }
    }
}
