//! Value policies: what JS sees for each column. Chosen from the declared
//! type and confirmed by sampling stored values (a DATETIME column full of
//! date-only text is a date column stored as date-only text).

use rusqlite::types::ValueRef;
use rusqlite::Connection;

use crate::error::Result;
use crate::schema::{Affinity, Column, Table};

const SAMPLE_SIZE: usize = 50;

/// How a date or datetime is stored, so writes keep the same format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateStorage {
    /// `YYYY-MM-DD`
    DateOnly,
    /// `YYYY-MM-DD?HH:MM[:SS[.f…]][zone]`; `fraction` None = written only
    /// when non-zero (with 6 digits, as Django and Python do).
    Iso {
        separator: char,
        seconds: bool,
        fraction: Option<u8>,
        zone: String,
    },
    UnixSeconds,
    UnixMillis,
    JulianDay,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    Integer,
    Real,
    Text,
    Blob,
    /// Any storage class (no declared type).
    Any,
    Boolean,
    Date(DateStorage),
    DateTime(DateStorage),
    Json,
    /// DECIMAL/NUMERIC: a number unless `as_string`.
    Decimal {
        as_string: bool,
    },
    /// NUMERIC affinity from another declared type: values as stored.
    Numeric,
}

impl Policy {
    pub fn name(&self) -> &'static str {
        match self {
            Policy::Integer => "integer",
            Policy::Real => "real",
            Policy::Text => "text",
            Policy::Blob => "blob",
            Policy::Any => "any",
            Policy::Boolean => "boolean",
            Policy::Date(_) => "date",
            Policy::DateTime(_) => "datetime",
            Policy::Json => "json",
            Policy::Decimal { .. } => "decimal",
            Policy::Numeric => "numeric",
        }
    }

    /// The TypeScript type of values read with this policy.
    pub fn ts_type(&self) -> &'static str {
        match self {
            Policy::Integer => "number",
            Policy::Real => "number",
            Policy::Text => "string",
            Policy::Blob => "Buffer",
            Policy::Any => "number | bigint | string | Buffer",
            Policy::Boolean => "boolean",
            Policy::Date(_) | Policy::DateTime(_) => "Date",
            Policy::Json => "unknown",
            Policy::Decimal { as_string: true } => "string",
            Policy::Decimal { as_string: false } => "number",
            Policy::Numeric => "number | bigint | string",
        }
    }

    pub fn storage(&self) -> Option<&DateStorage> {
        match self {
            Policy::Date(s) | Policy::DateTime(s) => Some(s),
            _ => None,
        }
    }
}

/// A chosen policy and, when sampling overruled the declared type, why.
#[derive(Debug, Clone)]
pub struct Decision {
    pub policy: Policy,
    pub note: Option<String>,
}

fn base_type(declared: &str) -> String {
    declared
        .split('(')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_uppercase()
}

fn by_affinity(column: &Column) -> Policy {
    if column.declared_type.trim().is_empty() {
        return Policy::Any;
    }
    match column.affinity {
        Affinity::Integer => Policy::Integer,
        Affinity::Real => Policy::Real,
        Affinity::Text => Policy::Text,
        Affinity::Blob => Policy::Blob,
        Affinity::Numeric => Policy::Numeric,
    }
}

/// Whether a CHECK constraint requires valid JSON in this column.
fn json_checked(table: &Table, column: &str) -> bool {
    let plain = format!("json_valid({column})").to_ascii_lowercase();
    let quoted = format!("json_valid(\"{column}\")").to_ascii_lowercase();
    table.checks.iter().any(|c| {
        let c = c.to_ascii_lowercase().replace(' ', "");
        c.contains(&plain.replace(' ', "")) || c.contains(&quoted.replace(' ', ""))
    })
}

/// Picks the policy for one column, sampling stored values where the declared type is a claim to check.
pub fn decide(conn: &Connection, table: &Table, column: &Column) -> Result<Decision> {
    let base = base_type(&column.declared_type);
    let plain = Decision {
        policy: by_affinity(column),
        note: None,
    };
    let wants = match base.as_str() {
        "BOOLEAN" | "BOOL" => "boolean",
        "DATE" => "date",
        "DATETIME" | "TIMESTAMP" | "TIMESTAMPTZ" => "datetime",
        "JSON" | "JSONB" => "json",
        "DECIMAL" | "NUMERIC" | "MONEY" => "decimal",
        _ if json_checked(table, &column.name) => "json",
        _ => return Ok(plain),
    };
    if wants == "decimal" {
        return Ok(Decision {
            policy: Policy::Decimal { as_string: false },
            note: None,
        });
    }
    let samples = sample(conn, table, column)?;
    Ok(match wants {
        "boolean" => {
            let ok = samples.iter().all(|v| matches!(v, Sample::Int(0) | Sample::Int(1)));
            if ok {
                Decision { policy: Policy::Boolean, note: None }
            } else {
                Decision {
                    policy: plain.policy,
                    note: Some("declared BOOLEAN but holds values other than 0 and 1: returned as stored".into()),
                }
            }
        }
        "json" => {
            if samples.iter().all(|v| matches!(v, Sample::Json)) {
                Decision { policy: Policy::Json, note: None }
            } else {
                Decision {
                    policy: plain.policy,
                    note: Some("declared JSON but holds text that is not valid JSON: returned as stored".into()),
                }
            }
        }
        _ => match storage_of(&samples, wants == "date") {
            Some(DateStorage::DateOnly) => Decision { policy: Policy::Date(DateStorage::DateOnly), note: None },
            Some(storage) => Decision { policy: Policy::DateTime(storage), note: None },
            None => Decision {
                policy: plain.policy,
                note: Some(format!(
                    "declared {} but stored values are not dates in one format NOORMME reads: returned as stored",
                    column.declared_type
                )),
            },
        },
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Sample {
    Int(i64),
    Real(f64),
    Text(String),
    Json,
    Other,
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn sample(conn: &Connection, table: &Table, column: &Column) -> Result<Vec<Sample>> {
    let col = quote(&column.name);
    let sql = format!(
        "SELECT {col}, json_valid({col}) FROM {} WHERE {col} IS NOT NULL LIMIT {SAMPLE_SIZE}",
        quote(&table.name)
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let valid_json = matches!(row.get_ref(1)?, ValueRef::Integer(1));
        out.push(match row.get_ref(0)? {
            ValueRef::Integer(i) => Sample::Int(i),
            ValueRef::Real(f) => Sample::Real(f),
            // Scalars ("1", "true") are valid JSON too; date texts never are.
            ValueRef::Text(_) if valid_json => Sample::Json,
            ValueRef::Text(t) => Sample::Text(String::from_utf8_lossy(t).into_owned()),
            _ => Sample::Other,
        });
    }
    Ok(out)
}

/// The one storage format all samples share (the most common one when they
/// differ); `None` when any sample is not a date at all.
fn storage_of(samples: &[Sample], date_only_declared: bool) -> Option<DateStorage> {
    if samples.is_empty() {
        return Some(if date_only_declared {
            DateStorage::DateOnly
        } else {
            DateStorage::Iso {
                separator: ' ',
                seconds: true,
                fraction: None,
                zone: String::new(),
            }
        });
    }
    let mut seen: Vec<(DateStorage, usize)> = Vec::new();
    let mut fractions: Vec<usize> = Vec::new();
    for s in samples {
        let storage = match s {
            Sample::Int(i) if i.abs() < 100_000_000_000 => DateStorage::UnixSeconds,
            Sample::Int(_) => DateStorage::UnixMillis,
            Sample::Real(f) if (1_000_000.0..4_000_000.0).contains(f) => DateStorage::JulianDay,
            Sample::Real(_) => DateStorage::UnixSeconds,
            Sample::Text(t) => {
                let (storage, digits) = parse_text_format(t)?;
                if let Some(d) = digits {
                    fractions.push(d);
                }
                storage
            }
            Sample::Json | Sample::Other => return None,
        };
        match seen.iter_mut().find(|(s, _)| *s == storage) {
            Some((_, n)) => *n += 1,
            None => seen.push((storage, 1)),
        }
    }
    seen.sort_by_key(|s| std::cmp::Reverse(s.1));
    let (mut storage, _) = seen.into_iter().next()?;
    if let DateStorage::Iso { fraction, .. } = &mut storage {
        // Fixed digits only if every sample had them; otherwise written when non-zero.
        *fraction = match fractions.first() {
            Some(&d) if fractions.len() == samples.len() && fractions.iter().all(|&x| x == d) => {
                Some(d as u8)
            }
            Some(_) => None,
            None => Some(0),
        };
    }
    Some(storage)
}

/// Recognises `YYYY-MM-DD` and `YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z|±HH:MM]`;
/// returns the storage (fraction unset) and the fraction digits seen.
pub fn parse_text_format(text: &str) -> Option<(DateStorage, Option<usize>)> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    if b.len() < 10
        || !digits(0..4)
        || b[4] != b'-'
        || !digits(5..7)
        || b[7] != b'-'
        || !digits(8..10)
    {
        return None;
    }
    if b.len() == 10 {
        return Some((DateStorage::DateOnly, None));
    }
    let separator = b[10] as char;
    if !(separator == ' ' || separator == 'T')
        || b.len() < 16
        || !digits(11..13)
        || b[13] != b':'
        || !digits(14..16)
    {
        return None;
    }
    let mut i = 16;
    let mut seconds = false;
    let mut fraction = None;
    if b.get(i) == Some(&b':') {
        if !digits(i + 1..i + 3) {
            return None;
        }
        seconds = true;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
            fraction = Some(i - start);
        }
    }
    let zone = &text[i..];
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.len() == 6
            && (zone.starts_with('+') || zone.starts_with('-'))
            && zone.as_bytes()[3] == b':')
        || (zone.len() == 5 && (zone.starts_with('+') || zone.starts_with('-')));
    if !zone_ok {
        return None;
    }
    Some((
        DateStorage::Iso {
            separator,
            seconds,
            fraction: None,
            zone: zone.to_string(),
        },
        fraction,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::discover;

    fn decisions(ddl: &str) -> Vec<(String, Decision)> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(ddl).unwrap();
        let tables = discover(&conn).unwrap();
        let t = &tables[0];
        t.columns
            .iter()
            .map(|c| (c.name.clone(), decide(&conn, t, c).unwrap()))
            .collect()
    }

    fn policy(d: &[(String, Decision)], name: &str) -> Policy {
        d.iter().find(|(n, _)| n == name).unwrap().1.policy.clone()
    }

    #[test]
    fn text_formats_are_recognised() {
        assert_eq!(
            parse_text_format("2009-01-01").unwrap().0,
            DateStorage::DateOnly
        );
        let (s, f) = parse_text_format("2006-02-15 04:34:33").unwrap();
        assert_eq!(
            s,
            DateStorage::Iso {
                separator: ' ',
                seconds: true,
                fraction: None,
                zone: String::new()
            }
        );
        assert_eq!(f, None);
        let (s, f) = parse_text_format("2024-05-01T10:00:00.123456+02:00").unwrap();
        assert!(matches!(s, DateStorage::Iso { separator: 'T', ref zone, .. } if zone == "+02:00"));
        assert_eq!(f, Some(6));
        assert!(parse_text_format("2024-05-01 10h").is_none());
        assert!(parse_text_format("yesterday").is_none());
    }

    #[test]
    fn declared_types_are_confirmed_by_samples() {
        let d = decisions(
            "CREATE TABLE t(
                a BOOLEAN, b BOOL, c DATETIME, d DATE, e TIMESTAMP, f TIMESTAMP, g JSON, h TEXT CHECK (json_valid(h)),
                i NUMERIC(10,2), j DATETIME, k NVARCHAR(20), l);
             INSERT INTO t VALUES (1, 2, '1996-07-04', '2020-01-01', 1700000000, 2460000.5, '{\"a\":1}', '[1]', 1.5, 'soon', 'x', 1);
             INSERT INTO t VALUES (0, 1, '1996-07-05', NULL, 1700000001, 2460001.5, '{}', '2', 2, 'later', 'y', 'z');",
        );
        assert_eq!(policy(&d, "a"), Policy::Boolean);
        assert_eq!(policy(&d, "b"), Policy::Numeric, "2 is not a boolean");
        assert_eq!(policy(&d, "c"), Policy::Date(DateStorage::DateOnly));
        assert_eq!(policy(&d, "d"), Policy::Date(DateStorage::DateOnly));
        assert_eq!(policy(&d, "e"), Policy::DateTime(DateStorage::UnixSeconds));
        assert_eq!(policy(&d, "f"), Policy::DateTime(DateStorage::JulianDay));
        assert_eq!(policy(&d, "g"), Policy::Json);
        assert_eq!(policy(&d, "h"), Policy::Json);
        assert_eq!(policy(&d, "i"), Policy::Decimal { as_string: false });
        let j = &d.iter().find(|(n, _)| n == "j").unwrap().1;
        assert_eq!(
            j.policy,
            Policy::Numeric,
            "unparseable dates stay as stored"
        );
        assert!(j.note.as_deref().unwrap().contains("not dates"));
        assert_eq!(policy(&d, "k"), Policy::Text);
        assert_eq!(policy(&d, "l"), Policy::Any);
    }

    #[test]
    fn fraction_digits_are_fixed_only_when_every_sample_has_them() {
        let d = decisions(
            "CREATE TABLE t(a DATETIME, b DATETIME);
             INSERT INTO t VALUES ('2024-01-01 10:00:00.123', '2024-01-01 10:00:00');
             INSERT INTO t VALUES ('2024-01-01 10:00:01.500', '2024-01-01 10:00:00.250000');",
        );
        assert!(matches!(
            policy(&d, "a"),
            Policy::DateTime(DateStorage::Iso {
                fraction: Some(3),
                ..
            })
        ));
        assert!(matches!(
            policy(&d, "b"),
            Policy::DateTime(DateStorage::Iso { fraction: None, .. })
        ));
    }
}
