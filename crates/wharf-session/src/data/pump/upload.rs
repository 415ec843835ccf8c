//! STOR's, APPE's and STOU's pump: the connection through the stages to
//! the upload.

use std::io;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wharf_vfs::{Upload, VPath, VfsError};

use super::{Stages, Stream, excused};
use crate::data::meter::{Limits, Meter, storage_wait};
use crate::data::outcome::TransferError;
use crate::data::pipeline::Flow;

/// Receives the file into `upload` until the stream ends (the connection
/// closes, or a stage finds the end: MODE B's EOF block), then commits it;
/// returns the file bytes counted by the meter.
///
/// Any error returns early and drops `upload`, which discards it: a broken
/// connection, a malformed block stream or a quota never commits a partial
/// file under its final name. The quota admits each read before any of it
/// is written. Bytes read after a stage's end are not this file's and are
/// dropped; the connection then carries the next transfer (MODE B).
pub(crate) async fn upload(
    src: &mut Stream,
    mut upload: Box<dyn Upload>,
    mut stages: Stages,
    limits: Limits,
    mut meter: Meter<'_>,
    path: &VPath,
) -> Result<u64, TransferError> {
    let storage = |e: io::Error| TransferError::Storage(VfsError::from_io(e, path));
    // Read into spare capacity: no zeroing of a buffer a small upload
    // mostly leaves unused.
    let mut buf = BytesMut::with_capacity(limits.buffer);
    let mut unframed = BytesMut::new();
    let mut converted = BytesMut::new();
    loop {
        buf.clear();
        // A TLS peer that closes TCP without close_notify ends the file as
        // plain FTP's close does (MODE B's decoder still wants its EOF
        // block).
        let n = match src.read_buf(&mut buf).await {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => 0,
            Err(e) => return Err(TransferError::data(e)),
        };
        let mut end = n == 0;
        let mut data = &buf[..n];
        if let Some(stage) = stages.to_meter.as_mut() {
            unframed.clear();
            if let Flow::Ended { .. } = stage.push(data, &mut unframed)? {
                end = true;
            }
            if end {
                stage.finish(&mut unframed)?;
            }
            data = &unframed;
        }
        if !data.is_empty() {
            // Over quota: return before writing.
            excused(src, meter.admit_all(data.len())).await?;
        }
        if let Some(stage) = stages.from_meter.as_mut() {
            converted.clear();
            stage.push(data, &mut converted)?;
            if end {
                stage.finish(&mut converted)?;
            }
            data = &converted;
        }
        if !data.is_empty() {
            excused(src, storage_wait(limits, upload.write_all(data)))
                .await?
                .map_err(storage)?;
        }
        if end {
            excused(src, storage_wait(limits, upload.flush()))
                .await?
                .map_err(storage)?;
            excused(src, upload.finish())
                .await
                .map_err(TransferError::Storage)?;
            return Ok(meter.total());
        }
    }
}
