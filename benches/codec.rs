//! Throughput of the control-connection codec: decoding a realistic mix of
//! commands, and encoding the replies a server sends most.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddrV4};

use bytes::BytesMut;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokio_util::codec::{Decoder, LinesCodec};
use wharf_benches::{command_mix, command_mix_lines};
use wharf_proto::host_port::pasv_reply;
use wharf_proto::{CommandDecoder, Reply, ReplyCode};

/// Decodes every command line of `input`.
fn decode_all(input: &[u8]) {
    let mut decoder = CommandDecoder::default();
    let mut buf = BytesMut::from(input);
    while let Ok(Some(command)) = decoder.decode(&mut buf) {
        black_box(command);
    }
}

/// Encodes every reply into `out`.
fn encode_all(replies: &[Reply], out: &mut Vec<u8>) {
    out.clear();
    for reply in replies {
        reply.encode(out);
    }
    black_box(out);
}

fn decode_commands(c: &mut Criterion) {
    let input = command_mix();
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(command_mix_lines()));
    group.bench_function("command_mix/commands", |b| b.iter(|| decode_all(&input)));
    // The baseline measured in the same run: tokio-util's LinesCodec only
    // splits lines into Strings, with no parsing at all.
    group.bench_function("command_mix/lines_codec_baseline", |b| {
        b.iter(|| {
            let mut codec = LinesCodec::new_with_max_length(8192);
            let mut buf = BytesMut::from(&input[..]);
            while let Ok(Some(line)) = codec.decode(&mut buf) {
                black_box(line);
            }
        })
    });
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("command_mix/bytes", |b| b.iter(|| decode_all(&input)));
    group.finish();
}

fn encode_replies(c: &mut Criterion) {
    let replies = [
        Reply::new(
            ReplyCode::FILE_STATUS_OK,
            "Opening BINARY mode data connection.",
        ),
        Reply::new(ReplyCode::CLOSING_DATA_CONNECTION, "Transfer complete."),
        pasv_reply(SocketAddrV4::new(Ipv4Addr::new(203, 0, 113, 7), 50123)),
        Reply::with_quoted_path(
            ReplyCode::PATHNAME_CREATED,
            b"/projects/wharf",
            "is the current directory",
        ),
        Reply::multiline(
            ReplyCode::SYSTEM_STATUS,
            [
                "Features:",
                " EPRT",
                " EPSV",
                " MDTM",
                " MLST type*;size*;modify*;",
                " REST STREAM",
                " SIZE",
                " UTF8",
                "End",
            ],
        ),
    ];
    let bytes: usize = replies.iter().map(|r| r.to_bytes().len()).sum();
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::Elements(replies.len() as u64));
    group.bench_function("replies/replies", |b| {
        let mut out = Vec::with_capacity(1024);
        b.iter(|| encode_all(&replies, &mut out))
    });
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("replies/bytes", |b| {
        let mut out = Vec::with_capacity(1024);
        b.iter(|| encode_all(&replies, &mut out))
    });
    group.finish();
}

criterion_group!(benches, decode_commands, encode_replies);
criterion_main!(benches);
