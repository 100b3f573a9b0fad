//! The architecture diagram as positioned boxes and links, computed from the
//! scenario graph by a layered layout: each node's column is the length of
//! the longest path from a source to it, and nodes in a column are stacked in
//! the order the scenario lists them. No overlap by construction.

use crate::scenario::schema::Scenario;
use serde::{Deserialize, Serialize};

/// Node width, height and gaps, in SVG user units.
pub const NODE_W: f64 = 150.0;
pub const NODE_H: f64 = 54.0;
const COL_GAP: f64 = 70.0;
const ROW_GAP: f64 = 26.0;
const MARGIN: f64 = 20.0;
/// Where a backward (control) link leaves and enters a box, from its top:
/// clear of the middle (data links) and of the badges on the bottom edge
/// (they start 7 px above it).
pub const BACK_LINK_Y: f64 = NODE_H * 0.7;
/// How far a backward link loops out beside its boxes.
const BACK_LINK_LOOP: f64 = 16.0;

/// A box in the diagram.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
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
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// Dashed: a dead-letter path (and, later, control links).
    pub dashed: bool,
    /// SVG path data, from the right edge of `from` to the left edge of `to`.
    pub path: String,
}

/// A named group of stages (`region = "…"`: on-premises, a cloud region,
/// a VPC, a phase), drawn as a box around them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RegionBox {
    pub name: String,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Space above a region's boxes for its name, and below them.
pub const REGION_PAD_TOP: f64 = 26.0;
const REGION_PAD_BOTTOM: f64 = 12.0;
const REGION_PAD_X: f64 = 12.0;

/// The laid-out diagram.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Diagram {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Region boxes; each region is a horizontal band of its own, so boxes
    /// never overlap one another or a stage of another region.
    #[serde(default)]
    pub regions: Vec<RegionBox>,
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
    let columns = col.iter().copied().max().map_or(0, |m| m + 1).max(1);
    // Bands: one per region in order of first appearance (nodes without a
    // region share one band, without a box).
    let region_of = |i: usize| -> Option<String> {
        let id = &ids[i].0;
        let stage = sc.stages.iter().find(|s| &s.id == id).map(|s| &s.region);
        let source = || sc.sources.iter().find(|s| &s.id == id).map(|s| &s.region);
        stage
            .or_else(source)
            .and_then(|r| r.clone())
            .filter(|r| !r.trim().is_empty())
    };
    let mut bands: Vec<Option<String>> = Vec::new();
    let node_band: Vec<usize> = (0..n)
        .map(|i| {
            let r = region_of(i);
            match bands.iter().position(|b| *b == r) {
                Some(b) => b,
                None => {
                    bands.push(r);
                    bands.len() - 1
                }
            }
        })
        .collect();
    let mut rows_in = vec![vec![0usize; columns]; bands.len().max(1)];
    let mut row_of = vec![0usize; n];
    for i in 0..n {
        row_of[i] = rows_in[node_band[i]][col[i]];
        rows_in[node_band[i]][col[i]] += 1;
    }
    let mut band_y = Vec::with_capacity(bands.len());
    let mut y = MARGIN;
    for (b, name) in bands.iter().enumerate() {
        if b > 0 {
            y += ROW_GAP;
        }
        band_y.push(y);
        let rows = rows_in[b].iter().copied().max().unwrap_or(0);
        let pads = if name.is_some() {
            REGION_PAD_TOP + REGION_PAD_BOTTOM
        } else {
            0.0
        };
        y += pads + rows as f64 * (NODE_H + ROW_GAP) - ROW_GAP;
    }
    let full_h = y - MARGIN;
    let mut nodes = Vec::with_capacity(n);
    for (i, (id, label, kind)) in ids.iter().enumerate() {
        let (b, c) = (node_band[i], col[i]);
        let band_rows = rows_in[b].iter().copied().max().unwrap_or(1);
        let h_band = band_rows as f64 * (NODE_H + ROW_GAP) - ROW_GAP;
        let h_col = rows_in[b][c] as f64 * (NODE_H + ROW_GAP) - ROW_GAP;
        let top = band_y[b] + if bands[b].is_some() { REGION_PAD_TOP } else { 0.0 };
        nodes.push(Node {
            id: id.clone(),
            label: label.clone(),
            kind: kind.clone(),
            x: MARGIN + c as f64 * (NODE_W + COL_GAP),
            // Centre each column within its band.
            y: top + row_of[i] as f64 * (NODE_H + ROW_GAP) + (h_band - h_col) / 2.0,
            column: c,
        });
    }
    let regions = bands
        .iter()
        .enumerate()
        .filter_map(|(b, name)| {
            let name = name.clone()?;
            let cols: Vec<usize> = (0..n).filter(|&i| node_band[i] == b).map(|i| col[i]).collect();
            let (c0, c1) = (*cols.iter().min()?, *cols.iter().max()?);
            let rows = rows_in[b].iter().copied().max().unwrap_or(0);
            Some(RegionBox {
                name,
                x: MARGIN + c0 as f64 * (NODE_W + COL_GAP) - REGION_PAD_X,
                y: band_y[b],
                width: (c1 - c0) as f64 * (NODE_W + COL_GAP) + NODE_W + 2.0 * REGION_PAD_X,
                height: REGION_PAD_TOP + REGION_PAD_BOTTOM + rows as f64 * (NODE_H + ROW_GAP) - ROW_GAP,
            })
        })
        .collect();
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
                // Backwards (a control link to an earlier stage): out of the
                // source's right edge, under every box, and into the target's
                // left edge from the left. Both ends sit at three quarters
                // of the box height: below where data links meet the box and
                // above the badge strip on its bottom edge, so badges never
                // hide a link's end or its arrowhead.
                let (sx, sy) = (na.x + NODE_W, na.y + BACK_LINK_Y);
                let (tx, ty) = (nb.x, nb.y + BACK_LINK_Y);
                let low = na.y.max(nb.y) + NODE_H + ROW_GAP * 0.9;
                let (ox, ix) = (sx + BACK_LINK_LOOP, tx - BACK_LINK_LOOP);
                format!(
                    "M{sx:.1},{sy:.1} C{ox:.1},{sy:.1} {ox:.1},{low:.1} {sx:.1},{low:.1} \
                     L{tx:.1},{low:.1} C{ix:.1},{low:.1} {ix:.1},{ty:.1} {tx:.1},{ty:.1}"
                )
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
        regions,
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

    /// The badge strip on a box's bottom edge starts this far above the edge
    /// (src/web/diagram.rs draws 15 px badges from NODE_H - 7).
    const BADGE_TOP_FROM_BOTTOM: f64 = 7.0;

    #[test]
    fn backward_links_end_on_the_left_edge_above_the_badges_in_every_builtin() {
        let mut seen = 0;
        for b in builtin::ALL {
            let (sc, _) = load(b.text, Format::Toml).unwrap();
            let d = layout(&sc);
            for e in &d.edges {
                let (from, to) = (
                    d.nodes.iter().find(|n| n.id == e.from).unwrap(),
                    d.nodes.iter().find(|n| n.id == e.to).unwrap(),
                );
                if to.x > from.x {
                    continue;
                }
                seen += 1;
                let end = e.path.split([' ', 'C', 'L']).rfind(|t| !t.is_empty()).unwrap();
                let (x, y) = end.split_once(',').unwrap();
                let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                assert!(
                    (x - to.x).abs() < 0.1,
                    "{}: {} -> {} ends at x {x}, not the left edge",
                    b.name,
                    e.from,
                    e.to
                );
                // The arrowhead is 7 px tall: its lower half stays above the badges.
                let badges = to.y + NODE_H - BADGE_TOP_FROM_BOTTOM;
                assert!(
                    y > to.y + NODE_H / 2.0 + 4.0 && y + 3.5 < badges,
                    "{}: {} -> {} ends at y {y}",
                    b.name,
                    e.from,
                    e.to
                );
                // Its horizontal run passes below every box's badges.
                let low: f64 = e
                    .path
                    .split('L')
                    .nth(1)
                    .unwrap()
                    .split([',', ' '])
                    .nth(1)
                    .unwrap()
                    .parse()
                    .unwrap();
                for n in &d.nodes {
                    assert!(
                        low > n.y + NODE_H + 8.0 || n.y > low,
                        "{}: runs through {}'s badges",
                        b.name,
                        n.id
                    );
                }
            }
        }
        assert!(
            seen > 0,
            "some built-in has a backward control link (kinesis-autoscale's alarm)"
        );
    }

    #[test]
    fn regions_are_boxes_around_their_stages_that_do_not_overlap() {
        let text = r#"
name = "regions"
duration = "10s"
[[source]]
id = "src"
region = "on-premises"
arrivals = "poisson"
rate = "10/s"
to = "a"
[[source]]
id = "elsewhere"
arrivals = "poisson"
rate = "10/s"
to = "b"
[[stage]]
id = "a"
kind = "queue"
service = "10ms"
region = "on-premises"
to = "b"
[[stage]]
id = "b"
kind = "queue"
service = "10ms"
region = "cloud"
to = "c"
[[stage]]
id = "c"
kind = "queue"
service = "10ms"
region = "on-premises"
to = "d"
[[stage]]
id = "d"
kind = "sink"
region = "cloud"
"#;
        let (sc, _) = load(text, Format::Toml).unwrap();
        let d = layout(&sc);
        assert_eq!(
            d.regions.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["on-premises", "cloud"]
        );
        for r in &d.regions {
            for n in &d.nodes {
                let inside =
                    n.x >= r.x && n.x + NODE_W <= r.x + r.width && n.y >= r.y && n.y + NODE_H <= r.y + r.height;
                // Sources are drawn inside their region like stages.
                let region = sc
                    .stages
                    .iter()
                    .find(|s| s.id == n.id)
                    .map(|s| s.region.as_deref())
                    .or_else(|| sc.sources.iter().find(|s| s.id == n.id).map(|s| s.region.as_deref()))
                    .flatten();
                let apart = n.x + NODE_W <= r.x || r.x + r.width <= n.x || n.y + NODE_H <= r.y || r.y + r.height <= n.y;
                if region == Some(r.name.as_str()) {
                    assert!(inside, "{} outside its region {}", n.id, r.name);
                } else {
                    assert!(apart, "{} overlaps region {}", n.id, r.name);
                }
            }
            assert!(r.y + r.height <= d.height && r.x >= 0.0 && r.x + r.width <= d.width);
        }
        let (a, b) = (&d.regions[0], &d.regions[1]);
        assert!(a.y + a.height <= b.y || b.y + b.height <= a.y, "region boxes overlap");
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
