//! Every failure the core can report, with enough structure for the JS layer
//! to raise a typed error (`SqliteError`, `BusyError`, `ConnectionError`, ...).

use std::fmt;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite refused a statement; `code` is the extended result-code name.
    #[error("{message}")]
    Sqlite {
        code: &'static str,
        raw_code: i32,
        message: String,
    },
    /// The database stayed locked by another connection for the whole busy timeout.
    #[error(
        "database is locked: gave up after {waited_ms} ms waiting for the write lock ({detail})"
    )]
    Busy { waited_ms: u64, detail: String },
    /// The file could not be opened as asked.
    #[error("{message}")]
    Connection {
        path: String,
        code: &'static str,
        raw_code: i32,
        message: String,
    },
    /// The caller asked for something that cannot work (bad argument, closed pool...).
    #[error("{message}")]
    Usage { code: &'static str, message: String },
    /// A field, relation or lookup the model does not have (code FIELD_ERROR),
    /// with what the JS `FieldError` carries: the model, the name asked for,
    /// the nearest valid name and the valid names.
    #[error("{message}")]
    Field {
        model: String,
        field: String,
        suggestion: Option<String>,
        choices: Vec<String>,
        message: String,
    },
    /// An inline read ran past its time budget and was stopped so it can be
    /// re-run off the JS thread; never reaches the user.
    #[error("statement exceeded its inline time budget")]
    OverBudget,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn usage(code: &'static str, message: impl Into<String>) -> Self {
        Error::Usage {
            code,
            message: message.into(),
        }
    }

    /// True when SQLite answered SQLITE_BUSY (or a BUSY_* extended code).
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Sqlite { raw_code, .. } if raw_code & 0xff == 5)
    }

    /// A JSON object the JS layer turns into the matching error class.
    pub fn to_payload(&self) -> String {
        let mut fields = serde_json::Map::new();
        let (kind, code, raw) = match self {
            Error::Sqlite { code, raw_code, .. } => ("sqlite", *code, Some(*raw_code)),
            Error::Busy { .. } => ("busy", "SQLITE_BUSY", Some(5)),
            Error::Connection {
                code,
                raw_code,
                path,
                ..
            } => {
                fields.insert("path".into(), path.clone().into());
                ("connection", *code, Some(*raw_code))
            }
            Error::Usage { code, .. } => ("usage", *code, None),
            Error::Field {
                model,
                field,
                suggestion,
                choices,
                ..
            } => {
                fields.insert("model".into(), model.clone().into());
                fields.insert("field".into(), field.clone().into());
                if let Some(s) = suggestion {
                    fields.insert("suggestion".into(), s.clone().into());
                }
                fields.insert("choices".into(), choices.clone().into());
                ("usage", "FIELD_ERROR", None)
            }
            Error::OverBudget => ("internal", "OVER_BUDGET", None),
        };
        fields.insert("kind".into(), kind.into());
        fields.insert("code".into(), code.into());
        if let Some(raw) = raw {
            fields.insert("rawCode".into(), raw.into());
        }
        fields.insert("message".into(), self.to_string().into());
        serde_json::Value::Object(fields).to_string()
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        match err {
            rusqlite::Error::SqliteFailure(e, msg) => {
                let raw_code = e.extended_code;
                if raw_code == rusqlite::ffi::SQLITE_INTERRUPT {
                    return Error::OverBudget;
                }
                let message = msg.unwrap_or_else(|| e.to_string());
                // A pattern refused when REGEXP compiled it, as the query ran:
                // the same lookup-value error the chain's check gives.
                if message.starts_with(crate::regex::ERROR_PREFIX) {
                    return Error::usage("INVALID_LOOKUP_VALUE", message);
                }
                Error::Sqlite {
                    code: code_name(raw_code),
                    raw_code,
                    message,
                }
            }
            rusqlite::Error::SqlInputError { error, msg, .. } => Error::Sqlite {
                code: code_name(error.extended_code),
                raw_code: error.extended_code,
                message: msg,
            },
            rusqlite::Error::MultipleStatement => Error::usage(
                "MULTIPLE_STATEMENTS",
                "only one SQL statement may be run at a time; use db.exec() for scripts",
            ),
            rusqlite::Error::InvalidParameterCount(given, expected) => Error::usage(
                "PARAMETER_COUNT",
                format!("the statement expects {expected} parameter(s) but {given} were given"),
            ),
            other => Error::usage("SQLITE_MISUSE", other.to_string()),
        }
    }
}

/// SQLite's name for a primary or extended result code (`SQLITE_CONSTRAINT_UNIQUE`).
pub fn code_name(code: i32) -> &'static str {
    match code {
        0 => "SQLITE_OK",
        1 => "SQLITE_ERROR",
        2 => "SQLITE_INTERNAL",
        3 => "SQLITE_PERM",
        4 => "SQLITE_ABORT",
        5 => "SQLITE_BUSY",
        6 => "SQLITE_LOCKED",
        7 => "SQLITE_NOMEM",
        8 => "SQLITE_READONLY",
        9 => "SQLITE_INTERRUPT",
        10 => "SQLITE_IOERR",
        11 => "SQLITE_CORRUPT",
        12 => "SQLITE_NOTFOUND",
        13 => "SQLITE_FULL",
        14 => "SQLITE_CANTOPEN",
        15 => "SQLITE_PROTOCOL",
        16 => "SQLITE_EMPTY",
        17 => "SQLITE_SCHEMA",
        18 => "SQLITE_TOOBIG",
        19 => "SQLITE_CONSTRAINT",
        20 => "SQLITE_MISMATCH",
        21 => "SQLITE_MISUSE",
        22 => "SQLITE_NOLFS",
        23 => "SQLITE_AUTH",
        24 => "SQLITE_FORMAT",
        25 => "SQLITE_RANGE",
        26 => "SQLITE_NOTADB",
        27 => "SQLITE_NOTICE",
        28 => "SQLITE_WARNING",
        257 => "SQLITE_ERROR_MISSING_COLLSEQ",
        513 => "SQLITE_ERROR_RETRY",
        769 => "SQLITE_ERROR_SNAPSHOT",
        261 => "SQLITE_BUSY_RECOVERY",
        517 => "SQLITE_BUSY_SNAPSHOT",
        773 => "SQLITE_BUSY_TIMEOUT",
        262 => "SQLITE_LOCKED_SHAREDCACHE",
        518 => "SQLITE_LOCKED_VTAB",
        264 => "SQLITE_READONLY_RECOVERY",
        520 => "SQLITE_READONLY_CANTLOCK",
        776 => "SQLITE_READONLY_ROLLBACK",
        1032 => "SQLITE_READONLY_DBMOVED",
        1288 => "SQLITE_READONLY_CANTINIT",
        1544 => "SQLITE_READONLY_DIRECTORY",
        516 => "SQLITE_ABORT_ROLLBACK",
        266 => "SQLITE_IOERR_READ",
        522 => "SQLITE_IOERR_SHORT_READ",
        778 => "SQLITE_IOERR_WRITE",
        1034 => "SQLITE_IOERR_FSYNC",
        1290 => "SQLITE_IOERR_DIR_FSYNC",
        1546 => "SQLITE_IOERR_TRUNCATE",
        1802 => "SQLITE_IOERR_FSTAT",
        2058 => "SQLITE_IOERR_UNLOCK",
        2314 => "SQLITE_IOERR_RDLOCK",
        2570 => "SQLITE_IOERR_DELETE",
        3082 => "SQLITE_IOERR_NOMEM",
        3338 => "SQLITE_IOERR_ACCESS",
        3594 => "SQLITE_IOERR_CHECKRESERVEDLOCK",
        3850 => "SQLITE_IOERR_LOCK",
        4106 => "SQLITE_IOERR_CLOSE",
        4618 => "SQLITE_IOERR_SHMOPEN",
        4874 => "SQLITE_IOERR_SHMSIZE",
        5386 => "SQLITE_IOERR_SHMMAP",
        5642 => "SQLITE_IOERR_SEEK",
        6410 => "SQLITE_IOERR_GETTEMPPATH",
        6666 => "SQLITE_IOERR_CONVPATH",
        267 => "SQLITE_CORRUPT_VTAB",
        523 => "SQLITE_CORRUPT_SEQUENCE",
        779 => "SQLITE_CORRUPT_INDEX",
        270 => "SQLITE_CANTOPEN_NOTEMPDIR",
        526 => "SQLITE_CANTOPEN_ISDIR",
        782 => "SQLITE_CANTOPEN_FULLPATH",
        1038 => "SQLITE_CANTOPEN_CONVPATH",
        1550 => "SQLITE_CANTOPEN_SYMLINK",
        275 => "SQLITE_CONSTRAINT_CHECK",
        531 => "SQLITE_CONSTRAINT_COMMITHOOK",
        787 => "SQLITE_CONSTRAINT_FOREIGNKEY",
        1043 => "SQLITE_CONSTRAINT_FUNCTION",
        1299 => "SQLITE_CONSTRAINT_NOTNULL",
        1555 => "SQLITE_CONSTRAINT_PRIMARYKEY",
        1811 => "SQLITE_CONSTRAINT_TRIGGER",
        2067 => "SQLITE_CONSTRAINT_UNIQUE",
        2323 => "SQLITE_CONSTRAINT_VTAB",
        2579 => "SQLITE_CONSTRAINT_ROWID",
        2835 => "SQLITE_CONSTRAINT_PINNED",
        3091 => "SQLITE_CONSTRAINT_DATATYPE",
        283 => "SQLITE_NOTICE_RECOVER_WAL",
        539 => "SQLITE_NOTICE_RECOVER_ROLLBACK",
        284 => "SQLITE_WARNING_AUTOINDEX",
        279 => "SQLITE_AUTH_USER",
        _ => code_name_primary(code),
    }
}

fn code_name_primary(code: i32) -> &'static str {
    let primary = code & 0xff;
    if primary != code {
        code_name(primary)
    } else {
        "SQLITE_UNKNOWN"
    }
}

/// Shown in messages that quote SQL, so long statements stay readable.
pub struct Abbrev<'a>(pub &'a str);

impl fmt::Display for Abbrev<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.0.trim();
        match text.char_indices().nth(120) {
            Some((cut, _)) => write!(f, "{}…", &text[..cut]),
            None => f.write_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_codes_have_names_and_unknown_falls_back_to_primary() {
        assert_eq!(code_name(2067), "SQLITE_CONSTRAINT_UNIQUE");
        assert_eq!(code_name(787), "SQLITE_CONSTRAINT_FOREIGNKEY");
        // An extended code this table does not list still names its family.
        assert_eq!(code_name(19 | (99 << 8)), "SQLITE_CONSTRAINT");
        assert_eq!(code_name(4242), "SQLITE_UNKNOWN");
    }

    #[test]
    fn payload_carries_kind_code_and_raw_code() {
        let err = Error::Sqlite {
            code: "SQLITE_CONSTRAINT_UNIQUE",
            raw_code: 2067,
            message: "UNIQUE constraint failed: users.email".into(),
        };
        let v: serde_json::Value = serde_json::from_str(&err.to_payload()).unwrap();
        assert_eq!(v["kind"], "sqlite");
        assert_eq!(v["code"], "SQLITE_CONSTRAINT_UNIQUE");
        assert_eq!(v["rawCode"], 2067);
        assert!(!err.is_busy());
    }
}
