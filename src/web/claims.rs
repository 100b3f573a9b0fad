//! The Claims panel: a story's claims from `data/claims.toml`, checked by the
//! worker one claim per turn with the same `claims::Runner` as `pipelab
//! claims`, shown as they arrive (seed figure, simulated before → after,
//! change, within tolerance or not; the mechanism on hover and expand).

use super::bridge;
use crate::claims::{ClaimResult, ClaimTitle};
use crate::view::live::{FromWorker, ToWorker};
use yew::prelude::*;

/// What the worker said about the last claims asked for.
#[derive(Clone, Default, PartialEq)]
pub struct ClaimsState {
    /// The story the rows belong to (empty: nothing asked yet).
    pub story: String,
    pub rows: Vec<ClaimTitle>,
    pub results: Vec<Option<Result<ClaimResult, String>>>,
}

impl ClaimsState {
    pub fn on_worker(&mut self, w: FromWorker) {
        match w {
            FromWorker::Claims { story, claims } => {
                self.results = vec![None; claims.len()];
                self.rows = claims;
                self.story = story;
            }
            FromWorker::Claim { story, index, result } if story == self.story => {
                if let Some(slot) = self.results.get_mut(index) {
                    *slot = Some(result);
                }
            }
            _ => {}
        }
    }

    fn running(&self) -> bool {
        self.results.iter().any(Option::is_none)
    }
}

/// The panel for the story `story` (its `[story] id`).
pub fn panel(c: &ClaimsState, story: &str) -> Html {
    let mine = c.story == story;
    let running = mine && c.running();
    let done = c.results.iter().flatten().count();
    let held = c
        .results
        .iter()
        .flatten()
        .flatten()
        .filter(|r| r.within_tolerance)
        .count();
    let on_check = {
        let story = story.to_string();
        Callback::from(move |_: MouseEvent| bridge::send(&ToWorker::CheckClaims { story: story.clone() }))
    };
    let status = match (mine, running) {
        (false, _) => String::new(),
        (true, _) if c.rows.is_empty() => "no claims recorded for this story".into(),
        (true, true) => format!("checking {} of {}…", done + 1, c.rows.len()),
        (true, false) => format!("{held} of {} within tolerance", c.rows.len()),
    };
    html! {
        <section class="panel claims" id="claims">
            <div class="panel-head">
                <h2>{ "Claims" }</h2>
                <span class="claims-status" id="claims-status">{ status }</span>
                <div class="spacer" />
                <button id="check-claims" disabled={running}
                    title="run each claim's before and after built-ins as data/claims.toml sets them (your edits and provider choice do not apply)"
                    onclick={on_check}>{ if mine && !running { "↻ Check again" } else { "Check the story's claims" } }</button>
            </div>
            if mine && !c.rows.is_empty() {
                <table class="claims-table">
                    <thead><tr>
                        <th>{ "claim" }</th><th>{ "seed figure" }</th><th class="num">{ "model before" }</th>
                        <th class="num">{ "→ after" }</th><th>{ "unit" }</th><th class="num">{ "change" }</th><th class="verdict">{ "" }</th>
                    </tr></thead>
                    <tbody>
                        { for c.rows.iter().zip(c.results.iter()).enumerate().map(|(i, (t, r))| row(t, r.as_ref(), i == done)) }
                    </tbody>
                </table>
            }
        </section>
    }
}

fn row(t: &ClaimTitle, r: Option<&Result<ClaimResult, String>>, next: bool) -> Html {
    let claim = html! {
        <td class="claim" title={t.mechanism.clone()}>
            <details>
                <summary>{ &t.claim }</summary>
                <p class="mechanism">{ &t.mechanism }</p>
                if let Some(Ok(ClaimResult { within_tolerance: false, known_miss: Some(why), .. })) = r {
                    <p class="miss">{ format!("known miss: {why}") }</p>
                }
            </details>
        </td>
    };
    let seed = html! { <td class="seed">{ &t.seed_figure }</td> };
    match r {
        Some(Ok(r)) => {
            let f = r.shown();
            html! {
                <tr key={t.id.clone()} data-id={t.id.clone()} data-before={r.before.to_string()}
                    data-after={r.after.to_string()} data-ok={r.within_tolerance.to_string()}>
                    { claim }{ seed }
                    <td class="num">{ f.before }</td>
                    <td class="num">{ format!("→ {}", f.after) }</td>
                    <td class="unit">{ &r.unit }</td>
                    <td class="num">{ f.change }</td>
                    <td class={classes!("verdict", if r.within_tolerance { "ok" } else { "bad" })} title={format!("required: {}", r.criterion)}>
                        { if r.within_tolerance { "✓ within tolerance" } else { "✗ outside" } }
                    </td>
                </tr>
            }
        }
        Some(Err(e)) => html! {
            <tr key={t.id.clone()} data-id={t.id.clone()}>
                { claim }{ seed }<td colspan="5" class="bad">{ format!("could not check: {e}") }</td>
            </tr>
        },
        None => html! {
            <tr key={t.id.clone()} data-id={t.id.clone()} class="pending">
                { claim }{ seed }<td colspan="5" class="muted">{ if next { "running before and after…" } else { "waiting" } }</td>
            </tr>
        },
    }
}
