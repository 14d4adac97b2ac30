//! The in-memory state and the API semantics of writes: resource versions, generation, status
//! subresources, preconditions, finalizers, garbage collection and namespace termination.
//!
//! Every change is one step of a global revision counter, which is also every object's
//! `metadata.resourceVersion` and the position of the change in the watch history.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Map, Value};

use crate::catalog::{Catalog, Resource};
use crate::error::ApiError;
use crate::patch::{self, Ownership};
use crate::select::{FieldSelector, LabelSelector};

/// `(group/plural, namespace, name)`; the namespace is empty for cluster-scoped objects.
pub(crate) type Key = (String, String, String);

/// The finalizer the namespace controller keeps in `spec.finalizers` until the namespace is empty.
const NAMESPACE_FINALIZER: &str = "kubernetes";
/// Finalizers the garbage collector handles (propagationPolicy Orphan / Foreground).
const ORPHAN_FINALIZER: &str = "orphan";
const FOREGROUND_FINALIZER: &str = "foregroundDeletion";

#[derive(Debug, Clone)]
struct Stored {
    object: Value,
    ownership: Ownership,
}

/// What a watch event says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// `ADDED`
    Added,
    /// `MODIFIED`
    Modified,
    /// `DELETED`
    Deleted,
}

impl Change {
    /// The watch event type.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Change::Added => "ADDED",
            Change::Modified => "MODIFIED",
            Change::Deleted => "DELETED",
        }
    }
}

/// One entry of the watch history.
#[derive(Debug, Clone)]
pub(crate) struct HistoryEntry {
    /// The revision of the change.
    pub(crate) revision: u64,
    /// `group/plural` of the object.
    pub(crate) resource: String,
    /// Namespace of the object (empty if cluster-scoped).
    pub(crate) namespace: String,
    /// What happened.
    pub(crate) change: Change,
    /// The object after the change (before it, for deletions).
    pub(crate) object: Value,
}

/// Options every write carries.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteOptions {
    /// `dryRun=All`: validate and compute the result, persist nothing.
    pub(crate) dry_run: bool,
    /// `fieldManager`, else derived from the user agent.
    pub(crate) field_manager: String,
    /// `force=true` on server-side apply.
    pub(crate) force: bool,
}

/// How a patch body is to be read (from the request's Content-Type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PatchKind {
    /// `application/merge-patch+json`
    Merge,
    /// `application/json-patch+json`
    Json,
    /// `application/strategic-merge-patch+json`
    Strategic,
    /// `application/apply-patch+yaml`
    Apply,
}

/// A subresource addressed by a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subresource {
    /// `/status`: only `status` changes.
    Status,
    /// `/finalize` (namespaces): only `spec.finalizers` changes.
    Finalize,
}

/// Why an initial object could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LoadError {
    /// Another object has the same resource, namespace and name.
    Duplicate,
    /// The object is not usable; the text says why.
    Invalid(String),
}

/// The state of the stand-in cluster.
#[derive(Debug, Default)]
pub(crate) struct Store {
    pub(crate) catalog: Catalog,
    objects: BTreeMap<Key, Stored>,
    revision: u64,
    history: Vec<HistoryEntry>,
    /// Changes at or before this revision are no longer in the history (compacted).
    floor: u64,
    deleted_uids: HashSet<String>,
    uids: u64,
}

fn meta(object: &Value) -> &Value {
    &object["metadata"]
}

fn meta_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    object["metadata"].as_object_mut().expect("set above")
}

fn str_of<'a>(object: &'a Value, field: &str) -> &'a str {
    meta(object)[field].as_str().unwrap_or_default()
}

fn finalizers(object: &Value) -> Vec<String> {
    meta(object)["finalizers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn set_finalizers(object: &mut Value, list: &[String]) {
    let m = meta_mut(object);
    if list.is_empty() {
        m.remove("finalizers");
    } else {
        m.insert("finalizers".into(), json!(list));
    }
}

fn is_deleting(object: &Value) -> bool {
    meta(object)["deletionTimestamp"].is_string()
}

/// Everything but metadata and status: a change here bumps `metadata.generation`.
fn spec_part(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Some(map) = copy.as_object_mut() {
        for field in ["metadata", "status", "apiVersion", "kind"] {
            map.remove(field);
        }
    }
    copy
}

/// The current time as the API serialises it (RFC 3339, whole seconds, UTC).
pub(crate) fn now() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

impl Store {
    /// The current revision (the `resourceVersion` of the latest change).
    pub(crate) fn revision(&self) -> u64 {
        self.revision
    }

    /// The resource catalog.
    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Forgets the watch history: watches from any earlier revision now get `410 Gone`.
    pub(crate) fn compact(&mut self) {
        self.history.clear();
        self.floor = self.revision;
    }

    /// Changes after `revision` for `resource` (in `namespace`, if given). Fails with
    /// `410 Gone` (reason `Expired`) when the history no longer reaches back that far.
    pub(crate) fn changes_after(
        &self,
        resource: &str,
        namespace: Option<&str>,
        revision: u64,
    ) -> Result<Vec<HistoryEntry>, ApiError> {
        if revision < self.floor {
            return Err(ApiError::new(
                410,
                "Expired",
                format!("too old resource version: {revision} ({})", self.floor + 1),
            ));
        }
        Ok(self
            .history
            .iter()
            .filter(|e| e.revision > revision && e.resource == resource)
            .filter(|e| namespace.is_none_or(|ns| e.namespace == ns))
            .cloned()
            .collect())
    }

    fn key(resource: &Resource, namespace: &str, name: &str) -> Key {
        let ns = if resource.namespaced { namespace } else { "" };
        (resource.qualified(), ns.to_owned(), name.to_owned())
    }

    fn next_uid(&mut self) -> String {
        self.uids += 1;
        format!("5ca1ab1e-0000-4000-8000-{:012x}", self.uids)
    }

    fn record(&mut self, key: &Key, change: Change, object: Value) {
        self.history.push(HistoryEntry {
            revision: self.revision,
            resource: key.0.clone(),
            namespace: key.1.clone(),
            change,
            object,
        });
    }

    /// Stores `object` under `key` with a new resource version and records the change.
    fn commit(&mut self, key: &Key, mut object: Value, ownership: Ownership) -> Value {
        let change = if self.objects.contains_key(key) {
            Change::Modified
        } else {
            Change::Added
        };
        self.revision += 1;
        meta_mut(&mut object).insert("resourceVersion".into(), json!(self.revision.to_string()));
        self.record(key, change, object.clone());
        self.objects.insert(
            key.clone(),
            Stored {
                object: object.clone(),
                ownership,
            },
        );
        object
    }

    fn remove(&mut self, key: &Key) {
        if let Some(stored) = self.objects.remove(key) {
            self.revision += 1;
            let mut object = stored.object;
            meta_mut(&mut object)
                .insert("resourceVersion".into(), json!(self.revision.to_string()));
            self.deleted_uids.insert(str_of(&object, "uid").to_owned());
            self.record(key, Change::Deleted, object);
        }
    }

    /// The object, or 404.
    pub(crate) fn get(
        &self,
        resource: &Resource,
        namespace: &str,
        name: &str,
    ) -> Result<Value, ApiError> {
        self.objects
            .get(&Self::key(resource, namespace, name))
            .map(|s| present(resource, &s.object))
            .ok_or_else(|| ApiError::not_found(&resource.qualified(), name))
    }

    /// Objects of `resource` (in `namespace`, if given) matching both selectors, in key order.
    pub(crate) fn list(
        &self,
        resource: &Resource,
        namespace: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> Vec<Value> {
        let qualified = resource.qualified();
        self.objects
            .iter()
            .filter(|((r, ns, _), _)| *r == qualified && namespace.is_none_or(|n| n == ns))
            .map(|(_, s)| present(resource, &s.object))
            .filter(|o| labels.matches(&meta(o)["labels"]) && fields.matches(o))
            .collect()
    }

    fn namespace_state(&self, namespace: &str) -> Option<&Value> {
        self.objects
            .get(&("namespaces".to_owned(), String::new(), namespace.to_owned()))
            .map(|s| &s.object)
    }

    /// Loads an object as given (status, finalizers, deletionTimestamp and timestamps kept). A
    /// namespace it names that does not exist is created.
    pub(crate) fn load(&mut self, mut object: Value) -> Result<(), LoadError> {
        let api_version = object["apiVersion"].as_str().unwrap_or_default().to_owned();
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let namespace = str_of(&object, "namespace").to_owned();
        if kind == "CustomResourceDefinition" {
            self.catalog.add_definition(&object);
        }
        let resource = match self.catalog.by_kind(&api_version, &kind) {
            Some(r) => r.clone(),
            None => self
                .catalog
                .infer(&api_version, &kind, !namespace.is_empty())
                .clone(),
        };
        if resource.namespaced && namespace.is_empty() {
            return Err(LoadError::Invalid(format!(
                "{kind} is namespaced but metadata.namespace is missing"
            )));
        }
        let name = str_of(&object, "name").to_owned();
        let key = Self::key(&resource, &namespace, &name);
        if self.objects.contains_key(&key) {
            return Err(LoadError::Duplicate);
        }
        if resource.namespaced && self.namespace_state(&namespace).is_none() {
            let ns =
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}});
            self.load(ns)?;
        }
        let uid = match meta(&object)["uid"].as_str() {
            Some(uid) => uid.to_owned(),
            None => self.next_uid(),
        };
        let m = meta_mut(&mut object);
        m.insert("uid".into(), json!(uid));
        m.entry("creationTimestamp").or_insert_with(|| json!(now()));
        m.entry("generation").or_insert(json!(1));
        if kind == "Namespace" && api_version == "v1" {
            default_namespace(&mut object);
        }
        let mut ownership = Ownership::new();
        patch::record_update(&mut ownership, &Value::Null, &object, "before-stand-in");
        self.commit(&key, object, ownership);
        Ok(())
    }

    /// Creates an object (POST).
    pub(crate) fn create(
        &mut self,
        resource: &Resource,
        namespace: &str,
        mut object: Value,
        options: &WriteOptions,
    ) -> Result<Value, ApiError> {
        if !object.is_object() {
            return Err(ApiError::bad_request(
                "the body of the request must be an object",
            ));
        }
        if object["kind"].as_str().is_some_and(|k| k != resource.kind) {
            return Err(ApiError::bad_request(format!(
                "the kind of the object ({}) does not match the resource {}",
                object["kind"].as_str().unwrap_or_default(),
                resource.qualified()
            )));
        }
        object["apiVersion"] = json!(resource.api_version());
        object["kind"] = json!(resource.kind);
        let body_namespace = str_of(&object, "namespace").to_owned();
        if resource.namespaced {
            if !body_namespace.is_empty() && body_namespace != namespace {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            meta_mut(&mut object).insert("namespace".into(), json!(namespace));
        } else {
            meta_mut(&mut object).remove("namespace");
        }
        let mut name = str_of(&object, "name").to_owned();
        if name.is_empty() {
            let Some(prefix) = meta(&object)["generateName"].as_str().map(str::to_owned) else {
                return Err(ApiError::invalid(format!(
                    "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                    resource.kind
                )));
            };
            // The API server appends five random characters; a counter keeps runs reproducible
            // (the multiplier, prime to 0xfffff, just makes consecutive names look unrelated).
            name = format!("{prefix}{:05x}", (self.uids + 1) * 7919 % 0xfffff);
            meta_mut(&mut object).insert("name".into(), json!(name));
        }
        if resource.namespaced {
            match self.namespace_state(namespace) {
                None => return Err(ApiError::not_found("namespaces", namespace)),
                Some(ns) if is_deleting(ns) => {
                    return Err(ApiError {
                        details: Some(Box::new(json!({"name": name, "kind": resource.plural,
                            "causes": [{"reason": "NamespaceTerminating",
                                        "message": format!("namespace {namespace} is being terminated"),
                                        "field": "metadata.namespace"}]}))),
                        ..ApiError::new(403, "Forbidden", format!(
                            "{} \"{name}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
                            resource.qualified()
                        ))
                    })
                }
                Some(_) => {}
            }
        }
        let key = Self::key(resource, namespace, &name);
        if self.objects.contains_key(&key) {
            let (kind, group) = (resource.plural.clone(), resource.group.clone());
            return Err(ApiError {
                details: Some(Box::new(
                    json!({"name": name, "group": group, "kind": kind}),
                )),
                ..ApiError::new(
                    409,
                    "AlreadyExists",
                    format!("{} \"{name}\" already exists", resource.qualified()),
                )
            });
        }
        let uid = self.next_uid();
        let m = meta_mut(&mut object);
        for server_set in [
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "managedFields",
        ] {
            m.remove(server_set);
        }
        m.insert("uid".into(), json!(uid));
        m.insert("creationTimestamp".into(), json!(now()));
        m.insert("generation".into(), json!(1));
        if resource.status_subresource {
            // With a status subresource, status is written through /status only; a namespace's
            // is then defaulted to Active.
            if let Some(map) = object.as_object_mut() {
                map.remove("status");
            }
        }
        if resource.kind == "Namespace" && resource.group.is_empty() {
            default_namespace(&mut object);
        }
        let mut ownership = Ownership::new();
        patch::record_update(
            &mut ownership,
            &Value::Null,
            &object,
            &options.field_manager,
        );
        if options.dry_run {
            return Ok(present(resource, &object));
        }
        if resource.kind == "CustomResourceDefinition" {
            self.catalog.add_definition(&object);
        }
        let stored = self.commit(&key, object, ownership);
        Ok(present(resource, &stored))
    }

    /// Replaces an object (PUT), on the main resource or a subresource.
    pub(crate) fn update(
        &mut self,
        resource: &Resource,
        namespace: &str,
        name: &str,
        body: Value,
        sub: Option<Subresource>,
        options: &WriteOptions,
    ) -> Result<Value, ApiError> {
        let key = Self::key(resource, namespace, name);
        let stored = self
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&resource.qualified(), name))?;
        if str_of(&body, "name") != name && !str_of(&body, "name").is_empty() {
            return Err(ApiError::bad_request(
                "the name of the object does not match the name on the URL",
            ));
        }
        self.finish_write(resource, &key, stored, body, sub, options, None)
    }

    /// Patches an object (PATCH). Server-side apply creates it when it does not exist.
    #[allow(clippy::too_many_arguments)] // one per part of the request
    pub(crate) fn patch(
        &mut self,
        resource: &Resource,
        namespace: &str,
        name: &str,
        kind: PatchKind,
        body: &Value,
        sub: Option<Subresource>,
        options: &WriteOptions,
    ) -> Result<Value, ApiError> {
        let key = Self::key(resource, namespace, name);
        if kind == PatchKind::Apply && options.field_manager.is_empty() {
            return Err(ApiError::invalid(
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            ));
        }
        let Some(stored) = self.objects.get(&key).cloned() else {
            if kind == PatchKind::Apply && sub.is_none() {
                let mut ownership = Ownership::new();
                let mut object = patch::apply(
                    &Value::Null,
                    body,
                    &mut ownership,
                    &options.field_manager,
                    true,
                )
                .unwrap_or_else(|_| body.clone());
                meta_mut(&mut object).insert("name".into(), json!(name));
                let created = self.create(resource, namespace, object, options)?;
                if let Some(s) = self.objects.get_mut(&key) {
                    s.ownership = ownership;
                }
                return Ok(created);
            }
            return Err(ApiError::not_found(&resource.qualified(), name));
        };
        let mut ownership = stored.ownership.clone();
        let patched = match kind {
            PatchKind::Merge => {
                if !body.is_object() {
                    return Err(ApiError::bad_request("a merge patch must be a JSON object"));
                }
                let mut object = stored.object.clone();
                json_patch::merge(&mut object, body);
                object
            }
            PatchKind::Json => {
                let operations: json_patch::Patch = serde_json::from_value(body.clone())
                    .map_err(|e| ApiError::bad_request(format!("invalid JSON patch: {e}")))?;
                let mut object = stored.object.clone();
                json_patch::patch(&mut object, &operations).map_err(|e| {
                    ApiError::invalid(format!(
                        "the server rejected our request due to an error in our request: {e}"
                    ))
                })?;
                object
            }
            PatchKind::Strategic => {
                if !resource.builtin {
                    return Err(ApiError::new(
                        415,
                        "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
                    ));
                }
                let mut object = stored.object.clone();
                patch::strategic_merge(&mut object, body);
                object
            }
            PatchKind::Apply => {
                let applied = patch::apply(&stored.object, body, &mut ownership, &options.field_manager, options.force)
                    .map_err(|conflicts| {
                        let causes: Vec<Value> = conflicts
                            .iter()
                            .map(|(path, manager)| json!({"reason": "FieldManagerConflict",
                                "message": format!("conflict with \"{manager}\""), "field": path}))
                            .collect();
                        let list: Vec<String> = conflicts
                            .iter()
                            .map(|(path, manager)| format!("- conflict with \"{manager}\": {path}"))
                            .collect();
                        ApiError {
                            details: Some(Box::new(json!({"name": name, "group": resource.group, "kind": resource.plural, "causes": causes}))),
                            ..ApiError::new(409, "Conflict", format!(
                                "Apply failed with {} conflict{}:\n{}",
                                conflicts.len(),
                                if conflicts.len() == 1 { "" } else { "s" },
                                list.join("\n")
                            ))
                        }
                    })?;
                applied
            }
        };
        let apply_ownership = (kind == PatchKind::Apply).then_some(ownership);
        self.finish_write(
            resource,
            &key,
            stored,
            patched,
            sub,
            options,
            apply_ownership,
        )
    }

    /// The common end of PUT and PATCH: server-owned fields, the subresource split, the
    /// `resourceVersion` precondition, generation, no-op detection, persistence.
    #[allow(clippy::too_many_arguments)]
    fn finish_write(
        &mut self,
        resource: &Resource,
        key: &Key,
        stored: Stored,
        body: Value,
        sub: Option<Subresource>,
        options: &WriteOptions,
        apply_ownership: Option<Ownership>,
    ) -> Result<Value, ApiError> {
        let old = stored.object;
        let wanted_version = meta(&body)["resourceVersion"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !wanted_version.is_empty() && wanted_version != str_of(&old, "resourceVersion") {
            return Err(ApiError::stale(&resource.qualified(), &key.2));
        }
        let mut new = match sub {
            None => {
                let mut new = body;
                if resource.status_subresource {
                    match old.get("status") {
                        Some(status) => new["status"] = status.clone(),
                        None => {
                            if let Some(map) = new.as_object_mut() {
                                map.remove("status");
                            }
                        }
                    }
                }
                new
            }
            Some(Subresource::Status) => {
                let mut new = old.clone();
                match body.get("status") {
                    Some(status) if !status.is_null() => new["status"] = status.clone(),
                    _ => {
                        if let Some(map) = new.as_object_mut() {
                            map.remove("status");
                        }
                    }
                }
                new
            }
            Some(Subresource::Finalize) => {
                let mut new = old.clone();
                new["spec"]["finalizers"] = body["spec"]["finalizers"].clone();
                new
            }
        };
        if !new.is_object() {
            return Err(ApiError::bad_request("the object must be a JSON object"));
        }
        new["apiVersion"] = old["apiVersion"].clone();
        new["kind"] = old["kind"].clone();
        for server_set in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "resourceVersion",
            "generation",
        ] {
            let m = meta_mut(&mut new);
            match old["metadata"].get(server_set) {
                Some(value) => m.insert(server_set.into(), value.clone()),
                None => m.remove(server_set),
            };
        }
        meta_mut(&mut new).remove("managedFields");
        if is_deleting(&old) && sub.is_none() {
            let added = finalizers(&new)
                .into_iter()
                .any(|f| !finalizers(&old).contains(&f));
            if added {
                return Err(ApiError::invalid(format!(
                    "{} \"{}\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted",
                    resource.kind, key.2
                )));
            }
        }
        if spec_part(&new) != spec_part(&old) {
            let generation = meta(&old)["generation"].as_i64().unwrap_or(1) + 1;
            meta_mut(&mut new).insert("generation".into(), json!(generation));
        }
        if new == old {
            return Ok(present(resource, &old));
        }
        let ownership = apply_ownership.unwrap_or_else(|| {
            let mut ownership = stored.ownership;
            patch::record_update(&mut ownership, &old, &new, &options.field_manager);
            ownership
        });
        if options.dry_run {
            return Ok(present(resource, &new));
        }
        let written = self.commit(key, new, ownership);
        self.settle();
        Ok(present(resource, &written))
    }

    /// Deletes an object (DELETE) honouring `preconditions` and `propagationPolicy` from the
    /// `DeleteOptions` body or query.
    pub(crate) fn delete(
        &mut self,
        resource: &Resource,
        namespace: &str,
        name: &str,
        delete_options: &Value,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let key = Self::key(resource, namespace, name);
        let stored = self
            .objects
            .get(&key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(&resource.qualified(), name))?;
        let object = stored.object;
        let preconditions = &delete_options["preconditions"];
        if let Some(uid) = preconditions["uid"].as_str() {
            let actual = str_of(&object, "uid");
            if uid != actual {
                return Err(ApiError::conflict(
                    &resource.qualified(),
                    name,
                    &format!("Precondition failed: UID in precondition: {uid}, UID in object meta: {actual}"),
                ));
            }
        }
        if let Some(version) = preconditions["resourceVersion"].as_str() {
            let actual = str_of(&object, "resourceVersion");
            if version != actual {
                return Err(ApiError::conflict(
                    &resource.qualified(),
                    name,
                    &format!(
                        "Precondition failed: ResourceVersion in precondition: {version}, ResourceVersion in object meta: {actual}"
                    ),
                ));
            }
        }
        let policy = match delete_options["propagationPolicy"].as_str() {
            None | Some("Background") => None,
            Some("Orphan") => Some(ORPHAN_FINALIZER),
            Some("Foreground") => Some(FOREGROUND_FINALIZER),
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\""
                )))
            }
        };
        if dry_run {
            return Ok(present(resource, &object));
        }
        let result = self.delete_key(&key, policy);
        self.settle();
        Ok(present(resource, &result))
    }

    /// Marks an object deleted: removed at once when nothing holds it, else `deletionTimestamp`
    /// is set and it waits for its finalizers. Returns the object as last seen.
    fn delete_key(&mut self, key: &Key, gc_finalizer: Option<&str>) -> Value {
        let Some(stored) = self.objects.get(key).cloned() else {
            return Value::Null;
        };
        let mut object = stored.object;
        let mut list = finalizers(&object);
        if let Some(f) = gc_finalizer {
            if !list.iter().any(|x| x == f) {
                list.push(f.to_owned());
            }
        }
        let is_namespace = key.0 == "namespaces";
        if list.is_empty() && !is_namespace {
            self.remove(key);
            return object;
        }
        if is_deleting(&object) && finalizers(&object) == list {
            return object;
        }
        set_finalizers(&mut object, &list);
        let m = meta_mut(&mut object);
        m.entry("deletionTimestamp").or_insert_with(|| json!(now()));
        m.insert("deletionGracePeriodSeconds".into(), json!(0));
        if is_namespace {
            object["status"]["phase"] = json!("Terminating");
        }
        self.commit(key, object, stored.ownership)
    }

    fn dependents_of(&self, uid: &str) -> Vec<Key> {
        self.objects
            .iter()
            .filter(|(_, s)| {
                meta(&s.object)["ownerReferences"]
                    .as_array()
                    .is_some_and(|refs| refs.iter().any(|r| r["uid"].as_str() == Some(uid)))
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn drop_finalizer(&mut self, key: &Key, finalizer: &str) {
        if let Some(stored) = self.objects.get(key).cloned() {
            let mut object = stored.object;
            let list: Vec<String> = finalizers(&object)
                .into_iter()
                .filter(|f| f != finalizer)
                .collect();
            set_finalizers(&mut object, &list);
            self.commit(key, object, stored.ownership);
        }
    }

    /// What the garbage collector and the namespace controller would do, run to a fixed point
    /// after every write: orphan or delete dependents, finish foreground deletions, empty and
    /// remove terminating namespaces, remove deleted objects whose finalizers are all gone.
    pub(crate) fn settle(&mut self) {
        // Each round makes progress on one object at least; the bound only guards against a bug.
        for _ in 0..100_000 {
            if !self.settle_once() {
                return;
            }
        }
    }

    fn settle_once(&mut self) -> bool {
        let deleting: Vec<(Key, Value)> = self
            .objects
            .iter()
            .filter(|(_, s)| is_deleting(&s.object))
            .map(|(k, s)| (k.clone(), s.object.clone()))
            .collect();
        for (key, object) in deleting {
            let uid = str_of(&object, "uid").to_owned();
            let list = finalizers(&object);
            if list.iter().any(|f| f == ORPHAN_FINALIZER) {
                for dependent in self.dependents_of(&uid) {
                    let stored = self.objects[&dependent].clone();
                    let mut child = stored.object;
                    if let Some(refs) = child["metadata"]["ownerReferences"].as_array_mut() {
                        refs.retain(|r| r["uid"].as_str() != Some(uid.as_str()));
                        if refs.is_empty() {
                            meta_mut(&mut child).remove("ownerReferences");
                        }
                    }
                    self.commit(&dependent, child, stored.ownership);
                }
                self.drop_finalizer(&key, ORPHAN_FINALIZER);
                return true;
            }
            if list.iter().any(|f| f == FOREGROUND_FINALIZER) {
                let dependents = self.dependents_of(&uid);
                let mut changed = false;
                for dependent in &dependents {
                    if !is_deleting(&self.objects[dependent].object) {
                        self.delete_key(dependent, None);
                        changed = true;
                    }
                }
                if dependents.is_empty() {
                    self.drop_finalizer(&key, FOREGROUND_FINALIZER);
                    return true;
                }
                if changed {
                    return true;
                }
            }
            if key.0 == "namespaces" {
                if self.finish_namespace(&key, &object) {
                    return true;
                }
                continue;
            }
            if list.is_empty() {
                self.remove(&key);
                return true;
            }
        }
        // Background deletion: dependents whose owners are all gone, at least one of them deleted.
        let orphaned: Vec<Key> = self
            .objects
            .iter()
            .filter(|(_, s)| !is_deleting(&s.object))
            .filter(|(_, s)| {
                meta(&s.object)["ownerReferences"]
                    .as_array()
                    .is_some_and(|refs| {
                        !refs.is_empty()
                            && refs.iter().any(|r| {
                                r["uid"]
                                    .as_str()
                                    .is_some_and(|u| self.deleted_uids.contains(u))
                            })
                            && refs
                                .iter()
                                .all(|r| !self.uid_exists(r["uid"].as_str().unwrap_or_default()))
                    })
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in &orphaned {
            self.delete_key(key, None);
        }
        !orphaned.is_empty()
    }

    fn uid_exists(&self, uid: &str) -> bool {
        self.objects
            .values()
            .any(|s| str_of(&s.object, "uid") == uid)
    }

    /// The namespace controller for one terminating namespace. Returns whether it changed anything.
    fn finish_namespace(&mut self, key: &Key, namespace: &Value) -> bool {
        let name = key.2.clone();
        let contents: Vec<Key> = self
            .objects
            .keys()
            .filter(|(_, ns, _)| *ns == name)
            .cloned()
            .collect();
        let mut changed = false;
        for content in &contents {
            if !is_deleting(&self.objects[content].object) {
                self.delete_key(content, None);
                changed = true;
            }
        }
        let remaining: Vec<Key> = self
            .objects
            .keys()
            .filter(|(_, ns, _)| *ns == name)
            .cloned()
            .collect();
        let mut by_resource: BTreeMap<String, usize> = BTreeMap::new();
        let mut by_finalizer: BTreeMap<String, usize> = BTreeMap::new();
        for content in &remaining {
            *by_resource.entry(content.0.clone()).or_default() += 1;
            for f in finalizers(&self.objects[content].object) {
                *by_finalizer.entry(f).or_default() += 1;
            }
        }
        let stored = self.objects[key].clone();
        let mut object = stored.object.clone();
        object["status"]["phase"] = json!("Terminating");
        object["status"]["conditions"] =
            namespace_conditions(&by_resource, &by_finalizer, namespace);
        let mut spec_finalizers: Vec<Value> = object["spec"]["finalizers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if remaining.is_empty() {
            spec_finalizers.retain(|f| f.as_str() != Some(NAMESPACE_FINALIZER));
            object["spec"]["finalizers"] = json!(spec_finalizers);
        }
        if remaining.is_empty() && spec_finalizers.is_empty() && finalizers(&object).is_empty() {
            self.remove(key);
            return true;
        }
        if object != stored.object {
            self.commit(key, object, stored.ownership);
            changed = true;
        }
        changed
    }
}

/// `spec.finalizers: [kubernetes]` and `status.phase: Active`, as the API server defaults them.
fn default_namespace(object: &mut Value) {
    if !object["spec"]["finalizers"].is_array() {
        object["spec"]["finalizers"] = json!([NAMESPACE_FINALIZER]);
    }
    if !object["status"]["phase"].is_string() {
        object["status"]["phase"] = json!(if is_deleting(object) {
            "Terminating"
        } else {
            "Active"
        });
    }
}

/// The conditions the namespace controller sets on a terminating namespace.
fn namespace_conditions(
    by_resource: &BTreeMap<String, usize>,
    by_finalizer: &BTreeMap<String, usize>,
    previous: &Value,
) -> Value {
    let since = |kind: &str, status: &str| {
        previous["status"]["conditions"]
            .as_array()
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c["type"] == kind && c["status"] == status)
            })
            .and_then(|c| c["lastTransitionTime"].as_str().map(str::to_owned))
            .unwrap_or_else(now)
    };
    let condition = |kind: &str, ok: bool, good: &str, bad: &str, message: String| {
        let status = if ok { "False" } else { "True" };
        json!({"type": kind, "status": status, "lastTransitionTime": since(kind, status),
               "reason": if ok { good } else { bad }, "message": message})
    };
    let content = by_resource
        .iter()
        .map(|(resource, n)| format!("{resource} has {n} resource instances"))
        .collect::<Vec<_>>()
        .join(", ");
    let held = by_finalizer
        .iter()
        .map(|(finalizer, n)| format!("{finalizer} in {n} resource instances"))
        .collect::<Vec<_>>()
        .join(", ");
    json!([
        condition(
            "NamespaceDeletionDiscoveryFailure",
            true,
            "ResourcesDiscovered",
            "DiscoveryFailed",
            "All resources successfully discovered".to_owned()
        ),
        condition(
            "NamespaceDeletionGroupVersionParsingFailure",
            true,
            "ParsedGroupVersions",
            "GroupVersionParsingFailed",
            "All legacy kube types successfully parsed".to_owned()
        ),
        condition(
            "NamespaceDeletionContentFailure",
            true,
            "ContentDeleted",
            "ContentDeletionFailed",
            "All content successfully deleted, may be waiting on finalization".to_owned()
        ),
        condition(
            "NamespaceContentRemaining",
            by_resource.is_empty(),
            "ContentRemoved",
            "SomeResourcesRemain",
            if by_resource.is_empty() {
                "All content successfully removed".to_owned()
            } else {
                format!("Some resources are remaining: {content}")
            }
        ),
        condition(
            "NamespaceFinalizersRemaining",
            by_finalizer.is_empty(),
            "ContentHasNoFinalizers",
            "SomeFinalizersRemain",
            if by_finalizer.is_empty() {
                "All content-preserving finalizers finished".to_owned()
            } else {
                format!("Some content in the namespace has finalizers remaining: {held}")
            }
        ),
    ])
}

/// The object as served for `resource`: the requested version's `apiVersion`.
fn present(resource: &Resource, object: &Value) -> Value {
    let mut out = object.clone();
    out["apiVersion"] = json!(resource.api_version());
    out
}
