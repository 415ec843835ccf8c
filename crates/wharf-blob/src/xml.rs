//! A small XML tree for the REST responses object_store does not parse
//! (container and bucket lists, blob lists with metadata). Pages are bounded
//! by the page size asked for, so a tree per page is fine.

use quick_xml::Reader;
use quick_xml::events::Event;

/// One element: its local name, its text and its children.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The first child called `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child called `name`.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the descendant at `path` (child names), if present.
    pub(crate) fn text_at(&self, path: &[&str]) -> Option<&str> {
        let mut element = self;
        for name in path {
            element = element.child(name)?;
        }
        Some(element.text.as_str())
    }
}

/// Why a response could not be read.
#[derive(Debug, thiserror::Error)]
#[error("malformed XML response: {0}")]
pub(crate) struct XmlError(String);

/// Parses a whole document into its root element.
pub(crate) fn parse(xml: &[u8]) -> Result<Element, XmlError> {
    let mut reader = Reader::from_reader(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    let bad = |err: &dyn std::fmt::Display| XmlError(err.to_string());
    loop {
        let event = reader.read_event().map_err(|e| bad(&e))?;
        match event {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                stack.push(Element {
                    name,
                    ..Element::default()
                });
            }
            Event::Empty(empty) => {
                let name = String::from_utf8_lossy(empty.local_name().as_ref()).into_owned();
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(Element {
                        name,
                        ..Element::default()
                    });
                }
            }
            Event::End(_) => {
                let done = stack
                    .pop()
                    .ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                let parent = stack
                    .last_mut()
                    .ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                parent.children.push(done);
            }
            Event::Text(text) => {
                let text = text.xml10_content().map_err(|e| bad(&e))?;
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text);
                }
            }
            Event::CData(data) => {
                let text = data.decode().map_err(|e| bad(&e))?;
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text);
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref().map_err(|e| bad(&e))? {
                    Some(ch) => ch.to_string(),
                    None => match reference.decode().map_err(|e| bad(&e))?.as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => return Err(XmlError(format!("unknown entity &{other};"))),
                    },
                };
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let document = stack.pop().filter(|_| stack.is_empty());
    document
        .and_then(|mut doc| doc.children.pop())
        .ok_or_else(|| XmlError("no root element".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_text_entities_and_nesting() {
        let xml = br#"<?xml version="1.0"?><R a="1"><Blobs><Blob><Name>a &amp; b&#9;c</Name></Blob><Blob><Name>x</Name><Empty/></Blob></Blobs><NextMarker/></R>"#;
        let root = parse(xml).unwrap();
        assert_eq!(root.name, "R");
        let names: Vec<_> = root
            .child("Blobs")
            .unwrap()
            .all("Blob")
            .map(|b| b.text_at(&["Name"]).unwrap().to_string())
            .collect();
        assert_eq!(names, ["a & b\tc", "x"]);
        assert_eq!(root.text_at(&["NextMarker"]), Some(""));
    }
}
