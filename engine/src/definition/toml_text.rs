//! TOML text for the object map a definition script returns.
//!
//! A definition written in Rhai is run once, and the map it returns is
//! written out as TOML and compiled like any definition, so that diagnostics
//! can point into text the author can read. This writer covers exactly what
//! such a map holds (tables, arrays, strings, integers, floats, booleans);
//! it replaces the `toml` crate's serializer, which with its value and table
//! types cost about 4 KB of the WebAssembly module's gzip size.
//!
//! Layout: a table's plain keys first, then its sub-tables as `[a.b]`
//! sections and its arrays of tables as `[[a.b]]` sections, in key order.
//! Everything else is written inline.

/// A value a definition script can return.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Node {
    /// An object map, in key order.
    Table(Vec<(String, Node)>),
    Array(Vec<Node>),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    String(String),
}

/// The TOML document for a top-level table.
pub(crate) fn document(root: &[(String, Node)]) -> String {
    let mut out = String::new();
    body(&mut out, &mut Vec::new(), root);
    out
}

/// The elements of a non-empty array that holds only tables: written as
/// `[[…]]` sections.
fn tables_of(node: &Node) -> Option<&[Node]> {
    match node {
        Node::Array(a) if !a.is_empty() && a.iter().all(|x| matches!(x, Node::Table(_))) => Some(a),
        _ => None,
    }
}

fn body<'a>(out: &mut String, path: &mut Vec<&'a str>, entries: &'a [(String, Node)]) {
    for (k, v) in entries {
        if matches!(v, Node::Table(_)) || tables_of(v).is_some() {
            continue;
        }
        key(out, k);
        out.push_str(" = ");
        inline(out, v);
        out.push('\n');
    }
    for (k, v) in entries {
        path.push(k);
        if let Node::Table(t) = v {
            header(out, path, false);
            body(out, path, t);
        } else if let Some(elements) = tables_of(v) {
            for element in elements {
                if let Node::Table(t) = element {
                    header(out, path, true);
                    body(out, path, t);
                }
            }
        }
        path.pop();
    }
}

fn header(out: &mut String, path: &[&str], array: bool) {
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(if array { "[[" } else { "[" });
    for (i, k) in path.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        key(out, k);
    }
    out.push_str(if array { "]]\n" } else { "]\n" });
}

fn key(out: &mut String, k: &str) {
    let bare = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        out.push_str(k);
    } else {
        string(out, k);
    }
}

fn inline(out: &mut String, node: &Node) {
    match node {
        Node::Table(entries) => {
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push_str("{ ");
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                key(out, k);
                out.push_str(" = ");
                inline(out, v);
            }
            out.push_str(" }");
        }
        Node::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                inline(out, v);
            }
            out.push(']');
        }
        Node::Integer(i) => out.push_str(&i.to_string()),
        Node::Float(f) => float(out, *f),
        Node::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::String(s) => string(out, s),
    }
}

/// A float as TOML writes it: `inf`, `nan`, or a decimal with a point
/// (Rust's shortest representation that reads back to the same value).
fn float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("nan");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "inf" } else { "-inf" });
    } else {
        let text = f.to_string();
        out.push_str(&text);
        if !text.contains(['.', 'e', 'E']) {
            out.push_str(".0");
        }
    }
}

/// A basic string: quotes, backslashes and control characters escaped.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the `toml` crate reads back, as a node (tables in key order).
    fn node_of(v: &toml::Value) -> Node {
        match v {
            toml::Value::Table(t) => {
                Node::Table(t.iter().map(|(k, v)| (k.clone(), node_of(v))).collect())
            }
            toml::Value::Array(a) => Node::Array(a.iter().map(node_of).collect()),
            toml::Value::Integer(i) => Node::Integer(*i),
            toml::Value::Float(f) => Node::Float(*f),
            toml::Value::Boolean(b) => Node::Boolean(*b),
            toml::Value::String(s) => Node::String(s.clone()),
            toml::Value::Datetime(d) => panic!("no datetime was written, read {d}"),
        }
    }

    /// Keys as a map holds them: sorted and distinct.
    fn table(entries: Vec<(String, Node)>) -> Node {
        let mut entries = entries;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        Node::Table(entries)
    }

    fn any_key() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z_][a-z0-9_-]{0,6}",
            "[ -~]{0,6}",
            "\\PC{0,4}",
            Just(String::new()),
            Just("a.b".to_string()),
        ]
    }

    fn any_node() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![
            any::<i64>().prop_map(Node::Integer),
            any::<f64>()
                .prop_filter("NaN never equals itself", |f| !f.is_nan())
                .prop_map(Node::Float),
            Just(Node::Float(-0.0)),
            Just(Node::Float(f64::INFINITY)),
            Just(Node::Float(1e300)),
            any::<bool>().prop_map(Node::Boolean),
            any::<String>().prop_map(Node::String),
            Just(Node::String(
                "\u{8}\u{c}\u{1}\u{7f}\u{85}\"\\\n\t\r'''".into()
            )),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Node::Array),
                proptest::collection::vec((any_key(), inner), 0..4).prop_map(table),
            ]
        })
    }

    proptest! {
        /// Whatever a script returns, the text reads back as the same value.
        #[test]
        fn the_text_reads_back_as_the_same_value(
            entries in proptest::collection::vec((any_key(), any_node()), 0..6)
        ) {
            let Node::Table(root) = table(entries) else { unreachable!() };
            let text = document(&root);
            let parsed: toml::Table = toml::from_str(&text)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            let back = node_of(&toml::Value::Table(parsed));
            prop_assert_eq!(back, Node::Table(root), "{}", text);
        }
    }

    #[test]
    fn the_layout_is_sections_after_plain_keys() {
        let doc = document(&[
            ("a".into(), Node::Integer(1)),
            (
                "item".into(),
                Node::Array(vec![
                    Node::Table(vec![
                        ("id".into(), Node::String("q1".into())),
                        (
                            "text".into(),
                            Node::Table(vec![("en".into(), Node::String("Say \"hi\"\n".into()))]),
                        ),
                    ]),
                    Node::Table(vec![("id".into(), Node::String("q2".into()))]),
                ]),
            ),
            (
                "mixed".into(),
                Node::Array(vec![Node::Float(2.0), Node::Table(vec![])]),
            ),
            ("odd key".into(), Node::Boolean(true)),
        ]);
        assert_eq!(
            doc,
            "a = 1\nmixed = [2.0, {}]\n\"odd key\" = true\n\n[[item]]\nid = \"q1\"\n\n[item.text]\nen = \"Say \\\"hi\\\"\\n\"\n\n[[item]]\nid = \"q2\"\n"
        );
    }
}
