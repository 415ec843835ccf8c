//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`): the
//! XML answers of the storage services as wharf-blob reads them. Not an
//! API; nothing here is stable.

use crate::names;
use crate::rest::azure::{blob_page, container_page};
use crate::xml;

/// What one answer body gave when read as each kind of listing page.
#[derive(Debug, Default)]
pub struct Listing {
    /// The blob names of a `List Blobs` page, as the store spells them.
    pub blobs: Vec<String>,
    /// The folder prefixes of that page.
    pub prefixes: Vec<String>,
    /// The container names, read as a `List Containers` page.
    pub containers: Vec<String>,
    /// The continuation marker.
    pub next: Option<String>,
}

/// Reads `body` as every listing page wharf-blob parses, and each name as
/// a client would see it. `Err` holds the parser's reason.
pub fn read_listing(body: &[u8]) -> Result<Listing, String> {
    let root = xml::parse(body).map_err(|e| e.to_string())?;
    let page = blob_page(&root);
    let (containers, _) = container_page(&root);
    for name in page.blobs.iter().map(|b| &b.name).chain(&page.prefixes) {
        let _ = names::decode(name);
    }
    Ok(Listing {
        blobs: page.blobs.into_iter().map(|b| b.name).collect(),
        prefixes: page.prefixes,
        containers: containers.into_iter().map(|c| c.name).collect(),
        next: page.next,
    })
}

/// A client's name component as a store keeps it, and back.
pub fn name_round_trip(name: &str) -> Vec<u8> {
    names::decode(&names::encode(name))
}
