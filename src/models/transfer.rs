//! `transfer`: bulk migration on shipped storage devices (AWS Snowball Edge,
//! GCP Transfer Appliance).
//!
//! Each device is a server with a life cycle that holds its records the
//! whole way:
//!
//! ```text
//!  idle ──▶ filling (copy batches on site, verify each checksum) ──▶ shipping
//!   ▲                                                                  │
//!   └── returning ◀── draining (outputs placed downstream) ◀── ingesting (batch by batch)
//! ```
//!
//! Devices start filling in *waves*. The mode is only the rule that opens a
//! new wave: `staggered` opens one as soon as no device is filling (so the
//! next wave fills while the previous ships and is ingested), `serial` only
//! when every device is back on site (fill, ship, ingest, return, then the
//! next). Any time saved by `staggered` therefore comes from overlap in the
//! simulated timeline, not from a formula.

use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError};
use crate::scenario::units::{ByteRate, Bytes, Duration};
use crate::sim::batch::Batch;
use crate::sim::metrics::DropReason;
use crate::sim::stage::{Control, Ctx, Model, StageModel};
use crate::sim::time::{round_ns, to_secs, Nanos};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Default on-site copy rate per device, in bytes/s. Not published by either
/// provider (pricing-and-limits.md, limits 36 and 39): an assumption of a
/// 10 GbE client link sustaining about a quarter of line rate for file
/// copies with checksumming, 300 MB/s.
pub const ASSUMED_COPY_RATE: f64 = 300e6;
/// Default cloud-side ingest rate per device, in bytes/s (assumption: the
/// provider's import station is faster than a customer's copy, 500 MB/s).
pub const ASSUMED_INGEST_RATE: f64 = 500e6;
/// Default one-way shipping time, in seconds (assumption: 2 days by courier).
pub const ASSUMED_SHIPPING_S: f64 = 2.0 * 86_400.0;

pub const TRANSFER: KindInfo = KindInfo {
    name: "transfer",
    aws: "AWS Snowball Edge",
    gcp: "Transfer Appliance",
    help: "Bulk migration on shipped storage devices. Records arriving here are data to move: each device \
           fills on site at `copy_rate` up to `device_capacity`, ships for `shipping`, is ingested in the cloud \
           at `ingest_rate` (records land downstream batch by batch as they are ingested), then ships back. \
           `devices` devices start in `waves`; `mode = \"staggered\"` lets the next wave fill while the \
           previous one ships, `\"serial\"` waits until every device is back. Each batch's checksum is verified \
           right after it is copied; with probability `corruption_rate` it fails and is copied again, alone \
           (`resend = \"batch\"`) or with the whole device's load so far (`\"job\"`). It does not model \
           corruption in transit, lost devices, customs, weekends, or prices; copy, ingest and shipping \
           defaults are assumptions, not published figures.",
    params: &[
        super::choice("flavour", "snowball | transfer_appliance"),
        super::size("device_capacity", "bytes per device"),
        super::rate("copy_rate", "bytes/s per device"),
        super::rate("ingest_rate", "bytes/s per device"),
        super::dur("shipping", "s"),
        super::dur("return_shipping", "s"),
        super::count("devices", "devices"),
        super::choice("mode", "staggered | serial"),
        super::count("waves", "waves"),
        super::ratio("corruption_rate", "probability per batch, 0 to 1"),
        super::choice("resend", "batch | job"),
        super::dur("fill_window", "s"),
    ],
    has_to: true,
    limits: &[
        Limit {
            provider: "AWS",
            name: "Snowball Edge Storage Optimized usable capacity",
            value: 80e12,
            unit: "bytes",
            source: "awsnegotiations.com/blog/snow-family-transfer-cost (third-party; pricing-and-limits.md limit 35)",
            confirmed: true,
        },
        Limit {
            provider: "AWS",
            name: "Snowball device copy throughput (pipelab assumption)",
            value: ASSUMED_COPY_RATE,
            unit: "bytes/s",
            source: "not published (pricing-and-limits.md limit 36)",
            confirmed: false,
        },
        Limit {
            provider: "GCP",
            name: "Transfer Appliance TA40 capacity",
            value: 40e12,
            unit: "bytes",
            source: "commonly quoted; not found in stored sources (pricing-and-limits.md limit 37)",
            confirmed: false,
        },
        Limit {
            provider: "GCP",
            name: "Transfer Appliance TA300 capacity",
            value: 300e12,
            unit: "bytes",
            source: "commonly quoted; not found in stored sources (pricing-and-limits.md limit 37)",
            confirmed: false,
        },
        Limit {
            provider: "GCP",
            name: "Transfer Appliance copy throughput (pipelab assumption)",
            value: ASSUMED_COPY_RATE,
            unit: "bytes/s",
            source: "not published (pricing-and-limits.md limit 39)",
            confirmed: false,
        },
        Limit {
            provider: "AWS/GCP",
            name: "cloud-side ingest rate per device (pipelab assumption)",
            value: ASSUMED_INGEST_RATE,
            unit: "bytes/s",
            source: "not published",
            confirmed: false,
        },
        Limit {
            provider: "AWS/GCP",
            name: "one-way shipping time (pipelab assumption)",
            value: ASSUMED_SHIPPING_S,
            unit: "s",
            source: "not published; depends on carrier and distance",
            confirmed: false,
        },
    ],
};

/// Which provider's device sets the defaults.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    /// AWS Snowball Edge Storage Optimized (80 TB usable).
    Snowball,
    /// GCP Transfer Appliance TA300 (300 TB, unconfirmed; set
    /// `device_capacity = "40 TB"` for a TA40).
    TransferAppliance,
}

/// The rule that opens a new wave of devices.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A new wave starts filling as soon as no device is filling.
    Staggered,
    /// A new wave starts only when every device is back on site.
    Serial,
}

/// What a failed checksum costs.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Resend {
    /// Only the bad batch is copied again.
    Batch,
    /// The device's whole load so far is copied again.
    Job,
}

/// The `transfer` kind's parameters as written in a scenario.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `"snowball"` (default) or `"transfer_appliance"`: picks defaults.
    pub flavour: Option<Flavour>,
    /// Usable bytes per device.
    pub device_capacity: Option<Bytes>,
    /// On-site copy rate per device, bytes/s.
    pub copy_rate: Option<ByteRate>,
    /// Cloud-side ingest rate per device, bytes/s.
    pub ingest_rate: Option<ByteRate>,
    /// One-way shipping time to the provider.
    pub shipping: Option<Duration>,
    /// Shipping time back to site (default: `shipping`).
    pub return_shipping: Option<Duration>,
    /// Number of physical devices (default 1).
    pub devices: Option<u32>,
    /// `"staggered"` (default) or `"serial"`.
    pub mode: Option<Mode>,
    /// Devices are started in waves of `ceil(devices / waves)` (default
    /// `waves = devices`: one device per wave).
    pub waves: Option<u32>,
    /// Probability that one batch's checksum fails after a copy, in [0, 1).
    pub corruption_rate: Option<f64>,
    /// `"batch"` (default) or `"job"`.
    pub resend: Option<Resend>,
    /// How long a part-filled device waits for more data before shipping
    /// (default 0: ship as soon as nothing is left to copy).
    pub fill_window: Option<Duration>,
}

/// Resolved settings of a transfer stage.
#[derive(Clone, Debug, PartialEq)]
pub struct TransferConfig {
    /// Usable bytes per device.
    pub capacity_bytes: u64,
    /// Bytes/s copied on site, per device.
    pub copy_rate: f64,
    /// Bytes/s ingested in the cloud, per device.
    pub ingest_rate: f64,
    /// One-way shipping time out, ns.
    pub ship_ns: Nanos,
    /// Shipping time back, ns.
    pub return_ns: Nanos,
    pub devices: u32,
    /// Devices per wave.
    pub wave_size: u32,
    pub mode: Mode,
    pub corruption_rate: f64,
    pub resend: Resend,
    /// ns a part-filled device waits for more data.
    pub fill_window_ns: Nanos,
}

/// Builds a `transfer` stage.
pub fn build(kind: &KindInfo, params: &super::Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: Params = parse_params(kind, params).map_err(|e| vec![e])?;
    let cfg = resolve(&p)?;
    Ok(Built {
        model: Model::Transfer(TransferStage::new(cfg, env.capacity)),
        routes: None,
    })
}

/// Checks parameters and fills defaults from the flavour's limits.
pub fn resolve(p: &Params) -> Result<TransferConfig, Vec<ParamError>> {
    let flavour = p.flavour.unwrap_or(Flavour::Snowball);
    let mut errors = Vec::new();
    let capacity = p.device_capacity.map_or(
        match flavour {
            Flavour::Snowball => TRANSFER.limit("Snowball Edge Storage Optimized usable capacity"),
            Flavour::TransferAppliance => TRANSFER.limit("Transfer Appliance TA300 capacity"),
        },
        |b| b.0,
    );
    if capacity < 1.0 || !capacity.is_finite() {
        errors.push(ParamError::at("device_capacity", "must be at least 1 byte"));
    }
    let positive = |key: &str, v: Option<ByteRate>, default: f64, errors: &mut Vec<ParamError>| {
        let v = v.map_or(default, |r| r.0);
        if !(v > 0.0 && v.is_finite()) {
            errors.push(ParamError::at(key, "must be more than zero"));
        }
        v
    };
    let copy_rate = positive("copy_rate", p.copy_rate, ASSUMED_COPY_RATE, &mut errors);
    let ingest_rate = positive("ingest_rate", p.ingest_rate, ASSUMED_INGEST_RATE, &mut errors);
    let devices = p.devices.unwrap_or(1);
    if devices == 0 {
        errors.push(ParamError::at("devices", "must be at least 1"));
    }
    let waves = p.waves.unwrap_or(devices.max(1));
    if waves == 0 {
        errors.push(ParamError::at("waves", "must be at least 1"));
    } else if waves > devices.max(1) {
        errors.push(ParamError::at(
            "waves",
            format!("must be at most `devices` ({devices}): each wave needs a device"),
        ));
    }
    let corruption_rate = p.corruption_rate.unwrap_or(0.0);
    if !(0.0..1.0).contains(&corruption_rate) {
        errors.push(ParamError::at(
            "corruption_rate",
            "must be at least 0 and below 1 (a probability per batch copy)",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let ship_ns = p
        .shipping
        .map_or(crate::sim::time::from_secs(ASSUMED_SHIPPING_S), |d| d.0);
    Ok(TransferConfig {
        capacity_bytes: capacity as u64,
        copy_rate,
        ingest_rate,
        ship_ns,
        return_ns: p.return_shipping.map_or(ship_ns, |d| d.0),
        devices,
        wave_size: devices.div_ceil(waves),
        mode: p.mode.unwrap_or(Mode::Staggered),
        corruption_rate,
        resend: p.resend.unwrap_or(Resend::Batch),
        fill_window_ns: p.fill_window.map_or(0, |d| d.0),
    })
}

// Timer kinds, in the low bits of a timer payload (device index above).
const COPY_DONE: u32 = 0;
const SHIPPED: u32 = 1;
const INGESTED: u32 = 2;
const RETURNED: u32 = 3;
const CLOSE: u32 = 4;
const KIND_BITS: u32 = 3;

/// Where a device is in its life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DevState {
    /// On site and empty.
    Idle,
    /// Copying a batch on site.
    Filling,
    /// Part-filled, nothing to copy, waiting up to `fill_window` for more.
    Waiting,
    /// On its way to the provider.
    Shipping,
    /// Being read into the cloud, batch by batch.
    Ingesting,
    /// Ingested; waiting for its landed batches to be placed downstream.
    Draining,
    /// On its way back to site.
    Returning,
}

#[derive(Clone, Debug)]
struct Device {
    state: DevState,
    /// Batches on the device in copy order (the device holds them until
    /// each is ingested).
    load: Vec<Batch>,
    /// How many of `load` are copied and verified.
    copied: usize,
    /// How many of `load` are ingested (emitted).
    ingested: usize,
    /// Bytes in `load`.
    bytes: u64,
    /// Emitted outputs not yet placed downstream.
    outstanding: u32,
    /// When a waiting device ships (stale timers are ignored).
    close_at: Nanos,
    /// Has carried data at least once.
    used: bool,
}

/// A `transfer` stage: devices as servers holding their batches from copy
/// to landing.
#[derive(Clone, Debug)]
pub struct TransferStage {
    cfg: TransferConfig,
    /// Capacity in records (backlog plus on devices); `u64::MAX` = unbounded.
    capacity: u64,
    devices: Vec<Device>,
    /// Data on site waiting for a device.
    backlog: VecDeque<Batch>,
    backlog_records: u64,
    /// Records on devices, not yet emitted.
    on_devices: u64,
    /// Devices that may still join the current wave.
    wave_left: u32,
    /// Emitted outputs: (device, batch), by output slot.
    outputs: Vec<Option<(u32, Batch)>>,
    free_outputs: Vec<u32>,
    // --- measurements ---
    first_in: Option<Nanos>,
    last_landed: Option<Nanos>,
    trips: u64,
    waves_started: u64,
    corrupted: u64,
    batches_resent: u64,
    bytes_recopied: u64,
    /// Devices lost in transit (a `crash` fault).
    devices_lost: u64,
    bytes_copied: u64,
    bytes_landed: u64,
    records_too_large: u64,
}

impl TransferStage {
    /// A transfer stage with `capacity` records of room (backlog included).
    pub fn new(cfg: TransferConfig, capacity: u64) -> Self {
        let devices = (0..cfg.devices)
            .map(|_| Device {
                state: DevState::Idle,
                load: Vec::new(),
                copied: 0,
                ingested: 0,
                bytes: 0,
                outstanding: 0,
                close_at: 0,
                used: false,
            })
            .collect();
        TransferStage {
            cfg,
            capacity,
            devices,
            backlog: VecDeque::new(),
            backlog_records: 0,
            on_devices: 0,
            wave_left: 0,
            outputs: Vec::new(),
            free_outputs: Vec::new(),
            first_in: None,
            last_landed: None,
            trips: 0,
            waves_started: 0,
            corrupted: 0,
            batches_resent: 0,
            bytes_recopied: 0,
            devices_lost: 0,
            bytes_copied: 0,
            bytes_landed: 0,
            records_too_large: 0,
        }
    }

    fn timer(ctx: &mut Ctx, at: Nanos, device: usize, what: u32) {
        ctx.schedule(at, ((device as u32) << KIND_BITS) | what);
    }

    fn filling(&self) -> bool {
        self.devices
            .iter()
            .any(|d| matches!(d.state, DevState::Filling | DevState::Waiting))
    }

    /// Starts idle devices on the backlog as the mode allows: they join the
    /// current wave while it is filling and has room, otherwise a new wave
    /// opens (staggered: once nothing is filling; serial: once every device
    /// is home).
    fn try_start(&mut self, ctx: &mut Ctx) {
        while !self.backlog.is_empty() {
            let filling = self.filling();
            if !(self.wave_left > 0 && filling) {
                let may_open = match self.cfg.mode {
                    Mode::Staggered => !filling,
                    Mode::Serial => self.devices.iter().all(|d| d.state == DevState::Idle),
                };
                if !may_open {
                    return;
                }
                self.wave_left = self.cfg.wave_size;
                self.waves_started += 1;
            }
            let Some(i) = self.devices.iter().position(|d| d.state == DevState::Idle) else {
                return;
            };
            self.wave_left -= 1;
            self.devices[i].state = DevState::Filling;
            self.next_copy(ctx, i);
        }
    }

    /// Copies the device's next batch: a re-copy of its own load first,
    /// then the head of the backlog (split to fit); ships when full or when
    /// nothing is left (after `fill_window`).
    fn next_copy(&mut self, ctx: &mut Ctx, i: usize) {
        let d = &mut self.devices[i];
        if d.copied < d.load.len() {
            let b = d.load[d.copied];
            let t = round_ns(b.bytes as f64 / self.cfg.copy_rate * 1e9);
            Self::timer(ctx, ctx.now + t, i, COPY_DONE);
            return;
        }
        let room = self.cfg.capacity_bytes - d.bytes;
        loop {
            let Some(front) = self.backlog.front_mut() else {
                let d = &mut self.devices[i];
                if d.load.is_empty() {
                    d.state = DevState::Idle;
                } else if self.cfg.fill_window_ns > 0 && room > 0 {
                    d.state = DevState::Waiting;
                    d.close_at = ctx.now + self.cfg.fill_window_ns;
                    Self::timer(ctx, d.close_at, i, CLOSE);
                } else {
                    self.close(ctx, i);
                }
                return;
            };
            let b = if front.bytes <= room {
                self.backlog.pop_front().expect("front exists")
            } else {
                // Records that fit in what is left of this device.
                let n = (front.count as u128 * room as u128 / front.bytes as u128) as u64;
                if n > 0 {
                    front.split_off(n)
                } else if self.devices[i].load.is_empty() {
                    // A record larger than a whole device can never move:
                    // counted as dropped, never lost silently.
                    let b = self.backlog.pop_front().expect("front exists");
                    self.backlog_records -= b.count;
                    self.records_too_large += b.count;
                    ctx.drop_records(DropReason::Full, b.count);
                    continue;
                } else {
                    self.close(ctx, i);
                    return;
                }
            };
            self.backlog_records -= b.count;
            self.on_devices += b.count;
            ctx.record_wait(ctx.now - b.stage_arrival, b.count);
            let d = &mut self.devices[i];
            d.load.push(b);
            d.bytes += b.bytes;
            let t = round_ns(b.bytes as f64 / self.cfg.copy_rate * 1e9);
            Self::timer(ctx, ctx.now + t, i, COPY_DONE);
            return;
        }
    }

    /// The device leaves for the provider.
    fn close(&mut self, ctx: &mut Ctx, i: usize) {
        let d = &mut self.devices[i];
        d.state = DevState::Shipping;
        d.used = true;
        self.trips += 1;
        Self::timer(ctx, ctx.now + self.cfg.ship_ns, i, SHIPPED);
    }

    fn ingest_next(&mut self, ctx: &mut Ctx, i: usize) {
        let b = self.devices[i].load[self.devices[i].ingested];
        let t = round_ns(b.bytes as f64 / self.cfg.ingest_rate * 1e9);
        Self::timer(ctx, ctx.now + t, i, INGESTED);
    }

    fn copy_done(&mut self, ctx: &mut Ctx, i: usize) {
        let d = &mut self.devices[i];
        let b = d.load[d.copied];
        self.bytes_copied += b.bytes;
        // Draw only when corruption is possible, so a zero rate leaves the
        // stream (and every other draw) untouched.
        let bad = self.cfg.corruption_rate > 0.0 && ctx.rng.uniform() < self.cfg.corruption_rate;
        if !bad {
            d.copied += 1;
        } else {
            self.corrupted += 1;
            match self.cfg.resend {
                Resend::Batch => {
                    self.batches_resent += 1;
                    self.bytes_recopied += b.bytes;
                }
                Resend::Job => {
                    let redo = &d.load[..=d.copied];
                    self.batches_resent += redo.len() as u64;
                    self.bytes_recopied += redo.iter().map(|b| b.bytes).sum::<u64>();
                    d.copied = 0;
                }
            }
        }
        self.next_copy(ctx, i);
    }

    fn ingested(&mut self, ctx: &mut Ctx, i: usize) {
        let d = &mut self.devices[i];
        let b = d.load[d.ingested];
        d.ingested += 1;
        d.outstanding += 1;
        let more = d.ingested < d.load.len();
        self.on_devices -= b.count;
        let slot = match self.free_outputs.pop() {
            Some(s) => {
                self.outputs[s as usize] = Some((i as u32, b));
                s
            }
            None => {
                self.outputs.push(Some((i as u32, b)));
                self.outputs.len() as u32 - 1
            }
        };
        if more {
            self.ingest_next(ctx, i);
        } else {
            self.devices[i].state = DevState::Draining;
        }
        ctx.emit(slot, b);
    }
}

impl StageModel for TransferStage {
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        (self.capacity.saturating_sub(self.in_system()), false)
    }

    /// `crash` = a device fails in transit (device `n` if it is shipping,
    /// else the first one shipping): its data was never ingested, so it goes
    /// back to the front of the on-site backlog to be copied again (the
    /// source still holds it), and a replacement device arrives on site one
    /// shipping time later.
    fn control(&mut self, ctx: &mut Ctx, c: Control) -> Result<(), String> {
        let Control::Crash(n) = c else {
            return Err(format!(
                "`{}` does not apply to a transfer (only `crash`: a device lost in transit)",
                c.name()
            ));
        };
        let shipping = |d: &Device| d.state == DevState::Shipping;
        let i = match self.devices.get(n as usize) {
            Some(d) if shipping(d) => n as usize,
            _ => self
                .devices
                .iter()
                .position(shipping)
                .ok_or("no device is in transit")?,
        };
        let d = &mut self.devices[i];
        let load = std::mem::take(&mut d.load);
        d.state = DevState::Returning;
        d.copied = 0;
        d.ingested = 0;
        d.bytes = 0;
        for b in load.into_iter().rev() {
            self.on_devices -= b.count;
            self.backlog_records += b.count;
            self.bytes_recopied += b.bytes;
            self.backlog.push_front(b);
        }
        self.devices_lost += 1;
        Self::timer(ctx, ctx.now + self.cfg.ship_ns, i, RETURNED);
        self.try_start(ctx);
        Ok(())
    }

    fn extra(&self, _now: Nanos) -> Vec<(&'static str, f64)> {
        let migration = match (self.first_in, self.last_landed) {
            (Some(a), Some(b)) => to_secs(b - a),
            _ => 0.0,
        };
        vec![
            ("migration_time_s", migration),
            ("devices_used", self.devices.iter().filter(|d| d.used).count() as f64),
            ("devices_shipped", self.trips as f64),
            ("waves_started", self.waves_started as f64),
            ("checksum_failures", self.corrupted as f64),
            ("batches_resent", self.batches_resent as f64),
            ("bytes_recopied", self.bytes_recopied as f64),
            ("bytes_copied", self.bytes_copied as f64),
            ("bytes_landed", self.bytes_landed as f64),
            ("devices_lost", self.devices_lost as f64),
            ("records_too_large", self.records_too_large as f64),
        ]
    }

    fn accept(&mut self, ctx: &mut Ctx, batch: Batch) {
        self.first_in.get_or_insert(ctx.now);
        self.backlog_records += batch.count;
        self.backlog.push_back(batch);
        // A part-filled device waiting for data takes it first.
        for i in 0..self.devices.len() {
            if self.backlog.is_empty() {
                break;
            }
            if self.devices[i].state == DevState::Waiting {
                self.devices[i].state = DevState::Filling;
                self.next_copy(ctx, i);
            }
        }
        self.try_start(ctx);
    }

    fn on_event(&mut self, ctx: &mut Ctx, payload: u32) {
        let i = (payload >> KIND_BITS) as usize;
        match payload & ((1 << KIND_BITS) - 1) {
            COPY_DONE => self.copy_done(ctx, i),
            // A device lost in transit has a replacement on its way back:
            // its original arrival is void.
            SHIPPED if self.devices[i].state != DevState::Shipping => {}
            SHIPPED => {
                self.devices[i].state = DevState::Ingesting;
                self.devices[i].ingested = 0;
                self.ingest_next(ctx, i);
            }
            INGESTED => self.ingested(ctx, i),
            RETURNED => self.devices[i].state = DevState::Idle,
            CLOSE => {
                let d = &self.devices[i];
                if d.state == DevState::Waiting && d.close_at == ctx.now {
                    self.close(ctx, i);
                }
            }
            other => debug_assert!(false, "unknown transfer timer {other}"),
        }
        self.try_start(ctx);
    }

    fn release(&mut self, ctx: &mut Ctx, slot: u32) {
        let (i, b) = self.outputs[slot as usize].take().expect("output slot in use");
        self.free_outputs.push(slot);
        self.last_landed = Some(ctx.now);
        self.bytes_landed += b.bytes;
        let d = &mut self.devices[i as usize];
        d.outstanding -= 1;
        if d.state == DevState::Draining && d.outstanding == 0 {
            d.state = DevState::Returning;
            d.load.clear();
            d.copied = 0;
            d.ingested = 0;
            d.bytes = 0;
            Self::timer(ctx, ctx.now + self.cfg.return_ns, i as usize, RETURNED);
        }
    }

    fn in_system(&self) -> u64 {
        self.backlog_records + self.on_devices
    }
    fn in_queue(&self) -> u64 {
        self.backlog_records
    }
    fn busy(&self) -> u64 {
        self.devices.iter().filter(|d| d.state != DevState::Idle).count() as u64
    }
    fn servers(&self) -> Option<u64> {
        Some(self.cfg.devices as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::harness::{chunks, extra, run};

    const TB: u64 = 1_000_000_000_000;

    /// 10 TB devices, 100 MB/s copy (10^5 s to fill), 200 MB/s ingest
    /// (5·10^4 s to empty), one day (86,400 s) each way.
    fn cfg(devices: u32, mode: Mode) -> TransferConfig {
        TransferConfig {
            capacity_bytes: 10 * TB,
            copy_rate: 100e6,
            ingest_rate: 200e6,
            ship_ns: 86_400 * 1_000_000_000,
            return_ns: 86_400 * 1_000_000_000,
            devices,
            wave_size: 1,
            mode,
            corruption_rate: 0.0,
            resend: Resend::Batch,
            fill_window_ns: 0,
        }
    }

    fn migrate(cfg: TransferConfig, input: &[Batch], seed: u64) -> (Model, f64) {
        let mut m = Model::Transfer(TransferStage::new(cfg, u64::MAX));
        let out = run(&mut m, input, seed);
        let landed: u64 = out.landed.iter().map(|(_, b)| b.count).sum();
        let bytes: u64 = out.landed.iter().map(|(_, b)| b.bytes).sum();
        assert_eq!(landed, input.iter().map(|b| b.count).sum::<u64>(), "every record lands");
        assert_eq!(bytes, input.iter().map(|b| b.bytes).sum::<u64>(), "every byte lands");
        assert_eq!(m.in_system(), 0);
        let t = extra(&m, "migration_time_s");
        (m, t)
    }

    /// 30 TB on three 10 TB devices.
    /// Serial: each device fills (100,000 s), ships (86,400), is ingested
    /// (50,000) and returns (86,400) before the next starts: a cycle of
    /// 322,800 s; the third lands at 2 × 322,800 + 236,400 = 882,000 s.
    /// Staggered: fills run back to back (the next fills while the previous
    /// ships), so the third is full at 300,000 s and lands at
    /// 300,000 + 86,400 + 50,000 = 436,400 s: overlap saves 2 × 222,800 s.
    #[test]
    fn staggered_overlaps_shipping_with_filling() {
        let data = chunks(30, TB);
        let (_, serial) = migrate(cfg(3, Mode::Serial), &data, 1);
        let (m, staggered) = migrate(cfg(3, Mode::Staggered), &data, 1);
        assert_eq!(serial, 882_000.0);
        assert_eq!(staggered, 436_400.0);
        assert_eq!(extra(&m, "devices_used"), 3.0);
        assert_eq!(extra(&m, "devices_shipped"), 3.0);
    }

    /// 60 TB on 3 devices (staggered): devices 1-3 fill until 300,000 s; device
    /// 1 is back at 322,800 s (fill end 100,000 + 222,800) and fills until
    /// 422,800; device 2 back at 422,800, full at 522,800; device 3 back at
    /// 522,800, full at 622,800, lands at 759,200 s. With 6 devices the fills
    /// never wait: the sixth is full at 600,000 s and lands at 736,400 s.
    #[test]
    fn devices_are_reused_after_their_return() {
        let data = chunks(60, TB);
        let (m3, three) = migrate(cfg(3, Mode::Staggered), &data, 1);
        let (_, six) = migrate(cfg(6, Mode::Staggered), &data, 1);
        assert_eq!(three, 759_200.0);
        assert_eq!(six, 736_400.0);
        assert_eq!(extra(&m3, "devices_shipped"), 6.0);
    }

    /// Two devices in one wave fill side by side: 20 TB is on board at
    /// 100,000 s and lands at 236,400 s, against 336,400 s in two waves.
    #[test]
    fn a_wave_fills_its_devices_in_parallel() {
        let data = chunks(20, TB);
        let mut one_wave = cfg(2, Mode::Staggered);
        one_wave.wave_size = 2;
        let (_, t1) = migrate(one_wave, &data, 1);
        let (_, t2) = migrate(cfg(2, Mode::Staggered), &data, 1);
        assert_eq!((t1, t2), (236_400.0, 336_400.0));
    }

    /// Batches larger than what is left on a device are split by records,
    /// and a record larger than a whole device is dropped and counted.
    #[test]
    fn batches_are_split_to_fit_and_oversized_records_are_counted() {
        let mut m = Model::Transfer(TransferStage::new(cfg(1, Mode::Staggered), u64::MAX));
        let input = [Batch::new(25, 25 * TB, 0), Batch::new(1, 11 * TB, 0)];
        let out = run(&mut m, &input, 1);
        let landed: u64 = out.landed.iter().map(|(_, b)| b.count).sum();
        assert_eq!(landed, 25);
        assert_eq!(out.metrics.dropped_total(), 1);
        assert_eq!(extra(&m, "records_too_large"), 1.0);
        assert_eq!(extra(&m, "devices_shipped"), 3.0);
        assert_eq!(m.in_system(), 0);
    }

    /// With one device per wave and no device waiting for a return, the
    /// copies run back to back, so every re-copied byte adds exactly its
    /// copy time: migration = (data + re-copied) / copy rate + ship + ingest.
    /// Per-job re-sends redo whole loads: many more bytes, later finish.
    #[test]
    fn resending_per_batch_costs_less_than_per_job() {
        let data = chunks(300, TB / 10);
        let mut batch = cfg(3, Mode::Staggered);
        batch.corruption_rate = 0.02;
        let mut job = batch.clone();
        job.resend = Resend::Job;
        for seed in 1..4 {
            let (mb, tb) = migrate(batch.clone(), &data, seed);
            let (mj, tj) = migrate(job.clone(), &data, seed);
            let (rb, rj) = (extra(&mb, "bytes_recopied"), extra(&mj, "bytes_recopied"));
            assert!(
                rb > 0.0 && rb < rj,
                "seed {seed}: re-copied {rb} per batch vs {rj} per job"
            );
            assert!(tb < tj, "seed {seed}: {tb} s per batch vs {tj} s per job");
            for (t, r) in [(tb, rb), (tj, rj)] {
                let want = 436_400.0 + r / 100e6;
                assert!((t - want).abs() < 1e-3, "{t} vs {want}");
            }
        }
    }

    #[test]
    fn zero_corruption_resends_nothing() {
        let (m, _) = migrate(cfg(2, Mode::Serial), &chunks(40, TB / 2), 5);
        assert_eq!(extra(&m, "batches_resent"), 0.0);
        assert_eq!(extra(&m, "bytes_recopied"), 0.0);
        assert_eq!(extra(&m, "checksum_failures"), 0.0);
    }

    #[test]
    fn a_part_filled_device_waits_for_more_within_the_fill_window() {
        let mut c = cfg(1, Mode::Staggered);
        c.fill_window_ns = 3_600 * 1_000_000_000;
        let mut m = Model::Transfer(TransferStage::new(c, u64::MAX));
        let out = run(&mut m, &chunks(2, TB), 1);
        // Copied by 20,000 s, waits an hour, ships, ingests 10,000 s.
        assert_eq!(
            out.landed.last().unwrap().0,
            (20_000 + 3_600 + 86_400 + 10_000) * 1_000_000_000
        );
    }

    #[test]
    fn params_check_ranges_and_pick_flavour_defaults() {
        let p = |json: &str| -> Params { serde_json::from_str(json).unwrap() };
        let c = resolve(&p(r#"{"flavour":"transfer_appliance"}"#)).unwrap();
        assert_eq!(c.capacity_bytes, 300 * TB);
        let c = resolve(&p(r#"{}"#)).unwrap();
        assert_eq!(c.capacity_bytes, 80 * TB);
        let c = resolve(&p(r#"{"devices":5,"waves":2}"#)).unwrap();
        assert_eq!(c.wave_size, 3);
        let e = resolve(&p(r#"{"devices":2,"waves":3,"corruption_rate":1.5}"#)).unwrap_err();
        let keys: Vec<_> = e.iter().filter_map(|e| e.key.clone()).collect();
        assert_eq!(keys, ["waves", "corruption_rate"]);
    }
}
