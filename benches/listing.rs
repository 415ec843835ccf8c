//! Throughput of the listing formatters: one directory of 10,000 files (the
//! size of the load bench's `list-big`) formatted as LIST (`ls -l`) lines,
//! MLSD fact lines and, as the floor measured in the same run, NLST lines
//! (the names alone).
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wharf_proto::listing::{
    EntryKind, FactSet, ListingEntry, Perms, format_list_line, format_mlsx_line, format_nlst_line,
};
use wharf_proto::timestamp::Timestamp;

const ENTRIES: usize = 10_000;

/// Seconds since the epoch of "now" for the LIST date column.
const NOW: i64 = 1_795_000_000;

fn names() -> Vec<Vec<u8>> {
    (0..ENTRIES)
        .map(|i| format!("report-{i:05}-quarterly-figures.csv").into_bytes())
        .collect()
}

fn entries(names: &[Vec<u8>]) -> Vec<ListingEntry<'_>> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut entry = ListingEntry::new(name, EntryKind::File);
            entry.size = (i as u64) * 7919 % 50_000_000;
            // Spread over the last two years: both date forms of `ls`.
            entry.modified = Timestamp::from_unix(NOW - (i as i64) * 6311, 0);
            entry.mode = Some(0o644);
            entry.perms = Perms::for_kind(EntryKind::File, true);
            entry
        })
        .collect()
}

fn format_all(
    entries: &[ListingEntry<'_>],
    out: &mut Vec<u8>,
    line: impl Fn(&ListingEntry<'_>, &mut Vec<u8>),
) {
    out.clear();
    for entry in entries {
        line(entry, out);
        out.extend_from_slice(b"\r\n");
    }
    black_box(out);
}

fn listings(c: &mut Criterion) {
    let names = names();
    let entries = entries(&names);
    let now = Timestamp::from_unix(NOW, 0).expect("a valid time");
    let facts = FactSet::default();
    let mut out = Vec::with_capacity(ENTRIES * 128);
    let mut group = c.benchmark_group("listing");
    group.throughput(Throughput::Elements(ENTRIES as u64));
    group.bench_function("list_10k", |b| {
        b.iter(|| {
            format_all(&entries, &mut out, |e, out| {
                format_list_line(e, now, out).expect("listable");
            });
        });
    });
    group.bench_function("mlsd_10k", |b| {
        b.iter(|| {
            format_all(&entries, &mut out, |e, out| {
                format_mlsx_line(e, facts, out).expect("listable");
            });
        });
    });
    group.bench_function("nlst_10k_floor", |b| {
        b.iter(|| {
            format_all(&entries, &mut out, |e, out| {
                format_nlst_line(e.name, out).expect("listable");
            });
        });
    });
    group.finish();
}

criterion_group!(benches, listings);
criterion_main!(benches);
