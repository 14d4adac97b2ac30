//! A tiny YAML tree that remembers the line of every node, so configuration errors can name it.
//!
//! serde's YAML deserializers report a position for syntax and type errors, but the semantic
//! checks of a pattern file (duplicate names, unknown actions, bad regexes) happen after
//! deserialization, when positions are gone. Building this tree from `yaml-rust2`'s marked events
//! keeps the position of every key and value at hand.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A YAML node with its 1-based source line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) line: usize,
    pub(crate) value: Value,
}

/// The shape of a node. Scalars keep their raw text; typing happens where the schema is known.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Scalar { text: String, plain: bool },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) message: String,
}

impl Node {
    /// The scalar text if this is a scalar.
    pub(crate) fn as_scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A plain scalar spelling null (`~`, `null`, or nothing).
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true, .. }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// What kind of node this is, for error messages.
    pub(crate) fn describe(&self) -> &'static str {
        match &self.value {
            Value::Scalar { .. } if self.is_null() => "null",
            Value::Scalar { .. } => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// Look a key up in a mapping node.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_scalar() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Convert to JSON for opaque sections (`settings`) that are carried, not interpreted.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Scalar { text, plain, .. } => {
                if !*plain {
                    return serde_json::Value::String(text.clone());
                }
                if self.is_null() {
                    return serde_json::Value::Null;
                }
                match text.as_str() {
                    "true" | "True" | "TRUE" => return serde_json::Value::Bool(true),
                    "false" | "False" | "FALSE" => return serde_json::Value::Bool(false),
                    _ => {}
                }
                if let Ok(int) = text.parse::<i64>() {
                    return serde_json::Value::from(int);
                }
                if let Ok(float) = text.parse::<f64>() {
                    if let Some(number) = serde_json::Number::from_f64(float) {
                        return serde_json::Value::Number(number);
                    }
                }
                serde_json::Value::String(text.clone())
            }
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_scalar().unwrap_or_default().to_owned(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Parse the first document of `text`. An empty input gives `None`.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut builder, false)
        .map_err(|error| SyntaxError {
            line: error.marker().line(),
            column: error.marker().col() + 1,
            message: error.info().to_owned(),
        })?;
    if let Some(error) = builder.error {
        return Err(error);
    }
    Ok(builder.document)
}

/// Collects events into a `Node` tree, resolving aliases by copying the anchored node.
#[derive(Default)]
struct Builder {
    stack: Vec<(Node, usize, Option<Node>)>,
    anchors: HashMap<usize, Node>,
    document: Option<Node>,
    error: Option<SyntaxError>,
}

impl Builder {
    fn push_complete(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        let Some((parent, _, pending_key)) = self.stack.last_mut() else {
            if self.document.is_none() {
                self.document = Some(node);
            }
            return;
        };
        match &mut parent.value {
            Value::Seq(items) => items.push(node),
            Value::Map(entries) => match pending_key.take() {
                Some(key) => entries.push((key, node)),
                None => *pending_key = Some(node),
            },
            Value::Scalar { .. } => {}
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let line = mark.line().max(1);
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let node = Node {
                    line,
                    value: Value::Scalar {
                        text,
                        plain: style == TScalarStyle::Plain,
                    },
                };
                self.push_complete(node, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push((
                    Node {
                        line,
                        value: Value::Seq(Vec::new()),
                    },
                    anchor,
                    None,
                ));
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push((
                    Node {
                        line,
                        value: Value::Map(Vec::new()),
                    },
                    anchor,
                    None,
                ));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((node, anchor, _)) = self.stack.pop() {
                    self.push_complete(node, anchor);
                }
            }
            Event::Alias(anchor) => match self.anchors.get(&anchor).cloned() {
                Some(node) => self.push_complete(node, 0),
                None => {
                    self.error.get_or_insert(SyntaxError {
                        line,
                        column: mark.col() + 1,
                        message: "alias to an unknown anchor".to_owned(),
                    });
                }
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_lines_of_keys_and_values() {
        let text = "a: 1\nlist:\n  - name: x\n    value: |\n      hello\n";
        let doc = parse(text).unwrap().unwrap();
        assert_eq!(doc.get("a").unwrap().line, 1);
        let list = doc.get("list").unwrap();
        let Value::Seq(items) = &list.value else {
            panic!("list expected")
        };
        assert_eq!(items[0].get("name").unwrap().line, 3);
        let block = items[0].get("value").unwrap();
        assert_eq!(block.as_scalar(), Some("hello\n"));
        // A block scalar's line is where its content starts.
        assert_eq!(block.line, 5);
    }

    #[test]
    fn reports_syntax_errors_with_line() {
        let error = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(error.line >= 1, "{error:?}");
        assert!(!error.message.is_empty());
    }

    #[test]
    fn resolves_aliases_and_converts_to_json() {
        let doc = parse("base: &b {x: 1, y: true, z: ~, s: '2'}\ncopy: *b\n")
            .unwrap()
            .unwrap();
        let json = doc.to_json();
        assert_eq!(
            json["copy"],
            serde_json::json!({"x": 1, "y": true, "z": null, "s": "2"})
        );
    }

    #[test]
    fn empty_input_is_no_document() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# only a comment\n").unwrap(), None);
    }
}
