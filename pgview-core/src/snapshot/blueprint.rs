//! [`Blueprint`]: how to create one view as a target state holds it, with everything that must
//! come back with it (indexes, comments, owner, grants, triggers, rules, column defaults).

use std::collections::BTreeMap;

use crate::ddl::{statement_sql, CreateIndexAs, DropIndex, RenameIndex, RevokeFromOwner};
use crate::ddl::{
    CommentOn, CommentTarget, CreateIndex, CreateMaterializedView, CreateView,
    DropMaterializedView, DropView, Grant, Grantee, Privilege, RenameMaterializedView,
    SetMaterializedViewOwner, SetViewOwner,
};
use crate::definition::option_name_parts;
use crate::definition::{
    checked_query, AnyView, CheckOption, ColumnComment, Common, Index, MaterializedView, Origin,
    StorageParameter, View,
};
use crate::error::{Error, RelationKind, Result};
use crate::ident::{Ident, QualifiedName, MAX_IDENTIFIER_BYTES};
use crate::lexer::query::independent_of_standard_strings;

use super::state::{split_option, Acl, IndexState, ViewState};

/// Where the definition a view is created from comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The definition the application declares (in the [`ViewSet`](crate::ViewSet)).
    Declared,
    /// The definition the database holds (`pg_get_viewdef` and the catalog): for views the
    /// application does not declare, and for every view the down migration restores.
    Catalog,
}

impl Source {
    /// `declared` or `catalog`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Declared => "declared",
            Self::Catalog => "catalog",
        }
    }
}

/// An index to create with a view.
#[derive(Debug, Clone)]
pub(crate) enum IndexBlueprint {
    /// Declared on the materialized view.
    Declared(Index),
    /// Read from the catalog.
    Catalog {
        name: Ident,
        unique: bool,
        /// `pg_get_indexdef`.
        definition: String,
        /// See [`IndexState::tail`].
        tail: Option<String>,
    },
}

impl IndexBlueprint {
    fn name(&self) -> &str {
        match self {
            Self::Declared(index) => index.name().map_or("", Ident::as_str),
            Self::Catalog { name, .. } => name.as_str(),
        }
    }

    /// The statement creating it on `relation`, named `name` (its own name by default).
    fn create(&self, relation: &QualifiedName, name: Option<&Ident>) -> Option<String> {
        match self {
            Self::Declared(index) => {
                let mut index = index.clone();
                if let Some(name) = name {
                    index.name = Some(name.clone());
                }
                Some(statement_sql(&CreateIndex::new(relation, &index)))
            }
            Self::Catalog {
                name: own,
                unique,
                definition,
                tail,
            } => match (tail, name) {
                (Some(tail), _) => Some(statement_sql(&CreateIndexAs {
                    name: name.unwrap_or(own).clone(),
                    unique: *unique,
                    relation: relation.clone(),
                    tail: tail.clone(),
                })),
                (None, None) => Some(definition.clone()),
                (None, Some(_)) => None,
            },
        }
    }
}

/// Everything needed to create one view of a target state.
#[derive(Debug, Clone)]
pub(crate) struct Blueprint {
    pub(crate) name: QualifiedName,
    /// The definition, with its comments (and for a declared materialized view its indexes).
    pub(crate) def: AnyView,
    pub(crate) source: Source,
    /// Whether a materialized view is created `WITH DATA`.
    pub(crate) populated: bool,
    pub(crate) indexes: Vec<IndexBlueprint>,
    /// The owner, when it is not the role running the comparison.
    pub(crate) owner: Option<Ident>,
    pub(crate) revoke: Option<RevokeFromOwner>,
    pub(crate) grants: Vec<Grant>,
    /// Triggers, rules and column defaults, as the catalog writes them.
    pub(crate) extras: Vec<String>,
}

impl Blueprint {
    /// The blueprint of `state`: created from `declared` when given, else from the catalog.
    /// `keep` is the live state of the same view, whose owner, grants and extras the view keeps
    /// when it is re-created.
    pub(crate) fn new(
        state: &ViewState,
        declared: Option<&AnyView>,
        keep: Option<&ViewState>,
        current_user: &str,
    ) -> Result<Self> {
        let name = qualified(&state.key.0, &state.key.1)?;
        let kept = keep.unwrap_or(state);
        let (def, source, indexes) = match declared {
            Some(def) => {
                let indexes = match def {
                    AnyView::Materialized(mv) => mv
                        .indexes()
                        .iter()
                        .cloned()
                        .map(IndexBlueprint::Declared)
                        .collect(),
                    AnyView::View(_) => Vec::new(),
                };
                (def.clone(), Source::Declared, indexes)
            }
            None => (
                catalog_definition(state, name.clone())?,
                Source::Catalog,
                catalog_indexes(&state.indexes)?,
            ),
        };
        let owner = if keep.is_some() && kept.owner != current_user {
            Some(Ident::new(&kept.owner)?)
        } else {
            None
        };
        let (revoke, grants) = acl_statements(&name, &kept.owner, &kept.acl)?;
        Ok(Self {
            name,
            def,
            source,
            populated: state.populated,
            indexes,
            owner,
            revoke,
            grants,
            // Server text, made in this session: written to read the same in every one (a
            // migration file may run with another `standard_conforming_strings`).
            extras: if keep.is_some() {
                kept.extras
                    .iter()
                    .map(|extra| independent_of_standard_strings(extra).into_owned())
                    .collect()
            } else {
                Vec::new()
            },
        })
    }

    pub(crate) fn is_materialized(&self) -> bool {
        self.def.is_materialized()
    }

    /// The definition alone: no comment, no index.
    fn bare(&self) -> AnyView {
        bare(&self.def)
    }

    /// `CREATE [MATERIALIZED] VIEW` alone, under `name`.
    fn create_sql(&self, name: &QualifiedName) -> String {
        let mut def = self.bare();
        match &mut def {
            AnyView::View(v) => {
                v.common.name = name.clone();
                statement_sql(&CreateView::new(v))
            }
            AnyView::Materialized(v) => {
                v.common.name = name.clone();
                let create = CreateMaterializedView::new(v);
                statement_sql(&if self.populated {
                    create.with_data()
                } else {
                    create.with_no_data()
                })
            }
        }
    }

    /// The statements creating the view with everything it has.
    pub(crate) fn create_statements(&self) -> Vec<String> {
        let mut sql = vec![self.create_sql(&self.name)];
        sql.extend(
            self.indexes
                .iter()
                .filter_map(|index| index.create(&self.name, None)),
        );
        sql.extend(self.finishing_statements());
        sql
    }

    /// What follows the creation and the indexes: comments, owner, privileges, extras.
    fn finishing_statements(&self) -> Vec<String> {
        let mut sql: Vec<String> = self
            .comment_statements()
            .iter()
            .map(|c| statement_sql(c))
            .collect();
        if let Some(owner) = &self.owner {
            sql.push(if self.is_materialized() {
                statement_sql(&SetMaterializedViewOwner::new(
                    self.name.clone(),
                    owner.clone(),
                ))
            } else {
                statement_sql(&SetViewOwner::new(self.name.clone(), owner.clone()))
            });
        }
        sql.extend(self.revoke.iter().map(|r| statement_sql(r)));
        sql.extend(self.grants.iter().map(|g| statement_sql(g)));
        sql.extend(self.extras.iter().cloned());
        sql
    }

    /// The comments, as the definition states them.
    pub(crate) fn comment_statements(&self) -> Vec<CommentOn> {
        match &self.def {
            AnyView::View(v) => v.comment_statements(),
            AnyView::Materialized(v) => v.comment_statements(),
        }
    }

    /// `CREATE OR REPLACE VIEW`, options re-stated (plain views).
    pub(crate) fn replace_sql(&self) -> String {
        match self.bare() {
            AnyView::View(v) => statement_sql(&CreateView::new(&v).or_replace()),
            AnyView::Materialized(_) => self.create_sql(&self.name),
        }
    }

    /// The statement creating the index `name` of this view.
    pub(crate) fn index_sql(&self, name: &str) -> Option<String> {
        self.indexes
            .iter()
            .find(|index| index.name() == name)
            .and_then(|index| index.create(&self.name, None))
    }

    /// The statements setting `comment` (on the view or a column) as this view states it.
    pub(crate) fn comment_sql(&self, column: Option<&str>) -> Option<String> {
        let common = match &self.def {
            AnyView::View(v) => &v.common,
            AnyView::Materialized(v) => &v.common,
        };
        let statement = match column {
            None => {
                let target = if self.is_materialized() {
                    CommentTarget::MaterializedView(self.name.clone())
                } else {
                    CommentTarget::View(self.name.clone())
                };
                CommentOn::new(target, common.comment.as_deref())
            }
            Some(column) => {
                let text = common
                    .column_comments
                    .iter()
                    .find(|c| c.column.as_str() == column)
                    .map(|c| c.comment.as_str());
                let column = Ident::new(column).ok()?;
                CommentOn::new(CommentTarget::Column(self.name.clone(), column), text)
            }
        };
        Some(statement_sql(&statement))
    }

    /// A materialized view built beside the live one and swapped in by renaming, so that
    /// readers keep reading the old one until the swap: create under a temporary name (with
    /// its indexes under temporary names), rename the old one away, rename the new one in,
    /// drop the old one, give the indexes their names, then comments, owner, privileges.
    ///
    /// `None` when an index cannot be re-created under another name.
    pub(crate) fn swap_statements(&self) -> Option<Vec<String>> {
        let schema = self.name.schema().cloned();
        let temp_name = |name: &str, suffix: &str| temporary_name(name, suffix);
        let new_rel = Ident::new(&temp_name(self.name.name().as_str(), "new")).ok()?;
        let old_rel = Ident::new(&temp_name(self.name.name().as_str(), "old")).ok()?;
        let new_name = with_name(schema.as_ref(), &new_rel)?;
        let old_name = with_name(schema.as_ref(), &old_rel)?;
        let mut sql = vec![self.create_sql(&new_name)];
        let mut renames = Vec::new();
        for index in &self.indexes {
            let final_name = Ident::new(index.name()).ok()?;
            let temp = Ident::new(&temp_name(index.name(), "new")).ok()?;
            sql.push(index.create(&new_name, Some(&temp))?);
            renames.push(statement_sql(&RenameIndex {
                name: with_name(schema.as_ref(), &temp)?,
                new_name: final_name,
            }));
        }
        sql.push(statement_sql(&RenameMaterializedView::new(
            self.name.clone(),
            old_rel,
        )));
        sql.push(statement_sql(&RenameMaterializedView::new(
            new_name,
            self.name.name().clone(),
        )));
        sql.push(statement_sql(&DropMaterializedView::new(old_name)));
        sql.extend(renames);
        sql.extend(self.finishing_statements());
        Some(sql)
    }
}

/// `def` alone: no comment, no index.
fn bare(def: &AnyView) -> AnyView {
    let mut def = def.clone();
    let common = match &mut def {
        AnyView::View(v) => &mut v.common,
        AnyView::Materialized(v) => {
            v.indexes.clear();
            &mut v.common
        }
    };
    common.comment = None;
    common.column_comments.clear();
    def
}

/// The statements creating `def` in the normalisation transaction, separated by `;`: the view
/// (a materialized view `WITH NO DATA`: its data is not compared), its indexes, its comments.
pub(crate) fn normalization_sql(def: &AnyView) -> String {
    let mut sql = match bare(def) {
        AnyView::View(v) => vec![statement_sql(&CreateView::new(&v))],
        AnyView::Materialized(v) => {
            vec![statement_sql(
                &CreateMaterializedView::new(&v).with_no_data(),
            )]
        }
    };
    let comments = match def {
        AnyView::View(v) => v.comment_statements(),
        AnyView::Materialized(v) => {
            sql.extend(v.create_indexes().iter().map(|i| statement_sql(i)));
            v.comment_statements()
        }
    };
    sql.extend(comments.iter().map(|c| statement_sql(c)));
    sql.join(";\n")
}

/// A declared materialized view that the comparison creates as a *proxy* (see
/// [`proxy_normalization_sql`]): its indexes are on a temporary table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proxy {
    /// The temporary table, as `to_regclass` reads it (`pg_temp.pgview_proxy_T_N`).
    pub(crate) table: String,
    /// The declared names of its indexes, in order: the `i`-th is created on the table as
    /// `pgview_proxy_T_N_i` (declared names could collide in the session's one temporary
    /// schema: two materialized views of two schemas, or the caller's own temporary objects).
    pub(crate) index_names: Vec<String>,
}

/// Whether the declared materialized view `view` can be normalised as a proxy: no storage
/// parameter and no tablespace (a plain view has neither; both would be read back from it).
pub(crate) fn proxy_fits(view: &MaterializedView) -> bool {
    view.storage.is_empty() && view.tablespace.is_none()
}

/// A token of one comparison, for the names of its proxies (`pgview_proxy_T_N`): random, so
/// that no other object of the session's temporary schema has them (the caller's own
/// temporary tables are there too). One that did would make the view it stands for fail to
/// be created, its error naming the proxy: never another comparison.
pub(crate) fn proxy_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{:012x}", hasher.finish() >> 16)
}

/// The statements that create the declared materialized view `view` in the normalisation as
/// a *proxy* (the comparison's token `token`, proxy number `n`, unique in the comparison: see
/// [`proxy_token`]): a plain view of the same query,
/// with the same columns and comments, and its indexes on a temporary table with the view's
/// columns and no rows (`CREATE TEMPORARY TABLE … AS SELECT * FROM view WITH NO DATA`, which
/// refuses what `CREATE MATERIALIZED VIEW` refuses of the columns, such as a system column's
/// name). What the state query reads of it is what the materialized view would give (see
/// `sql/state.sql`: its kind, not populated, the indexes as if on the view), at a fraction of
/// the cost: a materialized view's heap, TOAST table and index files are created, each index
/// built and synced to disk (PostgreSQL up to 16), and unlinked when its batch is rolled back;
/// a temporary table's are local to the session, never written to the WAL nor synced.
///
/// The comparison uses proxies only where a plain view in place of the materialized view
/// changes nothing for the views created on it (see `Comparison::start_batches`). A
/// materialized view whose query the server refuses as such but accepts in a plain view fails
/// later, when the migration runs (one that reads a temporary table fails here too, with
/// another message).
///
/// # Errors
/// An index name that is not a valid identifier (never: `pgview_proxy_T_N_i`).
pub(crate) fn proxy_normalization_sql(
    view: &MaterializedView,
    token: &str,
    n: usize,
) -> Result<(String, Proxy)> {
    let plain = View::with_common(view.common.clone());
    let mut bare_view = plain.clone();
    bare_view.common.comment = None;
    bare_view.common.column_comments.clear();
    let mut sql = vec![statement_sql(&CreateView::new(&bare_view))];
    let table_name = format!("pgview_proxy_{token}_{n}");
    let table = QualifiedName::new(Some("pg_temp"), &table_name)?;
    sql.push(format!(
        "CREATE TEMPORARY TABLE {table} AS SELECT * FROM {} WITH NO DATA",
        view.name()
    ));
    let mut index_names = Vec::with_capacity(view.indexes.len());
    for (i, index) in view.indexes.iter().enumerate() {
        let renamed = index.clone().named(&format!("{table_name}_{i}"))?;
        sql.push(statement_sql(&CreateIndex::new(&table, &renamed)));
        index_names.push(
            index
                .name()
                .map(|n| n.as_str().to_owned())
                .unwrap_or_default(),
        );
    }
    sql.extend(plain.comment_statements().iter().map(|c| statement_sql(c)));
    Ok((
        sql.join(";\n"),
        Proxy {
            table: format!("pg_temp.{table_name}"),
            index_names,
        },
    ))
}

/// `DROP VIEW name` or `DROP MATERIALIZED VIEW name` (never `CASCADE`).
pub(crate) fn drop_sql(name: &QualifiedName, materialized: bool) -> String {
    if materialized {
        statement_sql(&DropMaterializedView::new(name.clone()))
    } else {
        statement_sql(&DropView::new(name.clone()))
    }
}

/// `DROP INDEX schema.name`.
pub(crate) fn drop_index_sql(view: &QualifiedName, index: &str) -> Option<String> {
    let index = Ident::new(index).ok()?;
    Some(statement_sql(&DropIndex {
        name: with_name(view.schema(), &index)?,
    }))
}

/// `schema.name` (both parts are valid identifiers already, so this is always `Some`).
fn with_name(schema: Option<&Ident>, name: &Ident) -> Option<QualifiedName> {
    QualifiedName::new(schema.map(Ident::as_str), name.as_str()).ok()
}

/// `name` with `__pgview_<suffix>` appended, shortened (at a character boundary) so that the
/// result fits in 63 bytes.
pub(crate) fn temporary_name(name: &str, suffix: &str) -> String {
    let suffix = format!("__pgview_{suffix}");
    let mut end = name.len().min(MAX_IDENTIFIER_BYTES - suffix.len());
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{suffix}", &name[..end])
}

/// A qualified name from catalog text.
pub(crate) fn qualified(schema: &str, name: &str) -> Result<QualifiedName> {
    QualifiedName::new(Some(schema), name)
}

/// The definition of a view as the catalog holds it (`state` read with an empty
/// `search_path`, so every name in it is qualified), named `name`.
///
/// The server's own text of a view is one query as the session that read it reads it (with
/// the `standard_conforming_strings` it had then): it is made to read the same in every
/// session first (see [`independent_of_standard_strings`]), then checked all the same, as every
/// text that becomes a view's query is, before it is written into statements that a `DO`
/// block executes or a migration file holds.
pub(crate) fn catalog_definition(state: &ViewState, name: QualifiedName) -> Result<AnyView> {
    let query = checked_query(
        &name,
        RelationKind::of_view(state.materialized),
        &independent_of_standard_strings(&state.definition),
    )?;
    let columns = state
        .columns
        .iter()
        .map(|c| Ident::new(&c.name))
        .collect::<Result<Vec<_>>>()?;
    let column_comments = state
        .column_comments
        .iter()
        .map(|(column, comment)| {
            Ok(ColumnComment {
                column: Ident::new(column)?,
                comment: comment.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let common = Common {
        name,
        query,
        columns,
        comment: state.comment.clone(),
        column_comments,
        origin: Origin::default(),
    };
    if state.materialized {
        let storage = state
            .options
            .iter()
            .map(|option| {
                let (name, value) = split_option(option);
                Ok(StorageParameter {
                    name: option_name_parts(&common.name, name)?,
                    value: value.to_owned(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(AnyView::Materialized(MaterializedView {
            common,
            with_data: state.populated,
            tablespace: state.tablespace.as_deref().map(Ident::new).transpose()?,
            storage,
            indexes: Vec::new(),
        }))
    } else {
        let mut view = View::with_common(common);
        for option in &state.options {
            match split_option(option) {
                ("check_option", value) if value.eq_ignore_ascii_case("local") => {
                    view.check_option = Some(CheckOption::Local);
                }
                ("check_option", _) => view.check_option = Some(CheckOption::Cascaded),
                ("security_barrier", value) => {
                    view.security_barrier = Some(crate::sql_text::is_true(value));
                }
                ("security_invoker", value) => {
                    view.security_invoker = Some(crate::sql_text::is_true(value));
                }
                (other, _) => {
                    return Err(Error::InvalidDefinition {
                        name: state.key.0.clone() + "." + &state.key.1,
                        reason: format!("unknown view option {other:?} in the catalog"),
                    })
                }
            }
        }
        Ok(AnyView::View(view))
    }
}

fn catalog_indexes(indexes: &[IndexState]) -> Result<Vec<IndexBlueprint>> {
    indexes
        .iter()
        .map(|index| {
            // Server text: written to read the same whatever `standard_conforming_strings` is.
            Ok(IndexBlueprint::Catalog {
                name: Ident::new(&index.name)?,
                unique: index.unique,
                definition: independent_of_standard_strings(&index.definition).into_owned(),
                tail: index
                    .tail
                    .as_deref()
                    .map(|tail| independent_of_standard_strings(tail).into_owned()),
            })
        })
        .collect()
}

/// The statements giving back the privileges of `acl`: a `REVOKE` of what the owner gave up,
/// and one `GRANT` per grantee and grant option.
fn acl_statements(
    name: &QualifiedName,
    owner: &str,
    acl: &Acl,
) -> Result<(Option<RevokeFromOwner>, Vec<Grant>)> {
    let privilege = |keyword: &str| {
        Privilege::from_keyword(keyword).ok_or_else(|| Error::InvalidDefinition {
            name: name.fullname(),
            reason: format!("unknown privilege {keyword:?} in the catalog"),
        })
    };
    let revoke = if acl.owner_revoked.is_empty() {
        None
    } else {
        Some(RevokeFromOwner {
            relation: name.clone(),
            privileges: acl
                .owner_revoked
                .iter()
                .map(|p| privilege(p))
                .collect::<Result<_>>()?,
            owner: Ident::new(owner)?,
        })
    };
    let mut grouped: BTreeMap<(Option<&str>, bool), Vec<Privilege>> = BTreeMap::new();
    for grant in &acl.grants {
        grouped
            .entry((grant.grantee.as_deref(), grant.grantable))
            .or_default()
            .push(privilege(&grant.privilege)?);
    }
    let grants = grouped
        .into_iter()
        .map(|((grantee, grantable), privileges)| {
            let grantee = match grantee {
                None => Grantee::Public,
                Some(role) => Grantee::Role(Ident::new(role)?),
            };
            let mut grant = Grant::new(name.clone(), grantee);
            for p in privileges {
                grant = grant.privilege(p);
            }
            Ok(if grantable {
                grant.with_grant_option()
            } else {
                grant
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((revoke, grants))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_fit() {
        assert_eq!(temporary_name("m", "new"), "m__pgview_new");
        let long = "é".repeat(31); // 62 bytes
        let temp = temporary_name(&long, "old");
        assert!(temp.len() <= 63, "{temp}");
        assert!(temp.ends_with("__pgview_old"));
    }
}
