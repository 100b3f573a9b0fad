//! The browser app (wasm32 only): a thin Yew shell over the core.
//!
//! It picks a scenario (the list comes from the core's built-ins), lays out
//! its diagram with `view::diagram`, runs it with `run`, and draws charts
//! with `view::chart` on a canvas. It computes no metric itself.

mod diagram;

use crate::report::{table::secs, RunReport};
use crate::run::{self, Overrides};
use crate::scenario::{builtin, Format};
use crate::view::chart;
use crate::view::diagram::{layout, Diagram};
use plotters::prelude::IntoDrawingArea;
use plotters_canvas::CanvasBackend;
use web_sys::{HtmlCanvasElement, HtmlSelectElement};
use yew::prelude::*;

/// Mounts the app on the page body.
pub fn start() {
    yew::Renderer::<App>::new().render();
}

/// What the page shows for one scenario.
#[derive(Clone, PartialEq)]
struct Loaded {
    name: String,
    title: String,
    description: String,
    diagram: Diagram,
    charts: Vec<chart::ChartData>,
    report: Option<RunReport>,
    error: Option<String>,
}

impl Loaded {
    /// What the page shows when a scenario cannot be run: the reason.
    fn failed(name: &str, error: String) -> Self {
        Loaded {
            name: name.into(),
            title: name.into(),
            description: String::new(),
            diagram: Diagram {
                nodes: vec![],
                edges: vec![],
                width: 0.0,
                height: 0.0,
            },
            charts: vec![],
            report: None,
            error: Some(error),
        }
    }
}

fn load(name: &str) -> Loaded {
    let Some(b) = builtin::find(name) else {
        return Loaded::failed(name, format!("no built-in scenario named `{name}`"));
    };
    match run::run_text(b.text, Format::Toml, &Overrides::default()) {
        Ok((p, report)) => Loaded {
            name: name.into(),
            title: p.scenario.name.clone(),
            description: p.scenario.description.clone().unwrap_or_default(),
            diagram: layout(&p.scenario),
            charts: vec![chart::throughput(&p.sim), chart::backlog(&p.sim)],
            report: Some(report),
            error: None,
        },
        Err(e) => Loaded::failed(name, e.to_string()),
    }
}

#[derive(Properties, PartialEq)]
struct ChartProps {
    data: chart::ChartData,
    id: AttrValue,
}

/// One chart on a canvas, redrawn whenever its data changes.
#[function_component]
fn ChartCanvas(props: &ChartProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(props.data.clone(), move |data| {
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                // Draw at device resolution so text stays crisp on projectors.
                let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).max(1.0);
                let w = c.client_width().max(300) as f64;
                let h = c.client_height().max(200) as f64;
                c.set_width((w * ratio) as u32);
                c.set_height((h * ratio) as u32);
                if let Some(backend) = CanvasBackend::with_canvas_object(c) {
                    let root = backend.into_drawing_area();
                    if let Err(e) = chart::draw(&root, data, false) {
                        web_sys::console::warn_1(&format!("chart: {e}").into());
                    }
                }
            }
        });
    }
    html! { <canvas ref={canvas} id={props.id.clone()} class="chart" /> }
}

fn stage_rows(r: &RunReport) -> Html {
    r.sources
        .iter()
        .chain(r.stage_order.iter().filter_map(|id| r.stages.get_key_value(id)))
        .map(|(id, s)| {
            html! {
                <tr key={id.clone()}>
                    <td class="id">{ id }</td>
                    <td>{ &s.kind }</td>
                    <td class="num">{ s.arrived }</td>
                    <td class="num">{ s.completed }</td>
                    <td class="num">{ s.dropped + s.throttled }</td>
                    <td class="num">{ format!("{:.1} %", s.utilization * 100.0) }</td>
                    <td class="num">{ secs(s.sojourn_s.mean) }</td>
                    <td class="num">{ secs(s.sojourn_s.p99) }</td>
                </tr>
            }
        })
        .collect()
}

/// The whole page.
#[function_component]
pub fn App() -> Html {
    let current = use_state(|| load(builtin::DEFAULT));
    let onchange = {
        let current = current.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            current.set(load(&sel.value()));
        })
    };
    let options: Html = builtin::ALL
        .iter()
        .map(|b| {
            html! { <option key={b.name} value={b.name} selected={b.name == current.name}>{ builtin::title(b) }</option> }
        })
        .collect();
    let r = current.report.clone();
    html! {
        <div class="app">
            <header class="top">
                <div class="brand">{ "pipelab" }</div>
                <div class="tagline">{ "deterministic simulation of cloud data pipelines" }</div>
                <label class="picker">
                    <span>{ "Scenario" }</span>
                    <select id="scenario-picker" {onchange}>{ options }</select>
                </label>
            </header>
            <main>
                <section class="intro">
                    <h1 id="scenario-title">{ &current.title }</h1>
                    <p>{ &current.description }</p>
                    if let Some(err) = &current.error {
                        <p class="error" role="alert">{ err }</p>
                    }
                </section>
                <section class="panel diagram-panel">
                    <h2>{ "Architecture" }</h2>
                    <diagram::DiagramView diagram={current.diagram.clone()} />
                </section>
                <section class="panel charts">
                    { for current.charts.iter().enumerate().map(|(i, c)| html! {
                        <ChartCanvas key={i} id={AttrValue::from(format!("chart-{i}"))} data={c.clone()} />
                    }) }
                </section>
                if let Some(r) = r {
                    <section class="panel results">
                        <h2>{ "Results" }</h2>
                        <p class="summary">
                            { format!("{} simulated · {} events · {} delivered · end-to-end p99 {} · ", secs(r.simulated_s), r.events, r.end_to_end.delivered, secs(r.end_to_end.latency_s.p99)) }
                            <span class={if r.conservation.holds { "ok" } else { "bad" }}>
                                { if r.conservation.holds { "every record accounted for" } else { "conservation violated" } }
                            </span>
                        </p>
                        <table class="stages">
                            <thead><tr>
                                <th>{ "stage" }</th><th>{ "kind" }</th><th class="num">{ "arrived" }</th><th class="num">{ "completed" }</th>
                                <th class="num">{ "dropped / refused" }</th><th class="num">{ "utilisation" }</th><th class="num">{ "mean time in stage" }</th><th class="num">{ "p99" }</th>
                            </tr></thead>
                            <tbody>{ stage_rows(&r) }</tbody>
                        </table>
                        <p class="digest">{ format!("seed {} · digest {} · {}", r.seed, r.digest, r.engine_version) }</p>
                    </section>
                }
            </main>
        </div>
    }
}
