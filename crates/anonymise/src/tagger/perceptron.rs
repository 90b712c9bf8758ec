//! A multi-class averaged perceptron over string features: scoring, training, and the
//! weights as text (`feature w_other w_person w_address w_time` per line).

use std::collections::HashMap;

use super::Class;

/// Weights per feature, one per [`Class`].
#[derive(Debug, Default)]
pub(crate) struct Perceptron {
    weights: HashMap<String, [f32; Class::COUNT]>,
}

/// At most this many weight lines are read, so a damaged data file cannot grow memory
/// without bound.
const MAX_FEATURES: usize = 400_000;

impl Perceptron {
    /// Parses weights written by [`Trainer::finish`]. Lines that do not parse are skipped.
    pub(crate) fn from_text(text: &str) -> Perceptron {
        let mut weights = HashMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            if weights.len() >= MAX_FEATURES {
                break;
            }
            let mut parts = line.split('\t');
            let Some(name) = parts.next() else { continue };
            let mut w = [0f32; Class::COUNT];
            let mut ok = true;
            for slot in &mut w {
                match parts.next().map(str::parse::<f32>) {
                    Some(Ok(v)) if v.is_finite() => *slot = v,
                    _ => ok = false,
                }
            }
            if ok && !name.is_empty() {
                weights.insert(name.to_string(), w);
            }
        }
        Perceptron { weights }
    }

    pub(crate) fn len(&self) -> usize {
        self.weights.len()
    }

    pub(crate) fn scores(&self, features: &[String]) -> [f32; Class::COUNT] {
        let mut s = [0f32; Class::COUNT];
        for f in features {
            if let Some(w) = self.weights.get(f) {
                for (acc, v) in s.iter_mut().zip(w) {
                    *acc += v;
                }
            }
        }
        s
    }
}

/// Training state: current weights, and their running sums for the average.
#[derive(Debug, Default)]
pub(crate) struct Trainer {
    current: HashMap<String, [f64; Class::COUNT]>,
    /// Sum of `step * update` per weight (the averaging trick: average = w - sum / steps).
    stamped: HashMap<String, [f64; Class::COUNT]>,
    counts: HashMap<String, u32>,
    step: u64,
}

impl Trainer {
    pub(crate) fn predict(&self, features: &[String]) -> Class {
        let mut s = [0f64; Class::COUNT];
        for f in features {
            if let Some(w) = self.current.get(f) {
                for (acc, v) in s.iter_mut().zip(w) {
                    *acc += v;
                }
            }
        }
        Class::best(&s.map(|v| v as f32))
    }

    /// One example: predicts, and on a mistake moves weights towards `gold`.
    pub(crate) fn learn(&mut self, features: &[String], gold: Class) -> Class {
        self.step += 1;
        for f in features {
            *self.counts.entry(f.clone()).or_default() += 1;
        }
        let guess = self.predict(features);
        if guess != gold {
            let step = self.step as f64;
            for f in features {
                let w = self.current.entry(f.clone()).or_default();
                w[gold.index()] += 1.0;
                w[guess.index()] -= 1.0;
                let s = self.stamped.entry(f.clone()).or_default();
                s[gold.index()] += step;
                s[guess.index()] -= step;
            }
        }
        guess
    }

    /// The averaged weights as text, keeping features seen at least `min_count` times and
    /// with some weight, sorted so the file is reproducible.
    pub(crate) fn finish(&self, min_count: u32) -> String {
        let steps = self.step.max(1) as f64;
        let mut lines: Vec<String> = Vec::new();
        for (name, w) in &self.current {
            if self.counts.get(name).copied().unwrap_or(0) < min_count {
                continue;
            }
            let s = self.stamped.get(name).copied().unwrap_or_default();
            let avg: Vec<f64> = w.iter().zip(s).map(|(w, s)| w - s / steps).collect();
            if avg.iter().all(|v| v.abs() < 0.005) {
                continue;
            }
            let cols: Vec<String> = avg.iter().map(|v| format!("{v:.2}")).collect();
            lines.push(format!("{name}\t{}", cols.join("\t")));
        }
        lines.sort();
        lines.join("\n") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feats(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn learns_a_separable_problem_and_round_trips_as_text() {
        let mut t = Trainer::default();
        for _ in 0..5 {
            t.learn(&feats(&["bias", "p1=said"]), Class::Person);
            t.learn(&feats(&["bias", "p1=calle"]), Class::Address);
            t.learn(&feats(&["bias", "p1=the"]), Class::Other);
        }
        let model = Perceptron::from_text(&t.finish(1));
        assert!(model.len() >= 3);
        assert_eq!(
            Class::best(&model.scores(&feats(&["bias", "p1=said"]))),
            Class::Person
        );
        assert_eq!(
            Class::best(&model.scores(&feats(&["bias", "p1=calle"]))),
            Class::Address
        );
        assert_eq!(
            Class::best(&model.scores(&feats(&["bias", "p1=the"]))),
            Class::Other
        );
    }

    #[test]
    fn damaged_weight_lines_are_skipped() {
        let model = Perceptron::from_text(
            "a\t1\t2\t3\t4\nb\tx\t1\t1\t1\nc\t1\nd\tNaN\t0\t0\t0\n\t1\t1\t1\t1\n",
        );
        assert_eq!(model.len(), 1);
    }
}
