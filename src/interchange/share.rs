//! Share links: a scenario (with the user's edits), its seed, provider,
//! story variant and the engine version, in one URL-fragment string.
//!
//! ```text
//!  Shared ──JSON──▶ bytes ──zlib (deflate + Adler-32)──▶ base64url ──▶ "p1." + text
//! ```
//!
//! Decoding checks everything and never panics: the `p1.` prefix, the
//! base64url alphabet, the length (at most [`MAX_FRAGMENT_CHARS`]), the
//! zlib checksum (a changed character fails it), the inflated size (at most
//! [`MAX_INFLATED_BYTES`], checked while inflating, so a small bomb cannot
//! allocate more), the JSON fields, and that the scenario text parses. A
//! link made by another engine version still opens; [`Opened::notice`]
//! says results may differ.

use super::base64url;
use crate::scenario::schema::Provider;
use crate::scenario::{self, Format};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Prefix of the current payload format.
pub const PREFIX: &str = "p1.";
/// The longest fragment accepted (characters).
pub const MAX_FRAGMENT_CHARS: usize = 512 * 1024;
/// The most bytes a payload may inflate to (the scenario size cap plus room
/// for the other fields).
pub const MAX_INFLATED_BYTES: usize = scenario::MAX_SCENARIO_BYTES + 4096;

/// What a link carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shared {
    /// Scenario text as the user has it (TOML or JSON), edits included.
    #[serde(rename = "s")]
    pub scenario: String,
    /// Seed to run with (else the scenario's).
    #[serde(rename = "seed", default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Provider to map to (else the scenario's).
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// Story variant or built-in the user was looking at, for the UI.
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// [`crate::report::ENGINE_VERSION`] of the engine that made the link.
    #[serde(rename = "e")]
    pub engine_version: String,
}

impl Shared {
    /// A payload made by this engine.
    pub fn new(scenario: impl Into<String>) -> Self {
        Shared {
            scenario: scenario.into(),
            seed: None,
            provider: None,
            variant: None,
            engine_version: crate::report::ENGINE_VERSION.to_string(),
        }
    }

    /// The run overrides the link asks for (seed and provider).
    pub fn overrides(&self) -> crate::run::Overrides {
        crate::run::Overrides {
            seed: self.seed,
            duration_ns: None,
            provider: self.provider,
        }
    }

    /// The scenario's format (JSON starts with `{`).
    pub fn format(&self) -> Format {
        Format::sniff(&self.scenario)
    }
}

/// A decoded link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    pub shared: Shared,
    /// Set when the link was made by another engine version: the notice to
    /// show, since results may differ from what its author saw.
    pub notice: Option<String>,
}

/// Why a link could not be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareError(pub String);

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "share link: {}", self.0)
    }
}

impl std::error::Error for ShareError {}

fn bad<T>(msg: impl Into<String>) -> Result<T, ShareError> {
    Err(ShareError(msg.into()))
}

/// What travels: a [`Shared`] whose scenario is either the whole text (`s`)
/// or a built-in (`b`, its text's hash `h`) with lines `at..at + del`
/// replaced by `ins`.
#[derive(Serialize, Deserialize)]
struct Wire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    b: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    h: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    del: Option<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ins: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<Provider>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    v: Option<String>,
    e: String,
}

fn text_hash(t: &str) -> String {
    format!("{:016x}", crate::sim::rng::fnv1a64(t.as_bytes()))
}

/// The one span of lines where `text` differs from `base`: (first line,
/// lines of `base` replaced, lines of `text` put there).
fn line_edit(base: &str, text: &str) -> (usize, usize, Vec<String>) {
    let a: Vec<&str> = base.split('\n').collect();
    let b: Vec<&str> = text.split('\n').collect();
    let pre = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let max_suf = a.len().min(b.len()) - pre;
    let suf = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suf)
        .take_while(|(x, y)| x == y)
        .count();
    let ins = b[pre..b.len() - suf].iter().map(|l| l.to_string()).collect();
    (pre, a.len() - suf - pre, ins)
}

fn pack(w: &Wire) -> String {
    let json = serde_json::to_vec(w).unwrap_or_default();
    let z = miniz_oxide::deflate::compress_to_vec_zlib(&json, 10);
    format!("{PREFIX}{}", base64url::encode(&z))
}

/// Encodes a payload as a fragment (without the `#`).
pub fn encode(s: &Shared) -> String {
    let mut w = Wire {
        s: Some(s.scenario.clone()),
        b: None,
        h: None,
        at: None,
        del: None,
        ins: Vec::new(),
        seed: s.seed,
        p: s.provider,
        v: s.variant.clone(),
        e: s.engine_version.clone(),
    };
    let whole = pack(&w);
    // The built-in closest to the text: the smallest changed span.
    let best = crate::scenario::builtin::all()
        .iter()
        .map(|b| (b, line_edit(b.text, &s.scenario)))
        .min_by_key(|(_, (_, del, ins))| del + ins.len());
    let Some((b, (at, del, ins))) = best else {
        return whole;
    };
    w.s = None;
    w.b = Some(b.name.to_string());
    w.h = Some(text_hash(b.text));
    w.at = Some(at);
    w.del = Some(del);
    w.ins = ins;
    let edited = pack(&w);
    if edited.len() < whole.len() {
        edited
    } else {
        whole
    }
}

/// The scenario text a wire payload stands for.
fn scenario_of(w: &Wire) -> Result<String, ShareError> {
    if let Some(s) = &w.s {
        return Ok(s.clone());
    }
    let Some(name) = &w.b else {
        return bad("its contents are not a pipelab payload (no scenario)");
    };
    let Some(b) = crate::scenario::builtin::find(name) else {
        return bad(format!(
            "it edits the built-in `{name}`, which this pipelab does not have"
        ));
    };
    if w.h.as_deref() != Some(text_hash(b.text).as_str()) {
        return bad(format!(
            "it edits the built-in `{name}` as it was in another pipelab version ({}); open it there, or ask for a link with the whole scenario",
            w.e
        ));
    }
    let lines: Vec<&str> = b.text.split('\n').collect();
    let (at, del) = (w.at.unwrap_or(0), w.del.unwrap_or(0));
    if at.checked_add(del).is_none_or(|end| end > lines.len()) {
        return bad("damaged (its edit lies outside the built-in)");
    }
    let mut out: Vec<&str> = lines[..at].to_vec();
    out.extend(w.ins.iter().map(String::as_str));
    out.extend(&lines[at + del..]);
    Ok(out.join("\n"))
}

/// The fragment part of a link: everything after the first `#`, or the
/// whole text when it has none (a bare fragment); a leading `share=` is
/// allowed.
pub fn fragment_of(link: &str) -> &str {
    let t = link.trim();
    let f = t.split_once('#').map_or(t, |(_, f)| f);
    f.strip_prefix("share=").unwrap_or(f)
}

/// Inflates the zlib stream `z`, which must be all of `z`: bytes after its
/// checksum (characters added to a link) are refused, as are streams that
/// inflate past `limit` bytes, fail their checksum or stop short.
fn inflate_whole(z: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    use miniz_oxide::inflate::stream::{inflate, InflateState};
    use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};
    let mut state = InflateState::new_boxed(DataFormat::Zlib);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut rest = z;
    loop {
        let r = inflate(&mut state, rest, &mut buf, MZFlush::None);
        rest = &rest[r.bytes_consumed..];
        out.extend_from_slice(&buf[..r.bytes_written]);
        if out.len() > limit {
            return Err(format!("it inflates past {limit} bytes (the limit)"));
        }
        match r.status {
            Ok(MZStatus::StreamEnd) if rest.is_empty() => return Ok(out),
            Ok(MZStatus::StreamEnd) => return Err(format!("damaged ({} bytes after the end of its data)", rest.len())),
            Ok(_) if r.bytes_consumed > 0 || r.bytes_written > 0 => {}
            Err(MZError::Data) if state.last_status() == miniz_oxide::inflate::TINFLStatus::Adler32Mismatch => {
                return Err("damaged (checksum mismatch)".into())
            }
            _ => return Err("damaged or truncated (cannot be inflated)".into()),
        }
    }
}

/// Decodes a link or fragment, checking everything.
pub fn decode(link: &str) -> Result<Opened, ShareError> {
    let frag = fragment_of(link);
    if frag.len() > MAX_FRAGMENT_CHARS {
        return bad(format!(
            "it is {} characters long; the limit is {MAX_FRAGMENT_CHARS}",
            frag.len()
        ));
    }
    let Some(body) = frag.strip_prefix(PREFIX) else {
        let shown: String = frag.chars().take(12).collect();
        return bad(format!(
            "it does not start with `{PREFIX}` (found `{shown}`): not a pipelab link, or from a newer pipelab"
        ));
    };
    let z = base64url::decode(body).map_err(|e| ShareError(format!("damaged ({e})")))?;
    let json = inflate_whole(&z, MAX_INFLATED_BYTES).map_err(ShareError)?;
    let wire: Wire = serde_json::from_slice(&json)
        .map_err(|e| ShareError(format!("its contents are not a pipelab payload ({e})")))?;
    let shared = Shared {
        scenario: scenario_of(&wire)?,
        seed: wire.seed,
        provider: wire.p,
        variant: wire.v,
        engine_version: wire.e,
    };
    if shared.scenario.len() > scenario::MAX_SCENARIO_BYTES {
        return bad("its scenario is over the size limit");
    }
    if let Err(e) = scenario::parse(&shared.scenario, shared.format()) {
        return bad(format!("its scenario does not parse: {e}"));
    }
    let notice = (shared.engine_version != crate::report::ENGINE_VERSION).then(|| {
        format!(
            "This link was made with {}; this is {}. Results may differ from what its author saw.",
            shared.engine_version,
            crate::report::ENGINE_VERSION
        )
    });
    Ok(Opened { shared, notice })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::builtin;

    fn sample() -> Shared {
        let mut s = Shared::new(builtin::find("mm4-teaching").unwrap().text);
        s.seed = Some(9);
        s.provider = Some(Provider::Gcp);
        s.variant = Some("after".into());
        s
    }

    #[test]
    fn a_payload_round_trips_through_a_url() {
        let s = sample();
        let f = encode(&s);
        assert!(f.starts_with(PREFIX));
        assert!(
            f.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "{f}"
        );
        let o = decode(&format!("https://example.org/pipelab/#{f}")).unwrap();
        assert_eq!(o.shared, s);
        assert_eq!(o.notice, None);
        assert_eq!(decode(&f).unwrap().shared, s);
    }

    #[test]
    fn tampered_truncated_and_foreign_links_are_clear_errors() {
        let f = encode(&sample());
        // Every single-character change and every truncation fails cleanly,
        // or (when deflate happens to decode the changed bits to the same
        // bytes) opens exactly the original: never a different scenario.
        let body_start = PREFIX.len();
        for i in (body_start..f.len()).step_by(7) {
            let mut b = f.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let t = String::from_utf8(b).unwrap();
            match decode(&t) {
                Err(_) => {}
                Ok(o) => assert_eq!(o.shared, sample(), "change at {i} opened another payload"),
            }
        }
        for cut in [f.len() - 1, f.len() - 5, f.len() / 2, body_start + 1] {
            assert!(decode(&f[..cut]).is_err(), "truncated at {cut}");
        }
        // Characters added to the end decode to bytes after the zlib
        // checksum, which the inflater would ignore: they are refused.
        for extra in ["A", "AA", "xy", "AAA", "AAAA", "Zm9v", "QUFBQUFB"] {
            let e = decode(&format!("{f}{extra}")).expect_err(extra).0;
            assert!(e.contains("damaged"), "{extra}: {e}");
        }
        let mut flipped = f.clone().into_bytes();
        let last = flipped.len() - 2; // inside the Adler-32 checksum
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        let e = decode(std::str::from_utf8(&flipped).unwrap()).unwrap_err().0;
        assert!(e.contains("checksum mismatch"), "{e}");
        assert!(decode("x1.abc").unwrap_err().0.contains("does not start"));
        assert!(decode("p1.ab$c").unwrap_err().0.contains("damaged"));
        assert!(decode("").is_err());
        let junk = format!(
            "{PREFIX}{}",
            base64url::encode(&miniz_oxide::deflate::compress_to_vec_zlib(b"[1,2]", 6))
        );
        assert!(decode(&junk).unwrap_err().0.contains("not a pipelab payload"));
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_cap() {
        let zeros = vec![b' '; MAX_INFLATED_BYTES + 10];
        let z = miniz_oxide::deflate::compress_to_vec_zlib(&zeros, 10);
        assert!(z.len() < 20_000, "bomb is small: {}", z.len());
        let e = decode(&format!("{PREFIX}{}", base64url::encode(&z))).unwrap_err();
        assert!(e.0.contains("limit"), "{e}");
    }

    #[test]
    fn another_engine_version_opens_with_a_notice() {
        let mut s = sample();
        s.engine_version = "pipelab-engine/0.0.1".into();
        let o = decode(&encode(&s)).unwrap();
        assert!(o.notice.unwrap().contains("0.0.1"));
    }

    #[test]
    fn an_edited_built_in_travels_as_its_edit_and_comes_back_whole() {
        let b = builtin::find("fintrust-after").unwrap();
        let edited = b.text.replacen("nodes = 16", "nodes = 24", 1);
        assert_ne!(edited, b.text);
        let s = Shared::new(edited.clone());
        let f = encode(&s);
        assert!(f.len() < 300, "{} characters", f.len());
        assert_eq!(decode(&f).unwrap().shared.scenario, edited);
        // A text that is no built-in still travels whole.
        let own = Shared::new("name = \"x\"\nduration = \"1s\"\n");
        assert_eq!(decode(&encode(&own)).unwrap().shared, own);
        // An edit against a built-in text this pipelab does not have is refused, and says why.
        let mut w: Wire = serde_json::from_slice(
            &miniz_oxide::inflate::decompress_to_vec_zlib(&base64url::decode(&f[PREFIX.len()..]).unwrap()).unwrap(),
        )
        .unwrap();
        w.h = Some("0000000000000000".into());
        assert!(decode(&pack(&w)).unwrap_err().0.contains("another pipelab version"));
        w.h = Some(text_hash(b.text));
        w.at = Some(usize::MAX);
        assert!(decode(&pack(&w)).unwrap_err().0.contains("outside"));
    }

    #[test]
    fn a_scenario_that_does_not_parse_is_refused() {
        let s = Shared::new("name = 3");
        assert!(decode(&encode(&s)).unwrap_err().0.contains("does not parse"));
    }
}
