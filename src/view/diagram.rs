//! The architecture diagram as positioned boxes and links, computed from the
//! scenario graph by a layered layout: each node's column is the length of
//! the longest path from a source to it, and nodes in a column are stacked in
//! the order the scenario lists them. No overlap by construction.

use crate::scenario::schema::Scenario;
use serde::Serialize;

/// Node width, height and gaps, in SVG user units.
pub const NODE_W: f64 = 150.0;
pub const NODE_H: f64 = 54.0;
const COL_GAP: f64 = 70.0;
const ROW_GAP: f64 = 26.0;
const MARGIN: f64 = 20.0;

/// A box in the diagram.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Node {
    pub id: String,
    pub label: String,
    /// "source" or the stage kind.
    pub kind: String,
    pub x: f64,
    pub y: f64,
    pub column: usize,
}

/// A link between boxes.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// Dashed: a dead-letter path (and, later, control links).
    pub dashed: bool,
    /// SVG path data, from the right edge of `from` to the left edge of `to`.
    pub path: String,
}

/// The laid-out diagram.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Diagram {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub width: f64,
    pub height: f64,
}

/// Lays out the scenario's graph.
pub fn layout(sc: &Scenario) -> Diagram {
    // Nodes: sources first, then stages; links as (from, to, dashed).
    let mut ids: Vec<(String, String, String)> = sc
        .sources
        .iter()
        .map(|s| (s.id.clone(), s.id.clone(), "source".to_string()))
        .collect();
    ids.extend(sc.stages.iter().map(|s| {
        (
            s.id.clone(),
            s.label.clone().unwrap_or_else(|| s.id.clone()),
            s.kind.clone(),
        )
    }));
    let idx = |id: &str| ids.iter().position(|n| n.0 == id);
    let mut links: Vec<(usize, usize, bool)> = Vec::new();
    for s in &sc.sources {
        if let (Some(a), Some(b)) = (idx(&s.id), idx(&s.to)) {
            links.push((a, b, false));
        }
        if let (Some(a), Some(b)) = (idx(&s.id), s.dead_letter.as_deref().and_then(idx)) {
            links.push((a, b, true));
        }
    }
    for s in &sc.stages {
        let Some(a) = idx(&s.id) else { continue };
        let mut targets: Vec<String> = s.to.iter().cloned().collect();
        targets.extend(crate::models::param_links(&s.kind, &s.params));
        for t in targets {
            if let Some(b) = idx(&t) {
                links.push((a, b, false));
            }
        }
        if let Some(b) = s.dead_letter.as_deref().and_then(idx) {
            links.push((a, b, true));
        }
    }
    // Control links (monitors) are dashed and do not set columns: they may loop.
    let mut control: Vec<(usize, usize)> = Vec::new();
    for s in &sc.stages {
        for (from, to) in crate::models::control_links(&s.kind, &s.id, &s.params) {
            if let (Some(a), Some(b)) = (idx(&from), idx(&to)) {
                control.push((a, b));
            }
        }
    }
    // Longest-path columns (the graph is a DAG once validated; cap the
    // iterations anyway so a cycle cannot hang the layout).
    let n = ids.len();
    let mut col = vec![0usize; n];
    for _ in 0..n {
        let mut changed = false;
        for &(a, b, _) in &links {
            if col[b] < col[a] + 1 && col[a] + 1 < n {
                col[b] = col[a] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // A monitor sits one column after what it watches.
    for &(a, b) in &control {
        if ids[b].2 == "monitor" && col[b] <= col[a] {
            col[b] = col[a] + 1;
        }
    }
    let columns = col.iter().copied().max().map_or(0, |m| m + 1);
    let mut rows_in = vec![0usize; columns.max(1)];
    let mut nodes = Vec::with_capacity(n);
    for (i, (id, label, kind)) in ids.iter().enumerate() {
        let c = col[i];
        let r = rows_in[c];
        rows_in[c] += 1;
        nodes.push(Node {
            id: id.clone(),
            label: label.clone(),
            kind: kind.clone(),
            x: MARGIN + c as f64 * (NODE_W + COL_GAP),
            y: MARGIN + r as f64 * (NODE_H + ROW_GAP),
            column: c,
        });
    }
    // Centre each column vertically against the tallest one.
    let max_rows = rows_in.iter().copied().max().unwrap_or(1);
    let full_h = max_rows as f64 * (NODE_H + ROW_GAP) - ROW_GAP;
    for nd in &mut nodes {
        let rows = rows_in[nd.column];
        let h = rows as f64 * (NODE_H + ROW_GAP) - ROW_GAP;
        nd.y += (full_h - h) / 2.0;
    }
    let has_backward = control.iter().any(|&(a, b)| col[b] <= col[a]);
    let edges = links
        .iter()
        .map(|&(a, b, dashed)| (a, b, dashed))
        .chain(control.iter().map(|&(a, b)| (a, b, true)))
        .collect::<Vec<_>>()
        .iter()
        .map(|&(a, b, dashed)| {
            let (na, nb) = (&nodes[a], &nodes[b]);
            let (x1, y1) = (na.x + NODE_W, na.y + NODE_H / 2.0);
            let (x2, y2) = (nb.x, nb.y + NODE_H / 2.0);
            let path = if x2 > x1 {
                let mx = (x1 + x2) / 2.0;
                format!("M{x1:.1},{y1:.1} C{mx:.1},{y1:.1} {mx:.1},{y2:.1} {x2:.1},{y2:.1}")
            } else {
                // Backwards (a control link to an earlier stage): from the
                // bottom of the source, under the boxes, up into the target.
                let (sx, sy) = (na.x + NODE_W / 2.0, na.y + NODE_H);
                let (tx, ty) = (nb.x + NODE_W / 2.0, nb.y + NODE_H);
                let low = na.y.max(nb.y) + NODE_H + ROW_GAP * 0.9;
                format!("M{sx:.1},{sy:.1} C{sx:.1},{low:.1} {tx:.1},{low:.1} {tx:.1},{ty:.1}")
            };
            Edge {
                from: nodes[a].id.clone(),
                to: nodes[b].id.clone(),
                dashed,
                path,
            }
        })
        .collect();
    Diagram {
        width: MARGIN * 2.0 + columns as f64 * (NODE_W + COL_GAP) - COL_GAP,
        // Room under the boxes for backward control links.
        height: MARGIN * 2.0 + full_h + if has_backward { ROW_GAP } else { 0.0 },
        nodes,
        edges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{builtin, load, Format};

    #[test]
    fn no_two_boxes_overlap_in_any_builtin() {
        for b in builtin::ALL {
            let (sc, _) = load(b.text, Format::Toml).unwrap();
            let d = layout(&sc);
            assert_eq!(d.nodes.len(), sc.sources.len() + sc.stages.len());
            for (i, a) in d.nodes.iter().enumerate() {
                assert!(a.x + NODE_W <= d.width && a.y + NODE_H <= d.height, "{} outside", a.id);
                for bb in &d.nodes[i + 1..] {
                    let apart =
                        a.x + NODE_W <= bb.x || bb.x + NODE_W <= a.x || a.y + NODE_H <= bb.y || bb.y + NODE_H <= a.y;
                    assert!(apart, "{}: {} overlaps {}", b.name, a.id, bb.id);
                }
            }
        }
    }

    #[test]
    fn links_go_left_to_right_along_the_data_flow() {
        let (sc, _) = load(builtin::find("backpressure-tandem").unwrap().text, Format::Toml).unwrap();
        let d = layout(&sc);
        let col = |id: &str| d.nodes.iter().find(|n| n.id == id).unwrap().column;
        assert_eq!(
            (col("producer"), col("ingest"), col("writer"), col("warehouse")),
            (0, 1, 2, 3)
        );
        assert_eq!(d.edges.len(), 3);
    }
}
