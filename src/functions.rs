//! The SQL functions the query compiler relies on, registered on every
//! connection: Unicode case folding, REGEXP, and NUL-safe, linear-time
//! text tests for `startswith`, `endswith` and `contains`.

use std::ffi::{c_int, c_void};

use rusqlite::ffi;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::Connection;

use crate::error::Result;
use crate::regex::{Regex, RegexError};

/// The text tests, told apart by the user data of one C callback.
#[derive(Clone, Copy)]
#[repr(usize)]
enum TextTest {
    StartsWith = 1,
    EndsWith = 2,
    Contains = 3,
}

/// Registers every NOORMME function on `conn`.
pub fn register(conn: &Connection) -> Result<()> {
    let pure = FunctionFlags::SQLITE_UTF8
        | FunctionFlags::SQLITE_DETERMINISTIC
        | FunctionFlags::SQLITE_INNOCUOUS;
    // Unicode lower-casing for the i-lookups: SQLite's own lower() and LIKE
    // only fold ASCII, so "ANTÔNIO" would not find "Antônio".
    conn.create_scalar_function("noormme_fold", 1, pure, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Null => ToSqlOutput::Owned(Value::Null),
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                ToSqlOutput::Owned(Value::Text(String::from_utf8_lossy(t).to_lowercase()))
            }
            ValueRef::Integer(i) => ToSqlOutput::Owned(Value::Text(i.to_string())),
            ValueRef::Real(f) => ToSqlOutput::Owned(Value::Text(f.to_string())),
        })
    })?;
    conn.create_scalar_function("noormme_upper", 1, pure, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Text(t) => {
                ToSqlOutput::Owned(Value::Text(String::from_utf8_lossy(t).to_uppercase()))
            }
            ValueRef::Null => ToSqlOutput::Owned(Value::Null),
            ValueRef::Integer(i) => ToSqlOutput::Owned(Value::Integer(i)),
            ValueRef::Real(f) => ToSqlOutput::Owned(Value::Real(f)),
            ValueRef::Blob(b) => ToSqlOutput::Owned(Value::Blob(b.to_vec())),
        })
    })?;
    // `X REGEXP Y` calls regexp(Y, X), for `__regex` and `__iregex`. The
    // compiled pattern is kept by SQLite for the statement's run (auxdata),
    // so there is one per running statement, freed with it.
    conn.create_scalar_function("regexp", 2, pure, |ctx| {
        if matches!(ctx.get_raw(0), ValueRef::Null) {
            return Ok(ToSqlOutput::Owned(Value::Null));
        }
        let pattern = ctx.get_or_create_aux(0, |v| -> std::result::Result<_, RegexError> {
            Regex::new(&String::from_utf8_lossy(&text_form(v)))
        })?;
        Ok(ToSqlOutput::Owned(match ctx.get_raw(1) {
            ValueRef::Null => Value::Null,
            text => Value::Integer(i64::from(pattern.is_match(&text_form(text)))),
        }))
    })?;
    for (name, test) in [
        ("noormme_startswith", TextTest::StartsWith),
        ("noormme_endswith", TextTest::EndsWith),
        ("noormme_contains", TextTest::Contains),
    ] {
        create_text_test(conn, name, test)?;
    }
    Ok(())
}

/// A value's text for REGEXP: text and blobs as their bytes, numbers in
/// Rust's spelling.
fn text_form(v: ValueRef<'_>) -> std::borrow::Cow<'_, [u8]> {
    match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => t.into(),
        ValueRef::Integer(i) => i.to_string().into_bytes().into(),
        ValueRef::Real(f) => f.to_string().into_bytes().into(),
        ValueRef::Null => Vec::new().into(),
    }
}

/// `name(x, p)`: 1 when text `x` starts with / ends with / contains text `p`
/// (every byte counts, NUL included), 0 when not, NULL when either is NULL.
/// Other types are compared by SQLite's text for them, as GLOB and instr()
/// do. Registered through the C API to read SQLite's own text bytes without
/// a copy; `contains` uses `memchr::memmem`, linear in both lengths.
fn create_text_test(conn: &Connection, name: &str, test: TextTest) -> Result<()> {
    let name = std::ffi::CString::new(name).expect("function names have no NUL");
    let flags = ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC | ffi::SQLITE_INNOCUOUS;
    // SAFETY: the connection is open; the name outlives the call (SQLite
    // copies it); the user data is a plain number, never dereferenced.
    let rc = unsafe {
        ffi::sqlite3_create_function_v2(
            conn.handle(),
            name.as_ptr(),
            2,
            flags,
            test as usize as *mut c_void,
            Some(text_test),
            None,
            None,
            None,
        )
    };
    if rc != ffi::SQLITE_OK {
        return Err(rusqlite::Error::SqliteFailure(ffi::Error::new(rc), None).into());
    }
    Ok(())
}

/// The C callback of the text tests. Cannot panic: slicing is checked by
/// construction and `memmem` does not allocate.
unsafe extern "C" fn text_test(
    ctx: *mut ffi::sqlite3_context,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite passes `argc` (2, as registered) live values and this
    // call's context; the text pointers stay valid until the call returns,
    // and each is read before any other conversion of the same value.
    unsafe {
        if argc != 2 {
            ffi::sqlite3_result_null(ctx);
            return;
        }
        let args = std::slice::from_raw_parts(argv, 2);
        let (text, pattern) = match (value_text(args[0]), value_text(args[1])) {
            (Ok(Some(t)), Ok(Some(p))) => (t, p),
            (Err(()), _) | (_, Err(())) => return ffi::sqlite3_result_error_nomem(ctx),
            _ => return ffi::sqlite3_result_null(ctx),
        };
        let hit = match ffi::sqlite3_user_data(ctx) as usize {
            1 => text.starts_with(pattern),
            2 => text.ends_with(pattern),
            _ => memchr::memmem::find(text, pattern).is_some(),
        };
        ffi::sqlite3_result_int(ctx, c_int::from(hit));
    }
}

/// The value's text bytes (its length from SQLite, so NUL is kept); `None`
/// for NULL, `Err` when SQLite could not convert it (out of memory).
unsafe fn value_text<'a>(
    value: *mut ffi::sqlite3_value,
) -> std::result::Result<Option<&'a [u8]>, ()> {
    // SAFETY: see `text_test`; text before bytes, as SQLite documents.
    unsafe {
        if ffi::sqlite3_value_type(value) == ffi::SQLITE_NULL {
            return Ok(None);
        }
        let data = ffi::sqlite3_value_text(value);
        let len = ffi::sqlite3_value_bytes(value);
        if data.is_null() {
            return if len == 0 { Ok(Some(&[])) } else { Err(()) };
        }
        Ok(Some(std::slice::from_raw_parts(data, len as usize)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        conn
    }

    fn ask(conn: &Connection, sql: &str, x: &dyn rusqlite::ToSql, p: &str) -> Option<i64> {
        conn.query_row(sql, rusqlite::params![x, p], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn text_tests_count_every_byte_including_nul() {
        let c = conn();
        let starts = "SELECT noormme_startswith(?1, ?2)";
        let ends = "SELECT noormme_endswith(?1, ?2)";
        let contains = "SELECT noormme_contains(?1, ?2)";
        assert_eq!(ask(&c, starts, &"x\0y", "x\0"), Some(1));
        assert_eq!(ask(&c, starts, &"xy", "x\0"), Some(0));
        assert_eq!(ask(&c, ends, &"abc", "\0zzz"), Some(0));
        assert_eq!(ask(&c, ends, &"a\0zzz", "\0zzz"), Some(1));
        assert_eq!(ask(&c, contains, &"a\0b", "\0b"), Some(1));
        assert_eq!(ask(&c, contains, &"ab", "\0"), Some(0));
        // Django: the empty string is in every non-null value.
        for sql in [starts, ends, contains] {
            assert_eq!(ask(&c, sql, &"", ""), Some(1));
            assert_eq!(ask(&c, sql, &"abc", ""), Some(1));
            assert_eq!(ask(&c, sql, &"ab", "abc"), Some(0));
            assert_eq!(ask(&c, sql, &rusqlite::types::Null, "a"), None);
        }
        let null: Option<i64> = c
            .query_row("SELECT noormme_contains('a', NULL)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(null, None);
    }

    #[test]
    fn non_text_operands_are_compared_by_sqlites_text_for_them() {
        let c = conn();
        assert_eq!(
            ask(&c, "SELECT noormme_endswith(?1, ?2)", &1.0f64, ".0"),
            Some(1)
        );
        assert_eq!(
            ask(&c, "SELECT noormme_startswith(?1, ?2)", &-42i64, "-4"),
            Some(1)
        );
        assert_eq!(
            ask(
                &c,
                "SELECT noormme_contains(?1, ?2)",
                &b"a\0bc".to_vec(),
                "bc"
            ),
            Some(1)
        );
        let folded: i64 = c
            .query_row(
                "SELECT noormme_contains(noormme_fold(?1), noormme_fold(?2))",
                ["xANTÔNIO\0Y", "antônio\0y"],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(folded, 1);
    }

    #[test]
    fn long_values_are_answered_without_quadratic_work() {
        let c = conn();
        // A GLOB '*…' or instr() compares at every position; these do not.
        let row = "ab".repeat(100_000);
        let tail = "ab".repeat(4_000);
        let miss = format!("{}c", "ab".repeat(4_000));
        assert_eq!(
            ask(&c, "SELECT noormme_endswith(?1, ?2)", &row, &tail),
            Some(1)
        );
        assert_eq!(
            ask(&c, "SELECT noormme_endswith(?1, ?2)", &row, &miss),
            Some(0)
        );
        assert_eq!(
            ask(&c, "SELECT noormme_contains(?1, ?2)", &row, &miss),
            Some(0)
        );
        assert_eq!(
            ask(&c, "SELECT noormme_startswith(?1, ?2)", &row, &tail),
            Some(1)
        );
    }

    #[test]
    fn regexp_searches_text_and_leaves_null_alone() {
        let c = conn();
        let hit: Option<i64> = c
            .query_row("SELECT 'a\nb' REGEXP 'b$', NULL REGEXP 'x'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(hit, Some(1));
        let err = c
            .query_row("SELECT 'a' REGEXP '('", [], |r| r.get::<_, i64>(0))
            .unwrap_err();
        assert!(err.to_string().contains("unclosed group"), "{err}");
    }
}
