//! The architecture diagram as positioned boxes and links, computed from the
//! scenario graph by a layered layout, sized for a projector.
//!
//! - **Layers**: a node's column is the length of the longest path from a
//!   source to it; a monitor sits one column after what it watches.
//! - **Tiers**: a long chain is folded into tiers (rows of columns, read
//!   left to right and top to bottom like text) when that draws it larger in
//!   the diagram's area at 1280x720 ([`FRAME_W`] x [`FRAME_H`]). Columns
//!   keep one width across tiers, so the gaps between them line up and a
//!   link from one tier to another runs in those gaps and in the gutter
//!   between tiers, never through a box.
//! - **Boxes are sized to their text**: a column is as wide as its widest
//!   name needs (two lines at most up to [`MAX_W`]), names wrap at word
//!   boundaries and are never cut; text widths are estimated from Arial's
//!   advance widths (the diagram's font, www/styles.css).
//! - **Regions** (`region = "…"`: on-premises, a cloud region, a phase) are
//!   horizontal bands of their own within a tier, drawn as a box around
//!   their stages, so no box overlaps a stage of another region.

use crate::scenario::schema::Scenario;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Font sizes in SVG user units (www/styles.css draws the same): a box's
/// name (bold), its service or kind, a region's name (bold capitals).
pub const LABEL_PX: f64 = 14.0;
pub const SUB_PX: f64 = 12.0;
pub const REGION_PX: f64 = 12.0;
/// Line heights of the name and the service lines.
pub const LABEL_LH: f64 = 17.0;
pub const SUB_LH: f64 = 14.5;
/// Text inset from a box's sides and top; room under the text for the
/// badges that straddle the bottom edge (15 px tall, from 7 px above it).
pub const PAD_X: f64 = 10.0;
pub const PAD_TOP: f64 = 7.0;
const PAD_BOTTOM: f64 = 10.0;
pub const BADGE_TOP_FROM_BOTTOM: f64 = 7.0;
const BADGE_H: f64 = 15.0;
/// Box widths: a column is never narrower or (unless one word is longer) wider.
pub const MIN_W: f64 = 120.0;
pub const MAX_W: f64 = 272.0;
/// Names up to this width stay on one line.
const ONE_LINE_W: f64 = 200.0;
const COL_GAP: f64 = 56.0;
const ROW_GAP: f64 = 12.0;
const BAND_GAP: f64 = 12.0;
const MARGIN: f64 = 14.0;
/// The gutter between tiers: at least this tall, with a lane per link in it.
const GUTTER_MIN: f64 = 34.0;
const LANE_TOP: f64 = 14.0;
const LANE: f64 = 9.0;
/// Where a routed link runs beside a box: this far out, plus a step per lane.
const CHANNEL: f64 = 16.0;
const CHANNEL_STEP: f64 = 6.0;
const CORNER: f64 = 7.0;
/// The diagram's area on a 1280x720 screen, in CSS pixels (the page's
/// `.diagram`: the panel's width and the height left under the toolbars),
/// and the largest scale the page draws at (`max-width`).
pub const FRAME_W: f64 = 1200.0;
pub const FRAME_H: f64 = 450.0;
pub const MAX_SCALE: f64 = 1.25;
/// Where a control link leaves and enters a box when it is routed around
/// boxes, as a share of the box's height: below where data links meet the
/// box and above the badges.
pub const CONTROL_END: f64 = 0.68;

/// A box in the diagram.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Node {
    pub id: String,
    pub label: String,
    /// "source" or the stage kind.
    pub kind: String,
    /// Its second line: the service for the chosen provider, else the kind
    /// (none for a source).
    pub sub: String,
    /// `label` and `sub` wrapped to the box's width (never cut).
    pub label_lines: Vec<String>,
    pub sub_lines: Vec<String>,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub column: usize,
    /// Which tier (row of columns) it is drawn in.
    pub tier: usize,
}

impl Node {
    /// Baseline of the name's line `i`, from the box's top.
    pub fn label_baseline(&self, i: usize) -> f64 {
        PAD_TOP + (i + 1) as f64 * LABEL_LH - 4.0
    }
    /// Baseline of the service's line `j`, from the box's top.
    pub fn sub_baseline(&self, j: usize) -> f64 {
        PAD_TOP + self.label_lines.len() as f64 * LABEL_LH + (j + 1) as f64 * SUB_LH - 3.5
    }
}

/// A link between boxes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// Dashed: a dead-letter path or a control link (a monitor's action).
    pub dashed: bool,
    /// SVG path data, from the right edge of `from` to the left edge of `to`:
    /// a curve to a later column of the same tier, else an orthogonal route
    /// with rounded corners through the gaps between columns and tiers.
    pub path: String,
}

/// A named group of stages (`region = "…"`: on-premises, a cloud region,
/// a VPC, a phase), drawn as a box around them (once per tier it spans).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RegionBox {
    pub name: String,
    /// The name as drawn (capitals; shortened only if a user's name is
    /// longer than the whole diagram).
    pub title: String,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Space above a region's boxes for its name, and below them.
pub const REGION_PAD_TOP: f64 = 24.0;
const REGION_PAD_BOTTOM: f64 = 10.0;
const REGION_PAD_X: f64 = 10.0;
/// A region's name: left inset and baseline from the region's top.
pub const REGION_TITLE_X: f64 = 10.0;
pub const REGION_TITLE_Y: f64 = 17.0;

/// The laid-out diagram.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Diagram {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Region boxes; each region is a horizontal band of its own within a
    /// tier, so boxes never overlap one another or a stage of another region.
    #[serde(default)]
    pub regions: Vec<RegionBox>,
    pub width: f64,
    pub height: f64,
    /// How many tiers the columns were folded into.
    pub tiers: usize,
}

impl Diagram {
    /// The scale the page draws this diagram at in its 1280x720 area.
    pub fn scale_at_1280x720(&self) -> f64 {
        (FRAME_W / self.width.max(1.0))
            .min(FRAME_H / self.height.max(1.0))
            .min(MAX_SCALE)
    }
}

// Advance widths of Helvetica / Arial (and the metric-compatible Liberation
// Sans) for ' '..='~', in thousandths of an em.
#[rustfmt::skip]
const REGULAR: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015,
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611,
    278, 278, 278, 469, 556, 333,
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500,
    334, 260, 334, 584,
];
#[rustfmt::skip]
const BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975,
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611,
    333, 278, 333, 584, 556, 333,
    556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500,
    389, 280, 389, 584,
];

/// Estimated width of `s` at `px` (Arial's advance widths, 5 % to spare for
/// a fallback font; other characters as wide as a capital M).
pub fn text_width(s: &str, px: f64, bold: bool) -> f64 {
    let table = if bold { &BOLD } else { &REGULAR };
    let units: u32 = s
        .chars()
        .map(|c| {
            let i = c as u32;
            if (32..127).contains(&i) {
                u32::from(table[(i - 32) as usize])
            } else {
                833
            }
        })
        .sum();
    f64::from(units) / 1000.0 * px * 1.05
}

/// `s` wrapped at spaces into lines at most `max_w` wide; a word longer
/// than a line is split between characters. Nothing is dropped.
pub fn wrap(s: &str, max_w: f64, px: f64, bold: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let joined = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if text_width(&joined, px, bold) <= max_w {
            cur = joined;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        for c in word.chars() {
            cur.push(c);
            if text_width(&cur, px, bold) > max_w && cur.chars().count() > 1 {
                cur.pop();
                lines.push(std::mem::replace(&mut cur, c.to_string()));
            }
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// [`wrap`], but two lines are balanced: the break between words that
/// makes the longer line shortest ("SQL Server (every / kind of record)",
/// not "SQL Server (every kind of / record)").
pub fn wrap_balanced(s: &str, max_w: f64, px: f64, bold: bool) -> Vec<String> {
    let greedy = wrap(s, max_w, px, bold);
    if greedy.len() != 2 {
        return greedy;
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    let longer = |l: &[String; 2]| text_width(&l[0], px, bold).max(text_width(&l[1], px, bold));
    (1..words.len())
        .map(|k| [words[..k].join(" "), words[k..].join(" ")])
        .filter(|l| longer(l) <= max_w)
        .min_by(|a, b| longer(a).total_cmp(&longer(b)))
        .map_or(greedy, |l| l.to_vec())
}

/// The narrowest box width that shows `label` on one line (up to
/// [`ONE_LINE_W`]), else on two, with `sub` on one line.
fn preferred_w(label: &str, sub: &str) -> f64 {
    let fits = |w: f64, label_lines: usize| {
        wrap(label, w - 2.0 * PAD_X, LABEL_PX, true).len() <= label_lines
            && wrap(sub, w - 2.0 * PAD_X, SUB_PX, false).len() <= 1
    };
    let widths = || (0..).map(|i| MIN_W + 4.0 * f64::from(i)).take_while(|w| *w <= MAX_W);
    widths()
        .take_while(|w| *w <= ONE_LINE_W)
        .find(|w| fits(*w, 1))
        .or_else(|| widths().find(|w| fits(*w, 2)))
        .unwrap_or(MAX_W)
}

/// The graph, before placing.
struct Graph {
    /// (id, label, kind, sub), sources then stages.
    nodes: Vec<(String, String, String, String)>,
    /// Data links (from, to, dashed) and control links (from, to).
    links: Vec<(usize, usize, bool)>,
    control: Vec<(usize, usize)>,
    col: Vec<usize>,
    columns: usize,
    /// Region of each node (index into `bands`).
    band: Vec<usize>,
    bands: Vec<Option<String>>,
}

/// Lays out the scenario's graph. `subs` gives each node's second line
/// (sources then stages, as in the scenario; the kind where it is missing
/// or empty), so boxes are sized for the names the page shows.
pub fn layout(sc: &Scenario, subs: &[String]) -> Diagram {
    let g = graph(sc, subs);
    // Fold into more tiers only while that draws the diagram clearly larger.
    let mut best = place(&g, 1);
    for k in 2..=g.columns.min(5) {
        let d = place(&g, k);
        if d.scale_at_1280x720() > best.scale_at_1280x720() * 1.04 {
            best = d;
        }
    }
    best
}

fn graph(sc: &Scenario, subs: &[String]) -> Graph {
    let mut nodes: Vec<(String, String, String, String)> = sc
        .sources
        .iter()
        .map(|s| (s.id.clone(), s.id.clone(), "source".to_string(), String::new()))
        .collect();
    nodes.extend(sc.stages.iter().map(|s| {
        (
            s.id.clone(),
            s.label.clone().unwrap_or_else(|| s.id.clone()),
            s.kind.clone(),
            String::new(),
        )
    }));
    // Sources are one-line boxes (their accent outline says "source", as
    // the page's legend does): a column of them stays short.
    for (i, n) in nodes.iter_mut().enumerate().filter(|(_, n)| n.2 != "source") {
        n.3 = subs
            .get(i)
            .filter(|s| !s.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| n.2.clone());
    }
    let idx = |id: &str| nodes.iter().position(|n| n.0 == id);
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
    let n = nodes.len();
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
        if nodes[b].2 == "monitor" && col[b] <= col[a] {
            col[b] = col[a] + 1;
        }
    }
    let columns = col.iter().copied().max().map_or(0, |m| m + 1).max(1);
    // Bands: one per region in order of first appearance (nodes without a
    // region share one band, without a box).
    let region_of = |i: usize| -> Option<String> {
        let id = &nodes[i].0;
        let stage = sc.stages.iter().find(|s| &s.id == id).map(|s| &s.region);
        let source = || sc.sources.iter().find(|s| &s.id == id).map(|s| &s.region);
        stage
            .or_else(source)
            .and_then(|r| r.clone())
            .filter(|r| !r.trim().is_empty())
    };
    let mut bands: Vec<Option<String>> = Vec::new();
    let band: Vec<usize> = (0..n)
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
    Graph {
        nodes,
        links,
        control,
        col,
        columns,
        band,
        bands,
    }
}

/// How a link is drawn.
enum Route {
    /// A curve to a later column of the same tier.
    Curve,
    /// Out of the source's right side, along a lane of gutter `gutter`
    /// (the one under tier `gutter`), into the target's left side.
    Lane { gutter: usize, lane: usize },
    /// A back link between two boxes of one region in one tier: like
    /// `Lane`, but along lane `lane` under the boxes inside the region's box
    /// (which grows to hold it), so it crosses no region border.
    Inside { lane: usize },
}

/// A polyline with rounded corners as SVG path data.
fn rounded(points: &[(f64, f64)]) -> String {
    let mut s = format!("M{:.1},{:.1}", points[0].0, points[0].1);
    for w in points.windows(3) {
        let (p, c, n) = (w[0], w[1], w[2]);
        // Segments are horizontal or vertical: a length is |dx| + |dy|.
        let d_in = (c.0 - p.0).abs() + (c.1 - p.1).abs();
        let d_out = (n.0 - c.0).abs() + (n.1 - c.1).abs();
        let r = CORNER.min(d_in / 2.0).min(d_out / 2.0);
        if r < 0.5 {
            s += &format!(" L{:.1},{:.1}", c.0, c.1);
            continue;
        }
        let a = (c.0 - (c.0 - p.0) / d_in * r, c.1 - (c.1 - p.1) / d_in * r);
        let b = (c.0 + (n.0 - c.0) / d_out * r, c.1 + (n.1 - c.1) / d_out * r);
        s += &format!(" L{:.1},{:.1} Q{:.1},{:.1} {:.1},{:.1}", a.0, a.1, c.0, c.1, b.0, b.1);
    }
    let last = points[points.len() - 1];
    s += &format!(" L{:.1},{:.1}", last.0, last.1);
    s
}

/// Places the graph with its columns folded into `k` tiers.
fn place(g: &Graph, k: usize) -> Diagram {
    let n = g.nodes.len();
    let per = g.columns.div_ceil(k);
    let tiers = g.columns.div_ceil(per);
    let tier: Vec<usize> = g.col.iter().map(|c| c / per).collect();
    let slot: Vec<usize> = g.col.iter().map(|c| c % per).collect();
    // Column widths, shared by every tier.
    let mut sw = vec![MIN_W; per];
    for i in 0..n {
        sw[slot[i]] = sw[slot[i]].max(preferred_w(&g.nodes[i].1, &g.nodes[i].3));
    }
    let lines: Vec<(Vec<String>, Vec<String>)> = (0..n)
        .map(|i| {
            let inner = sw[slot[i]] - 2.0 * PAD_X;
            (
                wrap_balanced(&g.nodes[i].1, inner, LABEL_PX, true),
                if g.nodes[i].3.is_empty() {
                    Vec::new()
                } else {
                    wrap_balanced(&g.nodes[i].3, inner, SUB_PX, false)
                },
            )
        })
        .collect();
    let h: Vec<f64> = lines
        .iter()
        .map(|(l, s)| PAD_TOP + l.len() as f64 * LABEL_LH + s.len() as f64 * SUB_LH + PAD_BOTTOM)
        .collect();
    // Routes: every link that is not a curve forward within its tier gets a
    // lane in a gutter: under the target's tier when it goes up (or back
    // within its tier), above the target's tier when it goes down.
    let all: Vec<(usize, usize, bool, bool)> = g
        .links
        .iter()
        .map(|&(a, b, dashed)| (a, b, dashed, false))
        .chain(g.control.iter().map(|&(a, b)| (a, b, true, true)))
        .collect();
    let mut lanes = vec![0usize; tiers];
    // Lanes inside each region's box, by (tier, band).
    let mut inside: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    let routes: Vec<Route> = all
        .iter()
        .map(|&(a, b, _, _)| {
            if tier[a] == tier[b] && slot[b] > slot[a] {
                return Route::Curve;
            }
            if tier[a] == tier[b] && g.band[a] == g.band[b] && g.bands[g.band[a]].is_some() {
                let n = inside.entry((tier[a], g.band[a])).or_insert(0);
                *n += 1;
                return Route::Inside { lane: *n - 1 };
            }
            let gutter = if tier[b] > tier[a] { tier[b] - 1 } else { tier[b] };
            lanes[gutter] += 1;
            Route::Lane {
                gutter,
                lane: lanes[gutter] - 1,
            }
        })
        .collect();
    let offset = |lane: usize| CHANNEL + CHANNEL_STEP * lane as f64;
    // Regions are wide enough on both sides for the lanes inside them (all
    // alike, so that their edges line up).
    let pad_x = inside
        .values()
        .map(|&n| offset(n - 1) + 8.0)
        .fold(REGION_PAD_X, f64::max);
    // Room on the left for links that turn into the first column, and for
    // the boxes of regions there.
    let left = routes
        .iter()
        .zip(&all)
        .filter_map(|(r, &(_, b, _, _))| match r {
            Route::Lane { lane, .. } if slot[b] == 0 => Some(offset(*lane) + 6.0),
            _ => None,
        })
        .fold(MARGIN.max(pad_x + 4.0), f64::max);
    let mut sx = Vec::with_capacity(per);
    let mut x = left;
    for w in &sw {
        sx.push(x);
        x += w + COL_GAP;
    }
    let mut right = x - COL_GAP;
    // Vertical placement: tier by tier, band by band, each column's stack
    // centred in its band.
    let mut ys = vec![0.0; n];
    let mut regions = Vec::new();
    let mut tier_bottom = vec![0.0; tiers];
    // Where the boxes of each (tier, band) end: inside lanes run under it.
    let mut boxes_bottom: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    let mut y = MARGIN;
    for t in 0..tiers {
        let mut first = true;
        for (b, name) in g.bands.iter().enumerate() {
            let members: Vec<usize> = (0..n).filter(|&i| tier[i] == t && g.band[i] == b).collect();
            if members.is_empty() {
                continue;
            }
            if !first {
                y += BAND_GAP;
            }
            first = false;
            let top = y + if name.is_some() { REGION_PAD_TOP } else { 0.0 };
            let stack = |s: usize| -> f64 {
                let hs: Vec<f64> = members.iter().filter(|&&i| slot[i] == s).map(|&i| h[i]).collect();
                hs.iter().sum::<f64>() + ROW_GAP * hs.len().saturating_sub(1) as f64
            };
            let inner = (0..per).map(stack).fold(0.0, f64::max);
            for s in 0..per {
                let mut yy = top + (inner - stack(s)) / 2.0;
                for &i in members.iter().filter(|&&i| slot[i] == s) {
                    ys[i] = yy;
                    yy += h[i] + ROW_GAP;
                }
            }
            boxes_bottom.insert((t, b), top + inner);
            let pad_bottom = match inside.get(&(t, b)) {
                Some(&n) => LANE_TOP + (n - 1) as f64 * LANE + REGION_PAD_BOTTOM,
                None if name.is_some() => REGION_PAD_BOTTOM,
                None => 0.0,
            };
            let bottom = top + inner + pad_bottom;
            if let Some(name) = name {
                let s0 = members.iter().map(|&i| slot[i]).min().unwrap_or(0);
                let s1 = members.iter().map(|&i| slot[i]).max().unwrap_or(0);
                let x0 = sx[s0] - pad_x;
                let title = name.to_uppercase();
                let title_w = text_width(&title, REGION_PX, true) + 0.4 * title.chars().count() as f64;
                let width = (sx[s1] + sw[s1] + pad_x - x0).max(title_w + 2.0 * REGION_TITLE_X);
                right = right.max(x0 + width);
                regions.push(RegionBox {
                    name: name.clone(),
                    title,
                    x: x0,
                    y,
                    width,
                    height: bottom - y,
                });
            }
            y = bottom;
        }
        tier_bottom[t] = y;
        let room = if lanes[t] > 0 {
            LANE_TOP + (lanes[t] - 1) as f64 * LANE + 6.0
        } else {
            0.0
        };
        y += if t + 1 < tiers {
            room.max(GUTTER_MIN)
        } else {
            room.max(BADGE_H - BADGE_TOP_FROM_BOTTOM)
        };
    }
    let nodes: Vec<Node> = (0..n)
        .map(|i| {
            let (id, label, kind, sub) = &g.nodes[i];
            Node {
                id: id.clone(),
                label: label.clone(),
                kind: kind.clone(),
                sub: sub.clone(),
                label_lines: lines[i].0.clone(),
                sub_lines: lines[i].1.clone(),
                x: sx[slot[i]],
                y: ys[i],
                w: sw[slot[i]],
                h: h[i],
                column: g.col[i],
                tier: tier[i],
            }
        })
        .collect();
    let edges = all
        .iter()
        .zip(&routes)
        .map(|(&(a, b, dashed, is_control), route)| {
            let (na, nb) = (&nodes[a], &nodes[b]);
            // Out of the source's right side, down to lane `lane` under
            // `lane_top`, along it, and up into the target's left side.
            let orthogonal = |lane: usize, lane_top: f64, right: &mut f64| {
                // Control links end low on the box, clear of data links
                // (at the middle) and of the badges.
                let end = if is_control { CONTROL_END } else { 0.5 };
                let (x1, y1) = (na.x + na.w, na.y + na.h * end);
                let (x2, y2) = (nb.x, nb.y + nb.h * end);
                let ly = lane_top + LANE_TOP + lane as f64 * LANE;
                let (out, inn) = (x1 + offset(lane), x2 - offset(lane));
                *right = right.max(out);
                rounded(&[(x1, y1), (out, y1), (out, ly), (inn, ly), (inn, y2), (x2, y2)])
            };
            let path = match route {
                Route::Curve => {
                    let (x1, y1) = (na.x + na.w, na.y + na.h / 2.0);
                    let (x2, y2) = (nb.x, nb.y + nb.h / 2.0);
                    let mx = (x1 + x2) / 2.0;
                    format!("M{x1:.1},{y1:.1} C{mx:.1},{y1:.1} {mx:.1},{y2:.1} {x2:.1},{y2:.1}")
                }
                Route::Lane { gutter, lane } => orthogonal(*lane, tier_bottom[*gutter], &mut right),
                Route::Inside { lane } => orthogonal(*lane, boxes_bottom[&(na.tier, g.band[a])], &mut right),
            };
            Edge {
                from: na.id.clone(),
                to: nb.id.clone(),
                dashed,
                path,
            }
        })
        .collect();
    Diagram {
        width: right + MARGIN,
        height: y + MARGIN,
        nodes,
        edges,
        regions,
        tiers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::Overrides;
    use crate::scenario::schema::Provider;
    use crate::scenario::{builtin, load, Format};
    use crate::view::live::Session;

    /// Every built-in as the page draws it, as written and on each provider.
    fn every_view() -> Vec<(String, Diagram)> {
        let mut out = Vec::new();
        for b in builtin::all() {
            for provider in [None, Some(Provider::Aws), Some(Provider::Gcp)] {
                let s = Session::builtin(
                    b.name,
                    Overrides {
                        provider,
                        ..Overrides::default()
                    },
                )
                .unwrap();
                out.push((format!("{} ({provider:?})", b.name), s.view().diagram));
            }
        }
        out
    }

    /// A text line's box: (x, y, width, height).
    type Rect = (f64, f64, f64, f64);

    fn apart(a: Rect, b: Rect) -> bool {
        a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1
    }

    fn node_rect(n: &Node) -> Rect {
        (n.x, n.y, n.w, n.h)
    }

    /// Where every line of text lands (centred in its box; ascent 0.8 em,
    /// descent 0.22 em).
    fn text_rects(d: &Diagram) -> Vec<(String, Rect)> {
        let mut out = Vec::new();
        for n in &d.nodes {
            for (i, l) in n.label_lines.iter().enumerate() {
                let w = text_width(l, LABEL_PX, true);
                let base = n.y + n.label_baseline(i);
                out.push((
                    l.clone(),
                    (n.x + (n.w - w) / 2.0, base - 0.8 * LABEL_PX, w, 1.02 * LABEL_PX),
                ));
            }
            for (j, l) in n.sub_lines.iter().enumerate() {
                let w = text_width(l, SUB_PX, false);
                let base = n.y + n.sub_baseline(j);
                out.push((
                    l.clone(),
                    (n.x + (n.w - w) / 2.0, base - 0.8 * SUB_PX, w, 1.02 * SUB_PX),
                ));
            }
        }
        for r in &d.regions {
            let w = text_width(&r.title, REGION_PX, true) + 0.4 * r.title.chars().count() as f64;
            let base = r.y + REGION_TITLE_Y;
            out.push((
                r.title.clone(),
                (r.x + REGION_TITLE_X, base - 0.8 * REGION_PX, w, 1.02 * REGION_PX),
            ));
        }
        out
    }

    #[test]
    fn every_builtin_on_every_provider_is_legible_on_a_1280x720_projector() {
        for (name, d) in every_view() {
            let scale = d.scale_at_1280x720();
            // The page draws names at LABEL_PX x scale CSS pixels.
            assert!(
                LABEL_PX * scale >= 11.0,
                "{name}: names drawn at {:.1} px ({} tiers, {:.0} x {:.0})",
                LABEL_PX * scale,
                d.tiers,
                d.width,
                d.height
            );
        }
    }

    #[test]
    fn no_name_is_cut_and_every_line_fits_its_box_above_the_badges() {
        let squash = |s: &str| s.split_whitespace().collect::<String>();
        for (name, d) in every_view() {
            for n in &d.nodes {
                assert_eq!(
                    squash(&n.label_lines.concat()),
                    squash(&n.label),
                    "{name}: {} cut",
                    n.id
                );
                assert_eq!(squash(&n.sub_lines.concat()), squash(&n.sub), "{name}: {} cut", n.id);
                assert!(
                    n.label_lines.len() <= 3 && n.sub_lines.len() <= 2,
                    "{name}: {} too many lines",
                    n.id
                );
                for l in n.label_lines.iter() {
                    assert!(
                        text_width(l, LABEL_PX, true) <= n.w - 2.0 * PAD_X,
                        "{name}: `{l}` too wide"
                    );
                }
                for l in n.sub_lines.iter() {
                    assert!(
                        text_width(l, SUB_PX, false) <= n.w - 2.0 * PAD_X,
                        "{name}: `{l}` too wide"
                    );
                }
                let text_bottom = match n.sub_lines.len() {
                    0 => n.label_baseline(n.label_lines.len() - 1) + 0.22 * LABEL_PX,
                    s => n.sub_baseline(s - 1) + 0.22 * SUB_PX,
                };
                assert!(
                    text_bottom <= n.h - BADGE_TOP_FROM_BOTTOM,
                    "{name}: {} text runs into the badges",
                    n.id
                );
            }
            for r in &d.regions {
                assert_eq!(r.title, r.name.to_uppercase(), "{name}: region {} cut", r.name);
            }
        }
    }

    #[test]
    fn no_two_boxes_or_labels_overlap_in_any_builtin() {
        for (name, d) in every_view() {
            for (i, a) in d.nodes.iter().enumerate() {
                assert!(
                    a.x >= 0.0 && a.y >= 0.0 && a.x + a.w <= d.width && a.y + a.h + 8.0 <= d.height,
                    "{name}: {} outside",
                    a.id
                );
                for b in &d.nodes[i + 1..] {
                    assert!(apart(node_rect(a), node_rect(b)), "{name}: {} overlaps {}", a.id, b.id);
                }
            }
            let texts = text_rects(&d);
            for (i, (ta, ra)) in texts.iter().enumerate() {
                assert!(ra.0 >= 0.0 && ra.0 + ra.2 <= d.width, "{name}: `{ta}` outside");
                for (tb, rb) in &texts[i + 1..] {
                    assert!(apart(*ra, *rb), "{name}: `{ta}` overlaps `{tb}`");
                }
            }
            // Region names sit above their boxes, clear of every box.
            for (t, r) in texts.iter().filter(|(t, _)| d.regions.iter().any(|g| &g.title == t)) {
                for n in &d.nodes {
                    assert!(apart(*r, node_rect(n)), "{name}: region name `{t}` over {}", n.id);
                }
            }
        }
    }

    /// The corner points of a routed (orthogonal) link.
    fn points(path: &str) -> Vec<(f64, f64)> {
        path.split(['M', 'L', 'Q', ' '])
            .filter(|t| !t.is_empty())
            .map(|t| {
                let (x, y) = t.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect()
    }

    #[test]
    fn links_between_tiers_and_back_links_run_between_the_boxes() {
        let (mut routed, mut folded) = (0, 0);
        for (name, d) in every_view() {
            folded += usize::from(d.tiers > 1);
            for e in d.edges.iter().filter(|e| !e.path.contains('C')) {
                routed += 1;
                let to = d.nodes.iter().find(|n| n.id == e.to).unwrap();
                let from = d.nodes.iter().find(|n| n.id == e.from).unwrap();
                let p = points(&e.path);
                let (first, last) = (p[0], p[p.len() - 1]);
                assert!(
                    (first.0 - (from.x + from.w)).abs() < 0.1,
                    "{name}: {} leaves its right edge",
                    e.from
                );
                assert!(
                    (last.0 - to.x).abs() < 0.1,
                    "{name}: {} -> {} ends at its left edge",
                    e.from,
                    e.to
                );
                if e.dashed {
                    // The arrowhead (7 px) stays below the middle and above the badges.
                    assert!(last.1 > to.y + to.h / 2.0 + 4.0 && last.1 + 3.5 < to.y + to.h - BADGE_TOP_FROM_BOTTOM);
                }
                for w in p.windows(2) {
                    for s in 1..20 {
                        let f = f64::from(s) / 20.0;
                        let (x, y) = (w[0].0 + (w[1].0 - w[0].0) * f, w[0].1 + (w[1].1 - w[0].1) * f);
                        for n in &d.nodes {
                            // Boxes and their badges (8 px under them).
                            let inside = x > n.x + 1.0 && x < n.x + n.w - 1.0 && y > n.y + 1.0 && y < n.y + n.h + 8.0;
                            assert!(!inside, "{name}: {} -> {} runs through {}", e.from, e.to, n.id);
                        }
                    }
                }
            }
        }
        assert!(
            routed > 0 && folded > 0,
            "some built-in folds its tiers or has a back link"
        );
    }

    #[test]
    fn a_back_link_within_one_region_stays_inside_its_box() {
        let within = |r: &RegionBox, x: f64, y: f64, m: f64| {
            x >= r.x + m && x <= r.x + r.width - m && y >= r.y + m && y <= r.y + r.height - m
        };
        let mut checked = 0;
        for (name, d) in every_view() {
            for e in d.edges.iter().filter(|e| !e.path.contains('C')) {
                let from = d.nodes.iter().find(|n| n.id == e.from).unwrap();
                let to = d.nodes.iter().find(|n| n.id == e.to).unwrap();
                let home = d
                    .regions
                    .iter()
                    .find(|r| within(r, from.x, from.y, 0.0) && within(r, to.x, to.y, 0.0) && from.tier == to.tier);
                let Some(r) = home else { continue };
                checked += 1;
                let p = points(&e.path);
                for w in p.windows(2) {
                    for s in 0..=20 {
                        let f = f64::from(s) / 20.0;
                        let (x, y) = (w[0].0 + (w[1].0 - w[0].0) * f, w[0].1 + (w[1].1 - w[0].1) * f);
                        assert!(
                            within(r, x, y, 3.0),
                            "{name}: {} -> {} leaves region {} at ({x:.0}, {y:.0})",
                            e.from,
                            e.to,
                            r.name
                        );
                    }
                }
            }
        }
        assert!(checked > 0, "some built-in has a back link within a region");
    }

    #[test]
    fn a_long_chain_folds_into_tiers_read_left_to_right_top_to_bottom() {
        let s = Session::builtin("edutech-after", Overrides::default()).unwrap();
        let d = s.view().diagram;
        assert!(
            d.tiers >= 2,
            "edutech-after's {} columns fold",
            d.nodes.iter().map(|n| n.column).max().unwrap() + 1
        );
        for a in &d.nodes {
            for b in &d.nodes {
                if a.column < b.column {
                    assert!(a.tier <= b.tier, "{} before {}", a.id, b.id);
                    if a.tier == b.tier {
                        assert!(a.x < b.x);
                    } else {
                        assert!(a.y + a.h < b.y, "{} above {}", a.id, b.id);
                    }
                }
            }
        }
    }

    #[test]
    fn on_premises_stages_are_drawn_in_an_on_premises_region() {
        for b in builtin::all() {
            let s = Session::builtin(b.name, Overrides::default()).unwrap();
            let d = s.view().diagram;
            if d.regions.is_empty() {
                continue;
            }
            for n in &d.nodes {
                let label = n.label.to_lowercase();
                let onprem =
                    n.sub.starts_with("On-premises") || label.starts_with("on-prem") || label.ends_with("(on-prem)");
                if !onprem {
                    continue;
                }
                let inside = d.regions.iter().any(|r| {
                    r.name.to_lowercase().starts_with("on-prem")
                        && n.x >= r.x
                        && n.x + n.w <= r.x + r.width
                        && n.y >= r.y
                        && n.y + n.h <= r.y + r.height
                });
                assert!(inside, "{}: {} is on premises but not drawn there", b.name, n.id);
            }
        }
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
        let d = layout(&sc, &[]);
        assert_eq!(d.tiers, 1);
        assert_eq!(
            d.regions.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            ["on-premises", "cloud"]
        );
        for r in &d.regions {
            for n in &d.nodes {
                let inside = n.x >= r.x && n.x + n.w <= r.x + r.width && n.y >= r.y && n.y + n.h <= r.y + r.height;
                // Sources are drawn inside their region like stages.
                let region = sc
                    .stages
                    .iter()
                    .find(|s| s.id == n.id)
                    .map(|s| s.region.as_deref())
                    .or_else(|| sc.sources.iter().find(|s| s.id == n.id).map(|s| s.region.as_deref()))
                    .flatten();
                if region == Some(r.name.as_str()) {
                    assert!(inside, "{} outside its region {}", n.id, r.name);
                } else {
                    assert!(
                        apart(node_rect(n), (r.x, r.y, r.width, r.height)),
                        "{} overlaps region {}",
                        n.id,
                        r.name
                    );
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
        let d = layout(&sc, &[]);
        let col = |id: &str| d.nodes.iter().find(|n| n.id == id).unwrap().column;
        assert_eq!(
            (col("producer"), col("ingest"), col("writer"), col("warehouse")),
            (0, 1, 2, 3)
        );
        assert_eq!(d.edges.len(), 3);
        assert_eq!(d.tiers, 1, "a short chain stays on one row");
    }

    #[test]
    fn wrapping_keeps_every_character_and_splits_only_overlong_words() {
        assert_eq!(wrap("a bb ccc", 1000.0, 14.0, true), ["a bb ccc"]);
        let w = text_width("Redshift (dist key", 14.0, true) + 1.0;
        assert_eq!(
            wrap("Redshift (dist key student_id, sort key event date)", w, 14.0, true)[0],
            "Redshift (dist key"
        );
        let long = wrap("Supercalifragilistic", 40.0, 14.0, false);
        assert!(long.len() > 1 && long.concat() == "Supercalifragilistic");
        assert_eq!(wrap("", 100.0, 12.0, false), [""]);
        let w = text_width("SQL Server (every kind of", 14.0, true) + 1.0;
        assert_eq!(wrap("SQL Server (every kind of record)", w, 14.0, true)[1], "record)");
        assert_eq!(
            wrap_balanced("SQL Server (every kind of record)", w, 14.0, true),
            ["SQL Server (every", "kind of record)"]
        );
    }
}
