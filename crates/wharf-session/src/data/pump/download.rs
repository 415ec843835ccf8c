//! RETR's pump: the file reader through the stages to the connection.

use bytes::BytesMut;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use wharf_vfs::{FileReader, VPath, VfsError};

use super::{Stages, Stream, excused};
use crate::data::meter::{Limits, Meter, storage_wait};
use crate::data::outcome::TransferError;

/// Sends `reader` to its end; returns the file bytes counted by the meter.
///
/// The quota decides before bytes leave, and counts them as they go on the
/// wire after TYPE A's conversion: a download stops exactly at the limit,
/// with the part of a step that fits sent and then the quota's error. At
/// most `limits.buffer` bytes of the reader's buffer go per step, so
/// quotas, throttles and STAT see the file in pieces. Only the reader
/// ends a download: its stages (TYPE A, the MODE B encoder) never end a
/// stream, so their [`Flow`](crate::data::pipeline::Flow) is not consulted.
pub(crate) async fn download(
    mut reader: FileReader,
    dst: &mut Stream,
    mut stages: Stages,
    limits: Limits,
    mut meter: Meter<'_>,
    path: &VPath,
) -> Result<u64, TransferError> {
    let mut converted = BytesMut::new();
    let mut framed = BytesMut::new();
    loop {
        let ready = excused(dst, storage_wait(limits, reader.fill_buf()))
            .await?
            .map_err(|e| TransferError::Storage(VfsError::from_io(e, path)))?;
        let end = ready.is_empty();
        let take = ready.len().min(limits.buffer);
        let mut wire = &ready[..take];
        if let Some(stage) = stages.to_meter.as_mut() {
            converted.clear();
            stage.push(wire, &mut converted)?;
            if end {
                stage.finish(&mut converted)?;
            }
            wire = &converted;
        }
        let (n, stop) = if wire.is_empty() {
            (0, None)
        } else {
            excused(dst, meter.admit(wire.len())).await
        };
        if n == 0
            && let Some(stop) = stop
        {
            return Err(stop);
        }
        let mut out = &wire[..n];
        if let Some(stage) = stages.from_meter.as_mut() {
            framed.clear();
            stage.push(out, &mut framed)?;
            if end && stop.is_none() {
                stage.finish(&mut framed)?;
            }
            out = &framed;
        }
        dst.write_all(out).await.map_err(TransferError::data)?;
        reader.consume(take);
        if let Some(stop) = stop {
            return Err(stop);
        }
        if end {
            return Ok(meter.total());
        }
    }
}
