//! Recording a run as a WebM video: every 100 ms the diagram (its SVG,
//! serialised with the page's stylesheet inlined, loaded as an image) and
//! the chart canvases are composited onto an off-screen 1280×720 canvas,
//! whose `captureStream()` a `MediaRecorder` encodes; stopping downloads
//! `pipelab-<scenario>.webm`.

use super::files;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    BlobEvent, BlobPropertyBag, CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement, MediaRecorder,
    MediaRecorderOptions,
};

const W: u32 = 1280;
const H: u32 = 720;
const FRAME_MS: i32 = 100;

struct Recording {
    recorder: MediaRecorder,
    interval: i32,
    _tick: Closure<dyn FnMut()>,
    _data: Closure<dyn FnMut(BlobEvent)>,
    _stop: Closure<dyn FnMut()>,
}

#[derive(Default)]
struct Frame {
    /// The last diagram image that finished loading.
    diagram: Option<HtmlImageElement>,
    loading: bool,
    css: String,
    title: String,
}

thread_local! {
    static REC: RefCell<Option<Recording>> = const { RefCell::new(None) };
    static FRAME: RefCell<Frame> = RefCell::new(Frame::default());
}

/// Whether this browser can record (`MediaRecorder` and `captureStream`).
pub fn supported() -> bool {
    let Some(w) = web_sys::window() else { return false };
    js_sys::Reflect::has(&w, &"MediaRecorder".into()).unwrap_or(false)
        && js_sys::Reflect::get(&w, &"HTMLCanvasElement".into())
            .and_then(|c| js_sys::Reflect::get(&c, &"prototype".into()))
            .and_then(|p| js_sys::Reflect::has(&p, &"captureStream".into()))
            .unwrap_or(false)
}

fn document() -> Result<web_sys::Document, String> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| "no document".into())
}

/// The page's stylesheet rules as text (the diagram's classes and colour variables).
fn page_css(doc: &web_sys::Document) -> String {
    let mut css = String::new();
    let get = |v: &JsValue, k: &str| js_sys::Reflect::get(v, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let sheets = get(doc, "styleSheets");
    let n = get(&sheets, "length").as_f64().unwrap_or(0.0) as u32;
    for i in 0..n {
        let sheet = js_sys::Reflect::get_u32(&sheets, i).unwrap_or(JsValue::UNDEFINED);
        // Cross-origin sheets refuse `cssRules`: skip them.
        let Ok(rules) = js_sys::Reflect::get(&sheet, &"cssRules".into()) else {
            continue;
        };
        let m = get(&rules, "length").as_f64().unwrap_or(0.0) as u32;
        for j in 0..m {
            let r = js_sys::Reflect::get_u32(&rules, j).unwrap_or(JsValue::UNDEFINED);
            if let Some(t) = get(&r, "cssText").as_string() {
                css.push_str(&t);
                css.push('\n');
            }
        }
    }
    css
}

/// Starts recording; the file is offered as `name` when stopped.
pub fn start(name: &str, title: &str) -> Result<(), String> {
    if !supported() {
        return Err("this browser cannot record video (no MediaRecorder)".into());
    }
    stop();
    let doc = document()?;
    let canvas: HtmlCanvasElement = doc
        .create_element("canvas")
        .map_err(|e| format!("{e:?}"))?
        .dyn_into()
        .map_err(|_| "not a canvas")?;
    canvas.set_width(W);
    canvas.set_height(H);
    FRAME.with(|f| {
        let mut f = f.borrow_mut();
        *f = Frame {
            css: page_css(&doc),
            title: title.to_string(),
            ..Frame::default()
        };
    });
    draw_frame(&canvas);
    let stream = canvas.capture_stream().map_err(|e| format!("captureStream: {e:?}"))?;
    let opts = MediaRecorderOptions::new();
    let mime = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"]
        .into_iter()
        .find(|m| MediaRecorder::is_type_supported(m))
        .ok_or("this browser cannot encode WebM")?;
    opts.set_mime_type(mime);
    let recorder = MediaRecorder::new_with_media_stream_and_media_recorder_options(&stream, &opts)
        .map_err(|e| format!("MediaRecorder: {e:?}"))?;
    let chunks = js_sys::Array::new();
    let data = {
        let chunks = chunks.clone();
        Closure::<dyn FnMut(BlobEvent)>::new(move |e: BlobEvent| {
            if let Some(b) = e.data() {
                if b.size() > 0.0 {
                    chunks.push(&b);
                }
            }
        })
    };
    let stop_cb = {
        let name = name.to_string();
        Closure::<dyn FnMut()>::new(move || {
            let bag = BlobPropertyBag::new();
            bag.set_type("video/webm");
            if let Ok(blob) = web_sys::Blob::new_with_blob_sequence_and_options(&chunks, &bag) {
                files::download_blob(&name, &blob);
            }
        })
    };
    recorder.set_ondataavailable(Some(data.as_ref().unchecked_ref()));
    recorder.set_onstop(Some(stop_cb.as_ref().unchecked_ref()));
    let tick = {
        let canvas = canvas.clone();
        Closure::<dyn FnMut()>::new(move || draw_frame(&canvas))
    };
    let interval = web_sys::window()
        .ok_or("no window")?
        .set_interval_with_callback_and_timeout_and_arguments_0(tick.as_ref().unchecked_ref(), FRAME_MS)
        .map_err(|e| format!("{e:?}"))?;
    recorder.start_with_time_slice(1000).map_err(|e| format!("{e:?}"))?;
    REC.with(|r| {
        *r.borrow_mut() = Some(Recording {
            recorder,
            interval,
            _tick: tick,
            _data: data,
            _stop: stop_cb,
        })
    });
    Ok(())
}

/// Stops recording (the download follows when the recorder has flushed).
pub fn stop() {
    if let Some(rec) = REC.with(|r| r.borrow_mut().take()) {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(rec.interval);
        }
        let _ = rec.recorder.stop();
        // The closures must outlive the final `dataavailable` and `stop` events.
        std::mem::forget(rec);
    }
}

/// Starts loading the diagram's current picture (drawn at a later frame).
fn load_diagram(doc: &web_sys::Document) {
    let busy = FRAME.with(|f| f.borrow().loading);
    if busy {
        return;
    }
    let Some(svg) = doc.get_element_by_id("diagram") else {
        return;
    };
    let Ok(copy) = svg.clone_node_with_deep(true) else {
        return;
    };
    let Ok(copy) = copy.dyn_into::<web_sys::Element>() else {
        return;
    };
    let r = svg.get_bounding_client_rect();
    let _ = copy.set_attribute("width", &format!("{:.0}", r.width().max(1.0)));
    let _ = copy.set_attribute("height", &format!("{:.0}", r.height().max(1.0)));
    let theme = doc
        .document_element()
        .and_then(|e| e.get_attribute("data-theme"))
        .unwrap_or_else(|| "light".into());
    let _ = copy.set_attribute("data-theme", &theme);
    let Ok(ser) = web_sys::XmlSerializer::new() else { return };
    let Ok(mut text) = ser.serialize_to_string(&copy) else {
        return;
    };
    // Inline the stylesheet right after the opening tag.
    if let Some(end) = text.find('>') {
        let css = FRAME.with(|f| f.borrow().css.clone());
        // An image does not inherit the page's font: the stack of styles.css's `html`.
        let style = format!(
            "<style><![CDATA[svg {{ font-family: \"Inter\", \"Segoe UI\", \"Helvetica Neue\", Arial, sans-serif; }}\n{}]]></style>",
            css.replace("]]>", "")
        );
        text.insert_str(end + 1, &style);
    }
    let url = format!(
        "data:image/svg+xml;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(&text))
    );
    let Ok(img) = HtmlImageElement::new() else { return };
    let done = {
        let img = img.clone();
        Closure::once_into_js(move || {
            FRAME.with(|f| {
                let mut f = f.borrow_mut();
                f.diagram = Some(img);
                f.loading = false;
            })
        })
    };
    let failed = Closure::once_into_js(move || FRAME.with(|f| f.borrow_mut().loading = false));
    img.set_onload(Some(done.unchecked_ref()));
    img.set_onerror(Some(failed.unchecked_ref()));
    FRAME.with(|f| f.borrow_mut().loading = true);
    img.set_src(&url);
}

/// Fits a `w`×`h` picture into the box, centred; (x, y, w, h).
fn fit(w: f64, h: f64, bx: f64, by: f64, bw: f64, bh: f64) -> (f64, f64, f64, f64) {
    if w <= 0.0 || h <= 0.0 {
        return (bx, by, 0.0, 0.0);
    }
    let k = (bw / w).min(bh / h);
    (bx + (bw - w * k) / 2.0, by + (bh - h * k) / 2.0, w * k, h * k)
}

/// One video frame: title and time, the diagram on top, charts below.
fn draw_frame(canvas: &HtmlCanvasElement) {
    let Ok(doc) = document() else { return };
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let dark = doc
        .document_element()
        .and_then(|e| e.get_attribute("data-theme"))
        .is_some_and(|t| t == "dark");
    let (bg, fg) = if dark {
        ("#12151c", "#e4e7ec")
    } else {
        ("#ffffff", "#1f2430")
    };
    let (w, h) = (W as f64, H as f64);
    ctx.set_fill_style_str(bg);
    ctx.fill_rect(0.0, 0.0, w, h);
    ctx.set_fill_style_str(fg);
    ctx.set_font("600 20px sans-serif");
    let title = FRAME.with(|f| f.borrow().title.clone());
    let _ = ctx.fill_text(&title, 24.0, 34.0);
    if let Some(t) = doc.get_element_by_id("sim-time").and_then(|e| e.text_content()) {
        ctx.set_font("16px sans-serif");
        let _ = ctx.fill_text(&format!("simulated {t}"), w - 300.0, 34.0);
    }
    let top = 48.0;
    let diagram_h = (h - top) * 0.55;
    if let Some(img) = FRAME.with(|f| f.borrow().diagram.clone()) {
        let (x, y, dw, dh) = fit(
            img.natural_width() as f64,
            img.natural_height() as f64,
            16.0,
            top,
            w - 32.0,
            diagram_h,
        );
        let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(&img, x, y, dw, dh);
    }
    load_diagram(&doc);
    // Up to three charts in a row below.
    let charts = doc.query_selector_all("canvas.chart").ok();
    let n = charts.as_ref().map_or(0, |c| c.length()).min(3);
    let y0 = top + diagram_h + 8.0;
    let cw = (w - 16.0) / n.max(1) as f64;
    for i in 0..n {
        let Some(c) = charts
            .as_ref()
            .and_then(|l| l.item(i))
            .and_then(|n| n.dyn_into::<HtmlCanvasElement>().ok())
        else {
            continue;
        };
        let (x, y, dw, dh) = fit(
            c.width() as f64,
            c.height() as f64,
            8.0 + i as f64 * cw,
            y0,
            cw - 8.0,
            h - y0 - 8.0,
        );
        let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&c, x, y, dw, dh);
    }
}
