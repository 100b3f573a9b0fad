//! The page's state as a reducer over [`Msg`]: what the worker sent and what
//! the user chose. The page computes no metric; it keeps the points the
//! worker streamed and reshapes them for charts.

use crate::view::live::{BuiltinEntry, FromWorker, Overlay, Point, ScenarioView, Settings, Snapshot};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// A shared value compared by identity (cheap props).
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.0, &o.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Shared<T> {
    pub fn new(v: T) -> Self {
        Shared(Rc::new(v))
    }
}

/// Speeds offered, in simulated seconds per wall second (0: as fast as possible).
pub const SPEEDS: &[(f64, &str)] = &[
    (1.0, "1× real time"),
    (10.0, "10×"),
    (60.0, "1 min/s"),
    (600.0, "10 min/s"),
    (3600.0, "1 h/s"),
    (0.0, "as fast as possible"),
];

#[derive(Clone, PartialEq)]
pub struct Model {
    pub builtins: Vec<BuiltinEntry>,
    pub ready: bool,
    /// Picker value: a built-in's name or `custom`.
    pub current: String,
    pub view: Option<Shared<ScenarioView>>,
    pub snap: Option<Shared<Snapshot>>,
    pub points: Shared<Vec<Point>>,
    pub overlay: Option<Shared<Overlay>>,
    /// (during, message) of the last error, until the next success.
    pub error: Option<(String, String)>,
    pub selected: Option<String>,
    pub speed: f64,
    pub settings: Settings,
    pub dark: bool,
    /// Presentation mode: the current step.
    pub present: Option<usize>,
    pub loading: bool,
    /// The user's edited text of each built-in they changed (inspector
    /// edits, faults), kept when they switch away and restored when they
    /// come back, until "revert to built-in".
    pub edits: BTreeMap<String, String>,
    /// The built-in the text being loaded derives from (an edit of it, or
    /// its kept edits): the loaded run then shows under that built-in.
    pub base: Option<String>,
    /// Sharing, files and exports (`share`).
    pub share: super::share::ShareState,
    /// The Claims panel (`claims`).
    pub claims: super::claims::ClaimsState,
}

impl Model {
    /// The kept edited text of the current built-in, if any.
    pub fn edited_text(&self) -> Option<&String> {
        self.edits.get(&self.current)
    }
}

impl Default for Model {
    fn default() -> Self {
        Model {
            builtins: Vec::new(),
            ready: false,
            current: crate::scenario::builtin::DEFAULT.to_string(),
            view: None,
            snap: None,
            points: Shared::new(Vec::new()),
            overlay: None,
            error: None,
            selected: None,
            speed: 0.0,
            settings: Settings::default(),
            dark: false,
            present: None,
            loading: true,
            edits: BTreeMap::new(),
            base: None,
            share: Default::default(),
            claims: Default::default(),
        }
    }
}

pub enum Msg {
    Worker(FromWorker),
    Choose(String),
    Select(Option<String>),
    Speed(f64),
    Settings(Settings),
    Dark(bool),
    Present(Option<usize>),
    Loading,
    ClearError,
    /// The next load derives from this built-in (or from nothing).
    Base(Option<String>),
    /// Forget the edits of this built-in.
    Revert(String),
    Share(super::share::ShareMsg),
}

impl Reducible for Model {
    type Action = Msg;

    fn reduce(self: Rc<Self>, msg: Msg) -> Rc<Self> {
        let mut m = (*self).clone();
        match msg {
            Msg::Worker(FromWorker::Ready { builtins }) => {
                m.builtins = builtins;
                m.ready = true;
            }
            Msg::Worker(FromWorker::Loaded { view }) => {
                if m.selected
                    .as_ref()
                    .is_some_and(|s| !view.nodes.iter().any(|n| &n.id == s))
                {
                    m.selected = None;
                }
                // A different scenario drops the old overlay.
                if m.view.as_ref().is_some_and(|v| v.title != view.title) {
                    m.overlay = None;
                }
                // An edit runs as "custom" text: show it under the built-in
                // it came from, and keep that built-in's edited text.
                match (view.name.as_str(), m.base.clone()) {
                    ("custom", Some(b)) => {
                        m.edits.insert(b.clone(), view.text.clone());
                        m.current = b;
                    }
                    _ => m.current = view.name.clone(),
                }
                m.view = Some(Shared(Rc::new(*view)));
                m.error = None;
                m.loading = false;
            }
            Msg::Worker(FromWorker::Snapshot { snap }) => {
                let mut pts: Vec<Point> = m.points.0.as_ref().clone();
                pts.truncate(snap.first_point);
                pts.extend(snap.points.iter().cloned());
                m.points = Shared::new(pts);
                m.snap = Some(Shared::new(*snap));
            }
            Msg::Worker(FromWorker::Overlay { overlay }) => {
                m.overlay = overlay.map(|o| Shared::new(*o));
            }
            Msg::Worker(FromWorker::Error { during, message }) => {
                m.error = Some((during, message));
                m.loading = false;
                m.share.busy = None;
            }
            Msg::Worker(
                w @ (FromWorker::Link { .. }
                | FromWorker::Opened { .. }
                | FromWorker::File { .. }
                | FromWorker::Mermaid { .. }),
            ) => {
                if let FromWorker::Opened { settings, .. } = &w {
                    m.settings = settings.clone();
                }
                m.share.on_worker(w);
            }
            Msg::Worker(w @ (FromWorker::Claims { .. } | FromWorker::Claim { .. })) => m.claims.on_worker(w),
            Msg::Choose(name) => {
                super::share::forget_link();
                m.current = name;
                m.selected = None;
                m.overlay = None;
                m.present = None;
            }
            Msg::Select(s) => m.selected = s,
            Msg::Speed(s) => m.speed = s,
            Msg::Settings(s) => m.settings = s,
            Msg::Dark(d) => m.dark = d,
            Msg::Present(p) => m.present = p,
            Msg::Loading => m.loading = true,
            Msg::ClearError => m.error = None,
            Msg::Base(b) => m.base = b,
            Msg::Revert(name) => {
                m.edits.remove(&name);
                m.base = None;
            }
            Msg::Share(a) => m.share.on_action(a),
        }
        Rc::new(m)
    }
}
