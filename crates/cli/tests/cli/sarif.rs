//! A structural check of SARIF 2.1.0 logs: the parts of the OASIS schema
//! (`Schemata/sarif-schema-2.1.0.json`) that unstuck's output uses — required properties, the
//! only properties each object may have (the schema sets `additionalProperties: false`), enums
//! and value types — plus what GitHub code scanning needs on top (a location per result, help
//! on each rule, a `ruleId` that names a rule of the driver, relative URIs).

use serde_json::Value;

/// `(definition, required, allowed)` for every object kind checked.
const OBJECTS: &[(&str, &[&str], &[&str])] = &[
    (
        "sarifLog",
        &["version", "runs"],
        &[
            "$schema",
            "version",
            "runs",
            "inlineExternalProperties",
            "properties",
        ],
    ),
    (
        "run",
        &["tool"],
        &[
            "tool",
            "invocations",
            "conversion",
            "language",
            "versionControlProvenance",
            "originalUriBaseIds",
            "artifacts",
            "logicalLocations",
            "graphs",
            "results",
            "automationDetails",
            "runAggregates",
            "baselineGuid",
            "redactionTokens",
            "defaultEncoding",
            "defaultSourceLanguage",
            "newlineSequences",
            "columnKind",
            "externalPropertyFileReferences",
            "threadFlowLocations",
            "taxonomies",
            "addresses",
            "translations",
            "policies",
            "webRequests",
            "webResponses",
            "specialLocations",
            "properties",
        ],
    ),
    ("tool", &["driver"], &["driver", "extensions", "properties"]),
    (
        "toolComponent",
        &["name"],
        &[
            "guid",
            "name",
            "organization",
            "product",
            "productSuite",
            "shortDescription",
            "fullDescription",
            "fullName",
            "version",
            "semanticVersion",
            "dottedQuadFileVersion",
            "releaseDateUtc",
            "downloadUri",
            "informationUri",
            "globalMessageStrings",
            "notifications",
            "rules",
            "taxa",
            "locations",
            "language",
            "contents",
            "isComprehensive",
            "localizedDataSemanticVersion",
            "minimumRequiredLocalizedDataSemanticVersion",
            "associatedComponent",
            "translationMetadata",
            "supportedTaxonomies",
            "properties",
        ],
    ),
    (
        "reportingDescriptor",
        &["id"],
        &[
            "id",
            "deprecatedIds",
            "guid",
            "deprecatedGuids",
            "name",
            "deprecatedNames",
            "shortDescription",
            "fullDescription",
            "messageStrings",
            "defaultConfiguration",
            "helpUri",
            "help",
            "relationships",
            "properties",
        ],
    ),
    (
        "multiformatMessageString",
        &["text"],
        &["text", "markdown", "properties"],
    ),
    (
        "reportingConfiguration",
        &[],
        &["enabled", "level", "rank", "parameters", "properties"],
    ),
    (
        "result",
        &["message"],
        &[
            "ruleId",
            "ruleIndex",
            "rule",
            "kind",
            "level",
            "message",
            "analysisTarget",
            "locations",
            "guid",
            "correlationGuid",
            "occurrenceCount",
            "partialFingerprints",
            "fingerprints",
            "stacks",
            "codeFlows",
            "graphs",
            "graphTraversals",
            "relatedLocations",
            "suppressions",
            "baselineState",
            "rank",
            "attachments",
            "hostedViewerUri",
            "workItemUris",
            "provenance",
            "fixes",
            "taxa",
            "webRequest",
            "webResponse",
            "properties",
        ],
    ),
    (
        "message",
        &[],
        &["text", "markdown", "id", "arguments", "properties"],
    ),
    (
        "location",
        &[],
        &[
            "id",
            "physicalLocation",
            "logicalLocations",
            "message",
            "annotations",
            "relationships",
            "properties",
        ],
    ),
    (
        "physicalLocation",
        &[],
        &[
            "address",
            "artifactLocation",
            "region",
            "contextRegion",
            "properties",
        ],
    ),
    (
        "artifactLocation",
        &[],
        &["uri", "uriBaseId", "index", "description", "properties"],
    ),
    (
        "region",
        &[],
        &[
            "startLine",
            "startColumn",
            "endLine",
            "endColumn",
            "charOffset",
            "charLength",
            "byteOffset",
            "byteLength",
            "snippet",
            "message",
            "sourceLanguage",
            "properties",
        ],
    ),
];

const LEVELS: &[&str] = &["none", "note", "warning", "error"];

struct Checker {
    errors: Vec<String>,
}

impl Checker {
    fn object<'a>(
        &mut self,
        value: &'a Value,
        kind: &str,
        at: &str,
    ) -> Option<&'a serde_json::Map<String, Value>> {
        let Some(map) = value.as_object() else {
            self.errors.push(format!("{at}: {kind} must be an object"));
            return None;
        };
        let (_, required, allowed) = OBJECTS
            .iter()
            .find(|(name, _, _)| *name == kind)
            .unwrap_or_else(|| panic!("no definition for {kind}"));
        for key in *required {
            if !map.contains_key(*key) {
                self.errors
                    .push(format!("{at}: {kind} lacks required `{key}`"));
            }
        }
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.errors
                    .push(format!("{at}: {kind} may not have `{key}`"));
            }
        }
        if let Some(bag) = map.get("properties") {
            self.property_bag(bag, &format!("{at}.properties"));
        }
        Some(map)
    }

    fn property_bag(&mut self, bag: &Value, at: &str) {
        let Some(tags) = bag.get("tags") else { return };
        let Some(tags) = tags.as_array() else {
            self.errors.push(format!("{at}.tags must be an array"));
            return;
        };
        let mut seen = std::collections::BTreeSet::new();
        for tag in tags {
            if !tag.is_string() || !seen.insert(tag.to_string()) {
                self.errors
                    .push(format!("{at}.tags must be unique strings"));
            }
        }
    }

    fn text(&mut self, value: &Value, kind: &str, at: &str) {
        if let Some(map) = self.object(value, kind, at) {
            if kind == "message" && !map.contains_key("text") && !map.contains_key("id") {
                self.errors
                    .push(format!("{at}: message needs `text` or `id`"));
            }
            if map.get("text").is_some_and(|t| !t.is_string()) {
                self.errors.push(format!("{at}.text must be a string"));
            }
        }
    }

    fn array<'a>(&mut self, value: Option<&'a Value>, at: &str) -> &'a [Value] {
        match value {
            None => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.errors.push(format!("{at} must be an array"));
                &[]
            }
        }
    }

    fn level(&mut self, value: Option<&Value>, at: &str) {
        if let Some(level) = value {
            if !level.as_str().is_some_and(|l| LEVELS.contains(&l)) {
                self.errors
                    .push(format!("{at}: level {level} is not one of {LEVELS:?}"));
            }
        }
    }

    fn rule(&mut self, rule: &Value, at: &str) -> Option<String> {
        let map = self.object(rule, "reportingDescriptor", at)?;
        for key in ["shortDescription", "fullDescription", "help"] {
            match map.get(key) {
                Some(text) => self.text(text, "multiformatMessageString", &format!("{at}.{key}")),
                // GitHub shows these on every alert.
                None => self.errors.push(format!("{at}: rule lacks `{key}`")),
            }
        }
        if let Some(config) = map.get("defaultConfiguration") {
            let at = format!("{at}.defaultConfiguration");
            if let Some(config) = self.object(config, "reportingConfiguration", &at) {
                self.level(config.get("level"), &at);
            }
        }
        map.get("id").and_then(Value::as_str).map(str::to_owned)
    }

    fn result(&mut self, result: &Value, rules: &[Option<String>], at: &str) {
        let Some(map) = self.object(result, "result", at) else {
            return;
        };
        if let Some(message) = map.get("message") {
            self.text(message, "message", &format!("{at}.message"));
        }
        self.level(map.get("level"), at);
        let rule_id = map.get("ruleId").and_then(Value::as_str);
        if rule_id.is_none() || !rules.iter().any(|r| r.as_deref() == rule_id) {
            self.errors.push(format!(
                "{at}: ruleId {rule_id:?} is not a rule of the driver"
            ));
        }
        if let Some(index) = map.get("ruleIndex") {
            let index = index.as_u64().and_then(|i| usize::try_from(i).ok());
            if index.and_then(|i| rules.get(i)).map(Option::as_deref) != Some(rule_id) {
                self.errors
                    .push(format!("{at}: ruleIndex does not point at {rule_id:?}"));
            }
        }
        let locations = self.array(map.get("locations"), &format!("{at}.locations"));
        if locations.is_empty() || locations.len() > 10 {
            self.errors
                .push(format!("{at}: code scanning needs 1 to 10 locations"));
        }
        for (i, location) in locations.iter().enumerate() {
            self.location(location, &format!("{at}.locations[{i}]"));
        }
    }

    fn location(&mut self, location: &Value, at: &str) {
        let Some(map) = self.object(location, "location", at) else {
            return;
        };
        let Some(physical) = map.get("physicalLocation") else {
            self.errors.push(format!("{at}: no physicalLocation"));
            return;
        };
        let at = format!("{at}.physicalLocation");
        let Some(physical) = self.object(physical, "physicalLocation", &at) else {
            return;
        };
        match physical.get("artifactLocation") {
            Some(artifact) => {
                let at = format!("{at}.artifactLocation");
                if let Some(artifact) = self.object(artifact, "artifactLocation", &at) {
                    let uri = artifact.get("uri").and_then(Value::as_str).unwrap_or("");
                    let relative_reference = !uri.is_empty()
                        && !uri.starts_with('/')
                        && !uri.contains("://")
                        && !uri.contains(['\\', ' ', '\n'])
                        && !uri.split('/').any(|part| part == "..");
                    if !relative_reference {
                        self.errors.push(format!(
                            "{at}: uri {uri:?} is not relative to the repository"
                        ));
                    }
                }
            }
            None => self.errors.push(format!("{at}: no artifactLocation")),
        }
        if !physical.contains_key("region") {
            // GitHub places a result only with a region (the SARIF multitool's GH1003).
            self.errors.push(format!("{at}: no region"));
        }
        if let Some(region) = physical.get("region") {
            let at = format!("{at}.region");
            if let Some(region) = self.object(region, "region", &at) {
                let start = region.get("startLine").and_then(Value::as_u64);
                if start.is_none_or(|l| l < 1) {
                    self.errors
                        .push(format!("{at}: startLine must be an integer ≥ 1"));
                }
            }
        }
    }
}

/// Every way `log` breaks SARIF 2.1.0 or GitHub's requirements; empty when it is valid.
pub(crate) fn sarif_errors(log: &Value) -> Vec<String> {
    let mut c = Checker { errors: Vec::new() };
    let Some(root) = c.object(log, "sarifLog", "$") else {
        return c.errors;
    };
    if root.get("version").and_then(Value::as_str) != Some("2.1.0") {
        c.errors.push("$.version must be \"2.1.0\"".to_owned());
    }
    let runs = c.array(root.get("runs"), "$.runs");
    for (r, run) in runs.iter().enumerate() {
        let at = format!("$.runs[{r}]");
        let Some(run) = c.object(run, "run", &at) else {
            continue;
        };
        let mut rules = Vec::new();
        if let Some(tool) = run.get("tool") {
            if let Some(tool) = c.object(tool, "tool", &format!("{at}.tool")) {
                if let Some(driver) = tool.get("driver") {
                    let at = format!("{at}.tool.driver");
                    if let Some(driver) = c.object(driver, "toolComponent", &at) {
                        for key in ["version", "informationUri"] {
                            if !driver.get(key).is_some_and(Value::is_string) {
                                c.errors.push(format!("{at}: no `{key}` string"));
                            }
                        }
                        for (i, rule) in c
                            .array(driver.get("rules"), &format!("{at}.rules"))
                            .iter()
                            .enumerate()
                        {
                            rules.push(c.rule(rule, &format!("{at}.rules[{i}]")));
                        }
                    }
                }
            }
        }
        let unique: std::collections::BTreeSet<_> = rules.iter().collect();
        if unique.len() != rules.len() {
            c.errors.push(format!("{at}: rule ids repeat"));
        }
        // Optional in the schema, but it "must be present (but may be empty)" for a scan.
        if !run.contains_key("results") {
            c.errors
                .push(format!("{at}: a scan's run must have `results`"));
        }
        for (i, result) in c
            .array(run.get("results"), &format!("{at}.results"))
            .iter()
            .enumerate()
        {
            c.result(result, &rules, &format!("{at}.results[{i}]"));
        }
    }
    c.errors
}

#[test]
fn the_checker_catches_what_the_schema_forbids() {
    let valid = serde_json::json!({
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "t", "version": "1", "informationUri": "https://x",
                "rules": [{"id": "r", "shortDescription": {"text": "s"},
                           "fullDescription": {"text": "f"}, "help": {"text": "h"}}]}},
            "results": [{"ruleId": "r", "ruleIndex": 0, "level": "note", "message": {"text": "m"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a/b.yaml"},
                                                    "region": {"startLine": 3}}}]}]
        }]
    });
    assert_eq!(sarif_errors(&valid), Vec::<String>::new());
    let broken = |path: &str, value: Value| {
        let mut log = valid.clone();
        *log.pointer_mut(path).unwrap() = value;
        sarif_errors(&log)
    };
    assert!(!broken("/version", "2.0.0".into()).is_empty());
    assert!(!broken("/runs/0/results/0/level", "fatal".into()).is_empty());
    assert!(!broken("/runs/0/results/0/ruleId", "other".into()).is_empty());
    assert!(!broken("/runs/0/results/0/locations", serde_json::json!([])).is_empty());
    assert!(!broken("/runs/0/results/0/message", serde_json::json!({"txt": "m"})).is_empty());
    assert!(!broken(
        "/runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri",
        "/abs/x".into()
    )
    .is_empty());
    assert!(!broken(
        "/runs/0/results/0/locations/0/physicalLocation/region/startLine",
        0.into()
    )
    .is_empty());
    assert!(!broken("/runs/0/tool/driver/rules/0/help", Value::Null).is_empty());
    assert!(!broken(
        "/runs/0/results/0/locations/0/physicalLocation",
        serde_json::json!({"artifactLocation": {"uri": "a/b.yaml"}})
    )
    .is_empty());
}
