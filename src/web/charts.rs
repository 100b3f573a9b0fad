//! Live charts: the streamed points reshaped into `view::chart` data and
//! drawn with plotters on canvases; hovering shows the values at that time.

use super::state::Shared;
use crate::report::table::{secs, si_digits};
use crate::view::chart::{self, ChartData, Line, PlotArea};
use crate::view::live::{Overlay, Point, ScenarioView};
use plotters::prelude::IntoDrawingArea;
use plotters_canvas::CanvasBackend;
use std::cell::Cell;
use std::rc::Rc;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

/// How a chart's values read in the tooltip.
#[derive(Clone, Copy, PartialEq)]
pub enum Unit {
    PerSecond,
    Records,
    Seconds,
    Usd,
}

/// One chart and, for A/B, the same chart of the other run.
#[derive(Clone, PartialEq)]
pub struct ChartSpec {
    pub id: &'static str,
    /// The run's duration: the time axis spans it.
    pub span_s: f64,
    pub data: ChartData,
    pub overlay: Option<ChartData>,
    /// For A/B: (this run's label, the overlay run's label).
    pub labels: Option<(String, String)>,
    pub unit: Unit,
}

fn series(points: &[Point], f: impl Fn(&Point) -> f64) -> Vec<(f64, f64)> {
    points.iter().map(|p| (p.t_s, f(p))).collect()
}

/// Which nodes get a line: stages that move records (not sources or monitors).
fn plotted(view: &ScenarioView) -> Vec<(usize, String)> {
    view.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind != "source" && n.kind != "monitor")
        .map(|(i, n)| (i, n.id.clone()))
        .collect()
}

fn per_node(
    title: &str,
    y: &str,
    ids: &[(usize, String)],
    points: &[Point],
    get: impl Fn(&Point, usize) -> f64,
) -> ChartData {
    ChartData {
        title: title.into(),
        y_label: y.into(),
        lines: ids
            .iter()
            .map(|(i, id)| Line {
                name: id.clone(),
                points: series(points, |p| get(p, *i)),
            })
            .collect(),
        cursor_s: None,
    }
}

/// The charts for a run, each with the overlay run's version when there is one.
pub fn build(view: &ScenarioView, points: &[Point], overlay: Option<&Overlay>, cursor_s: f64) -> Vec<ChartSpec> {
    let span_s = view.duration_s;
    let ids = plotted(view);
    // Lines keep their plain names: an A/B pair shares one legend row.
    let labels = overlay.map(|o| {
        let mine = view
            .story
            .as_ref()
            .map_or("this run".to_string(), |s| s.variant.clone());
        (mine, o.label.clone())
    });
    // The overlay's node indices, matched by id.
    let ov_ids = |o: &Overlay| -> Vec<(usize, String)> {
        ids.iter()
            .filter_map(|(_, id)| o.node_ids.iter().position(|x| x == id).map(|j| (j, id.clone())))
            .collect()
    };
    let rate = |p: &Point, i: usize| p.rate.get(i).copied().unwrap_or(0.0);
    let backlog = |p: &Point, i: usize| p.backlog.get(i).copied().unwrap_or(0.0);
    let lag = |p: &Point, i: usize| p.lag_s.get(i).copied().unwrap_or(0.0);
    let mut out = Vec::new();
    let mut push = |id: &'static str, unit: Unit, a: ChartData, b: Option<ChartData>| {
        out.push(ChartSpec {
            id,
            span_s,
            data: ChartData {
                cursor_s: Some(cursor_s),
                ..a
            },
            labels: b.as_ref().and(labels.clone()),
            overlay: b,
            unit,
        })
    };
    push(
        "chart-throughput",
        Unit::PerSecond,
        per_node("Throughput per stage", "records/s", &ids, points, rate),
        overlay.map(|o| per_node("", "", &ov_ids(o), &o.points, rate)),
    );
    push(
        "chart-backlog",
        Unit::Records,
        per_node("Backlog per stage", "records inside", &ids, points, backlog),
        overlay.map(|o| per_node("", "", &ov_ids(o), &o.points, backlog)),
    );
    let latency = |pts: &[Point]| ChartData {
        title: "End-to-end latency (since warm-up)".into(),
        y_label: "seconds".into(),
        lines: vec![
            Line {
                name: "p50".into(),
                points: series(pts, |p| p.p50_s),
            },
            Line {
                name: "p95".into(),
                points: series(pts, |p| p.p95_s),
            },
            Line {
                name: "p99".into(),
                points: series(pts, |p| p.p99_s),
            },
        ],
        cursor_s: None,
    };
    push(
        "chart-latency",
        Unit::Seconds,
        latency(points),
        overlay.map(|o| latency(&o.points)),
    );
    let problems = |pts: &[Point]| ChartData {
        title: "Throttled, dropped, late, duplicate (cumulative)".into(),
        y_label: "records".into(),
        lines: [("throttled", 0usize), ("dropped", 1), ("late", 2), ("duplicates", 3)]
            .iter()
            .map(|(name, k)| Line {
                name: name.to_string(),
                points: series(pts, |p| [p.throttled, p.dropped, p.late, p.duplicates][*k] as f64),
            })
            .collect(),
        cursor_s: None,
    };
    push(
        "chart-problems",
        Unit::Records,
        problems(points),
        overlay.map(|o| problems(&o.points)),
    );
    let has_lag = points.iter().any(|p| p.lag_s.iter().any(|&l| l > 0.0));
    if has_lag {
        let lag_ids: Vec<(usize, String)> = ids
            .iter()
            .filter(|(i, _)| points.iter().any(|p| lag(p, *i) > 0.0))
            .cloned()
            .collect();
        push(
            "chart-lag",
            Unit::Seconds,
            per_node(
                "Stream lag (iterator age, micro-batch lag)",
                "seconds",
                &lag_ids,
                points,
                lag,
            ),
            None,
        );
    }
    if points.iter().any(|p| p.cost_usd.is_some()) {
        let cost = |pts: &[Point]| ChartData {
            title: "Running cost".into(),
            y_label: "USD".into(),
            lines: vec![Line {
                name: "cost so far".into(),
                points: pts.iter().filter_map(|p| p.cost_usd.map(|c| (p.t_s, c))).collect(),
            }],
            cursor_s: None,
        };
        push(
            "chart-cost",
            Unit::Usd,
            cost(points),
            overlay
                .filter(|o| o.points.iter().any(|p| p.cost_usd.is_some()))
                .map(|o| cost(&o.points)),
        );
    }
    out
}

fn fmt(unit: Unit, v: f64) -> String {
    match unit {
        Unit::PerSecond => format!("{}/s", si(v)),
        Unit::Records => si(v),
        Unit::Seconds => secs(v),
        Unit::Usd => format!("${v:.2}"),
    }
}

fn si(v: f64) -> String {
    si_digits(v, 1)
}

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    pub spec: Shared<ChartSpec>,
    pub dark: bool,
    /// While a run streams, off-screen charts wait and visible ones redraw
    /// at most every [`LIVE_REDRAW_MS`]; the last snapshot (not live) always draws.
    #[prop_or_default]
    pub live: bool,
}

/// Least time between two redraws of one chart while a run streams.
const LIVE_REDRAW_MS: f64 = 450.0;

fn on_screen(c: &HtmlCanvasElement) -> bool {
    let r = c.get_bounding_client_rect();
    let h = web_sys::window()
        .and_then(|w| w.inner_height().ok())
        .and_then(|v| v.as_f64())
        .unwrap_or(720.0);
    r.bottom() > 0.0 && r.top() < h
}

/// The value of each line nearest to time `t` (for A/B, named with its run's label).
fn values_at(spec: &ChartSpec, t: f64) -> Vec<(String, String)> {
    let near = |prefix: &str, l: &Line| {
        l.points
            .iter()
            .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
            .map(|p| (format!("{prefix}{}", l.name), fmt(spec.unit, p.1)))
    };
    let (pa, pb) = match &spec.labels {
        Some((a, b)) => (format!("{a}: "), format!("{b}: ")),
        None => (String::new(), String::new()),
    };
    let mine = spec.data.lines.iter().filter_map(|l| near(&pa, l));
    let theirs = spec
        .overlay
        .iter()
        .flat_map(|o| o.lines.iter())
        .filter_map(|l| near(&pb, l));
    mine.chain(theirs).collect()
}

/// One chart on a canvas, redrawn when its data or the theme changes.
#[function_component]
pub fn ChartCanvas(props: &ChartProps) -> Html {
    let canvas = use_node_ref();
    let area: Rc<Cell<Option<PlotArea>>> = use_memo((), |_| Cell::new(None));
    let last_draw: Rc<Cell<f64>> = use_memo((), |_| Cell::new(f64::NEG_INFINITY));
    let hover = use_state(|| None::<(f64, f64, Vec<(String, String)>)>);
    {
        let canvas = canvas.clone();
        let area = area.clone();
        let live = props.live;
        use_effect_with((props.spec.clone(), props.dark), move |(spec, dark)| {
            let now = js_sys::Date::now();
            let skip = |c: &HtmlCanvasElement| live && (now - last_draw.get() < LIVE_REDRAW_MS || !on_screen(c));
            if let Some(c) = canvas.cast::<HtmlCanvasElement>().filter(|c| !skip(c)) {
                last_draw.set(now);
                // Draw at device resolution so text stays crisp on projectors.
                let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).max(1.0);
                let w = c.client_width().max(300) as f64;
                let h = c.client_height().max(200) as f64;
                let (pw, ph) = ((w * ratio) as u32, (h * ratio) as u32);
                if c.width() != pw || c.height() != ph {
                    c.set_width(pw);
                    c.set_height(ph);
                }
                if let Some(backend) = CanvasBackend::with_canvas_object(c) {
                    let root = backend.into_drawing_area();
                    let overlay = spec.overlay.as_ref().map(|o| {
                        let (a, b) = spec.labels.as_ref().map_or(("", ""), |(a, b)| (a.as_str(), b.as_str()));
                        (o, a, b)
                    });
                    match chart::draw_compare(&root, &spec.data, overlay, Some(spec.span_s), *dark) {
                        Ok(a) => area.set(Some(a)),
                        Err(e) => web_sys::console::warn_1(&format!("chart: {e}").into()),
                    }
                }
            }
        });
    }
    let onmousemove = {
        let (canvas, area, hover, spec) = (canvas.clone(), area.clone(), hover.clone(), props.spec.clone());
        Callback::from(move |e: MouseEvent| {
            let (Some(c), Some(a)) = (canvas.cast::<HtmlCanvasElement>(), area.get()) else {
                return;
            };
            let scale = c.width() as f64 / c.client_width().max(1) as f64;
            let x = e.offset_x() as f64;
            match a.time_at(x * scale) {
                Some(t) => hover.set(Some((x, t, values_at(&spec, t)))),
                None => hover.set(None),
            }
        })
    };
    let onmouseleave = {
        let hover = hover.clone();
        Callback::from(move |_| hover.set(None))
    };
    html! {
        <div class="chart-wrap">
            <canvas ref={canvas} id={props.spec.id} class="chart" {onmousemove} {onmouseleave}
                    role="img" aria-label={props.spec.data.title.clone()} />
            if let Some((x, t, vals)) = &*hover {
                <div class="tooltip" style={format!("left: {:.0}px", x + 14.0)}>
                    <div class="tip-time">{ format!("t = {}", secs(*t)) }</div>
                    { for vals.iter().map(|(n, v)| html! { <div class="tip-row"><span>{ n }</span><b>{ v }</b></div> }) }
                </div>
            }
        </div>
    }
}
