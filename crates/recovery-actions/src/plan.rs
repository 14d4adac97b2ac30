//! What a recovery command would do: the backups it takes and the requests it sends, or why it
//! refuses.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::object::ObjectId;
use crate::request::ApiRequest;

/// An object saved before any write, in the form it can be re-created from
/// ([`crate::backup::restorable`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backup {
    /// Which object.
    pub id: ObjectId,
    /// The object without status and server-set metadata.
    pub object: Value,
}

impl Backup {
    /// The backup of a live object.
    pub fn of(live: &Value) -> Self {
        Backup {
            id: ObjectId::of(live),
            object: crate::backup::restorable(live),
        }
    }
}

/// The backups and requests of one operation. Backups are written before the first request.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Plan {
    /// Objects to save first.
    pub backups: Vec<Backup>,
    /// The requests, in order.
    pub requests: Vec<ApiRequest>,
}

/// Why an operation will not run. Each says which object and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case", tag = "refusal")]
pub enum Refusal {
    /// Finalizers are only removed from objects already being deleted.
    #[error("{object} is not being deleted (it has no deletionTimestamp): removing its finalizers would bypass them; delete it normally (`kubectl delete`) and let its controllers finish")]
    NotTerminating {
        /// The object.
        object: String,
    },
    /// Namespaces are only finalized while `Terminating`.
    #[error("namespace {namespace} is not terminating: there is nothing to finalize; if you want it gone, delete it normally (`kubectl delete namespace {namespace}`)")]
    NamespaceNotTerminating {
        /// The namespace.
        namespace: String,
    },
    /// Only a release whose latest record is `pending-*` is unlocked.
    #[error("Helm release {namespace}/{release} is not locked (latest revision {revision} is `{status}`): there is no lock to remove; if it fails, read the HelmRelease's conditions (`unstuck rescue status`)")]
    NotLocked {
        /// Storage namespace.
        namespace: String,
        /// Release name.
        release: String,
        /// Latest revision.
        revision: u64,
        /// Its status.
        status: String,
    },
    /// Suspend, resume and reconcile apply to Flux objects only.
    #[error("{kind} is not a Flux object that can be suspended, resumed or reconciled: use a Kustomization, HelmRelease or Flux source kind")]
    NotFlux {
        /// The kind given.
        kind: String,
    },
    /// A suspended object ignores reconcile requests.
    #[error("{object} is suspended, so a reconcile request would be ignored: resume it (`unstuck rescue resume`), which also requests a reconcile")]
    Suspended {
        /// The object.
        object: String,
    },
}

/// The outcome of deciding an operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Take these backups and send these requests.
    Act(Plan),
    /// Already in the wanted state.
    NothingToDo(String),
    /// Will not act.
    Refused(Refusal),
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for backup in &self.backups {
            writeln!(f, "backup {}", backup.id)?;
        }
        for request in &self.requests {
            writeln!(f, "{request}")?;
        }
        Ok(())
    }
}
