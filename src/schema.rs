//! Schema discovery: tables, views, columns, keys, indexes and constraints
//! read from SQLite's own catalogue (`PRAGMA table_list`, `table_xinfo`,
//! `foreign_key_list`, `index_list`, `index_info`), plus what only the
//! CREATE statement says (CHECK, AUTOINCREMENT). Relations and value
//! policies are derived in `relations` and `policy`.

use rusqlite::Connection;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Table,
    View,
    Virtual,
}

impl TableKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TableKind::Table => "table",
            TableKind::View => "view",
            TableKind::Virtual => "virtual",
        }
    }
}

/// SQLite's type affinity, from the declared type (section 3.1 of "Datatypes In SQLite").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

impl Affinity {
    pub fn of(declared: &str) -> Affinity {
        let t = declared.to_ascii_uppercase();
        if t.contains("INT") {
            Affinity::Integer
        } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
            Affinity::Text
        } else if t.contains("BLOB") || t.trim().is_empty() {
            Affinity::Blob
        } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Affinity::Integer => "INTEGER",
            Affinity::Text => "TEXT",
            Affinity::Blob => "BLOB",
            Affinity::Real => "REAL",
            Affinity::Numeric => "NUMERIC",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub declared_type: String,
    pub affinity: Affinity,
    pub not_null: bool,
    /// The DEFAULT expression as written in the DDL.
    pub default: Option<String>,
    /// 1-based position in the primary key, 0 when not part of it.
    pub pk_position: u32,
    /// Hidden column of a virtual table.
    pub hidden: bool,
    /// `GENERATED ALWAYS AS (...)`: "virtual" or "stored"; never written.
    pub generated: Option<&'static str>,
    /// INTEGER PRIMARY KEY of a rowid table: the column *is* the rowid.
    pub rowid_alias: bool,
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub target: String,
    /// The referenced columns; the target's primary key when the DDL names none.
    pub target_columns: Vec<String>,
    pub on_update: String,
    pub on_delete: String,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub unique: bool,
    pub partial: bool,
    /// "c" (CREATE INDEX), "u" (UNIQUE constraint) or "pk".
    pub origin: String,
    /// Column names; `None` where the index has an expression.
    pub columns: Vec<Option<String>>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub kind: TableKind,
    /// For virtual tables: the module (`fts5`, `rtree`...).
    pub module: Option<String>,
    pub strict: bool,
    pub without_rowid: bool,
    pub has_rowid: bool,
    pub autoincrement: bool,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    pub indexes: Vec<Index>,
    pub checks: Vec<String>,
    pub sql: Option<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Column sets that are guaranteed unique: the primary key and every
    /// full (non-partial) unique index without expressions.
    pub fn unique_sets(&self) -> Vec<Vec<String>> {
        let mut sets = Vec::new();
        if !self.primary_key.is_empty() {
            sets.push(self.primary_key.clone());
        }
        for index in &self.indexes {
            if index.unique && !index.partial && index.columns.iter().all(Option::is_some) {
                let cols: Vec<String> = index.columns.iter().flatten().cloned().collect();
                if !sets.contains(&cols) {
                    sets.push(cols);
                }
            }
        }
        sets
    }

    /// Whether these columns, as a set, are unique in this table.
    pub fn is_unique(&self, columns: &[String]) -> bool {
        let mut wanted: Vec<&String> = columns.iter().collect();
        wanted.sort();
        self.unique_sets().iter().any(|set| {
            let mut have: Vec<&String> = set.iter().collect();
            have.sort();
            have == wanted
        })
    }

    /// Views, and tables with neither a primary key nor a rowid, cannot be
    /// written through a model: no row can be addressed.
    pub fn writable(&self) -> bool {
        self.kind != TableKind::View && (!self.primary_key.is_empty() || self.has_rowid)
    }
}

/// Reads every user table and view of the `main` schema.
pub fn discover(conn: &Connection) -> Result<Vec<Table>> {
    let mut listed: Vec<(String, String, bool, bool)> = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main'",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let name: String = row.get(0)?;
            let kind: String = row.get(1)?;
            // Internal tables (sqlite_schema, sqlite_sequence, sqlite_stat1...) and
            // the shadow tables that back FTS and R*Tree indexes are not user data.
            if name.starts_with("sqlite_") || kind == "shadow" {
                continue;
            }
            listed.push((
                name,
                kind,
                row.get::<_, i64>(2)? != 0,
                row.get::<_, i64>(3)? != 0,
            ));
        }
    }
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut tables = Vec::with_capacity(listed.len());
    for (name, kind, without_rowid, strict) in listed {
        tables.push(read_table(conn, name, &kind, without_rowid, strict)?);
    }
    resolve_foreign_key_targets(&mut tables);
    Ok(tables)
}

fn read_table(
    conn: &Connection,
    name: String,
    kind: &str,
    without_rowid: bool,
    strict: bool,
) -> Result<Table> {
    let sql: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = ?1 AND type IN ('table', 'view')",
            [&name],
            |r| r.get(0),
        )
        .ok()
        .flatten();
    let kind = match kind {
        "view" => TableKind::View,
        "virtual" => TableKind::Virtual,
        _ => TableKind::Table,
    };
    let tokens = sql.as_deref().map(tokenize).unwrap_or_default();
    let module = (kind == TableKind::Virtual)
        .then(|| {
            tokens
                .iter()
                .position(|t| t.eq_ignore_ascii_case("USING"))
                .and_then(|i| tokens.get(i + 1))
                .map(|m| m.to_ascii_lowercase())
        })
        .flatten();

    let mut columns = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1)",
        )?;
        let mut rows = stmt.query([&name])?;
        while let Some(row) = rows.next()? {
            let declared: String = row.get::<_, Option<String>>(1)?.unwrap_or_default();
            let hidden: i64 = row.get(5)?;
            columns.push(Column {
                name: row.get(0)?,
                affinity: Affinity::of(&declared),
                declared_type: declared,
                not_null: row.get::<_, i64>(2)? != 0,
                default: row.get(3)?,
                pk_position: row.get::<_, i64>(4)? as u32,
                hidden: hidden == 1,
                generated: match hidden {
                    2 => Some("virtual"),
                    3 => Some("stored"),
                    _ => None,
                },
                rowid_alias: false,
            });
        }
    }
    let mut pk: Vec<(u32, String)> = columns
        .iter()
        .filter(|c| c.pk_position > 0)
        .map(|c| (c.pk_position, c.name.clone()))
        .collect();
    pk.sort();
    let primary_key: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
    let has_rowid = match kind {
        TableKind::Table => !without_rowid,
        TableKind::Virtual => true,
        TableKind::View => false,
    };
    if has_rowid && kind == TableKind::Table && primary_key.len() == 1 {
        let pk_name = primary_key[0].clone();
        if let Some(col) = columns.iter_mut().find(|c| c.name == pk_name) {
            // Only the exact type name INTEGER makes an alias ("INT PRIMARY KEY" does not).
            col.rowid_alias =
                col.declared_type.eq_ignore_ascii_case("INTEGER") && !pk_is_desc(&tokens, &pk_name);
        }
    }

    let mut foreign_keys: Vec<ForeignKey> = Vec::new();
    if kind == TableKind::Table {
        let mut stmt = conn.prepare("SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq")?;
        let mut rows = stmt.query([&name])?;
        let mut current = -1i64;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            if id != current {
                current = id;
                foreign_keys.push(ForeignKey {
                    columns: Vec::new(),
                    target: row.get(2)?,
                    target_columns: Vec::new(),
                    on_update: row.get(5)?,
                    on_delete: row.get(6)?,
                });
            }
            let fk = foreign_keys.last_mut().expect("pushed above");
            fk.columns.push(row.get(3)?);
            if let Some(to) = row.get::<_, Option<String>>(4)? {
                fk.target_columns.push(to);
            }
        }
        // pragma lists a table's keys last-declared first; keep DDL order.
        foreign_keys.reverse();
    }

    let mut indexes = Vec::new();
    if kind == TableKind::Table {
        let mut list =
            conn.prepare("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)")?;
        let found: Vec<(String, bool, String, bool)> = list
            .query_map([&name], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, i64>(1)? != 0,
                    r.get(2)?,
                    r.get::<_, i64>(3)? != 0,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (index_name, unique, origin, partial) in found {
            let mut info =
                conn.prepare("SELECT cid, name FROM pragma_index_info(?1) ORDER BY seqno")?;
            let cols: Vec<Option<String>> = info
                .query_map([&index_name], |r| {
                    let cid: i64 = r.get(0)?;
                    let col: Option<String> = r.get(1)?;
                    Ok(if cid == -2 { None } else { col })
                })?
                .collect::<rusqlite::Result<_>>()?;
            indexes.push(Index {
                name: index_name,
                unique,
                partial,
                origin,
                columns: cols,
            });
        }
        indexes.sort_by(|a, b| a.name.cmp(&b.name));
    }

    Ok(Table {
        checks: sql.as_deref().map(checks).unwrap_or_default(),
        autoincrement: tokens
            .iter()
            .any(|t| t.eq_ignore_ascii_case("AUTOINCREMENT")),
        name,
        kind,
        module,
        strict,
        without_rowid,
        has_rowid,
        columns,
        primary_key,
        foreign_keys,
        indexes,
        sql,
    })
}

/// A foreign key that names no target columns refers to the target's primary key.
fn resolve_foreign_key_targets(tables: &mut [Table]) {
    let keys: Vec<(String, Vec<String>)> = tables
        .iter()
        .map(|t| (t.name.to_ascii_lowercase(), t.primary_key.clone()))
        .collect();
    let names: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
    for table in tables.iter_mut() {
        for fk in &mut table.foreign_keys {
            let target_lower = fk.target.to_ascii_lowercase();
            // SQLite matches the target name case-insensitively; use its real spelling.
            if let Some(real) = names
                .iter()
                .find(|n| n.to_ascii_lowercase() == target_lower)
            {
                fk.target = real.clone();
            }
            if fk.target_columns.is_empty() {
                if let Some((_, pk)) = keys.iter().find(|(n, _)| *n == target_lower) {
                    fk.target_columns = pk.clone();
                }
            }
        }
    }
}

/// A token and the char range it came from.
struct Token {
    text: String,
    start: usize,
    end: usize,
}

/// Splits DDL into tokens: words, quoted identifiers (unquoted), strings
/// (kept quoted, so they never match keywords) and single punctuation.
pub fn tokenize(sql: &str) -> Vec<String> {
    spans(&sql.chars().collect::<Vec<_>>())
        .into_iter()
        .map(|t| t.text)
        .collect()
}

fn spans(chars: &[char]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' || c == '"' || c == '`' || c == '[' {
            let close = if c == '[' { ']' } else { c };
            let mut text = String::new();
            i += 1;
            while i < chars.len() {
                if chars[i] == close {
                    if close != ']' && chars.get(i + 1) == Some(&close) {
                        text.push(close);
                        i += 2;
                        continue;
                    }
                    break;
                }
                text.push(chars[i]);
                i += 1;
            }
            i += 1;
            let text = if c == '\'' { format!("'{text}'") } else { text };
            out.push(Token {
                text,
                start,
                end: i,
            });
        } else if c.is_alphanumeric() || c == '_' {
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            out.push(Token {
                text: chars[start..i].iter().collect(),
                start,
                end: i,
            });
        } else {
            i += 1;
            out.push(Token {
                text: c.to_string(),
                start,
                end: i,
            });
        }
    }
    out
}

/// The text of every CHECK constraint, as written in the DDL.
fn checks(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let tokens = spans(&chars);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].text.eq_ignore_ascii_case("CHECK")
            && tokens.get(i + 1).is_some_and(|t| t.text == "(")
        {
            let open = &tokens[i + 1];
            let mut depth = 0;
            let mut j = i + 1;
            while j < tokens.len() {
                match tokens[j].text.as_str() {
                    "(" => depth += 1,
                    ")" => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                j += 1;
            }
            let close = tokens.get(j).map_or(chars.len(), |t| t.start);
            out.push(
                chars[open.end..close]
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string(),
            );
            i = j + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// `id INTEGER PRIMARY KEY DESC` keeps a separate rowid (a documented SQLite quirk).
fn pk_is_desc(tokens: &[String], column: &str) -> bool {
    tokens.windows(5).any(|w| {
        w[0] == column
            && w[1].eq_ignore_ascii_case("INTEGER")
            && w[2].eq_ignore_ascii_case("PRIMARY")
            && w[3].eq_ignore_ascii_case("KEY")
            && w[4].eq_ignore_ascii_case("DESC")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(ddl: &str) -> Vec<Table> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(ddl).unwrap();
        discover(&conn).unwrap()
    }

    fn table<'a>(tables: &'a [Table], name: &str) -> &'a Table {
        tables.iter().find(|t| t.name == name).unwrap()
    }

    #[test]
    fn affinity_follows_sqlite_rules() {
        assert_eq!(Affinity::of("NVARCHAR(40)"), Affinity::Text);
        assert_eq!(Affinity::of("NUMERIC(10,2)"), Affinity::Numeric);
        assert_eq!(Affinity::of("BIGINT UNSIGNED"), Affinity::Integer);
        assert_eq!(Affinity::of("DOUBLE PRECISION"), Affinity::Real);
        assert_eq!(Affinity::of(""), Affinity::Blob);
        // "POINT" contains "INT": SQLite's rule, not a mistake here.
        assert_eq!(Affinity::of("POINT"), Affinity::Integer);
        assert_eq!(Affinity::of("DATETIME"), Affinity::Numeric);
    }

    #[test]
    fn keys_rowid_aliases_and_odd_tables() {
        let t = schema(
            r#"
            CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, x INT);
            CREATE TABLE b(id INT PRIMARY KEY, y);
            CREATE TABLE c(k1 TEXT, k2 INTEGER, v, PRIMARY KEY (k1, k2)) WITHOUT ROWID;
            CREATE TABLE d(x INTEGER, y TEXT) STRICT;
            CREATE TABLE e(id INTEGER PRIMARY KEY DESC);
            CREATE VIEW v AS SELECT x FROM a;
            "#,
        );
        let a = table(&t, "a");
        assert!(a.autoincrement && a.column("id").unwrap().rowid_alias);
        assert!(!table(&t, "b").column("id").unwrap().rowid_alias);
        let c = table(&t, "c");
        assert!(c.without_rowid && !c.has_rowid);
        assert_eq!(c.primary_key, vec!["k1", "k2"]);
        let d = table(&t, "d");
        assert!(d.strict && d.primary_key.is_empty() && d.has_rowid && d.writable());
        assert!(!table(&t, "e").column("id").unwrap().rowid_alias);
        let v = table(&t, "v");
        assert_eq!(v.kind, TableKind::View);
        assert!(!v.writable());
        assert!(!t.iter().any(|t| t.name == "sqlite_sequence"));
    }

    #[test]
    fn foreign_keys_indexes_checks_and_generated_columns() {
        let t = schema(
            r#"
            CREATE TABLE "user accounts"(id INTEGER PRIMARY KEY, email TEXT UNIQUE, "order" INT);
            CREATE TABLE parent(a INT, b INT, PRIMARY KEY (a, b));
            CREATE TABLE child(
                id INTEGER PRIMARY KEY,
                pa INT, pb INT,
                owner TEXT REFERENCES "User Accounts"(email) ON DELETE SET NULL,
                data TEXT CHECK (json_valid(data)),
                total REAL GENERATED ALWAYS AS (pa * 2) STORED,
                FOREIGN KEY (pa, pb) REFERENCES parent ON DELETE CASCADE
            );
            CREATE UNIQUE INDEX child_pa ON child(pa) WHERE pa > 0;
            CREATE INDEX child_expr ON child(lower(owner));
            CREATE VIRTUAL TABLE docs USING fts5(title, body);
            "#,
        );
        let child = table(&t, "child");
        assert_eq!(child.foreign_keys.len(), 2);
        let owner = &child.foreign_keys[0];
        assert_eq!(
            (owner.target.as_str(), owner.target_columns.clone()),
            ("user accounts", vec!["email".to_string()])
        );
        assert_eq!(owner.on_delete, "SET NULL");
        let composite = &child.foreign_keys[1];
        assert_eq!(composite.columns, vec!["pa", "pb"]);
        assert_eq!(composite.target_columns, vec!["a", "b"]);
        assert_eq!(composite.on_delete, "CASCADE");
        assert_eq!(child.checks, vec!["json_valid(data)"]);
        assert_eq!(child.column("total").unwrap().generated, Some("stored"));
        let partial = child.indexes.iter().find(|i| i.name == "child_pa").unwrap();
        assert!(partial.unique && partial.partial);
        assert!(
            !child.is_unique(&["pa".into()]),
            "a partial unique index guarantees nothing"
        );
        let expr = child
            .indexes
            .iter()
            .find(|i| i.name == "child_expr")
            .unwrap();
        assert_eq!(expr.columns, vec![None]);
        assert!(table(&t, "user accounts").is_unique(&["email".into()]));
        let docs = table(&t, "docs");
        assert_eq!(
            (docs.kind, docs.module.as_deref()),
            (TableKind::Virtual, Some("fts5"))
        );
        // FTS5's shadow tables (docs_data, docs_idx, ...) are not listed.
        assert!(!t.iter().any(|t| t.name.starts_with("docs_")));
    }

    #[test]
    fn tokenizer_keeps_strings_apart_from_keywords() {
        let toks =
            tokenize("CREATE TABLE t(x DEFAULT 'AUTOINCREMENT', \"a \"\"b\", [c d]) -- CHECK (x)");
        assert!(toks.contains(&"'AUTOINCREMENT'".to_string()));
        assert!(toks.contains(&"a \"b".to_string()));
        assert!(toks.contains(&"c d".to_string()));
        assert!(checks("CREATE TABLE t(x) -- CHECK (x)").is_empty());
        assert_eq!(
            checks("CREATE TABLE t(x CHECK (x IN (1, 2)), y, CHECK(y > ')'))"),
            vec!["x IN (1, 2)", "y > ')'"]
        );
    }
}
