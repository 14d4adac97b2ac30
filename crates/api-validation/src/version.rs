//! Kubernetes release numbers (`1.37`) and which ones have embedded schemas.

use crate::error::Error;
use std::fmt;
use std::str::FromStr;

/// A Kubernetes minor release such as `1.37`; patch releases share their minor's schemas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    /// The major number (1).
    pub major: u32,
    /// The minor number (37 in 1.37).
    pub minor: u32,
}

impl KubeVersion {
    /// The release `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// The release after this one.
    pub(crate) const fn next(self) -> Self {
        Self::new(self.major, self.minor + 1)
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for KubeVersion {
    type Err = Error;

    /// Parses `1.37`, `v1.37` or `1.37.2` (the patch is ignored).
    fn from_str(text: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidVersion {
            text: text.to_owned(),
        };
        let trimmed = text.trim();
        let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let mut parts = bare.split('.');
        let major = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(invalid)?;
        let minor = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(invalid)?;
        match parts.next() {
            None => {}
            Some(patch) if patch.parse::<u32>().is_ok() && parts.next().is_none() => {}
            Some(_) => return Err(invalid()),
        }
        Ok(Self::new(major, minor))
    }
}

impl<'de> serde::Deserialize<'de> for KubeVersion {
    /// Reads the text forms [`FromStr`] accepts (`"1.37"`).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for KubeVersion {
    /// Writes `"1.37"`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_people_write() {
        for text in ["1.30", "v1.30", "1.30.4", " 1.30 "] {
            assert_eq!(
                text.parse::<KubeVersion>().unwrap(),
                KubeVersion::new(1, 30)
            );
        }
        for bad in ["", "1", "one.two", "1.30.x", "1.30.1.2"] {
            assert!(bad.parse::<KubeVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn orders_numerically() {
        assert!(KubeVersion::new(1, 9) < KubeVersion::new(1, 10));
        assert_eq!(KubeVersion::new(1, 9).next(), KubeVersion::new(1, 10));
    }
}
