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

/// Axis labels: SI suffixes for large values, three significant figures
/// for small ones (0.0042 stays 0.0042, not 0).
fn short(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{:.1}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || v == v.trunc() {
        format!("{v:.0}")
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
    let empty = ChartData {
        title: String::new(),
        y_label: String::new(),
        lines: Vec::new(),
        cursor_s: None,
    };
    let ov = overlay.unwrap_or(&empty);
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
    // Head-room above the data keeps the legend (top left) off the lines.
    let legend_rows = (data.lines.len() + ov.lines.len()).min(8) as f64;
    let max_y = if max_y <= 0.0 {
        1.0
    } else {
        max_y * (1.12 + 0.07 * legend_rows)
    };
    let (unit, unit_name) = time_axis_unit(max_t);
    let mut chart = ChartBuilder::on(root)
        .caption(&data.title, ("sans-serif", 17).into_font().color(&fg))
        .margin(12)
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
    for (i, l) in data.lines.iter().enumerate() {
        let (r, g, b) = PALETTE[i % PALETTE.len()];
        let color = RGBColor(r, g, b);
        chart
            .draw_series(LineSeries::new(
                l.points.iter().map(|&(t, v)| (t / unit, v)),
                color.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(l.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(3)));
    }
    for (i, l) in ov.lines.iter().enumerate() {
        let (r, g, b) = PALETTE[i % PALETTE.len()];
        let color = RGBColor(r, g, b).mix(0.75);
        chart
            .draw_series(DashedLineSeries::new(
                l.points.iter().map(|&(t, v)| (t / unit, v)),
                6,
                4,
                color.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?
            .label(l.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 6, y)], color.stroke_width(2)) as PathElement<(i32, i32)>
            });
    }
    if let Some(c) = data.cursor_s {
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(c / unit, 0.0), (c / unit, max_y)],
                fg.mix(0.35).stroke_width(1),
            )))
            .map_err(|e| e.to_string())?;
    }
    if !data.lines.is_empty() || !ov.lines.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(bg.mix(0.85))
            .border_style(grid)
            .label_font(("sans-serif", 12).into_font().color(&fg))
            .draw()
            .map_err(|e| e.to_string())?;
    }
    let (xr, yr) = chart.plotting_area().get_pixel_range();
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
}
