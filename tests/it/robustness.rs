//! No public call panics: arbitrary shapes (empty, zero-length axes,
//! mismatched, strided and reversed views), arbitrary values (NaN, ±∞,
//! subnormals, ±1e30) and arbitrary options (invalid ones included). Each
//! call returns a value or a typed error; a panic fails the property.

use ndarray::{s, Array1, ArrayD, ArrayRef, ArrayViewD, Axis, Dimension, IxDyn};
use ndloss::prelude::*;
use proptest::prelude::*;

use crate::catalogue::{inputs, DenseLoss, Settings, CATALOGUE};
use crate::common::{fortran, strided};

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        -3.0f64..3.0,
        Just(0.0),
        Just(1.0),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(1e30),
        Just(-1e30),
        Just(f64::MIN_POSITIVE / 4.0),
    ]
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..4, 0..4)
}

fn array(shape: Vec<usize>) -> impl Strategy<Value = ArrayD<f64>> {
    let n: usize = shape.iter().product();
    prop::collection::vec(value(), n)
        .prop_map(move |v| ArrayD::from_shape_vec(IxDyn(&shape), v).unwrap())
}

/// The buffer behind [`twisted`]: `a` itself, or `a` in every other
/// element of a buffer twice as large along a new last axis.
fn buffer(a: &ArrayD<f64>, how: u8) -> ArrayD<f64> {
    if how % 3 == 2 && a.ndim() > 0 {
        let mut shape = a.shape().to_vec();
        shape.push(2);
        let mut big = ArrayD::zeros(IxDyn(&shape));
        big.index_axis_mut(Axis(a.ndim()), 0).assign(a);
        big
    } else {
        a.clone()
    }
}

/// A view of `buffer(a, how)` with `a`'s shape: contiguous, reversed along
/// its first axis (a negative stride), or strided (stride 2 on every axis's
/// innermost step). `ndim` is `a`'s.
fn twisted(buf: &ArrayD<f64>, ndim: usize, how: u8) -> ArrayViewD<'_, f64> {
    if ndim == 0 {
        return buf.view();
    }
    match how % 3 {
        0 => buf.view(),
        1 => buf.slice_axis(Axis(0), ndarray::Slice::new(0, None, -1)),
        _ => buf.index_axis(Axis(ndim), 0),
    }
}

fn reduction(r: u8) -> Reduction {
    match r % 3 {
        0 => Reduction::Mean,
        1 => Reduction::Sum,
        _ => Reduction::BatchMean,
    }
}

type Arr = ArrayRef<f64, IxDyn>;

/// Runs every entry point of a dense loss on (p, t).
fn exercise(loss: &dyn DenseLoss<f64>, p: &ArrayRef<f64, IxDyn>, t: &ArrayRef<f64, IxDyn>) {
    let _ = loss.forward(p, t);
    let _ = loss.grad(p, t);
    let _ = loss.unreduced(p, t);
    let mut g = ArrayD::zeros(p.raw_dim());
    let _ = loss.forward_grad_into(p, t, &mut g);
    let mut wrong = ArrayD::zeros(IxDyn(&[p.len() + 1]));
    assert!(loss.forward_grad_into(p, t, &mut wrong).is_err());
    let _ = loss.forward_weighted(p, t, t);
    let _ = loss.unreduced_weighted(p, t, &ArrayD::<f64>::ones(IxDyn(&[2])));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn dense_losses_never_panic(
        (p, t) in shape().prop_flat_map(|s| (array(s.clone()), array(s))),
        other in shape().prop_flat_map(array),
        how in any::<u8>(),
        r in any::<u8>(),
        u in prop::array::uniform3(0.0f64..1.0),
        knob in value(),
    ) {
        let buf = buffer(&p, how);
        let p = twisted(&buf, p.ndim(), how);
        let s = Settings { u, reduction: reduction(r), last: 2 };
        for entry in CATALOGUE {
            let mut losses = vec![(entry.make)(&s)];
            if let Some(k) = &entry.knob {
                losses.push((k.set)(knob, &s));
            }
            for loss in &losses {
                for t in [&t, &other] {
                    exercise(loss.f64(), &p, t);
                }
            }
        }
    }

    #[test]
    fn class_axis_losses_never_panic(
        logits in shape().prop_flat_map(array),
        classes in prop::collection::vec(prop_oneof![0usize..5, Just(usize::MAX)], 0..30),
        tshape in shape(),
        how in any::<u8>(),
        r in any::<u8>(),
        knob in value(),
        ignore in prop::option::of(0usize..4),
        weighted in any::<bool>(),
    ) {
        let buf = buffer(&logits, how);
        let logits = twisted(&buf, logits.ndim(), how);
        let r = reduction(r);
        let n: usize = tshape.iter().product();
        let targets = ArrayD::from_shape_fn(IxDyn(&tshape), |i| classes.get(i.slice().iter().sum::<usize>() % classes.len().max(1)).copied().unwrap_or(0));
        // Also the well-shaped targets for these logits.
        let fitting = if logits.ndim() >= 1 {
            let axis = if logits.ndim() >= 2 { 1 } else { 0 };
            let shape: Vec<usize> = logits.shape().iter().enumerate().filter(|&(i, _)| i != axis).map(|(_, &d)| d).collect();
            ArrayD::from_shape_fn(IxDyn(&shape), |i| classes.get(i.slice().iter().sum::<usize>() % classes.len().max(1)).copied().unwrap_or(0))
        } else {
            targets.clone()
        };
        let mut ce = CrossEntropy::new().label_smoothing(knob).reduction(r).from_probs(knob > 1.0);
        let mut nll = Nll::new().reduction(r);
        let mut mm = MultiMargin::new().margin(knob).reduction(r).p(if knob > 0.0 { 2 } else { 1 });
        if let Some(i) = ignore {
            ce = ce.ignore_index(i);
            nll = nll.ignore_index(i);
        }
        if weighted {
            let w = Array1::from_elem(logits.shape().get(1).copied().unwrap_or(2), knob.abs());
            ce = ce.class_weights(w.clone());
            nll = nll.class_weights(w.clone());
            mm = mm.class_weights(w);
        }
        let _ = n;
        for t in [&targets, &fitting] {
            let mut g = ArrayD::zeros(logits.raw_dim());
            let _ = ce.forward(&logits, t);
            let _ = ce.forward_grad_into(&logits, t, &mut g);
            let _ = ce.unreduced(&logits, t);
            let _ = nll.forward_grad_into(&logits, t, &mut g);
            let _ = nll.unreduced(&logits, t);
            let _ = mm.forward_grad_into(&logits, t, &mut g);
            let _ = mm.unreduced(&logits, t);
        }
        let probs = logits.mapv(f64::abs);
        let mut g = ArrayD::zeros(logits.raw_dim());
        let _ = ce.clone().ignore_index(usize::MAX).forward_grad_into(&logits, &probs, &mut g);
        let _ = CrossEntropy::new().from_probs(true).forward_grad_into(&probs, &probs, &mut g);
        let _ = CrossEntropy::new().unreduced(&logits, &probs);
        let _ = CrossEntropy::new().forward(&logits, &logits.slice_each_axis(|_| ndarray::Slice::new(0, None, 1)).to_owned());
    }

    #[test]
    fn optimizers_and_clipping_never_panic(
        p in shape().prop_flat_map(array),
        g in shape().prop_flat_map(array),
        lr in value(),
        knob in value(),
        slot in 0usize..4,
    ) {
        let (mut p1, mut p2) = (p.clone(), p.clone());
        let (g1, g2) = (g.clone(), p.mapv(|x| x * 0.5));
        macro_rules! drive {
            ($opt:expr) => {{
                let mut opt = $opt.param_group(ParamGroup::new([slot]).lr(knob));
                let _ = opt.step((&mut p1, &mut p2), (&g1, &g2));
                let _ = opt.step((&mut p1, &mut p2), (&g2, &g2));
                let _ = opt.step(&mut p1, &g1);
                opt.set_lr(knob);
                let _ = opt.step((&mut p1, &mut p2), (&g2, &g2));
            }};
        }
        drive!(Sgd::new(lr).momentum(knob.abs()).nesterov(knob > 0.0).weight_decay(knob));
        drive!(Adam::new(lr).betas(knob, 0.999).amsgrad(true).weight_decay(knob));
        drive!(AdamW::new(lr).eps(knob));
        drive!(RmsProp::new(lr).alpha(knob).centered(true).momentum(knob));
        drive!(Adagrad::new(lr).lr_decay(knob).initial_accumulator_value(knob));
        drive!(Adadelta::new(lr).rho(knob));
        drive!(Adamax::new(lr).betas(0.9, knob));
        drive!(NAdam::new(lr).momentum_decay(knob).decoupled_weight_decay(true).weight_decay(knob));
        drive!(RAdam::new(lr).betas(knob, 0.99));
        drive!(Lion::new(lr).betas(knob, 0.99).weight_decay(knob));
        let mut opt = Proximal::new(Sgd::new(lr), L1::new(knob));
        let _ = opt.step((&mut p1, &mut p2), (&g1, &g2));
        let mut grads = vec![g.clone(), p.clone()];
        let _ = ndloss::optim::clip::clip_grad_norm(&mut grads, knob, lr, knob > 0.0);
        let _ = ndloss::optim::clip::clip_grad_value(&mut grads, knob);
        let _ = L2::new(knob).penalty(&p);
        let _ = ElasticNet::new(knob, lr).add_grad(&p, &mut p2);
        let _ = L1::new(knob).prox(&mut p1, lr);
    }

    #[test]
    fn schedules_never_panic(a in 0u64..20, b in 0u64..20, x in value(), y in value(), metrics in prop::collection::vec(value(), 0..20)) {
        use ndloss::optim::schedule::{LrScheduler, OneCycle, ReduceLrOnPlateau, Schedule};
        let mut one = OneCycle::new(x, a);
        one.pct_start = y;
        let schedules = [
            Schedule::step_lr(a, x),
            Schedule::multi_step_lr([a, b], x),
            Schedule::exponential_lr(x),
            Schedule::linear_lr(x, y, a),
            Schedule::cosine_annealing_lr(a, x),
            Schedule::one_cycle_lr(one),
            Schedule::sequential(vec![Schedule::exponential_lr(x), Schedule::step_lr(b, y)], vec![a]),
            Schedule::chained(vec![Schedule::exponential_lr(x), Schedule::linear_lr(y, 1.0, b)]),
            Schedule::warmup_cosine(a, x, b, y),
        ];
        for s in schedules {
            let mut opt = Sgd::<f64>::new(0.1).momentum(0.9);
            if let Ok(mut sched) = LrScheduler::new(s, &mut opt) {
                for _ in 0..25 {
                    let _ = sched.step(&mut opt);
                }
            }
        }
        let mut opt = Adam::<f32>::new(0.1);
        let mut plateau = ReduceLrOnPlateau::new().patience(a).factor(x).threshold(y).cooldown(b).min_lr(y);
        for m in metrics {
            let _ = plateau.step(m, &mut opt);
        }
    }
}

#[test]
fn strided_reversed_and_fortran_inputs_give_the_contiguous_results() {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1.0);
    for entry in CATALOGUE {
        for (u, reduction) in [
            (0.2, Reduction::Sum),
            (0.5, Reduction::Mean),
            (0.8, Reduction::BatchMean),
        ] {
            let s = Settings {
                u: [u; 3],
                reduction,
                last: 7,
            };
            let (p, t) = inputs(entry, &s, &[5, 7], 3);
            let loss = (entry.make)(&s);
            let loss = loss.f64();
            let name = entry.name;
            let (v, g) = loss.forward_grad(&p, &t).unwrap();
            // Reversed rows: the same pairs, so the same value and the
            // gradient's rows reversed.
            let (pr, tr) = (
                p.slice(s![..;-1, ..]).into_dyn(),
                t.slice(s![..;-1, ..]).into_dyn(),
            );
            let (vr, gr) = loss.forward_grad(&pr, &tr).unwrap();
            assert!(close(v, vr), "{name}: {v} vs {vr} reversed");
            for (a, b) in g.slice(s![..;-1, ..]).iter().zip(&gr) {
                assert!(close(*a, *b), "{name}: gradient {a} vs {b} reversed");
            }
            // Stride 2, and column-major, for either input or both.
            let (ps, ts) = (strided(&p), strided(&t));
            let (ps, ts) = (ps.index_axis(Axis(2), 0), ts.index_axis(Axis(2), 0));
            let (pf, tf) = (fortran(&p), fortran(&t));
            let layouts: [(&Arr, &Arr, &str); 4] = [
                (&ps, &ts, "strided"),
                (&ps, &t, "strided prediction"),
                (&pf, &tf, "column-major"),
                (&p, &tf, "column-major target"),
            ];
            for (pl, tl, layout) in layouts {
                let (vl, gl) = loss.forward_grad(pl, tl).unwrap();
                assert!(close(v, vl), "{name}: {v} vs {vl} {layout}");
                for (a, b) in g.iter().zip(&gl) {
                    assert!(close(*a, *b), "{name}: gradient {a} vs {b} {layout}");
                }
                let (ul, u) = (
                    loss.unreduced(pl, tl).unwrap(),
                    loss.unreduced(&p, &t).unwrap(),
                );
                for (a, b) in u.iter().zip(&ul) {
                    assert!(close(*a, *b), "{name}: unreduced {a} vs {b} {layout}");
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn metrics_never_panic(
        yt in prop::collection::vec(prop_oneof![0usize..4, Just(usize::MAX)], 0..12),
        yp in prop::collection::vec(0usize..5, 0..12),
        scores in prop::collection::vec(value(), 0..40),
        weights in prop::collection::vec(value(), 0..12),
        k in 0usize..5,
        beta in value(),
        avg in 0u8..5,
        labels in prop::option::of(prop::collection::vec(0usize..6, 0..4)),
        normalize in 0u8..4,
    ) {
        use ndloss::metrics::*;
        let (yt, yp) = (Array1::from(yt), Array1::from(yp));
        let w = Array1::from(weights);
        let sw: Option<&ndarray::ArrayRef1<f64>> = if w.is_empty() { None } else { Some(&*w) };
        let cols = (scores.len() / yt.len().max(1)).max(1);
        let rows = scores.len() / cols;
        let s = ndarray::Array2::from_shape_vec((rows, cols), scores[..rows * cols].to_vec()).unwrap();
        let _ = accuracy(&yt, &yp, sw);
        let _ = accuracy_count(&yt, &yp, sw);
        let _ = top_k_accuracy(&yt, &s, k, sw);
        let average = [Average::Micro, Average::Macro, Average::Weighted, Average::None, Average::Binary { pos_label: 1 }][avg as usize];
        let mut opts = PrfOptions::new().beta(beta).average(average);
        if let Some(l) = &labels {
            opts = opts.labels(l.clone());
        }
        let _ = precision_recall_fscore(&yt, &yp, sw, &opts);
        let _ = f1(&yt, &yp, sw, &opts);
        let norm = [None, Some(Normalize::True), Some(Normalize::Pred), Some(Normalize::All)][normalize as usize];
        let _ = confusion_matrix(&yt, &yp, sw, labels.as_deref(), norm);
        let _ = log_loss(&yt, &s, sw, labels.as_deref());
        let a = s.column(0).to_owned();
        let b = a.mapv(|v| v * 0.5);
        let _ = r2_score(&a, &b, sw);
        let _ = mean_squared_error(&s, &s, sw);
        let _ = root_mean_squared_error(&a, &b, None);
        let _ = mean_absolute_error(&a, &b, sw);
    }
}
