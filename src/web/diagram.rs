//! The architecture diagram as SVG, from the core's layout.

use crate::view::diagram::{Diagram, NODE_H, NODE_W};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub diagram: Diagram,
}

fn kind_class(kind: &str) -> String {
    format!("node kind-{kind}")
}

/// Boxes and links; labels longer than the box are shortened with an ellipsis.
#[function_component]
pub fn DiagramView(props: &DiagramProps) -> Html {
    let d = &props.diagram;
    let view_box = format!("0 0 {:.0} {:.0}", d.width.max(1.0), d.height.max(1.0));
    let fit = |s: &str| {
        let max = 18;
        if s.chars().count() > max {
            format!("{}…", s.chars().take(max - 1).collect::<String>())
        } else {
            s.to_string()
        }
    };
    html! {
        <svg id="diagram" class="diagram" viewBox={view_box} role="img" aria-label="architecture diagram"
             style={format!("max-width: {:.0}px", d.width * 1.25)}>
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
                </marker>
            </defs>
            { for d.edges.iter().map(|e| html! {
                <path class={if e.dashed { "edge dashed" } else { "edge" }} d={e.path.clone()} marker-end="url(#arrow)">
                    <title>{ format!("{} → {}", e.from, e.to) }</title>
                </path>
            }) }
            { for d.nodes.iter().map(|n| html! {
                <g class={kind_class(&n.kind)} data-id={n.id.clone()} transform={format!("translate({:.1},{:.1})", n.x, n.y)}>
                    <title>{ format!("{} ({})", n.label, n.kind) }</title>
                    <rect width={NODE_W.to_string()} height={NODE_H.to_string()} rx="8" />
                    <text class="label" x={(NODE_W / 2.0).to_string()} y="24" text-anchor="middle">{ fit(&n.label) }</text>
                    <text class="kind" x={(NODE_W / 2.0).to_string()} y="42" text-anchor="middle">{ &n.kind }</text>
                </g>
            }) }
        </svg>
    }
}
