//! Reading YAML text into JSON values as kustomize reads a resource file.
//!
//! yaml-rust2's event parser does the syntax; this module builds values from its events
//! without recursion (so deep nesting cannot overflow the stack), resolves scalars with
//! go-yaml v3's rules ([`super::scalar`]), expands aliases and merge keys (`<<`) as kyaml's
//! `DeAnchor` does, and enforces [`Limits`] so hostile input ends in an error.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::value::{escape_token, Entry, Key, SubtreeSharing};
use crate::value::{Map, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::block_tail;
use super::documents::{
    leading_directive, split_pieces, tab_after_sequence_dash, tab_in_block_indentation,
    tabs_after_colon_as_spaces,
};
use super::folded::after_kyaml_round_trip;
use super::scalar::{decode_scalar, key_kind, resolve_plain, KeyKind, Resolved, Style};
use super::{YamlError, YamlErrorKind};

/// Bounds that keep hostile input from exhausting memory or the stack.
///
/// The defaults are far above anything a real Kubernetes manifest needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes that aliases may add by expansion, over the whole input.
    pub max_alias_nodes: usize,
    /// Most bytes of scalar text that aliases may add by expansion, over the whole input.
    pub max_alias_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 128 << 20,
            max_depth: 512,
            max_alias_nodes: 1_000_000,
            max_alias_bytes: 64 << 20,
        }
    }
}

impl Limits {
    /// Limits with a different input size cap.
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Limits with a different nesting cap.
    #[must_use]
    pub fn with_max_depth(mut self, max_depth: usize) -> Self {
        self.max_depth = max_depth;
        self
    }

    /// Limits with a different alias expansion cap (nodes).
    #[must_use]
    pub fn with_max_alias_nodes(mut self, max_alias_nodes: usize) -> Self {
        self.max_alias_nodes = max_alias_nodes;
        self
    }
}

/// Parses every document of `text` with the default [`Limits`]; see [`parse_documents_with`].
pub fn parse_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    parse_documents_with(text, Limits::default())
}

/// [`parse_documents`] for callers that work with `serde_json`: the same documents, each
/// converted to a `serde_json::Value`.
///
/// # Errors
///
/// As [`parse_documents`].
pub fn parse_json_documents(text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    parse_documents(text)
        .map(|documents| documents.into_iter().map(serde_json::Value::from).collect())
}

/// Parses every document of `text` as kustomize reads a resource file.
///
/// Documents that are empty, `null`, `{}` or `[]` are skipped, as kustomize skips them. Every
/// other document is returned as is, whatever its shape: a `kind: List` document, a scalar or
/// a sequence is left for the caller to expand or reject.
pub fn parse_documents_with(text: &str, limits: Limits) -> Result<Vec<Value>, YamlError> {
    parse(text, limits, Reading::Resource)
}

/// Parses every document of a strategic-merge patch. As in [`parse_documents`], the values of
/// `metadata.annotations` keep their source text, except that a `null` stays `null`: kustomize
/// merges the patch's own nodes, and a null node deletes the annotation.
pub(crate) fn parse_patch_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    parse(text, Limits::default(), Reading::Patch)
}

/// Parses every document of a resource file for a build: as [`parse_documents`], except that a
/// top-level `metadata.name` or `metadata.namespace` that YAML reads as something other than its
/// own text (`123`, `true`, `0x1F`, `2024-01-01`) is kept as that text, which is what kustomize
/// identifies, sorts and transforms the object by; the value kustomize prints is recorded in a
/// [`TYPED_NAME_ANNOTATION`] or [`TYPED_NAMESPACE_ANNOTATION`] annotation (`[text, value]` as
/// JSON) for the build to put back.
pub(crate) fn parse_resource_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    parse(text, Limits::default(), Reading::ResourceFile)
}

/// Parses text kustomize reads through `sigs.k8s.io/yaml`'s `YAMLToJSON`, that is with go-yaml v2:
/// kustomization files and JSON 6902 patches written as YAML. Unlike go-yaml v3, v2
/// resolves YAML 1.1 booleans (`y`, `yes`, `on`, `n`, `no`, `off` and their capitalised forms)
/// and keeps a timestamp-like plain scalar (`2024-01-01`) as its text when decoding into an
/// `interface{}` (yaml.v2 `decode.go`, `resolve.go`); mapping keys are left as v3 reads them.
pub(crate) fn parse_go_yaml_v2_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    parse(text, Limits::default(), Reading::GoYamlV2)
}

/// The annotation holding `[source text, value]` of a `metadata.name` that is not a string.
pub(crate) const TYPED_NAME_ANNOTATION: &str = "internal.config.kubernetes.io/unstuck-typed-name";
/// The annotation holding `[source text, value]` of a `metadata.namespace` that is not a string.
pub(crate) const TYPED_NAMESPACE_ANNOTATION: &str =
    "internal.config.kubernetes.io/unstuck-typed-namespace";

/// The annotation listing, as a JSON array of JSON pointers, the fields of a resource file's
/// document whose value is an empty null (`key:` with nothing after it, or `!!null ''`).
///
/// kyaml keeps a null it reads as the scalar's text, and its strategic-merge walker
/// (`merge2`'s `VisitMap`) preserves a null the patch does not name only when that text is not
/// empty (`null`, `~`): an empty one disappears from every map the walker visits. JSON holds
/// both as `null`, so the reader records which ones were empty for the patch step.
pub(crate) const EMPTY_NULLS_ANNOTATION: &str = "internal.config.kubernetes.io/unstuck-empty-nulls";

/// One plain read of `text`, without replaying kyaml's second read of folded scalars.
pub(crate) fn parse_once(text: &str) -> Result<Vec<Value>, YamlError> {
    parse(text, Limits::default(), Reading::Once)
}

/// What a text is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// A resource file, as kustomize reads it: kyaml's round trip of folded scalars replayed.
    Resource,
    /// A resource file of a build: as `Resource`, with names and namespaces kept as text.
    ResourceFile,
    /// A strategic-merge patch: as a resource, but `null` annotation values stay `null`, and
    /// names and namespaces are kept as text (the identity the patch selects by).
    Patch,
    /// One plain read (the second read of kyaml's folded-scalar round trip).
    Once,
    /// Text kustomize reads with go-yaml v2 (kustomization files, JSON 6902 patches).
    GoYamlV2,
}

fn parse(text: &str, limits: Limits, reading: Reading) -> Result<Vec<Value>, YamlError> {
    if text.len() > limits.max_bytes {
        return Err(YamlError::new(
            1,
            1,
            YamlErrorKind::TooLarge {
                limit: limits.max_bytes,
            },
        ));
    }
    // kyaml turns Windows line breaks into `\n` before anything else.
    let text: Cow<'_, str> = if text.contains("\r\n") {
        Cow::Owned(text.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(text)
    };
    let pieces = split_pieces(&text).map_err(|bad| {
        YamlError::new(
            bad.line,
            1,
            YamlErrorKind::Syntax(format!("invalid document separator: {}", bad.line_text)),
        )
    })?;
    let mut documents = Vec::new();
    let mut alias_expansion = Stats::default();
    // A resource file's repeated blocks (a CRD's schema for each version it serves) are held
    // once, shared as each block is read: the file is never held unshared.
    let mut sharing = (reading == Reading::ResourceFile).then(SubtreeSharing::default);
    for piece in pieces {
        let shift = |e: YamlError| e.shifted(piece.lines_before);
        // go-yaml drops a byte order mark at the start of each decoder's input; yaml-rust2
        // would keep it as part of the first key.
        let body = piece.text.strip_prefix('\u{feff}').unwrap_or(piece.text);
        if let Some((line, directive)) = leading_directive(body) {
            return Err(shift(YamlError::new(
                line,
                1,
                YamlErrorKind::Syntax(format!(
                    "did not find expected <document start> after {directive:?}: kustomize cuts files at `---` lines, so YAML directives cannot be used"
                )),
            )));
        }
        let mut body = Cow::Borrowed(body);
        // Each retry turns the tabs after one `:` into spaces, or quotes one lone `-` of a flow
        // collection, so this ends.
        let mut builder = loop {
            let mut builder = Builder::new(limits);
            builder.reading = reading;
            builder.alias_expansion = alias_expansion;
            builder.sharing = sharing.take();
            let outcome = first_document(&body, &mut builder);
            sharing = builder.sharing.take();
            match outcome {
                Ok(()) => break builder,
                Err(Retry::Rewritten(fixed)) => body = Cow::Owned(fixed),
                Err(Retry::No(error)) => return Err(shift(error)),
            }
        };
        alias_expansion = builder.alias_expansion;
        documents.append(&mut builder.documents);
    }
    Ok(documents)
}

/// Why reading one piece stopped early.
enum Retry {
    /// The piece reads as go-yaml reads it once rewritten so: tabs after a `:` made spaces, or
    /// a lone `-` in a flow collection quoted.
    Rewritten(String),
    /// A real error.
    No(YamlError),
}

/// Reads the first document of `body` into `builder`, as one go-yaml `Decode` call does.
fn first_document(body: &str, builder: &mut Builder) -> Result<(), Retry> {
    let has_tabs = body.contains('\t');
    let mut parser = Parser::new_from_str(body);
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            let m = e.marker();
            if has_tabs && e.info() == "':' must be followed by a valid YAML whitespace" {
                if let Some(fixed) = tabs_after_colon_as_spaces(body, byte_offset(body, m.index()))
                {
                    return Retry::Rewritten(fixed);
                }
            }
            if e.info() == "plain scalar cannot start with '-' followed by ,[]{}" {
                if let Some(fixed) = lone_dash_quoted(body, byte_offset(body, m.index())) {
                    return Retry::Rewritten(fixed);
                }
            }
            Retry::No(YamlError::new(
                m.line(),
                m.col() + 1,
                YamlErrorKind::Syntax(e.info().to_owned()),
            ))
        })?;
        if has_tabs {
            if let Event::Scalar(
                _,
                TScalarStyle::Plain | TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted,
                ..,
            ) = event
            {
                if tab_after_sequence_dash(body, byte_offset(body, mark.index())) {
                    return Err(Retry::No(YamlError::new(
                        mark.line(),
                        1,
                        YamlErrorKind::Syntax(
                            "found character that cannot start any token (a tab after a sequence's `-`; use spaces)".into(),
                        ),
                    )));
                }
            }
            if let Event::Scalar(_, TScalarStyle::Literal | TScalarStyle::Folded, ..) = event {
                if let Some(at) = tab_in_block_indentation(body, byte_offset(body, mark.index())) {
                    return Err(Retry::No(YamlError::new(
                        body[..at].matches('\n').count() + 1,
                        1,
                        YamlErrorKind::Syntax(
                            "found a tab character where an indentation space is expected".into(),
                        ),
                    )));
                }
            }
        }
        let event = match event {
            Event::Scalar(
                value,
                style @ (TScalarStyle::Literal | TScalarStyle::Folded),
                anchor,
                tag,
            ) => {
                let value = block_tail::go_value(body, byte_offset(body, mark.index()), value);
                Event::Scalar(value, style, anchor, tag)
            }
            other => other,
        };
        let document_end = matches!(event, Event::DocumentEnd);
        if builder.event(event, mark).map_err(Retry::No)? || document_end {
            return Ok(());
        }
    }
}

/// The byte offset of the `index`th character of `text`.
/// go-yaml (libyaml's scanner) reads a `-` right before a flow collection's `,`, `]` or `}` as
/// the plain scalar `-` (`[a, -]`, `{cpu: -}`); yaml-rust2 refuses it. The same text with that
/// `-` quoted reads as go-yaml reads the original.
fn lone_dash_quoted(body: &str, at: usize) -> Option<String> {
    let rest = body.get(at..)?;
    let mut chars = rest.chars();
    if chars.next() != Some('-') || !matches!(chars.next(), Some(',' | ']' | '}')) {
        return None;
    }
    Some(format!("{}\"-\"{}", &body[..at], &rest[1..]))
}

fn byte_offset(text: &str, index: usize) -> usize {
    if text.is_ascii() {
        return index.min(text.len());
    }
    text.char_indices()
        .nth(index)
        .map_or(text.len(), |(at, _)| at)
}

/// A finished node on its way to its parent.
enum Built {
    /// A scalar: decoded by the parent, which knows whether it is a key.
    Scalar {
        text: String,
        style: Style,
        tag: Option<String>,
    },
    /// A collection or an alias's copy.
    Value { value: Value, from_alias: bool },
}

enum PendingKey {
    Key {
        text: String,
        line: usize,
        col: usize,
    },
    Merge {
        line: usize,
        col: usize,
    },
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        stats: Stats,
    },
    Map {
        map: Map,
        /// The line of each key in `map`, in insertion order, for duplicate-key messages.
        key_lines: Vec<usize>,
        pending: Option<PendingKey>,
        /// Mappings merged in with `<<`, lowest precedence first.
        merges: Vec<Map>,
        saw_merge: bool,
        anchor: usize,
        stats: Stats,
    },
}

/// Size of a finished node, counted so alias expansion can be capped.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    nodes: usize,
    bytes: usize,
}

impl Stats {
    fn add(&mut self, other: Stats) {
        self.nodes = self.nodes.saturating_add(other.nodes);
        self.bytes = self.bytes.saturating_add(other.bytes);
    }
}

struct Builder {
    limits: Limits,
    documents: Vec<Value>,
    stack: Vec<Frame>,
    root: Option<Value>,
    anchors: HashMap<usize, (Value, Stats)>,
    alias_expansion: Stats,
    /// What the text is read as (see [`Reading`]).
    reading: Reading,
    /// The annotations to add to the current document: key, then `[text, value]`.
    typed_ids: Vec<(&'static str, String)>,
    /// JSON pointers of the current document's mapping values that are empty nulls.
    empty_nulls: Vec<Value>,
    /// Where finished collections are shared with equal earlier ones (resource files only).
    sharing: Option<SubtreeSharing>,
}

impl Builder {
    fn new(limits: Limits) -> Self {
        Self {
            limits,
            documents: Vec::new(),
            stack: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            alias_expansion: Stats::default(),
            reading: Reading::Resource,
            typed_ids: Vec::new(),
            empty_nulls: Vec::new(),
            sharing: None,
        }
    }

    /// Handles one parser event; `Ok(true)` at the end of the stream.
    fn event(&mut self, event: Event, mark: Marker) -> Result<bool, YamlError> {
        match event {
            Event::StreamEnd => return Ok(true),
            Event::StreamStart | Event::Nothing => {}
            Event::DocumentStart => {
                // Anchors do not cross document boundaries.
                self.anchors.clear();
                self.root = None;
                self.typed_ids.clear();
                self.empty_nulls.clear();
            }
            Event::DocumentEnd => {
                if let Some(mut root) = self.root.take() {
                    for (key, value) in self.typed_ids.drain(..) {
                        annotate(&mut root, key, value);
                    }
                    if !self.empty_nulls.is_empty() {
                        let pointers = Value::from(std::mem::take(&mut self.empty_nulls));
                        annotate(&mut root, EMPTY_NULLS_ANNOTATION, pointers.to_string());
                    }
                    if !is_empty_document(&root) {
                        self.documents.push(root);
                    }
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let tag = tag.as_ref().and_then(short_tag);
                let text = if self.reading != Reading::Once
                    && style == TScalarStyle::Folded
                    && tag.as_deref().is_none_or(|t| t == "!!str")
                {
                    after_kyaml_round_trip(text)
                } else {
                    text
                };
                let style = match style {
                    TScalarStyle::Plain => Style::Plain,
                    _ => Style::Quoted,
                };
                let stats = Stats {
                    nodes: 1,
                    bytes: text.len(),
                };
                let v2_value = (self.reading == Reading::GoYamlV2
                    && style == Style::Plain
                    && tag.is_none()
                    && !self.next_is_key())
                .then(|| yaml_v2_plain_value(&text))
                .flatten();
                if let Some(value) = v2_value {
                    if anchor != 0 {
                        self.anchors.insert(anchor, (value.clone(), stats));
                    }
                    let built = Built::Value {
                        value,
                        from_alias: false,
                    };
                    self.deliver(built, stats, mark)?;
                    return Ok(false);
                }
                if anchor != 0 {
                    let value = decode_scalar(text.clone(), style, tag.as_deref())
                        .map_err(|k| at(mark, k))?;
                    self.anchors.insert(anchor, (value, stats));
                }
                self.deliver(Built::Scalar { text, style, tag }, stats, mark)?;
            }
            Event::Alias(id) => {
                let Some((value, stats)) = self.anchors.get(&id) else {
                    return Err(at(
                        mark,
                        YamlErrorKind::Syntax(
                            "alias refers to an anchor that is undefined or still open".into(),
                        ),
                    ));
                };
                let stats = *stats;
                self.alias_expansion.add(stats);
                if self.alias_expansion.nodes > self.limits.max_alias_nodes
                    || self.alias_expansion.bytes > self.limits.max_alias_bytes
                {
                    return Err(at(
                        mark,
                        YamlErrorKind::AliasExpansion {
                            limit: self.limits.max_alias_nodes,
                        },
                    ));
                }
                let value = value.clone();
                self.deliver(
                    Built::Value {
                        value,
                        from_alias: true,
                    },
                    stats,
                    mark,
                )?;
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(mark)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                    stats: Stats { nodes: 1, bytes: 0 },
                });
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(mark)?;
                self.stack.push(Frame::Map {
                    map: Map::new(),
                    key_lines: Vec::new(),
                    pending: None,
                    merges: Vec::new(),
                    saw_merge: false,
                    anchor,
                    stats: Stats { nodes: 1, bytes: 0 },
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    items,
                    anchor,
                    stats,
                }) = self.stack.pop()
                {
                    let value = Value::from(exact_vec(items));
                    self.finish_collection(value, anchor, stats, mark)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    map,
                    merges,
                    anchor,
                    stats,
                    ..
                }) = self.stack.pop()
                {
                    let value = Value::Object(exact_map(apply_merges(map, merges)));
                    self.finish_collection(value, anchor, stats, mark)?;
                }
            }
        }
        Ok(false)
    }

    fn check_depth(&self, mark: Marker) -> Result<(), YamlError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(at(
                mark,
                YamlErrorKind::TooDeep {
                    limit: self.limits.max_depth,
                },
            ));
        }
        Ok(())
    }

    fn finish_collection(
        &mut self,
        mut value: Value,
        anchor: usize,
        stats: Stats,
        mark: Marker,
    ) -> Result<(), YamlError> {
        // A document's root is not shared: it is annotated once complete, and a whole document
        // repeating an earlier one is rare.
        if let (Some(sharing), false) = (&mut self.sharing, self.stack.is_empty()) {
            sharing.share_finished(&mut value);
        }
        if anchor != 0 {
            self.anchors.insert(anchor, (value.clone(), stats));
        }
        self.deliver(
            Built::Value {
                value,
                from_alias: false,
            },
            stats,
            mark,
        )
    }

    /// The JSON pointer of the mapping value about to be delivered; `None` when the next node is
    /// not a mapping value, or sits under a key or a merge (`<<`).
    fn pending_value_pointer(&self) -> Option<String> {
        let mut pointer = String::new();
        for frame in &self.stack {
            pointer.push('/');
            match frame {
                Frame::Seq { items, .. } => pointer.push_str(&items.len().to_string()),
                Frame::Map {
                    pending: Some(PendingKey::Key { text, .. }),
                    ..
                } => pointer.push_str(&escape_token(text)),
                Frame::Map { .. } => return None,
            }
        }
        matches!(self.stack.last(), Some(Frame::Map { .. })).then_some(pointer)
    }

    /// Whether the next node delivered is a mapping key.
    fn next_is_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { pending: None, .. }))
    }

    /// Whether the next node delivered is a value of the document's `metadata.annotations`.
    fn at_top_level_annotation_value(&self) -> bool {
        fn pending_key(frame: &Frame) -> Option<&str> {
            match frame {
                Frame::Map {
                    pending: Some(PendingKey::Key { text, .. }),
                    ..
                } => Some(text.as_str()),
                _ => None,
            }
        }
        match self.stack.as_slice() {
            [root, metadata, annotations] => {
                pending_key(root) == Some("metadata")
                    && pending_key(metadata) == Some("annotations")
                    && pending_key(annotations).is_some()
            }
            _ => false,
        }
    }

    /// `name` or `namespace` when the next node delivered is the document's `metadata.name` or
    /// `metadata.namespace`.
    fn at_top_level_id(&self) -> Option<&'static str> {
        let pending = |frame: &Frame| match frame {
            Frame::Map {
                pending: Some(PendingKey::Key { text, .. }),
                ..
            } => Some(text.clone()),
            _ => None,
        };
        match self.stack.as_slice() {
            [root, metadata] if pending(root).as_deref() == Some("metadata") => {
                match pending(metadata).as_deref() {
                    Some("name") => Some("name"),
                    Some("namespace") => Some("namespace"),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// kyaml identifies an object by the text of its name and namespace scalars whatever YAML
    /// reads them as (`name: 0x1F` is the object `0x1F`), but prints them as read (`31`).
    fn id_as_text(&mut self, built: Built, mark: Marker) -> Result<Built, YamlError> {
        let Built::Scalar { text, style, tag } = built else {
            return Ok(built);
        };
        let Some(field) = self.at_top_level_id() else {
            return Ok(Built::Scalar { text, style, tag });
        };
        let value = decode_scalar(text.clone(), style, tag.as_deref()).map_err(|k| at(mark, k))?;
        let as_text = match &value {
            Value::String(read) => read == &text,
            // A missing name stays missing.
            Value::Null | Value::Array(_) | Value::Object(_) => true,
            Value::Bool(_) | Value::Number(_) => false,
        };
        if as_text {
            return Ok(Built::Value {
                value,
                from_alias: false,
            });
        }
        if self.reading == Reading::ResourceFile {
            let key = if field == "name" {
                TYPED_NAME_ANNOTATION
            } else {
                TYPED_NAMESPACE_ANNOTATION
            };
            self.typed_ids.push((
                key,
                Value::from(vec![Value::String(text.clone()), value]).to_string(),
            ));
        }
        Ok(Built::Value {
            value: Value::String(text),
            from_alias: false,
        })
    }

    /// Hands a finished node to the open collection (or makes it the document root).
    fn deliver(&mut self, built: Built, stats: Stats, mark: Marker) -> Result<(), YamlError> {
        let built = if matches!(self.reading, Reading::Patch | Reading::ResourceFile) {
            self.id_as_text(built, mark)?
        } else {
            built
        };
        // kustomize reads a document's own annotations as the scalars' source text (kyaml's
        // `GetAnnotations` takes each node's `Value`), so `1.10`, `0x10` and `~` keep their
        // spelling; only objects inlined from a `List` lose it in a JSON round trip.
        let built = match built {
            Built::Scalar { text, style, tag } if self.at_top_level_annotation_value() => {
                let null = self.reading == Reading::Patch
                    && matches!(
                        decode_scalar(text.clone(), style, tag.as_deref()),
                        Ok(Value::Null)
                    );
                Built::Value {
                    value: if null {
                        Value::Null
                    } else {
                        Value::String(text)
                    },
                    from_alias: false,
                }
            }
            other => other,
        };
        if self.reading == Reading::ResourceFile {
            if let Built::Scalar { text, style, tag } = &built {
                if text.is_empty()
                    && matches!(
                        decode_scalar(String::new(), *style, tag.as_deref()),
                        Ok(Value::Null)
                    )
                {
                    if let Some(pointer) = self.pending_value_pointer() {
                        self.empty_nulls.push(Value::String(pointer));
                    }
                }
            }
        }
        let at_root_level = self.stack.len() == 1;
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(into_value(built).map_err(|k| at(mark, k))?);
            return Ok(());
        };
        match frame {
            Frame::Seq {
                items,
                stats: total,
                ..
            } => {
                total.add(stats);
                items.push(into_value(built).map_err(|k| at(mark, k))?);
            }
            Frame::Map {
                map,
                key_lines,
                pending,
                merges,
                saw_merge,
                stats: total,
                ..
            } => {
                total.add(stats);
                match pending.take() {
                    None => *pending = Some(key_of(built, at_root_level, mark)?),
                    Some(PendingKey::Merge { line, col }) => {
                        if *saw_merge {
                            return Err(YamlError::new(
                                line,
                                col,
                                YamlErrorKind::InvalidMerge("duplicate merge key"),
                            ));
                        }
                        *saw_merge = true;
                        let from_alias = matches!(
                            built,
                            Built::Value {
                                from_alias: true,
                                ..
                            }
                        );
                        let value = into_value(built).map_err(|k| at(mark, k))?;
                        if from_alias && !value.is_object() {
                            return Err(YamlError::new(
                                line,
                                col,
                                YamlErrorKind::InvalidMerge("received alias for a non-map value"),
                            ));
                        }
                        add_merge_sources(merges, value).map_err(|why| {
                            YamlError::new(line, col, YamlErrorKind::InvalidMerge(why))
                        })?;
                    }
                    Some(PendingKey::Key { text, line, col }) => {
                        let value = into_value(built).map_err(|k| at(mark, k))?;
                        match map.entry(exact_key(text)) {
                            Entry::Vacant(entry) => {
                                key_lines.push(line);
                                entry.insert(value);
                            }
                            Entry::Occupied(entry) => {
                                let text = entry.key().to_string();
                                let first_line = map
                                    .keys()
                                    .position(|k| *k == text)
                                    .and_then(|i| key_lines.get(i).copied())
                                    .unwrap_or(line);
                                return Err(YamlError::new(
                                    line,
                                    col,
                                    YamlErrorKind::DuplicateKey {
                                        key: text,
                                        first_line,
                                    },
                                ));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// What go-yaml v2 decodes an untagged plain scalar to, where that differs from v3: the YAML 1.1
/// booleans v3 reads as strings, and timestamps, which v2 hands to an `interface{}` as their text
/// "for backward compatibility" (yaml.v2 `decode.go`, `scalar`).
fn yaml_v2_plain_value(text: &str) -> Option<Value> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(Value::Bool(true)),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(Value::Bool(false)),
        _ => matches!(resolve_plain(text), Resolved::Timestamp(_))
            .then(|| Value::String(text.to_owned())),
    }
}

fn at(mark: Marker, kind: YamlErrorKind) -> YamlError {
    YamlError::new(mark.line(), mark.col() + 1, kind)
}

fn into_value(built: Built) -> Result<Value, YamlErrorKind> {
    match built {
        Built::Scalar { text, style, tag } => {
            decode_scalar(text, style, tag.as_deref()).map(|value| match value {
                Value::String(text) => Value::String(exact_string(text)),
                other => other,
            })
        }
        Built::Value { value, .. } => Ok(value),
    }
}

// Documents are held for a whole build, often by several kustomizations: the room that
// growing a string, sequence or mapping leaves behind was a third of a parsed CRD.

fn exact_string(mut text: String) -> String {
    text.shrink_to_fit();
    text
}

/// A key of up to a `String`'s own size is held inline; a longer one keeps its text's block,
/// trimmed to fit.
fn exact_key(text: String) -> Key {
    if text.len() > size_of::<String>() {
        Key::from(exact_string(text))
    } else {
        Key::from(text)
    }
}

fn exact_vec(mut items: Vec<Value>) -> Vec<Value> {
    items.shrink_to_fit();
    items
}

fn exact_map(mut map: Map) -> Map {
    map.shrink_to_fit();
    map
}

/// Turns a finished node into a mapping key. kustomize decodes the top-level mapping into a
/// `map[string]interface{}` (any scalar key is taken as its text) but nested mappings into a
/// generic map that JSON cannot print unless every key is a string.
fn key_of(built: Built, at_root_level: bool, mark: Marker) -> Result<PendingKey, YamlError> {
    match built {
        Built::Scalar { text, style, tag } => match key_kind(&text, style, tag.as_deref()) {
            KeyKind::Merge => Ok(PendingKey::Merge {
                line: mark.line(),
                col: mark.col() + 1,
            }),
            KeyKind::Str => Ok(PendingKey::Key {
                text,
                line: mark.line(),
                col: mark.col() + 1,
            }),
            KeyKind::Other if at_root_level => Ok(PendingKey::Key {
                text,
                line: mark.line(),
                col: mark.col() + 1,
            }),
            KeyKind::Other => Err(at(mark, YamlErrorKind::NonStringKey(text))),
        },
        Built::Value {
            value: Value::String(text),
            from_alias: true,
        } => Ok(PendingKey::Key {
            text,
            line: mark.line(),
            col: mark.col() + 1,
        }),
        Built::Value {
            value: Value::Array(_) | Value::Object(_),
            ..
        } => Err(at(mark, YamlErrorKind::ComplexKey)),
        Built::Value { value, .. } => {
            if at_root_level {
                Ok(PendingKey::Key {
                    text: value.to_string(),
                    line: mark.line(),
                    col: mark.col() + 1,
                })
            } else {
                Err(at(mark, YamlErrorKind::NonStringKey(value.to_string())))
            }
        }
    }
}

/// Records the mappings a `<<` value brings in, lowest precedence first (kyaml lets the first
/// mapping of a list win over later ones, and the mapping's own keys win over all).
fn add_merge_sources(merges: &mut Vec<Map>, value: Value) -> Result<(), &'static str> {
    match value {
        Value::Object(map) => merges.push(map),
        Value::Array(items) => {
            let mut sources = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::Object(map) => sources.push(map),
                    Value::Array(_) => return Err("received a nested sequence"),
                    _ => return Err("map merge requires map or sequence of maps as the value"),
                }
            }
            merges.extend(sources.into_iter().rev());
        }
        _ => return Err("map merge requires map or sequence of maps as the value"),
    }
    Ok(())
}

/// kyaml's `DeAnchor`: the mapping's own keys win over merged ones, and every key spelled
/// `<<` is then dropped, even a quoted one that was never a merge key.
fn apply_merges(mut own: Map, merges: Vec<Map>) -> Map {
    own.shift_remove("<<");
    if merges.is_empty() {
        return own;
    }
    let mut merged = own.clone();
    for source in merges {
        for (key, value) in source {
            if !own.contains_key(&key) && key != "<<" {
                merged.insert(key, value);
            }
        }
    }
    merged
}

/// kustomize skips documents that are null, `{}` or `[]`.
fn is_empty_document(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// The short form of a tag (`!!str`, `!foo`); `None` for the non-specific `!`.
pub(crate) fn short_tag(tag: &Tag) -> Option<String> {
    let full = format!("{}{}", tag.handle, tag.suffix);
    if full == "!" || full.is_empty() {
        return None;
    }
    Some(match full.strip_prefix("tag:yaml.org,2002:") {
        Some(rest) => format!("!!{rest}"),
        None => full,
    })
}

/// Set annotation `key` to `value` on a document that is a mapping.
fn annotate(root: &mut Value, key: &str, value: String) {
    let Some(map) = root.as_object_mut() else {
        return;
    };
    let metadata = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    let Some(metadata) = metadata.as_object_mut() else {
        return;
    };
    let annotations = metadata
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(annotations) = annotations.as_object_mut() {
        annotations.insert(key.to_owned(), Value::String(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CRD-like document serving two versions with the same schema (sixteen values or more).
    fn crd(name: &str) -> String {
        let schema = "
          openAPIV3Schema:
            type: object
            properties:
              spec:
                type: object
                properties:
                  replicas: {type: integer, minimum: 0}
                  image: {type: string}
                  paused: {type: boolean}
                  labels: {type: object, additionalProperties: {type: string}}";
        format!(
            "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {name}
spec:
  versions:
    - name: v1
      schema:{schema}
    - name: v2
      schema:{schema}
"
        )
    }

    #[test]
    fn a_resource_file_shares_repeated_blocks_within_and_across_documents() {
        let text = format!("{}---\n{}", crd("a.example.com"), crd("b.example.com"));
        let documents = parse_resource_documents(&text).expect("parses");
        let schema = |document: usize, version: usize| {
            &documents[document]["spec"]["versions"][version]["schema"]
        };
        assert!(schema(0, 0).shares_contents_with(schema(0, 1)));
        assert!(schema(0, 0).shares_contents_with(schema(1, 1)));
        // Sharing changes no value and no text.
        let unshared = parse_documents(&text).expect("parses");
        assert_eq!(documents, unshared);
        assert_eq!(documents[0].to_string(), unshared[0].to_string());
    }

    #[test]
    fn blocks_smaller_than_the_threshold_stay_apart() {
        let text = "a: {x: 1, y: 2}\nb: {x: 1, y: 2}\n";
        let documents = parse_resource_documents(text).expect("parses");
        assert_eq!(documents[0]["a"], documents[0]["b"]);
        assert!(!documents[0]["a"].shares_contents_with(&documents[0]["b"]));
    }
}
