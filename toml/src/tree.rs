//! The document as a tree: dotted key paths (`programming.sigma_poly[2]`)
//! and the nodes they name, with their spans in the text.

use std::ops::Range;

use toml_edit::{Item, Table, Value};

/// One segment of a dotted key path: `programming.sigma_poly[2]` is
/// `Key("programming"), Key("sigma_poly"), Index(2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

pub(crate) fn split_path(dotted: &str) -> Vec<Segment> {
    // Parts separated by dots outside double quotes: `sweep."array.size"`
    // is the key `array.size` of the table `sweep`.
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut quoted = false;
    for c in dotted.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut part)),
            _ => part.push(c),
        }
    }
    parts.push(part);
    let mut segments = Vec::new();
    for part in parts.iter().filter(|p| !p.is_empty()) {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part.as_str(), ""),
        };
        if !name.is_empty() {
            segments.push(Segment::Key(name.to_string()));
        }
        while let Some(close) = rest.find(']') {
            if let Ok(k) = rest[1..close].parse() {
                segments.push(Segment::Index(k));
            }
            rest = &rest[close + 1..];
        }
    }
    segments
}

pub(crate) fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// A node of the document: a table entry's item, or an array element.
#[derive(Clone, Copy)]
pub(crate) enum Node<'a> {
    Item(&'a Item),
    Value(&'a Value),
    Table(&'a Table),
}

impl<'a> Node<'a> {
    pub(crate) fn span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(i) => i.span(),
            Node::Value(v) => v.span(),
            Node::Table(t) => t.span(),
        }
    }

    pub(crate) fn value(self) -> Option<&'a Value> {
        match self {
            Node::Item(i) => i.as_value(),
            Node::Value(v) => Some(v),
            Node::Table(_) => None,
        }
    }

    pub(crate) fn is_table_like(self) -> bool {
        match self {
            Node::Item(i) => i.is_table_like(),
            Node::Value(v) => v.is_inline_table(),
            Node::Table(_) => true,
        }
    }

    /// `(key name, key span, child)` for every direct child.
    pub(crate) fn children(self) -> Vec<(Segment, Option<Range<usize>>, Node<'a>)> {
        let table_like: Option<&'a dyn toml_edit::TableLike> = match self {
            Node::Item(i) => i.as_table_like(),
            Node::Value(v) => v.as_inline_table().map(|t| t as &dyn toml_edit::TableLike),
            Node::Table(t) => Some(t as &dyn toml_edit::TableLike),
        };
        if let Some(t) = table_like {
            return t
                .iter()
                .filter_map(|(name, _)| {
                    let (key, item) = t.get_key_value(name)?;
                    Some((Segment::Key(name.to_string()), key.span(), Node::Item(item)))
                })
                .collect();
        }
        match self {
            Node::Item(Item::ArrayOfTables(a)) => a
                .iter()
                .enumerate()
                .map(|(k, t)| (Segment::Index(k), t.span(), Node::Table(t)))
                .collect(),
            _ => match self.value().and_then(Value::as_array) {
                Some(a) => a
                    .iter()
                    .enumerate()
                    .map(|(k, v)| (Segment::Index(k), v.span(), Node::Value(v)))
                    .collect(),
                None => Vec::new(),
            },
        }
    }
}

/// One entry of the flattened document.
pub(crate) struct Entry<'a> {
    pub(crate) path: String,
    pub(crate) key_span: Option<Range<usize>>,
    pub(crate) node: Node<'a>,
}

pub(crate) fn flatten<'a>(path: &str, node: Node<'a>, out: &mut Vec<Entry<'a>>) {
    for (segment, key_span, child) in node.children() {
        let child_path = match &segment {
            Segment::Key(name) => join_path(path, name),
            Segment::Index(k) => format!("{path}[{k}]"),
        };
        out.push(Entry {
            path: child_path.clone(),
            key_span,
            node: child,
        });
        flatten(&child_path, child, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_keys_and_indices() {
        assert_eq!(
            split_path("programming.sigma_poly[2]"),
            vec![
                Segment::Key("programming".into()),
                Segment::Key("sigma_poly".into()),
                Segment::Index(2)
            ]
        );
        assert_eq!(
            split_path("sweep.\"array.size\""),
            vec![
                Segment::Key("sweep".into()),
                Segment::Key("array.size".into())
            ]
        );
    }
}
