//! Azure Blob REST calls: containers, public access, blob lists with
//! metadata, blob metadata, marker blobs.

use std::time::SystemTime;

use bytes::Bytes;
use http::{Method, StatusCode};

use super::{Response, Rest, RestError, enc, enc_key};
use crate::time::{parse_http_date, parse_mtime};
use crate::xml::{self, Element};

/// Who may read a container without credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PublicAccess {
    /// Nobody.
    Private,
    /// Anyone may read blobs whose names they know.
    Blob,
    /// Anyone may list the container and read its blobs.
    Container,
}

impl PublicAccess {
    /// From the `x-ms-blob-public-access` header or `<PublicAccess>`.
    fn parse(value: Option<&str>) -> Self {
        match value {
            Some("blob") => Self::Blob,
            Some("container") => Self::Container,
            _ => Self::Private,
        }
    }

    /// From Unix mode bits: o+rx is container, o+r is blob, else private.
    pub(crate) fn from_mode(mode: u32) -> Self {
        let other = mode & 0o7;
        if other & 0o5 == 0o5 {
            Self::Container
        } else if other & 0o4 != 0 {
            Self::Blob
        } else {
            Self::Private
        }
    }

    /// As Unix mode bits for listings.
    pub(crate) fn mode(self) -> u32 {
        match self {
            Self::Private => 0o750,
            Self::Blob => 0o754,
            Self::Container => 0o755,
        }
    }
}

/// A container as listed.
#[derive(Debug, Clone)]
pub(crate) struct ContainerItem {
    pub(crate) name: String,
    pub(crate) modified: Option<SystemTime>,
    pub(crate) access: PublicAccess,
}

/// A blob as listed.
#[derive(Debug, Clone)]
pub(crate) struct BlobItem {
    pub(crate) name: String,
    pub(crate) size: u64,
    pub(crate) modified: Option<SystemTime>,
    /// The client's modification time from the blob's metadata.
    pub(crate) mtime: Option<SystemTime>,
}

/// One page of a blob listing.
#[derive(Debug, Default)]
pub(crate) struct BlobPage {
    pub(crate) blobs: Vec<BlobItem>,
    pub(crate) prefixes: Vec<String>,
    pub(crate) next: Option<String>,
}

/// The continuation marker, if the listing goes on.
fn next_marker(root: &Element) -> Option<String> {
    root.text_at(&["NextMarker"])
        .filter(|m| !m.is_empty())
        .map(str::to_string)
}

/// The containers of a `List Containers` answer, and the marker of the
/// next page. Entries without a name are skipped.
pub(crate) fn container_page(root: &Element) -> (Vec<ContainerItem>, Option<String>) {
    let items = root
        .child("Containers")
        .into_iter()
        .flat_map(|c| c.all("Container"))
        .filter_map(|c| {
            Some(ContainerItem {
                name: c.text_at(&["Name"])?.to_string(),
                modified: c
                    .text_at(&["Properties", "Last-Modified"])
                    .and_then(parse_http_date),
                access: PublicAccess::parse(c.text_at(&["Properties", "PublicAccess"])),
            })
        })
        .collect();
    (items, next_marker(root))
}

/// The blobs and prefixes of a `List Blobs` answer. Entries without a name
/// are skipped; a size, time or mtime that does not parse is left out.
pub(crate) fn blob_page(root: &Element) -> BlobPage {
    let mut page = BlobPage {
        next: next_marker(root),
        ..BlobPage::default()
    };
    if let Some(blobs) = root.child("Blobs") {
        for blob in blobs.all("Blob") {
            let Some(name) = blob.text_at(&["Name"]) else {
                continue;
            };
            page.blobs.push(BlobItem {
                name: name.to_string(),
                size: blob
                    .text_at(&["Properties", "Content-Length"])
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0),
                modified: blob
                    .text_at(&["Properties", "Last-Modified"])
                    .and_then(parse_http_date),
                mtime: blob.text_at(&["Metadata", "mtime"]).and_then(parse_mtime),
            });
        }
        for prefix in blobs.all("BlobPrefix") {
            if let Some(name) = prefix.text_at(&["Name"]) {
                page.prefixes.push(name.to_string());
            }
        }
    }
    page
}

impl Rest {
    fn container_url(&self, container: &str) -> String {
        format!("{}/{}", self.endpoint, enc(container))
    }

    fn blob_url(&self, container: &str, key: &str) -> String {
        format!("{}/{}/{}", self.endpoint, enc(container), enc_key(key))
    }

    async fn call(&self, method: Method, url: &str) -> Result<Response, RestError> {
        self.send(method, url, &[], Bytes::new()).await
    }

    /// One page of the account's containers.
    pub(crate) async fn az_list_containers(
        &self,
        marker: Option<&str>,
        max: usize,
    ) -> Result<(Vec<ContainerItem>, Option<String>), RestError> {
        let mut url = format!("{}/?comp=list&maxresults={max}", self.endpoint);
        if let Some(marker) = marker {
            url.push_str(&format!("&marker={}", enc(marker)));
        }
        let response = self.call(Method::GET, &url).await?.ok()?;
        Ok(container_page(&xml::parse(&response.body)?))
    }

    /// The container's properties, or `None` if it does not exist.
    pub(crate) async fn az_container(
        &self,
        name: &str,
    ) -> Result<Option<ContainerItem>, RestError> {
        let url = format!("{}?restype=container", self.container_url(name));
        let response = self.call(Method::HEAD, &url).await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = response.ok()?;
        Ok(Some(ContainerItem {
            name: name.to_string(),
            modified: response.header("last-modified").and_then(parse_http_date),
            access: PublicAccess::parse(response.header("x-ms-blob-public-access")),
        }))
    }

    /// Creates a container; `false` if it already exists. A `409` whose
    /// code means something else (`ContainerBeingDeleted`) is an error.
    pub(crate) async fn az_create_container(&self, name: &str) -> Result<bool, RestError> {
        let url = format!("{}?restype=container", self.container_url(name));
        let response = self.call(Method::PUT, &url).await?;
        if response.status == StatusCode::CONFLICT
            && response
                .error_code()
                .is_none_or(|code| crate::error_codes::meaning(&code).is_none())
        {
            return Ok(false);
        }
        response.ok().map(|_| true)
    }

    /// Deletes a container; `false` if it did not exist.
    pub(crate) async fn az_delete_container(&self, name: &str) -> Result<bool, RestError> {
        let url = format!("{}?restype=container", self.container_url(name));
        let response = self.call(Method::DELETE, &url).await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        response.ok().map(|_| true)
    }

    /// Sets who may read the container anonymously.
    pub(crate) async fn az_set_access(
        &self,
        name: &str,
        access: PublicAccess,
    ) -> Result<(), RestError> {
        let url = format!("{}?restype=container&comp=acl", self.container_url(name));
        let mut headers = Vec::new();
        match access {
            PublicAccess::Private => {}
            PublicAccess::Blob => headers.push(("x-ms-blob-public-access", "blob".to_string())),
            PublicAccess::Container => {
                headers.push(("x-ms-blob-public-access", "container".to_string()));
            }
        }
        self.send(Method::PUT, &url, &headers, Bytes::new())
            .await?
            .ok()
            .map(drop)
    }

    /// One page of blobs under `prefix`, grouped at `/` when `delimited`,
    /// with their metadata.
    pub(crate) async fn az_list_blobs(
        &self,
        container: &str,
        prefix: &str,
        delimited: bool,
        marker: Option<&str>,
        max: usize,
    ) -> Result<BlobPage, RestError> {
        let mut url = format!(
            "{}?restype=container&comp=list&include=metadata&maxresults={max}&prefix={}",
            self.container_url(container),
            enc(prefix)
        );
        if delimited {
            url.push_str("&delimiter=%2F");
        }
        if let Some(marker) = marker {
            url.push_str(&format!("&marker={}", enc(marker)));
        }
        let response = self.call(Method::GET, &url).await?.ok()?;
        Ok(blob_page(&xml::parse(&response.body)?))
    }

    /// Replaces the blob's metadata with `metadata`.
    pub(crate) async fn az_set_metadata(
        &self,
        container: &str,
        key: &str,
        metadata: &[(String, String)],
    ) -> Result<bool, RestError> {
        let url = format!("{}?comp=metadata", self.blob_url(container, key));
        let headers: Vec<(String, String)> = metadata
            .iter()
            .map(|(k, v)| (format!("x-ms-meta-{k}"), v.clone()))
            .collect();
        let headers: Vec<(&str, String)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let response = self.send(Method::PUT, &url, &headers, Bytes::new()).await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        response.ok().map(|_| true)
    }

    /// Writes an empty block blob (a folder marker, possibly named `x/`).
    pub(crate) async fn az_put_empty(&self, container: &str, key: &str) -> Result<(), RestError> {
        let url = self.blob_url(container, key);
        let headers = [("x-ms-blob-type", "BlockBlob".to_string())];
        self.send(Method::PUT, &url, &headers, Bytes::new())
            .await?
            .ok()
            .map(drop)
    }

    /// Deletes a blob; `false` if it did not exist.
    pub(crate) async fn az_delete_blob(
        &self,
        container: &str,
        key: &str,
    ) -> Result<bool, RestError> {
        let response = self
            .call(Method::DELETE, &self.blob_url(container, key))
            .await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(false);
        }
        response.ok().map(|_| true)
    }
}
