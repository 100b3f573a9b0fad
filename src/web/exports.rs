//! The page's charts as files: every chart drawn by the same code as on
//! screen (`view::chart::draw_with`), two per row, either with plotters'
//! SVG backend (one `<svg>` holding one nested `<svg>` per chart) or on an
//! off-screen canvas saved as PNG.

use super::charts::ChartSpec;
use super::files;
use super::state::Shared;
use crate::view::chart;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;

/// One chart's size in the export, in pixels.
const W: u32 = 720;
const H: u32 = 360;
const COLS: u32 = 2;

fn grid(n: usize) -> (u32, u32) {
    let rows = (n as u32).div_ceil(COLS).max(1);
    (COLS * W, rows * H)
}

fn cell(i: usize) -> (u32, u32) {
    ((i as u32 % COLS) * W, (i as u32 / COLS) * H)
}

/// All charts as one SVG document.
pub fn charts_svg(specs: &[Shared<ChartSpec>], dark: bool) -> Result<String, String> {
    let (tw, th) = grid(specs.len());
    let bg = if dark { "#181c24" } else { "#ffffff" };
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{tw}\" height=\"{th}\" viewBox=\"0 0 {tw} {th}\">\n<rect width=\"{tw}\" height=\"{th}\" fill=\"{bg}\"/>\n"
    );
    for (i, spec) in specs.iter().enumerate() {
        let mut s = String::new();
        {
            let root = SVGBackend::with_string(&mut s, (W, H)).into_drawing_area();
            chart::draw_with(&root, &spec.data, spec.overlay.as_ref(), Some(spec.span_s), dark)?;
        }
        let (x, y) = cell(i);
        // Nest the chart's own document at its place in the grid.
        out.push_str(&s.replacen("<svg ", &format!("<svg x=\"{x}\" y=\"{y}\" "), 1));
        out.push('\n');
    }
    out.push_str("</svg>\n");
    Ok(out)
}

/// All charts drawn on an off-screen canvas.
pub fn charts_canvas(specs: &[Shared<ChartSpec>], dark: bool) -> Result<HtmlCanvasElement, String> {
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let canvas: HtmlCanvasElement = doc
        .create_element("canvas")
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "not a canvas")?;
    let (tw, th) = grid(specs.len());
    canvas.set_width(tw);
    canvas.set_height(th);
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2D context")?;
    let root = backend.into_drawing_area();
    let bg = if dark { RGBColor(24, 28, 36) } else { WHITE };
    root.fill(&bg).map_err(|e| e.to_string())?;
    for (i, spec) in specs.iter().enumerate() {
        let (x, y) = cell(i);
        let area = root.clone().shrink((x, y), (W, H));
        chart::draw_with(&area, &spec.data, spec.overlay.as_ref(), Some(spec.span_s), dark)?;
    }
    Ok(canvas)
}

/// Downloads the charts as `<stem>-charts.svg` or `.png`.
pub fn download_charts(specs: &[Shared<ChartSpec>], dark: bool, stem: &str, png: bool) -> Result<(), String> {
    if specs.is_empty() {
        return Err("no charts yet: load a scenario first".into());
    }
    if png {
        let c = charts_canvas(specs, dark)?;
        let url = c.to_data_url().map_err(|e| format!("{e:?}"))?;
        files::download_url(&format!("{stem}-charts.png"), &url);
    } else {
        let svg = charts_svg(specs, dark)?;
        files::download_text(&format!("{stem}-charts.svg"), "image/svg+xml", &svg);
    }
    Ok(())
}
