//! Pure-core speed: decoding runvars, and the listing over in-memory rows
//! (which must grow linearly with the number of rows).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    reason = "the rows' numbers come from indexes of at most 10,000 rows"
)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hostlife::lifecycle::{self, ListingContext, RowJob, ScanRow};

/// Rows as a busy shared build host accumulates them: jobs across a few
/// flights, each preparing then using the host, some tasks still live,
/// and the odd operator poke.
pub fn rows(n: usize) -> Vec<ScanRow<'static>> {
    (0..n)
        .map(|i| {
            let lcseq = i as i32 + 1;
            if i % 97 == 13 {
                return ScanRow {
                    lcseq,
                    taskid: 5,
                    live: true,
                    job: None,
                };
            }
            let job = i / 3;
            ScanRow {
                lcseq,
                taskid: 1000 + job as i32,
                live: job % 11 == 0,
                job: Some(RowJob {
                    flight: 5000 + (job / 40) as i32,
                    job: format!("build-{}-{}", ["amd64", "i386", "arm64"][job % 3], job % 40)
                        .into(),
                    stepno: 2 + (i % 3) as i32,
                    ident: if job % 7 == 0 { "src_host" } else { "host" }.into(),
                    isprep: i % 3 == 0,
                }),
            }
        })
        .collect()
}

fn listing(c: &mut Criterion) {
    let mut g = c.benchmark_group("listing");
    for n in [10, 100, 1_000, 5_000, 10_000] {
        let rows = rows(n);
        g.throughput(Throughput::Elements(n as u64));
        for build_host in [false, true] {
            let id = BenchmarkId::new(
                if build_host {
                    "build-host"
                } else {
                    "test-host"
                },
                n,
            );
            g.bench_with_input(id, &rows, |b, rows| {
                b.iter(|| {
                    lifecycle::listing(
                        black_box(rows),
                        ListingContext {
                            flight: Some(5001),
                            job: "build-amd64-3",
                            build_host,
                        },
                    )
                });
            });
        }
    }
    g.finish();
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for n in [100, 10_000] {
        let rows = rows(n);
        let text = lifecycle::listing(
            &rows,
            ListingContext {
                flight: Some(5001),
                job: "build-amd64-3",
                build_host: false,
            },
        )
        .runvar(None);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::new("runvar", text.len()), &text, |b, text| {
            b.iter(|| lifecycle::decode(black_box(text)).map(|r| r.tokens.len()));
        });
    }
    g.finish();
}

criterion_group!(benches, listing, decode);
criterion_main!(benches);
