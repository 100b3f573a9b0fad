//! `spark`: Spark Structured Streaming on a cluster (Amazon EMR, Google
//! Dataproc), or Hadoop MapReduce (`flavour = "mapreduce"`, the "before").
//!
//! Micro-batches: every `trigger` (aligned to its multiples) a batch takes
//! all records that arrived since the last one. Its duration is
//! `records × per_record / (executors × cores) + shuffle time`. When a batch
//! takes longer than the trigger the next one starts only when it ends, so
//! lag builds up (`trigger_delay_s_max`). With `trigger = "0s"` a batch
//! starts as soon as the previous one ends.
//!
//! MapReduce (`flavour = "mapreduce"`) does the same CPU work per record;
//! what makes it slower is where its data goes between steps. Spark keeps a
//! pipeline's intermediate data in executor memory (its shuffle files, at
//! these sizes, are served from the page cache: modelled as memory) and
//! reuses its executors' JVMs. A workload of `jobs` chained MapReduce jobs,
//! on a batch of B bytes over E executors, adds to every batch:
//!
//! ```text
//!   spills      (jobs × 4·B + 4·T) / (E × disk_bandwidth) map→shuffle and shuffle→reduce:
//!                                                         each written to local disk and read back
//!   HDFS output max(r·O / (E × disk_bandwidth),           every job commits its output to HDFS,
//!                   (r−1)·O / (E × shuffle_bw))           r = `replication` copies, pipelined
//!   job inputs  (jobs − 1) × B / (E × disk_bandwidth)     the next job reads it back from HDFS
//!   JVMs        jobs × (⌈map tasks / slots⌉ + 1) × jvm_startup
//!               map tasks = ⌈B / 128 MB block⌉ (+ ⌈T / block⌉ in the join's job),
//!               reduce tasks = slots (one wave)
//! ```
//!
//! where T is the static side of a shuffle (reduce-side) join, which goes
//! through the same sort, spill and merge as the stream (0 for a broadcast
//! join: a map-side join from the distributed cache), and O, the bytes the
//! jobs write, is (jobs − 1)·B + `output_ratio`·B: intermediate outputs are
//! as large as the input, the last job's is `output_ratio` of it (default
//! 1; a projection or aggregation writes less than it reads). (Spark hands
//! its output straight to the next stage, which models that write in both
//! flavours.) So the gap grows with `replication`, `jobs`, the join's table
//! and bytes per record, shrinks with faster disks, and is small for
//! CPU-bound work. Simplifications: both boundaries always go to disk
//! (reducers whose input fits their shuffle buffer would skip the second
//! spill), Spark's shuffle is served from memory and page cache, reading
//! the join's table from storage is left out in both flavours, and the
//! records passed downstream keep their size whatever `output_ratio` says.
//!
//! Event time and watermarks: the watermark is the latest event time seen
//! minus `watermark`. An arriving record whose event time is older than the
//! watermark is dropped as `late` (a batch straddling it is split by the
//! fraction of its event-time span before it, keeping counts exact).
//! Records are counted into tumbling event-time windows of `window`; a
//! window's state is held until the watermark passes its end, so the state
//! held (`state_records_max`) grows with the watermark delay. Without a
//! `watermark` nothing is late and windows never close.
//!
//! Joins with a static table (`join`): a shuffle join shuffles both sides
//! (the stream's bytes after `filter_selectivity`, and the table, every
//! batch); a broadcast join ships the table to every executor
//! (`other_bytes × executors`); `auto` broadcasts when the table is at most
//! `broadcast_threshold`. Shuffle time is the bytes over `shuffle_bandwidth`
//! per executor, spread over at most `key_cardinality` executors (too few
//! join keys leave executors idle). The table's rows are read every batch at
//! `per_row` CPU each (default: the stream's `per_record`).

use super::etl::{fraction_in, Pending, Taken};
use super::{parse_params, BuildEnv, Built, KindInfo, Limit, ParamError};
use crate::scenario::units::{ByteRate, Bytes, Duration};
use crate::sim::batch::Batch;
use crate::sim::metrics::DropReason;
use crate::sim::stage::{Control, Ctx, Model, StageModel};
use crate::sim::time::{round_ns, Nanos, NS_PER_S};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const LIMITS: &[Limit] = &[
    Limit {
        provider: "AWS",
        name: "broadcast join threshold (spark.sql.autoBroadcastJoinThreshold default)",
        value: 10_485_760.0,
        unit: "bytes",
        source: "Apache Spark SQL performance tuning docs (10 MB default); not in the stored reference",
        confirmed: false,
    },
    Limit {
        provider: "AWS",
        name: "shuffle bandwidth per executor (model default)",
        value: 104_857_600.0,
        unit: "bytes/s",
        source: "model assumption; not in the stored reference",
        confirmed: false,
    },
    Limit {
        provider: "AWS",
        name: "disk bandwidth per executor for MapReduce spills and HDFS (model default)",
        // One 7,200-rpm HDD per 4-core executor (a Hadoop node of 12 disks
        // and 48 cores); such a disk streams 100-200 MB/s sequentially, and
        // spill merges read up to 10 runs at once (mapreduce.task.io.sort.factor),
        // so the low end.
        value: 100_000_000.0,
        unit: "bytes/s",
        source: "model assumption: one HDD per executor at the low end of 100-200 MB/s; not in the stored reference",
        confirmed: false,
    },
    Limit {
        provider: "AWS",
        name: "HDFS replication (dfs.replication default)",
        value: 3.0,
        unit: "copies",
        source: "Apache Hadoop hdfs-default.xml (dfs.replication = 3); Amazon EMR sets 1 below 4 core nodes, 2 below 10 (EMR Release Guide, HDFS configuration)",
        confirmed: false,
    },
    Limit {
        provider: "AWS",
        name: "HDFS block size (dfs.blocksize default, one map task per block)",
        value: 134_217_728.0,
        unit: "bytes",
        source: "Apache Hadoop hdfs-default.xml and EMR Release Guide, HDFS configuration (128 MB)",
        confirmed: false,
    },
    Limit {
        provider: "AWS",
        name: "JVM start-up per MapReduce task (model default)",
        // YARN launches a container and a fresh JVM for every task (no JVM
        // reuse since Hadoop 2); start-up, class loading and task set-up
        // take about a second. Spark starts its executors once.
        value: 1.0,
        unit: "s",
        source: "model assumption (about 1 s per task container and JVM); not in the stored reference",
        confirmed: false,
    },
];

pub const SPARK: KindInfo = KindInfo {
    name: "spark",
    aws: "Amazon EMR (Spark)",
    gcp: "Dataproc (Spark)",
    help: "Spark Structured Streaming micro-batches on `executors` × `cores`: every `trigger` a batch takes the \
           records that arrived since the last; it lasts records × `per_record` / (executors × cores) plus \
           shuffle time, and when it overruns the trigger the next batch waits, so lag builds. \
           `flavour = \"mapreduce\"` is the Hadoop MapReduce 'before': the same CPU per record, but each of \
           its `jobs` (chained MapReduce jobs the workload needs, default 1) spills the batch to disk and reads \
           it back at both stage boundaries (map→shuffle→reduce) at `disk_bandwidth` per executor (default \
           100 MB/s, one HDD), commits its output to HDFS in `replication` copies (default 3, Hadoop's \
           dfs.replication) over disk and network, the next job reads it back, and every task starts a JVM \
           (`jvm_startup`, default 1 s; one map task per 128 MB block, one wave of reducers); a shuffle join's \
           table goes through the same spills, and the last job writes `output_ratio` of the bytes it read \
           (default 1; less for a projection or aggregation). Spark keeps all \
           this in memory and reuses its executors. Event-time windows (`window`) are held as state until the `watermark` passes \
           them; records older than the latest event time minus `watermark` are dropped as `late`. A `join` \
           with a static table shuffles both sides, or broadcasts the table to every executor (`strategy`, \
           `auto` below `broadcast_threshold`); `filter_selectivity` shrinks the stream side before the join \
           and `key_cardinality` below the executor count leaves executors idle during the shuffle. Records \
           pass through (joins enrich, windows are measured as state, not aggregated away). Faults and alarm \
           actions may `scale` the executors, `slow` batches, `stop` and `resume` them. `hosting = \"on_prem\"` \
           prices the executors as servers in the owner's data centre (assumed rows) instead of EMR. It does not \
           model executor failures, dynamic allocation, memory spills in Spark, output modes, or MapReduce \
           reducers that keep their input in memory (both MapReduce boundaries always go to disk).",
    params: &[
        super::choice("flavour", "emr | dataproc | mapreduce"),
        super::count("executors", "executors"),
        super::count("cores", "cores per executor"),
        super::dur("per_record", "s per record per core"),
        super::dur("trigger", "s between micro-batches"),
        super::dur("window", "s"),
        super::dur("watermark", "s"),
        super::table("join", "{ other_rows, other_bytes, strategy, broadcast_threshold, … }"),
        super::rate("shuffle_bandwidth", "bytes/s"),
        super::rate("disk_bandwidth", "bytes/s"),
        super::count("replication", "HDFS copies (MapReduce)"),
        super::dur("jvm_startup", "s per task (MapReduce)"),
        super::count("jobs", "chained jobs (MapReduce)"),
        super::ratio("output_ratio", "output bytes per input byte (MapReduce)"),
        super::choice("hosting", "cloud | on_prem"),
    ],
    has_to: true,
    limits: LIMITS,
};

/// Which engine and provider.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Flavour {
    /// Spark on Amazon EMR.
    Emr,
    /// Spark on Google Dataproc.
    Dataproc,
    /// Hadoop MapReduce on EMR (the ticket's "before").
    Mapreduce,
}

/// How the join is executed.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Shuffle,
    Broadcast,
    Auto,
}

/// A join of the stream with a static table.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JoinSpec {
    /// Rows of the other (static) side.
    pub other_rows: u64,
    /// Size of the other side.
    pub other_bytes: Bytes,
    /// `"shuffle"`, `"broadcast"` or `"auto"` (default).
    pub strategy: Option<Strategy>,
    /// Largest table `auto` broadcasts (default 10 MB).
    pub broadcast_threshold: Option<Bytes>,
    /// Share of the stream side's bytes left after filtering before the join (0 to 1, default 1).
    pub filter_selectivity: Option<f64>,
    /// Distinct join keys (default: unlimited).
    pub key_cardinality: Option<u64>,
    /// CPU to read one row of the table on one core (default: `per_record`).
    pub per_row: Option<Duration>,
}

/// A `spark` stage's parameters as written in the scenario.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `"emr"` (default), `"dataproc"` or `"mapreduce"`.
    pub flavour: Option<Flavour>,
    /// Executors (default 2).
    pub executors: Option<u64>,
    /// Cores per executor (default 4).
    pub cores: Option<u64>,
    /// Processing time of one record on one core (Spark; required).
    pub per_record: Option<Duration>,
    /// Micro-batch trigger interval (default 10 s; "0s": back to back).
    pub trigger: Option<Duration>,
    /// Tumbling event-time window (default 5 min).
    pub window: Option<Duration>,
    /// Watermark delay (default: none, nothing is late).
    pub watermark: Option<Duration>,
    /// A join with a static table.
    pub join: Option<JoinSpec>,
    /// Shuffle bandwidth per executor (default 100 MiB/s).
    pub shuffle_bandwidth: Option<ByteRate>,
    /// MapReduce: disk bandwidth per executor for spills and HDFS
    /// (default 100 MB/s: one HDD).
    pub disk_bandwidth: Option<ByteRate>,
    /// MapReduce: HDFS copies of every job's output (default 3, Hadoop's
    /// `dfs.replication`; EMR uses 1 below 4 core nodes, 2 below 10).
    pub replication: Option<u64>,
    /// MapReduce: start-up of the JVM every task runs in (default 1 s).
    pub jvm_startup: Option<Duration>,
    /// MapReduce: chained jobs the workload needs, each with its own spills,
    /// HDFS output and JVMs (default 1; Spark runs the steps as one job).
    pub jobs: Option<u64>,
    /// MapReduce: bytes the last job writes per byte of input (default 1;
    /// a projection or aggregation writes less than it reads).
    pub output_ratio: Option<f64>,
    /// `"cloud"` (default) or `"on_prem"`: a cluster in the owner's data
    /// centre, priced by the `onprem.*` rows instead of EMR / Dataproc. Does
    /// not change the simulation.
    pub hosting: Option<Hosting>,
}

/// Where the cluster runs (for pricing only).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Hosting {
    Cloud,
    OnPrem,
}

/// Builds a `spark` stage.
pub fn build(kind: &KindInfo, params: &super::Params, env: &mut BuildEnv) -> Result<Built, Vec<ParamError>> {
    let p: Params = parse_params(kind, params).map_err(|e| vec![e])?;
    let flavour = p.flavour.unwrap_or(Flavour::Emr);
    let mut errors = Vec::new();
    let executors = p.executors.unwrap_or(2);
    if executors == 0 {
        errors.push(ParamError::at("executors", "must be at least 1"));
    }
    let cores = p.cores.unwrap_or(4);
    if cores == 0 {
        errors.push(ParamError::at("cores", "must be at least 1"));
    }
    let per_record_ns = match p.per_record {
        Some(d) if d.0 == 0 => {
            errors.push(ParamError::at("per_record", "must be more than zero"));
            0
        }
        Some(d) => d.0,
        None => {
            errors.push(ParamError::stage(
                "a `spark` stage needs `per_record` (processing time of one record on one core), like \"1ms\"",
            ));
            0
        }
    };
    let window_ns = p.window.map_or(300 * NS_PER_S, |d| d.0);
    if window_ns == 0 {
        errors.push(ParamError::at("window", "must be more than zero"));
    }
    let limit = |name: &str| kind.limit(name);
    let shuffle_bw = p.shuffle_bandwidth.map_or(limit("shuffle bandwidth"), |r| r.0);
    if shuffle_bw <= 0.0 {
        errors.push(ParamError::at("shuffle_bandwidth", "must be more than zero"));
    }
    let disk_bw = p.disk_bandwidth.map_or(limit("disk bandwidth"), |r| r.0);
    if disk_bw <= 0.0 {
        errors.push(ParamError::at("disk_bandwidth", "must be more than zero"));
    }
    let replication = p.replication.unwrap_or(limit("HDFS replication") as u64);
    if !(1..=16).contains(&replication) {
        errors.push(ParamError::at("replication", "must be from 1 to 16 copies"));
    }
    let jobs = p.jobs.unwrap_or(1);
    if !(1..=1000).contains(&jobs) {
        errors.push(ParamError::at("jobs", "must be from 1 to 1000"));
    }
    let output_ratio = p.output_ratio.unwrap_or(1.0);
    if !(output_ratio > 0.0 && output_ratio <= 100.0) {
        errors.push(ParamError::at("output_ratio", "must be more than 0 and at most 100"));
    }
    let jvm_startup_ns = p
        .jvm_startup
        .map_or(limit("JVM start-up") * NS_PER_S as f64, |d| d.0 as f64);
    let block_bytes = limit("HDFS block size");
    let join = p.join.map(|j| {
        let sel = j.filter_selectivity.unwrap_or(1.0);
        if !(sel > 0.0 && sel <= 1.0) {
            errors.push(ParamError::at(
                "join",
                "join.filter_selectivity: must be more than 0 and at most 1",
            ));
        }
        if j.key_cardinality == Some(0) {
            errors.push(ParamError::at("join", "join.key_cardinality: must be at least 1"));
        }
        if j.other_bytes.0 < 0.0 {
            errors.push(ParamError::at("join", "join.other_bytes: must not be negative"));
        }
        if j.per_row.is_some_and(|d| d.0 == 0) {
            errors.push(ParamError::at("join", "join.per_row: must be more than zero"));
        }
        let threshold = j.broadcast_threshold.map_or(limit("broadcast join threshold"), |b| b.0);
        let broadcast = match j.strategy.unwrap_or(Strategy::Auto) {
            Strategy::Shuffle => false,
            Strategy::Broadcast => true,
            Strategy::Auto => j.other_bytes.0 <= threshold,
        };
        Join {
            other_rows: j.other_rows,
            other_bytes: j.other_bytes.0,
            broadcast,
            selectivity: sel,
            key_cardinality: j.key_cardinality.unwrap_or(u64::MAX),
            per_row_ns: j.per_row.map_or(per_record_ns as f64, |d| d.0 as f64),
        }
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    let mapreduce = (flavour == Flavour::Mapreduce).then_some(MapReduce {
        disk_bytes_per_s: disk_bw,
        replication,
        jvm_startup_ns,
        jobs,
        block_bytes,
        output_ratio,
    });
    let model = SparkStage::new(SparkConfig {
        executors,
        cores,
        per_record_ns: per_record_ns as f64,
        mapreduce,
        trigger_ns: p.trigger.map_or(10 * NS_PER_S, |d| d.0),
        window_ns,
        watermark_ns: p.watermark.map(|d| d.0),
        join,
        shuffle_bytes_per_s: shuffle_bw,
        capacity: env.capacity,
    });
    Ok(Built {
        model: Model::Spark(Box::new(model)),
        routes: None,
    })
}

/// A resolved join.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Join {
    /// Rows of the static side.
    pub other_rows: u64,
    /// Bytes of the static side.
    pub other_bytes: f64,
    /// Broadcast (true) or shuffle join.
    pub broadcast: bool,
    /// Share of the stream side's bytes kept by filtering before the join.
    pub selectivity: f64,
    /// Distinct join keys.
    pub key_cardinality: u64,
    /// CPU to read one row of the table, in nanoseconds.
    pub per_row_ns: f64,
}

/// What Hadoop MapReduce does between steps that Spark does in memory.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MapReduce {
    /// Disk bandwidth per executor for spills and HDFS, bytes/s.
    pub disk_bytes_per_s: f64,
    /// HDFS copies of every job's output.
    pub replication: u64,
    /// JVM start-up per task, in nanoseconds.
    pub jvm_startup_ns: f64,
    /// Chained jobs per batch.
    pub jobs: u64,
    /// HDFS block size: one map task per block.
    pub block_bytes: f64,
    /// Bytes the last job writes per byte of input.
    pub output_ratio: f64,
}

/// What a [`SparkStage`] is built from.
#[derive(Clone, Debug)]
pub struct SparkConfig {
    pub executors: u64,
    /// Cores per executor.
    pub cores: u64,
    /// Processing time of one record on one core, in nanoseconds (both flavours).
    pub per_record_ns: f64,
    /// Hadoop MapReduce instead of Spark.
    pub mapreduce: Option<MapReduce>,
    /// Micro-batch trigger interval, in nanoseconds (0: back to back).
    pub trigger_ns: Nanos,
    /// Tumbling event-time window, in nanoseconds.
    pub window_ns: Nanos,
    /// Watermark delay, in nanoseconds (`None`: no watermark).
    pub watermark_ns: Option<Nanos>,
    pub join: Option<Join>,
    /// Shuffle bandwidth per executor, bytes/s.
    pub shuffle_bytes_per_s: f64,
    /// Records the stage may hold.
    pub capacity: u64,
}

/// What one micro-batch costs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchCost {
    /// Bytes shuffled between executors.
    pub shuffle_bytes: f64,
    /// MapReduce: bytes written to and read from disk (spills, HDFS copies,
    /// job inputs).
    pub disk_bytes: f64,
    /// MapReduce: tasks started, each in its own JVM.
    pub tasks: u64,
    /// Duration, in nanoseconds.
    pub duration_ns: f64,
}

impl SparkConfig {
    /// The cost of a micro-batch of `count` records and `bytes` bytes.
    pub fn cost(&self, count: u64, bytes: u64) -> BatchCost {
        let e = self.executors as f64;
        let slots = e * self.cores as f64;
        let mut compute = count as f64 * self.per_record_ns / slots;
        let mut shuffle = 0.0;
        let mut shuffle_ns = 0.0;
        if let Some(j) = &self.join {
            let big = bytes as f64 * j.selectivity;
            // Either way the table's rows are read once per batch.
            compute += j.other_rows as f64 * j.per_row_ns / slots;
            if j.broadcast {
                shuffle = j.other_bytes * e;
                shuffle_ns = shuffle / (e * self.shuffle_bytes_per_s) * 1e9;
            } else {
                shuffle = big + j.other_bytes;
                let lanes = e.min(j.key_cardinality as f64);
                shuffle_ns = shuffle / (lanes * self.shuffle_bytes_per_s) * 1e9;
            }
        }
        let (mut disk_bytes, mut tasks, mut mr_ns) = (0.0, 0, 0.0);
        if let Some(m) = &self.mapreduce {
            let b = bytes as f64;
            let jobs = m.jobs as f64;
            let r = m.replication as f64;
            let disk = e * m.disk_bytes_per_s;
            let net = e * self.shuffle_bytes_per_s;
            // A reduce-side join's table is mapped, sorted and spilled with
            // the stream (in the first job); a broadcast one is not.
            let table = match &self.join {
                Some(j) if !j.broadcast => j.other_bytes,
                _ => 0.0,
            };
            // Map output and reduce input: each written and read back.
            let spill = 4.0 * (jobs * b + table);
            // The jobs' outputs (the last one `output_ratio` of its input),
            // r copies on disk, r − 1 of them over the network.
            let out = (jobs - 1.0 + m.output_ratio) * b;
            let hdfs_disk = r * out;
            let hdfs_net = (r - 1.0) * out;
            // Jobs after the first read the previous job's output.
            let reads = (jobs - 1.0) * b;
            let slots = self.executors * self.cores;
            let maps = libm::ceil(b / m.block_bytes).max(1.0) as u64;
            let table_maps = libm::ceil(table / m.block_bytes) as u64;
            // Map waves (the first job also maps the table), plus one reduce
            // wave a job.
            let waves = (m.jobs - 1) * maps.div_ceil(slots) + (maps + table_maps).div_ceil(slots) + m.jobs;
            tasks = m.jobs * (maps + slots) + table_maps;
            disk_bytes = spill + hdfs_disk + reads;
            mr_ns = ((spill + reads) / disk + (hdfs_disk / disk).max(hdfs_net / net)) * 1e9
                + waves as f64 * m.jvm_startup_ns;
        }
        BatchCost {
            shuffle_bytes: shuffle,
            disk_bytes,
            tasks,
            duration_ns: compute + shuffle_ns + mr_ns,
        }
    }
}

const TIMER_TRIGGER: u32 = 0;
const TIMER_DONE: u32 = 1;

/// The engine model of a `spark` stage.
#[derive(Clone, Debug)]
pub struct SparkStage {
    cfg: SparkConfig,
    pending: Pending,
    /// The batch in progress and when it started.
    job: Option<(Taken, Nanos)>,
    running: u64,
    timer_set: bool,
    /// A trigger fired while a batch ran: when (the next batch is overdue).
    due_since: Option<Nanos>,
    held: crate::sim::slab::BatchSlab,
    /// Latest event time seen.
    max_event: Option<Nanos>,
    /// Records per open window (by window index).
    windows: BTreeMap<u64, u64>,
    state: u64,
    state_max: u64,
    late: u64,
    batches: u64,
    shuffle_bytes: f64,
    /// MapReduce: bytes through disk, tasks (JVMs) started.
    disk_bytes: f64,
    tasks: u64,
    last_ns: Nanos,
    max_ns: Nanos,
    max_delay_ns: Nanos,
    /// Processing-time factor from `slow` faults (1 = normal).
    slow: f64,
    /// Stopped by a fault or an alarm: no new batches start.
    stopped: bool,
    /// Executor-nanoseconds before the last resize.
    exec_ns: u128,
    /// When the executor count last changed.
    exec_since: Nanos,
}

impl SparkStage {
    /// A Spark stage from its configuration.
    pub fn new(cfg: SparkConfig) -> Self {
        SparkStage {
            cfg,
            pending: Pending::default(),
            job: None,
            running: 0,
            timer_set: false,
            due_since: None,
            held: crate::sim::slab::BatchSlab::default(),
            max_event: None,
            windows: BTreeMap::new(),
            state: 0,
            state_max: 0,
            late: 0,
            batches: 0,
            shuffle_bytes: 0.0,
            disk_bytes: 0.0,
            tasks: 0,
            last_ns: 0,
            max_ns: 0,
            max_delay_ns: 0,
            slow: 1.0,
            stopped: false,
            exec_ns: 0,
            exec_since: 0,
        }
    }

    /// Resizes the cluster to `n` executors at `now` (the running batch
    /// keeps its duration; the next one uses the new size).
    fn resize(&mut self, now: Nanos, n: u64) {
        self.exec_ns += self.cfg.executors as u128 * (now - self.exec_since.min(now)) as u128;
        self.exec_since = now;
        self.cfg.executors = n.max(1);
    }

    /// The current watermark, if any.
    fn watermark(&self) -> Option<Nanos> {
        Some(self.max_event?.saturating_sub(self.cfg.watermark_ns?))
    }

    fn start(&mut self, ctx: &mut Ctx, due: Nanos) {
        if self.stopped {
            self.due_since.get_or_insert(due);
            return;
        }
        let Some(batch) = self.pending.take() else {
            return;
        };
        ctx.record_wait(ctx.now.saturating_sub(batch.mean_arrival), batch.count);
        self.max_delay_ns = self.max_delay_ns.max(ctx.now.saturating_sub(due));
        let c = self.cfg.cost(batch.count, batch.bytes);
        self.shuffle_bytes += c.shuffle_bytes;
        self.disk_bytes += c.disk_bytes;
        self.tasks += c.tasks;
        self.running = batch.count;
        self.job = Some((batch, ctx.now));
        ctx.schedule(ctx.now + round_ns(c.duration_ns * self.slow).max(1), TIMER_DONE);
    }

    fn arm(&mut self, ctx: &mut Ctx) {
        if self.timer_set || self.job.is_some() && self.cfg.trigger_ns == 0 {
            return;
        }
        let t = self.cfg.trigger_ns;
        // The next multiple of the trigger (now, with no trigger).
        let at = ctx.now.checked_div(t).map_or(ctx.now, |q| (q + 1).saturating_mul(t));
        ctx.schedule(at, TIMER_TRIGGER);
        self.timer_set = true;
    }
}

impl StageModel for SparkStage {
    fn room(&mut self, _now: Nanos, _batch: &Batch) -> (u64, bool) {
        (self.cfg.capacity.saturating_sub(self.in_system()), false)
    }

    fn extra(&self, now: Nanos) -> Vec<(&'static str, f64)> {
        let mut v = vec![
            ("batches", self.batches as f64),
            ("batch_duration_s_last", self.last_ns as f64 / NS_PER_S as f64),
            ("batch_duration_s_max", self.max_ns as f64 / NS_PER_S as f64),
            ("trigger_delay_s_max", self.max_delay_ns as f64 / NS_PER_S as f64),
            ("shuffle_bytes", self.shuffle_bytes),
            ("late_records", self.late as f64),
            ("state_records", self.state as f64),
            ("state_records_max", self.state_max as f64),
            ("executors", self.cfg.executors as f64),
            (
                "executor_hours",
                (self.exec_ns + self.cfg.executors as u128 * (now - self.exec_since.min(now)) as u128) as f64
                    / 3600.0
                    / NS_PER_S as f64,
            ),
        ];
        if self.cfg.mapreduce.is_some() {
            v.push(("disk_bytes", self.disk_bytes));
            v.push(("tasks_started", self.tasks as f64));
        }
        v
    }

    /// `scale` resizes the executors, `slow` stretches batches, `stop`
    /// holds new batches until `resume`.
    fn control(&mut self, ctx: &mut Ctx, c: Control) -> Result<(), String> {
        match c {
            Control::ScaleTo(n) => self.resize(ctx.now, n as u64),
            Control::ScaleBy(f) => {
                let n = libm::round(self.cfg.executors as f64 * f).max(1.0) as u64;
                self.resize(ctx.now, n)
            }
            Control::Slow(f) => self.slow = f,
            Control::Stop => self.stopped = true,
            Control::Resume => {
                self.stopped = false;
                if self.job.is_none() {
                    if let Some(due) = self.due_since.take() {
                        self.start(ctx, due);
                    }
                }
            }
            Control::Crash(_) => return Err("`crash` does not apply to a `spark` stage".into()),
        }
        Ok(())
    }

    fn accept(&mut self, ctx: &mut Ctx, mut batch: Batch) {
        if let Some(wm) = self.watermark() {
            let f = fraction_in(&batch, 0, wm);
            let n = (libm::round(f * batch.count as f64) as u64).min(batch.count);
            if n > 0 {
                ctx.drop_records(DropReason::Late, n);
                self.late += n;
                if n == batch.count {
                    return;
                }
                // The late records are the earliest ones; keep the rest.
                batch.split_off(n);
                let end = batch.event_min + batch.event_span;
                batch.event_min = batch.event_min.max(wm).min(end);
                batch.event_span = end - batch.event_min;
                batch.event_time = batch.event_time.clamp(batch.event_min, end);
            }
        }
        let hi = batch.event_min + batch.event_span;
        self.max_event = Some(self.max_event.map_or(hi, |m| m.max(hi)));
        *self.windows.entry(batch.event_time / self.cfg.window_ns).or_insert(0) += batch.count;
        self.state += batch.count;
        self.state_max = self.state_max.max(self.state);
        if let Some(wm) = self.watermark() {
            // Windows whose end the watermark has passed are finalised.
            while let Some((&w, &n)) = self.windows.first_key_value() {
                if (w + 1).saturating_mul(self.cfg.window_ns) <= wm {
                    self.windows.remove(&w);
                    self.state -= n;
                } else {
                    break;
                }
            }
        }
        batch.stage_arrival = ctx.now;
        self.pending.add(batch);
        self.arm(ctx);
    }

    fn on_event(&mut self, ctx: &mut Ctx, payload: u32) {
        if payload == TIMER_TRIGGER {
            self.timer_set = false;
            if self.job.is_some() {
                self.due_since.get_or_insert(ctx.now);
            } else {
                self.start(ctx, ctx.now);
            }
            return;
        }
        let (batch, started) = self.job.take().expect("a batch in progress");
        let d = ctx.now - started;
        self.batches += 1;
        self.last_ns = d;
        self.max_ns = self.max_ns.max(d);
        self.running = 0;
        for b in batch.batches {
            let slot = self.held.insert(b);
            ctx.emit(slot, b);
        }
        if let Some(due) = self.due_since.take() {
            self.start(ctx, due);
        }
        if self.job.is_none() && self.pending.count() > 0 {
            self.arm(ctx);
        }
    }

    fn release(&mut self, _ctx: &mut Ctx, slot: u32) {
        self.held.remove(slot);
    }

    fn in_system(&self) -> u64 {
        self.pending.count() + self.running
    }
    fn in_queue(&self) -> u64 {
        self.pending.count()
    }
    fn busy(&self) -> u64 {
        if self.job.is_some() {
            self.cfg.executors * self.cfg.cores
        } else {
            0
        }
    }
    fn servers(&self) -> Option<u64> {
        Some(self.cfg.executors * self.cfg.cores)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::harness;

    fn cfg(join: Option<Join>) -> SparkConfig {
        SparkConfig {
            executors: 4,
            cores: 4,
            per_record_ns: 1e6,
            mapreduce: None,
            trigger_ns: 10 * NS_PER_S,
            window_ns: 60 * NS_PER_S,
            watermark_ns: Some(30 * NS_PER_S),
            join,
            shuffle_bytes_per_s: 1e8,
            capacity: u64::MAX,
        }
    }

    fn join(broadcast: bool, selectivity: f64) -> Option<Join> {
        Some(Join {
            other_rows: 1000,
            other_bytes: 1e6,
            broadcast,
            selectivity,
            key_cardinality: u64::MAX,
            per_row_ns: 1e6,
        })
    }

    #[test]
    fn broadcast_ships_the_small_side_to_every_executor_and_filters_shrink_shuffles() {
        let shuffle = cfg(join(false, 1.0)).cost(1000, 1e9 as u64);
        assert_eq!(shuffle.shuffle_bytes, 1e9 + 1e6);
        let bc = cfg(join(true, 1.0)).cost(1000, 1e9 as u64);
        assert_eq!(bc.shuffle_bytes, 4e6);
        assert!(bc.duration_ns < shuffle.duration_ns);
        let filtered = cfg(join(false, 0.5)).cost(1000, 1e9 as u64);
        assert_eq!(filtered.shuffle_bytes, 0.5e9 + 1e6);
        assert!(filtered.duration_ns < shuffle.duration_ns);
    }

    fn mr(replication: u64, jobs: u64, disk_bytes_per_s: f64, jvm_startup_ns: f64) -> SparkConfig {
        SparkConfig {
            mapreduce: Some(MapReduce {
                disk_bytes_per_s,
                replication,
                jvm_startup_ns,
                jobs,
                block_bytes: 128e6,
                output_ratio: 1.0,
            }),
            ..cfg(None)
        }
    }

    /// A MapReduce batch's time less the same batch on Spark, in seconds.
    fn gap_s(c: &SparkConfig, count: u64, bytes: u64) -> f64 {
        let spark = SparkConfig {
            mapreduce: None,
            ..c.clone()
        };
        (c.cost(count, bytes).duration_ns - spark.cost(count, bytes).duration_ns) / 1e9
    }

    #[test]
    fn mapreduce_pays_spills_hdfs_copies_and_jvms_on_top_of_sparks_cpu() {
        // 4 executors × 4 cores, 1,000 records of 1 ms: 62.5 ms of CPU both ways.
        // 1 GB, one job, 3 copies, 100 MB/s disks, 100 MB/s network, 1 s JVMs:
        //   spills 4 GB / 400 MB/s = 10 s; HDFS max(3 GB / 400 MB/s, 2 GB / 400 MB/s) = 7.5 s;
        //   map tasks ⌈1 GB / 128 MB⌉ = 8 on 16 slots: 1 wave + 1 reduce wave = 2 s.
        let c = mr(3, 1, 1e8, 1e9);
        let cost = c.cost(1000, 1_000_000_000);
        assert!(
            (cost.duration_ns / 1e9 - (0.0625 + 10.0 + 7.5 + 2.0)).abs() < 1e-9,
            "{cost:?}"
        );
        assert_eq!(cost.disk_bytes, 7e9);
        assert_eq!(cost.tasks, 8 + 16);
        assert_eq!(cost.shuffle_bytes, 0.0);
    }

    #[test]
    fn the_mapreduce_gap_grows_linearly_with_replication() {
        let gap = |r| gap_s(&mr(r, 1, 1e8, 0.0), 1000, 1_000_000_000);
        // Disk-bound HDFS writes: 2.5 s more per copy (1 GB / 400 MB/s).
        assert!((gap(1) - 12.5).abs() < 1e-9, "{}", gap(1));
        assert!((gap(2) - gap(1) - 2.5).abs() < 1e-9);
        assert!((gap(3) - gap(2) - 2.5).abs() < 1e-9);
        assert!((gap(6) - gap(3) - 7.5).abs() < 1e-9);
    }

    #[test]
    fn the_mapreduce_gap_is_bytes_over_disk_bandwidth() {
        let gap = |bytes: u64, disk: f64| gap_s(&mr(3, 1, disk, 0.0), 1000, bytes);
        // Twice the bytes: twice the gap (no JVMs); twice the disk bandwidth: half.
        assert!((gap(2_000_000_000, 1e8) - 2.0 * gap(1_000_000_000, 1e8)).abs() < 1e-9);
        // With disks faster than the network, the replicas' network transfer
        // (2 GB over 4 × 100 MB/s = 5 s) bounds the HDFS write instead.
        assert!(
            (gap(1_000_000_000, 2e8) - (5.0 + 5.0)).abs() < 1e-9,
            "{}",
            gap(1_000_000_000, 2e8)
        );
        assert!(gap(1_000_000_000, 4e8) < gap(1_000_000_000, 2e8));
    }

    #[test]
    fn every_chained_job_adds_its_spills_hdfs_output_input_and_jvms() {
        let one = gap_s(&mr(3, 1, 1e8, 1e9), 1000, 1_000_000_000);
        let three = gap_s(&mr(3, 3, 1e8, 1e9), 1000, 1_000_000_000);
        // Per extra job: 19.5 s as above plus reading 1 GB back at 400 MB/s (2.5 s).
        assert!((three - one - 2.0 * (19.5 + 2.5)).abs() < 1e-9, "{one} {three}");
    }

    #[test]
    fn a_smaller_output_shrinks_only_the_hdfs_write() {
        let with_ratio = |ratio| {
            let mut c = mr(3, 1, 1e8, 0.0);
            if let Some(m) = c.mapreduce.as_mut() {
                m.output_ratio = ratio;
            }
            (gap_s(&c, 1000, 1_000_000_000), c.cost(1000, 1_000_000_000).disk_bytes)
        };
        // 1 GB in, 3 copies: spills 10 s either way; the output's write is
        // 3 GB / 400 MB/s = 7.5 s at ratio 1, a tenth of it at 0.1.
        let (full, full_disk) = with_ratio(1.0);
        let (tenth, tenth_disk) = with_ratio(0.1);
        assert!((full - 17.5).abs() < 1e-9, "{full}");
        assert!((tenth - 10.75).abs() < 1e-9, "{tenth}");
        assert!((full_disk - tenth_disk - 2.7e9).abs() < 1.0);
        // With chained jobs only the last output shrinks.
        let mut c = mr(3, 2, 1e8, 0.0);
        let two_full = gap_s(&c, 1000, 1_000_000_000);
        if let Some(m) = c.mapreduce.as_mut() {
            m.output_ratio = 0.1;
        }
        assert!((two_full - gap_s(&c, 1000, 1_000_000_000) - 6.75).abs() < 1e-9);
    }

    #[test]
    fn a_reduce_side_join_spills_its_table_and_maps_it_but_a_broadcast_one_does_not() {
        let with = |join| SparkConfig {
            join,
            ..mr(3, 1, 1e8, 1e9)
        };
        let table = |broadcast| {
            Some(Join {
                other_rows: 1000,
                other_bytes: 2.048e9,
                broadcast,
                selectivity: 1.0,
                key_cardinality: u64::MAX,
                per_row_ns: 1e3,
            })
        };
        // 1 GB stream; a 2,048 MB table: 16 more map tasks, one more wave on
        // 16 slots (24 maps: 2 waves), and 4 × 2.048 GB / 400 MB/s = 20.48 s
        // of spills; Spark shuffles the table in both cases.
        let shuffle = gap_s(&with(table(false)), 1000, 1_000_000_000);
        let broadcast = gap_s(&with(table(true)), 1000, 1_000_000_000);
        assert!(
            (shuffle - broadcast - (20.48 + 1.0)).abs() < 1e-9,
            "{shuffle} {broadcast}"
        );
        let c = with(table(false)).cost(1000, 1_000_000_000);
        assert_eq!(c.tasks, 8 + 16 + 16);
        assert_eq!(c.disk_bytes, 7e9 + 4.0 * 2.048e9);
    }

    #[test]
    fn the_tables_rows_cost_their_own_cpu() {
        let mut j = join(true, 1.0).unwrap();
        let base = cfg(Some(j)).cost(1000, 1_000_000).duration_ns;
        j.per_row_ns = 2e6;
        // 1,000 rows at 1 ms more each over 16 cores.
        assert!((cfg(Some(j)).cost(1000, 1_000_000).duration_ns - base - 1000.0 * 1e6 / 16.0).abs() < 1e-3);
    }

    #[test]
    fn jvm_start_up_is_paid_per_wave_of_tasks() {
        let jvm = |bytes| gap_s(&mr(3, 1, 1e8, 1e9), 1, bytes) - gap_s(&mr(3, 1, 1e8, 0.0), 1, bytes);
        // 16 slots: 16 blocks are one map wave, 17 are two; plus the reduce wave.
        assert!((jvm(16 * 128_000_000) - 2.0).abs() < 1e-9);
        assert!((jvm(17 * 128_000_000) - 3.0).abs() < 1e-9);
        assert!((jvm(0) - 2.0).abs() < 1e-9, "an empty batch still starts one map task");
    }

    #[test]
    fn the_spark_flavour_has_none_of_mapreduces_costs() {
        let spark = cfg(None).cost(1000, 1_000_000_000);
        assert_eq!(spark.duration_ns, 1000.0 * 1e6 / 16.0);
        assert_eq!((spark.disk_bytes, spark.tasks), (0.0, 0));
        let m = Model::Spark(Box::new(SparkStage::new(cfg(None))));
        assert!(m
            .extra(0)
            .iter()
            .all(|(k, _)| *k != "disk_bytes" && *k != "tasks_started"));
    }

    #[test]
    fn scaling_executors_applies_to_later_batches_and_integrates_executor_hours() {
        use crate::sim::event::EventQueue;
        use crate::sim::metrics::StageMetrics;
        use crate::sim::rng::Stream;
        let mut s = SparkStage::new(cfg(None));
        let (mut rng, mut metrics, mut events, mut out) = (
            Stream::new(1, "t"),
            StageMetrics::default(),
            EventQueue::default(),
            Vec::new(),
        );
        let mut ctx = Ctx {
            now: 3600 * NS_PER_S,
            stage: 0,
            rng: &mut rng,
            metrics: &mut metrics,
            events: &mut events,
            out: &mut out,
        };
        s.control(&mut ctx, Control::ScaleBy(2.0)).unwrap();
        assert_eq!(s.cfg.executors, 8);
        // 4 executors for 1 h, then 8 for 1 h.
        assert_eq!(s.extra(7200 * NS_PER_S).last().unwrap().1, 12.0);
        assert!(s.control(&mut ctx, Control::Crash(0)).is_err());
    }

    #[test]
    fn a_batch_straddling_the_watermark_loses_exactly_its_late_fraction() {
        let mut m = Model::Spark(Box::new(SparkStage::new(cfg(None))));
        // First a record at event time 100 s: watermark 70 s.
        let a = Batch::new(1, 10, 100 * NS_PER_S);
        // Then 100 records spread over [20 s, 120 s): 50 % before 70 s.
        let mut b = Batch::new(100, 1000, 70 * NS_PER_S);
        b.event_min = 20 * NS_PER_S;
        b.event_span = 100 * NS_PER_S;
        let out = harness::run(&mut m, &[a, b], 1);
        assert_eq!(out.metrics.dropped[DropReason::Late as usize], 50);
        assert_eq!(out.landed.iter().map(|l| l.1.count).sum::<u64>(), 51);
        assert_eq!(harness::extra(&m, "late_records"), 50.0);
    }
}
