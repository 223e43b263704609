//! The schema-contract checks of a run: tables, foreign keys, privileges. Each kind is one
//! catalog statement for all its entries (`db::contract`), then a pure verdict per entry
//! (`check`). When the run has stopped, or the statement fails, every entry of the kind is an
//! error saying why, as index checks are.

use std::future::Future;

use super::Runner;
use super::stop::{stop_reason, until_interrupted};
use crate::check::{foreign_key, privilege, table};
use crate::db::contract;
use crate::db::session::QueryError;
use crate::report::model::{ForeignKeyResult, PrivilegeResult, TableResult};
use crate::suite::{ExpectedForeignKey, ExpectedPrivilege, ExpectedTable, PrivilegeObject};

impl Runner<'_> {
    /// Every `[[table]]` in one catalog statement.
    pub(super) async fn tables(&mut self, expected: &[ExpectedTable]) -> Vec<TableResult> {
        if expected.is_empty() {
            return Vec::new();
        }
        let wanted: Vec<(String, String)> = expected
            .iter()
            .map(|t| (t.schema.clone(), t.name.clone()))
            .collect();
        let lookup = contract::find_tables(self.db, &wanted);
        match self.look_up("tables", lookup).await {
            Ok(found) => expected
                .iter()
                .map(|t| {
                    let key = (t.schema.clone(), t.name.clone());
                    let mut result = table::judge(t, found.get(&key));
                    if self.analyzed_by_pgvet.contains(&key) {
                        table::statistics_by_pgvet(&mut result);
                    }
                    result
                })
                .collect(),
            Err(message) => expected
                .iter()
                .map(|t| table::error(t, message.clone()))
                .collect(),
        }
    }

    /// Every `[[foreign_key]]` in one catalog statement (for all their tables).
    pub(super) async fn foreign_keys(
        &mut self,
        expected: &[ExpectedForeignKey],
    ) -> Vec<ForeignKeyResult> {
        if expected.is_empty() {
            return Vec::new();
        }
        let tables: Vec<(String, String)> = expected
            .iter()
            .map(|k| (k.schema.clone(), k.table.clone()))
            .collect();
        let lookup = contract::find_foreign_keys(self.db, &tables);
        match self.look_up("foreign keys", lookup).await {
            Ok(found) => expected
                .iter()
                .map(|k| foreign_key::judge(k, found.get(&(k.schema.clone(), k.table.clone()))))
                .collect(),
            Err(message) => expected
                .iter()
                .map(|k| foreign_key::error(k, message.clone()))
                .collect(),
        }
    }

    /// Every `[[privilege]]` in one catalog statement (for all their privileges).
    pub(super) async fn privileges(
        &mut self,
        expected: &[ExpectedPrivilege],
    ) -> Vec<PrivilegeResult> {
        if expected.is_empty() {
            return Vec::new();
        }
        let wanted: Vec<Vec<contract::WantedPrivilege>> = expected.iter().map(asked).collect();
        let lookup = contract::find_privileges(self.db, &wanted);
        match self.look_up("privileges", lookup).await {
            Ok(found) => expected
                .iter()
                .zip(&found)
                .map(|(p, found)| privilege::judge(p, found))
                .collect(),
            Err(message) => expected
                .iter()
                .map(|p| privilege::error(p, message.clone()))
                .collect(),
        }
    }

    /// Runs one catalog lookup, unless the run has stopped; the error says why it did not
    /// answer ("not run: …", the server's message, a lock held by another session).
    async fn look_up<T>(
        &mut self,
        what: &str,
        lookup: impl Future<Output = Result<T, QueryError>>,
    ) -> Result<T, String> {
        if let Some(stop) = self.stop() {
            return Err(format!("not run: {}", stop.message));
        }
        let (found, signal) = until_interrupted(self.db, lookup).await;
        let error = found.as_ref().err().map(|e| e.message.clone());
        self.stopped = stop_reason(self.db, signal, error.as_deref());
        if found.is_ok() {
            tracing::info!("{what} looked up in one catalog query");
        }
        found.map_err(|e| match &self.stopped {
            Some(stop) => format!("{}: {}", stop.message, e.message),
            None if e.message.contains("(SQLSTATE 55P03)") => format!(
                "the catalog query for the expected {what} failed: {}; another session holds a lock on one of their tables (an ALTER TABLE, a migration still running) and pgvet waited lock_timeout ({} ms): check pg_locks, or raise lock_timeout",
                e.message,
                super::millis(self.settings.lock_timeout)
            ),
            None => format!(
                "the catalog query for the expected {what} failed: {}",
                e.message
            ),
        })
    }
}

/// The privileges one entry asks about, as `db::contract` takes them.
fn asked(expected: &ExpectedPrivilege) -> Vec<contract::WantedPrivilege> {
    let (kind, schema, table) = match &expected.object {
        PrivilegeObject::Table { schema, name } => ("table", schema.clone(), name.clone()),
        PrivilegeObject::Sequence { schema, name } => ("sequence", schema.clone(), name.clone()),
        PrivilegeObject::Schema { name } => ("schema", name.clone(), String::new()),
    };
    expected
        .privileges
        .iter()
        .map(|p| {
            (
                expected.role.clone(),
                kind,
                schema.clone(),
                table.clone(),
                p.clone(),
            )
        })
        .collect()
}
