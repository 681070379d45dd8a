//! The discovered schema as a whole — tables, value policies and relations,
//! after the user's overrides — and its JSON form (`db.schema()`).

use std::collections::HashMap;

use rusqlite::Connection;
use serde_json::{json, Map, Value};

use crate::error::{Error, Result};
use crate::policy::{self, DateStorage, Decision, Policy};
use crate::relations::{self, Overrides, Relation, RenameTo};
use crate::schema::{self, Table};

pub struct Catalog {
    pub tables: Vec<Table>,
    /// Per table, per column (same order as `Table::columns`).
    pub policies: Vec<Vec<Decision>>,
    pub relations: Vec<Relation>,
}

/// What the user may override, parsed from the constructor's options.
#[derive(Default)]
pub struct CatalogOptions {
    pub relations: Overrides,
    /// table → column → policy
    pub columns: HashMap<String, HashMap<String, Policy>>,
    pub decimal_as_string: bool,
}

impl CatalogOptions {
    pub fn from_json(text: &str) -> Result<CatalogOptions> {
        let value: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(text)
                .map_err(|e| Error::usage("INVALID_OPTION", format!("schema options: {e}")))?
        };
        let mut out = CatalogOptions {
            decimal_as_string: value
                .get("decimalAsString")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            ..Default::default()
        };
        if let Some(tables) = value.get("relations").and_then(Value::as_object) {
            for (table, renames) in tables {
                let entry = out.relations.entry(table.clone()).or_default();
                for (key, rename) in renames.as_object().into_iter().flatten() {
                    let text = |k: &str| rename.get(k).and_then(Value::as_str).map(str::to_owned);
                    entry.insert(
                        key.clone(),
                        RenameTo {
                            name: text("name"),
                            related: text("related"),
                        },
                    );
                }
            }
        }
        if let Some(tables) = value.get("columns").and_then(Value::as_object) {
            for (table, columns) in tables {
                let entry = out.columns.entry(table.clone()).or_default();
                for (column, spec) in columns.as_object().into_iter().flatten() {
                    entry.insert(column.clone(), policy_from_json(table, column, spec)?);
                }
            }
        }
        Ok(out)
    }
}

fn policy_from_json(table: &str, column: &str, spec: &Value) -> Result<Policy> {
    let (name, storage) = match spec {
        Value::String(s) => (s.as_str(), None),
        Value::Object(o) => (
            o.get("policy").and_then(Value::as_str).unwrap_or(""),
            o.get("storage").and_then(Value::as_str),
        ),
        _ => ("", None),
    };
    let storage = match storage {
        None => None,
        Some("date") => Some(DateStorage::DateOnly),
        Some("iso") => Some(DateStorage::Iso { separator: ' ', seconds: true, fraction: None, zone: String::new() }),
        Some("iso-t") => Some(DateStorage::Iso { separator: 'T', seconds: true, fraction: Some(3), zone: "Z".into() }),
        Some("unix") => Some(DateStorage::UnixSeconds),
        Some("unix_ms") => Some(DateStorage::UnixMillis),
        Some("julian") => Some(DateStorage::JulianDay),
        Some(other) => {
            return Err(Error::usage(
                "INVALID_OPTION",
                format!("columns.{table}.{column}: unknown storage '{other}' (date, iso, iso-t, unix, unix_ms, julian)"),
            ))
        }
    };
    Ok(match name {
        "integer" => Policy::Integer,
        "real" => Policy::Real,
        "text" => Policy::Text,
        "blob" => Policy::Blob,
        "any" => Policy::Any,
        "numeric" => Policy::Numeric,
        "boolean" => Policy::Boolean,
        "json" => Policy::Json,
        "decimal" => Policy::Decimal { as_string: false },
        "decimal-string" => Policy::Decimal { as_string: true },
        "date" => Policy::Date(storage.unwrap_or(DateStorage::DateOnly)),
        "datetime" => Policy::DateTime(storage.unwrap_or(DateStorage::Iso {
            separator: ' ',
            seconds: true,
            fraction: None,
            zone: String::new(),
        })),
        other => {
            return Err(Error::usage(
                "INVALID_OPTION",
                format!(
                    "columns.{table}.{column}: unknown policy '{other}' (integer, real, text, blob, any, numeric, boolean, json, decimal, decimal-string, date, datetime)"
                ),
            ))
        }
    })
}

impl Catalog {
    pub fn discover(conn: &Connection, options: &CatalogOptions) -> Result<Catalog> {
        let tables = schema::discover(conn)?;
        let mut policies = Vec::with_capacity(tables.len());
        for table in &tables {
            let overrides = options.columns.get(&table.name);
            let mut decisions = Vec::with_capacity(table.columns.len());
            for column in &table.columns {
                let decided = match overrides.and_then(|o| o.get(&column.name)) {
                    Some(p) => Decision {
                        policy: p.clone(),
                        note: Some("set in options".into()),
                    },
                    None => policy::decide(conn, table, column)?,
                };
                decisions.push(match decided.policy {
                    Policy::Decimal { .. } if options.decimal_as_string => Decision {
                        policy: Policy::Decimal { as_string: true },
                        ..decided
                    },
                    _ => decided,
                });
            }
            policies.push(decisions);
        }
        for (table, columns) in &options.columns {
            let Some(t) = tables.iter().find(|t| &t.name == table) else {
                return Err(Error::usage(
                    "UNKNOWN_TABLE",
                    format!(
                        "columns option names table '{table}', which the database does not have"
                    ),
                ));
            };
            if let Some(missing) = columns.keys().find(|c| t.column(c).is_none()) {
                return Err(Error::usage(
                    "UNKNOWN_COLUMN",
                    format!("columns option names {table}.{missing}, which does not exist"),
                ));
            }
        }
        let relations = relations::derive(&tables, &options.relations)?;
        Ok(Catalog {
            tables,
            policies,
            relations,
        })
    }

    pub fn to_json(&self) -> Value {
        let tables: Vec<Value> = self
            .tables
            .iter()
            .zip(&self.policies)
            .map(|(t, decisions)| table_json(t, decisions, &self.relations))
            .collect();
        json!({ "tables": tables })
    }
}

fn storage_json(storage: &DateStorage) -> Value {
    match storage {
        DateStorage::DateOnly => json!({ "kind": "date" }),
        DateStorage::Iso {
            separator,
            seconds,
            fraction,
            zone,
        } => json!({
            "kind": "iso", "separator": separator.to_string(), "seconds": seconds, "fraction": fraction, "zone": zone
        }),
        DateStorage::UnixSeconds => json!({ "kind": "unix" }),
        DateStorage::UnixMillis => json!({ "kind": "unix_ms" }),
        DateStorage::JulianDay => json!({ "kind": "julian" }),
    }
}

fn table_json(t: &Table, decisions: &[Decision], relations: &[Relation]) -> Value {
    let unique_sets = t.unique_sets();
    let columns: Vec<Value> = t
        .columns
        .iter()
        .zip(decisions)
        .map(|(c, d)| {
            let mut o = Map::new();
            o.insert("name".into(), c.name.clone().into());
            o.insert("declaredType".into(), c.declared_type.clone().into());
            o.insert("affinity".into(), c.affinity.as_str().into());
            o.insert("notNull".into(), c.not_null.into());
            o.insert("default".into(), c.default.clone().into());
            o.insert("primaryKey".into(), c.pk_position.into());
            o.insert("rowidAlias".into(), c.rowid_alias.into());
            o.insert("generated".into(), c.generated.into());
            o.insert("hidden".into(), c.hidden.into());
            o.insert(
                "unique".into(),
                unique_sets
                    .iter()
                    .any(|s| s.len() == 1 && s[0] == c.name)
                    .into(),
            );
            o.insert(
                "readOnly".into(),
                (c.generated.is_some() || c.hidden || t.kind == schema::TableKind::View).into(),
            );
            // Optional on insert: has a default, is the rowid, may be NULL, or is computed.
            let optional =
                c.default.is_some() || c.rowid_alias || !c.not_null || c.generated.is_some();
            o.insert("optionalOnInsert".into(), optional.into());
            o.insert("policy".into(), d.policy.name().into());
            o.insert(
                "storage".into(),
                d.policy.storage().map_or(Value::Null, storage_json),
            );
            o.insert(
                "decimalAsString".into(),
                matches!(d.policy, Policy::Decimal { as_string: true }).into(),
            );
            o.insert("jsType".into(), d.policy.ts_type().into());
            o.insert("note".into(), d.note.clone().into());
            Value::Object(o)
        })
        .collect();
    let identity: Value = if t.kind == schema::TableKind::View {
        Value::Null
    } else if !t.primary_key.is_empty() {
        json!(t.primary_key)
    } else if t.has_rowid {
        json!(["rowid"])
    } else {
        Value::Null
    };
    let rels: Vec<Value> = relations
        .iter()
        .filter(|r| r.table == t.name)
        .map(|r| {
            json!({
                "name": r.name,
                "kind": r.kind.as_str(),
                "many": r.kind.many(),
                "target": r.target,
                "columns": r.columns,
                "targetColumns": r.target_columns,
                "through": r.through.as_ref().map(|th| json!({
                    "table": th.table, "sourceColumns": th.source_columns, "targetColumns": th.target_columns
                })),
                "nullable": r.nullable,
                "relatedName": r.related_name,
            })
        })
        .collect();
    json!({
        "name": t.name,
        "kind": t.kind.as_str(),
        "module": t.module,
        "strict": t.strict,
        "withoutRowid": t.without_rowid,
        "hasRowid": t.has_rowid,
        "autoincrement": t.autoincrement,
        "writable": t.writable(),
        "primaryKey": t.primary_key,
        "identity": identity,
        "columns": columns,
        "foreignKeys": t.foreign_keys.iter().map(|fk| json!({
            "columns": fk.columns, "target": fk.target, "targetColumns": fk.target_columns,
            "onUpdate": fk.on_update, "onDelete": fk.on_delete
        })).collect::<Vec<_>>(),
        "indexes": t.indexes.iter().map(|i| json!({
            "name": i.name, "unique": i.unique, "partial": i.partial, "origin": i.origin, "columns": i.columns
        })).collect::<Vec<_>>(),
        "uniqueTogether": unique_sets,
        "checks": t.checks,
        "relations": rels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_override_policies_and_names_and_reject_unknowns() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE users(id INTEGER PRIMARY KEY, joined INTEGER, price DECIMAL(8,2));
             CREATE TABLE posts(id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES users(id));",
        )
        .unwrap();
        let options = CatalogOptions::from_json(
            r#"{"columns": {"users": {"joined": {"policy": "datetime", "storage": "unix"}}},
                "relations": {"posts": {"author_id": {"name": "writer", "related": "articles"}}},
                "decimalAsString": true}"#,
        )
        .unwrap();
        let catalog = Catalog::discover(&conn, &options).unwrap();
        let json = catalog.to_json();
        let users = &json["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "users")
            .unwrap();
        let joined = users["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "joined")
            .unwrap();
        assert_eq!(joined["policy"], "datetime");
        assert_eq!(joined["storage"]["kind"], "unix");
        let price = users["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "price")
            .unwrap();
        assert_eq!(
            (price["policy"].as_str(), price["jsType"].as_str()),
            (Some("decimal"), Some("string"))
        );
        assert_eq!(users["relations"][0]["name"], "articles");
        assert_eq!(users["identity"], json!(["id"]));

        for bad in [
            r#"{"columns": {"users": {"nope": "boolean"}}}"#,
            r#"{"columns": {"ghosts": {"x": "boolean"}}}"#,
            r#"{"columns": {"users": {"joined": "calendar"}}}"#,
        ] {
            let options = CatalogOptions::from_json(bad);
            let result = options.and_then(|o| Catalog::discover(&conn, &o).map(|_| ()));
            assert!(matches!(result, Err(Error::Usage { .. })), "{bad}");
        }
    }
}
