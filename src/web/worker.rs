//! The Web Worker side: receives [`ToWorker`] intents as JSON strings, runs
//! the [`Session`] in wall-clock slices (so it can hear "pause" between
//! them), and posts [`FromWorker`] snapshots back as JSON strings.

use crate::view::live::{self, FromWorker, ScenarioSource, Session, Settings, ToWorker};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// Wall-clock work per slice, in milliseconds (the worker answers messages between slices).
const SLICE_MS: f64 = 40.0;
/// At most this often a snapshot goes to the page while running, in milliseconds.
const SNAPSHOT_MS: f64 = 150.0;

#[derive(Default)]
struct State {
    session: Option<Session>,
    settings: Settings,
    playing: bool,
    /// Simulated seconds per wall second; 0 = as fast as possible.
    speed: f64,
    seek_ns: Option<u64>,
    focus: Option<(String, String)>,
    sent_points: usize,
    /// Pacing reference: wall ms and simulated ns when play (re)started.
    wall0_ms: f64,
    sim0_ns: u64,
    tick_pending: bool,
    last_snapshot_ms: f64,
    events_per_s: f64,
    /// Claims being checked: the story, its claims, the next to check.
    claims: Option<(String, Vec<crate::claims::ClaimSpec>, usize)>,
    /// Runs claims share (each distinct run once per worker).
    runner: crate::claims::Runner,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
    static TICK: RefCell<Option<Closure<dyn FnMut()>>> = const { RefCell::new(None) };
    static CLAIM_TICK: RefCell<Option<Closure<dyn FnMut()>>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

fn post(msg: &FromWorker) {
    match serde_json::to_string(msg) {
        Ok(s) => {
            if let Err(e) = scope().post_message(&JsValue::from_str(&s)) {
                web_sys::console::error_2(&"worker: post failed".into(), &e);
            }
        }
        Err(e) => web_sys::console::error_1(&format!("worker: {e}").into()),
    }
}

fn error(during: &str, message: impl Into<String>) {
    post(&FromWorker::Error {
        during: during.into(),
        message: message.into(),
    });
}

/// Starts the worker: listens for intents and says it is ready.
pub fn start() {
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(|e: MessageEvent| {
        let Some(text) = e.data().as_string() else {
            error("message", "the worker expects JSON text");
            return;
        };
        match serde_json::from_str::<ToWorker>(&text) {
            Ok(cmd) => handle(cmd),
            Err(e) => error("message", format!("unreadable message: {e}")),
        }
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    TICK.with(|t| *t.borrow_mut() = Some(Closure::<dyn FnMut()>::new(tick)));
    CLAIM_TICK.with(|t| *t.borrow_mut() = Some(Closure::<dyn FnMut()>::new(claim_turn)));
    post(&FromWorker::Ready {
        builtins: live::builtins(),
    });
}

fn schedule(delay_ms: i32) {
    let already = STATE.with(|s| std::mem::replace(&mut s.borrow_mut().tick_pending, true));
    if already {
        return;
    }
    TICK.with(|t| {
        if let Some(cb) = t.borrow().as_ref() {
            let _ =
                scope().set_timeout_with_callback_and_timeout_and_arguments_0(cb.as_ref().unchecked_ref(), delay_ms);
        }
    });
}

fn send_snapshot(st: &mut State) {
    let Some(s) = st.session.as_ref() else { return };
    let focus = st.focus.as_ref().map(|(a, b)| (a.as_str(), b.as_str()));
    let mut snap = s.snapshot(st.sent_points, focus);
    snap.playing = st.playing || st.seek_ns.is_some();
    snap.events_per_s = st.events_per_s;
    st.sent_points = s.points.len();
    st.last_snapshot_ms = now_ms();
    post(&FromWorker::Snapshot { snap: Box::new(snap) });
}

fn replace_session(st: &mut State, s: Session) {
    post(&FromWorker::Loaded {
        view: Box::new(s.view()),
    });
    st.session = Some(s);
    st.sent_points = 0;
    st.seek_ns = None;
    st.playing = false;
    send_snapshot(st);
}

fn handle(cmd: ToWorker) {
    let mut need_tick = false;
    STATE.with(|cell| {
        let st = &mut *cell.borrow_mut();
        match cmd {
            ToWorker::Load { source, settings } => {
                let o = match live::overrides(&settings) {
                    Ok(o) => o,
                    Err(e) => return error("load", e),
                };
                let made = match &source {
                    ScenarioSource::Builtin(n) => Session::builtin(n, o),
                    ScenarioSource::Text(t) => {
                        if t.len() > crate::scenario::MAX_SCENARIO_BYTES {
                            Err("the scenario text is larger than 4 MiB".to_string())
                        } else {
                            Session::new("custom", t, o)
                        }
                    }
                };
                match made {
                    Ok(s) => {
                        st.settings = settings;
                        replace_session(st, s);
                    }
                    Err(e) => error("load", e),
                }
            }
            ToWorker::Play { speed } => {
                if let Some(s) = st.session.as_ref() {
                    if s.finished() {
                        match s.restarted() {
                            Ok(s) => {
                                st.session = Some(s);
                                st.sent_points = 0;
                            }
                            Err(e) => return error("load", e),
                        }
                    }
                }
                st.playing = true;
                st.seek_ns = None;
                st.speed = if speed.is_finite() { speed.max(0.0) } else { 0.0 };
                st.wall0_ms = now_ms();
                st.sim0_ns = st.session.as_ref().map_or(0, |s| s.now_ns());
                need_tick = true;
            }
            ToWorker::Pause => {
                st.playing = false;
                st.seek_ns = None;
                send_snapshot(st);
            }
            ToWorker::Step => {
                st.playing = false;
                st.seek_ns = None;
                if let Some(s) = st.session.as_mut() {
                    s.advance();
                }
                send_snapshot(st);
            }
            ToWorker::Reset => {
                st.playing = false;
                st.seek_ns = None;
                if let Some(s) = st.session.as_ref() {
                    match s.restarted() {
                        Ok(s) => {
                            st.session = Some(s);
                            st.sent_points = 0;
                            send_snapshot(st);
                        }
                        Err(e) => error("load", e),
                    }
                }
            }
            ToWorker::Seek { t_s } => {
                let Some(s) = st.session.as_ref() else { return };
                let t_ns = if t_s.is_finite() && t_s > 0.0 {
                    (t_s * 1e9) as u64
                } else {
                    0
                };
                if t_ns < s.now_ns() {
                    match s.restarted() {
                        Ok(s) => {
                            st.session = Some(s);
                            st.sent_points = 0;
                        }
                        Err(e) => return error("load", e),
                    }
                }
                st.playing = false;
                st.seek_ns = Some(t_ns);
                need_tick = true;
            }
            ToWorker::Focus { stage, metric } => {
                st.focus = metric.map(|m| (stage.unwrap_or_default(), m));
                send_snapshot(st);
            }
            ToWorker::Edit { node, key, value } => {
                let Some(s) = st.session.as_ref() else { return };
                let made = s
                    .edited(&node, &key, &value)
                    .and_then(|text| Session::new("custom", &text, s.overrides.clone()));
                match made {
                    Ok(s) => replace_session(st, s),
                    Err(e) => error("edit", format!("{node}.{key}: {e}")),
                }
            }
            ToWorker::AddFault { fault } => {
                let Some(s) = st.session.as_ref() else { return };
                let made = s
                    .with_fault(&fault)
                    .and_then(|text| Session::new("custom", &text, s.overrides.clone()));
                match made {
                    Ok(s) => replace_session(st, s),
                    Err(e) => error("fault", e),
                }
            }
            ToWorker::Compare { name } => match name {
                None => post(&FromWorker::Overlay { overlay: None }),
                Some(n) => {
                    let o = match live::overrides(&st.settings) {
                        Ok(o) => o,
                        Err(e) => return error("compare", e),
                    };
                    match live::overlay(&n, o) {
                        Ok(ov) => post(&FromWorker::Overlay {
                            overlay: Some(Box::new(ov)),
                        }),
                        Err(e) => error("compare", e),
                    }
                }
            },
            ToWorker::CheckClaims { story } => match crate::claims::of_story(&story) {
                Ok(specs) => {
                    post(&FromWorker::Claims {
                        story: story.clone(),
                        claims: specs.iter().map(Into::into).collect(),
                    });
                    // A turn already scheduled goes on with the new list.
                    let idle = st.claims.is_none();
                    st.claims = (!specs.is_empty()).then_some((story, specs, 0));
                    if idle && st.claims.is_some() {
                        schedule_claim();
                    }
                }
                Err(e) => error("claims", e),
            },
            cmd => exchange(st, cmd),
        }
    });
    if need_tick {
        schedule(0);
    }
}

fn schedule_claim() {
    CLAIM_TICK.with(|t| {
        if let Some(cb) = t.borrow().as_ref() {
            let _ = scope().set_timeout_with_callback_and_timeout_and_arguments_0(cb.as_ref().unchecked_ref(), 0);
        }
    });
}

/// One claim per turn (its before and after runs, shared with the other
/// claims through the runner), so play, pause and a new request are heard
/// between claims.
fn claim_turn() {
    let again = STATE.with(|cell| {
        let st = &mut *cell.borrow_mut();
        let (story, specs, next) = st.claims.take()?;
        let spec = specs.get(next)?;
        post(&FromWorker::Claim {
            story: story.clone(),
            index: next,
            result: st.runner.check(spec),
        });
        let more = next + 1 < specs.len();
        st.claims = more.then_some((story, specs, next + 1));
        Some(more)
    });
    if again == Some(true) {
        schedule_claim();
    }
}

/// One slice of work: advance on the grid within the wall budget, then
/// report and reschedule.
fn tick() {
    let again = STATE.with(|cell| {
        let st = &mut *cell.borrow_mut();
        st.tick_pending = false;
        let (playing, speed, seek, wall0, sim0) = (st.playing, st.speed, st.seek_ns, st.wall0_ms, st.sim0_ns);
        let s = st.session.as_mut()?;
        let start = now_ms();
        let events0 = s.prepared.sim.events_processed;
        let target = match (seek, playing) {
            (Some(t), _) => Some(t),
            (None, true) if speed > 0.0 => Some(sim0 + ((start - wall0).max(0.0) / 1000.0 * speed * 1e9) as u64),
            (None, true) => Some(u64::MAX),
            _ => None,
        }?;
        while s.now_ns() < target && now_ms() - start < SLICE_MS {
            if !s.advance() {
                break;
            }
        }
        let spent_s = (now_ms() - start) / 1000.0;
        let done = s.prepared.sim.events_processed - events0;
        if spent_s > 0.0 && done > 0 {
            st.events_per_s = done as f64 / spent_s;
        }
        let finished = s.finished();
        let reached = s.now_ns() >= target;
        if seek.is_some() && (reached || finished) {
            st.seek_ns = None;
        }
        if finished {
            st.playing = false;
        }
        let active = st.playing || st.seek_ns.is_some();
        if !active || now_ms() - st.last_snapshot_ms >= SNAPSHOT_MS {
            send_snapshot(st);
        }
        // Paced play waits for the wall clock; fast play and seeks go on at once.
        active.then_some(if seek.is_none() && speed > 0.0 && reached {
            16
        } else {
            0
        })
    });
    if let Some(delay) = again {
        schedule(delay);
    }
}

/// Sharing and files: links, opened files, saves, exports, Mermaid imports
/// (the answers come from `view::exchange`).
fn exchange(st: &mut State, cmd: ToWorker) {
    use crate::view::exchange as ex;
    let opened = |st: &mut State, o: ex::OpenedRun| {
        post(&FromWorker::Opened {
            settings: o.settings.clone(),
            notice: o.notice,
            variant: o.variant,
        });
        st.settings = o.settings;
        replace_session(st, o.session);
    };
    match cmd {
        ToWorker::Open { name, text } if name.is_empty() => match ex::open_link(&text) {
            Ok(o) => opened(st, o),
            Err(e) => {
                // Never a blank page: the default scenario, then the reason.
                if let Ok(s) = Session::builtin(crate::scenario::builtin::DEFAULT, Default::default()) {
                    st.settings = Settings::default();
                    replace_session(st, s);
                }
                error("link", e);
            }
        },
        ToWorker::Open { name, text } => match ex::open_file(&name, &text) {
            Ok(o) => opened(st, o),
            Err(e) => error("file", e),
        },
        ToWorker::ImportMermaid { text, kinds } => match ex::import_mermaid(&text, &kinds) {
            Ok((session, report)) => {
                opened(
                    st,
                    ex::OpenedRun {
                        session,
                        settings: Settings::default(),
                        notice: None,
                        variant: None,
                    },
                );
                post(&FromWorker::Mermaid { report });
            }
            Err(e) => error("mermaid", e),
        },
        cmd => {
            let Some(s) = st.session.as_ref() else {
                return error("export", "no scenario is loaded");
            };
            let answer = match cmd {
                ToWorker::Export { what } if what == "link" => {
                    ex::share_fragment(s).map(|fragment| FromWorker::Link { fragment })
                }
                ToWorker::Export { what } => {
                    ex::export(s, &what, &|| now_ms() / 1000.0).map(|file| FromWorker::File { file })
                }
                _ => return,
            };
            match answer {
                Ok(a) => post(&a),
                Err(e) => error("export", e),
            }
        }
    }
}
