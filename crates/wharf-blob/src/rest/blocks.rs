//! Azure block lists, for appending to a blob without re-uploading it: the
//! new blob is the old one's committed blocks, blocks staged from the old
//! blob server-side (Put Block From URL), then new blocks.

use std::ops::Range;

use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use bytes::Bytes;
use http::{Method, StatusCode};

use super::{Rest, RestError, enc, enc_key};
use crate::xml;

/// A committed block: its id (base64, as the store gives it) and size.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub(crate) id: String,
    pub(crate) size: u64,
}

/// The committed blocks of a blob and the ETag they belong to.
#[derive(Debug, Clone)]
pub(crate) struct BlockList {
    pub(crate) blocks: Vec<Block>,
    pub(crate) etag: Option<String>,
}

impl BlockList {
    /// A new block id unlike the committed ones and of the same length
    /// (Azure requires one length per blob).
    pub(crate) fn new_id(&self) -> String {
        let len = self
            .blocks
            .first()
            .and_then(|b| BASE64_STANDARD.decode(&b.id).ok())
            .map_or(32, |raw| raw.len());
        loop {
            let raw: String = (0..len)
                .map(|_| char::from(b"0123456789abcdef"[fastrand::usize(..16)]))
                .collect();
            let id = BASE64_STANDARD.encode(raw);
            if !self.blocks.iter().any(|b| b.id == id) {
                return id;
            }
        }
    }
}

impl Rest {
    pub(crate) fn blob_url_of(&self, container: &str, key: &str) -> String {
        format!("{}/{}/{}", self.endpoint, enc(container), enc_key(key))
    }

    /// The blob's committed blocks (empty for a blob written in one piece),
    /// or `None` if it does not exist.
    pub(crate) async fn az_block_list(
        &self,
        container: &str,
        key: &str,
    ) -> Result<Option<BlockList>, RestError> {
        let url = format!(
            "{}?comp=blocklist&blocklisttype=committed",
            self.blob_url_of(container, key)
        );
        let response = self.send(Method::GET, &url, &[], Bytes::new()).await?;
        if response.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let response = response.ok()?;
        let root = xml::parse(&response.body)?;
        let blocks = root
            .child("CommittedBlocks")
            .into_iter()
            .flat_map(|c| c.all("Block"))
            .filter_map(|b| {
                Some(Block {
                    id: b.text_at(&["Name"])?.to_string(),
                    size: b.text_at(&["Size"])?.parse().ok()?,
                })
            })
            .collect();
        Ok(Some(BlockList {
            blocks,
            etag: response.header("etag").map(str::to_string),
        }))
    }

    /// Uploads one uncommitted block.
    pub(crate) async fn az_put_block(
        &self,
        container: &str,
        key: &str,
        id: &str,
        data: Bytes,
    ) -> Result<(), RestError> {
        let url = format!(
            "{}?comp=block&blockid={}",
            self.blob_url_of(container, key),
            enc(id)
        );
        self.send(Method::PUT, &url, &[], data)
            .await?
            .ok()
            .map(drop)
    }

    /// Stages block `id` server-side from bytes `range` of `source` (a URL
    /// the store can read without our key: a SAS URL, or with an Entra
    /// identity the plain URL and the caller's token), only if the source
    /// still has ETag `source_if_match` (Put Block From URL).
    pub(crate) async fn az_put_block_from_url(
        &self,
        container: &str,
        key: &str,
        id: &str,
        source: &str,
        range: Range<u64>,
        source_if_match: Option<&str>,
    ) -> Result<(), RestError> {
        let url = format!(
            "{}?comp=block&blockid={}",
            self.blob_url_of(container, key),
            enc(id)
        );
        let mut headers = vec![
            ("x-ms-copy-source", source.to_string()),
            (
                "x-ms-source-range",
                format!("bytes={}-{}", range.start, range.end.saturating_sub(1)),
            ),
        ];
        if let Some(etag) = source_if_match {
            headers.push(("x-ms-source-if-match", etag.to_string()));
        }
        headers.extend(self.copy_source_authorization().await?);
        self.send(Method::PUT, &url, &headers, Bytes::new())
            .await?
            .ok()
            .map(drop)
    }

    /// Commits `committed` (kept blocks) then `uncommitted` (new ones) as
    /// the blob's content, only if the blob still has ETag `if_match`.
    pub(crate) async fn az_put_block_list(
        &self,
        container: &str,
        key: &str,
        committed: &[String],
        uncommitted: &[String],
        if_match: Option<&str>,
    ) -> Result<(), RestError> {
        let url = format!("{}?comp=blocklist", self.blob_url_of(container, key));
        let mut body = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
        for id in committed {
            body.push_str(&format!("<Committed>{id}</Committed>"));
        }
        for id in uncommitted {
            body.push_str(&format!("<Uncommitted>{id}</Uncommitted>"));
        }
        body.push_str("</BlockList>");
        let mut headers = vec![("content-type", "application/xml".to_string())];
        if let Some(etag) = if_match {
            headers.push(("if-match", etag.to_string()));
        }
        self.send(Method::PUT, &url, &headers, Bytes::from(body))
            .await?
            .ok()
            .map(drop)
    }
}
