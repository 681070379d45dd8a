//! Running one statement on one connection and encoding its result compactly,
//! so the JS side builds row objects with a handful of boundary crossings;
//! each connection's authorizer keeps transaction control to the pool.
//!
//! Encoding (all little-endian, f64-aligned):
//!   header: 8 f64 slots (rows, columns, flags, changes, lastInsertRowid, elapsed µs, 0, 0)
//!   cells:  rows × columns f64 slots, then rows × columns tag bytes.
//! Text cells live in one string per row; their slot holds the end offset in
//! UTF-16 units. Blob slots hold an index into a separate list of buffers.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_uint, CStr};
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lru::LruCache;
use parking_lot::Mutex;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::{ffi, Connection};

use crate::error::{Abbrev, Error, Result};

pub const HEADER_SLOTS: usize = 8;

pub const TAG_NULL: u8 = 0;
pub const TAG_INT: u8 = 1;
pub const TAG_REAL: u8 = 2;
pub const TAG_TEXT: u8 = 3;
pub const TAG_BLOB: u8 = 4;
/// An integer beyond ±(2^53−1): its decimal digits are stored like text.
pub const TAG_BIGINT: u8 = 5;

pub const FLAG_TEXT: u32 = 1;
pub const FLAG_COLUMNS: u32 = 2;
pub const FLAG_BLOBS: u32 = 4;
pub const FLAG_BIG_ROWID: u32 = 8;
pub const FLAG_EXTERNAL: u32 = 16;

const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// A bound parameter, already normalised by the JS layer.
#[derive(Debug, Clone, PartialEq)]
pub enum Param<'a> {
    Null,
    Integer(i64),
    Real(f64),
    /// Borrowed when it is a slice of the texts a call brought in one string.
    Text(Cow<'a, str>),
    Blob(Vec<u8>),
}

impl Param<'_> {
    /// JS numbers that are integral bind as INTEGER so `typeof()` and STRICT
    /// tables see what the user meant; everything else binds as REAL.
    pub fn from_f64(n: f64) -> Self {
        if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER as f64 {
            Param::Integer(n as i64)
        } else {
            Param::Real(n)
        }
    }
}

/// A registered statement's number. Never reused within a pool, and kept
/// below 2^53 so a JS number carries it exactly.
pub type StatementId = u64;

/// The last id a pool hands out: at a million registrations a second it
/// takes 285 years to get there.
pub const MAX_STATEMENT_ID: StatementId = (1 << 53) - 1;

/// What the pool knows about one registered SQL text.
#[derive(Debug)]
pub struct StatementInfo {
    /// The number JS calls it by (never reused in a pool); also its key
    /// among each connection's prepared statements.
    pub id: StatementId,
    pub sql: String,
    pub readonly: bool,
    /// The pool's own transaction control (BEGIN IMMEDIATE, SAVEPOINT...):
    /// the only statements SQLite is allowed to open or close transactions for.
    pub internal: bool,
    /// Set once a preparation of it was seen to call REGEXP: one call can
    /// run long and cannot be interrupted, so it never runs on the JS thread.
    calls_regexp: AtomicBool,
    /// Column names last sent to JS for this statement; a result only carries
    /// names when they differ (after ALTER TABLE, or the first run).
    sent_columns: Mutex<Option<Arc<[String]>>>,
}

impl StatementInfo {
    pub fn new(id: StatementId, sql: String, readonly: bool) -> Self {
        StatementInfo {
            id,
            sql,
            readonly,
            internal: false,
            calls_regexp: AtomicBool::new(false),
            sent_columns: Mutex::new(None),
        }
    }

    /// Marks the statement as the pool's own transaction control (or not).
    pub fn with_internal(mut self, internal: bool) -> Self {
        self.internal = internal;
        self
    }

    /// Records that the statement calls REGEXP.
    pub fn mark_calls_regexp(&self) {
        self.calls_regexp.store(true, Ordering::Relaxed);
    }

    /// Whether the statement calls REGEXP (as far as its preparations showed).
    pub fn calls_regexp(&self) -> bool {
        self.calls_regexp.load(Ordering::Relaxed)
    }
}

/// The result of one statement, ready to be copied across the boundary.
#[derive(Debug, Default)]
pub struct Encoded {
    pub rows: usize,
    pub columns: usize,
    pub flags: u32,
    pub changes: u64,
    pub last_insert_rowid: i64,
    pub elapsed_us: f64,
    pub cells: Vec<f64>,
    pub tags: Vec<u8>,
    pub texts: Vec<String>,
    pub blobs: Vec<Vec<u8>>,
    pub column_names: Option<Vec<String>>,
}

impl Encoded {
    pub fn byte_len(&self) -> usize {
        (HEADER_SLOTS + self.cells.len()) * 8 + self.tags.len()
    }

    /// Writes header, cells and tags into `out`, which must hold `byte_len()` bytes.
    pub fn write_into(&self, out: &mut [u8]) {
        let header = [
            self.rows as f64,
            self.columns as f64,
            self.flags as f64,
            self.changes as f64,
            self.last_insert_rowid as f64,
            self.elapsed_us,
            0.0,
            0.0,
        ];
        let mut at = 0;
        for value in header.iter().chain(self.cells.iter()) {
            out[at..at + 8].copy_from_slice(&value.to_le_bytes());
            at += 8;
        }
        out[at..at + self.tags.len()].copy_from_slice(&self.tags);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![0; self.byte_len()];
        self.write_into(&mut out);
        out
    }
}

/// How long a read may run inline before it is stopped and moved off-thread.
pub trait Budget {
    /// Starts watching a run; a read is stopped once past the budget.
    fn arm(&self, readonly: bool);
    /// Stops watching; returns how long the run took from its first progress
    /// check on (zero when it ended before one: under ~1,000 VM steps).
    fn disarm(&self) -> Duration;
}

/// How many statements one connection keeps prepared before it finalizes
/// the least recently used.
const PREPARED_LIMIT: NonZeroUsize = NonZeroUsize::new(256).unwrap();

/// A statement prepared on one connection; finalized when dropped.
struct Prepared(NonNull<ffi::sqlite3_stmt>);

// SAFETY: a statement is only used under its connection's mutex, and SQLite
// (multi-thread mode) allows a connection and its statements to move between
// threads as long as no two use them at once.
unsafe impl Send for Prepared {}

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared by sqlite3_prepare_v3 and is
        // finalized exactly once, here, before its connection closes.
        unsafe { ffi::sqlite3_finalize(self.0.as_ptr()) };
    }
}

/// A connection with its statements prepared once each, by registered id.
/// (rusqlite's statement cache hashes and copies the SQL text on every use;
/// here the id is known, so a run finds its statement by that number.)
pub struct Conn {
    // Declared before `conn`: statements are finalized before it closes.
    /// At most `PREPARED_LIMIT`; an id forgotten by the pool ages out too.
    prepared: RefCell<LruCache<StatementId, Prepared>>,
    seen: Arc<Seen>,
    /// When `file_has_moved` last asked the file system (see MOVED_CHECK_EVERY).
    moved_checked: Cell<Option<Instant>>,
    /// Once seen moved, the file stays moved for this connection.
    moved: Cell<bool>,
    conn: Connection,
}

/// How often a write asks whether the database file was deleted or replaced.
/// The answer costs a stat of the path (+1.4 µs on a 12.7 µs update, 11%,
/// when asked on every write); once a millisecond costs nothing measurable,
/// and bounds what a deleted file can swallow to the writes of that
/// millisecond.
const MOVED_CHECK_EVERY: Duration = Duration::from_millis(1);

/// What the connection's authorizer is told and saw while statements were
/// prepared (SQLite calls it at preparation only, never per row).
#[derive(Default)]
struct Seen {
    /// Transaction statements are allowed (running an `internal` statement).
    internal: AtomicBool,
    /// A transaction statement was refused.
    refused: AtomicBool,
    /// A statement prepared calls the REGEXP function.
    regexp: AtomicBool,
}

/// Whether SQLite may prepare what `ctx` describes: BEGIN, COMMIT, END,
/// ROLLBACK, SAVEPOINT and RELEASE only for the pool's own statements.
/// Deciding by what SQLite parsed, not by the text, catches every spelling
/// (`;BEGIN`, comments first, a script's later statements).
fn authorize(seen: &Seen, ctx: AuthContext<'_>) -> Authorization {
    match ctx.action {
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. }
            if !seen.internal.load(Ordering::Relaxed) =>
        {
            seen.refused.store(true, Ordering::Relaxed);
            Authorization::Deny
        }
        AuthAction::Function { function_name } if function_name.eq_ignore_ascii_case("regexp") => {
            seen.regexp.store(true, Ordering::Relaxed);
            Authorization::Allow
        }
        _ => Authorization::Allow,
    }
}

/// The error for a transaction statement that is not the pool's own.
fn transaction_statement_error() -> Error {
    Error::usage(
        "TRANSACTION_STATEMENT",
        "transactions are managed by NOORMME: use db.transaction(async (tx) => { ... }) instead of BEGIN/COMMIT/SAVEPOINT",
    )
}

impl Conn {
    /// Wraps an open connection, with the authorizer that refuses transaction
    /// statements not run through `guarded(true, ..)`.
    pub fn new(mut conn: Connection) -> Result<Self> {
        let seen = Arc::new(Seen::default());
        let watched = seen.clone();
        conn.authorizer(Some(move |ctx: AuthContext<'_>| authorize(&watched, ctx)))?;
        Ok(Conn {
            prepared: RefCell::new(LruCache::new(PREPARED_LIMIT)),
            seen,
            moved_checked: Cell::new(None),
            moved: Cell::new(false),
            conn,
        })
    }

    /// Runs `f` on the connection with transaction statements allowed only
    /// when `internal`; a refused one is reported as TRANSACTION_STATEMENT.
    /// Afterwards `saw_regexp` tells whether `f` prepared a REGEXP call.
    pub fn guarded<T>(
        &self,
        internal: bool,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        /// Withdraws the permission however `f` ends, a panic included.
        struct Withdraw<'s>(&'s Seen);
        impl Drop for Withdraw<'_> {
            fn drop(&mut self) {
                self.0.internal.store(false, Ordering::Relaxed);
            }
        }
        let seen = &*self.seen;
        seen.internal.store(internal, Ordering::Relaxed);
        seen.refused.store(false, Ordering::Relaxed);
        seen.regexp.store(false, Ordering::Relaxed);
        let out = {
            let _withdraw = Withdraw(seen);
            f(&self.conn)
        };
        match out {
            Err(_) if seen.refused.load(Ordering::Relaxed) => Err(transaction_statement_error()),
            other => other,
        }
    }

    /// Whether the last `guarded` call prepared a statement calling REGEXP.
    pub fn saw_regexp(&self) -> bool {
        self.seen.regexp.load(Ordering::Relaxed)
    }

    /// The prepared statement for `info`, preparing it on first use (or
    /// again after it was finalized to make room for others).
    fn statement(&self, info: &StatementInfo) -> Result<NonNull<ffi::sqlite3_stmt>> {
        let mut prepared = self.prepared.borrow_mut();
        if let Some(p) = prepared.get(&info.id) {
            return Ok(p.0);
        }
        let stmt = self.prepare(&info.sql)?;
        // When full, the least recently used comes back and is finalized
        // here; it is not running, since the connection runs one at a time.
        drop(prepared.push(info.id, Prepared(stmt)));
        Ok(stmt)
    }

    fn prepare(&self, sql: &str) -> Result<NonNull<ffi::sqlite3_stmt>> {
        let db = self.db();
        let mut stmt = std::ptr::null_mut();
        let len = c_int::try_from(sql.len())
            .map_err(|_| Error::usage("SQL_TOO_LONG", "the SQL text is over 2 GB"))?;
        // SAFETY: `db` is this connection's open handle; the text pointer and
        // length describe `sql`, which outlives the call.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                db,
                sql.as_ptr().cast(),
                len,
                ffi::SQLITE_PREPARE_PERSISTENT as c_uint,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.error(rc));
        }
        // Registration already refused empty text, so a statement exists.
        NonNull::new(stmt)
            .ok_or_else(|| Error::usage("EMPTY_STATEMENT", "the SQL text holds no statement"))
    }

    /// Whether the database file was deleted, or replaced by another file,
    /// since this connection opened it (SQLite's SQLITE_FCNTL_HAS_MOVED: one
    /// stat of the path), asked at most every MOVED_CHECK_EVERY (in between
    /// the last answer stands, and a yes stands for good); false for
    /// in-memory databases.
    pub fn file_has_moved(&self) -> bool {
        let now = Instant::now();
        if self.moved.get()
            || self
                .moved_checked
                .get()
                .is_some_and(|at| now.duration_since(at) < MOVED_CHECK_EVERY)
        {
            return self.moved.get();
        }
        self.moved_checked.set(Some(now));
        let mut moved: c_int = 0;
        // SAFETY: the handle is live while `self` is; the file control writes
        // one int through the pointer, which outlives the call.
        let rc = unsafe {
            ffi::sqlite3_file_control(
                self.db(),
                c"main".as_ptr(),
                ffi::SQLITE_FCNTL_HAS_MOVED,
                (&mut moved as *mut c_int).cast(),
            )
        };
        self.moved.set(rc == ffi::SQLITE_OK && moved != 0);
        self.moved.get()
    }

    fn db(&self) -> *mut ffi::sqlite3 {
        // SAFETY: only the handle is read; the connection stays open while `self` lives.
        unsafe { self.conn.handle() }
    }

    /// The connection's last error as a NOORMME error (code `rc` if none is recorded).
    fn error(&self, rc: c_int) -> Error {
        let db = self.db();
        // SAFETY: reading the error state of an open handle, on the thread that owns it now.
        let (code, message) = unsafe {
            let code = ffi::sqlite3_extended_errcode(db);
            let text = ffi::sqlite3_errmsg(db);
            let message = if text.is_null() {
                None
            } else {
                Some(CStr::from_ptr(text).to_string_lossy().into_owned())
            };
            (if code == ffi::SQLITE_OK { rc } else { code }, message)
        };
        rusqlite::Error::SqliteFailure(ffi::Error::new(code), message).into()
    }
}

impl std::ops::Deref for Conn {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

/// Binds, steps to completion, encodes, and leaves the statement reset and unbound.
pub fn run(
    conn: &Conn,
    info: &StatementInfo,
    params: &[Param<'_>],
    budget: Option<&dyn Budget>,
    always_send_names: bool,
) -> Result<Encoded> {
    // A write that starts a transaction (a write in autocommit mode, or the
    // pool's BEGIN) first checks that the file is still the one opened:
    // SQLite would go on writing into a deleted file, and every write would
    // be lost without a word.
    if (!info.readonly || info.internal) && conn.is_autocommit() && conn.file_has_moved() {
        return Err(Error::usage(
            "DATABASE_MOVED",
            "the database file was deleted or replaced while open, so writes would be lost: close every NOORMME handle on it and open the file again",
        ));
    }
    let out = conn.guarded(info.internal, |_| {
        run_prepared(conn, info, params, budget, always_send_names)
    });
    // Prepared here for the first time, or again after a schema change.
    if conn.saw_regexp() {
        info.mark_calls_regexp();
    }
    out
}

fn run_prepared(
    conn: &Conn,
    info: &StatementInfo,
    params: &[Param<'_>],
    budget: Option<&dyn Budget>,
    always_send_names: bool,
) -> Result<Encoded> {
    let stmt = conn.statement(info)?;
    let raw = stmt.as_ptr();
    // SAFETY: `raw` is a live statement of `conn`, used only under its mutex;
    // bound text and blobs live in `params`, which outlives the run, and the
    // bindings are cleared before returning (so SQLITE_STATIC is sound).
    let expected = unsafe { ffi::sqlite3_bind_parameter_count(raw) } as usize;
    if expected != params.len() {
        return Err(Error::usage(
            "PARAMETER_COUNT",
            format!(
                "the statement expects {expected} parameter(s) but {} were given: {}",
                params.len(),
                Abbrev(&info.sql)
            ),
        ));
    }
    let mut out = Encoded::default();
    let bound = params
        .iter()
        .enumerate()
        .try_for_each(|(i, p)| bind(conn, raw, i as c_int + 1, p));
    let stepped = bound.and_then(|()| {
        if let Some(b) = budget {
            b.arm(info.readonly);
        }
        let stepped = encode_rows(conn, raw, &mut out);
        // A write's duration decides whether it stays inline.
        if let Some(b) = budget {
            out.elapsed_us = b.disarm().as_secs_f64() * 1e6;
        }
        stepped
    });
    // Whatever happened, the statement goes back reset and unbound. (The
    // error, if any, was read before reset.)
    unsafe {
        ffi::sqlite3_reset(raw);
        ffi::sqlite3_clear_bindings(raw);
    }
    stepped?;
    // A statement without result columns (most writes) has no names to send.
    let names_changed = out.columns > 0 && {
        let mut sent = info.sent_columns.lock();
        let same = !always_send_names
            && sent.as_ref().is_some_and(|names| {
                names.len() == out.columns
                    && names
                        .iter()
                        .enumerate()
                        .all(|(i, n)| column_name(raw, i) == n.as_str())
            });
        if !same {
            let names: Vec<String> = (0..out.columns)
                .map(|i| column_name(raw, i).to_owned())
                .collect();
            *sent = Some(names.clone().into());
            out.column_names = Some(names);
        }
        !same
    };
    if names_changed {
        out.flags |= FLAG_COLUMNS;
    }
    if !info.readonly {
        out.changes = conn.changes();
        out.last_insert_rowid = conn.last_insert_rowid();
        if !is_safe_integer(out.last_insert_rowid) {
            out.flags |= FLAG_BIG_ROWID;
        }
    }
    if !out.texts.is_empty() {
        out.flags |= FLAG_TEXT;
    }
    if !out.blobs.is_empty() {
        out.flags |= FLAG_BLOBS;
    }
    Ok(out)
}

fn bind(conn: &Conn, stmt: *mut ffi::sqlite3_stmt, index: c_int, param: &Param<'_>) -> Result<()> {
    // SAFETY: see `run`; lengths come from the Rust values themselves.
    let rc = unsafe {
        match param {
            Param::Null => ffi::sqlite3_bind_null(stmt, index),
            Param::Integer(v) => ffi::sqlite3_bind_int64(stmt, index, *v),
            Param::Real(v) => ffi::sqlite3_bind_double(stmt, index, *v),
            Param::Text(s) => ffi::sqlite3_bind_text64(
                stmt,
                index,
                s.as_ptr().cast(),
                s.len() as u64,
                ffi::SQLITE_STATIC(),
                ffi::SQLITE_UTF8 as u8,
            ),
            Param::Blob(b) => ffi::sqlite3_bind_blob64(
                stmt,
                index,
                b.as_ptr().cast(),
                b.len() as u64,
                ffi::SQLITE_STATIC(),
            ),
        }
    };
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(conn.error(rc))
    }
}

/// A result column's name ("" if SQLite has none, which it only lacks when out of memory).
fn column_name<'a>(stmt: *mut ffi::sqlite3_stmt, i: usize) -> &'a str {
    // SAFETY: the name stays valid until the statement is finalized or
    // re-prepared, which cannot happen while the caller holds the connection.
    unsafe {
        let name = ffi::sqlite3_column_name(stmt, i as c_int);
        if name.is_null() {
            ""
        } else {
            CStr::from_ptr(name).to_str().unwrap_or("")
        }
    }
}

fn encode_rows(conn: &Conn, stmt: *mut ffi::sqlite3_stmt, out: &mut Encoded) -> Result<()> {
    let mut any_text = false;
    let mut line_capacity = 0;
    loop {
        // SAFETY: see `run`. Cell pointers are read before the next step.
        let rc = unsafe { ffi::sqlite3_step(stmt) };
        if rc == ffi::SQLITE_DONE {
            break;
        }
        if rc != ffi::SQLITE_ROW {
            return Err(conn.error(rc));
        }
        // Counted after the first step: a statement re-prepared after
        // ALTER TABLE only reports its new shape once it has run.
        if out.rows == 0 {
            out.columns = unsafe { ffi::sqlite3_column_count(stmt) } as usize;
            out.cells.reserve(out.columns);
            out.tags.reserve(out.columns);
        }
        // Each row's text becomes its own JS string; sizing it from the
        // previous row avoids regrowing it cell by cell.
        let mut line = String::with_capacity(line_capacity);
        let mut utf16_len = 0usize;
        for i in 0..out.columns as c_int {
            let (tag, slot) = match unsafe { ffi::sqlite3_column_type(stmt, i) } {
                ffi::SQLITE_NULL => (TAG_NULL, 0.0),
                ffi::SQLITE_INTEGER => {
                    let v = unsafe { ffi::sqlite3_column_int64(stmt, i) };
                    if is_safe_integer(v) {
                        (TAG_INT, v as f64)
                    } else {
                        let digits = v.to_string();
                        utf16_len += digits.len();
                        line.push_str(&digits);
                        any_text = true;
                        (TAG_BIGINT, utf16_len as f64)
                    }
                }
                ffi::SQLITE_FLOAT => (TAG_REAL, unsafe { ffi::sqlite3_column_double(stmt, i) }),
                ffi::SQLITE_TEXT => {
                    let bytes = unsafe { column_bytes(stmt, i, ffi::sqlite3_column_text(stmt, i)) };
                    let text = match std::str::from_utf8(bytes) {
                        Ok(text) => std::borrow::Cow::Borrowed(text),
                        Err(_) => String::from_utf8_lossy(bytes),
                    };
                    utf16_len += utf16_length(&text);
                    line.push_str(&text);
                    any_text = true;
                    (TAG_TEXT, utf16_len as f64)
                }
                _ => {
                    let bytes =
                        unsafe { column_bytes(stmt, i, ffi::sqlite3_column_blob(stmt, i).cast()) };
                    out.blobs.push(bytes.to_vec());
                    (TAG_BLOB, (out.blobs.len() - 1) as f64)
                }
            };
            out.tags.push(tag);
            out.cells.push(slot);
        }
        line_capacity = line_capacity.max(line.len());
        out.texts.push(line);
        out.rows += 1;
    }
    if out.rows == 0 {
        out.columns = unsafe { ffi::sqlite3_column_count(stmt) } as usize;
    }
    if !any_text {
        out.texts.clear();
    }
    Ok(())
}

/// The bytes of a text or blob cell whose data pointer is `data`.
///
/// # Safety
/// `data` must have just been read from column `i` of the current row, and
/// the slice must be dropped before the statement steps again.
unsafe fn column_bytes<'a>(stmt: *mut ffi::sqlite3_stmt, i: c_int, data: *const u8) -> &'a [u8] {
    let len = unsafe { ffi::sqlite3_column_bytes(stmt, i) } as usize;
    if data.is_null() || len == 0 {
        &[]
    } else {
        unsafe { std::slice::from_raw_parts(data, len) }
    }
}

/// Whether a JS number holds the integer exactly (`abs()` would overflow on i64::MIN).
fn is_safe_integer(v: i64) -> bool {
    (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&v)
}

fn utf16_length(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().map(char::len_utf16).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_f64(bytes: &[u8], slot: usize) -> f64 {
        f64::from_le_bytes(bytes[slot * 8..slot * 8 + 8].try_into().unwrap())
    }

    #[test]
    fn encodes_every_storage_class() {
        let conn = Conn::new(Connection::open_in_memory().unwrap()).unwrap();
        let info = StatementInfo::new(0, "SELECT 1 AS i, 2.5 AS r, 'héllo' AS t, x'0102' AS b, NULL AS n, 9007199254740993 AS big, '😀x' AS e".into(),
            true,
        );
        let enc = run(&conn, &info, &[], None, false).unwrap();
        assert_eq!((enc.rows, enc.columns), (1, 7));
        assert_eq!(
            enc.tags,
            vec![TAG_INT, TAG_REAL, TAG_TEXT, TAG_BLOB, TAG_NULL, TAG_BIGINT, TAG_TEXT]
        );
        assert_eq!(enc.texts, vec!["héllo9007199254740993😀x".to_string()]);
        // Offsets are in UTF-16 units: the emoji counts as two.
        assert_eq!(enc.cells[2], 5.0);
        assert_eq!(enc.cells[5], 21.0);
        assert_eq!(enc.cells[6], 24.0);
        assert_eq!(enc.blobs, vec![vec![1u8, 2]]);
        assert_eq!(enc.flags & FLAG_COLUMNS, FLAG_COLUMNS);
        let bytes = enc.to_bytes();
        assert_eq!(decode_f64(&bytes, 0), 1.0);
        assert_eq!(decode_f64(&bytes, HEADER_SLOTS + 1), 2.5);
        assert_eq!(bytes.len(), (HEADER_SLOTS + 7) * 8 + 7);
    }

    #[test]
    fn column_names_are_sent_once_then_again_after_alter_table() {
        let conn = Conn::new(Connection::open_in_memory().unwrap()).unwrap();
        conn.execute_batch("CREATE TABLE t(a); INSERT INTO t VALUES (1);")
            .unwrap();
        let info = StatementInfo::new(0, "SELECT * FROM t".into(), true);
        assert!(run(&conn, &info, &[], None, false)
            .unwrap()
            .column_names
            .is_some());
        assert!(run(&conn, &info, &[], None, false)
            .unwrap()
            .column_names
            .is_none());
        conn.execute_batch("ALTER TABLE t ADD COLUMN b").unwrap();
        let after = run(&conn, &info, &[], None, false).unwrap();
        assert_eq!(after.column_names, Some(vec!["a".into(), "b".into()]));
        assert_eq!(
            (after.columns, after.cells.len(), after.tags.len()),
            (2, 2, 2)
        );
    }

    #[test]
    fn integral_numbers_bind_as_integer() {
        let conn = Conn::new(Connection::open_in_memory().unwrap()).unwrap();
        let info = StatementInfo::new(0, "SELECT typeof(?), typeof(?), ?".into(), true);
        let enc = run(
            &conn,
            &info,
            &[
                Param::from_f64(3.0),
                Param::from_f64(3.5),
                Param::Integer(i64::MIN),
            ],
            None,
            false,
        )
        .unwrap();
        assert_eq!(
            enc.texts,
            vec!["integerreal-9223372036854775808".to_string()]
        );
        assert_eq!(enc.tags[2], TAG_BIGINT);
    }

    #[test]
    fn wrong_parameter_count_is_a_usage_error() {
        let conn = Conn::new(Connection::open_in_memory().unwrap()).unwrap();
        let info = StatementInfo::new(0, "SELECT ?".into(), true);
        let err = run(&conn, &info, &[], None, false).unwrap_err();
        assert!(matches!(
            err,
            Error::Usage {
                code: "PARAMETER_COUNT",
                ..
            }
        ));
    }

    #[test]
    fn write_reports_changes_and_rowid() {
        let conn = Conn::new(Connection::open_in_memory().unwrap()).unwrap();
        conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, v)")
            .unwrap();
        let info = StatementInfo::new(0, "INSERT INTO t(id, v) VALUES (?, ?)".into(), false);
        let enc = run(
            &conn,
            &info,
            &[Param::Integer(i64::MAX), Param::Text("x".into())],
            None,
            false,
        )
        .unwrap();
        assert_eq!(enc.changes, 1);
        assert_eq!(enc.last_insert_rowid, i64::MAX);
        assert_eq!(enc.flags & FLAG_BIG_ROWID, FLAG_BIG_ROWID);
    }

    /// Statements SQLite holds open on the connection, finalized ones not counted.
    fn live_statements(conn: &Conn) -> usize {
        let mut count = 0;
        let mut stmt = std::ptr::null_mut();
        loop {
            // SAFETY: walking the open connection's statement list, unchanged meanwhile.
            stmt = unsafe { ffi::sqlite3_next_stmt(conn.db(), stmt) };
            if stmt.is_null() {
                return count;
            }
            count += 1;
        }
    }

    #[test]
    fn prepared_statements_are_bounded_and_reused() {
        let conn = Conn::new(Connection::open_in_memory().unwrap()).unwrap();
        let limit = PREPARED_LIMIT.get() as u64;
        // Ids far apart, up to nearly MAX_STATEMENT_ID: a pool never reuses
        // one, so after a long run they are large and sparse.
        let step = MAX_STATEMENT_ID / (limit + 10);
        let infos: Vec<StatementInfo> = (0..limit + 10)
            .map(|i| StatementInfo::new(i * step, format!("SELECT {i} + ?"), true))
            .collect();
        let check = |info: &StatementInfo| {
            let enc = run(&conn, info, &[Param::Integer(1)], None, false).unwrap();
            assert_eq!(enc.cells, vec![(info.id / step + 1) as f64]);
        };
        // The first is run again on the way, so it is not the least recently used.
        for (i, info) in infos.iter().enumerate() {
            check(info);
            if i == limit as usize - 1 {
                check(&infos[0]);
            }
        }
        assert_eq!(conn.prepared.borrow().len(), limit as usize);
        assert_eq!(live_statements(&conn), limit as usize);
        let kept = |info: &StatementInfo| conn.prepared.borrow().contains(&info.id);
        assert!(kept(&infos[0]) && kept(&infos[limit as usize + 9]));
        // The 10 evicted are the ten least recently used: 1..=10.
        assert!(infos[1..=10].iter().all(|info| !kept(info)));
        assert!(kept(&infos[11]));
        // An evicted one is prepared again, and gives the right answer.
        let first = conn.prepared.borrow().peek(&infos[0].id).map(|p| p.0);
        check(&infos[1]);
        assert!(kept(&infos[1]));
        assert_eq!(live_statements(&conn), limit as usize);
        // Reuse runs the statement already prepared.
        check(&infos[0]);
        assert_eq!(
            conn.prepared.borrow().peek(&infos[0].id).map(|p| p.0),
            first
        );
    }

    #[test]
    fn sqlite_errors_keep_their_extended_code_and_leave_the_statement_usable() {
        let conn = Conn::new(Connection::open_in_memory().unwrap()).unwrap();
        conn.execute_batch("CREATE TABLE t(v UNIQUE)").unwrap();
        let insert = StatementInfo::new(0, "INSERT INTO t(v) VALUES (?)".into(), false);
        run(&conn, &insert, &[Param::Text("a".into())], None, false).unwrap();
        let err = run(&conn, &insert, &[Param::Text("a".into())], None, false).unwrap_err();
        assert!(
            matches!(&err, Error::Sqlite { code: "SQLITE_CONSTRAINT_UNIQUE", message, .. } if message.contains("t.v")),
            "{err:?}"
        );
        run(&conn, &insert, &[Param::Text("b".into())], None, false).unwrap();
        let missing = StatementInfo::new(1, "SELECT * FROM nowhere".into(), true);
        let err = run(&conn, &missing, &[], None, false).unwrap_err();
        assert!(
            matches!(&err, Error::Sqlite { code: "SQLITE_ERROR", message, .. } if message.contains("no such table")),
            "{err:?}"
        );
    }

    #[test]
    fn transaction_control_is_allowed_only_inside_an_internal_guard() {
        let conn = Conn::new(Connection::open_in_memory().unwrap()).unwrap();
        let begin = |c: &Connection| Ok(c.execute_batch("BEGIN")?);
        let refused = conn.guarded(false, begin).unwrap_err();
        assert!(matches!(
            refused,
            Error::Usage {
                code: "TRANSACTION_STATEMENT",
                ..
            }
        ));
        // Outside any guard (catalog reads, pragmas) it is refused too.
        assert!(conn.execute_batch("COMMIT").is_err());
        conn.guarded(true, begin).unwrap();
        conn.guarded(true, |c| Ok(c.execute_batch("COMMIT")?))
            .unwrap();
        // A panic inside an internal guard does not leave the door open.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            conn.guarded(true, |_| -> Result<()> { panic!("boom") })
        }));
        assert!(conn.guarded(false, begin).is_err());
        assert!(conn.is_autocommit());
    }
}
