//! What one run measures, and the order statistics the report is made of.

/// Bytes in a MiB and in a GiB, for rates and CPU per GiB.
pub const MIB: f64 = 1024.0 * 1024.0;
pub const GIB: f64 = 1024.0 * MIB;

/// The result of one run of one case against one server.
#[derive(Clone, Copy, Debug)]
pub struct Measure {
    /// The headline figure, in the case's unit (MiB/s, operations/s, ms,
    /// KiB per session).
    pub value: f64,
    /// p50 and p99 latency of one operation in ms, for the looping cases.
    pub latency: Option<(f64, f64)>,
    /// Server CPU seconds per the case's unit of work (a GiB moved, or
    /// 1,000 operations), if /proc could be read.
    pub cpu: Option<f64>,
    /// The load generator's own CPU seconds per the same unit, over the
    /// same window (transfers and loops; none for listings and idle
    /// sessions). On loopback the kernel runs much of the receiving side's
    /// TCP work in the sender's context, and how it splits between the two
    /// moves with their timing, so a server's CPU is compared fairly only
    /// beside this figure.
    pub client_cpu: Option<f64>,
    /// The busy CPU seconds of all CPUs per the same unit, over the same
    /// window (`machine.rs`): the whole cost, however the kernel split it
    /// (transfers and loops; none for listings and idle sessions).
    pub machine_cpu: Option<f64>,
}

impl Measure {
    /// `value` and `latency`, with the server's, the client's and the
    /// machine's CPU between the readings `before` and `after`, per `units`
    /// of work.
    fn with_cpu(
        value: f64,
        latency: Option<(f64, f64)>,
        before: Cpu,
        after: Cpu,
        units: f64,
    ) -> Self {
        Self {
            value,
            latency,
            cpu: cpu_per(before.server, after.server, units),
            client_cpu: cpu_per(before.client, after.client, units),
            machine_cpu: cpu_per(before.machine, after.machine, units),
        }
    }

    /// The result of a big transfer: MiB/s of `bytes` over `seconds`, and
    /// CPU per GiB of them between the readings `before` and `after`.
    pub fn of_transfer(bytes: u64, seconds: f64, before: Cpu, after: Cpu) -> Self {
        let bytes = bytes as f64;
        Self::with_cpu(bytes / MIB / seconds, None, before, after, bytes / GIB)
    }

    /// The result of a looping case: operations per second over `seconds`,
    /// latency quantiles of the operations, and CPU per 1,000 of them
    /// between the readings `before` and `after`.
    pub fn of_loop(latencies_ms: &[f64], seconds: f64, before: Cpu, after: Cpu) -> Self {
        let operations = latencies_ms.len() as f64;
        let latency = latency(latencies_ms);
        Self::with_cpu(
            operations / seconds,
            latency,
            before,
            after,
            operations / 1000.0,
        )
    }
}

/// CPU seconds used so far by the server's process tree, by this load
/// generator and by the whole machine, read together at the edges of a
/// measured window.
#[derive(Clone, Copy, Debug)]
pub struct Cpu {
    pub server: Option<f64>,
    pub client: Option<f64>,
    pub machine: Option<f64>,
}

impl Cpu {
    /// All three readings now; `server` is the server tree's figure.
    pub fn read(server: Option<f64>) -> Self {
        Self {
            server,
            client: crate::proctree::own_cpu_seconds(),
            machine: crate::machine::busy_seconds(),
        }
    }
}

/// CPU seconds between two readings, per `units` of work.
pub fn cpu_per(before: Option<f64>, after: Option<f64>, units: f64) -> Option<f64> {
    let (before, after) = (before?, after?);
    (units > 0.0).then(|| (after - before) / units)
}

/// The value at quantile `q` (0..=1) of `values`, nearest rank; `None` if
/// empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// The median (the upper one for an even count); `None` if empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(sorted[sorted.len() / 2])
}

/// Smallest and largest; `None` if empty.
pub fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    let first = *values.first()?;
    Some(
        values
            .iter()
            .fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v))),
    )
}

/// p50 and p99 of latencies in ms; `None` if there are none.
pub fn latency(latencies_ms: &[f64]) -> Option<(f64, f64)> {
    Some((quantile(latencies_ms, 0.5)?, quantile(latencies_ms, 0.99)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_statistics() {
        let values = [5.0, 1.0, 4.0, 2.0, 3.0];
        assert_eq!(median(&values), Some(3.0));
        assert_eq!(min_max(&values), Some((1.0, 5.0)));
        assert_eq!(quantile(&values, 0.99), Some(5.0));
        assert_eq!(quantile(&values, 0.5), Some(3.0));
        assert_eq!(median(&[]), None);
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&hundred, 0.99), Some(99.0));
        assert_eq!(cpu_per(Some(1.0), Some(3.0), 2.0), Some(1.0));
        assert_eq!(cpu_per(None, Some(3.0), 2.0), None);
    }

    #[test]
    fn each_cpu_figure_comes_from_its_own_readings() {
        let before = Cpu {
            server: Some(1.0),
            client: Some(10.0),
            machine: None,
        };
        let after = Cpu {
            server: Some(3.0),
            client: Some(16.0),
            machine: Some(100.0),
        };
        let m = Measure::with_cpu(5.0, None, before, after, 2.0);
        assert_eq!(m.value, 5.0);
        assert_eq!(m.cpu, Some(1.0));
        assert_eq!(m.client_cpu, Some(3.0));
        assert_eq!(m.machine_cpu, None);
    }

    #[test]
    fn a_transfer_is_counted_in_mib_per_second_and_cpu_per_gib() {
        let before = Cpu {
            server: Some(1.0),
            client: Some(2.0),
            machine: Some(10.0),
        };
        let after = Cpu {
            server: Some(2.0),
            client: Some(3.0),
            machine: Some(13.0),
        };
        let m = Measure::of_transfer(2 << 30, 4.0, before, after);
        assert_eq!(m.value, 512.0);
        assert_eq!(m.latency, None);
        assert_eq!(m.cpu, Some(0.5));
        assert_eq!(m.client_cpu, Some(0.5));
        assert_eq!(m.machine_cpu, Some(1.5));
    }
}
