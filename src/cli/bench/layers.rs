//! `distill bench --layers`: each of the CPU backend's stand-ins (`model::dropout`,
//! `model::single_channel_conv`, `model::multi_channel_conv`, `model::max_pool`,
//! `model::conv_relu_pool`) beside the burn layers it replaces, on the teacher's shapes at the
//! bench's batch, in one run. Milliseconds per call: forward and backward as training runs them,
//! and the forward alone as inference runs it for the pool and the first block.

use crate::model::{conv_relu_pool, dropout, max_pool, multi_channel_conv, single_channel_conv};
use burn::nn::DropoutConfig;
use burn::nn::conv::Conv2dConfig;
use burn::nn::pool::MaxPool2dConfig;
use burn::prelude::*;
use burn::tensor::Distribution;
use std::time::Instant;

/// Mean milliseconds of `f` over `reps` calls after two untimed ones; each call's result is read
/// back, so the work is done when the clock stops.
pub(super) fn ms(reps: usize, f: impl Fn() -> Tensor<1>) -> f64 {
    for _ in 0..2 {
        let _ = f().into_data();
    }
    let t = Instant::now();
    for _ in 0..reps {
        let _ = f().into_data();
    }
    t.elapsed().as_secs_f64() * 1000.0 / reps as f64
}

// Over 80 lines: each stand-in timed beside burn's layers, in the order printed.
/// Prints the table and returns its rows as `{layer, burn_ms, stand_in_ms}` for the bench's
/// JSON line (docs/PERFORMANCE.md's table is generated from it).
pub fn run(batch: usize, reps: usize) -> Vec<serde_json::Value> {
    let plain = Device::flex();
    let ad = plain.clone().autodiff();
    let b = batch;
    let drop = DropoutConfig::new(0.25).init();
    let conv1 = Conv2dConfig::new([1, 64], [3, 3]).init(&ad);
    let conv2 = Conv2dConfig::new([64, 128], [3, 3]).init(&ad);
    let pool = MaxPool2dConfig::new([2, 2]).init();
    let pooled = Tensor::<4>::random([b, 64, 13, 13], Distribution::Default, &ad);
    let images = Tensor::<4>::random([b, 1, 28, 28], Distribution::Default, &ad);
    let conv_out = Tensor::<4>::random([b, 64, 26, 26], Distribution::Default, &plain);
    let conv_out_ad = Tensor::<4>::random([b, 64, 26, 26], Distribution::Default, &ad);
    let images_plain = Tensor::<4>::random([b, 1, 28, 28], Distribution::Default, &plain);
    let conv1_eval = conv1.valid();
    let by_layers = |conv: &burn::nn::conv::Conv2d, x: Tensor<4>| {
        pool.forward(burn::tensor::activation::relu(conv.forward(x)))
    };
    let fused = |conv: &burn::nn::conv::Conv2d, x: Tensor<4>| {
        conv_relu_pool::forward(conv, x).expect("the teacher's first block on the CPU")
    };

    // Forward, then backward to the input (dropout) or to the weights (conv1), as in a step.
    let input_grad = |layer: &dyn Fn(Tensor<4>) -> Tensor<4>| {
        let x = pooled.clone().require_grad();
        let g = layer(x.clone()).sum().backward();
        x.grad(&g).expect("input gradient").sum()
    };
    let weight_grad = |layer: &dyn Fn(Tensor<4>) -> Tensor<4>| {
        let g = layer(images.clone()).sum().backward();
        conv1.weight.val().grad(&g).expect("weight gradient").sum()
    };
    let pool_grad = |layer: &dyn Fn(Tensor<4>) -> Tensor<4>| {
        let x = conv_out_ad.clone().require_grad();
        let g = layer(x.clone()).sum().backward();
        x.grad(&g).expect("input gradient").sum()
    };
    // The second convolution sits mid-network: both its input and its weights need gradients.
    let both_grads = |layer: &dyn Fn(Tensor<4>) -> Tensor<4>| {
        let x = pooled.clone().require_grad();
        let g = layer(x.clone()).sum().backward();
        x.grad(&g).expect("input gradient").sum()
            + conv2.weight.val().grad(&g).expect("weight gradient").sum()
    };
    let rows = [
        (
            format!("dropout .25 [{b},64,13,13] fwd+bwd"),
            ms(reps, || input_grad(&|x| drop.forward(x))),
            ms(reps, || input_grad(&|x| dropout::forward(&drop, x))),
        ),
        (
            format!("conv 1→64 3x3 [{b},1,28,28] fwd+bwd"),
            ms(reps, || weight_grad(&|x| conv1.forward(x))),
            ms(reps, || {
                weight_grad(&|x| single_channel_conv::forward(&conv1, x))
            }),
        ),
        (
            format!("conv 64→128 3x3 [{b},64,13,13] fwd+bwd"),
            ms(reps, || both_grads(&|x| conv2.forward(x))),
            ms(reps, || {
                both_grads(&|x| multi_channel_conv::forward(&conv2, x))
            }),
        ),
        (
            format!("max pool 2x2 [{b},64,26,26] fwd+bwd"),
            ms(reps, || pool_grad(&|x| pool.forward(x))),
            ms(reps, || pool_grad(&|x| max_pool::forward(&pool, x))),
        ),
        (
            format!("conv1+relu+pool [{b},1,28,28] fwd+bwd"),
            ms(reps, || weight_grad(&|x| by_layers(&conv1, x))),
            ms(reps, || weight_grad(&|x| fused(&conv1, x))),
        ),
        (
            format!("conv1+relu+pool [{b},1,28,28] inference"),
            ms(reps, || by_layers(&conv1_eval, images_plain.clone()).sum()),
            ms(reps, || fused(&conv1_eval, images_plain.clone()).sum()),
        ),
        (
            format!("max pool 2x2 [{b},64,26,26] inference"),
            ms(reps, || pool.forward(conv_out.clone()).sum()),
            ms(reps, || max_pool::forward(&pool, conv_out.clone()).sum()),
        ),
    ];
    println!(
        "\n{:<40} {:>12} {:>12} {:>9}",
        "CPU layer, ms per call", "burn's layer", "stand-in", "speed-up"
    );
    rows.into_iter()
        .map(|(name, burn_ms, ours_ms)| {
            println!(
                "{name:<40} {burn_ms:>12.2} {ours_ms:>12.2} {:>8.1}x",
                burn_ms / ours_ms
            );
            serde_json::json!({ "layer": name, "burn_ms": burn_ms, "stand_in_ms": ours_ms })
        })
        .collect()
}
