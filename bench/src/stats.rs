//! Latency samples and the medians of repeated runs.

/// Latencies in nanoseconds.
#[derive(Clone, Debug, Default)]
pub struct Latencies {
    samples: Vec<u64>,
}

impl Latencies {
    /// Records one latency.
    pub fn record(&mut self, ns: u64) {
        self.samples.push(ns);
    }

    /// Takes the samples of another recorder.
    pub fn merge(&mut self, other: Latencies) {
        self.samples.extend(other.samples);
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The `q` quantile (0..=1) in microseconds, `NaN` without samples.
    pub fn quantile_us(&mut self, q: f64) -> f64 {
        if self.samples.is_empty() {
            return f64::NAN;
        }
        self.samples.sort_unstable();
        let last = self.samples.len() - 1;
        let index = ((last as f64) * q).round() as usize;
        self.samples.get(index.min(last)).copied().unwrap_or(0) as f64 / 1000.0
    }
}

/// The median of some values (`NaN` values are left out; `NaN` if none remain).
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_medians() {
        let mut l = Latencies::default();
        for ns in (1..=100).rev() {
            l.record(ns * 1000);
        }
        assert_eq!(l.quantile_us(0.5), 51.0);
        assert_eq!(l.quantile_us(0.99), 99.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, f64::NAN, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
