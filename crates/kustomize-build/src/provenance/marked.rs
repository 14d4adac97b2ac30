//! YAML read into a tree that remembers the line of every node, for pointing at a value.
//!
//! The builder's own parser ([`crate::yaml`]) turns YAML into JSON values and forgets where
//! things were; provenance needs the opposite: given a path, the line it was written on. Scalars
//! are decoded with the same rules as the builder so a located value can be compared with the
//! built one.

use crate::value::Value;
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use crate::yaml::{decode_scalar, short_tag, ScalarStyle};

/// One YAML node and the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) line: usize,
    pub(crate) kind: Kind,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A scalar: its decoded value and whether it is a literal block (`|`), whose content lines
    /// map one to one onto the file's lines from the node's line (its first content line).
    Scalar { value: Value, literal: bool },
    /// A mapping: keys (as text), the line of each key, and the values.
    Map(Vec<Entry>),
    /// A sequence.
    Seq(Vec<Node>),
    /// An alias, a complex key, or anything else that cannot be pointed at simply.
    Opaque,
}

/// One key of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_line: usize,
    pub(crate) value: Node,
}

impl Node {
    /// The value of `key` in a mapping, with the line of the key.
    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// The item at `index` of a sequence.
    pub(crate) fn item(&self, index: usize) -> Option<&Node> {
        match &self.kind {
            Kind::Seq(items) => items.get(index),
            _ => None,
        }
    }

    /// The items of a sequence (empty for anything else).
    pub(crate) fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq(items) => items,
            _ => &[],
        }
    }

    /// The scalar value, if this is a scalar.
    pub(crate) fn scalar(&self) -> Option<&Value> {
        match &self.kind {
            Kind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The scalar as text, if it is a string.
    pub(crate) fn text(&self) -> Option<&str> {
        self.scalar().and_then(Value::as_str)
    }
}

/// A node being built: a mapping waiting for keys and values, or a sequence.
enum Open {
    Map {
        line: usize,
        entries: Vec<Entry>,
        pending_key: Option<(String, usize)>,
    },
    Seq {
        line: usize,
        items: Vec<Node>,
    },
}

/// Every non-empty document of `text`, or `None` when it is not YAML the builder would read.
pub(crate) fn parse(text: &str) -> Option<Vec<Node>> {
    let mut parser = Parser::new_from_str(text);
    let mut documents = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    loop {
        let (event, mark) = parser.next_token().ok()?;
        // yaml-rust2 counts lines from 1.
        let line = mark.line().max(1);
        let done = match event {
            Event::StreamEnd => break,
            Event::Scalar(text, style, _, tag) => {
                let tag = tag.as_ref().and_then(short_tag);
                let decode_style = if style == TScalarStyle::Plain {
                    ScalarStyle::Plain
                } else {
                    ScalarStyle::Quoted
                };
                let value = decode_scalar(text.clone(), decode_style, tag.as_deref())
                    .unwrap_or(Value::String(text));
                Some(Node {
                    line,
                    kind: Kind::Scalar {
                        value,
                        literal: style == TScalarStyle::Literal,
                    },
                })
            }
            Event::Alias(_) => Some(Node {
                line,
                kind: Kind::Opaque,
            }),
            Event::MappingStart(..) => {
                stack.push(Open::Map {
                    line,
                    entries: Vec::new(),
                    pending_key: None,
                });
                None
            }
            Event::SequenceStart(..) => {
                stack.push(Open::Seq {
                    line,
                    items: Vec::new(),
                });
                None
            }
            Event::MappingEnd => match stack.pop()? {
                Open::Map { line, entries, .. } => Some(Node {
                    line,
                    kind: Kind::Map(entries),
                }),
                Open::Seq { .. } => return None,
            },
            Event::SequenceEnd => match stack.pop()? {
                Open::Seq { line, items } => Some(Node {
                    line,
                    kind: Kind::Seq(items),
                }),
                Open::Map { .. } => return None,
            },
            Event::DocumentEnd | Event::DocumentStart | Event::StreamStart | Event::Nothing => None,
        };
        let Some(node) = done else { continue };
        match stack.last_mut() {
            None => {
                if !matches!(
                    &node.kind,
                    Kind::Scalar {
                        value: Value::Null,
                        ..
                    }
                ) {
                    documents.push(node);
                }
            }
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    let key = match &node.kind {
                        Kind::Scalar { value, .. } => match value {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        },
                        // A complex key: keep the slot so the value is not taken for a key.
                        _ => String::new(),
                    };
                    *pending_key = Some((key, node.line));
                }
                Some((key, key_line)) => entries.push(Entry {
                    key,
                    key_line,
                    value: node,
                }),
            },
        }
    }
    Some(documents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_keys_items_and_scalars() {
        let text = "a: 1\nb:\n  c: x\n  list:\n    - name: one\n      v: \"2\"\n    - two\n---\nd: |\n  line\n";
        let docs = parse(text).unwrap();
        assert_eq!(docs.len(), 2);
        let b = docs[0].get("b").unwrap();
        assert_eq!(b.key_line, 2);
        let c = b.value.get("c").unwrap();
        assert_eq!((c.key_line, c.value.line), (3, 3));
        let list = &b.value.get("list").unwrap().value;
        assert_eq!(list.item(0).unwrap().line, 5);
        assert_eq!(
            list.item(0).unwrap().get("v").unwrap().value.scalar(),
            Some(&Value::String("2".into()))
        );
        assert_eq!(
            docs[0].get("a").unwrap().value.scalar(),
            Some(&Value::from(1))
        );
        assert_eq!(list.item(1).unwrap().line, 7);
        let d = docs[1].get("d").unwrap();
        assert_eq!(d.key_line, 9);
        assert!(matches!(d.value.kind, Kind::Scalar { literal: true, .. }));
        assert_eq!(
            d.value.line, 10,
            "a literal block starts on its first content line"
        );
    }
}
