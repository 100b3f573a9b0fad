//! `monitor`: CloudWatch / Cloud Monitoring alarms over other stages'
//! metrics. Each alarm samples one metric of one stage every `period`; after
//! `evaluation_periods` consecutive breaches it goes into ALARM and runs its
//! action on a target stage (scale it, stop or resume it, or send one
//! notification record into it, e.g. a function), again after `cooldown` if
//! still breaching. Monitors carry no data: their links are control links,
//! drawn dashed. The engine evaluates alarms (it can see every stage); this
//! file holds their definition.

use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError, Params};
use crate::scenario::units::Duration;
use crate::sim::batch::Batch;
use crate::sim::stage::{Control, Ctx, Model, StageModel};
use crate::sim::time::{Nanos, NS_PER_S};
use serde::{Deserialize, Serialize};

pub const MONITOR: KindInfo = KindInfo {
    name: "monitor",
    aws: "Amazon CloudWatch",
    gcp: "Google Cloud Monitoring",
    help: "Alarms over any stage's metrics (iterator age, backlog, throughput, throttling, utilisation, or a \
           kind's own measurements). An alarm samples its metric every period; after a number of consecutive \
           breaches it fires its action on a target stage: scale it (add shards when the iterator age exceeds \
           60 s), stop or resume it, or send it a notification record (to invoke a function). Links from a \
           monitor are control links and carry no data. Not modelled: metric publication delay, missing-data \
           treatment, anomaly detection.",
    params: &[super::table(
        "alarms",
        "[{ id, watch, metric, above | below, period, evaluation_periods, cooldown, action }]",
    )],
    has_to: false,
    limits: &[Limit {
        provider: "AWS",
        name: "standard-resolution alarm period (minimum)",
        value: 60.0,
        unit: "s",
        source: "docs.aws.amazon.com/AmazonCloudWatch (standard resolution is 60 s)",
        confirmed: false,
    }],
};

/// What an alarm does when it fires.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    /// The stage acted on.
    pub stage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_by: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_to: Option<u32>,
    /// "stop", "resume" or "notify" (one record sent into the stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// One alarm.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlarmSpec {
    pub id: String,
    /// The stage whose metric is watched.
    pub watch: String,
    /// `backlog`, `throughput_per_s`, `throttled_per_s`, `dropped_per_s`,
    /// `utilization`, or a name from the stage's own measurements.
    pub metric: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluation_periods: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<Duration>,
    pub action: ActionSpec,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct MonitorParams {
    #[serde(default)]
    alarms: Vec<AlarmSpec>,
}

/// What firing does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AlarmAction {
    Control(Control),
    /// Send one record into the target stage.
    Notify,
}

/// An alarm as the engine evaluates it.
#[derive(Clone, Debug)]
pub struct Alarm {
    pub id: String,
    pub watch: usize,
    pub metric: String,
    /// Breach when the value is above (true) or below (false) `threshold`.
    pub above: bool,
    pub threshold: f64,
    pub period_ns: Nanos,
    pub evaluation_periods: u32,
    pub cooldown_ns: Nanos,
    pub target: usize,
    pub action: AlarmAction,
    // State.
    pub breaches: u32,
    pub in_alarm: bool,
    pub last_fired: Option<Nanos>,
    pub fired: u32,
    /// Counters at the previous sample, for per-second rates.
    pub last_counts: (u64, u64, u64),
}

/// A monitor: a list of alarms (evaluated by the engine).
#[derive(Clone, Debug)]
pub struct MonitorStage {
    pub alarms: Vec<Alarm>,
    /// Notification records sent (they count as created here).
    pub notifications: u64,
}

pub fn build(kind: &KindInfo, params: &Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: MonitorParams = parse_params(kind, params).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut alarms = Vec::new();
    if p.alarms.is_empty() {
        errors.push(ParamError::stage("a `monitor` needs at least one entry in `alarms`"));
    }
    for a in &p.alarms {
        let (above, threshold) = match (a.above, a.below) {
            (Some(t), None) => (true, t),
            (None, Some(t)) => (false, t),
            _ => {
                errors.push(ParamError::at(
                    "alarms",
                    format!("alarm `{}` needs exactly one of `above` or `below`", a.id),
                ));
                continue;
            }
        };
        let action = match (&a.action.command, a.action.scale_by, a.action.scale_to) {
            (None, Some(f), None) if f > 0.0 && f.is_finite() => AlarmAction::Control(Control::ScaleBy(f)),
            (None, None, Some(n)) if n > 0 => AlarmAction::Control(Control::ScaleTo(n)),
            (Some(c), None, None) => match c.as_str() {
                "stop" => AlarmAction::Control(Control::Stop),
                "resume" => AlarmAction::Control(Control::Resume),
                "notify" => AlarmAction::Notify,
                other => {
                    errors.push(ParamError::at(
                        "alarms",
                        format!("alarm `{}`: unknown command `{other}` (stop, resume, notify)", a.id),
                    ));
                    continue;
                }
            },
            _ => {
                errors.push(ParamError::at(
                    "alarms",
                    format!(
                        "alarm `{}`: the action needs exactly one of `scale_by` (> 0), `scale_to` (> 0) or `command`",
                        a.id
                    ),
                ));
                continue;
            }
        };
        let (Some(watch), Some(target)) = (
            (env.resolve)("alarms", &a.watch),
            (env.resolve)("alarms", &a.action.stage),
        ) else {
            continue;
        };
        alarms.push(Alarm {
            id: a.id.clone(),
            watch,
            metric: a.metric.clone(),
            above,
            threshold,
            period_ns: a.period.map_or(60 * NS_PER_S, |d| d.0.max(1)),
            evaluation_periods: a.evaluation_periods.unwrap_or(1).max(1),
            cooldown_ns: a.cooldown.map_or(300 * NS_PER_S, |d| d.0),
            target,
            action,
            breaches: 0,
            in_alarm: false,
            last_fired: None,
            fired: 0,
            last_counts: (0, 0, 0),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Built {
        model: Model::Monitor(MonitorStage {
            alarms,
            notifications: 0,
        }),
        routes: None,
    })
}

/// Control links a monitor draws: (watched stage id, target stage id).
pub fn control_links(params: &Params) -> Vec<(String, String)> {
    params
        .get("alarms")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|al| {
                    let w = al.get("watch")?.as_str()?.to_string();
                    let t = al.get("action")?.get("stage")?.as_str()?.to_string();
                    Some((w, t))
                })
                .collect()
        })
        .unwrap_or_default()
}

impl StageModel for MonitorStage {
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        (0, false)
    }
    fn accept(&mut self, _ctx: &mut Ctx, _batch: Batch) {}
    fn on_event(&mut self, _ctx: &mut Ctx, _payload: u32) {}
    fn release(&mut self, _ctx: &mut Ctx, _slot: u32) {}
    fn in_system(&self) -> u64 {
        0
    }
    fn in_queue(&self) -> u64 {
        0
    }
    fn busy(&self) -> u64 {
        0
    }
    fn servers(&self) -> Option<u64> {
        None
    }
    fn extra(&self, _now: Nanos) -> Vec<(&'static str, f64)> {
        vec![
            ("alarms_fired", self.alarms.iter().map(|a| a.fired as f64).sum()),
            (
                "alarms_in_alarm",
                self.alarms.iter().filter(|a| a.in_alarm).count() as f64,
            ),
            ("notifications", self.notifications as f64),
        ]
    }
}
