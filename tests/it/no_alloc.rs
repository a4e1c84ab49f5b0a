//! The hot paths allocate nothing: `forward_grad_into` on contiguous inputs
//! (every catalogue loss, cross-entropy), and every optimizer step after the
//! first (which creates the state).
//! Checked with a counting global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ndarray::{Array1, Array2, ArrayD, IxDyn};
use ndloss::prelude::*;

use crate::catalogue::{inputs, Settings, CATALOGUE};
use crate::common::cast;

struct Counting;

thread_local! {
    /// Allocations made by this thread. Per thread, not global: the test
    /// harness's own threads allocate at any moment (a global counter made
    /// the test flaky).
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: the thread-local may already be gone during thread exit.
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

fn steady_state<O: Optimizer<f32>>(name: &str, mut opt: O) {
    let mut w = Array2::<f32>::from_elem((64, 32), 0.5);
    let mut b = Array1::<f32>::from_elem(32, -0.5);
    let (gw, gb) = (
        Array2::<f32>::from_elem((64, 32), 0.1),
        Array1::<f32>::from_elem(32, 0.2),
    );
    opt.step((&mut w, &mut b), (&gw, &gb)).unwrap();
    let n = allocations(|| {
        for _ in 0..5 {
            opt.step((&mut w, &mut b), (&gw, &gb)).unwrap();
        }
    });
    assert_eq!(n, 0, "{name}: steps after the first must not allocate");
}

#[test]
fn hot_paths_do_not_allocate() {
    let p = Array2::<f32>::from_shape_fn((128, 64), |(i, j)| (i * 64 + j) as f32 * 1e-3);
    let mut g = Array2::<f32>::zeros((128, 64));
    let classes = Array1::from_shape_fn(128, |i| i % 64);
    let probs = Array2::<f32>::from_elem((128, 64), 1.0 / 64.0);
    // The first kernel call of a process detects the CPU's instruction set
    // (and reads `NDLOSS_SIMD`); `simd_level()` does it up front.
    ndloss::simd_level().unwrap();
    // Every catalogue loss in three settings (for `BceWithLogits`: no,
    // one and per-class positive weights), both precisions, built with
    // their inputs before the counted calls.
    let cases: Vec<_> = CATALOGUE
        .iter()
        .flat_map(|entry| {
            [0.1, 0.45, 0.9].map(|u| {
                let s = Settings::plain(u, 64);
                let (p, t) = inputs(entry, &s, &[128, 64], 9);
                let (p32, t32) = (cast::<f32, _>(&p), cast::<f32, _>(&t));
                (entry.name, (entry.make)(&s), p, t, p32, t32)
            })
        })
        .collect();
    let mut g64 = ArrayD::<f64>::zeros(IxDyn(&[128, 64]));
    let mut g32 = ArrayD::<f32>::zeros(IxDyn(&[128, 64]));
    for (name, loss, p, t, p32, t32) in &cases {
        let n = allocations(|| {
            loss.f64().forward_grad_into(p, t, &mut g64).unwrap();
            loss.f32().forward_grad_into(p32, t32, &mut g32).unwrap();
        });
        assert_eq!(
            n, 0,
            "{name} ({loss:?}): forward_grad_into must not allocate"
        );
    }
    let n = allocations(|| {
        CrossEntropy::new()
            .label_smoothing(0.1)
            .forward_grad_into(&p, &classes, &mut g)
            .unwrap();
        CrossEntropy::new()
            .forward_grad_into(&p, &probs, &mut g)
            .unwrap();
    });
    assert_eq!(n, 0, "forward_grad_into must not allocate");
    // The lane losses, per-class settings included.
    let focal = CategoricalFocal::new().alpha_per_class(&Array1::from_elem(64, 0.5));
    let focal_logits = focal.clone().from_logits(true);
    let n = allocations(|| {
        CategoricalHinge::new()
            .forward_grad_into(&p, &probs, &mut g)
            .unwrap();
        CosineSimilarity::new()
            .forward_grad_into(&p, &probs, &mut g)
            .unwrap();
        focal.forward_grad_into(&probs, &probs, &mut g).unwrap();
        focal_logits.forward_grad_into(&p, &probs, &mut g).unwrap();
        GeneralizedCrossEntropy::new()
            .forward_grad_into(&probs, &classes, &mut g)
            .unwrap();
        MulticlassHinge::new()
            .forward_grad_into(&p, &classes, &mut g)
            .unwrap();
        MulticlassPerceptron::new()
            .forward_grad_into(&p, &classes, &mut g)
            .unwrap();
        Sparsemax::new()
            .forward_grad_into(&p, &classes, &mut g)
            .unwrap();
        PolyLoss::new()
            .forward_grad_into(&p, &probs, &mut g)
            .unwrap();
        GeneralizedKl::new()
            .forward_grad_into(&p, &probs, &mut g)
            .unwrap();
    });
    assert_eq!(n, 0, "lane losses: forward_grad_into must not allocate");
    // Dice over (N, C, d) with every weighting and input kind.
    let seg = ndarray::Array3::<f32>::from_shape_fn((4, 8, 16), |(i, j, k)| {
        ((i + j * k) % 7) as f32 / 7.0
    });
    let mut seg_g = ndarray::Array3::<f32>::zeros((4, 8, 16));
    let dices = [
        Dice::new(),
        Dice::new().generalized().ignore_background(true),
        Dice::tversky(0.3, 0.7)
            .class_weights(&Array1::from_elem(8, 2.0))
            .input(DiceInput::Probabilities),
        Dice::new().input(DiceInput::Sigmoid).batch(true),
    ];
    let n = allocations(|| {
        for d in &dices {
            d.forward_grad_into(&seg, &seg, &mut seg_g).unwrap();
        }
    });
    assert_eq!(n, 0, "Dice: forward_grad_into must not allocate");
    let emb = Array2::<f32>::from_shape_fn((32, 8), |(i, j)| ((i * 3 + j * 5) % 11) as f32 - 5.0);
    let groups = Array1::from_shape_fn(32, |i| i % 4);
    let mut emb_g = Array2::<f32>::zeros((32, 8));
    let n = allocations(|| {
        NtXent::new()
            .forward_grad_into(&emb, &groups, &mut emb_g)
            .unwrap();
    });
    assert_eq!(n, 0, "NtXent: forward_grad_into must not allocate");
    let txt = emb.mapv(|v| v * 0.5 + 1.0);
    let mut txt_g = Array2::<f32>::zeros((32, 8));
    let n = allocations(|| {
        ClipLoss::new()
            .forward_grad_into(&emb, &txt, 2.6, &mut emb_g, &mut txt_g)
            .unwrap();
    });
    assert_eq!(n, 0, "ClipLoss: forward_grad_into must not allocate");

    steady_state("sgd", Sgd::new(0.1).momentum(0.9).nesterov(true));
    steady_state("adam", Adam::new(1e-3).amsgrad(true).weight_decay(0.01));
    steady_state(
        "adamw",
        AdamW::new(1e-3).param_group(ParamGroup::new([1]).weight_decay(0.0)),
    );
    steady_state("rmsprop", RmsProp::new(1e-2).centered(true).momentum(0.9));
    steady_state("adagrad", Adagrad::new(1e-2));
    steady_state("adadelta", Adadelta::new(1.0));
    steady_state("adamax", Adamax::new(2e-3));
    steady_state("nadam", NAdam::new(2e-3));
    steady_state("radam", RAdam::new(1e-3));
    steady_state("lion", Lion::new(1e-4));
    steady_state("proximal", Proximal::new(Sgd::new(0.1), L1::new(1e-3)));
}
