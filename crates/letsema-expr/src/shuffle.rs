//! The shuffle of ODK's `randomize()` and of a select's `randomize=true` choices, as ODK
//! Collect (JavaRosa) computes it, so that one seed gives one order on every engine: the
//! "inside-out" Fisher–Yates shuffle, driven by a Park–Miller generator when seeded
//! (JavaRosa's `FisherYates`, `ParkMiller` and `RandomizeHelper.toNumericWithLongHash`).

use sha2::{Digest as _, Sha256};

use crate::value::Value;

const MODULUS: f64 = 2_147_483_647.0;
const MULTIPLIER: f64 = 16_807.0;

/// JavaRosa's `ParkMiller`: its state a double, as Java keeps it.
struct ParkMiller {
    state: f64,
}

impl ParkMiller {
    fn new(seed: i64) -> Self {
        let mut state = (seed as f64) % MODULUS;
        if state <= 0.0 {
            state += MODULUS - 1.0;
        }
        ParkMiller { state }
    }

    fn next_double(&mut self) -> f64 {
        self.state = self.state * MULTIPLIER % MODULUS;
        // Java's `(int) double`, then `nextDouble`'s `(nextInt() - 1) / (MODULUS - 1)`.
        let int = self.state as i32;
        (f64::from(int) - 1.0) / (MODULUS - 1.0)
    }
}

/// `items` shuffled with the seed `seed`: the order Collect gives.
pub fn shuffle_seeded<T>(items: Vec<T>, seed: i64) -> Vec<T> {
    let mut generator = ParkMiller::new(seed);
    shuffle_with(items, || generator.next_double())
}

/// `items` shuffled "inside out", each position chosen by `next` (a number in `[0, 1)`).
pub fn shuffle_with<T>(items: Vec<T>, mut next: impl FnMut() -> f64) -> Vec<T> {
    let mut out: Vec<Option<T>> = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let j = ((next() * (i + 1) as f64) as usize).min(i);
        out.push(None);
        if j != i {
            out.swap(i, j);
        }
        out[j] = Some(item);
    }
    out.into_iter().flatten().collect()
}

/// A seed from a value, as Collect reads one: a number, truncated; anything else, the first
/// eight bytes of its text's SHA-256 (an empty text: 0).
pub fn seed_of(value: &Value) -> i64 {
    let number = value.to_number();
    if !number.is_nan() {
        // Java's `Double.longValue()`: saturating, NaN never here.
        return number as i64;
    }
    let text = value.to_xpath_string();
    if text.is_empty() {
        return 0;
    }
    let hash = Sha256::digest(text.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    i64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JavaRosa's `FisherYatesExamplesTest`.
    #[test]
    fn seeded_shuffles_give_collects_orders() {
        let digits: Vec<u32> = (0..10).collect();
        assert_eq!(
            shuffle_seeded(digits.clone(), 33),
            [3, 5, 4, 8, 2, 0, 1, 6, 9, 7]
        );
        assert_eq!(shuffle_seeded(digits, 42), [0, 5, 9, 1, 8, 4, 6, 3, 7, 2]);
        let letters = |s: &str| s.chars().collect::<Vec<_>>();
        for (seed, expected) in [
            (42, "AFCBDE"),
            (-42, "EDAFBC"),
            (1, "BFEACD"),
            (11_111_111, "ACDBFE"),
        ] {
            assert_eq!(
                shuffle_seeded(letters("ABCDEF"), seed),
                letters(expected),
                "seed {seed}"
            );
        }
    }

    #[test]
    fn seeds_are_numbers_or_the_hash_of_a_text() {
        assert_eq!(seed_of(&Value::String("42".into())), 42);
        assert_eq!(seed_of(&Value::Number(-3.9)), -3);
        assert_eq!(seed_of(&Value::String(String::new())), 0);
        assert_ne!(seed_of(&Value::String("Maseru".into())), 0);
        assert_eq!(
            seed_of(&Value::String("Maseru".into())),
            seed_of(&Value::String("Maseru".into()))
        );
    }
}
