//! `distill bench --device wgpu --layers`: the teacher's training step taken apart on a GPU —
//! each of burn's layers as the step runs it (forward and backward, at the bench's batch), so a
//! slow step names its slow layer. The CPU backend has its own table (`layers.rs`), since there
//! the model runs stand-ins instead of these layers.

use super::layers::ms;
use burn::nn::conv::Conv2dConfig;
use burn::nn::pool::MaxPool2dConfig;
use burn::nn::{DropoutConfig, LinearConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::relu;

/// Prints milliseconds per call of each layer of the teacher's step on `device`, and what
/// share of `step_ms` (one whole teacher step at this batch, from the bench) each takes.
// Over 80 lines: one timed call per layer of the teacher step, in the step's order.
pub fn run(device: &Device, batch: usize, reps: usize, step_ms: f64, classes: usize) {
    let ad = device.clone().autodiff();
    let b = batch;
    let conv1 = Conv2dConfig::new([1, 64], [3, 3]).init(&ad);
    let conv2 = Conv2dConfig::new([64, 128], [3, 3]).init(&ad);
    let dense1 = LinearConfig::new(128 * 5 * 5, 1024).init(&ad);
    let dense2 = LinearConfig::new(1024, classes).init(&ad);
    let pool = MaxPool2dConfig::new([2, 2]).init();
    let drop = DropoutConfig::new(0.25).init();
    let random = |shape: [usize; 4]| Tensor::<4>::random(shape, Distribution::Default, &ad);
    let (images, act1, pooled1, act2) = (
        random([b, 1, 28, 28]),
        random([b, 64, 26, 26]),
        random([b, 64, 13, 13]),
        random([b, 128, 11, 11]),
    );
    let flat = Tensor::<2>::random([b, 128 * 5 * 5], Distribution::Default, &ad);
    let hidden = Tensor::<2>::random([b, 1024], Distribution::Default, &ad);
    // Forward, backward, and the gradient the step needs (weights; inputs mid-network).
    let grad4 = |x: &Tensor<4>, f: &dyn Fn(Tensor<4>) -> Tensor<4>| {
        let x = x.clone().require_grad();
        let g = f(x.clone()).sum().backward();
        x.grad(&g).expect("input gradient").sum()
    };
    let grad2 = |x: &Tensor<2>, f: &dyn Fn(Tensor<2>) -> Tensor<2>| {
        let x = x.clone().require_grad();
        let g = f(x.clone()).sum().backward();
        x.grad(&g).expect("input gradient").sum()
    };
    let (ma, mb) = (
        Tensor::<2>::random([1024, 1024], Distribution::Default, device),
        Tensor::<2>::random([1024, 1024], Distribution::Default, device),
    );
    // The device's own speed for a plain product: a reference line, not part of the step.
    let matmul = ms(reps, || ma.clone().matmul(mb.clone()).sum());
    let rows = [
        (
            format!("conv 1→64 3x3 [{b},1,28,28] (weights' gradient)"),
            ms(reps, || {
                let g = conv1.forward(images.clone()).sum().backward();
                conv1.weight.val().grad(&g).expect("weight gradient").sum()
            }),
        ),
        (
            format!("relu + max pool [{b},64,26,26]"),
            ms(reps, || grad4(&act1, &|x| pool.forward(relu(x)))),
        ),
        (
            format!("dropout .25 [{b},64,13,13]"),
            ms(reps, || grad4(&pooled1, &|x| drop.forward(x))),
        ),
        (
            format!("conv 64→128 3x3 [{b},64,13,13] (both gradients)"),
            ms(reps, || {
                let x = pooled1.clone().require_grad();
                let g = conv2.forward(x.clone()).sum().backward();
                x.grad(&g).expect("input gradient").sum()
                    + conv2.weight.val().grad(&g).expect("weight gradient").sum()
            }),
        ),
        (
            format!("relu + max pool [{b},128,11,11]"),
            ms(reps, || grad4(&act2, &|x| pool.forward(relu(x)))),
        ),
        (
            format!("dense 3200→1024 + relu [{b},3200]"),
            ms(reps, || grad2(&flat, &|x| relu(dense1.forward(x)))),
        ),
        (
            format!("dense 1024→{classes} [{b},1024]"),
            ms(reps, || grad2(&hidden, &|x| dense2.forward(x))),
        ),
    ];
    println!(
        "\n{:<48} {:>10} {:>14}",
        "teacher step's layers on this device", "ms/call", "% of a step"
    );
    println!(
        "{:<48} {matmul:>10.2}   (reference, not in the sum)",
        "matmul 1024² (2.1 GFLOP)"
    );
    let mut sum = 0.0;
    for (name, t) in rows {
        sum += t;
        println!("{name:<48} {t:>10.2} {:>13.1}%", 100.0 * t / step_ms);
    }
    println!(
        "{:<48} {sum:>10.2} {:>13.1}%\n{:<48} {step_ms:>10.2}   (each layer's time includes one read back)",
        "sum of the layers",
        100.0 * sum / step_ms,
        "one whole teacher step (loss, optimizer too)"
    );
}
