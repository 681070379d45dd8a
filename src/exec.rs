//! Running one statement on one connection and encoding its result compactly,
//! so the JS side builds row objects with a handful of boundary crossings.
//!
//! Encoding (all little-endian, f64-aligned):
//!   header: 8 f64 slots (rows, columns, flags, changes, lastInsertRowid, elapsed µs, 0, 0)
//!   cells:  rows × columns f64 slots, then rows × columns tag bytes.
//! Text cells live in one string per row; their slot holds the end offset in
//! UTF-16 units. Blob slots hold an index into a separate list of buffers.

use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ToSql};

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
pub enum Param {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ToSqlOutput::Borrowed;
        Ok(Borrowed(match self {
            Param::Null => ValueRef::Null,
            Param::Integer(i) => ValueRef::Integer(*i),
            Param::Real(f) => ValueRef::Real(*f),
            Param::Text(s) => ValueRef::Text(s.as_bytes()),
            Param::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl Param {
    /// JS numbers that are integral bind as INTEGER so `typeof()` and STRICT
    /// tables see what the user meant; everything else binds as REAL.
    pub fn from_f64(n: f64) -> Param {
        if n.fract() == 0.0 && n.abs() <= MAX_SAFE_INTEGER as f64 {
            Param::Integer(n as i64)
        } else {
            Param::Real(n)
        }
    }
}

/// What the pool knows about one registered SQL text.
#[derive(Debug)]
pub struct StatementInfo {
    pub sql: String,
    pub readonly: bool,
    /// Column names last sent to JS for this statement; a result only carries
    /// names when they differ (after ALTER TABLE, or the first run).
    sent_columns: Mutex<Option<Arc<[String]>>>,
}

impl StatementInfo {
    pub fn new(sql: String, readonly: bool) -> Self {
        StatementInfo {
            sql,
            readonly,
            sent_columns: Mutex::new(None),
        }
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
    fn arm(&self, readonly: bool);
    fn disarm(&self);
}

/// Prepares (cached), binds, steps to completion and encodes.
pub fn run(
    conn: &Connection,
    info: &StatementInfo,
    params: &[Param],
    budget: Option<&dyn Budget>,
    always_send_names: bool,
) -> Result<Encoded> {
    // Only writes need their duration: it decides whether they stay inline.
    let started = (!info.readonly).then(Instant::now);
    let mut stmt = conn.prepare_cached(&info.sql)?;
    let expected = stmt.parameter_count();
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
    for (i, p) in params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, p)?;
    }
    if let Some(b) = budget {
        b.arm(info.readonly);
    }
    let mut out = Encoded::default();
    let stepped = encode_rows(&mut stmt, &mut out);
    if let Some(b) = budget {
        b.disarm();
    }
    // Whatever happened, the statement goes back to the cache reset and unbound.
    stmt.clear_bindings();
    stepped?;
    out.columns = stmt.column_count();
    let names_changed = {
        let mut sent = info.sent_columns.lock();
        let same = !always_send_names
            && sent.as_ref().is_some_and(|names| {
                names.len() == out.columns
                    && names
                        .iter()
                        .enumerate()
                        .all(|(i, n)| stmt.column_name(i).is_ok_and(|c| c == n))
            });
        if !same {
            let names: Vec<String> = (0..out.columns)
                .map(|i| stmt.column_name(i).unwrap_or("").to_owned())
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
    out.elapsed_us = started.map_or(0.0, |t| t.elapsed().as_secs_f64() * 1e6);
    Ok(out)
}

fn encode_rows(stmt: &mut rusqlite::CachedStatement<'_>, out: &mut Encoded) -> Result<()> {
    let mut rows = stmt.raw_query();
    // Counted after the first step: a cached statement re-prepared after
    // ALTER TABLE only reports its new shape once it has run.
    let mut columns = None;
    let mut any_text = false;
    let mut line_capacity = 0;
    while let Some(row) = rows.next()? {
        let columns = *columns.get_or_insert_with(|| {
            let columns = row.as_ref().column_count();
            out.cells.reserve(columns);
            out.tags.reserve(columns);
            columns
        });
        // Each row's text becomes its own JS string; sizing it from the
        // previous row avoids regrowing it cell by cell.
        let mut line = String::with_capacity(line_capacity);
        let mut utf16_len = 0usize;
        for i in 0..columns {
            let (tag, slot) = match row.get_ref(i)? {
                ValueRef::Null => (TAG_NULL, 0.0),
                ValueRef::Integer(v) if is_safe_integer(v) => (TAG_INT, v as f64),
                ValueRef::Integer(v) => {
                    let digits = v.to_string();
                    utf16_len += digits.len();
                    line.push_str(&digits);
                    any_text = true;
                    (TAG_BIGINT, utf16_len as f64)
                }
                ValueRef::Real(v) => (TAG_REAL, v),
                ValueRef::Text(bytes) => {
                    let text = match std::str::from_utf8(bytes) {
                        Ok(text) => std::borrow::Cow::Borrowed(text),
                        Err(_) => String::from_utf8_lossy(bytes),
                    };
                    utf16_len += utf16_length(&text);
                    line.push_str(&text);
                    any_text = true;
                    (TAG_TEXT, utf16_len as f64)
                }
                ValueRef::Blob(bytes) => {
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
    if !any_text {
        out.texts.clear();
    }
    Ok(())
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

/// The first keyword of a statement, skipping whitespace and comments.
pub fn leading_keyword(sql: &str) -> String {
    let mut rest = sql;
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r);
        } else {
            break;
        }
    }
    rest.chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Statements that open or close transactions are owned by `db.transaction()`;
/// run raw they would desynchronise the pool's view of the writer.
pub fn is_transaction_control(sql: &str) -> bool {
    matches!(
        leading_keyword(sql).as_str(),
        "BEGIN" | "COMMIT" | "END" | "ROLLBACK" | "SAVEPOINT" | "RELEASE"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_f64(bytes: &[u8], slot: usize) -> f64 {
        f64::from_le_bytes(bytes[slot * 8..slot * 8 + 8].try_into().unwrap())
    }

    #[test]
    fn encodes_every_storage_class() {
        let conn = Connection::open_in_memory().unwrap();
        let info = StatementInfo::new(
            "SELECT 1 AS i, 2.5 AS r, 'héllo' AS t, x'0102' AS b, NULL AS n, 9007199254740993 AS big, '😀x' AS e".into(),
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
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t(a); INSERT INTO t VALUES (1);")
            .unwrap();
        let info = StatementInfo::new("SELECT * FROM t".into(), true);
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
        let conn = Connection::open_in_memory().unwrap();
        let info = StatementInfo::new("SELECT typeof(?), typeof(?), ?".into(), true);
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
        let conn = Connection::open_in_memory().unwrap();
        let info = StatementInfo::new("SELECT ?".into(), true);
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
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, v)")
            .unwrap();
        let info = StatementInfo::new("INSERT INTO t(id, v) VALUES (?, ?)".into(), false);
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

    #[test]
    fn transaction_control_is_recognised_past_comments() {
        assert!(is_transaction_control("  -- hi\n /* x */ begin immediate"));
        assert!(is_transaction_control("Release sp1"));
        assert!(!is_transaction_control("SELECT 'BEGIN'"));
    }
}
