//! Where a built value was written: the file and line in the tree that set a field of a built
//! object, traced through bases, overlays, patches, generators and kustomization fields.
//!
//! A value in kustomize's output may come from the resource file, from a patch in any overlay,
//! from a kustomization field (`commonLabels`, `labels`, `namespace`, `namePrefix`/`nameSuffix`,
//! `images`, `replicas`), from a generator, or from a replacement or var. Rather than predict
//! what each step writes, a [`Tracer`] asks the builder: it builds the directory once with
//! kustomize's origin annotations switched on (which name the resource file, or the generator,
//! each object came from), then, for each kustomization entry on the object's way that could
//! write the field — the last to run first — builds again with that one entry taken out. The
//! first entry whose removal changes the field is its writer; its line is read from the
//! kustomization file, or from inside the patch it names. When no entry writes the field, the
//! resource file does, and the tracer checks that the value written there is the built one.
//! Anything it cannot pin down is `None`, never a guess.
//!
//! Each [`Tracer::locate`] costs one build per candidate entry, so it is meant for the few
//! fields a report points at, not for every field of a build.
//!
//! # Example: a selector label set by an overlay's `commonLabels`
//!
//! ```
//! use std::path::Path;
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::provenance::{Query, Tracer, Writer};
//! use kustomize_build::{BuildOptions, ResId};
//!
//! let mut fs = MemFs::new();
//! fs.add_file("/repo/base/kustomization.yaml", "resources: [deploy.yaml]\n");
//! fs.add_file(
//!     "/repo/base/deploy.yaml",
//!     "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  \
//!      selector:\n    matchLabels:\n      app: web\n",
//! );
//! fs.add_file(
//!     "/repo/prod/kustomization.yaml",
//!     "resources: [../base]\ncommonLabels:\n  team: shop\n",
//! );
//! let tracer = Tracer::new(&fs, Path::new("/repo/prod"), &BuildOptions::new())?;
//! let web = ResId::of(&kustomize_build::json!({
//!     "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}
//! }));
//!
//! let team = tracer.locate(&Query::new(&web, "spec.selector.matchLabels.team")).unwrap();
//! assert_eq!((team.file.as_path(), team.line), (Path::new("/repo/prod/kustomization.yaml"), 3));
//! assert_eq!(team.writer, Writer::Field("commonLabels".to_owned()));
//!
//! let app = tracer.locate(&Query::new(&web, "spec.selector.matchLabels.app")).unwrap();
//! assert_eq!((app.file.as_path(), app.line), (Path::new("/repo/base/deploy.yaml"), 8));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: narrowing a changed mapping with the previous object
//!
//! Rules often report a whole mapping (`spec.selector`). Given the object as it was before the
//! change, the tracer follows the mapping down to the entry that changed and traces that.
//!
//! ```
//! use std::path::Path;
//! use kustomize_build::fs::MemFs;
//! use kustomize_build::provenance::{Query, Tracer};
//! use kustomize_build::{BuildOptions, ResId};
//!
//! let mut fs = MemFs::new();
//! fs.add_file(
//!     "/app/kustomization.yaml",
//!     "resources: [deploy.yaml]\nlabels:\n  - pairs:\n      tier: web\n    includeSelectors: true\n",
//! );
//! fs.add_file(
//!     "/app/deploy.yaml",
//!     "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  \
//!      selector:\n    matchLabels:\n      app: web\n",
//! );
//! let tracer = Tracer::new(&fs, Path::new("/app"), &BuildOptions::new())?;
//! let before = kustomize_build::json!({
//!     "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
//!     "spec": {"selector": {"matchLabels": {"app": "web"}}}
//! });
//! let web = ResId::of(&before);
//! let query = Query::new(&web, "spec.selector").with_previous(&before);
//! let source = tracer.locate(&query).unwrap();
//! assert_eq!(source.field, "spec.selector.matchLabels.tier");
//! assert_eq!(source.line, 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod field;
mod locate;
mod marked;
mod overlay;
mod writers;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::value::Value;

use crate::error::Result;
use crate::fs::{clean_path, Filesystem};
use crate::kustomization_target::{build, BuildOptions, ORIGIN_ANNOTATION};
use crate::resource::{ResId, Resource};
use field::Segment;
use overlay::OverlayFs;
use writers::{Candidate, Origin};

/// What wrote a value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Writer {
    /// The resource file the object was read from.
    Resource,
    /// A patch (`patches`, `patchesStrategicMerge`, `patchesJson6902`); the location is inside
    /// the patch file, or in the kustomization for an inline patch.
    Patch,
    /// Another kustomization field (`commonLabels`, `labels`, `namespace`, `namePrefix`,
    /// `images`, `replicas`, `replacements`, `vars`, `transformers`…), named as written in
    /// kustomize's documentation.
    Field(String),
    /// A generator (`configMapGenerator`, `secretGenerator`, `generators`).
    Generator(String),
}

impl fmt::Display for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Writer::Resource => f.write_str("resource file"),
            Writer::Patch => f.write_str("patch"),
            Writer::Field(name) | Writer::Generator(name) => f.write_str(name),
        }
    }
}

/// Where a value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Source {
    /// The file, as the filesystem names it (absolute).
    pub file: PathBuf,
    /// The line, counted from 1.
    pub line: usize,
    /// What kind of entry wrote it.
    pub writer: Writer,
    /// The field traced, unambiguous (`spec.selector.matchLabels.team` when the query named
    /// `spec.selector` and a previous object showed which entry changed).
    pub field: String,
}

impl Source {
    /// The file relative to `root` (the repository or tree root), or as is when outside it.
    pub fn file_relative_to(&self, root: &Path) -> PathBuf {
        self.file
            .strip_prefix(root)
            .map_or_else(|_| self.file.clone(), Path::to_path_buf)
    }
}

/// Which value to trace: an object of the build, a field in the immutable-rules syntax
/// (`spec.volumeClaimTemplates[0].spec.storageClassName`; keys may contain dots, as label keys
/// do), and optionally the object before the change.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    object: &'a ResId,
    field: &'a str,
    previous: Option<&'a Value>,
    current: Option<&'a Value>,
}

impl<'a> Query<'a> {
    /// Trace `field` of the built object with this group, kind, namespace and name (the
    /// version is not compared).
    pub fn new(object: &'a ResId, field: &'a str) -> Self {
        Self {
            object,
            field,
            previous: None,
            current: None,
        }
    }

    /// The object before the change: a field that is a mapping or list is followed down to the
    /// first entry that differs from it.
    #[must_use]
    pub fn with_previous(mut self, previous: &'a Value) -> Self {
        self.previous = Some(previous);
        self
    }

    /// The object as the caller built it (by another builder, such as Flux's with `postBuild`
    /// substitution): when the traced value differs from it, the answer is `None`, since the
    /// tracer's build is not where the caller's value comes from.
    #[must_use]
    pub fn with_current(mut self, current: &'a Value) -> Self {
        self.current = Some(current);
        self
    }
}

/// Answers [`Query`]s about one kustomization directory.
pub struct Tracer<'fs> {
    fs: &'fs dyn Filesystem,
    /// A kustomization file that reads differently from the tree (the one Flux generates or
    /// completes), and its content: built through, never pointed at.
    generated: Option<(PathBuf, Vec<u8>)>,
    dir: PathBuf,
    options: BuildOptions,
    built: Vec<Resource>,
}

impl fmt::Debug for Tracer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer")
            .field("dir", &self.dir)
            .field("objects", &self.built.len())
            .finish_non_exhaustive()
    }
}

impl<'fs> Tracer<'fs> {
    /// Build `dir` with origins recorded. Fails when the directory does not build.
    pub fn new(fs: &'fs dyn Filesystem, dir: &Path, options: &BuildOptions) -> Result<Self> {
        let mut options = options.clone();
        options.trace = true;
        let dir = clean_path(dir);
        let dir = fs.canonicalize(&dir).unwrap_or(dir);
        let built = build(fs, &dir, &options)?.into_resources();
        Ok(Self {
            fs,
            generated: None,
            dir,
            options,
            built,
        })
    }

    /// A tracer for `dir` built through a kustomization file that is not in the tree as
    /// written: `kustomization` is the path of the kustomization file in `dir` (it may be
    /// missing from the tree) and `content` what the build reads there instead. This is how a
    /// GitOps engine's view is traced: Flux's kustomize-controller generates or completes the
    /// kustomization in `spec.path` from the Flux object's fields (`gitops-repo` writes that
    /// file). Pass the engine's built object to [`Query::with_current`], so values the engine
    /// changed after kustomize (Flux's `postBuild` substitution) are `None`; values written by
    /// entries of the generated file are `None` too, since it is no file of the tree.
    ///
    /// ```
    /// use std::path::Path;
    /// use kustomize_build::fs::MemFs;
    /// use kustomize_build::provenance::{Query, Tracer};
    /// use kustomize_build::{BuildOptions, ResId};
    ///
    /// let mut fs = MemFs::new();
    /// fs.add_file("/r/apps/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
    /// let generated = b"resources: [cm.yaml]\nnamespace: shop\n".to_vec();
    /// let file = Path::new("/r/apps/kustomization.yaml");
    /// let tracer = Tracer::with_kustomization(&fs, Path::new("/r/apps"), file, generated, &BuildOptions::new())?;
    /// let cm = ResId::of(&kustomize_build::json!({
    ///     "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}
    /// }));
    /// let name = tracer.locate(&Query::new(&cm, "metadata.name")).unwrap();
    /// assert_eq!((name.file.as_path(), name.line), (Path::new("/r/apps/cm.yaml"), 4));
    /// // Written by the generated kustomization, which is no file to point at.
    /// assert!(tracer.locate(&Query::new(&cm, "metadata.namespace")).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// When the directory does not build.
    pub fn with_kustomization(
        fs: &'fs dyn Filesystem,
        dir: &Path,
        kustomization: &Path,
        content: Vec<u8>,
        options: &BuildOptions,
    ) -> Result<Self> {
        let dir = clean_path(dir);
        let dir = fs.canonicalize(&dir).unwrap_or(dir);
        let mut options = options.clone();
        options.trace = true;
        let view = OverlayFs {
            inner: fs,
            path: kustomization.to_path_buf(),
            content: content.clone(),
        };
        let built = build(&view, &dir, &options)?.into_resources();
        Ok(Self {
            fs,
            generated: Some((kustomization.to_path_buf(), content)),
            dir,
            options,
            built,
        })
    }

    /// The tree as the builds see it (with the replaced kustomization, if any).
    fn view(&self) -> OverlayFs<'_> {
        let (path, content) = self.generated.clone().unwrap_or_default();
        OverlayFs {
            inner: self.fs,
            path,
            content,
        }
    }

    /// Where the queried value was written; `None` when the object is not in the build or the
    /// writer cannot be told for sure.
    pub fn locate(&self, query: &Query<'_>) -> Option<Source> {
        let object = self
            .built
            .iter()
            .find(|r| same_object(&r.id(), query.object))?;
        let mut segments = field::resolve(query.field, object.object())?;
        if let Some(previous) = query.previous {
            segments = field::narrow(segments, object.object(), previous);
        }
        let value = field::get(object.object(), &segments);
        if let Some(current) = query.current {
            if field::get(current, &segments) != value {
                return None;
            }
        }
        let origin = self.origin(object)?;
        let view = self.view();
        let fs: &dyn Filesystem = &view;
        let route = writers::route(fs, &self.dir, &origin);
        let names = names(object);
        let kind = object.org_id().kind;
        let target = writers::Target {
            segments: &segments,
            object: object.object(),
            value,
            kind: &kind,
            names: &names,
        };
        let traced = field::render(&segments);
        let source = |file: PathBuf, line: usize, writer: Writer| Source {
            file,
            line,
            writer,
            field: traced.clone(),
        };
        let key = pairing_key(object);
        let previous = query.previous.and_then(|p| field::get(p, &segments));
        // What the resource file must say: the built value, less the name prefixes and
        // suffixes found on the way.
        let mut expected = value.cloned();
        let mut affix: Option<Candidate> = None;
        // A location inside the generated kustomization is no line of the tree.
        let pointable = |(file, line): (PathBuf, usize)| {
            let generated = self.generated.as_ref().is_some_and(|(g, _)| *g == file);
            (!generated).then_some((file, line))
        };
        for candidate in writers::candidates(fs, &route, &target) {
            if !self.writes(fs, &route, &candidate, &key, &segments, value) {
                continue;
            }
            if let Some(rest) =
                writers::strip_affix(&route, &candidate, expected.as_ref(), previous)
            {
                // A prefix or suffix is one part of a name, and not the part that changed: the
                // rest of the name is written elsewhere.
                expected = Some(rest);
                affix.get_or_insert(candidate);
                continue;
            }
            let (file, line) = pointable(writers::locate(fs, &route, &candidate, &target)?)?;
            return Some(source(file, line, writer(&candidate)));
        }
        let in_file = match origin {
            Origin::File(file) => {
                self.in_resource_file(&file, object, &segments, expected.as_ref())
            }
            Origin::Generated(_) => None,
        };
        if let Some((file, line)) = in_file {
            return Some(source(file, line, Writer::Resource));
        }
        // Nothing else writes the name: the prefix or suffix is all there is to point at.
        let candidate = affix?;
        let (file, line) = pointable(writers::locate(fs, &route, &candidate, &target)?)?;
        Some(source(file, line, writer(&candidate)))
    }

    /// The file or generator the object came from.
    fn origin(&self, object: &Resource) -> Option<Origin> {
        let annotation = object.annotation(ORIGIN_ANNOTATION)?;
        let field = |name: &str| {
            annotation
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
        };
        if let Some(path) = field("path:") {
            return Some(Origin::File(clean_path(&self.dir.join(path))));
        }
        field("configuredIn:").map(|k| Origin::Generated(clean_path(&self.dir.join(k))))
    }

    /// Whether taking `candidate` out changes the field (or loses the object).
    fn writes(
        &self,
        view: &dyn Filesystem,
        route: &[writers::KFile],
        candidate: &Candidate,
        key: &(ResId, String),
        segments: &[Segment],
        value: Option<&Value>,
    ) -> bool {
        let Some((path, content)) = writers::without(route, candidate) else {
            return false;
        };
        let fs = OverlayFs {
            inner: view,
            path,
            content,
        };
        // An entry others depend on breaks the build without it: that says nothing about
        // this field.
        let Ok(built) = build(&fs, &self.dir, &self.options) else {
            return false;
        };
        let paired = built.resources().iter().find(|r| pairing_key(r) == *key);
        match paired {
            Some(other) => field::get(other.object(), segments) != value,
            None => true,
        }
    }

    /// The line in the resource file that writes the field, if the value there is the built one.
    fn in_resource_file(
        &self,
        file: &Path,
        object: &Resource,
        segments: &[Segment],
        value: Option<&Value>,
    ) -> Option<(PathBuf, usize)> {
        let text = String::from_utf8(self.fs.read(file).ok()?).ok()?;
        let documents = marked::parse(&text)?;
        let original = object.org_id();
        let document = documents.iter().find(|doc| {
            let text = |path: &[&str]| {
                path.iter()
                    .try_fold(*doc, |node, key| node.get(key).map(|e| &e.value))
                    .and_then(marked::Node::text)
            };
            text(&["kind"]) == Some(original.kind.as_str())
                && text(&["metadata", "name"]) == Some(original.name.as_str())
        })?;
        let found = locate::walk(document, segments, Some(object.object()))?;
        locate::agrees(found.node, value).then(|| (file.to_path_buf(), found.line))
    }
}

/// The same object, whatever its version.
fn same_object(a: &ResId, b: &ResId) -> bool {
    a.group == b.group && a.kind == b.kind && a.namespace == b.namespace && a.name == b.name
}

/// How an object is recognised in a build of the same tree with one entry taken out: its
/// original identity and where it came from, which no renaming changes.
fn pairing_key(resource: &Resource) -> (ResId, String) {
    let mut id = resource.org_id();
    id.version.clear();
    let origin = resource
        .annotation(ORIGIN_ANNOTATION)
        .unwrap_or("")
        .to_owned();
    (id, origin)
}

/// Every name the object had, for finding it in patches written against an inner name.
fn names(object: &Resource) -> Vec<String> {
    let mut names: Vec<String> = object.prev_ids().into_iter().map(|id| id.name).collect();
    names.push(object.name().to_owned());
    names
}

fn writer(candidate: &Candidate) -> Writer {
    match candidate.field {
        "patches" | "patchesStrategicMerge" | "patchesJson6902" => Writer::Patch,
        "configMapGenerator" | "secretGenerator" | "generators" => {
            Writer::Generator(candidate.field.to_owned())
        }
        other => Writer::Field(other.to_owned()),
    }
}

#[cfg(test)]
mod tests;
