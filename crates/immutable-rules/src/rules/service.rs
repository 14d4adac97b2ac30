//! Service (`v1`). Type changes and node ports are mutable; cluster IPs and the primary IP family
//! are fixed once set (unless ExternalName is involved), omitted or `""` cluster IPs are re-filled
//! by the server, and a few type-dependent fields are fixed while the type keeps needing them.

use serde_json::Value;

use super::{kept, Checker};
use crate::context::Mode;
use crate::update::Sent;
use crate::violation::Severity;

rule!(SERVICE_CLUSTER_IP, "service-cluster-ip",
    kinds: ["Service"], fields: ["spec.clusterIP", "spec.clusterIPs[0]"],
    condition: "the primary cluster IP (including `None`, headless) is sent with another value; omitting it or sending \"\" is accepted (the server re-fills it), and changes to or from type ExternalName are allowed",
    versions: "all",
    severity: Error, remediations: [DropField, Recreate, FluxForce]);
rule!(SERVICE_SECONDARY_CLUSTER_IP, "service-secondary-cluster-ip",
    kinds: ["Service"], fields: ["spec.clusterIPs[1]"],
    condition: "the secondary cluster IP of a dual-stack Service is sent with another value (adding or releasing it is allowed)",
    versions: "1.20+ (dual-stack)",
    severity: Error, remediations: [DropField, Recreate]);
rule!(SERVICE_IP_FAMILIES, "service-ip-families",
    kinds: ["Service"], fields: ["spec.ipFamilies[0]"],
    condition: "the primary IP family changes on a Service with a cluster IP (headless Services may change families)",
    versions: "1.20+ (dual-stack)",
    severity: Error, remediations: [Revert, Recreate]);
rule!(SERVICE_IP_FAMILY_POLICY, "service-ip-family-policy",
    kinds: ["Service"], fields: ["spec.ipFamilyPolicy"],
    condition: "the secondary cluster IP or family is released while ipFamilyPolicy stays PreferDualStack/RequireDualStack",
    versions: "1.20+ (dual-stack)",
    severity: Error, remediations: [Revert]);
rule!(SERVICE_HEADLESS_TYPE, "service-headless-type",
    kinds: ["Service"], fields: ["spec.type", "spec.clusterIP"],
    condition: "a headless Service (clusterIP None) becomes NodePort or LoadBalancer: the kept `None` is invalid for those types and cannot change",
    versions: "all",
    severity: Error, remediations: [Recreate, RenameBlueGreen, FluxForce]);
rule!(SERVICE_LOAD_BALANCER_CLASS, "service-load-balancer-class",
    kinds: ["Service"], fields: ["spec.loadBalancerClass"],
    condition: "loadBalancerClass changes (set, changed or unset) while the Service stays type LoadBalancer, or is set on another type",
    versions: "1.21+ (GA 1.24)",
    severity: Error, remediations: [Recreate, RenameBlueGreen, Revert]);
rule!(SERVICE_HEALTH_CHECK_NODE_PORT, "service-health-check-node-port",
    kinds: ["Service"], fields: ["spec.healthCheckNodePort"],
    condition: "healthCheckNodePort is sent with another value while the Service is and stays LoadBalancer with externalTrafficPolicy Local",
    versions: "all",
    severity: Error, remediations: [DropField, Revert]);
rule!(SERVICE_NODE_PORT_TYPE, "service-node-port-type",
    kinds: ["Service"], fields: ["spec.ports[].nodePort"],
    condition: "a new nodePort is requested on a Service whose type has no node ports (ClusterIP, ExternalName); an unchanged one is cleared automatically",
    versions: "all",
    severity: Error, remediations: [DropField]);
rule!(SERVICE_LOAD_BALANCER_SOURCE_RANGES, "service-load-balancer-source-ranges",
    kinds: ["Service"], fields: ["spec.loadBalancerSourceRanges", "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]"],
    condition: "the Service is not (or no longer) type LoadBalancer while loadBalancerSourceRanges or the source-ranges annotation remains: sent by git, or kept by apply because git does not own it (a type change does not clear it)",
    versions: "all",
    severity: Error, remediations: [ClearKeptField, Revert]);
rule!(SERVICE_SESSION_AFFINITY_CONFIG, "service-session-affinity-config",
    kinds: ["Service"], fields: ["spec.sessionAffinity", "spec.sessionAffinityConfig"],
    condition: "sessionAffinity becomes None (or is dropped from git) while sessionAffinityConfig remains: the server defaults it for ClientIP, and apply keeps it unless git owned it",
    versions: "all",
    severity: Error, remediations: [ClearKeptField, Revert]);
rule!(SERVICE_NODE_PORT_ALLOCATED, "service-node-port-allocated",
    kinds: ["Service"], fields: ["spec.ports[].nodePort"],
    condition: "a new nodePort (node ports are mutable) is already allocated to another Service or outside the cluster's node-port range; which ports are taken cannot be known offline, so without cluster facts a new port is a warning",
    versions: "all",
    severity: Error, remediations: [DropField, Revert]);

fn is_lb(t: &str) -> bool {
    t == "LoadBalancer"
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Service rules.
pub(super) fn check(c: &mut Checker<'_>) {
    let upd = c.upd;
    let old_type = upd.old_str(&["spec", "type"]).unwrap_or("ClusterIP");
    let new_type = upd.new_str(&["spec", "type"]).unwrap_or("ClusterIP");
    if old_type != "ExternalName" && new_type != "ExternalName" {
        cluster_ips(c, new_type);
    }
    load_balancer_class(c, old_type, new_type);
    health_check_node_port(c, old_type, new_type);
    node_ports(c, new_type);
    load_balancer_source_ranges(c, old_type, new_type);
    session_affinity_config(c);
}

/// The legacy annotation that stands in for `spec.loadBalancerSourceRanges`.
const SOURCE_RANGES_ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

/// `ValidateService`: source ranges (field or annotation) only on LoadBalancer Services. A type
/// change does not clear them (`dropTypeDependentFields` leaves them alone).
fn load_balancer_source_ranges(c: &mut Checker<'_>, old_type: &str, new_type: &str) {
    if is_lb(new_type) {
        return;
    }
    let field = ["spec", "loadBalancerSourceRanges"];
    let annotation = ["metadata", "annotations", SOURCE_RANGES_ANNOTATION];
    let annotation_set = || match (c.upd.sent(&annotation), c.upd.mode) {
        (Sent::Value(v), _) => v.as_str().is_some_and(|s| !s.trim().is_empty()),
        (Sent::Absent, Mode::Apply) => c
            .upd
            .old_str(&annotation)
            .is_some_and(|s| !s.trim().is_empty()),
        _ => false,
    };
    let (path, error): (&[&str], &str) = if kept::non_empty_after(c, &field) {
        // Upstream names the field with a capital L in this one message.
        (&field, "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'")
    } else if annotation_set() {
        (&annotation, "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Forbidden: may only be used when `type` is 'LoadBalancer'")
    } else {
        return;
    };
    // Only the update can be blamed: the type leaves LoadBalancer, or git changes the ranges.
    if !is_lb(old_type) && !c.upd.changed(path) {
        return;
    }
    let reason = format!(
        "source ranges exist only for LoadBalancer Services and the server does not drop them when the type changes to {new_type}: {}",
        kept::advice(c, path)
    );
    let reported = if path.len() == 2 {
        path.join(".")
    } else {
        format!("metadata.annotations[{SOURCE_RANGES_ANNOTATION}]")
    };
    c.report(
        &SERVICE_LOAD_BALANCER_SOURCE_RANGES,
        &reported,
        &reason,
        error,
    );
}

/// `ValidateService`: `sessionAffinityConfig` is forbidden with `sessionAffinity: None`.
fn session_affinity_config(c: &mut Checker<'_>) {
    let affinity = ["spec", "sessionAffinity"];
    let config = ["spec", "sessionAffinityConfig"];
    let old_affinity = c.upd.old_str(&affinity).unwrap_or("None");
    let new_affinity = c.upd.new_str(&affinity).unwrap_or("None");
    if new_affinity != "None" {
        return;
    }
    if old_affinity == "None" && !c.upd.changed(&config) {
        return;
    }
    // Git mode: `SetDefaults_Service` filled the config for ClientIP when git left it out.
    let defaulted = old_affinity == "ClientIP" && c.upd.old_at(&config).is_none();
    if !kept::survives(c, &config, defaulted) {
        return;
    }
    let reason = format!(
        "sessionAffinity None forbids sessionAffinityConfig, and the update keeps it: {}",
        kept::advice(c, &config)
    );
    c.report(
        &SERVICE_SESSION_AFFINITY_CONFIG,
        "spec.sessionAffinityConfig",
        &reason,
        "spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None",
    );
}

fn sent_strings<'a>(c: &Checker<'a>, path: &[&str]) -> Option<Vec<&'a str>> {
    match c.upd.sent(path) {
        Sent::Value(v) => Some(strings(Some(v))).filter(|l| !l.is_empty()),
        _ => None,
    }
}

fn cluster_ips(c: &mut Checker<'_>, new_type: &str) {
    let upd = c.upd;
    let mut old_ips = strings(upd.old_at(&["spec", "clusterIPs"]));
    if old_ips.is_empty() {
        old_ips.extend(non_empty(upd.old_str(&["spec", "clusterIP"])));
    }
    let old_primary = old_ips.first().copied();
    let sent_ip = match upd.sent(&["spec", "clusterIP"]) {
        Sent::Value(v) => non_empty(v.as_str()),
        _ => None,
    };
    let sent_ips = sent_strings(c, &["spec", "clusterIPs"]);
    let new_primary = sent_ip.or_else(|| {
        sent_ips
            .as_ref()
            .and_then(|l| non_empty(l.first().copied()))
    });
    if let (Some(old), Some(new)) = (old_primary, new_primary) {
        if old != new {
            let error =
                format!("spec.clusterIPs[0]: Invalid value: [\"{new}\"]: may not change once set");
            let field = if sent_ip.is_some() {
                "spec.clusterIP"
            } else {
                "spec.clusterIPs[0]"
            };
            let reason = if new == "None" || old == "None" {
                "a Service cannot switch between headless (clusterIP None) and a virtual IP; create a new Service"
            } else {
                "the cluster IP is allocated once; remove clusterIP from git to keep the live one"
            };
            c.report(&SERVICE_CLUSTER_IP, field, reason, &error);
            return;
        }
    }
    if old_primary == Some("None") && matches!(new_type, "NodePort" | "LoadBalancer") {
        let error = format!("spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for {new_type} services");
        c.report(
            &SERVICE_HEADLESS_TYPE,
            "spec.type",
            "the Service is headless; the server keeps clusterIP None, which a NodePort or LoadBalancer Service cannot have",
            &error,
        );
        return;
    }
    if old_primary == Some("None") {
        return;
    }
    let old_families = strings(upd.old_at(&["spec", "ipFamilies"]));
    let sent_families = sent_strings(c, &["spec", "ipFamilies"]);
    if let (Some(old), Some(new)) = (
        old_families.first(),
        sent_families.as_ref().and_then(|f| f.first()),
    ) {
        if old != new {
            let error =
                format!("spec.ipFamilies[0]: Invalid value: \"{new}\": may not change once set");
            c.report(
                &SERVICE_IP_FAMILIES,
                "spec.ipFamilies",
                "the primary IP family follows the allocated primary cluster IP and cannot change",
                &error,
            );
            return;
        }
    }
    let mut releasing = false;
    if old_ips.len() >= 2 {
        if let Some(new_ips) = &sent_ips {
            if new_ips.len() >= 2 && new_ips[1] != old_ips[1] && !new_ips[1].is_empty() {
                let error = format!(
                    "spec.clusterIPs[1]: Invalid value: \"{}\": may not change once set",
                    new_ips[1]
                );
                c.report(
                    &SERVICE_SECONDARY_CLUSTER_IP,
                    "spec.clusterIPs[1]",
                    "the secondary cluster IP may be added or released, never changed",
                    &error,
                );
                return;
            }
            releasing |= new_ips.len() == 1;
        }
    }
    if old_families.len() >= 2 {
        releasing |= sent_families.as_ref().is_some_and(|f| f.len() == 1);
    }
    if releasing && upd.new_str(&["spec", "ipFamilyPolicy"]) != Some("SingleStack") {
        c.report(
            &SERVICE_IP_FAMILY_POLICY,
            "spec.ipFamilyPolicy",
            "releasing the secondary IP of a dual-stack Service requires ipFamilyPolicy SingleStack (setting SingleStack alone is enough)",
            "spec.ipFamilyPolicy: Invalid value: ...: must be set to 'SingleStack' when releasing the secondary clusterIP",
        );
    }
}

fn load_balancer_class(c: &mut Checker<'_>, old_type: &str, new_type: &str) {
    let path = ["spec", "loadBalancerClass"];
    let old = c.upd.old_str(&path);
    if is_lb(old_type) && is_lb(new_type) {
        let new = c.upd.new_str(&path);
        if old != new {
            c.report(
                &SERVICE_LOAD_BALANCER_CLASS,
                "spec.loadBalancerClass",
                "the load-balancer implementation is chosen once per LoadBalancer Service",
                "spec.loadBalancerClass: Invalid value: ...: may not change once set",
            );
        }
    } else if !is_lb(new_type) {
        if let Sent::Value(Value::String(new)) = c.upd.sent(&path) {
            let cleared_automatically = is_lb(old_type) && old == Some(new.as_str());
            if !new.is_empty() && !cleared_automatically {
                let error = "spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'";
                c.report(
                    &SERVICE_LOAD_BALANCER_CLASS,
                    "spec.loadBalancerClass",
                    "loadBalancerClass only exists on LoadBalancer Services",
                    error,
                );
            }
        }
    }
}

fn health_check_node_port(c: &mut Checker<'_>, old_type: &str, new_type: &str) {
    let needs = |t: &str, policy: Option<&str>| is_lb(t) && policy == Some("Local");
    let policy = ["spec", "externalTrafficPolicy"];
    if !needs(old_type, c.upd.old_str(&policy)) || !needs(new_type, c.upd.new_str(&policy)) {
        return;
    }
    let path = ["spec", "healthCheckNodePort"];
    let old = c.upd.old_at(&path).and_then(Value::as_i64).unwrap_or(0);
    if let Sent::Value(v) = c.upd.sent(&path) {
        let new = v.as_i64().unwrap_or(0);
        if old != 0 && new != 0 && new != old {
            c.report(
                &SERVICE_HEALTH_CHECK_NODE_PORT,
                "spec.healthCheckNodePort",
                "the health-check node port is fixed while the Service needs it (LoadBalancer with externalTrafficPolicy Local)",
                "spec.healthCheckNodePort: Forbidden: field is immutable",
            );
        }
    }
}

fn node_ports(c: &mut Checker<'_>, new_type: &str) {
    let Sent::Value(Value::Array(ports)) = c.upd.sent(&["spec", "ports"]) else {
        return;
    };
    let old_ports: &[Value] = c
        .upd
        .old_at(&["spec", "ports"])
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    for (i, port) in ports.iter().enumerate() {
        let Some(node_port) = port
            .get("nodePort")
            .and_then(Value::as_u64)
            .filter(|p| *p != 0)
        else {
            continue;
        };
        let node_port = u32::try_from(node_port).unwrap_or(u32::MAX);
        let live = old_ports
            .iter()
            .find(|old| match port.get("name").and_then(Value::as_str) {
                Some(name) if !name.is_empty() => {
                    old.get("name").and_then(Value::as_str) == Some(name)
                }
                _ => old.get("port") == port.get("port"),
            });
        let live_node_port = live
            .and_then(|p| p.get("nodePort"))
            .and_then(Value::as_u64)
            .and_then(|p| u32::try_from(p).ok());
        if live_node_port == Some(node_port) {
            continue;
        }
        let field = format!("spec.ports[{i}].nodePort");
        if matches!(new_type, "ClusterIP" | "ExternalName") {
            let error = format!("{field}: Forbidden: may not be used when `type` is '{new_type}'");
            c.report(
                &SERVICE_NODE_PORT_TYPE,
                &field,
                "only NodePort and LoadBalancer Services have node ports",
                &error,
            );
        } else if c.ctx.cluster.allocated_node_ports.contains(&node_port) {
            let error =
                format!("{field}: Invalid value: {node_port}: provided port is already allocated");
            c.report(
                &SERVICE_NODE_PORT_ALLOCATED,
                &field,
                "node ports are mutable, but this one is already used by another Service in the cluster",
                &error,
            );
        } else {
            let (range, known) = match &c.ctx.cluster.node_port_range {
                Some(r) => (r.clone(), true),
                None => (30000..=32767, false),
            };
            if range.contains(&node_port) {
                let error = format!(
                    "{field}: Invalid value: {node_port}: provided port is already allocated (only if another Service holds it)"
                );
                c.report_as(
                    &SERVICE_NODE_PORT_ALLOCATED,
                    Severity::Warning,
                    &field,
                    "node ports are mutable, so the server accepts the new port unless another Service already holds it; which ports are taken cannot be known offline (pass --allocated-node-port PORT, or Context::with_allocated_node_port, to decide)",
                    &error,
                );
            } else {
                let error = format!(
                    "{field}: Invalid value: {node_port}: provided port is not in the valid range. The range of valid ports is {}-{}",
                    range.start(),
                    range.end()
                );
                let severity = if known {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                c.report_as(
                    &SERVICE_NODE_PORT_ALLOCATED,
                    severity,
                    &field,
                    "the node port lies outside the node-port range (default 30000-32767)",
                    &error,
                );
            }
        }
    }
}
