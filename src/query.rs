//! The QuerySet compiler: a query's shape (JSON built by the JS QuerySet,
//! values replaced by numbered slots) resolved against the catalog and
//! compiled to one SQL statement with bound parameters.
//!
//! Identifiers only ever come from the catalog and are always quoted; values
//! only ever travel as parameters (`?N`), so no filter key or value can change
//! the statement's meaning.

use serde_json::Value;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::relations::{Relation, RelationKind};
use crate::schema::Table;

/// A compiled query, ready to run once its binds are filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub sql: String,
    /// Parameter N (1-based) takes value slot `binds[N-1].slot`, encoded
    /// for the column it meets (when there is one).
    pub binds: Vec<Bind>,
    /// Output keys and the column each comes from (for value policies).
    pub columns: OutputColumns,
    pub readonly: bool,
}

/// Each output key with the (table, column) it comes from, when it is one.
pub type OutputColumns = Vec<(String, Option<(String, String)>)>;

#[derive(Debug, Clone, PartialEq)]
pub struct Bind {
    pub slot: usize,
    pub column: Option<(String, String)>,
    /// How the value is shaped before binding: "value", or "text" for
    /// string lookups (never encoded as a date or JSON).
    pub as_text: bool,
    /// The slot holds a list, bound as one JSON array text (see `IN_LIST`).
    pub list: bool,
}

/// `__in` with a list: the list is one parameter, a JSON array read by
/// `json_each`, so its length changes neither the SQL nor SQLite's limit on
/// parameters. Bytes travel as `{"x": "<hex>"}` objects, since JSON has no
/// blobs. The column's affinity applies to each value as it would to a
/// bound parameter (`x IN (SELECT y ...)` compares as `x = y`).
const IN_LIST: &str =
    "SELECT CASE type WHEN 'object' THEN unhex(value ->> '$.x') ELSE value END FROM json_each";

const LOOKUPS: &[&str] = &[
    "exact",
    "iexact",
    "contains",
    "icontains",
    "in",
    "gt",
    "gte",
    "lt",
    "lte",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "range",
    "isnull",
    "regex",
    "iregex",
];
const DATE_TRANSFORMS: &[&str] = &[
    "date",
    "year",
    "month",
    "day",
    "week",
    "week_day",
    "iso_week_day",
    "quarter",
    "hour",
    "minute",
    "second",
];

pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut diag = prev[0];
        prev[0] = i;
        for j in 1..=b.len() {
            let up = prev[j];
            prev[j] = (prev[j] + 1)
                .min(prev[j - 1] + 1)
                .min(diag + usize::from(a[i - 1] != b[j - 1]));
            diag = up;
        }
    }
    prev[b.len()]
}

fn nearest<'a>(name: &str, options: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    options
        .into_iter()
        .map(|o| (edit_distance(name, o), o))
        .min()
        .filter(|(d, _)| *d <= (name.chars().count() / 3).max(2))
        .map(|(_, o)| o)
}

fn field_error(table: &Table, relations: &[&Relation], name: &str) -> Error {
    let mut options: Vec<&str> = table
        .columns
        .iter()
        .filter(|c| !c.hidden)
        .map(|c| c.name.as_str())
        .collect();
    options.extend(relations.iter().map(|r| r.name.as_str()));
    let suggestion = nearest(name, options.iter().copied()).map(str::to_owned);
    let hint = suggestion
        .as_ref()
        .map_or(String::new(), |n| format!(" Did you mean '{n}'?"));
    Error::Field {
        message: format!(
            "{} has no field '{name}'.{hint} Choices: {}",
            table.name,
            options.join(", ")
        ),
        model: table.name.clone(),
        field: name.to_owned(),
        suggestion,
        choices: options.iter().map(|o| (*o).to_owned()).collect(),
    }
}

/// Django's `pk`: the table's one-column primary key, where no column or
/// relation of that name exists.
fn primary_key_alias<'t>(table: &'t Table, part: &str) -> Option<&'t crate::schema::Column> {
    if part != "pk" || table.primary_key.len() != 1 {
        return None;
    }
    table.column(&table.primary_key[0])
}

fn shape_error(message: impl Into<String>) -> Error {
    Error::usage("INVALID_QUERY", message)
}

/// Conditions of one filter() call through the same to-many relation:
/// (path prefix, index of the hop, the relation, the first path, leaves).
type MultiValuedGroup<'a> = (
    String,
    usize,
    &'a Relation,
    Vec<String>,
    Vec<(String, Value)>,
);

/// One SELECT scope: its root table and the joins its expressions needed.
struct Scope<'a> {
    table: &'a Table,
    alias: String,
    joins: Vec<(String, String, String)>, // (relation path, alias, JOIN clause)
}

struct Compiler<'a> {
    catalog: &'a Catalog,
    binds: Vec<Bind>,
    aliases: usize,
    /// Inside an aggregate's argument: to-many relations are LEFT JOINed
    /// (one row per related row) instead of becoming EXISTS subqueries.
    join_many: bool,
    /// Annotations so far: name → (SQL, contains an aggregate).
    annotations: Vec<(String, String, bool)>,
    /// Set when a condition reads an aggregate annotation (it belongs in HAVING).
    reads_aggregate: bool,
    /// Set when an expression contains an aggregate.
    saw_aggregate: bool,
}

/// What a path resolves to: an SQL expression, the column behind it, and
/// the rest of the path (transforms and a lookup).
struct Resolved<'a> {
    sql: String,
    column: Option<(&'a Table, String)>,
    rest: Vec<String>,
    /// For a key path into a JSON column, `json_type(column, path)`: NULL for
    /// a missing key (or a NULL column), 'null' for a JSON null.
    json_type: Option<String>,
}

impl<'a> Compiler<'a> {
    fn new(catalog: &'a Catalog, binds: Vec<Bind>) -> Self {
        Compiler {
            catalog,
            binds,
            aliases: 0,
            join_many: false,
            annotations: Vec::new(),
            reads_aggregate: false,
            saw_aggregate: false,
        }
    }

    /// `field__in=<QuerySet>`: the QuerySet's one selected column as a subquery.
    fn subquery(&mut self, key: &str, sub: &Value) -> Result<String> {
        if sub["mode"].as_str().unwrap_or("select") != "select" {
            return Err(shape_error(format!("{key}: the subquery must be a select")));
        }
        let inner = Compiler::new(self.catalog, std::mem::take(&mut self.binds));
        let compiled = compile_with(inner, sub)?;
        self.binds = compiled.binds;
        if compiled.columns.len() != 1 {
            return Err(shape_error(format!(
                "{key}: the QuerySet selects {} columns; an 'in' subquery needs exactly one (use valuesList('field', {{ flat: true }}))",
                compiled.columns.len()
            )));
        }
        Ok(compiled.sql)
    }

    fn table(&self, name: &str) -> Result<&'a Table> {
        self.catalog
            .tables
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| {
                Error::usage(
                    "MODEL_NOT_FOUND",
                    format!("the database has no table '{name}'"),
                )
            })
    }

    fn relations_of(&self, table: &str) -> Vec<&'a Relation> {
        self.catalog
            .relations
            .iter()
            .filter(|r| r.table == table)
            .collect()
    }

    fn new_alias(&mut self, prefix: &str) -> String {
        self.aliases += 1;
        format!("{prefix}{}", self.aliases)
    }

    fn param(&mut self, slot: usize, column: Option<(String, String)>, as_text: bool) -> String {
        self.binds.push(Bind {
            slot,
            column,
            as_text,
            list: false,
        });
        format!("?{}", self.binds.len())
    }

    /// A parameter holding a whole list (see `IN_LIST`), its items encoded for `column`.
    fn list_param(&mut self, slot: usize, column: Option<(String, String)>) -> String {
        self.binds.push(Bind {
            slot,
            column,
            as_text: false,
            list: true,
        });
        format!("?{}", self.binds.len())
    }

    /// Follows `parts` from the scope's root through forward relations to a column.
    /// A multi-valued relation stops resolution: the caller handles it.
    fn resolve(
        &mut self,
        scope: &mut Scope<'a>,
        parts: &[String],
        allow_multi: bool,
    ) -> Result<std::result::Result<Resolved<'a>, (usize, &'a Relation)>> {
        let mut table = scope.table;
        let mut alias = scope.alias.clone();
        let mut nullable = false;
        let mut path = String::new();
        for (i, part) in parts.iter().enumerate() {
            let col = table.column(part).or_else(|| {
                let relation = self
                    .relations_of(&table.name)
                    .iter()
                    .any(|r| &r.name == part);
                if relation {
                    None
                } else {
                    primary_key_alias(table, part)
                }
            });
            if let Some(col) = col {
                if col.hidden {
                    return Err(field_error(table, &self.relations_of(&table.name), part));
                }
                let sql = format!("{}.{}", quote(&alias), quote(&col.name));
                let mut rest = parts[i + 1..].to_vec();
                // A JSON column takes key paths: `data__owner__name__icontains`.
                let keys = rest
                    .iter()
                    .take_while(|p| !LOOKUPS.contains(&p.as_str()))
                    .count();
                if keys > 0 && self.is_json(table, &col.name) {
                    let path = json_path(&col.name, &rest[..keys])?;
                    rest.drain(..keys);
                    return Ok(Ok(Resolved {
                        sql: format!("json_extract({sql}, '{path}')"),
                        column: None,
                        rest,
                        json_type: Some(format!("json_type({sql}, '{path}')")),
                    }));
                }
                return Ok(Ok(Resolved {
                    sql,
                    column: Some((table, col.name.clone())),
                    rest,
                    json_type: None,
                }));
            }
            let relations = self.relations_of(&table.name);
            let Some(rel) = relations.iter().copied().find(|r| &r.name == part) else {
                return Err(field_error(table, &relations, part));
            };
            if (rel.kind.many() || rel.kind == RelationKind::ReverseOneToOne) && self.join_many {
                path = if path.is_empty() {
                    part.clone()
                } else {
                    format!("{path}__{part}")
                };
                let target = self.table(&rel.target)?;
                // The junction's own relation from this table, when it has
                // one: a many-to-many and it then share one junction join.
                let junction = rel.through.as_ref().and_then(|th| {
                    relations.iter().copied().find(|r| {
                        r.through.is_none()
                            && r.target == th.table
                            && r.target_columns == th.source_columns
                            && r.columns == rel.columns
                    })
                });
                let junction_path = junction.map(|r| match path.rsplit_once("__") {
                    Some((prefix, _)) => format!("{prefix}__{}", r.name),
                    None => r.name.clone(),
                });
                alias = self.join_to_many(scope, &path, &alias, rel, target, junction_path);
                table = target;
                // Past a LEFT JOIN of a to-many relation, forward joins must
                // be LEFT too, or rows without related rows drop out.
                nullable = true;
                if i + 1 == parts.len() {
                    // `Count('tracks')`: the related rows' key.
                    let key = target
                        .primary_key
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "rowid".into());
                    return Ok(Ok(Resolved {
                        sql: format!("{}.{}", quote(&alias), quote(&key)),
                        column: None,
                        rest: Vec::new(),
                        json_type: None,
                    }));
                }
                continue;
            }
            if rel.kind.many() || rel.kind == RelationKind::ReverseOneToOne {
                if !allow_multi {
                    return Err(shape_error(format!(
                        "'{}' follows {}.{}, which can match several rows: use it in filter() or exclude()",
                        parts.join("__"),
                        table.name,
                        rel.name
                    )));
                }
                return Ok(Err((i, rel)));
            }
            let next_is_field = parts.get(i + 1).is_some_and(|p| {
                let target = self.table(&rel.target).ok();
                target.is_some_and(|t| {
                    t.column(p).is_some()
                        || self.relations_of(&t.name).iter().any(|r| &r.name == p)
                        || primary_key_alias(t, p).is_some()
                })
            });
            if !next_is_field {
                if let Some(next) = parts.get(i + 1).filter(|p| {
                    !LOOKUPS.contains(&p.as_str()) && !DATE_TRANSFORMS.contains(&p.as_str())
                }) {
                    let target = self.table(&rel.target)?;
                    return Err(field_error(target, &self.relations_of(&target.name), next));
                }
                // `author` or `author__in`: compare the key column(s) themselves.
                if rel.columns.len() != 1 {
                    return Err(shape_error(format!(
                        "{}.{} is a composite key: filter on its fields ({}__<field>)",
                        table.name, rel.name, rel.name
                    )));
                }
                let col = table.column(&rel.columns[0]).expect("key column exists");
                return Ok(Ok(Resolved {
                    sql: format!("{}.{}", quote(&alias), quote(&col.name)),
                    column: Some((table, col.name.clone())),
                    rest: parts[i + 1..].to_vec(),
                    json_type: None,
                }));
            }
            path = if path.is_empty() {
                part.clone()
            } else {
                format!("{path}__{part}")
            };
            let target = self.table(&rel.target)?;
            nullable = nullable || rel.nullable;
            alias = match scope.joins.iter().find(|(p, _, _)| p == &path) {
                Some((_, a, _)) => a.clone(),
                None => {
                    let next = self.new_alias("t");
                    let on = column_pairs(&next, &rel.target_columns, &alias, &rel.columns);
                    let kind = if nullable { "LEFT JOIN" } else { "INNER JOIN" };
                    scope.joins.push((
                        path.clone(),
                        next.clone(),
                        format!(
                            "{kind} {} AS {} ON {}",
                            quote(&target.name),
                            quote(&next),
                            on
                        ),
                    ));
                    next
                }
            };
            table = target;
        }
        Err(shape_error(format!(
            "'{}' names a relation, not a field",
            parts.join("__")
        )))
    }

    /// An expression: `{"p": slot}`, `{"f": "path"}`, or `{"op": "+", "l": .., "r": ..}`.
    fn expression(
        &mut self,
        scope: &mut Scope<'a>,
        node: &Value,
        column: Option<(String, String)>,
    ) -> Result<String> {
        if let Some(slot) = node.get("p").and_then(Value::as_u64) {
            return Ok(self.param(slot as usize, column, false));
        }
        if let Some(path) = node.get("f").and_then(Value::as_str) {
            if let Some((_, sql, aggregate)) =
                self.annotations.iter().find(|(n, _, _)| n == path).cloned()
            {
                self.reads_aggregate |= aggregate;
                return Ok(sql);
            }
            let parts: Vec<String> = path.split("__").map(str::to_owned).collect();
            let resolved = self
                .resolve(scope, &parts, false)?
                .map_err(|_| shape_error("unreachable"))?;
            if !resolved.rest.is_empty() {
                return Err(shape_error(format!(
                    "F('{path}'): '{}' is not a field",
                    resolved.rest.join("__")
                )));
            }
            return Ok(resolved.sql);
        }
        if let Some(sql) = self.function(scope, node)? {
            return Ok(sql);
        }
        if let Some(op) = node.get("op").and_then(Value::as_str) {
            if !matches!(op, "+" | "-" | "*" | "/" | "%") {
                return Err(shape_error(format!("unknown operator {op:?}")));
            }
            let l = self.expression(scope, &node["l"], None)?;
            let r = self.expression(scope, &node["r"], None)?;
            return Ok(format!("({l} {op} {r})"));
        }
        Err(shape_error(format!("not an expression: {node}")))
    }

    /// LEFT JOINs a to-many relation (through its junction for many-to-many)
    /// once per path; returns the alias of the related table.
    /// Joins a to-many relation at `path` (once per path) and returns its
    /// alias. A many-to-many goes through its junction, joined under
    /// `junction_path` (the path of the junction's own reverse relation,
    /// when there is one), so `Count('PlaylistTrack')` and `Count('Playlist')`
    /// count the same junction rows rather than their cross product, as in
    /// Django.
    fn join_to_many(
        &mut self,
        scope: &mut Scope<'a>,
        path: &str,
        from: &str,
        rel: &'a Relation,
        target: &'a Table,
        junction_path: Option<String>,
    ) -> String {
        if let Some((_, a, _)) = scope.joins.iter().find(|(p, _, _)| p == path) {
            return a.clone();
        }
        let to = self.new_alias("t");
        let clause = match &rel.through {
            None => format!(
                "LEFT JOIN {} AS {} ON {}",
                quote(&target.name),
                quote(&to),
                column_pairs(&to, &rel.target_columns, from, &rel.columns)
            ),
            Some(th) => {
                let shared = junction_path
                    .as_ref()
                    .and_then(|jp| scope.joins.iter().find(|(p, _, _)| p == jp))
                    .map(|(_, a, _)| a.clone());
                let j = match shared {
                    Some(j) => j,
                    None => {
                        let j = self.new_alias("j");
                        let junction = format!(
                            "LEFT JOIN {} AS {} ON {}",
                            quote(&th.table),
                            quote(&j),
                            column_pairs(&j, &th.source_columns, from, &rel.columns)
                        );
                        // Unnamed when the junction has no relation of its own here.
                        let key = junction_path.unwrap_or_else(|| format!("{path}\u{0}junction"));
                        scope.joins.push((key, j.clone(), junction));
                        j
                    }
                };
                format!(
                    "LEFT JOIN {} AS {} ON {}",
                    quote(&target.name),
                    quote(&to),
                    column_pairs(&to, &rel.target_columns, &j, &th.target_columns)
                )
            }
        };
        scope.joins.push((path.to_string(), to.clone(), clause));
        to
    }

    /// Aggregates (`{"agg": "count", "arg", "distinct", "filter", "default"}`), functions
    /// (`{"fn": "lower", "args": [..]}`), casts and annotation references.
    fn function(&mut self, scope: &mut Scope<'a>, node: &Value) -> Result<Option<String>> {
        if let Some(name) = node.get("a").and_then(Value::as_str) {
            let Some((_, sql, aggregate)) =
                self.annotations.iter().find(|(n, _, _)| n == name).cloned()
            else {
                return Err(shape_error(format!("no annotation named '{name}'")));
            };
            self.reads_aggregate |= aggregate;
            return Ok(Some(sql));
        }
        if let Some(func) = node.get("agg").and_then(Value::as_str) {
            let sql_name = match func {
                "count" | "sum" | "avg" | "min" | "max" => func,
                other => return Err(shape_error(format!("unknown aggregate {other:?}"))),
            };
            let outer = self.join_many;
            self.join_many = true;
            let arg = match node.get("arg") {
                None | Some(Value::Null) if func == "count" => Ok("*".to_string()),
                Some(a) if !a.is_null() => self.expression(scope, a, None),
                _ => Err(shape_error(format!("{func}() needs a field"))),
            };
            let filter = match node.get("filter") {
                Some(q) if !q.is_null() => self.q(scope, q).map(|c| format!(" FILTER (WHERE {c})")),
                _ => Ok(String::new()),
            };
            self.join_many = outer;
            let distinct = if node["distinct"].as_bool().unwrap_or(false) {
                "DISTINCT "
            } else {
                ""
            };
            self.saw_aggregate = true;
            let call = format!("{sql_name}({distinct}{}){}", arg?, filter?);
            // Django's `default`: the value when no row is aggregated.
            return Ok(Some(match node.get("default") {
                Some(d) if !d.is_null() => {
                    let slot = d.get("p").and_then(Value::as_u64).ok_or_else(|| {
                        shape_error(format!("{func}(): default takes a value slot"))
                    })?;
                    format!(
                        "COALESCE({call}, {})",
                        self.param(slot as usize, None, false)
                    )
                }
                _ => call,
            }));
        }
        if let Some(func) = node.get("fn").and_then(Value::as_str) {
            let mut args = Vec::new();
            for a in node["args"].as_array().into_iter().flatten() {
                args.push(self.expression(scope, a, None)?);
            }
            let one = |args: &[String]| -> Result<String> {
                match args {
                    [a] => Ok(a.clone()),
                    _ => Err(shape_error(format!("{func}() takes one argument"))),
                }
            };
            return Ok(Some(match func {
                "coalesce" if args.len() >= 2 => format!("COALESCE({})", args.join(", ")),
                "coalesce" => return Err(shape_error("Coalesce() takes at least two expressions")),
                // Unicode-aware, like the i-lookups (SQLite's lower/upper fold ASCII only).
                "lower" => format!("noormme_fold({})", one(&args)?),
                "upper" => format!("noormme_upper({})", one(&args)?),
                "length" => format!("length({})", one(&args)?),
                // NULL parts count as '' as in Django's Concat on SQLite.
                "concat" => args
                    .iter()
                    .map(|a| format!("COALESCE({a}, '')"))
                    .collect::<Vec<_>>()
                    .join(" || "),
                "now" => "strftime('%Y-%m-%d %H:%M:%f', 'now')".to_string(),
                other => return Err(shape_error(format!("unknown function {other:?}"))),
            }));
        }
        if let Some(inner) = node.get("cast") {
            let ty = match node["type"]
                .as_str()
                .unwrap_or("")
                .to_ascii_uppercase()
                .as_str()
            {
                t @ ("INTEGER" | "REAL" | "TEXT" | "BLOB" | "NUMERIC") => t.to_string(),
                other => {
                    return Err(shape_error(format!(
                        "Cast() to {other:?}: use INTEGER, REAL, TEXT, BLOB or NUMERIC"
                    )))
                }
            };
            let sql = self.expression(scope, inner, None)?;
            return Ok(Some(format!("CAST({sql} AS {ty})")));
        }
        Ok(None)
    }

    fn date_expr(&self, lhs: &str, column: &Option<(&Table, String)>) -> String {
        let storage = column.as_ref().and_then(|(t, c)| self.storage_kind(t, c));
        match storage.as_deref() {
            Some("unix") => format!("{lhs}, 'unixepoch'"),
            Some("unix_ms") => format!("{lhs} / 1000.0, 'unixepoch'"),
            _ => lhs.to_string(),
        }
    }

    fn is_json(&self, table: &Table, column: &str) -> bool {
        let Some(ti) = self
            .catalog
            .tables
            .iter()
            .position(|t| t.name == table.name)
        else {
            return false;
        };
        table
            .columns
            .iter()
            .position(|c| c.name == column)
            .is_some_and(|ci| self.catalog.policies[ti][ci].policy == crate::policy::Policy::Json)
    }

    fn storage_kind(&self, table: &Table, column: &str) -> Option<String> {
        let ti = self
            .catalog
            .tables
            .iter()
            .position(|t| t.name == table.name)?;
        let ci = table.columns.iter().position(|c| c.name == column)?;
        let policy = &self.catalog.policies[ti][ci].policy;
        policy.storage().map(|s| match s {
            crate::policy::DateStorage::UnixSeconds => "unix".to_string(),
            crate::policy::DateStorage::UnixMillis => "unix_ms".to_string(),
            crate::policy::DateStorage::JulianDay => "julian".to_string(),
            _ => "text".to_string(),
        })
    }

    /// `["path__lookup", value]` → SQL condition.
    fn leaf(&mut self, scope: &mut Scope<'a>, key: &str, value: &Value) -> Result<String> {
        let parts: Vec<String> = key.split("__").map(str::to_owned).collect();
        if parts.iter().any(String::is_empty) {
            return Err(shape_error(format!("'{key}' is not a field path")));
        }
        if let Some((_, sql, aggregate)) = self
            .annotations
            .iter()
            .find(|(n, _, _)| *n == parts[0])
            .cloned()
        {
            self.reads_aggregate |= aggregate;
            let resolved = Resolved {
                sql,
                column: None,
                rest: parts[1..].to_vec(),
                json_type: None,
            };
            return self.condition(scope, resolved, key, value);
        }
        match self.resolve(scope, &parts, true)? {
            Ok(resolved) => self.condition(scope, resolved, key, value),
            Err((at, rel)) => {
                self.exists(scope, rel, &[(key.to_string(), value.clone())], at, &parts)
            }
        }
    }

    /// Conditions that follow a multi-valued relation become one EXISTS subquery.
    fn exists(
        &mut self,
        scope: &mut Scope<'a>,
        rel: &'a Relation,
        leaves: &[(String, Value)],
        at: usize,
        first: &[String],
    ) -> Result<String> {
        // Resolve the prefix (forward hops before the multi-valued one) in the outer scope.
        let prefix_alias = if at == 0 {
            scope.alias.clone()
        } else {
            let mut probe: Vec<String> = first[..at].to_vec();
            probe.push(rel.columns[0].clone());
            match self.resolve(scope, &probe, false)? {
                Ok(r) => r
                    .sql
                    .rsplit_once('.')
                    .map(|(a, _)| a.trim_matches('"').to_string())
                    .unwrap_or_default(),
                Err(_) => return Err(shape_error("nested multi-valued relation")),
            }
        };
        let target = self.table(&rel.target)?;
        let inner_alias = self.new_alias("s");
        let mut inner = Scope {
            table: target,
            alias: inner_alias.clone(),
            joins: Vec::new(),
        };
        let (from, correlation) = match &rel.through {
            None => (
                format!("{} AS {}", quote(&target.name), quote(&inner_alias)),
                column_pairs(
                    &inner_alias,
                    &rel.target_columns,
                    &prefix_alias,
                    &rel.columns,
                ),
            ),
            Some(through) => {
                let j = self.new_alias("j");
                let join_on = column_pairs(
                    &inner_alias,
                    &rel.target_columns,
                    &j,
                    &through.target_columns,
                );
                let corr = column_pairs(&j, &through.source_columns, &prefix_alias, &rel.columns);
                (
                    format!(
                        "{} AS {} INNER JOIN {} AS {} ON {}",
                        quote(&through.table),
                        quote(&j),
                        quote(&target.name),
                        quote(&inner_alias),
                        join_on
                    ),
                    corr,
                )
            }
        };
        let mut conds = vec![correlation];
        // `rel__isnull` in the group: whether there must be no related row.
        let mut no_related = None;
        for (key, value) in leaves {
            let parts: Vec<String> = key.split("__").map(str::to_owned).collect();
            let inner_key = parts[at + 1..].join("__");
            if inner_key.is_empty() {
                // `tracks__isnull` / `tracks=5`: compare the related key itself.
                let pk = target
                    .primary_key
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "rowid".into());
                let sub = if parts.len() == at + 1 {
                    pk
                } else {
                    format!("{pk}__{}", parts[at + 1..].join("__"))
                };
                conds.push(self.leaf(&mut inner, &sub, value)?);
            } else if ["isnull"].contains(&inner_key.as_str()) {
                // Kept with the group's other conditions, which still compile
                // (and bind) here: returning early dropped them.
                no_related =
                    Some(value.as_bool().ok_or_else(|| {
                        shape_error(format!("{key}: isnull takes true or false"))
                    })?);
            } else if LOOKUPS.contains(&inner_key.as_str()) {
                let pk = target
                    .primary_key
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "rowid".into());
                conds.push(self.leaf(&mut inner, &format!("{pk}__{inner_key}"), value)?);
            } else {
                conds.push(self.leaf(&mut inner, &inner_key, value)?);
            }
        }
        let joins: Vec<String> = inner.joins.iter().map(|(_, _, j)| j.clone()).collect();
        let exists = format!(
            "EXISTS (SELECT 1 FROM {from}{}{} WHERE {})",
            if joins.is_empty() { "" } else { " " },
            joins.join(" "),
            conds.join(" AND ")
        );
        // Django joins a to-many relation with a LEFT JOIN: a row without
        // related rows meets it as one all-NULL related row. When every
        // condition holds for NULLs (`__isnull: true`, `= None`), such rows
        // match too (`Artist.filter({ Album__Title__isnull: true })` finds
        // the artists without albums).
        let null_satisfied = leaves.iter().all(|(key, value)| {
            value.is_null() || (key.ends_with("__isnull") && value.as_bool() == Some(true))
        });
        let none = format!("NOT EXISTS (SELECT 1 FROM {from} WHERE {})", conds[0]);
        if no_related == Some(true) {
            // No related row: met only if the other conditions hold for the
            // all-NULL row; else nothing matches (the conditions stay, bound).
            return Ok(if null_satisfied {
                none
            } else {
                format!("({none} AND {exists})")
            });
        }
        Ok(if null_satisfied {
            format!("({exists} OR {none})")
        } else {
            exists
        })
    }

    fn condition(
        &mut self,
        scope: &mut Scope<'a>,
        resolved: Resolved<'a>,
        key: &str,
        value: &Value,
    ) -> Result<String> {
        let mut lhs = resolved.sql.clone();
        let json_type = resolved.json_type.clone();
        let column = resolved
            .column
            .as_ref()
            .map(|(t, c)| (t.name.clone(), c.clone()));
        let mut rest = resolved.rest.clone();
        let lookup = match rest.last() {
            Some(last) if LOOKUPS.contains(&last.as_str()) => rest.pop().expect("non-empty"),
            _ => "exact".to_string(),
        };
        let mut transformed = false;
        for transform in &rest {
            if !DATE_TRANSFORMS.contains(&transform.as_str()) {
                let (table, col) = resolved
                    .column
                    .as_ref()
                    .map(|(t, c)| (t.name.as_str(), c.as_str()))
                    .unwrap_or(("?", "?"));
                let mut options: Vec<&str> = LOOKUPS.to_vec();
                options.extend(DATE_TRANSFORMS);
                let suggestion = nearest(transform, options.iter().copied()).map(str::to_owned);
                let hint = suggestion
                    .as_ref()
                    .map_or(String::new(), |n| format!(" Did you mean '{n}'?"));
                return Err(Error::Field {
                    message: format!("unsupported lookup '{transform}' for {table}.{col} in '{key}'.{hint} Lookups: {}; date transforms: {}", LOOKUPS.join(", "), DATE_TRANSFORMS.join(", ")),
                    model: table.to_owned(),
                    field: key.to_owned(),
                    suggestion,
                    choices: options.iter().map(|o| (*o).to_owned()).collect(),
                });
            }
            let source = self.date_expr(&lhs, &resolved.column);
            lhs = match transform.as_str() {
                "date" => format!("date({source})"),
                "year" => format!("CAST(strftime('%Y', {source}) AS INTEGER)"),
                "month" => format!("CAST(strftime('%m', {source}) AS INTEGER)"),
                "day" => format!("CAST(strftime('%d', {source}) AS INTEGER)"),
                "hour" => format!("CAST(strftime('%H', {source}) AS INTEGER)"),
                "minute" => format!("CAST(strftime('%M', {source}) AS INTEGER)"),
                "second" => format!("CAST(strftime('%S', {source}) AS INTEGER)"),
                // Django: 1 = Sunday ... 7 = Saturday.
                "week_day" => format!("(CAST(strftime('%w', {source}) AS INTEGER) + 1)"),
                "iso_week_day" => format!("(CAST(strftime('%u', {source}) AS INTEGER))"),
                "week" => format!("CAST(strftime('%V', {source}) AS INTEGER)"),
                "quarter" => format!("((CAST(strftime('%m', {source}) AS INTEGER) + 2) / 3)"),
                _ => unreachable!("checked above"),
            };
            transformed = true;
        }
        // After a transform the value is a plain number or date text, not the column's stored form.
        let encode_as = if transformed { None } else { column.clone() };
        let is_f = value.get("f").is_some() || value.get("op").is_some();
        let rhs =
            |c: &mut Self, scope: &mut Scope<'a>, v: &Value, as_text: bool| -> Result<String> {
                if is_f {
                    c.expression(scope, v, None)
                } else {
                    let slot = v
                        .get("p")
                        .and_then(Value::as_u64)
                        .ok_or_else(|| shape_error(format!("{key}: expected a value slot")))?;
                    Ok(c.param(
                        slot as usize,
                        if as_text { None } else { encode_as.clone() },
                        as_text,
                    ))
                }
            };
        let fold = |s: &str| format!("noormme_fold({s})");
        Ok(match lookup.as_str() {
            "isnull" => {
                let truth = value
                    .as_bool()
                    .ok_or_else(|| shape_error(format!("{key}: isnull takes true or false")))?;
                // A JSON key path is null when the key is missing (Django's
                // KeyTransformIsNull): a JSON null is a value there.
                let subject = json_type.as_deref().unwrap_or(&lhs);
                format!("{subject} IS {}NULL", if truth { "" } else { "NOT " })
            }
            // `data__owner: null` is a JSON null, not a missing key (Django's JSONField).
            "exact" if value.is_null() => match &json_type {
                Some(t) => format!("{t} = 'null'"),
                None => format!("{lhs} IS NULL"),
            },
            "exact" => format!("{lhs} = {}", rhs(self, scope, value, false)?),
            "gt" => format!("{lhs} > {}", rhs(self, scope, value, false)?),
            "gte" => format!("{lhs} >= {}", rhs(self, scope, value, false)?),
            "lt" => format!("{lhs} < {}", rhs(self, scope, value, false)?),
            "lte" => format!("{lhs} <= {}", rhs(self, scope, value, false)?),
            "iexact" => format!("{} = {}", fold(&lhs), fold(&rhs(self, scope, value, true)?)),
            // NOORMME's own functions (functions.rs): every byte counts, NUL
            // included, and the time is linear in both lengths.
            "contains" | "startswith" | "endswith" => format!(
                "noormme_{lookup}({lhs}, {})",
                rhs(self, scope, value, true)?
            ),
            "icontains" | "istartswith" | "iendswith" => format!(
                "noormme_{}({}, {})",
                &lookup[1..],
                fold(&lhs),
                fold(&rhs(self, scope, value, true)?)
            ),
            "in" if value.get("sub").is_some() => {
                format!("{lhs} IN ({})", self.subquery(key, &value["sub"])?)
            }
            "in" => {
                let slot = value
                    .get("in_list")
                    .and_then(|v| v.get("p"))
                    .and_then(Value::as_u64)
                    .ok_or_else(|| {
                        shape_error(format!("{key}: 'in' takes {{\"in_list\": slot}}"))
                    })?;
                let p = self.list_param(slot as usize, encode_as.clone());
                format!("{lhs} IN ({IN_LIST}({p}))")
            }
            "range" => {
                let pair = value
                    .get("range")
                    .and_then(Value::as_array)
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| shape_error(format!("{key}: 'range' takes two values")))?;
                let lo = rhs(self, scope, &pair[0], false)?;
                let hi = rhs(self, scope, &pair[1], false)?;
                format!("{lhs} BETWEEN {lo} AND {hi}")
            }
            // Python `re.search` semantics, like Django's SQLite backend; the
            // REGEXP function is NOORMME's (see regex.rs).
            "regex" => format!("{lhs} REGEXP {}", rhs(self, scope, value, true)?),
            "iregex" => format!(
                "{lhs} REGEXP ('(?i)' || {})",
                rhs(self, scope, value, true)?
            ),
            other => return Err(shape_error(format!("unsupported lookup {other}"))),
        })
    }

    /// A Q node: `{"and": [..]}`, `{"or": [..]}`, `{"not": q}`, `{"xor": [..]}` or `{"leaf": [key, value]}`.
    fn q(&mut self, scope: &mut Scope<'a>, node: &Value) -> Result<String> {
        if let Some([key, value]) = node
            .get("leaf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            let key = key
                .as_str()
                .ok_or_else(|| shape_error("a filter key must be a string"))?;
            return self.leaf(scope, key, value);
        }
        if let Some(inner) = node.get("not") {
            return Ok(format!("NOT (({}) IS TRUE)", self.q(scope, inner)?));
        }
        for (op, joiner) in [("and", " AND "), ("or", " OR "), ("xor", " <> ")] {
            if let Some(children) = node.get(op).and_then(Value::as_array) {
                if children.is_empty() {
                    return Ok("1".into());
                }
                let mut parts = Vec::new();
                for child in children {
                    let sql = self.q(scope, child)?;
                    // XOR compares truth values: NULL counts as false, as in Django.
                    parts.push(if op == "xor" {
                        format!("COALESCE(({sql}), 0) <> 0")
                    } else {
                        format!("({sql})")
                    });
                }
                if op == "xor" {
                    let sum: Vec<String> = parts.iter().map(|p| format!("({p})")).collect();
                    return Ok(format!("(({}) % 2 = 1)", sum.join(" + ")));
                }
                return Ok(parts.join(joiner));
            }
        }
        Err(shape_error(format!("not a filter: {node}")))
    }

    /// One `filter()` call. Django's multi-valued rule: conditions of one
    /// call that follow the same to-many relation must hold for the same
    /// related row, so they share one EXISTS; separate calls do not.
    fn filter_call(&mut self, scope: &mut Scope<'a>, node: &Value) -> Result<String> {
        let Some(children) = node.get("and").and_then(Value::as_array) else {
            return self.q(scope, node);
        };
        let mut parts_sql = Vec::new();
        let mut groups: Vec<MultiValuedGroup<'a>> = Vec::new();
        for child in children {
            let leaf = child
                .get("leaf")
                .and_then(Value::as_array)
                .filter(|l| l.len() == 2);
            let Some(key) = leaf.and_then(|l| l[0].as_str()) else {
                parts_sql.push(format!("({})", self.q(scope, child)?));
                continue;
            };
            let value = leaf.map(|l| l[1].clone()).unwrap_or(Value::Null);
            let parts: Vec<String> = key.split("__").map(str::to_owned).collect();
            if parts.iter().any(String::is_empty) {
                return Err(shape_error(format!("'{key}' is not a field path")));
            }
            if self.annotations.iter().any(|(n, _, _)| *n == parts[0]) {
                parts_sql.push(format!("({})", self.leaf(scope, key, &value)?));
                continue;
            }
            match self.resolve(scope, &parts, true)? {
                Ok(resolved) => parts_sql.push(format!(
                    "({})",
                    self.condition(scope, resolved, key, &value)?
                )),
                Err((at, rel)) => {
                    let prefix = parts[..=at].join("__");
                    match groups.iter_mut().find(|g| g.0 == prefix) {
                        Some(group) => group.4.push((key.to_string(), value)),
                        None => groups.push((
                            prefix,
                            at,
                            rel,
                            parts.clone(),
                            vec![(key.to_string(), value)],
                        )),
                    }
                }
            }
        }
        for (_, at, rel, parts, leaves) in groups {
            parts_sql.push(format!(
                "({})",
                self.exists(scope, rel, &leaves, at, &parts)?
            ));
        }
        Ok(if parts_sql.is_empty() {
            "1".into()
        } else {
            parts_sql.join(" AND ")
        })
    }

    fn order(&mut self, scope: &mut Scope<'a>, terms: &[Value]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for term in terms {
            // A name, or {"t": name, "nulls": "first"|"last"} (Django's nulls_first/nulls_last).
            let (text, nulls) = match term {
                Value::Object(o) => (
                    o.get("t").and_then(Value::as_str),
                    match o.get("nulls").and_then(Value::as_str) {
                        Some("first") => " NULLS FIRST",
                        Some("last") => " NULLS LAST",
                        _ => return Err(shape_error("orderBy: nulls is 'first' or 'last'")),
                    },
                ),
                other => (other.as_str(), ""),
            };
            let text = text.ok_or_else(|| shape_error("orderBy takes field names"))?;
            if text == "?" {
                out.push("random()".to_string());
                continue;
            }
            let (desc, path) = match text.strip_prefix('-') {
                Some(p) => (true, p),
                None => (false, text.strip_prefix('+').unwrap_or(text)),
            };
            // The annotation's expression itself: an alias() is not in the
            // SELECT list, and a quoted unknown name would be a string.
            if let Some((_, sql, _)) = self.annotations.iter().find(|(n, _, _)| n == path) {
                out.push(format!("{sql}{}{nulls}", if desc { " DESC" } else { "" }));
                continue;
            }
            let parts: Vec<String> = path.split("__").map(str::to_owned).collect();
            if parts.iter().any(String::is_empty) {
                return Err(shape_error(format!("'{text}' is not a field path")));
            }
            let resolved = self
                .resolve(scope, &parts, false)?
                .map_err(|_| shape_error("unreachable"))?;
            if !resolved.rest.is_empty() {
                return Err(field_error(
                    scope.table,
                    &self.relations_of(&scope.table.name),
                    &resolved.rest.join("__"),
                ));
            }
            out.push(format!(
                "{}{}{nulls}",
                resolved.sql,
                if desc { " DESC" } else { "" }
            ));
        }
        Ok(out)
    }
}

/// `l.lc[0] = r.rc[0] AND ...`: the join condition between two aliases.
fn column_pairs(l: &str, lc: &[String], r: &str, rc: &[String]) -> String {
    lc.iter()
        .zip(rc)
        .map(|(a, b)| format!("{}.{} = {}.{}", quote(l), quote(a), quote(r), quote(b)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The SQLite JSON path for keys after a JSON column: digits index arrays,
/// other keys are object labels. Keys are limited to characters that need no
/// quoting, which also keeps the path safe inside an SQL string literal.
fn json_path(column: &str, keys: &[String]) -> Result<String> {
    let mut path = String::from("$");
    for key in keys {
        if key.chars().all(|c| c.is_ascii_digit()) {
            path.push_str(&format!("[{key}]"));
        } else if key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            path.push_str(&format!(".\"{key}\""));
        } else {
            return Err(Error::usage(
                "FIELD_ERROR",
                format!("'{key}' cannot be a key in a path into the JSON column {column}: use letters, digits, '_' and '-'"),
            ));
        }
    }
    Ok(path)
}

/// Compiles a query shape for `catalog`.
///
/// Shape: `{ "model", "mode": "select"|"count"|"exists"|"update"|"delete"|"insert"|"validate",
/// "where": [{"filter": Q} | {"exclude": Q}], "order": [..], "fields": [..]|null,
/// "distinct": bool, "limit": n|null, "offset": n|null, "set": {field: expr} }`.
pub fn compile(catalog: &Catalog, shape: &Value) -> Result<Compiled> {
    compile_with(Compiler::new(catalog, Vec::new()), shape)
}

/// Compiles `shape` with `c`, whose binds may already hold an outer query's
/// parameters (a subquery numbers its parameters after them).
fn compile_with<'a>(mut c: Compiler<'a>, shape: &Value) -> Result<Compiled> {
    let model = shape["model"]
        .as_str()
        .ok_or_else(|| shape_error("missing model"))?;
    let table = c.table(model)?;
    let mut scope = Scope {
        table,
        alias: "t0".into(),
        joins: Vec::new(),
    };
    let mode = shape["mode"].as_str().unwrap_or("select");

    if mode == "insert" {
        return insert(&mut c, table, shape);
    }
    if mode == "bulk_insert" {
        return bulk_insert(&mut c, table, shape);
    }

    let mut grouped = false;
    for entry in shape["annotate"].as_array().into_iter().flatten() {
        let (Some(name), Some(expr)) = (entry.get(0).and_then(Value::as_str), entry.get(1)) else {
            return Err(shape_error("annotate() takes { name: expression }"));
        };
        if table.column(name).is_some()
            || c.relations_of(&table.name).iter().any(|r| r.name == name)
        {
            return Err(shape_error(format!(
                "the annotation '{name}' conflicts with a field of {}",
                table.name
            )));
        }
        c.saw_aggregate = false;
        let sql = c.expression(&mut scope, expr, None)?;
        grouped |= c.saw_aggregate;
        c.annotations.push((name.to_string(), sql, c.saw_aggregate));
    }
    let mut wheres = Vec::new();
    let mut havings = Vec::new();
    for clause in shape["where"].as_array().into_iter().flatten() {
        c.reads_aggregate = false;
        let sql = if let Some(q) = clause.get("filter") {
            format!("({})", c.filter_call(&mut scope, q)?)
        } else if let Some(q) = clause.get("exclude") {
            // Rows where the condition is NULL (a NULL field) stay, as in Django.
            format!("NOT (({}) IS TRUE)", c.q(&mut scope, q)?)
        } else {
            return Err(shape_error(format!("not a where clause: {clause}")));
        };
        // A condition on an aggregate annotation filters groups, not rows.
        if c.reads_aggregate {
            havings.push(sql)
        } else {
            wheres.push(sql)
        }
    }
    let order = c.order(
        &mut scope,
        shape["order"].as_array().map(Vec::as_slice).unwrap_or(&[]),
    )?;

    let mut columns = Vec::new();
    let mut select = Vec::new();
    let mut group_by: Vec<String> = Vec::new();
    match shape["fields"].as_array() {
        Some(fields) if !fields.is_empty() => {
            for f in fields {
                let path = f
                    .as_str()
                    .ok_or_else(|| shape_error("values() takes field names"))?;
                if let Some((_, sql, aggregate)) =
                    c.annotations.iter().find(|(n, _, _)| n == path).cloned()
                {
                    if !aggregate {
                        group_by.push(sql.clone());
                    }
                    select.push(format!("{sql} AS {}", quote(path)));
                    columns.push((path.to_string(), None));
                    continue;
                }
                let parts: Vec<String> = path.split("__").map(str::to_owned).collect();
                let resolved = c
                    .resolve(&mut scope, &parts, false)?
                    .map_err(|_| shape_error("unreachable"))?;
                if !resolved.rest.is_empty() {
                    return Err(field_error(table, &c.relations_of(&table.name), path));
                }
                group_by.push(resolved.sql.clone());
                select.push(format!("{} AS {}", resolved.sql, quote(path)));
                columns.push((
                    path.to_string(),
                    resolved.column.map(|(t, col)| (t.name.clone(), col)),
                ));
            }
        }
        _ => {
            for col in table.columns.iter().filter(|c| !c.hidden) {
                select.push(format!(
                    "\"t0\".{} AS {}",
                    quote(&col.name),
                    quote(&col.name)
                ));
                columns.push((
                    col.name.clone(),
                    Some((table.name.clone(), col.name.clone())),
                ));
            }
        }
    }
    // selectRelated(): each forward, single-valued path is joined and all its
    // columns selected as `path__column`; the JS side nests them.
    for related in shape["related"].as_array().into_iter().flatten() {
        let path = related
            .as_str()
            .ok_or_else(|| shape_error("selectRelated() takes relation names"))?;
        let mut target = table;
        for part in path.split("__") {
            let relations = c.relations_of(&target.name);
            let Some(rel) = relations.iter().copied().find(|r| r.name == part) else {
                return Err(field_error(target, &relations, part));
            };
            if !matches!(rel.kind, RelationKind::ForeignKey | RelationKind::OneToOne) {
                return Err(shape_error(format!(
                    "selectRelated('{path}'): {}.{} can hold several rows; use prefetch('{path}')",
                    target.name, rel.name
                )));
            }
            target = c.table(&rel.target)?;
        }
        let mut probe: Vec<String> = path.split("__").map(str::to_owned).collect();
        probe.push(target.columns[0].name.clone());
        c.resolve(&mut scope, &probe, false)?
            .map_err(|_| shape_error("unreachable"))?;
        let alias = scope
            .joins
            .iter()
            .find(|(p, _, _)| p == path)
            .map(|(_, a, _)| a.clone())
            .expect("joined by resolve");
        for col in target.columns.iter().filter(|c| !c.hidden) {
            let key = format!("{path}__{}", col.name);
            select.push(format!(
                "{}.{} AS {}",
                quote(&alias),
                quote(&col.name),
                quote(&key)
            ));
            columns.push((key, Some((target.name.clone(), col.name.clone()))));
        }
    }
    for ((name, sql, _), entry) in c
        .annotations
        .iter()
        .zip(shape["annotate"].as_array().into_iter().flatten())
    {
        // alias() annotations are usable in filters and ordering but not selected.
        if entry.get(2).and_then(Value::as_bool) != Some(false)
            && !columns.iter().any(|(k, _)| k == name)
        {
            select.push(format!("{sql} AS {}", quote(name)));
            columns.push((name.clone(), None));
        }
    }
    if mode == "validate" {
        return Ok(Compiled {
            sql: String::new(),
            binds: c.binds,
            columns,
            readonly: true,
        });
    }

    let joins: String = scope
        .joins
        .iter()
        .map(|(_, _, j)| format!(" {j}"))
        .collect();
    let where_sql = if wheres.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", wheres.join(" AND "))
    };
    let from = format!("{} AS \"t0\"{joins}", quote(&table.name));
    // With aggregate annotations, rows are grouped by the values() fields, or by the model's identity.
    let group_sql = if !grouped {
        String::new()
    } else if !group_by.is_empty() {
        format!(" GROUP BY {}", group_by.join(", "))
    } else {
        let identity: Vec<String> = if !table.primary_key.is_empty() {
            table
                .primary_key
                .iter()
                .map(|k| format!("\"t0\".{}", quote(k)))
                .collect()
        } else if table.has_rowid {
            vec!["\"t0\".rowid".into()]
        } else {
            table
                .columns
                .iter()
                .map(|col| format!("\"t0\".{}", quote(&col.name)))
                .collect()
        };
        format!(" GROUP BY {}", identity.join(", "))
    };
    let having_sql = if havings.is_empty() {
        String::new()
    } else {
        format!(" HAVING {}", havings.join(" AND "))
    };
    let where_sql = format!("{where_sql}{group_sql}{having_sql}");
    // LIMIT and OFFSET are literals, as in Django: with a bound LIMIT, SQLite
    // (built with STAT4) re-prepares the statement on every run — 2.3× slower.
    // They come from the shape as unsigned integers, so nothing else can get in.
    let literal = |key: &str| -> Result<Option<u64>> {
        match shape.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| shape_error(format!("{key} must be a non-negative integer"))),
        }
    };
    let mut tail = String::new();
    if !order.is_empty() {
        tail.push_str(&format!(" ORDER BY {}", order.join(", ")));
    }
    let (limit, offset) = (literal("limit")?, literal("offset")?);
    if limit.is_some() || offset.is_some() {
        tail.push_str(&format!(" LIMIT {}", limit.map_or(-1, |l| l as i64)));
        if let Some(o) = offset {
            tail.push_str(&format!(" OFFSET {o}"));
        }
    }
    let distinct = if shape["distinct"].as_bool().unwrap_or(false) {
        "DISTINCT "
    } else {
        ""
    };
    let select_sql = format!(
        "SELECT {distinct}{} FROM {from}{where_sql}{tail}",
        select.join(", ")
    );

    let identity: Vec<String> = if !table.primary_key.is_empty() {
        table.primary_key.clone()
    } else if table.has_rowid {
        vec!["rowid".into()]
    } else {
        Vec::new()
    };
    let direct =
        scope.joins.is_empty() && tail.is_empty() && distinct.is_empty() && group_sql.is_empty();
    let target_rows = || -> Result<String> {
        if identity.is_empty() || table.kind == crate::schema::TableKind::View {
            return Err(Error::usage(
                "READ_ONLY_MODEL",
                format!("{} has no primary key or rowid (or is a view): its rows cannot be written through a model", table.name),
            ));
        }
        if direct {
            return Ok(if wheres.is_empty() {
                "1".to_string()
            } else {
                wheres.join(" AND ")
            });
        }
        let cols: Vec<String> = identity.iter().map(|k| quote(k)).collect();
        let inner: Vec<String> = identity
            .iter()
            .map(|k| format!("\"t0\".{}", quote(k)))
            .collect();
        let lhs = if cols.len() == 1 {
            cols[0].clone()
        } else {
            format!("({})", cols.join(", "))
        };
        Ok(format!(
            "{lhs} IN (SELECT {} FROM {from}{where_sql}{tail})",
            inner.join(", ")
        ))
    };

    // Without joins or a LIMIT, writes address the rows directly (aliased t0
    // like the conditions); otherwise through their identity in a subquery.
    let write_target = if direct {
        format!("{} AS \"t0\"", quote(&table.name))
    } else {
        quote(&table.name)
    };
    let (sql, readonly, columns) = match mode {
        "select" => (select_sql, true, columns),
        "count" => {
            let sql = if distinct.is_empty() && tail.is_empty() && group_sql.is_empty() {
                format!("SELECT count(*) AS \"count\" FROM {from}{where_sql}")
            } else {
                format!("SELECT count(*) AS \"count\" FROM ({select_sql})")
            };
            (sql, true, vec![("count".into(), None)])
        }
        "exists" => (
            format!("SELECT 1 AS \"exists\" FROM {from}{where_sql} LIMIT 1"),
            true,
            vec![("exists".into(), None)],
        ),
        "aggregate" => {
            if !tail.is_empty() || grouped || !distinct.is_empty() {
                return Err(shape_error("aggregate() over a sliced, distinct or annotated QuerySet is not supported yet"));
            }
            let mut parts = Vec::new();
            let mut cols = Vec::new();
            for entry in shape["aggregate"].as_array().into_iter().flatten() {
                let (Some(name), Some(expr)) = (entry.get(0).and_then(Value::as_str), entry.get(1))
                else {
                    return Err(shape_error("aggregate() takes { name: Aggregate }"));
                };
                c.saw_aggregate = false;
                let sql = c.expression(&mut scope, expr, None)?;
                if !c.saw_aggregate {
                    return Err(shape_error(format!(
                        "aggregate(): '{name}' is not an aggregate (Count, Sum, Avg, Min, Max)"
                    )));
                }
                parts.push(format!("{sql} AS {}", quote(name)));
                cols.push((name.to_string(), None));
            }
            if parts.is_empty() {
                return Err(shape_error("aggregate() needs at least one aggregate"));
            }
            // Joins the aggregates needed were added after `from` was built.
            let joins: String = scope
                .joins
                .iter()
                .map(|(_, _, j)| format!(" {j}"))
                .collect();
            (
                format!(
                    "SELECT {} FROM {} AS \"t0\"{joins}{where_sql}",
                    parts.join(", "),
                    quote(&table.name)
                ),
                true,
                cols,
            )
        }
        "delete" => (
            format!("DELETE FROM {write_target} WHERE {}", target_rows()?),
            false,
            Vec::new(),
        ),
        "update" => {
            let set = shape["set"]
                .as_object()
                .ok_or_else(|| shape_error("update() takes an object of fields"))?;
            if set.is_empty() {
                return Err(shape_error("update() needs at least one field"));
            }
            let rows = target_rows()?;
            let mut assignments = Vec::new();
            // SET expressions read the row being updated: resolve them without the t0 alias.
            let mut set_scope = Scope {
                table,
                alias: if direct {
                    "t0".to_string()
                } else {
                    table.name.clone()
                },
                joins: Vec::new(),
            };
            for (field, expr) in set {
                let col = writable_column(&c, table, field)?;
                let value = c.expression(
                    &mut set_scope,
                    expr,
                    Some((table.name.clone(), col.name.clone())),
                )?;
                assignments.push(format!("{} = {value}", quote(&col.name)));
            }
            if !set_scope.joins.is_empty() {
                return Err(shape_error(
                    "update() values may only use F() on the model's own fields",
                ));
            }
            // Parameters are numbered (?N), so SET may come before the WHERE's in the text.
            (
                format!(
                    "UPDATE {write_target} SET {} WHERE {rows}",
                    assignments.join(", ")
                ),
                false,
                Vec::new(),
            )
        }
        other => return Err(shape_error(format!("unknown mode {other:?}"))),
    };
    Ok(Compiled {
        sql,
        binds: c.binds,
        columns,
        readonly,
    })
}

fn assert_writable_table(table: &Table) -> Result<()> {
    if table.kind == crate::schema::TableKind::View
        || (table.primary_key.is_empty() && !table.has_rowid)
    {
        return Err(Error::usage(
            "READ_ONLY_MODEL",
            format!(
                "{} cannot be written through a model (a view, or no primary key and no rowid)",
                table.name
            ),
        ));
    }
    Ok(())
}

/// The column `field` of `table`, if it may be written.
fn writable_column<'t>(
    c: &Compiler<'_>,
    table: &'t Table,
    field: &str,
) -> Result<&'t crate::schema::Column> {
    let col = table
        .column(field)
        .ok_or_else(|| field_error(table, &c.relations_of(&table.name), field))?;
    if col.generated.is_some() {
        return Err(Error::usage(
            "READ_ONLY_FIELD",
            format!(
                "{}.{} is a generated column: it cannot be written",
                table.name, field
            ),
        ));
    }
    Ok(col)
}

/// `RETURNING` every visible column, and the output columns that go with it.
fn returning(table: &Table) -> (String, OutputColumns) {
    returning_except(table, &[])
}

/// `RETURNING` the visible columns not in `given` (empty when there are none).
fn returning_except(table: &Table, given: &[&crate::schema::Column]) -> (String, OutputColumns) {
    let visible: Vec<&crate::schema::Column> = table
        .columns
        .iter()
        .filter(|c| !c.hidden && !given.iter().any(|g| g.name == c.name))
        .collect();
    let sql = visible
        .iter()
        .map(|c| quote(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let columns = visible
        .iter()
        .map(|col| {
            (
                col.name.clone(),
                Some((table.name.clone(), col.name.clone())),
            )
        })
        .collect();
    (sql, columns)
}

fn insert(c: &mut Compiler<'_>, table: &Table, shape: &Value) -> Result<Compiled> {
    assert_writable_table(table)?;
    let set = shape["set"]
        .as_object()
        .ok_or_else(|| shape_error("create() takes an object of fields"))?;
    let mut cols = Vec::new();
    let mut vals = Vec::new();
    for (field, expr) in set {
        let col = writable_column(c, table, field)?;
        let slot = expr
            .get("p")
            .and_then(Value::as_u64)
            .ok_or_else(|| shape_error("create() values must be values"))?;
        cols.push(quote(&col.name));
        vals.push(c.param(
            slot as usize,
            Some((table.name.clone(), col.name.clone())),
            false,
        ));
    }
    let (returning, columns) = returning(table);
    let sql = if cols.is_empty() {
        format!(
            "INSERT INTO {} DEFAULT VALUES RETURNING {returning}",
            quote(&table.name)
        )
    } else {
        format!(
            "INSERT INTO {} ({}) VALUES ({}) RETURNING {returning}",
            quote(&table.name),
            cols.join(", "),
            vals.join(", ")
        )
    };
    Ok(Compiled {
        sql,
        binds: c.binds.clone(),
        columns,
        readonly: false,
    })
}

/// The most parameters one statement may have (SQLITE_MAX_VARIABLE_NUMBER,
/// which the bundled build leaves at its default).
const MAX_VARIABLES: usize = 32766;

/// Several rows in one INSERT: `{"fields": [..], "rows": n, "conflict": null
/// | {"ignore": true} | {"update": [..], "unique": [..]}}`; row r's value for
/// field j is slot `r * fields.len() + j`.
fn bulk_insert(c: &mut Compiler<'_>, table: &Table, shape: &Value) -> Result<Compiled> {
    assert_writable_table(table)?;
    let names = |key: &str| -> Result<Vec<&str>> {
        shape[key]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap_or_default()).collect())
            .ok_or_else(|| shape_error(format!("bulkCreate(): {key} must be a list of fields")))
    };
    let fields = names("fields")?;
    let rows = shape["rows"]
        .as_u64()
        .filter(|&n| n > 0)
        .ok_or_else(|| shape_error("bulkCreate(): rows must be a positive count"))?
        as usize;
    if fields.is_empty() {
        return Err(shape_error(
            "bulkCreate(): rows without fields cannot be batched; use create()",
        ));
    }
    if rows
        .checked_mul(fields.len())
        .is_none_or(|n| n > MAX_VARIABLES)
    {
        return Err(shape_error(format!(
            "bulkCreate(): {rows} rows of {} fields need more than SQLite's {MAX_VARIABLES} parameters in one statement; send fewer rows at a time",
            fields.len()
        )));
    }
    let mut cols = Vec::new();
    for field in &fields {
        cols.push(writable_column(c, table, field)?);
    }
    let mut tuples = Vec::with_capacity(rows);
    for r in 0..rows {
        let vals: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(j, col)| {
                c.param(
                    r * cols.len() + j,
                    Some((table.name.clone(), col.name.clone())),
                    false,
                )
            })
            .collect();
        tuples.push(format!("({})", vals.join(", ")));
    }
    let conflict = &shape["conflict"];
    let on_conflict = if conflict.is_null() {
        String::new()
    } else if conflict["ignore"].as_bool() == Some(true) {
        " ON CONFLICT DO NOTHING".to_string()
    } else {
        let update = conflict["update"]
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                shape_error(
                    "bulkCreate(): updateConflicts needs updateFields, the fields to overwrite",
                )
            })?;
        let unique = conflict["unique"].as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
            shape_error("bulkCreate(): updateConflicts needs uniqueFields, the unique key that conflicts (SQLite needs the conflict target)")
        })?;
        let mut target = Vec::new();
        for f in unique {
            let name = f.as_str().unwrap_or_default();
            let col = table
                .column(name)
                .ok_or_else(|| field_error(table, &c.relations_of(&table.name), name))?;
            target.push(quote(&col.name));
        }
        let mut sets = Vec::new();
        for f in update {
            let col = writable_column(c, table, f.as_str().unwrap_or_default())?;
            sets.push(format!("{0} = excluded.{0}", quote(&col.name)));
        }
        format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            target.join(", "),
            sets.join(", ")
        )
    };
    // Without a conflict clause every row is inserted as given, so only the
    // columns the database fills (key, defaults, generated) come back, as
    // Django's bulk_create does; with one, the stored rows come back whole.
    let (returning, columns) = if conflict.is_null() {
        returning_except(table, &cols)
    } else {
        returning(table)
    };
    let returning = if returning.is_empty() {
        returning
    } else {
        format!(" RETURNING {returning}")
    };
    let sql = format!(
        "INSERT INTO {} ({}) VALUES {}{on_conflict}{returning}",
        quote(&table.name),
        cols.iter()
            .map(|col| quote(&col.name))
            .collect::<Vec<_>>()
            .join(", "),
        tuples.join(", ")
    );
    Ok(Compiled {
        sql,
        binds: c.binds.clone(),
        columns,
        readonly: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CatalogOptions;
    use rusqlite::Connection;
    use serde_json::json;

    fn catalog() -> Catalog {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, joined INTEGER);
             CREATE TABLE posts(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES users(id),
                                editor_id INTEGER REFERENCES users(id), title TEXT NOT NULL, views INT, likes INT, created DATETIME);
             CREATE TABLE tags(id INTEGER PRIMARY KEY, name TEXT, meta JSON);
             CREATE TABLE post_tags(post_id INTEGER REFERENCES posts(id), tag_id INTEGER REFERENCES tags(id), PRIMARY KEY (post_id, tag_id));
             INSERT INTO users VALUES (1, 'a@x', 'A', 1700000000);
             INSERT INTO tags VALUES (1, 't', '{\"a\": 1}');",
        )
        .unwrap();
        let options = CatalogOptions::from_json(
            r#"{"columns": {"users": {"joined": {"policy": "datetime", "storage": "unix"}}}}"#,
        )
        .unwrap();
        Catalog::discover(&conn, &options).unwrap()
    }

    fn sql(shape: Value) -> (String, Vec<usize>) {
        let c = compile(&catalog(), &shape).unwrap();
        (c.sql, c.binds.iter().map(|b| b.slot).collect())
    }

    fn leaf(key: &str, value: Value) -> Value {
        json!({ "leaf": [key, value] })
    }

    #[test]
    fn filter_with_lookups_and_forward_joins() {
        let (s, binds) = sql(json!({
            "model": "posts",
            "where": [{ "filter": { "and": [leaf("author__email__endswith", json!({"p": 0})), leaf("title__icontains", json!({"p": 1}))] } }],
            "order": ["-created", "author__name"],
        }));
        assert_eq!(
            s,
            "SELECT \"t0\".\"id\" AS \"id\", \"t0\".\"author_id\" AS \"author_id\", \"t0\".\"editor_id\" AS \"editor_id\", \"t0\".\"title\" AS \"title\", \"t0\".\"views\" AS \"views\", \"t0\".\"likes\" AS \"likes\", \"t0\".\"created\" AS \"created\" \
             FROM \"posts\" AS \"t0\" INNER JOIN \"users\" AS \"t1\" ON \"t1\".\"id\" = \"t0\".\"author_id\" \
             WHERE ((noormme_endswith(\"t1\".\"email\", ?1)) AND (noormme_contains(noormme_fold(\"t0\".\"title\"), noormme_fold(?2)))) \
             ORDER BY \"t0\".\"created\" DESC, \"t1\".\"name\""
        );
        assert_eq!(binds, vec![0, 1]);
    }

    #[test]
    fn nullable_keys_left_join_and_exclude_keeps_nulls() {
        let (s, _) = sql(json!({
            "model": "posts", "fields": ["title", "editor__email"],
            "where": [{ "exclude": { "or": [leaf("title__startswith", json!({"p": 0})), leaf("views__lt", json!({"f": "likes"}))] } }],
            "limit": 1, "offset": 2,
        }));
        assert_eq!(
            s,
            "SELECT \"t0\".\"title\" AS \"title\", \"t1\".\"email\" AS \"editor__email\" FROM \"posts\" AS \"t0\" LEFT JOIN \"users\" AS \"t1\" ON \"t1\".\"id\" = \"t0\".\"editor_id\" \
             WHERE NOT (((noormme_startswith(\"t0\".\"title\", ?1)) OR (\"t0\".\"views\" < \"t0\".\"likes\")) IS TRUE) LIMIT 1 OFFSET 2"
        );
    }

    #[test]
    fn in_range_isnull_null_exact_and_date_transforms_per_storage() {
        let (s, binds) = sql(json!({
            "model": "users",
            "where": [{ "filter": { "and": [
                leaf("id__in", json!({"in_list": {"p": 0}})),
                leaf("id__range", json!({"range": [{"p": 1}, {"p": 2}]})),
                leaf("name__isnull", json!(false)),
                leaf("name", Value::Null),
                leaf("joined__year__gte", json!({"p": 3})),
            ] } }],
        }));
        assert!(s.ends_with(
            "WHERE ((\"t0\".\"id\" IN (SELECT CASE type WHEN 'object' THEN unhex(value ->> '$.x') ELSE value END FROM json_each(?1))) \
             AND (\"t0\".\"id\" BETWEEN ?2 AND ?3) AND (\"t0\".\"name\" IS NOT NULL) AND (\"t0\".\"name\" IS NULL) \
             AND (CAST(strftime('%Y', \"t0\".\"joined\", 'unixepoch') AS INTEGER) >= ?4))"
        ), "{s}");
        assert_eq!(binds, vec![0, 1, 2, 3]);
    }

    #[test]
    fn multi_valued_relations_become_exists_and_many_to_many_goes_through_the_junction() {
        let (s, _) = sql(json!({
            "model": "users",
            "where": [{ "filter": leaf("posts_by_author__tags__name", json!({"p": 0})) }],
        }));
        assert!(s.contains(
            "WHERE (EXISTS (SELECT 1 FROM \"posts\" AS \"s1\" WHERE \"s1\".\"author_id\" = \"t0\".\"id\" AND EXISTS (SELECT 1 FROM \"post_tags\" AS \"j3\" INNER JOIN \"tags\" AS \"s2\" ON \"s2\".\"id\" = \"j3\".\"tag_id\" WHERE \"j3\".\"post_id\" = \"s1\".\"id\" AND \"s2\".\"name\" = ?1)))"
        ), "{s}");
    }

    #[test]
    fn one_filter_call_shares_the_related_row_chained_calls_do_not() {
        let one = sql(json!({"model": "users", "where": [{"filter": {"and": [
            leaf("posts_by_author__title", json!({"p": 0})), leaf("posts_by_author__views__gt", json!({"p": 1}))]}}]})).0;
        assert_eq!(one.matches("EXISTS").count(), 1, "{one}");
        assert!(
            one.contains("\"s1\".\"title\" = ?1 AND \"s1\".\"views\" > ?2"),
            "{one}"
        );
        let chained = sql(json!({"model": "users", "where": [
            {"filter": leaf("posts_by_author__title", json!({"p": 0}))},
            {"filter": leaf("posts_by_author__views__gt", json!({"p": 1}))}]}))
        .0;
        assert_eq!(chained.matches("EXISTS").count(), 2, "{chained}");
    }

    #[test]
    fn count_exists_update_delete_insert() {
        let where_ = json!([{ "filter": leaf("author__email", json!({"p": 0})) }]);
        assert_eq!(
            sql(json!({"model": "posts", "mode": "count", "where": where_})).0,
            "SELECT count(*) AS \"count\" FROM \"posts\" AS \"t0\" INNER JOIN \"users\" AS \"t1\" ON \"t1\".\"id\" = \"t0\".\"author_id\" WHERE (\"t1\".\"email\" = ?1)"
        );
        let (update, binds) = sql(
            json!({"model": "posts", "mode": "update", "where": where_, "set": {"views": {"op": "+", "l": {"f": "views"}, "r": {"p": 1}}}}),
        );
        assert_eq!(
            update,
            "UPDATE \"posts\" SET \"views\" = (\"posts\".\"views\" + ?2) WHERE \"id\" IN (SELECT \"t0\".\"id\" FROM \"posts\" AS \"t0\" INNER JOIN \"users\" AS \"t1\" ON \"t1\".\"id\" = \"t0\".\"author_id\" WHERE (\"t1\".\"email\" = ?1))"
        );
        assert_eq!(binds, vec![0, 1]);
        assert_eq!(
            sql(json!({"model": "posts", "mode": "update", "where": [{"filter": leaf("id", json!({"p": 0}))}], "set": {"likes": {"op": "+", "l": {"f": "likes"}, "r": {"p": 1}}}})).0,
            "UPDATE \"posts\" AS \"t0\" SET \"likes\" = (\"t0\".\"likes\" + ?2) WHERE (\"t0\".\"id\" = ?1)"
        );
        assert_eq!(
            sql(json!({"model": "tags", "mode": "delete"})).0,
            "DELETE FROM \"tags\" AS \"t0\" WHERE 1"
        );
        assert_eq!(
            sql(json!({"model": "post_tags", "mode": "delete", "where": [{"filter": leaf("tag__name", json!({"p": 0}))}]})).0,
            "DELETE FROM \"post_tags\" WHERE (\"post_id\", \"tag_id\") IN (SELECT \"t0\".\"post_id\", \"t0\".\"tag_id\" FROM \"post_tags\" AS \"t0\" LEFT JOIN \"tags\" AS \"t1\" ON \"t1\".\"id\" = \"t0\".\"tag_id\" WHERE (\"t1\".\"name\" = ?1))"
        );
        assert_eq!(
            sql(json!({"model": "tags", "mode": "insert", "set": {"name": {"p": 0}}})).0,
            "INSERT INTO \"tags\" (\"name\") VALUES (?1) RETURNING \"id\", \"name\", \"meta\""
        );
    }

    #[test]
    fn annotations_group_by_identity_and_filter_in_having() {
        let (s, binds) = sql(json!({
            "model": "users",
            "annotate": [["n", {"agg": "count", "arg": {"f": "posts_by_author"}, "distinct": false, "filter": null}, true],
                         ["low", {"fn": "lower", "args": [{"f": "name"}]}, false]],
            "where": [{"filter": leaf("n__gte", json!({"p": 0}))}, {"filter": leaf("low__startswith", json!({"p": 1}))}],
            "order": ["-n"], "fields": null,
        }));
        assert_eq!(
            s,
            "SELECT \"t0\".\"id\" AS \"id\", \"t0\".\"email\" AS \"email\", \"t0\".\"name\" AS \"name\", \"t0\".\"joined\" AS \"joined\", count(\"t1\".\"id\") AS \"n\" \
             FROM \"users\" AS \"t0\" LEFT JOIN \"posts\" AS \"t1\" ON \"t1\".\"author_id\" = \"t0\".\"id\" \
             WHERE (noormme_startswith(noormme_fold(\"t0\".\"name\"), ?2)) GROUP BY \"t0\".\"id\" HAVING (count(\"t1\".\"id\") >= ?1) ORDER BY count(\"t1\".\"id\") DESC"
        );
        assert_eq!(binds, vec![0, 1]);
    }

    #[test]
    fn aggregate_mode_and_values_grouping() {
        let (s, _) = sql(json!({
            "model": "posts", "mode": "aggregate", "where": [],
            "aggregate": [["total", {"agg": "sum", "arg": {"f": "views"}, "distinct": false, "filter": {"leaf": ["likes__gt", {"p": 0}]}}],
                          ["tags", {"agg": "count", "arg": {"f": "tags"}, "distinct": true, "filter": null}]],
        }));
        assert_eq!(
            s,
            "SELECT sum(\"t0\".\"views\") FILTER (WHERE \"t0\".\"likes\" > ?1) AS \"total\", count(DISTINCT \"t1\".\"id\") AS \"tags\" \
             FROM \"posts\" AS \"t0\" LEFT JOIN \"post_tags\" AS \"j2\" ON \"j2\".\"post_id\" = \"t0\".\"id\" LEFT JOIN \"tags\" AS \"t1\" ON \"t1\".\"id\" = \"j2\".\"tag_id\""
        );
        let (s, _) = sql(json!({
            "model": "posts", "fields": ["author__email"],
            "annotate": [["total_views", {"agg": "sum", "arg": {"f": "views"}, "distinct": false, "filter": null}, true]],
        }));
        assert!(s.contains("GROUP BY \"t1\".\"email\""), "{s}");
        let err = compile(&catalog(), &json!({"model": "posts", "annotate": [["title", {"fn": "lower", "args": [{"f": "title"}]}, true]]})).unwrap_err();
        assert!(err.to_string().contains("conflicts with a field"), "{err}");
    }

    #[test]
    fn select_related_joins_and_prefixes_columns() {
        let (s, _) = sql(json!({"model": "posts", "related": ["editor"], "where": []}));
        assert!(s.ends_with(
            "\"t1\".\"id\" AS \"editor__id\", \"t1\".\"email\" AS \"editor__email\", \"t1\".\"name\" AS \"editor__name\", \"t1\".\"joined\" AS \"editor__joined\" \
             FROM \"posts\" AS \"t0\" LEFT JOIN \"users\" AS \"t1\" ON \"t1\".\"id\" = \"t0\".\"editor_id\""
        ), "{s}");
        let err = compile(
            &catalog(),
            &json!({"model": "users", "related": ["posts_by_author"]}),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("use prefetch('posts_by_author')"),
            "{err}"
        );
    }

    #[test]
    fn mistakes_are_field_errors_with_suggestions() {
        let cat = catalog();
        let err = compile(&cat, &json!({"model": "posts", "where": [{"filter": leaf("titel__icontains", json!({"p": 0}))}]})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "posts has no field 'titel'. Did you mean 'title'? Choices: id, author_id, editor_id, title, views, likes, created, author, editor, post_tags, tags"
        );
        let err = compile(&cat, &json!({"model": "posts", "where": [{"filter": leaf("title__icontain", json!({"p": 0}))}]})).unwrap_err();
        assert!(err.to_string().starts_with("unsupported lookup 'icontain' for posts.title in 'title__icontain'. Did you mean 'icontains'?"), "{err}");
        let err = compile(&cat, &json!({"model": "posts", "order": ["-autor__name"]})).unwrap_err();
        assert!(err.to_string().contains("Did you mean 'author'?"), "{err}");
        // Hostile keys never reach SQL: they are not names in the catalog.
        for key in [
            "title\"; DROP TABLE users; --",
            "title) OR 1=1 --",
            "__",
            "title__",
            "a__b__c__d",
        ] {
            assert!(
                compile(
                    &cat,
                    &json!({"model": "posts", "where": [{"filter": leaf(key, json!({"p": 0}))}]})
                )
                .is_err(),
                "{key}"
            );
        }
    }

    #[test]
    fn in_with_a_queryset_is_a_subquery_numbering_its_parameters_after_the_outer_ones() {
        let sub = json!({"model": "users", "fields": ["id"], "where": [{"filter": leaf("name__startswith", json!({"p": 1}))}]});
        let (s, binds) = sql(json!({
            "model": "posts", "fields": ["title"],
            "where": [{"filter": {"and": [leaf("views__gt", json!({"p": 0})), leaf("author__in", json!({"sub": sub})), leaf("likes", json!({"p": 2}))]}}],
        }));
        assert_eq!(
            s,
            "SELECT \"t0\".\"title\" AS \"title\" FROM \"posts\" AS \"t0\" WHERE ((\"t0\".\"views\" > ?1) AND (\"t0\".\"author_id\" IN (SELECT \"t0\".\"id\" AS \"id\" FROM \"users\" AS \"t0\" WHERE (noormme_startswith(\"t0\".\"name\", ?2)))) AND (\"t0\".\"likes\" = ?3))"
        );
        assert_eq!(binds, vec![0, 1, 2]);
        let two = json!({"model": "users", "fields": ["id", "name"]});
        let err = compile(&catalog(), &json!({"model": "posts", "where": [{"filter": leaf("author__in", json!({"sub": two}))}]})).unwrap_err();
        assert!(err.to_string().contains("needs exactly one"), "{err}");
    }

    #[test]
    fn bulk_insert_with_conflict_clauses() {
        let (s, binds) = sql(
            json!({"model": "tags", "mode": "bulk_insert", "fields": ["id", "name"], "rows": 2, "conflict": null}),
        );
        assert_eq!(
            s,
            "INSERT INTO \"tags\" (\"id\", \"name\") VALUES (?1, ?2), (?3, ?4) RETURNING \"meta\""
        );
        assert_eq!(binds, vec![0, 1, 2, 3]);
        // Every column given: nothing for the database to fill, no RETURNING.
        let (s, _) = sql(
            json!({"model": "tags", "mode": "bulk_insert", "fields": ["meta", "id", "name"], "rows": 1, "conflict": null}),
        );
        assert_eq!(
            s,
            "INSERT INTO \"tags\" (\"meta\", \"id\", \"name\") VALUES (?1, ?2, ?3)"
        );
        let (s, _) = sql(
            json!({"model": "tags", "mode": "bulk_insert", "fields": ["name"], "rows": 1, "conflict": {"ignore": true}}),
        );
        assert_eq!(s, "INSERT INTO \"tags\" (\"name\") VALUES (?1) ON CONFLICT DO NOTHING RETURNING \"id\", \"name\", \"meta\"");
        let (s, _) = sql(
            json!({"model": "users", "mode": "bulk_insert", "fields": ["email", "name"], "rows": 1, "conflict": {"update": ["name"], "unique": ["email"]}}),
        );
        assert_eq!(s, "INSERT INTO \"users\" (\"email\", \"name\") VALUES (?1, ?2) ON CONFLICT (\"email\") DO UPDATE SET \"name\" = excluded.\"name\" RETURNING \"id\", \"email\", \"name\", \"joined\"");
        for bad in [
            json!({"model": "users", "mode": "bulk_insert", "fields": ["email"], "rows": 1, "conflict": {"update": ["name"]}}),
            json!({"model": "users", "mode": "bulk_insert", "fields": ["email"], "rows": 1, "conflict": {"update": ["nmae"], "unique": ["email"]}}),
            json!({"model": "users", "mode": "bulk_insert", "fields": ["emial"], "rows": 1, "conflict": null}),
            json!({"model": "users", "mode": "bulk_insert", "fields": ["email"], "rows": 0, "conflict": null}),
            // Counts that would size an allocation past reason (or overflow).
            json!({"model": "users", "mode": "bulk_insert", "fields": ["email"], "rows": 1_000_000_000_000u64, "conflict": null}),
            json!({"model": "users", "mode": "bulk_insert", "fields": ["email", "name"], "rows": 16384, "conflict": null}),
            json!({"model": "users", "mode": "bulk_insert", "fields": ["email", "name"], "rows": u64::MAX, "conflict": null}),
        ] {
            assert!(compile(&catalog(), &bad).is_err(), "{bad}");
        }
        let most = json!({"model": "users", "mode": "bulk_insert", "fields": ["email", "name"], "rows": 16383, "conflict": null});
        assert_eq!(compile(&catalog(), &most).unwrap().binds.len(), 32766);
    }

    #[test]
    fn isnull_true_through_a_to_many_relation_matches_rows_without_related_rows() {
        let (s, binds) = sql(json!({
            "model": "users",
            "where": [{ "filter": leaf("posts_by_author__title__isnull", json!(true)) }],
        }));
        assert!(
            s.ends_with(
                "WHERE ((EXISTS (SELECT 1 FROM \"posts\" AS \"s1\" WHERE \"s1\".\"author_id\" = \"t0\".\"id\" AND \"s1\".\"title\" IS NULL) \
                 OR NOT EXISTS (SELECT 1 FROM \"posts\" AS \"s1\" WHERE \"s1\".\"author_id\" = \"t0\".\"id\")))"
            ),
            "{s}"
        );
        assert!(binds.is_empty());
        // With a condition NULLs cannot meet, only the EXISTS remains.
        let (s, _) = sql(json!({
            "model": "users",
            "where": [{ "filter": { "and": [leaf("posts_by_author__title__isnull", json!(true)), leaf("posts_by_author__views__gt", json!({"p": 0}))] } }],
        }));
        assert!(!s.contains("NOT EXISTS"), "{s}");
    }

    #[test]
    fn pk_names_the_one_column_primary_key_at_any_hop() {
        let (s, binds) = sql(json!({
            "model": "posts",
            "where": [{ "filter": { "and": [leaf("pk__gt", json!({"p": 0})), leaf("author__pk", json!({"p": 1}))] } }],
            "order": ["-pk"],
        }));
        assert!(
            s.ends_with(
                "WHERE ((\"t0\".\"id\" > ?1) AND (\"t1\".\"id\" = ?2)) ORDER BY \"t0\".\"id\" DESC"
            ),
            "{s}"
        );
        assert_eq!(binds, vec![0, 1]);
    }

    #[test]
    fn regex_lookups_and_json_key_paths() {
        let (s, binds) = sql(
            json!({"model": "tags", "fields": ["id"], "where": [{"filter": {"and": [
            leaf("name__regex", json!({"p": 0})), leaf("name__iregex", json!({"p": 1}))]}}]}),
        );
        assert_eq!(s, "SELECT \"t0\".\"id\" AS \"id\" FROM \"tags\" AS \"t0\" WHERE ((\"t0\".\"name\" REGEXP ?1) AND (\"t0\".\"name\" REGEXP ('(?i)' || ?2)))");
        assert_eq!(binds, vec![0, 1]);
        let (s, _) = sql(
            json!({"model": "tags", "fields": ["meta__owner__name"], "where": [{"filter": {"and": [
            leaf("meta__owner__name__icontains", json!({"p": 0})), leaf("meta__items__2", json!({"p": 1}))]}}], "order": ["-meta__rank"]}),
        );
        assert_eq!(s, "SELECT json_extract(\"t0\".\"meta\", '$.\"owner\".\"name\"') AS \"meta__owner__name\" FROM \"tags\" AS \"t0\" \
             WHERE ((noormme_contains(noormme_fold(json_extract(\"t0\".\"meta\", '$.\"owner\".\"name\"')), noormme_fold(?1))) AND (json_extract(\"t0\".\"meta\", '$.\"items\"[2]') = ?2)) \
             ORDER BY json_extract(\"t0\".\"meta\", '$.\"rank\"') DESC");
        // Key paths only on JSON columns, and only with safe key characters.
        assert!(compile(
            &catalog(),
            &json!({"model": "tags", "where": [{"filter": leaf("name__owner", json!({"p": 0}))}]})
        )
        .is_err());
        let err = compile(
            &catalog(),
            &json!({"model": "tags", "where": [{"filter": leaf("meta__a'b", json!({"p": 0}))}]}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("cannot be a key"), "{err}");
    }

    #[test]
    fn compiled_sql_runs_on_sqlite() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, joined INTEGER);
             CREATE TABLE posts(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES users(id), editor_id INTEGER REFERENCES users(id), title TEXT NOT NULL, views INT, likes INT, created DATETIME);
             CREATE TABLE tags(id INTEGER PRIMARY KEY, name TEXT);
             CREATE TABLE post_tags(post_id INTEGER REFERENCES posts(id), tag_id INTEGER REFERENCES tags(id), PRIMARY KEY (post_id, tag_id));").unwrap();
        let cat = catalog();
        for shape in [
            json!({"model": "users", "where": [{"filter": leaf("posts_by_author__tags__name", json!({"p": 0}))}]}),
            json!({"model": "posts", "mode": "count", "distinct": true, "where": [{"exclude": leaf("author__email__in", json!({"in_list": {"p": 0}}))}], "limit": 1}),
            json!({"model": "posts", "mode": "update", "where": [{"filter": leaf("editor__name", json!({"p": 0}))}], "set": {"likes": {"p": 1}}}),
            json!({"model": "posts", "mode": "delete", "where": [{"filter": leaf("author__in", json!({"sub": {"model": "users", "fields": ["id"], "where": [{"filter": leaf("posts_by_author__tags__name", json!({"p": 0}))}]}}))}]}),
            json!({"model": "users", "mode": "bulk_insert", "fields": ["email", "name"], "rows": 2, "conflict": {"update": ["name"], "unique": ["email"]}}),
        ] {
            let c = compile(&cat, &shape).unwrap();
            conn.prepare(&c.sql)
                .unwrap_or_else(|e| panic!("{e}: {}", c.sql));
        }
    }

    /// The names of the users a one-lookup filter on `name` finds, run on SQLite.
    fn names_where(lookup: &str, value: &str, names: &[&str]) -> Vec<String> {
        let conn = Connection::open_in_memory().unwrap();
        crate::functions::register(&conn).unwrap();
        conn.execute_batch("CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, joined INTEGER)")
            .unwrap();
        for (i, name) in names.iter().enumerate() {
            conn.execute(
                "INSERT INTO users(email, name) VALUES (?1, ?2)",
                rusqlite::params![i.to_string(), name],
            )
            .unwrap();
        }
        let c = compile(
            &catalog(),
            &json!({"model": "users", "fields": ["name"], "order": ["id"],
                    "where": [{"filter": leaf(&format!("name__{lookup}"), json!({"p": 0}))}]}),
        )
        .unwrap();
        let mut stmt = conn.prepare(&c.sql).unwrap();
        let rows = stmt.query_map([value], |r| r.get::<_, String>(0)).unwrap();
        rows.map(|r| r.unwrap()).collect()
    }

    #[test]
    fn text_lookups_count_nul_and_match_django() {
        let names = ["x\0y", "abc", "zzz", "Ab\0Zzz", ""];
        assert_eq!(
            names_where("endswith", "\0zzz", &names),
            Vec::<String>::new()
        );
        assert_eq!(names_where("iendswith", "\0zzz", &names), vec!["Ab\0Zzz"]);
        assert_eq!(names_where("startswith", "x\0", &names), vec!["x\0y"]);
        assert_eq!(names_where("istartswith", "AB\0", &names), vec!["Ab\0Zzz"]);
        assert_eq!(
            names_where("contains", "\0", &names),
            vec!["x\0y", "Ab\0Zzz"]
        );
        assert_eq!(names_where("icontains", "B\0z", &names), vec!["Ab\0Zzz"]);
        // Django: '' is in every non-null value.
        assert_eq!(names_where("contains", "", &names).len(), names.len());
        assert_eq!(names_where("endswith", "", &names).len(), names.len());
        // GLOB metacharacters are plain characters.
        assert_eq!(names_where("endswith", "*", &["a*", "ab"]), vec!["a*"]);
        assert_eq!(
            names_where("contains", "[b]", &["a[b]", "ab"]),
            vec!["a[b]"]
        );
    }

    #[test]
    fn a_long_endswith_on_a_long_row_is_answered() {
        // 8,000 characters against a 200 KB value: the GLOB this replaced
        // tried the pattern at every position (seconds on the JS thread).
        let row = "ab".repeat(100_000);
        let tail = "ab".repeat(4_000);
        let miss = format!("a{tail}");
        assert_eq!(names_where("endswith", &tail, &[&row]).len(), 1);
        assert_eq!(names_where("iendswith", &tail, &[&row]).len(), 1);
        assert!(names_where("endswith", &miss, &[&row]).is_empty());
        assert!(names_where("contains", &format!("{tail}c"), &[&row]).is_empty());
    }

    /// Shapes nested as deep as serde_json parses (128 levels), built as text.
    fn deepest_shapes() -> Vec<String> {
        let depth = 120;
        let wrap = |open: &str, inner: String, close: &str, n: usize| {
            format!("{}{inner}{}", open.repeat(n), close.repeat(n))
        };
        let leaf = r#"{"leaf": ["name__contains", {"p": 0}]}"#.to_string();
        let q = |q: String| format!(r#"{{"model": "users", "where": [{{"filter": {q}}}]}}"#);
        let expr = wrap(
            r#"{"op": "+", "r": {"p": 0}, "l": "#,
            r#"{"f": "id"}"#.into(),
            "}",
            depth,
        );
        let sub = wrap(
            r#"{"model": "users", "fields": ["id"], "where": [{"filter": {"leaf": ["id__in", {"sub": "#,
            r#"{"model": "users", "fields": ["id"]}"#.into(),
            "}]}}]}",
            depth / 6,
        );
        vec![
            q(wrap(r#"{"not": "#, leaf.clone(), "}", depth)),
            q(wrap(r#"{"or": ["#, leaf.clone(), "]}", depth / 2)),
            q(format!(r#"{{"leaf": ["id__gt", {expr}]}}"#)),
            sub,
        ]
    }

    #[test]
    fn the_deepest_parseable_shapes_compile_on_a_small_stack() {
        let cat = catalog();
        let shapes: Vec<Value> = deepest_shapes()
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect();
        // Smaller than any thread Node runs JS on (4 MB for a worker).
        let compiled = std::thread::Builder::new()
            .stack_size(1024 * 1024)
            .spawn(move || {
                shapes
                    .iter()
                    .map(|shape| compile(&cat, shape).map(|c| c.sql.len()))
                    .collect::<Vec<_>>()
            })
            .unwrap()
            .join()
            .unwrap();
        for result in compiled {
            assert!(result.unwrap() > 0);
        }
        // One level deeper than serde_json allows is a parse error, not a crash.
        let too_deep = format!("{}1{}", "[".repeat(129), "]".repeat(129));
        assert!(serde_json::from_str::<Value>(&too_deep).is_err());
    }
}
