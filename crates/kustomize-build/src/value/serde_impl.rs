//! `Serialize` and `Deserialize` for [`Value`], matching `serde_json::Value`.

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{Map, Value};

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(flag) => serializer.serialize_bool(*flag),
            Value::Number(number) => number.serialize(serializer),
            Value::String(text) => serializer.serialize_str(text),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(map) => map.serialize(serializer),
        }
    }
}

impl Serialize for Map {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_map(Some(self.len()))?;
        for (key, value) in self {
            out.serialize_entry(key.as_str(), value)?;
        }
        out.end()
    }
}

// Read through `serde_json::Value`: values are deserialized only from small inputs
// (options, tests), never on the build's hot path, which parses YAML itself.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer).map(Value::from)
    }
}

impl<'de> Deserialize<'de> for Map {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Map::deserialize(deserializer).map(Map::from)
    }
}

/// Reads a `T` out of a value, as `serde_json::from_value` does.
///
/// # Errors
///
/// What `serde_json::from_value` reports when the value does not have `T`'s shape.
pub fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> serde_json::Result<T> {
    serde_json::from_value(serde_json::Value::from(value))
}

/// Writes a `T` as a value, as `serde_json::to_value` does.
///
/// # Errors
///
/// What `serde_json::to_value` reports when `T` cannot be written as JSON.
pub fn to_value<T: Serialize>(value: T) -> serde_json::Result<Value> {
    serde_json::to_value(value).map(Value::from)
}
