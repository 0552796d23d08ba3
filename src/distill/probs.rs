//! Plain-`f32` versions of the temperature softmax and entropy, for one sample's logits. No
//! tensors: the UI links this without burn.

/// `softmax(logits / t)`, computed stably (max subtracted).
pub fn softmax_t(logits: &[f32], t: f32) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|&z| ((z - max) / t).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Shannon entropy in bits. Uniform over 26 classes: log2(26) ≈ 4.70 bits.
pub fn entropy_bits(p: &[f32]) -> f32 {
    -p.iter()
        .filter(|&&x| x > 0.0)
        .map(|&x| x * x.log2())
        .sum::<f32>()
}

/// Index of the largest value.
pub fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &x)| {
            if x > best.1 { (i, x) } else { best }
        })
        .0
}

/// The "dark knowledge" of a distribution: the classes other than the top one that the
/// distribution singles out among the wrong answers — at least `factor` times their average
/// share of the non-top mass, and at least 0.5 % absolute — largest first, as `(class, mass)`.
/// A near-uniform distribution (an untrained net, or T far too high) has none.
pub fn dark_knowledge(p: &[f32], factor: f32) -> Vec<(usize, f32)> {
    let top = argmax(p);
    let rest = 1.0 - p[top];
    if p.len() < 2 || rest <= 0.0 {
        return Vec::new();
    }
    let avg = rest / (p.len() - 1) as f32;
    let mut out: Vec<(usize, f32)> = p
        .iter()
        .enumerate()
        .filter(|&(i, &x)| i != top && x >= factor * avg && x >= 0.005)
        .map(|(i, &x)| (i, x))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}
