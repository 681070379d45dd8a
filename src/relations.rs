//! Relations derived from foreign keys, and the rules that name them.
//!
//! Naming rules (documented in the README):
//! - Forward, one-column key: the column without its id suffix
//!   (`author_id` → `author`, `ArtistId` → `Artist`); a column with no such
//!   suffix gets `_rel` (`ReportsTo` → `ReportsTo_rel`). A composite key is
//!   named after its target table.
//! - Reverse, on the target: the source table's name (`users.posts`); when the
//!   source has several keys to the same target, `<source>_by_<forward>`
//!   (`posts_by_author`, `posts_by_editor`).
//! - Many-to-many through a junction table (its primary key or a full unique
//!   index is exactly two one-column foreign keys): the other table's name
//!   (`posts.tags`, `tags.posts`); for a junction from a table to itself, the
//!   forward names of its two keys.
//! - A name that clashes with a column or an earlier relation of the same
//!   table gets `_rel` (forward, many-to-many) or `_set` (reverse) appended
//!   until it is free.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::schema::Table;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// Many-to-one: this table holds the key.
    ForeignKey,
    /// One-to-one: this table holds a key that is also unique.
    OneToOne,
    /// One-to-many: the other table holds the key.
    Reverse,
    /// The other side of a one-to-one.
    ReverseOneToOne,
    ManyToMany,
}

impl RelationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::ForeignKey => "foreign_key",
            RelationKind::OneToOne => "one_to_one",
            RelationKind::Reverse => "reverse",
            RelationKind::ReverseOneToOne => "reverse_one_to_one",
            RelationKind::ManyToMany => "many_to_many",
        }
    }

    /// Whether following it can yield several rows.
    pub fn many(self) -> bool {
        matches!(self, RelationKind::Reverse | RelationKind::ManyToMany)
    }
}

#[derive(Debug, Clone)]
pub struct Through {
    pub table: String,
    /// Junction columns that point at the relation's own table.
    pub source_columns: Vec<String>,
    /// Junction columns that point at the relation's target.
    pub target_columns: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Relation {
    pub name: String,
    pub kind: RelationKind,
    pub table: String,
    pub target: String,
    /// Columns of `table` joined to `target_columns` of `target` (for
    /// many-to-many: the columns the junction refers to on each side).
    pub columns: Vec<String>,
    pub target_columns: Vec<String>,
    pub through: Option<Through>,
    /// A forward key with a nullable column: joins must be LEFT joins.
    pub nullable: bool,
    /// The name of the same relation seen from the target.
    pub related_name: String,
}

/// `{ table: { column-or-relation: { name?, related? } } }`
pub type Overrides = HashMap<String, HashMap<String, RenameTo>>;

#[derive(Debug, Clone, Default)]
pub struct RenameTo {
    pub name: Option<String>,
    pub related: Option<String>,
}

fn forward_name(column: &str) -> String {
    let lower = column.to_ascii_lowercase();
    if lower.len() > 3 && lower.ends_with("_id") {
        return column[..column.len() - 3].to_string();
    }
    let bytes = column.as_bytes();
    if column.len() > 2
        && (column.ends_with("Id") || column.ends_with("ID"))
        && bytes[column.len() - 3].is_ascii_lowercase()
    {
        return column[..column.len() - 2].to_string();
    }
    format!("{column}_rel")
}

struct Names<'a> {
    taken: HashMap<&'a str, Vec<String>>,
}

impl<'a> Names<'a> {
    fn new(tables: &'a [Table]) -> Self {
        let taken = tables
            .iter()
            .map(|t| {
                (
                    t.name.as_str(),
                    t.columns.iter().map(|c| c.name.clone()).collect(),
                )
            })
            .collect();
        Names { taken }
    }

    fn claim(&mut self, table: &str, wanted: String, suffix: &str) -> String {
        let taken = self.taken.get_mut(table).expect("known table");
        let mut name = wanted;
        while taken.iter().any(|t| t == &name) {
            name.push_str(suffix);
        }
        taken.push(name.clone());
        name
    }

    fn rename(&mut self, table: &str, old: &str, new: &str) -> Result<()> {
        let taken = self.taken.get_mut(table).expect("known table");
        if old != new && taken.iter().any(|t| t == new) {
            return Err(Error::usage(
                "RELATION_NAME_TAKEN",
                format!("cannot name a relation of {table} '{new}': a column or relation already has that name"),
            ));
        }
        if let Some(slot) = taken.iter_mut().find(|t| *t == old) {
            *slot = new.to_string();
        }
        Ok(())
    }
}

/// Every relation of every table, named by the rules above, then renamed by `overrides`.
pub fn derive(tables: &[Table], overrides: &Overrides) -> Result<Vec<Relation>> {
    let mut names = Names::new(tables);
    let mut relations: Vec<Relation> = Vec::new();
    let known = |name: &str| tables.iter().any(|t| t.name == name);

    // Forward relations, then reverse ones: forward names take precedence.
    for table in tables {
        for fk in &table.foreign_keys {
            if !known(&fk.target) || fk.target_columns.len() != fk.columns.len() {
                continue; // dangling or unresolvable key: SQLite allows it, we cannot join it
            }
            let target = tables.iter().find(|t| t.name == fk.target).expect("known");
            let one_to_one = table.is_unique(&fk.columns);
            let wanted = if fk.columns.len() == 1 {
                forward_name(&fk.columns[0])
            } else {
                fk.target.clone()
            };
            let name = names.claim(&table.name, wanted, "_rel");
            // SQLite lets primary-key columns of rowid tables hold NULL (a
            // documented quirk): only NOT NULL, the rowid itself and WITHOUT
            // ROWID keys are sure to be set.
            let nullable = fk.columns.iter().any(|c| {
                table.column(c).is_some_and(|c| {
                    !(c.not_null || c.rowid_alias || (table.without_rowid && c.pk_position > 0))
                })
            });
            relations.push(Relation {
                name,
                kind: if one_to_one {
                    RelationKind::OneToOne
                } else {
                    RelationKind::ForeignKey
                },
                table: table.name.clone(),
                target: target.name.clone(),
                columns: fk.columns.clone(),
                target_columns: fk.target_columns.clone(),
                through: None,
                nullable,
                related_name: String::new(),
            });
        }
    }
    let forward_count = relations.len();
    for i in 0..forward_count {
        let fwd = relations[i].clone();
        let siblings = relations[..forward_count]
            .iter()
            .filter(|r| r.table == fwd.table && r.target == fwd.target)
            .count();
        let wanted = if siblings > 1 {
            format!("{}_by_{}", fwd.table, fwd.name)
        } else {
            fwd.table.clone()
        };
        let name = names.claim(&fwd.target, wanted, "_set");
        relations[i].related_name = name.clone();
        relations.push(Relation {
            name,
            kind: if fwd.kind == RelationKind::OneToOne {
                RelationKind::ReverseOneToOne
            } else {
                RelationKind::Reverse
            },
            table: fwd.target.clone(),
            target: fwd.table.clone(),
            columns: fwd.target_columns.clone(),
            target_columns: fwd.columns.clone(),
            through: None,
            nullable: true,
            related_name: fwd.name.clone(),
        });
    }

    // Many-to-many through junction tables.
    for junction in tables {
        let keys: Vec<&Relation> = relations[..forward_count]
            .iter()
            .filter(|r| r.table == junction.name && r.columns.len() == 1)
            .collect();
        let mut found = None;
        for (a, first) in keys.iter().enumerate() {
            for second in keys.iter().skip(a + 1) {
                if junction.is_unique(&[first.columns[0].clone(), second.columns[0].clone()]) {
                    found = if found.is_none() {
                        Some((*first, *second))
                    } else {
                        None
                    };
                }
            }
        }
        let Some((left, right)) = found else { continue };
        let (left, right) = (left.clone(), right.clone());
        let self_join = left.target == right.target;
        let name_on_left = if self_join {
            right.name.clone()
        } else {
            right.target.clone()
        };
        let name_on_right = if self_join {
            left.name.clone()
        } else {
            left.target.clone()
        };
        let on_left = names.claim(&left.target, name_on_left, "_rel");
        let on_right = names.claim(&right.target, name_on_right, "_rel");
        for (side, other, name, related) in [
            (&left, &right, &on_left, &on_right),
            (&right, &left, &on_right, &on_left),
        ] {
            relations.push(Relation {
                name: name.clone(),
                kind: RelationKind::ManyToMany,
                table: side.target.clone(),
                target: other.target.clone(),
                columns: side.target_columns.clone(),
                target_columns: other.target_columns.clone(),
                through: Some(Through {
                    table: junction.name.clone(),
                    source_columns: side.columns.clone(),
                    target_columns: other.columns.clone(),
                }),
                nullable: true,
                related_name: related.clone(),
            });
        }
    }

    apply_overrides(tables, &mut relations, overrides, &mut names)?;
    Ok(relations)
}

fn apply_overrides(
    tables: &[Table],
    relations: &mut [Relation],
    overrides: &Overrides,
    names: &mut Names<'_>,
) -> Result<()> {
    let mut keys: Vec<(&String, &HashMap<String, RenameTo>)> = overrides.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));
    for (table, renames) in keys {
        if !tables.iter().any(|t| &t.name == table) {
            return Err(Error::usage(
                "UNKNOWN_TABLE",
                format!(
                    "relations override names table '{table}', which the database does not have"
                ),
            ));
        }
        let mut entries: Vec<(&String, &RenameTo)> = renames.iter().collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        for (key, rename) in entries {
            // A key is a foreign-key column (one-column keys) or a relation name.
            let index = relations
                .iter()
                .position(|r| {
                    &r.table == table
                        && matches!(r.kind, RelationKind::ForeignKey | RelationKind::OneToOne)
                        && r.columns.len() == 1
                        && &r.columns[0] == key
                })
                .or_else(|| {
                    relations
                        .iter()
                        .position(|r| &r.table == table && &r.name == key)
                });
            let Some(index) = index else {
                let options: Vec<String> = relations
                    .iter()
                    .filter(|r| &r.table == table)
                    .map(|r| r.name.clone())
                    .collect();
                return Err(Error::usage(
                    "UNKNOWN_RELATION",
                    format!(
                        "relations override for {table}: no foreign-key column or relation '{key}'. Relations of {table}: {}",
                        options.join(", ")
                    ),
                ));
            };
            let (old_name, old_related, target) = {
                let r = &relations[index];
                (r.name.clone(), r.related_name.clone(), r.target.clone())
            };
            let partner = relations.iter().position(|r| {
                r.table == target && r.name == old_related && r.related_name == old_name
            });
            if let Some(new) = &rename.name {
                names.rename(table, &old_name, new)?;
                relations[index].name = new.clone();
                if let Some(p) = partner {
                    relations[p].related_name = new.clone();
                }
            }
            if let Some(new) = &rename.related {
                let Some(p) = partner else { continue };
                names.rename(&target, &old_related, new)?;
                relations[p].name = new.clone();
                relations[index].related_name = new.clone();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::discover;
    use rusqlite::Connection;

    fn relations(ddl: &str, overrides: &Overrides) -> Result<Vec<Relation>> {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(ddl).unwrap();
        derive(&discover(&conn).unwrap(), overrides)
    }

    fn find<'a>(rels: &'a [Relation], table: &str, name: &str) -> &'a Relation {
        rels.iter()
            .find(|r| r.table == table && r.name == name)
            .unwrap_or_else(|| {
                panic!(
                    "no {table}.{name} in {:?}",
                    rels.iter()
                        .map(|r| format!("{}.{}", r.table, r.name))
                        .collect::<Vec<_>>()
                )
            })
    }

    const BLOG: &str = "
        CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE);
        CREATE TABLE profiles(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL UNIQUE REFERENCES users(id));
        CREATE TABLE posts(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES users(id), editor_id INTEGER REFERENCES users(id), author TEXT);
        CREATE TABLE tags(id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE post_tags(id INTEGER PRIMARY KEY, post_id INTEGER NOT NULL REFERENCES posts(id), tag_id INTEGER NOT NULL REFERENCES tags(id), added TEXT, UNIQUE(post_id, tag_id));
        CREATE TABLE employees(EmployeeId INTEGER PRIMARY KEY, ReportsTo INTEGER REFERENCES employees(EmployeeId));
    ";

    #[test]
    fn names_follow_the_documented_rules() {
        let rels = relations(BLOG, &Overrides::new()).unwrap();
        // `author` is a column of posts, so the relation moves aside.
        let author = find(&rels, "posts", "author_rel");
        assert_eq!(
            (author.kind, author.nullable),
            (RelationKind::ForeignKey, false)
        );
        assert!(find(&rels, "posts", "editor").nullable);
        assert_eq!(
            find(&rels, "users", "posts_by_author_rel").kind,
            RelationKind::Reverse
        );
        assert_eq!(
            find(&rels, "users", "posts_by_editor").related_name,
            "editor"
        );
        assert_eq!(find(&rels, "profiles", "user").kind, RelationKind::OneToOne);
        assert_eq!(
            find(&rels, "users", "profiles").kind,
            RelationKind::ReverseOneToOne
        );
        let tags = find(&rels, "posts", "tags");
        assert_eq!(tags.kind, RelationKind::ManyToMany);
        let through = tags.through.as_ref().unwrap();
        assert_eq!(
            (through.table.as_str(), through.source_columns.clone()),
            ("post_tags", vec!["post_id".to_string()])
        );
        assert_eq!(find(&rels, "tags", "posts").related_name, "tags");
        let boss = find(&rels, "employees", "ReportsTo_rel");
        assert_eq!(boss.target, "employees");
        assert_eq!(
            find(&rels, "employees", "employees").related_name,
            "ReportsTo_rel"
        );
    }

    #[test]
    fn overrides_rename_both_sides_and_report_mistakes() {
        let mut o = Overrides::new();
        o.entry("posts".into()).or_default().insert(
            "author_id".into(),
            RenameTo {
                name: Some("writer".into()),
                related: Some("articles".into()),
            },
        );
        let rels = relations(BLOG, &o).unwrap();
        assert_eq!(find(&rels, "posts", "writer").related_name, "articles");
        assert_eq!(find(&rels, "users", "articles").related_name, "writer");

        let mut bad = Overrides::new();
        bad.entry("posts".into())
            .or_default()
            .insert("auther_id".into(), RenameTo::default());
        let err = relations(BLOG, &bad).unwrap_err();
        assert!(
            err.to_string()
                .contains("Relations of posts: author_rel, editor"),
            "{err}"
        );
        let mut clash = Overrides::new();
        clash.entry("posts".into()).or_default().insert(
            "editor_id".into(),
            RenameTo {
                name: Some("author".into()),
                related: None,
            },
        );
        assert!(matches!(
            relations(BLOG, &clash),
            Err(Error::Usage {
                code: "RELATION_NAME_TAKEN",
                ..
            })
        ));
    }

    #[test]
    fn a_table_with_one_key_column_pair_but_no_unique_is_not_a_junction() {
        let rels = relations(
            "CREATE TABLE a(id INTEGER PRIMARY KEY); CREATE TABLE b(id INTEGER PRIMARY KEY);
             CREATE TABLE log(id INTEGER PRIMARY KEY, a_id INT REFERENCES a, b_id INT REFERENCES b);",
            &Overrides::new(),
        )
        .unwrap();
        assert!(!rels.iter().any(|r| r.kind == RelationKind::ManyToMany));
    }
}
