//! Chart data extracted from a run, and one drawing function generic over
//! the plotters backend (canvas in the browser, SVG in the CLI and tests).

use crate::sim::Simulation;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A calm, colour-blind-friendly palette (Okabe–Ito, slightly muted).
pub const PALETTE: [(u8, u8, u8); 6] = [
    (0, 114, 178),
    (0, 158, 115),
    (213, 94, 0),
    (204, 121, 167),
    (86, 180, 233),
    (230, 159, 0),
];

/// One line.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub name: String,
    /// (seconds, value) points.
    pub points: Vec<(f64, f64)>,
}

/// A chart to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartData {
    pub title: String,
    pub y_label: String,
    pub lines: Vec<Line>,
    /// Vertical cursor at this time, in seconds.
    pub cursor_s: Option<f64>,
}

/// Throughput (records per second) per stage over time.
pub fn throughput(sim: &Simulation) -> ChartData {
    ChartData {
        title: "Throughput per stage".into(),
        y_label: "records/s".into(),
        lines: sim
            .stages
            .iter()
            .filter(|s| !s.is_dead_letter && s.cfg.kind != "monitor")
            .map(|s| Line {
                name: s.cfg.id.clone(),
                points: s.series.throughput.points_s(),
            })
            .collect(),
        cursor_s: Some(sim.now as f64 / 1e9),
    }
}

/// Backlog (time-average records inside) per stage over time.
pub fn backlog(sim: &Simulation) -> ChartData {
    ChartData {
        title: "Backlog per stage".into(),
        y_label: "records".into(),
        lines: sim
            .stages
            .iter()
            .filter(|s| s.cfg.kind != "monitor")
            .map(|s| Line {
                name: s.cfg.id.clone(),
                points: s.series.backlog.points_s(),
            })
            .collect(),
        cursor_s: Some(sim.now as f64 / 1e9),
    }
}

fn time_axis_unit(max_s: f64) -> (f64, &'static str) {
    if max_s > 3.0 * 3600.0 {
        (3600.0, "h")
    } else if max_s > 180.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    }
}

/// Compact counts with one decimal and an SI suffix from a thousand up:
/// 950, 1.2k, 3.4M, 5.0G (diagram badges and axis labels).
pub fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// Axis labels: SI suffixes for large values, three significant figures
/// for small ones (0.0042 stays 0.0042, not 0).
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 10.0 || v == v.trunc() {
        compact(v)
    } else {
        let decimals = (2.0 - libm::floor(libm::log10(a))).clamp(1.0, 9.0) as usize;
        let s = format!("{v:.decimals$}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Where the plot landed on the backend, so a shell can map a pointer
/// position back to simulated time (hover values).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlotArea {
    /// Plot area in backend pixels: left, right, top, bottom.
    pub x0_px: i32,
    pub x1_px: i32,
    pub y0_px: i32,
    pub y1_px: i32,
    /// Simulated seconds at the left and right edges.
    pub t0_s: f64,
    pub t1_s: f64,
}

impl PlotArea {
    /// Simulated time at backend pixel `x`, if inside the plot.
    pub fn time_at(&self, x: f64) -> Option<f64> {
        let (a, b) = (self.x0_px as f64, self.x1_px as f64);
        if b <= a || x < a || x > b {
            return None;
        }
        Some(self.t0_s + (x - a) / (b - a) * (self.t1_s - self.t0_s))
    }
}

/// Draws `data` onto `root`. Text uses the backend's default sans-serif font.
pub fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, data: &ChartData, dark: bool) -> Result<(), String> {
    draw_with(root, data, None, None, dark).map(|_| ())
}

/// Draws `data`, and `overlay` (another run: the A/B comparison) dashed in
/// the same colours on the same axes; the time axis spans at least
/// `span_s` (a live run's whole duration, so lines grow into it); returns
/// where the plot is.
pub fn draw_with<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    overlay: Option<&ChartData>,
    span_s: Option<f64>,
    dark: bool,
) -> Result<PlotArea, String> {
    draw_compare(root, data, overlay.map(|o| (o, "", "")), span_s, dark)
}

/// The legend's width in a band right of the plot, for a chart `w` pixels
/// wide: a fifth of it, within 110..=220 px; none below 360 px (the legend
/// then takes a band above the plot).
fn legend_band_px(w: u32) -> u32 {
    if w < 360 {
        0
    } else {
        (w / 5).clamp(110, 220)
    }
}

/// One legend row: a name, and whether its solid (this run) and dashed
/// (the overlay run) lines are drawn, in palette colour `colour`.
struct LegendRow {
    name: String,
    solid: bool,
    dashed: bool,
    colour: usize,
}

/// Legend rows: each name once, so an A/B pair (same name in both runs)
/// shares one row and one colour.
fn legend_rows(data: &ChartData, ov: &ChartData) -> Vec<LegendRow> {
    let mut rows: Vec<LegendRow> = data
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| LegendRow {
            name: l.name.clone(),
            solid: true,
            dashed: false,
            colour: i % PALETTE.len(),
        })
        .collect();
    for l in &ov.lines {
        match rows.iter_mut().find(|r| r.name == l.name) {
            Some(r) => r.dashed = true,
            None => {
                let colour = rows.len() % PALETTE.len();
                rows.push(LegendRow {
                    name: l.name.clone(),
                    solid: false,
                    dashed: true,
                    colour,
                })
            }
        }
    }
    rows
}

/// `text` shortened with an ellipsis until it is at most `max_px` wide.
fn fit<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str, font: &TextStyle, max_px: u32) -> String {
    let width = |s: &str| area.estimate_text_size(s, font).map_or(0, |(w, _)| w);
    if width(text) <= max_px {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let s: String = chars.iter().collect::<String>() + "…";
        if width(&s) <= max_px {
            return s;
        }
    }
    String::new()
}

/// Draws `data` and, for an A/B comparison, `overlay` = (the other run,
/// this run's label, the other run's label): the other run dashed in the
/// same colours on the same axes. The legend sits in a band of its own
/// (right of the plot, or above it on narrow charts), so it never hides a
/// line; a line that is in both runs has one legend row with both samples.
pub fn draw_compare<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &ChartData,
    overlay: Option<(&ChartData, &str, &str)>,
    span_s: Option<f64>,
    dark: bool,
) -> Result<PlotArea, String> {
    let empty = ChartData {
        title: String::new(),
        y_label: String::new(),
        lines: Vec::new(),
        cursor_s: None,
    };
    let (ov, label_a, label_b) = overlay.unwrap_or((&empty, "", ""));
    let (bg, fg, grid) = if dark {
        (RGBColor(24, 28, 36), RGBColor(222, 226, 232), RGBColor(58, 64, 76))
    } else {
        (RGBColor(255, 255, 255), RGBColor(40, 44, 52), RGBColor(226, 230, 236))
    };
    root.fill(&bg).map_err(|e| e.to_string())?;
    let max_t = data
        .lines
        .iter()
        .chain(ov.lines.iter())
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .fold(0.0f64, f64::max)
        .max(data.cursor_s.unwrap_or(0.0))
        .max(span_s.unwrap_or(0.0))
        .max(1e-9);
    let max_y = data
        .lines
        .iter()
        .chain(ov.lines.iter())
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    let max_y = if max_y <= 0.0 { 1.0 } else { max_y * 1.08 };
    let (unit, unit_name) = time_axis_unit(max_t);

    // Title, then the legend's band, then the plot.
    let title_font = ("sans-serif", 17).into_font().color(&fg);
    let body = root.titled(&data.title, title_font).map_err(|e| e.to_string())?;
    let rows = legend_rows(data, ov);
    let labelled = !label_a.is_empty() || !label_b.is_empty();
    let ab = !ov.lines.is_empty() && labelled;
    let font = ("sans-serif", 12).into_font().color(&fg);
    const ROW_PX: i32 = 17;
    let (w, _) = body.dim_in_pixel();
    let band = if rows.is_empty() { 0 } else { legend_band_px(w) };
    let (plot, legend) = if band > 0 {
        let (p, l) = body.split_horizontally(w - band);
        (p, Some((l, true)))
    } else if rows.is_empty() {
        (body, None)
    } else {
        // Narrow: the rows flow left to right in a band above the plot.
        let per_row = (w / 150).max(1) as usize;
        let n = rows.len() + if ab { 2 } else { 0 };
        let lines = n.div_ceil(per_row).min(3) as i32;
        let (l, p) = body.split_vertically(lines * ROW_PX + 6);
        (p, Some((l, false)))
    };
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .margin_top(6)
        .x_label_area_size(34)
        .y_label_area_size(58)
        .build_cartesian_2d(0.0..max_t / unit, 0.0..max_y)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(grid)
        .axis_style(fg.mix(0.6))
        .x_desc(format!("simulated time ({unit_name})"))
        .y_desc(&data.y_label)
        .label_style(("sans-serif", 12).into_font().color(&fg))
        .axis_desc_style(("sans-serif", 13).into_font().color(&fg))
        .x_labels(8)
        .y_labels(6)
        .y_label_formatter(&|v| short(*v))
        .x_label_formatter(&|v| short(*v))
        .draw()
        .map_err(|e| e.to_string())?;
    let colour_of = |name: &str, fallback: usize| {
        let i = rows.iter().find(|r| r.name == name).map_or(fallback, |r| r.colour);
        let (r, g, b) = PALETTE[i % PALETTE.len()];
        RGBColor(r, g, b)
    };
    for (i, l) in data.lines.iter().enumerate() {
        chart
            .draw_series(LineSeries::new(
                l.points.iter().map(|&(t, v)| (t / unit, v)),
                colour_of(&l.name, i).stroke_width(2),
            ))
            .map_err(|e| e.to_string())?;
    }
    for (i, l) in ov.lines.iter().enumerate() {
        chart
            .draw_series(DashedLineSeries::new(
                l.points.iter().map(|&(t, v)| (t / unit, v)),
                6,
                4,
                colour_of(&l.name, i).mix(0.75).stroke_width(2),
            ))
            .map_err(|e| e.to_string())?;
    }
    if let Some(c) = data.cursor_s {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(c / unit, 0.0), (c / unit, max_y)],
                fg.mix(0.35).stroke_width(1),
            )))
            .map_err(|e| e.to_string())?;
    }
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    if let Some((area, column)) = legend {
        // Entries: for A/B, first what solid and dashed mean, then one row per name.
        let solid = |a: &DrawingArea<DB, Shift>, x: i32, y: i32, c: RGBColor| {
            a.draw(&PathElement::new(vec![(x, y), (x + 14, y)], c.stroke_width(3)))
        };
        let dashed = |a: &DrawingArea<DB, Shift>, x: i32, y: i32, c: RGBColor| {
            a.draw(&PathElement::new(vec![(x, y), (x + 5, y)], c.mix(0.75).stroke_width(3)))
                .and_then(|_| {
                    a.draw(&PathElement::new(
                        vec![(x + 9, y), (x + 14, y)],
                        c.mix(0.75).stroke_width(3),
                    ))
                })
        };
        type Entry = (String, Option<RGBColor>, Option<RGBColor>);
        let mut entries: Vec<Entry> = Vec::new();
        if ab {
            entries.push((label_a.to_string(), Some(fg), None));
            entries.push((label_b.to_string(), None, Some(fg)));
        }
        for r in &rows {
            let (cr, cg, cb) = PALETTE[r.colour];
            let c = RGBColor(cr, cg, cb);
            entries.push((r.name.clone(), r.solid.then_some(c), r.dashed.then_some(c)));
        }
        let (aw, ah) = area.dim_in_pixel();
        let sample_px = 38;
        let (col_px, per_line, max_lines) = if column {
            // Rows start level with the plot's top edge.
            let top = (yr.start - area.get_base_pixel().1).max(0);
            let fit_rows = ((ah as i32 - top - 4) / ROW_PX).max(1) as usize;
            (aw as i32 - 4, 1usize, fit_rows)
        } else {
            let per = (aw / 150).max(1) as usize;
            (aw as i32 / per as i32, per, 3usize)
        };
        let capacity = per_line * max_lines;
        let hidden = entries.len().saturating_sub(capacity);
        if hidden > 0 {
            entries.truncate(capacity - 1);
        }
        let top = if column {
            (yr.start - area.get_base_pixel().1).max(0) + 2
        } else {
            4
        };
        for (k, (name, a, b)) in entries.iter().enumerate() {
            let x = (k % per_line) as i32 * col_px + 2;
            let y = top + (k / per_line) as i32 * ROW_PX;
            let mid = y + ROW_PX / 2 - 1;
            if let Some(c) = a {
                solid(&area, x, mid, *c).map_err(|e| e.to_string())?;
            }
            if let Some(c) = b {
                dashed(&area, x + if a.is_some() { 17 } else { 0 }, mid, *c).map_err(|e| e.to_string())?;
            }
            let text = fit(&area, name, &font, (col_px - sample_px - 4).max(8) as u32);
            area.draw(&Text::new(text, (x + sample_px, y + 2), font.clone()))
                .map_err(|e| e.to_string())?;
        }
        if hidden > 0 {
            let k = entries.len();
            let x = (k % per_line) as i32 * col_px + 2;
            let y = top + (k / per_line) as i32 * ROW_PX;
            area.draw(&Text::new(
                format!("+{} more", hidden + 1),
                (x + sample_px, y + 2),
                font.clone(),
            ))
            .map_err(|e| e.to_string())?;
        }
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(PlotArea {
        x0_px: xr.start,
        x1_px: xr.end,
        y0_px: yr.start,
        y1_px: yr.end,
        t0_s: 0.0,
        t1_s: max_t,
    })
}

/// Renders `data` to an SVG document of `w`×`h` pixels.
pub fn svg_string(data: &ChartData, w: u32, h: u32) -> Result<String, String> {
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (w, h)).into_drawing_area();
        draw(&root, data, false)?;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_axis_values_keep_three_significant_figures() {
        assert_eq!(short(0.0042), "0.0042");
        assert_eq!(short(0.25), "0.25");
        assert_eq!(short(2.5), "2.5");
        assert_eq!(short(0.0), "0");
        assert_eq!(short(12_500.0), "12.5k");
    }

    #[test]
    fn a_chart_renders_to_svg_with_its_lines_and_legend() {
        let data = ChartData {
            title: "Throughput per stage".into(),
            y_label: "records/s".into(),
            lines: vec![Line {
                name: "ingest".into(),
                points: vec![(0.0, 1.0), (10.0, 5.0), (20.0, 3.0)],
            }],
            cursor_s: Some(15.0),
        };
        let svg = svg_string(&data, 640, 320).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("<polyline"),
            "{}",
            &svg[..200.min(svg.len())]
        );
        assert!(svg.contains("ingest") && svg.contains("records/s"));
    }

    #[test]
    fn an_overlay_is_drawn_on_the_same_axes_and_the_plot_maps_pixels_to_time() {
        let line = |name: &str, k: f64| Line {
            name: name.into(),
            points: (0..=10).map(|i| (i as f64 * 6.0, k * i as f64)).collect(),
        };
        let a = ChartData {
            title: "t".into(),
            y_label: "records/s".into(),
            lines: vec![line("after: ingest", 1.0)],
            cursor_s: None,
        };
        let b = ChartData {
            lines: vec![line("before: ingest", 3.0)],
            ..a.clone()
        };
        let mut s = String::new();
        let area = {
            let root = SVGBackend::with_string(&mut s, (640, 320)).into_drawing_area();
            draw_with(&root, &a, Some(&b), None, false).unwrap()
        };
        assert!(s.contains("before: ingest") && s.contains("after: ingest"));
        assert!(area.x0_px > 0 && area.x1_px < 640 && area.x0_px < area.x1_px);
        let mid = (area.x0_px + area.x1_px) as f64 / 2.0;
        let t = area.time_at(mid).unwrap();
        assert!((t - 30.0).abs() < 1.0, "{t}");
        assert_eq!(area.time_at(0.0), None);
    }

    /// The x of the first SVG `<text>` element whose content is `label`.
    fn text_x(svg: &str, label: &str) -> Option<f64> {
        let end = svg.find(&format!(">\n{label}\n</text>"))?;
        let start = svg[..end].rfind("<text")?;
        let tag = &svg[start..end];
        let x = tag.split(" x=\"").nth(1)?.split('"').next()?;
        x.parse().ok()
    }

    #[test]
    fn the_legend_sits_beside_the_plot_and_an_ab_pair_shares_one_row() {
        let line = |name: &str, k: f64| Line {
            name: name.into(),
            points: (0..=10).map(|i| (i as f64 * 6.0, k * i as f64)).collect(),
        };
        let a = ChartData {
            title: "Throughput per stage".into(),
            y_label: "records/s".into(),
            lines: vec![line("ingest", 1.0), line("etl", 2.0)],
            cursor_s: None,
        };
        let b = ChartData {
            lines: vec![line("ingest", 3.0), line("etl", 0.5)],
            ..a.clone()
        };
        let mut s = String::new();
        let area = {
            let root = SVGBackend::with_string(&mut s, (640, 300)).into_drawing_area();
            draw_compare(&root, &a, Some((&b, "after", "before")), None, false).unwrap()
        };
        for label in ["ingest", "etl", "after", "before"] {
            let x = text_x(&s, label).unwrap_or_else(|| panic!("no legend text {label}"));
            assert!(
                x > area.x1_px as f64,
                "{label} at x = {x} is inside the plot (right edge {})",
                area.x1_px
            );
            assert_eq!(
                s.matches(&format!(">\n{label}\n</text>")).count(),
                1,
                "{label} listed once"
            );
        }
        // Narrow charts put the legend above the plot instead.
        let mut s = String::new();
        let area = {
            let root = SVGBackend::with_string(&mut s, (300, 300)).into_drawing_area();
            draw_compare(&root, &a, None, None, false).unwrap()
        };
        let y = |label: &str| {
            let end = s.find(&format!(">\n{label}\n</text>")).unwrap();
            let start = s[..end].rfind("<text").unwrap();
            let y = s[start..end].split(" y=\"").nth(1).unwrap().split('"').next().unwrap();
            y.parse::<f64>().unwrap()
        };
        assert!(y("ingest") < area.y0_px as f64, "legend above the plot");
    }

    #[test]
    fn a_long_legend_is_cut_with_a_count_of_the_rest() {
        let a = ChartData {
            title: "t".into(),
            y_label: "records".into(),
            lines: (0..30)
                .map(|i| Line {
                    name: format!("stage-{i}"),
                    points: vec![(0.0, 1.0), (1.0, 2.0)],
                })
                .collect(),
            cursor_s: None,
        };
        let mut s = String::new();
        {
            let root = SVGBackend::with_string(&mut s, (640, 280)).into_drawing_area();
            draw_compare(&root, &a, None, None, false).unwrap();
        }
        assert!(s.contains(" more\n</text>"), "a count of hidden rows");
        assert!(!s.contains(">\nstage-29\n</text>"));
    }
}
