//! The architecture diagram as SVG, from the core's layout, animated by the
//! latest snapshot: link width and flow speed follow throughput, node fill
//! follows utilisation, badges show backlog, throttling, drops and lag.

use super::state::Shared;
use crate::report::table::secs;
use crate::view::chart::compact;
use crate::view::diagram::{Diagram, BADGE_TOP_FROM_BOTTOM, MAX_SCALE, REGION_TITLE_X, REGION_TITLE_Y};
use crate::view::live::{NodeLive, NodeView, Snapshot};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub diagram: Shared<Diagram>,
    pub nodes: Shared<Vec<NodeView>>,
    pub snap: Option<Shared<Snapshot>>,
    pub selected: Option<String>,
    /// Stage the presentation highlights.
    pub highlight: Option<String>,
    pub on_select: Callback<String>,
    #[prop_or_default]
    pub id: Option<AttrValue>,
}

struct Badge {
    class: &'static str,
    text: String,
    title: String,
}

fn badges(l: &NodeLive) -> Vec<Badge> {
    let mut b = Vec::new();
    if l.in_flight > 0 {
        b.push(Badge {
            class: "badge backlog",
            text: format!("▮ {}", compact(l.in_flight as f64)),
            title: format!("{} records inside", l.in_flight),
        });
    }
    if l.throttled > 0 {
        b.push(Badge {
            class: "badge throttled",
            text: format!("⟲ {}", compact(l.throttled as f64)),
            title: format!("{} records refused (throttled) so far", l.throttled),
        });
    }
    if l.dropped > 0 {
        b.push(Badge {
            class: "badge dropped",
            text: format!("✕ {}", compact(l.dropped as f64)),
            title: format!("{} records dropped so far", l.dropped),
        });
    }
    if let Some(lag) = l.lag_s.filter(|x| *x > 0.0) {
        b.push(Badge {
            class: "badge lag",
            text: format!("lag {}", secs(lag)),
            title: format!("lag {}", secs(lag)),
        });
    }
    b
}

/// Badge width in SVG units for its text (11 px font).
fn badge_w(text: &str) -> f64 {
    text.chars().count() as f64 * 6.4 + 10.0
}

#[function_component]
pub fn DiagramView(props: &DiagramProps) -> Html {
    let d = &*props.diagram;
    let live =
        |id: &str| -> Option<&NodeLive> { props.snap.as_ref().and_then(|s| s.nodes.iter().find(|n| n.id == id)) };
    let playing = props.snap.as_ref().is_some_and(|s| s.playing);
    let max_rate = props
        .snap
        .as_ref()
        .map(|s| s.nodes.iter().map(|n| n.rate_per_s).fold(0.0f64, f64::max))
        .unwrap_or(0.0);
    let view_box = format!("0 0 {:.0} {:.0}", d.width.max(1.0), d.height.max(1.0));
    let edges = d.edges.iter().map(|e| {
        let rate = live(&e.from).map_or(0.0, |l| l.rate_per_s);
        let share = if max_rate > 0.0 { (rate / max_rate).clamp(0.0, 1.0) } else { 0.0 };
        let width = 1.5 + 5.0 * share;
        // Flow: dashes move faster with more throughput (0.4 s to 3 s per cycle).
        let period = 3.0 - 2.6 * share;
        let class = if e.dashed { "edge dashed" } else { "edge" };
        html! {
            <g class="link" data-from={e.from.clone()} data-to={e.to.clone()}>
                <path class={class} d={e.path.clone()} marker-end="url(#arrow)"
                      style={if e.dashed { String::new() } else { format!("stroke-width: {width:.2}") }}>
                    <title>{ format!("{} → {} · {}/s", e.from, e.to, compact(rate)) }</title>
                </path>
                if !e.dashed && rate > 0.0 {
                    <path class={if playing { "flow running" } else { "flow" }} d={e.path.clone()}
                          style={format!("stroke-width: {:.2}; animation-duration: {period:.2}s", (width * 0.55).max(1.2))} />
                }
            </g>
        }
    });
    let regions = d.regions.iter().map(|r| {
        html! {
            <g class="region">
                <rect x={format!("{:.1}", r.x)} y={format!("{:.1}", r.y)} width={format!("{:.1}", r.width)}
                      height={format!("{:.1}", r.height)} rx="10" />
                <text x={format!("{:.1}", r.x + REGION_TITLE_X)} y={format!("{:.1}", r.y + REGION_TITLE_Y)}>{ &r.title }</text>
            </g>
        }
    });
    let nodes = d.nodes.iter().map(|n| {
        let l = live(&n.id);
        let util = l.and_then(|l| l.utilization);
        let fill = match util {
            Some(u) => format!("--util: {:.0}%", (u * 100.0).clamp(0.0, 100.0)),
            None => "--util: 0%".to_string(),
        };
        let mut class = classes!("node", format!("kind-{}", n.kind));
        if props.selected.as_deref() == Some(n.id.as_str()) {
            class.push("selected");
        }
        if props.highlight.as_deref() == Some(n.id.as_str()) {
            class.push("highlight");
        }
        let onclick = {
            let cb = props.on_select.clone();
            let id = n.id.clone();
            Callback::from(move |_: MouseEvent| cb.emit(id.clone()))
        };
        let onkeydown = {
            let cb = props.on_select.clone();
            let id = n.id.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    cb.emit(id.clone());
                }
            })
        };
        // Badges sit on the bottom edge, right-aligned; those that do not fit go to the tooltip.
        let all = l.map(badges).unwrap_or_default();
        let (w, h) = (n.w, n.h);
        let mut x = w - 4.0;
        let mut shown = Vec::new();
        for b in &all {
            let w = badge_w(&b.text);
            if x - w < 4.0 {
                break;
            }
            x -= w;
            shown.push((x, w, b));
            x -= 4.0;
        }
        let util_text = util.map(|u| format!(" · utilisation {:.0} %", u * 100.0)).unwrap_or_default();
        let tip = format!(
            "{} ({}){}{}",
            n.label,
            if n.sub.is_empty() { &n.kind } else { &n.sub },
            util_text,
            all.iter().map(|b| format!(" · {}", b.title)).collect::<String>()
        );
        html! {
            <g class={class} data-id={n.id.clone()} transform={format!("translate({:.1},{:.1})", n.x, n.y)}
               style={fill} {onclick} {onkeydown} tabindex="0" role="button" aria-label={format!("{}: open the inspector", n.label)}>
                <title>{ tip }</title>
                <rect class="box" width={format!("{w:.1}")} height={format!("{h:.1}")} rx="8" />
                <rect class="util" width={format!("{:.1}", w * util.unwrap_or(0.0).clamp(0.0, 1.0))} height="4" y={format!("{:.1}", h - 4.0)} rx="2" />
                <text class="label" text-anchor="middle">
                    { for n.label_lines.iter().enumerate().map(|(i, l)| html! {
                        <tspan x={format!("{:.1}", w / 2.0)} y={format!("{:.1}", n.label_baseline(i))}>{ l }</tspan>
                    }) }
                </text>
                <text class="kind" text-anchor="middle">
                    { for n.sub_lines.iter().enumerate().map(|(j, l)| html! {
                        <tspan x={format!("{:.1}", w / 2.0)} y={format!("{:.1}", n.sub_baseline(j))}>{ l }</tspan>
                    }) }
                </text>
                { for shown.iter().map(|(bx, w, b)| html! {
                    <g class={b.class} transform={format!("translate({bx:.1},{:.1})", h - BADGE_TOP_FROM_BOTTOM)}>
                        <rect width={format!("{w:.1}")} height="15" rx="7.5" />
                        <text x={format!("{:.1}", w / 2.0)} y="11" text-anchor="middle">{ &b.text }</text>
                    </g>
                }) }
            </g>
        }
    });
    html! {
        <svg id={props.id.clone().unwrap_or(AttrValue::from("diagram"))} class="diagram" viewBox={view_box}
             role="img" aria-label="architecture diagram" preserveAspectRatio="xMidYMid meet"
             style={format!("max-width: {:.0}px", d.width * MAX_SCALE)}>
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
                        markerUnits="userSpaceOnUse" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
                </marker>
            </defs>
            { for regions }
            { for edges }
            { for nodes }
        </svg>
    }
}
