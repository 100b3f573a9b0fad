//! One value tree for scenario text, TOML or JSON, and one serde
//! `Deserializer` over it, so that every typed model (the scenario, each
//! kind's parameters) is deserialised by a single instantiation of its
//! `Deserialize` code whatever the text's format (the browser's worker is
//! about a third smaller for it).
//!
//! Each node remembers where it stands in the text, so errors still name the
//! field path (`stage[1].servers`, written as `serde_path_to_error` did) and
//! the line and column. The positions follow the format's own parser:
//! TOML errors point at the start of the offending value or key (as the
//! `toml` crate's deserializer does, from `toml_edit`'s spans); JSON errors
//! at the position `serde_json`'s reader has reached when the error arises
//! (after a scalar, after a key, at a closing brace). `tests/parse_errors.rs`
//! checks this against `serde_path_to_error` over both text deserializers.

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Unexpected, Visitor};
use std::fmt;

/// A value and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub val: Val,
    /// TOML: the start of the value's span (the key's when the value has
    /// none). JSON: the offset of the value's first byte.
    pub start: Option<usize>,
    /// JSON only: the offset just after the value's last byte.
    pub end: usize,
}

/// A value of the tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Str(String),
    /// TOML integers, negative JSON integers.
    Int(i64),
    /// Non-negative JSON integers.
    UInt(u64),
    Float(f64),
    Bool(bool),
    Null,
    Arr(Vec<Node>),
    Map(Vec<Entry>),
    /// JSON only: where a syntax error stopped the reader.
    Broken(Broken),
}

/// Where in the JSON grammar the reader stopped; it decides the path
/// `serde_path_to_error` gave the error (the value's own, the object's or
/// array's, or the object's with `?` for a key it could not read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broken {
    Value,
    Key,
    Colon,
    Element,
}

/// A key and its value, in text order (a JSON object may repeat a key).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    /// TOML: the start of the key's span; JSON: after the key's closing quote.
    pub key_at: Option<usize>,
    pub node: Node,
}

impl Node {
    /// A node without a position (built from a JSON value).
    pub fn bare(val: Val) -> Node {
        Node {
            val,
            start: None,
            end: 0,
        }
    }

    /// The tree of a `serde_json::Value` (no positions).
    pub fn from_value(v: &serde_json::Value) -> Node {
        use serde_json::Value as V;
        Node::bare(match v {
            V::Null => Val::Null,
            V::Bool(b) => Val::Bool(*b),
            V::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Val::UInt(u),
                (None, Some(i)) => Val::Int(i),
                _ => Val::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            V::String(s) => Val::Str(s.clone()),
            V::Array(a) => Val::Arr(a.iter().map(Node::from_value).collect()),
            V::Object(m) => Val::Map(
                m.iter()
                    .map(|(k, v)| Entry {
                        key: k.clone(),
                        key_at: None,
                        node: Node::from_value(v),
                    })
                    .collect(),
            ),
        })
    }

    /// The node as a `serde_json::Value`, as `serde_json` builds one from
    /// the same text (a repeated key keeps its last value; a float that is
    /// not finite becomes null).
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value as V;
        match &self.val {
            Val::Str(s) => V::String(s.clone()),
            Val::Int(i) => V::from(*i),
            Val::UInt(u) => V::from(*u),
            Val::Float(f) => serde_json::Number::from_f64(*f).map_or(V::Null, V::Number),
            Val::Bool(b) => V::Bool(*b),
            Val::Null => V::Null,
            Val::Arr(a) => V::Array(a.iter().map(Node::to_value).collect()),
            Val::Map(m) => {
                // Inserted one by one: `collect` sorts first (a stable sort
                // routine in the wasm worker).
                let mut object = serde_json::Map::new();
                for e in m {
                    object.insert(e.key.clone(), e.node.to_value());
                }
                V::Object(object)
            }
            Val::Broken(_) => V::Null,
        }
    }

    fn unexpected(&self) -> Unexpected<'_> {
        match &self.val {
            Val::Str(s) => Unexpected::Str(s),
            Val::Int(i) => Unexpected::Signed(*i),
            Val::UInt(u) => Unexpected::Unsigned(*u),
            Val::Float(f) => Unexpected::Float(*f),
            Val::Bool(b) => Unexpected::Bool(*b),
            Val::Null => Unexpected::Unit,
            Val::Arr(_) => Unexpected::Seq,
            Val::Map(_) => Unexpected::Map,
            Val::Broken(_) => Unexpected::Other("a syntax error"),
        }
    }
}

/// Where a tree came from: it decides where errors are located.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Toml,
    Json,
    /// A `serde_json::Value` (no positions).
    Value,
}

/// A deserialisation error: the message, the offset it is located at (see
/// [`Node::start`]) and the field path.
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    /// As the `toml` crate words it.
    pub message: String,
    /// As `serde_json` words it, when different (`null`, floats).
    pub json_message: Option<String>,
    pub at: Option<usize>,
    pub path: Option<String>,
    /// The reader met a [`Val::Broken`]: the JSON text's syntax error
    /// (`serde_json` words and places it).
    pub syntax: bool,
}

impl Error {
    fn new(message: impl Into<String>, at: Option<usize>) -> Error {
        Error {
            message: message.into(),
            json_message: None,
            at,
            path: None,
            syntax: false,
        }
    }

    fn syntax(path: &Seg) -> Error {
        Error {
            path: Some(path.render()),
            syntax: true,
            ..Error::new("syntax error", Some(0))
        }
    }

    /// The message in the words of the format the tree came from.
    pub fn message_for(&self, mode: Mode) -> &str {
        match (mode, &self.json_message) {
            (Mode::Json | Mode::Value, Some(m)) => m,
            _ => &self.message,
        }
    }

    fn unexpected(what: &str, unexp: Unexpected, exp: &dyn de::Expected) -> Error {
        let json = match unexp {
            Unexpected::Unit => Some("null".to_string()),
            Unexpected::Float(f) => Some(format!(
                "floating point `{}`",
                serde_json::Number::from_f64(f).map_or_else(|| f.to_string(), |n| n.to_string())
            )),
            _ => None,
        };
        Error {
            message: format!("{what}: {unexp}, expected {exp}"),
            json_message: json.map(|u| format!("{what}: {u}, expected {exp}")),
            at: None,
            path: None,
            syntax: false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(msg.to_string(), None)
    }

    fn invalid_type(unexp: Unexpected, exp: &dyn de::Expected) -> Self {
        Error::unexpected("invalid type", unexp, exp)
    }

    fn invalid_value(unexp: Unexpected, exp: &dyn de::Expected) -> Self {
        Error::unexpected("invalid value", unexp, exp)
    }
}

/// The path to a value, as a chain on the stack.
#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a Seg<'a>, &'a str),
    Index(&'a Seg<'a>, usize),
}

impl Seg<'_> {
    /// `stage[1].servers`, or `.` for the root (as `serde_path_to_error`).
    fn render(&self) -> String {
        fn go(s: &Seg, out: &mut String) {
            match s {
                Seg::Root => {}
                Seg::Key(p, k) => {
                    go(p, out);
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(p, i) => {
                    go(p, out);
                    out.push_str(&format!("[{i}]"));
                }
            }
        }
        let mut out = String::new();
        go(self, &mut out);
        if out.is_empty() {
            out.push('.');
        }
        out
    }
}

/// Deserialises `T` from a tree, with the path and position of any error.
/// `text` is the JSON text the tree was read from (unused otherwise).
pub fn deserialize<T: de::DeserializeOwned>(node: &Node, mode: Mode, text: &str) -> Result<T, Error> {
    if let Val::Broken(_) = node.val {
        return Err(Error::syntax(&Seg::Root));
    }
    T::deserialize(Des {
        node,
        path: &Seg::Root,
        mode,
        text: text.as_bytes(),
    })
}

#[derive(Clone, Copy)]
struct Des<'a> {
    node: &'a Node,
    path: &'a Seg<'a>,
    mode: Mode,
    /// JSON: the text, to find where serde_json's reader stops.
    text: &'a [u8],
}

impl<'a> Des<'a> {
    /// Locates an error that has no place yet at `at`, and names this path.
    fn mark(&self, mut e: Error, at: Option<usize>) -> Error {
        if e.at.is_none() {
            e.at = at;
        }
        if e.path.is_none() {
            e.path = Some(self.path.render());
        }
        e
    }

    /// Where serde_json's reader stands after a container's visitor
    /// returned at `pos`: it reads on past white space and the closing
    /// bracket before placing the error.
    fn settle(&self, mut pos: usize, close: u8) -> usize {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.text.get(pos) {
            pos += 1;
        }
        match self.text.get(pos) {
            Some(&c) if c == close => pos + 1,
            // Between elements serde_json also reads the comma.
            Some(b',') if close == b']' => {
                pos += 1;
                while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.text.get(pos) {
                    pos += 1;
                }
                pos
            }
            _ => pos,
        }
    }

    /// Where an error raised by a visitor of this node is, for scalars.
    fn scalar_at(&self) -> Option<usize> {
        match self.mode {
            Mode::Toml => self.node.start,
            Mode::Json => Some(self.node.end),
            Mode::Value => None,
        }
    }

    fn visit_any<'de, V: Visitor<'de>>(&self, v: V) -> Result<V::Value, Error> {
        let r = match &self.node.val {
            Val::Str(s) => v.visit_str(s),
            Val::Int(i) => v.visit_i64(*i),
            Val::UInt(u) => v.visit_u64(*u),
            Val::Float(f) => v.visit_f64(*f),
            Val::Bool(b) => v.visit_bool(*b),
            Val::Null => v.visit_unit(),
            Val::Arr(items) => return self.visit_seq(items, v),
            Val::Map(entries) => return self.visit_map(entries, v),
            Val::Broken(_) => return Err(Error::syntax(self.path)),
        };
        r.map_err(|e| self.mark(e, self.scalar_at()))
    }

    /// Where an error from visiting this array or table points: its start
    /// in TOML; in JSON, where reading stopped (`pos`), settled on the
    /// closing `close`; nowhere in a JSON value.
    fn collection_at(&self, pos: Option<usize>, close: u8) -> Option<usize> {
        match self.mode {
            Mode::Toml => self.node.start,
            Mode::Json => pos.map(|p| self.settle(p, close)),
            Mode::Value => None,
        }
    }

    fn visit_seq<'de, V: Visitor<'de>>(&self, items: &'a [Node], v: V) -> Result<V::Value, Error> {
        let mut access = Seq {
            text: self.text,
            items,
            next: 0,
            path: self.path,
            mode: self.mode,
            pos: self.node.start.map(|s| s + 1),
        };
        let r = v.visit_seq(&mut access);
        let value = r.map_err(|e| self.mark(e, self.collection_at(access.pos, b']')))?;
        if access.next < items.len() {
            // The visitor stopped early: serde_json finds more elements
            // before the `]`; a JSON value says how many it expected.
            let e = match self.mode {
                Mode::Toml => return Ok(value),
                Mode::Json => Error::new("trailing characters", items[access.next].start.map(|s| s + 1)),
                Mode::Value => de::Error::invalid_length(items.len(), &"fewer elements in array"),
            };
            return Err(self.mark(e, None));
        }
        Ok(value)
    }

    fn visit_map<'de, V: Visitor<'de>>(&self, entries: &'a [Entry], v: V) -> Result<V::Value, Error> {
        let mut access = Map {
            text: self.text,
            entries,
            next: 0,
            path: self.path,
            mode: self.mode,
            pos: self.node.start.map(|s| s + 1),
        };
        let r = v.visit_map(&mut access);
        let value = r.map_err(|e| self.mark(e, self.collection_at(access.pos, b'}')))?;
        if access.next < entries.len() {
            let e = match self.mode {
                Mode::Toml => return Ok(value),
                Mode::Json => Error::new("trailing comma", access.pos.map(|p| self.settle(p, b'}') + 1)),
                Mode::Value => de::Error::invalid_length(entries.len(), &"fewer elements in map"),
            };
            return Err(self.mark(e, None));
        }
        Ok(value)
    }

    /// A typed request (`deserialize_str`, `_u64`, …) met a value of
    /// another type: refused at once with serde's message, as serde_json
    /// does (the `toml` crate handed the visitor the value instead, which
    /// the scenario's visitors refuse with the same words). Only the
    /// visitor method for the requested type is instantiated, not all eight.
    fn mismatch<'de, V: Visitor<'de>>(&self, v: V) -> Result<V::Value, Error> {
        if let Val::Broken(_) = self.node.val {
            return Err(Error::syntax(self.path));
        }
        let e: Error = de::Error::invalid_type(self.node.unexpected(), &v);
        // serde_json reads a scalar before refusing it, not a container.
        let at = match (&self.node.val, self.mode) {
            (_, Mode::Value) => None,
            (_, Mode::Toml) | (Val::Arr(_) | Val::Map(_), _) => self.node.start,
            _ => Some(self.node.end),
        };
        Err(self.mark(e, at))
    }

    fn number<'de, V: Visitor<'de>>(&self, v: V) -> Result<V::Value, Error> {
        let r = match self.node.val {
            Val::Int(i) => v.visit_i64(i),
            Val::UInt(u) => v.visit_u64(u),
            Val::Float(f) => v.visit_f64(f),
            _ => return self.mismatch(v),
        };
        r.map_err(|e| self.mark(e, self.scalar_at()))
    }
}

macro_rules! typed_number {
    ($($m:ident)*) => {$(
        fn $m<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            self.number(v)
        }
    )*};
}

impl<'de> Deserializer<'de> for Des<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.visit_any(v)
    }

    typed_number!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64);

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.node.val {
            Val::Bool(b) => v.visit_bool(b).map_err(|e| self.mark(e, self.scalar_at())),
            _ => self.mismatch(v),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match &self.node.val {
            Val::Str(s) => v.visit_str(s).map_err(|e| self.mark(e, self.scalar_at())),
            _ => self.mismatch(v),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.visit_any(v)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.visit_any(v)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match (&self.node.val, self.mode) {
            (Val::Null, Mode::Json | Mode::Value) => v.visit_none().map_err(|e| self.mark(e, self.scalar_at())),
            (_, Mode::Toml) => v.visit_some(self).map_err(|e| self.mark(e, self.node.start)),
            _ => v.visit_some(self).map_err(|e| self.mark(e, None)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match self.node.val {
            Val::Null => v.visit_unit().map_err(|e| self.mark(e, self.scalar_at())),
            _ => self.mismatch(v),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, Error> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, Error> {
        let at = match self.mode {
            Mode::Toml => self.node.start,
            _ => None,
        };
        v.visit_newtype_struct(self).map_err(|e| self.mark(e, at))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match &self.node.val {
            Val::Arr(items) => self.visit_seq(items, v),
            _ => self.mismatch(v),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match &self.node.val {
            Val::Map(entries) => self.visit_map(entries, v),
            _ => self.mismatch(v),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match &self.node.val {
            Val::Map(entries) => self.visit_map(entries, v),
            // A table written as the array of its fields in order (serde's
            // reading of a struct from a sequence) is refused: it was never
            // documented, and reading it took a second copy of every
            // table's code (50 KB of the worker).
            _ => self.mismatch(v),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        let at = self.scalar_at();
        let r = match &self.node.val {
            Val::Str(s) => v.visit_enum(s.as_str().into_deserializer()),
            Val::Map(entries) if entries.len() == 1 => {
                let e = &entries[0];
                let path = Seg::Key(self.path, &e.key);
                let variant = Variant {
                    text: self.text,
                    entry: e,
                    mode: self.mode,
                    path: &path,
                };
                let r = v.visit_enum(variant);
                let at = match self.mode {
                    Mode::Toml => self.node.start,
                    Mode::Json => Some(self.node.end),
                    Mode::Value => None,
                };
                return r.map_err(|e| self.mark(e, at));
            }
            Val::Map(entries) => {
                let n = if entries.is_empty() {
                    "found 0 elements"
                } else {
                    "more than 1 element"
                };
                let (e, at) = match self.mode {
                    Mode::Value => (
                        de::Error::invalid_value(Unexpected::Map, &"map with a single key"),
                        None,
                    ),
                    Mode::Toml => (
                        de::Error::custom(format!("wanted exactly 1 element, {n}")),
                        self.node.start,
                    ),
                    // serde_json looks for the variant's name where the `}` is.
                    Mode::Json => (
                        de::Error::custom("expected value"),
                        self.node.start.map(|s| self.settle(s + 1, b' ') + 1),
                    ),
                };
                Err(self.mark(e, at))
            }
            // serde_json reads a string or an object as an enum; anything
            // else is refused before it is read.
            Val::Broken(_) if matches!(self.node.start.and_then(|s| self.text.get(s)), Some(b'"' | b'{')) => {
                Err(Error::syntax(self.path))
            }
            _ => {
                let (e, at): (Error, _) = match self.mode {
                    Mode::Toml => (de::Error::custom("wanted string or table"), self.node.start),
                    Mode::Json => (de::Error::custom("expected value"), self.node.start.map(|s| s + 1)),
                    Mode::Value => (de::Error::invalid_type(self.node.unexpected(), &"string or map"), None),
                };
                Err(self.mark(e, at))
            }
        };
        r.map_err(|e| self.mark(e, at))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if let Val::Broken(_) = self.node.val {
            return Err(Error::syntax(self.path));
        }
        v.visit_unit()
    }
}

struct Seq<'a> {
    text: &'a [u8],
    items: &'a [Node],
    next: usize,
    path: &'a Seg<'a>,
    mode: Mode,
    /// JSON: where the reader is.
    pos: Option<usize>,
}

impl<'de> SeqAccess<'de> for Seq<'_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        let Some(node) = self.items.get(self.next) else {
            return Ok(None);
        };
        let index = self.next;
        self.next += 1;
        let path = Seg::Index(self.path, index);
        if let Val::Broken(Broken::Element) = node.val {
            return Err(Error::syntax(self.path));
        }
        let r = seed.deserialize(Des {
            node,
            path: &path,
            mode: self.mode,
            text: self.text,
        });
        self.pos = Some(node.end);
        r.map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next)
    }
}

struct Map<'a> {
    text: &'a [u8],
    entries: &'a [Entry],
    next: usize,
    path: &'a Seg<'a>,
    mode: Mode,
    pos: Option<usize>,
}

impl<'de> MapAccess<'de> for Map<'_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some(e) = self.entries.get(self.next) else {
            return Ok(None);
        };
        let path = Seg::Key(self.path, &e.key);
        if let Val::Broken(Broken::Key) = e.node.val {
            return Err(Error::syntax(&path));
        }
        let r = seed.deserialize(Key { key: &e.key });
        if self.mode == Mode::Json {
            self.pos = e.key_at;
        }
        r.map(Some).map_err(|err| {
            // JSON: serde_json places it where the object's reader stops.
            let at = match self.mode {
                Mode::Toml => e.key_at,
                _ => None,
            };
            Des {
                node: &e.node,
                path: &path,
                mode: self.mode,
                text: self.text,
            }
            .mark(err, at)
        })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let e = &self.entries[self.next];
        self.next += 1;
        let path = Seg::Key(self.path, &e.key);
        if let Val::Broken(Broken::Colon) = e.node.val {
            return Err(Error::syntax(self.path));
        }
        let r = seed.deserialize(Des {
            node: &e.node,
            path: &path,
            mode: self.mode,
            text: self.text,
        });
        if self.mode == Mode::Json {
            self.pos = Some(e.node.end);
        }
        r
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next)
    }
}

/// A key: always a string.
struct Key<'a> {
    key: &'a str,
}

impl<'de> Deserializer<'de> for Key<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_str(self.key)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, v: V) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_enum(self.key.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// A one-entry table or object read as an enum: the key names the variant.
struct Variant<'a> {
    text: &'a [u8],
    entry: &'a Entry,
    mode: Mode,
    path: &'a Seg<'a>,
}

impl<'de, 'a> de::EnumAccess<'de> for Variant<'a> {
    type Error = Error;
    type Variant = Variant<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Variant<'a>), Error> {
        let v = seed.deserialize(Key { key: &self.entry.key }).map_err(|mut e| {
            if e.at.is_none() {
                e.at = self.entry.key_at;
            }
            e
        })?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        use serde::Deserialize;
        if self.mode != Mode::Toml {
            return <()>::deserialize(self.des());
        }
        let node = &self.entry.node;
        let found = match &node.val {
            Val::Arr(a) if a.is_empty() => return Ok(()),
            Val::Map(m) if m.is_empty() => return Ok(()),
            Val::Arr(_) | Val::Map(_) => "expected empty table".to_string(),
            Val::Str(_) => "expected table, found string".into(),
            Val::Int(_) | Val::UInt(_) => "expected table, found integer".into(),
            Val::Float(_) => "expected table, found float".into(),
            _ => "expected table, found boolean".into(),
        };
        Err(Error::new(found, node.start))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self.des())
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        self.des().deserialize_seq(v)
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], v: V) -> Result<V::Value, Error> {
        self.des().deserialize_struct("", fields, v)
    }
}

impl<'a> Variant<'a> {
    fn des(&self) -> Des<'a> {
        Des {
            node: &self.entry.node,
            path: self.path,
            mode: self.mode,
            text: self.text,
        }
    }
}

// ---------------------------------------------------------------- TOML text

/// The tree of TOML text (`toml_edit`'s parser, the one the `toml` crate
/// uses, so syntax errors are the same).
pub fn from_toml(text: &str) -> Result<Node, toml_edit::TomlError> {
    let doc = toml_edit::ImDocument::parse(text)?;
    Ok(toml_item(doc.as_item(), None))
}

/// TOML text as a JSON value, equal to `toml::from_str::<serde_json::Value>`
/// (without a second deserializer in the bundle).
pub fn toml_to_value(text: &str) -> Result<serde_json::Value, toml_edit::TomlError> {
    from_toml(text).map(|n| n.to_value())
}

/// One TOML value as written after `key = ` (a command-line knob, an
/// inspector field): `8`, `"10 min"`, `{ dist = "exponential" }`.
pub fn toml_value_text(text: &str) -> Result<serde_json::Value, toml_edit::TomlError> {
    let mut table = toml_to_value(&format!("v = {text}"))?;
    Ok(table
        .get_mut("v")
        .map_or(serde_json::Value::Null, serde_json::Value::take))
}

fn span_start(s: Option<std::ops::Range<usize>>) -> Option<usize> {
    s.map(|r| r.start)
}

fn toml_item(item: &toml_edit::Item, key_at: Option<usize>) -> Node {
    use toml_edit::Item;
    match item {
        Item::None => Node {
            val: Val::Null,
            start: key_at,
            end: 0,
        },
        Item::Value(v) => toml_value(v, key_at),
        Item::Table(t) => Node {
            val: Val::Map(
                t.iter()
                    .map(|(k, it)| {
                        let at = span_start(t.key(k).and_then(|k| k.span()));
                        Entry {
                            key: k.to_string(),
                            key_at: at,
                            node: toml_item(it, at),
                        }
                    })
                    .collect(),
            ),
            start: span_start(item.span()).or(key_at),
            end: 0,
        },
        Item::ArrayOfTables(a) => Node {
            val: Val::Arr(a.iter().map(|t| toml_item(&Item::Table(t.clone()), None)).collect()),
            start: span_start(item.span()).or(key_at),
            end: 0,
        },
    }
}

fn toml_value(v: &toml_edit::Value, key_at: Option<usize>) -> Node {
    use toml_edit::Value;
    let start = span_start(v.span()).or(key_at);
    let val = match v {
        Value::String(s) => Val::Str(s.value().clone()),
        Value::Integer(i) => Val::Int(*i.value()),
        Value::Float(f) => Val::Float(*f.value()),
        Value::Boolean(b) => Val::Bool(*b.value()),
        // As the `toml` crate hands a datetime to serde.
        Value::Datetime(d) => Val::Map(vec![Entry {
            key: "$__toml_private_datetime".into(),
            key_at: None,
            node: Node {
                val: Val::Str(d.value().to_string()),
                start: None,
                end: 0,
            },
        }]),
        Value::Array(a) => Val::Arr(a.iter().map(|x| toml_value(x, None)).collect()),
        Value::InlineTable(t) => Val::Map(
            t.iter()
                .map(|(k, x)| {
                    let at = span_start(t.key(k).and_then(|k| k.span()));
                    Entry {
                        key: k.to_string(),
                        key_at: at,
                        node: toml_value(x, at),
                    }
                })
                .collect(),
        ),
    };
    Node { val, start, end: 0 }
}

// ---------------------------------------------------------------- JSON text

/// The tree of the JSON value at the start of `text` (what follows it is
/// not read, as scenario files always were). A syntax error leaves a
/// [`Val::Broken`] where the reader stopped and ends every enclosing
/// container there: deserialising meets it in text order, after any error
/// before it, as serde_json's lazy reader did; `serde_json` then names the
/// error and its place (see [`Error::syntax`]).
pub fn from_json(text: &str) -> Node {
    let mut p = Json {
        b: text.as_bytes(),
        text,
        i: 0,
        failed: false,
    };
    p.value(0)
}

struct Json<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
    failed: bool,
}

impl Json<'_> {
    fn ws(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
        self.b.get(self.i).copied()
    }

    fn broken(&mut self, at: Broken) -> Node {
        self.failed = true;
        Node {
            val: Val::Broken(at),
            start: Some(self.i),
            end: self.i,
        }
    }

    fn value(&mut self, depth: usize) -> Node {
        let start = self.i;
        let Some(c) = self.ws() else {
            return self.broken(Broken::Value);
        };
        let start = start.max(self.i);
        // serde_json's recursion limit.
        if depth > 127 && (c == b'[' || c == b'{') {
            return self.broken(Broken::Value);
        }
        let val = match c {
            b'{' => {
                self.i += 1;
                let mut entries = Vec::new();
                if self.ws() == Some(b'}') {
                    self.i += 1;
                } else {
                    loop {
                        if self.ws() != Some(b'"') {
                            entries.push(Entry {
                                key: "?".into(),
                                key_at: None,
                                node: self.broken(Broken::Key),
                            });
                            break;
                        }
                        let Ok(key) = self.string() else {
                            entries.push(Entry {
                                key: "?".into(),
                                key_at: None,
                                node: self.broken(Broken::Key),
                            });
                            break;
                        };
                        let key_at = Some(self.i);
                        if self.ws() != Some(b':') {
                            let node = self.broken(Broken::Colon);
                            entries.push(Entry { key, key_at, node });
                            break;
                        }
                        self.i += 1;
                        let node = self.value(depth + 1);
                        entries.push(Entry { key, key_at, node });
                        if self.failed {
                            break;
                        }
                        match self.ws() {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                break;
                            }
                            _ => {
                                entries.push(Entry {
                                    key: "?".into(),
                                    key_at: None,
                                    node: self.broken(Broken::Key),
                                });
                                break;
                            }
                        }
                    }
                }
                Ok(Val::Map(entries))
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                match self.ws() {
                    Some(b']') => self.i += 1,
                    None => items.push(self.broken(Broken::Element)),
                    Some(_) => loop {
                        items.push(self.value(depth + 1));
                        if self.failed {
                            break;
                        }
                        match self.ws() {
                            Some(b',')
                                if {
                                    self.i += 1;
                                    !matches!(self.ws(), None | Some(b']'))
                                } => {}
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => {
                                items.push(self.broken(Broken::Element));
                                break;
                            }
                        }
                    },
                }
                Ok(Val::Arr(items))
            }
            b'"' => self.string().map(Val::Str),
            b't' => self.word("true", Val::Bool(true)),
            b'f' => self.word("false", Val::Bool(false)),
            b'n' => self.word("null", Val::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(()),
        };
        match val {
            Ok(val) => Node {
                val,
                start: Some(start),
                end: self.i,
            },
            Err(()) => {
                self.failed = true;
                Node {
                    val: Val::Broken(Broken::Value),
                    start: Some(start),
                    end: self.i,
                }
            }
        }
    }

    fn word(&mut self, w: &str, v: Val) -> Result<Val, ()> {
        if self.b[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(())
        }
    }

    /// A number as serde_json reads it: a non-negative integer as `u64`, a
    /// negative one as `i64` (`-0` is a float), anything else (or too large)
    /// as `f64` by serde_json's own conversion.
    fn number(&mut self) -> Result<Val, ()> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while let Some(b'0'..=b'9') = p.b.get(p.i) {
                p.i += 1;
            }
            p.i - s
        };
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        let int_start = self.i;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return Err(());
        }
        let mut float = false;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(());
            }
            float = true;
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(());
            }
            float = true;
        }
        let lit = &self.text[start..self.i];
        if !float {
            if lit.starts_with('-') {
                if let Ok(v) = lit.parse::<i64>() {
                    if v != 0 {
                        return Ok(Val::Int(v));
                    }
                }
            } else if let Ok(v) = lit.parse::<u64>() {
                return Ok(Val::UInt(v));
            }
        }
        serde_json::from_str::<f64>(lit).map(Val::Float).map_err(|_| ())
    }

    fn hex4(&mut self) -> Result<u32, ()> {
        let h = self.text.get(self.i..self.i + 4).ok_or(())?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Err(());
        }
        self.i += 4;
        u32::from_str_radix(h, 16).map_err(|_| ())
    }

    /// A string literal (at its opening quote), escapes decoded.
    fn string(&mut self) -> Result<String, ()> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let run = self.i;
            while let Some(&c) = self.b.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.push_str(&self.text[run..self.i]);
            match self.b.get(self.i).ok_or(())? {
                b'"' => {
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.i += 1;
                    let c = *self.b.get(self.i).ok_or(())?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.b[self.i..].starts_with(b"\\u") {
                                    return Err(());
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(());
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(code).ok_or(())?);
                        }
                        _ => return Err(()),
                    }
                }
                _ => return Err(()),
            }
        }
    }
}

/// serde_json's line and column of a reader position.
pub fn json_line_col(text: &str, i: usize) -> (usize, usize) {
    let b = &text.as_bytes()[..i.min(text.len())];
    let start_of_line = b.iter().rposition(|&c| c == b'\n').map_or(0, |p| p + 1);
    (
        1 + b[..start_of_line].iter().filter(|&&c| c == b'\n').count(),
        i - start_of_line,
    )
}
