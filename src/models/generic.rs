//! The generic teaching stages' parameters: `queue`, `delay`, `batcher`,
//! `router`, `sink`. Their engine models live in `sim::stages`.

use super::{parse_params, BuildEnv, Built, KindInfo, ParamError, Params};
use crate::scenario::compile::dist_of;
use crate::scenario::schema::{DistSpec, Servers};
use crate::scenario::units::{ByteRate, Duration};
use crate::sim::dist::Dist;
use crate::sim::engine::Routes;
use crate::sim::stage::Model;
use crate::sim::stages::{BatcherStage, DelayStage, QueueStage, ServiceTime};
use serde::{Deserialize, Serialize};

pub const QUEUE: KindInfo = KindInfo {
    name: "queue",
    aws: "",
    gcp: "",
    help: "A FIFO queue with c servers (or infinitely many) and a capacity K counting records waiting plus in \
           service. Service time per record comes from a distribution, plus an optional fixed time per batch and \
           a per-server byte throughput. With one record per batch and exponential times it is the textbook \
           M/M/c/K queue. It does not model priorities or preemption.",
    params: &[
        super::count("servers", "servers (or infinite)"),
        super::dur("service", "s per record (or a distribution)"),
        super::dur("per_batch", "s per batch"),
        super::rate("throughput", "bytes/s per server"),
    ],
    has_to: true,
    limits: &[],
};

pub const DELAY: KindInfo = KindInfo {
    name: "delay",
    aws: "",
    gcp: "",
    help: "A pure delay: every batch waits its own time drawn from a distribution, with no queueing (network \
           latency, a fixed processing lag). It does not limit throughput; put a queue in front for that.",
    params: &[super::dur("delay", "s (or a distribution)")],
    has_to: true,
    limits: &[],
};

pub const BATCHER: KindInfo = KindInfo {
    name: "batcher",
    aws: "",
    gcp: "",
    help: "Gathers records and emits them as one batch when `size` records have arrived or `window` has passed \
           since the first of them, whichever comes first (a producer's linger time, a micro-batch trigger).",
    params: &[super::count("size", "records per batch"), super::dur("window", "s")],
    has_to: true,
    limits: &[],
};

pub const ROUTER: KindInfo = KindInfo {
    name: "router",
    aws: "",
    gcp: "",
    help: "Splits records between outputs: by ratio (`routes = [{ to = \"a\", weight = 0.7 }, …]`: records go \
           to each output in proportion to its weight, drawn per record), by key (key modulo the number of \
           outputs) or by kind (`by = \"kind\"`, `routes = [{ kind = \"structured\", to = \"rds\" }, …]`: each \
           record goes to the route of the kind its source gave it; a route without `kind` is the default, and a \
           record whose kind has no route and there is no default is dropped as `unrouted`). It takes no time \
           and holds nothing; back-pressure from an output reaches the sender directly.",
    params: &[
        super::choice("by", "ratio | key | kind"),
        super::table("routes", "[{ to, weight }] or [{ kind, to }]"),
    ],
    has_to: false,
    limits: &[],
};

pub const SINK: KindInfo = KindInfo {
    name: "sink",
    aws: "",
    gcp: "",
    help: "The end of a path: records that reach it are delivered, and their end-to-end latency is measured.",
    params: &[],
    has_to: false,
    limits: &[],
};

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct QueueParams {
    servers: Option<Servers>,
    service: Option<DistSpec<Duration>>,
    per_batch: Option<Duration>,
    throughput: Option<ByteRate>,
}

fn dist(key: &str, d: &DistSpec<Duration>) -> Result<Dist, ParamError> {
    dist_of(d).map_err(|e| ParamError::at(key, e))
}

pub fn build_queue(kind: &KindInfo, params: &Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: QueueParams = parse_params(kind, params).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let per_record = match &p.service {
        Some(d) => dist("service", d).unwrap_or_else(|e| {
            errors.push(e);
            Dist::Deterministic { value: 0.0 }
        }),
        None if p.throughput.is_none() && p.per_batch.is_none() => {
            errors.push(ParamError::stage(
                "a `queue` needs `service` (or `throughput` / `per_batch`)",
            ));
            Dist::Deterministic { value: 0.0 }
        }
        None => Dist::Deterministic { value: 0.0 },
    };
    if p.throughput.is_some_and(|t| t.0 <= 0.0) {
        errors.push(ParamError::at("throughput", "must be more than zero"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let servers = match p.servers.unwrap_or(Servers::Count(1)) {
        Servers::Infinite => None,
        Servers::Count(n) => Some(n),
    };
    let service = ServiceTime {
        per_record,
        per_batch_ns: p.per_batch.map_or(0, |d| d.0),
        bytes_per_s: p.throughput.map(|t| t.0),
    };
    Ok(Built {
        model: Model::Queue(QueueStage::new(service, servers, env.capacity)),
        routes: None,
    })
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct DelayParams {
    delay: DistSpec<Duration>,
}

pub fn build_delay(kind: &KindInfo, params: &Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    if !params.contains_key("delay") {
        return Err(vec![ParamError::stage("a `delay` needs `delay`, like \"20ms\"")]);
    }
    let p: DelayParams = parse_params(kind, params).map_err(|e| vec![e])?;
    let d = dist("delay", &p.delay).map_err(|e| vec![e])?;
    Ok(Built {
        model: Model::Delay(DelayStage::new(d, env.capacity)),
        routes: None,
    })
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct BatcherParams {
    size: Option<u64>,
    window: Option<Duration>,
}

pub fn build_batcher(kind: &KindInfo, params: &Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: BatcherParams = parse_params(kind, params).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    if p.size.is_none() && p.window.is_none() {
        errors.push(ParamError::stage("a `batcher` needs `size`, `window` or both"));
    }
    if p.size == Some(0) {
        errors.push(ParamError::at("size", "must be at least 1"));
    }
    if p.window.is_some_and(|w| w.0 == 0) {
        errors.push(ParamError::at("window", "must be more than zero"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let model = BatcherStage::new(p.size.unwrap_or(u64::MAX), p.window.map(|w| w.0), env.capacity);
    Ok(Built {
        model: Model::Batcher(model),
        routes: None,
    })
}

/// How a router chooses.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RouteBy {
    Ratio,
    Key,
    Kind,
}

/// One router output.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// With `by = "kind"`: the record kind (a name from a source's `kinds`)
    /// this route takes; a route without one is the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RouterParams {
    by: Option<RouteBy>,
    #[serde(default)]
    routes: Vec<RouteSpec>,
}

pub fn build_router(kind: &KindInfo, params: &Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: RouterParams = parse_params(kind, params).map_err(|e| vec![e])?;
    if p.routes.is_empty() {
        return Err(vec![ParamError::stage(
            "a `router` needs at least one entry in `routes`",
        )]);
    }
    let by = p.by.unwrap_or(RouteBy::Ratio);
    if by == RouteBy::Kind {
        return build_kind_router(&p.routes, env);
    }
    let mut errors = Vec::new();
    let mut targets = Vec::new();
    for (i, r) in p.routes.iter().enumerate() {
        let w = r.weight.unwrap_or(1.0);
        if !(w > 0.0 && w.is_finite()) {
            errors.push(ParamError::at(
                &format!("routes[{i}].weight"),
                format!("weight of `{}` must be more than zero", r.to),
            ));
        }
        if r.kind.is_some() {
            errors.push(ParamError::at(
                &format!("routes[{i}].kind"),
                "applies only to a router with `by = \"kind\"`",
            ));
        }
        if let Some(t) = (env.resolve)("routes", &r.to) {
            targets.push((t, w));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let routes = match by {
        RouteBy::Key => Routes::Key(targets.into_iter().map(|t| t.0).collect()),
        _ => Routes::Ratio(targets),
    };
    Ok(Built {
        model: Model::Router,
        routes: Some(routes),
    })
}

/// A router by kind: each route names a kind the scenario's sources emit
/// (resolved to its id) or, without `kind`, is the one default route.
fn build_kind_router(routes: &[RouteSpec], env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let mut errors = Vec::new();
    let mut by_kind: Vec<Option<usize>> = vec![None; env.kinds.len() + 1];
    let mut default = None;
    for (i, r) in routes.iter().enumerate() {
        if r.weight.is_some() {
            errors.push(ParamError::at(
                &format!("routes[{i}].weight"),
                "does not apply with `by = \"kind\"` (records go by their kind)",
            ));
        }
        let target = (env.resolve)("routes", &r.to);
        match &r.kind {
            None if default.is_some() => errors.push(ParamError::at(
                &format!("routes[{i}]"),
                "a second route without `kind`: only one default route is allowed",
            )),
            None => default = Some(target.unwrap_or(0)),
            Some(name) => match env.kinds.iter().position(|k| k == name) {
                None => {
                    let hint = crate::scenario::error::suggest(name, env.kinds.iter().map(String::as_str))
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    let known = if env.kinds.is_empty() {
                        "no source declares `kinds`".to_string()
                    } else {
                        format!("the sources' kinds: `{}`", env.kinds.join("`, `"))
                    };
                    errors.push(ParamError::at(
                        &format!("routes[{i}].kind"),
                        format!("unknown kind `{name}` ({known}){hint}"),
                    ));
                }
                Some(k) if by_kind[k + 1].is_some() => errors.push(ParamError::at(
                    &format!("routes[{i}].kind"),
                    format!("kind `{name}` has two routes"),
                )),
                Some(k) => by_kind[k + 1] = Some(target.unwrap_or(0)),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Built {
        model: Model::Router,
        routes: Some(Routes::Kind { by_kind, default }),
    })
}

/// The ids a router's `routes` name.
pub fn router_targets(params: &Params) -> Vec<String> {
    params
        .get("routes")
        .and_then(|r| r.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|r| r.get("to")?.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

pub fn build_sink(kind: &KindInfo, params: &Params, _env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let _: SinkParams = parse_params(kind, params).map_err(|e| vec![e])?;
    Ok(Built {
        model: Model::Sink,
        routes: None,
    })
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct SinkParams {}
