//! Mermaid flowchart text → a plain graph (nodes, edges, subgraphs), with
//! no knowledge of pipelab: [`super::mermaid_in`] maps the graph to a
//! scenario.
//!
//! Understood: the `flowchart`/`graph` header with any direction (TD, TB,
//! LR, RL, BT), `---` front matter (its `title:`), statements split by new
//! lines or `;`, `%%` comments and `%%{init}%%` directives, every classic
//! node shape (`[]`, `()`, `([])`, `[[]]`, `[()]`, `(())`, `((()))`, `{}`,
//! `{{}}`, `>]`, `[/ /]`, `[\ \]`, `[/ \]`, `[\ /]`) and the v11 form
//! `id@{ shape: …, label: "…" }`, quoted and markdown labels, `:::class`
//! suffixes, `A --> B & C` and `A -- text --> B --> C` chains, every link
//! (`-->`, `---`, `-.->`, `-.-`, `==>`, `===`, `~~~`, `--o`, `--x`,
//! `<-->`, longer forms like `---->`), `|label|` and inline labels, edge ids
//! (`e1@-->`), `subgraph id [title]` / `subgraph "title"` … `end` (nested),
//! `direction` inside subgraphs, and `class A,B name` (kept: it can name a
//! pipelab kind). Links to a subgraph's id go to its first box, links from
//! it leave from its last box. Ignored without error: `classDef`, `style`,
//! `linkStyle`, `click`, `accTitle`, `accDescr`.

use std::collections::BTreeMap;
use std::fmt;

/// The largest Mermaid text accepted, in bytes (256 KiB: far above any
/// hand-drawn architecture, small enough to parse instantly).
pub const MAX_MERMAID_BYTES: usize = 256 * 1024;
/// The most nodes a diagram may have.
pub const MAX_NODES: usize = 2_000;
/// The most edges a diagram may have.
pub const MAX_EDGES: usize = 10_000;

/// A syntax error, located.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MermaidError {
    /// 1-based line (0 when the error is about the whole text).
    pub line: usize,
    pub message: String,
}

impl fmt::Display for MermaidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for MermaidError {}

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, MermaidError> {
    Err(MermaidError {
        line,
        message: message.into(),
    })
}

/// How a link is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkStyle {
    /// `-->`, `---`
    Solid,
    /// `-.->`, `-.-`
    Dotted,
    /// `==>`, `===`
    Thick,
    /// `~~~`: layout only.
    Invisible,
}

/// A node as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: String,
    /// The text in the box (markup removed), if any was written.
    pub label: Option<String>,
    /// Opening bracket of its shape (`[`, `(`, `([`, `[(`, `{{`, …; `@` for
    /// the v11 form; empty for a bare id).
    pub shape: String,
    /// Classes from `:::name` and `class` statements.
    pub classes: Vec<String>,
    /// Line of its first mention.
    pub line: usize,
    /// Innermost subgraph it was first mentioned in.
    pub subgraph: Option<usize>,
}

/// A link as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub style: LinkStyle,
    /// Arrow heads at both ends (`<-->`).
    pub both_ways: bool,
    pub label: Option<String>,
    pub line: usize,
}

/// A `subgraph … end` block.
#[derive(Clone, Debug, PartialEq)]
pub struct Subgraph {
    pub id: String,
    pub title: String,
    pub parent: Option<usize>,
    pub line: usize,
}

/// A parsed flowchart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Flowchart {
    /// `TB`, `TD`, `LR`, `RL` or `BT` (`TB` when omitted).
    pub direction: String,
    /// From front matter `title:`.
    pub title: Option<String>,
    /// In order of first mention.
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub subgraphs: Vec<Subgraph>,
}

impl Flowchart {
    /// Index of node `id`.
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}

/// Removes a `%%` comment (outside quotes) from a line.
fn strip_comment(line: &str) -> &str {
    let mut in_quote = false;
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => in_quote = !in_quote,
            b'%' if !in_quote && b.get(i + 1) == Some(&b'%') => return &line[..i],
            _ => {}
        }
        i += 1;
    }
    line
}

/// Splits a line into statements at `;` outside quotes and brackets.
fn split_statements(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_quote = false;
    let mut start = 0;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            '[' | '(' | '{' if !in_quote => depth += 1,
            ']' | ')' | '}' if !in_quote => depth -= 1,
            ';' if !in_quote && depth <= 0 => {
                out.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&line[start..]);
    out
}

/// Label text without markup: quotes, markdown backticks, `<br>` and other
/// tags, entity codes.
pub fn clean_label(raw: &str) -> String {
    let mut s = raw.trim();
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        s = &s[1..s.len() - 1];
    }
    let s = s.trim();
    let s = s.strip_prefix('`').and_then(|x| x.strip_suffix('`')).unwrap_or(s);
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '<' {
            // Skip a tag such as <br/>, <b>; a line break becomes a space.
            let mut tag = String::new();
            for t in chars.by_ref() {
                if t == '>' {
                    break;
                }
                tag.push(t);
            }
            if tag.trim_start_matches('/').to_ascii_lowercase().starts_with("br") {
                out.push(' ');
            }
        } else if c == '#' {
            // Mermaid entity codes: #quot; #35; #9829;
            let mut code = String::new();
            let mut closed = false;
            while let Some(&t) = chars.peek() {
                if t == ';' {
                    chars.next();
                    closed = true;
                    break;
                }
                if !t.is_ascii_alphanumeric() || code.len() > 8 {
                    break;
                }
                code.push(t);
                chars.next();
            }
            let decoded = match code.as_str() {
                "quot" => Some('"'),
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "nbsp" => Some(' '),
                n => n.parse::<u32>().ok().and_then(char::from_u32),
            };
            match (closed, decoded) {
                (true, Some(d)) => out.push(d),
                _ => {
                    out.push('#');
                    out.push_str(&code);
                    if closed {
                        out.push(';');
                    }
                }
            }
        } else if c == '\n' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    let collapsed: Vec<&str> = out.split_whitespace().collect();
    collapsed.join(" ").replace("**", "")
}

fn is_id_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || c == '\''
}

/// Shapes: (opening, closings accepted).
const SHAPES: &[(&str, &[&str])] = &[
    ("(((", &[")))"]),
    ("((", &["))"]),
    ("([", &["])"]),
    ("[[", &["]]"]),
    ("[(", &[")]"]),
    ("{{", &["}}"]),
    ("[/", &["/]", "\\]"]),
    ("[\\", &["\\]", "/]"]),
    ("(", &[")"]),
    ("[", &["]"]),
    ("{", &["}"]),
    (">", &["]"]),
];

/// A cursor over one statement.
struct Cur<'a> {
    s: &'a str,
    pos: usize,
    line: usize,
}

impl<'a> Cur<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn skip_ws(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start().len();
    }
    fn eat(&mut self, lit: &str) -> bool {
        if self.rest().starts_with(lit) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }
    fn at_end(&self) -> bool {
        self.rest().trim().is_empty()
    }
    /// Reads a node id: id characters, with `-` and `.` allowed between
    /// them when they do not start a link (`on-prem`, `v1.2`).
    fn id(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let r = self.rest();
        let mut end = 0;
        let chars: Vec<(usize, char)> = r.char_indices().collect();
        let mut k = 0;
        while k < chars.len() {
            let (i, c) = chars[k];
            if is_id_char(c) {
                end = i + c.len_utf8();
            } else if (c == '-' || c == '.') && end > 0 {
                let next = chars.get(k + 1).map(|x| x.1);
                if next.is_some_and(|n| is_id_char(n) && n != '\'') {
                    end = i + 1;
                } else {
                    break;
                }
            } else {
                break;
            }
            k += 1;
        }
        if end == 0 {
            return None;
        }
        self.pos = start + end;
        Some(&self.s[start..start + end])
    }
}

/// What a statement's first word says it is.
fn keyword(stmt: &str) -> Option<&str> {
    let w = stmt.split_whitespace().next()?;
    let w = w.split(['[', '(', '{', ';', '"']).next().unwrap_or(w);
    match w {
        "subgraph" | "end" | "direction" | "classDef" | "class" | "style" | "linkStyle" | "click" | "accTitle"
        | "accDescr" => Some(w),
        _ if w.starts_with("accTitle:") || w.starts_with("accDescr:") || w.starts_with("accDescr{") => Some("accTitle"),
        _ => None,
    }
}

struct Parser {
    chart: Flowchart,
    index: BTreeMap<String, usize>,
    stack: Vec<usize>,
}

impl Parser {
    /// Records a mention of `id` (with a label and shape when given).
    fn mention(
        &mut self,
        id: &str,
        label: Option<String>,
        shape: &str,
        class: Option<String>,
        line: usize,
    ) -> Result<(), MermaidError> {
        let sub = self.stack.last().copied();
        let i = match self.index.get(id) {
            Some(&i) => i,
            None => {
                if self.chart.nodes.len() >= MAX_NODES {
                    return err(line, format!("more than {MAX_NODES} nodes"));
                }
                self.chart.nodes.push(Node {
                    id: id.to_string(),
                    label: None,
                    shape: String::new(),
                    classes: Vec::new(),
                    line,
                    subgraph: sub,
                });
                self.index.insert(id.to_string(), self.chart.nodes.len() - 1);
                self.chart.nodes.len() - 1
            }
        };
        let n = &mut self.chart.nodes[i];
        if n.subgraph.is_none() {
            n.subgraph = sub;
        }
        if let Some(l) = label {
            n.label = Some(l);
            n.shape = shape.to_string();
        }
        if let Some(c) = class {
            if !n.classes.contains(&c) {
                n.classes.push(c);
            }
        }
        Ok(())
    }

    /// Parses one node reference: `id`, `id[label]`, `id@{…}`, `:::class`.
    fn node(&mut self, c: &mut Cur) -> Result<String, MermaidError> {
        c.skip_ws();
        let Some(id) = c.id() else {
            let found = c.rest().chars().take(12).collect::<String>();
            return err(c.line, format!("expected a node id, found `{found}`"));
        };
        let id = id.to_string();
        if id == "end" {
            return err(
                c.line,
                "`end` (lower case) cannot be a node id in Mermaid; write `End` or `END`",
            );
        }
        let mut label = None;
        let mut shape = "";
        if c.rest().starts_with("@{") {
            // v11: id@{ shape: cyl, label: "text" }
            let body_start = c.pos + 2;
            let Some(close) = find_unquoted(&c.s[body_start..], '}') else {
                return err(c.line, format!("node `{id}`: `@{{` is not closed with `}}`"));
            };
            let body = &c.s[body_start..body_start + close];
            c.pos = body_start + close + 1;
            shape = "@";
            for part in split_outside_quotes(body, ',') {
                if let Some((k, v)) = part.split_once(':') {
                    if k.trim() == "label" {
                        label = Some(clean_label(v));
                    }
                }
            }
            if label.is_none() {
                label = Some(String::new());
            }
        } else {
            for (open, closes) in SHAPES {
                if !c.rest().starts_with(open) {
                    continue;
                }
                let text_start = c.pos + open.len();
                let after = &c.s[text_start..];
                let trimmed = after.trim_start();
                let (text, end) = if trimmed.starts_with('"') {
                    let q0 = text_start + (after.len() - trimmed.len());
                    let Some(q1) = c.s[q0 + 1..].find('"') else {
                        return err(c.line, format!("node `{id}`: a quoted label is not closed with `\"`"));
                    };
                    let text = &c.s[q0..q0 + 1 + q1 + 1];
                    let mut k = q0 + 1 + q1 + 1;
                    k += c.s[k..].len() - c.s[k..].trim_start().len();
                    match closes.iter().find(|cl| c.s[k..].starts_with(**cl)) {
                        Some(cl) => (text, k + cl.len()),
                        None => {
                            return err(
                                c.line,
                                format!("node `{id}`: expected `{}` after the quoted label", closes[0]),
                            )
                        }
                    }
                } else {
                    let hit = closes
                        .iter()
                        .filter_map(|cl| after.find(cl).map(|p| (p, cl.len())))
                        .min();
                    match hit {
                        Some((p, l)) => (&after[..p], text_start + p + l),
                        None => {
                            return err(
                                c.line,
                                format!(
                                    "node `{id}`: the label opened with `{open}` is not closed with `{}`",
                                    closes[0]
                                ),
                            )
                        }
                    }
                };
                label = Some(clean_label(text));
                shape = open;
                c.pos = end;
                break;
            }
        }
        let mut class = None;
        if c.eat(":::") {
            class = c.id().map(String::from);
        }
        self.mention(&id, label, shape, class, c.line)?;
        Ok(id)
    }

    /// Nodes joined by `&`.
    fn group(&mut self, c: &mut Cur) -> Result<Vec<String>, MermaidError> {
        let mut ids = vec![self.node(c)?];
        loop {
            c.skip_ws();
            if c.eat("&") {
                ids.push(self.node(c)?);
            } else {
                return Ok(ids);
            }
        }
    }

    /// A link after a node group, if one follows.
    fn link(&mut self, c: &mut Cur) -> Result<Option<(LinkStyle, bool, Option<String>)>, MermaidError> {
        c.skip_ws();
        let save = c.pos;
        // Edge id: `e1@-->`.
        if let Some(_eid) = c.id() {
            if !c.eat("@") || !c.rest().starts_with(['-', '=', '.', '~', '<']) {
                c.pos = save;
            }
        }
        let r = c.rest();
        let both_start =
            r.starts_with('<') || ((r.starts_with('o') || r.starts_with('x')) && r[1..].starts_with(['-', '=']));
        let mut k = 0;
        if both_start {
            k = 1;
        }
        let body: String = r[k..]
            .chars()
            .take_while(|ch| matches!(ch, '-' | '=' | '.' | '~'))
            .collect();
        if body.is_empty() {
            c.pos = save;
            return Ok(None);
        }
        k += body.len();
        let style_of = |b: &str| {
            if b.contains('~') {
                LinkStyle::Invisible
            } else if b.contains('.') {
                LinkStyle::Dotted
            } else if b.contains('=') {
                LinkStyle::Thick
            } else {
                LinkStyle::Solid
            }
        };
        let next = r[k..].chars().next();
        let mut label = None;
        let end;
        if matches!(body.as_str(), "--" | "==" | "-.") && next.is_some_and(char::is_whitespace) {
            // Inline text: `-- text -->`, `== text ==>`, `-. text .->`.
            let closers: &[&str] = match body.as_str() {
                "--" => &["-->", "---", "--o", "--x"],
                "==" => &["==>", "===", "==o", "==x"],
                _ => &[".->", ".-"],
            };
            let text_area = &r[k..];
            let hit = closers.iter().filter_map(|cl| text_area.find(cl)).min();
            let Some(p) = hit else {
                return err(
                    c.line,
                    format!("a link starting `{body}` is not finished (expected `{}`)", closers[0]),
                );
            };
            label = Some(clean_label(&text_area[..p]));
            let tail: String = text_area[p..]
                .chars()
                .take_while(|ch| matches!(ch, '-' | '=' | '.'))
                .collect();
            let mut e = k + p + tail.len();
            if matches!(text_area[p + tail.len()..].chars().next(), Some('>' | 'o' | 'x')) {
                e += 1;
            }
            end = e;
        } else if matches!(next, Some('>' | 'o' | 'x')) && body.len() >= 2 {
            end = k + 1;
        } else if body.len() >= 3 {
            end = k;
        } else {
            let found: String = r.chars().take(8).collect();
            return err(c.line, format!("`{found}` is not a Mermaid link"));
        }
        c.pos += end;
        let style = style_of(&body);
        c.skip_ws();
        if c.eat("|") {
            let Some(p) = c.rest().find('|') else {
                return err(c.line, "a link label opened with `|` is not closed");
            };
            label = Some(clean_label(&c.rest()[..p]));
            c.pos += p + 1;
        }
        Ok(Some((style, both_start, label.filter(|l| !l.is_empty()))))
    }

    fn chain(&mut self, stmt: &str, line: usize) -> Result<(), MermaidError> {
        let mut c = Cur { s: stmt, pos: 0, line };
        let mut left = self.group(&mut c)?;
        while let Some((style, both, label)) = self.link(&mut c)? {
            let right = self.group(&mut c)?;
            for a in &left {
                for b in &right {
                    if self.chart.edges.len() >= MAX_EDGES {
                        return err(line, format!("more than {MAX_EDGES} links"));
                    }
                    self.chart.edges.push(Edge {
                        from: a.clone(),
                        to: b.clone(),
                        style,
                        both_ways: both,
                        label: label.clone(),
                        line,
                    });
                }
            }
            left = right;
        }
        if !c.at_end() {
            let found: String = c.rest().trim().chars().take(16).collect();
            return err(line, format!("unexpected `{found}`"));
        }
        Ok(())
    }

    fn subgraph(&mut self, rest: &str, line: usize) -> Result<(), MermaidError> {
        let rest = rest.trim();
        let (id, title) = if rest.starts_with('"') {
            let t = clean_label(rest);
            (slug(&t, self.chart.subgraphs.len()), t)
        } else {
            let mut c = Cur { s: rest, pos: 0, line };
            match c.id() {
                Some(id) => {
                    let after = c.rest().trim();
                    let title = if let Some(inner) = after.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
                        clean_label(inner)
                    } else if after.is_empty() {
                        id.to_string()
                    } else {
                        // `subgraph Two words`: the whole text is the title.
                        clean_label(rest)
                    };
                    let id = if after.is_empty() || after.starts_with('[') {
                        id.to_string()
                    } else {
                        slug(&title, self.chart.subgraphs.len())
                    };
                    (id, title)
                }
                None if rest.is_empty() => {
                    let n = self.chart.subgraphs.len();
                    (format!("subgraph{n}"), format!("subgraph {n}"))
                }
                None => {
                    let t = clean_label(rest);
                    (slug(&t, self.chart.subgraphs.len()), t)
                }
            }
        };
        self.chart.subgraphs.push(Subgraph {
            id,
            title,
            parent: self.stack.last().copied(),
            line,
        });
        self.stack.push(self.chart.subgraphs.len() - 1);
        Ok(())
    }
}

fn slug(title: &str, n: usize) -> String {
    let s: String = title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
    if s.is_empty() {
        format!("subgraph{n}")
    } else {
        s
    }
}

fn find_unquoted(s: &str, target: char) -> Option<usize> {
    let mut q = false;
    for (i, c) in s.char_indices() {
        if c == '"' {
            q = !q;
        } else if c == target && !q {
            return Some(i);
        }
    }
    None
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut q = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c == '"' {
            q = !q;
        } else if c == sep && !q {
            out.push(&s[start..i]);
            start = i + 1;
        }
    }
    out.push(&s[start..]);
    out
}

/// Parses a Mermaid flowchart.
pub fn parse(text: &str) -> Result<Flowchart, MermaidError> {
    if text.len() > MAX_MERMAID_BYTES {
        return err(
            0,
            format!(
                "the diagram is {} bytes; the limit is {MAX_MERMAID_BYTES} (256 KiB)",
                text.len()
            ),
        );
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut p = Parser {
        chart: Flowchart {
            direction: "TB".into(),
            ..Flowchart::default()
        },
        index: BTreeMap::new(),
        stack: Vec::new(),
    };
    let mut i = 0;
    // Front matter.
    while i < lines.len() && strip_comment(lines[i]).trim().is_empty() {
        i += 1;
    }
    if i < lines.len() && lines[i].trim() == "---" {
        let start = i + 1;
        i += 1;
        while i < lines.len() && lines[i].trim() != "---" {
            if let Some(t) = lines[i].trim().strip_prefix("title:") {
                p.chart.title = Some(clean_label(t));
            }
            i += 1;
        }
        if i == lines.len() {
            return err(start, "front matter opened with `---` is not closed");
        }
        i += 1;
    }
    // Header.
    let mut header_done = false;
    let mut open_multiline: Option<usize> = None;
    for (n, raw) in lines.iter().enumerate().skip(i) {
        let line_no = n + 1;
        let line = strip_comment(raw);
        if let Some(start) = open_multiline {
            // accDescr { … } spans lines.
            if line.contains('}') {
                open_multiline = None;
            }
            let _ = start;
            continue;
        }
        for stmt in split_statements(line) {
            let stmt = stmt.trim();
            if stmt.is_empty() {
                continue;
            }
            if !header_done {
                let mut words = stmt.split_whitespace();
                let first = words.next().unwrap_or("");
                if first != "graph" && first != "flowchart" && first != "flowchart-elk" {
                    return err(
                        line_no,
                        format!(
                            "this is not a Mermaid flowchart: it starts with `{}`; expected `flowchart` or `graph` (e.g. `flowchart LR`)",
                            first.chars().take(40).collect::<String>()
                        ),
                    );
                }
                if let Some(dir) = words.next() {
                    let d = dir.to_ascii_uppercase();
                    match d.as_str() {
                        "TB" | "TD" | "LR" | "RL" | "BT" => p.chart.direction = d,
                        ">" => p.chart.direction = "LR".into(),
                        "<" => p.chart.direction = "RL".into(),
                        "^" => p.chart.direction = "BT".into(),
                        "V" => p.chart.direction = "TB".into(),
                        _ => {
                            return err(
                                line_no,
                                format!("unknown direction `{dir}`; expected TB, TD, LR, RL or BT"),
                            )
                        }
                    }
                }
                if words.next().is_some() {
                    return err(line_no, "unexpected text after the flowchart direction");
                }
                header_done = true;
                continue;
            }
            match keyword(stmt) {
                Some("subgraph") => p.subgraph(&stmt["subgraph".len()..], line_no)?,
                Some("end") => {
                    if stmt != "end" {
                        return err(line_no, format!("unexpected text after `end`: `{}`", &stmt[3..].trim()));
                    }
                    if p.stack.pop().is_none() {
                        return err(line_no, "`end` without an open `subgraph`");
                    }
                }
                Some("class") => {
                    // class A,B name
                    let mut w = stmt.split_whitespace().skip(1);
                    if let (Some(ids), Some(name)) = (w.next(), w.next()) {
                        for id in ids.split(',') {
                            if let Some(&k) = p.index.get(id.trim()) {
                                let n = &mut p.chart.nodes[k];
                                if !n.classes.iter().any(|c| c == name) {
                                    n.classes.push(name.to_string());
                                }
                            }
                        }
                    }
                }
                Some("accTitle") | Some("accDescr") => {
                    if stmt.contains('{') && !stmt.contains('}') {
                        open_multiline = Some(line_no);
                    }
                }
                Some(_) => {} // direction, classDef, style, linkStyle, click
                None => p.chain(stmt, line_no)?,
            }
        }
    }
    if !header_done {
        return err(
            0,
            "this is not a Mermaid flowchart: it is empty; expected `flowchart` or `graph` (e.g. `flowchart LR`)",
        );
    }
    if let Some(&open) = p.stack.last() {
        let sg = &p.chart.subgraphs[open];
        return err(sg.line, format!("`subgraph {}` is not closed with `end`", sg.title));
    }
    let mut chart = p.chart;
    resolve_subgraph_links(&mut chart);
    Ok(chart)
}

/// Links to a subgraph's id go to its first box, links from it leave from
/// its last box (boxes of nested subgraphs count); a link to an empty
/// subgraph is left out. The subgraph id is then no box of its own.
fn resolve_subgraph_links(chart: &mut Flowchart) {
    let is_sub = |id: &str, chart: &Flowchart| chart.subgraphs.iter().position(|s| s.id == id);
    let pseudo: Vec<(String, usize)> = chart
        .nodes
        .iter()
        .filter(|n| n.label.is_none())
        .filter_map(|n| is_sub(&n.id, chart).map(|s| (n.id.clone(), s)))
        .collect();
    if pseudo.is_empty() {
        return;
    }
    let inside = |mut sg: Option<usize>, target: usize, chart: &Flowchart| {
        while let Some(s) = sg {
            if s == target {
                return true;
            }
            sg = chart.subgraphs[s].parent;
        }
        false
    };
    let mut ends: BTreeMap<String, Option<(String, String)>> = BTreeMap::new();
    for (id, s) in &pseudo {
        let members: Vec<&Node> = chart
            .nodes
            .iter()
            .filter(|n| !pseudo.iter().any(|p| p.0 == n.id) && inside(n.subgraph, *s, chart))
            .collect();
        let pair = match (members.first(), members.last()) {
            (Some(f), Some(l)) => Some((f.id.clone(), l.id.clone())),
            _ => None,
        };
        ends.insert(id.clone(), pair);
    }
    let mut edges = Vec::new();
    for mut e in std::mem::take(&mut chart.edges) {
        if let Some(p) = ends.get(&e.to) {
            let Some((first, _)) = p else { continue };
            e.to = first.clone();
        }
        if let Some(p) = ends.get(&e.from) {
            let Some((_, last)) = p else { continue };
            e.from = last.clone();
        }
        edges.push(e);
    }
    chart.edges = edges;
    chart.nodes.retain(|n| !ends.contains_key(&n.id));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(c: &Flowchart) -> Vec<(String, String, LinkStyle)> {
        c.edges
            .iter()
            .map(|e| (e.from.clone(), e.to.clone(), e.style))
            .collect()
    }

    #[test]
    fn every_classic_shape_gives_its_label() {
        let text = "flowchart LR\n a[rect] --> b(round) --> c([stadium]) --> d[[sub]] --> e[(db)]\n \
                    e --> f((circle)) --> g{rhombus} --> h{{hex}} --> i>flag] --> j[/para/] --> k[\\alt\\] \
                    --> l[/trap\\] --> m(((double)))\n n@{ shape: cyl, label: \"v11, form\" }";
        let c = parse(text).unwrap();
        let labels: Vec<&str> = c.nodes.iter().map(|n| n.label.as_deref().unwrap_or("")).collect();
        assert_eq!(
            labels,
            [
                "rect",
                "round",
                "stadium",
                "sub",
                "db",
                "circle",
                "rhombus",
                "hex",
                "flag",
                "para",
                "alt",
                "trap",
                "double",
                "v11, form"
            ]
        );
        assert_eq!(c.nodes[4].shape, "[(");
        assert_eq!(c.edges.len(), 12);
    }

    #[test]
    fn link_kinds_labels_and_chains() {
        let text = "graph TD\n A -->|one| B & C\n B -.-> D\n C == two ==> D\n D -. three .-> E\n \
                    E --- F ~~~ G\n G <--> H\n H -- four --> I --> J\n J e1@--> K\n K ----> L\n L --o M\n M --x N";
        let c = parse(text).unwrap();
        let e = edges(&c);
        assert_eq!(e[0], ("A".into(), "B".into(), LinkStyle::Solid));
        assert_eq!(e[1], ("A".into(), "C".into(), LinkStyle::Solid));
        assert_eq!(c.edges[0].label.as_deref(), Some("one"));
        assert_eq!(e[2].2, LinkStyle::Dotted);
        assert_eq!((e[3].2, c.edges[3].label.as_deref()), (LinkStyle::Thick, Some("two")));
        assert_eq!(
            (e[4].2, c.edges[4].label.as_deref()),
            (LinkStyle::Dotted, Some("three"))
        );
        assert_eq!(e[6].2, LinkStyle::Invisible);
        assert!(c.edges[7].both_ways);
        assert_eq!(c.edges[8].label.as_deref(), Some("four"));
        assert_eq!((e[9].0.as_str(), e[9].1.as_str()), ("I", "J"));
        assert_eq!((e[10].0.as_str(), e[10].1.as_str()), ("J", "K"));
        assert_eq!((e[11].0.as_str(), e[11].1.as_str()), ("K", "L"));
        assert_eq!((e[12].1.as_str(), e[13].1.as_str()), ("M", "N"));
        assert_eq!(c.nodes.len(), 14);
    }

    #[test]
    fn subgraphs_nest_and_styling_lines_are_ignored() {
        let text = "%%{init: {'theme':'base'}}%%\n---\ntitle: My \"pipe\"\n---\nflowchart RL\n\
                    %% a comment\n subgraph outer [\"Outer box\"]\n  direction LR\n  a[\"A\"]:::hot\n  \
                    subgraph \"Inner box\"\n   b --> c; c --> d\n  end\n end\n a --> b\n \
                    classDef hot fill:#f00\n class b,c pl-stream\n style a fill:#fff\n linkStyle 0 stroke:#f00\n \
                    click a href \"http://x\"\n accTitle: t\n";
        let c = parse(text).unwrap();
        assert_eq!(c.direction, "RL");
        assert_eq!(c.title.as_deref(), Some("My \"pipe\""));
        assert_eq!(c.subgraphs.len(), 2);
        assert_eq!(c.subgraphs[0].title, "Outer box");
        assert_eq!(c.subgraphs[1].parent, Some(0));
        let a = &c.nodes[c.node_index("a").unwrap()];
        assert_eq!((a.subgraph, a.classes.clone()), (Some(0), vec!["hot".to_string()]));
        assert_eq!(c.nodes[c.node_index("b").unwrap()].subgraph, Some(1));
        assert_eq!(c.nodes[c.node_index("c").unwrap()].classes, ["pl-stream"]);
        assert_eq!(c.edges.len(), 3);
    }

    #[test]
    fn labels_lose_markup() {
        assert_eq!(clean_label("\"A<br/>B #quot;q#quot;\""), "A B \"q\"");
        assert_eq!(clean_label("\"`**bold** text`\""), "bold text");
        assert_eq!(clean_label("x #35; y"), "x # y");
    }

    #[test]
    fn not_a_flowchart_or_broken_text_is_a_located_error() {
        let e = parse("sequenceDiagram\n A->>B: hi").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.contains("not a Mermaid flowchart"), "{e}");
        let e = parse("%% c\n\nflowchart LR\n a[open --> b").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        let e = parse("flowchart LR\n subgraph x\n a\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("flowchart LR\n a --> b\n end").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let e = parse("flowchart XY").unwrap_err();
        assert!(e.message.contains("direction"), "{e}");
        let e = parse("").unwrap_err();
        assert!(e.message.contains("empty"), "{e}");
        let big = format!("flowchart LR\n{}", "a --> b\n".repeat(40_000));
        assert!(parse(&big).unwrap_err().message.contains("limit"));
        let e = parse("flowchart LR\n a --> ").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn links_to_a_subgraph_reach_its_first_box_and_leave_from_its_last() {
        let c = parse("flowchart LR\n subgraph cloud [Cloud]\n  a --> b\n end\n src --> cloud --> sink\n x --> empty\n subgraph empty\n end").unwrap();
        assert_eq!(
            edges(&c),
            [
                ("a".into(), "b".into(), LinkStyle::Solid),
                ("src".into(), "a".into(), LinkStyle::Solid),
                ("b".into(), "sink".into(), LinkStyle::Solid),
            ]
        );
        assert!(c.node_index("cloud").is_none() && c.node_index("empty").is_none());
    }

    #[test]
    fn hyphenated_ids_are_ids_not_links() {
        let c = parse("flowchart LR\n on-prem-->data.lake\n x-.->y").unwrap();
        assert_eq!(edges(&c)[0].0, "on-prem");
        assert_eq!(edges(&c)[0].1, "data.lake");
        assert_eq!(edges(&c)[1], ("x".into(), "y".into(), LinkStyle::Dotted));
    }
}
