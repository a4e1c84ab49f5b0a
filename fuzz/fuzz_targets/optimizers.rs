//! Optimizers, groups, proximal steps and clipping on arbitrary parameter
//! sets and hyperparameters: never a panic; an error leaves everything as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ndloss::prelude::*;

#[path = "input.rs"]
mod input;
use input::Input;

/// Equal element by element, NaN matching NaN.
fn same(a: &ndarray::ArrayD<f64>, b: &ndarray::ArrayD<f64>) -> bool {
    a.shape() == b.shape()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let (s1, s2) = (input.shape(), input.shape());
    let (mut p1, mut p2) = (input.array(&s1), input.array(&s2));
    let gs1 = if input.bool() {
        s1.clone()
    } else {
        input.shape()
    };
    let (g1, g2) = (input.array(&gs1), input.array(&s2));
    let (lr, k) = (input.f64(), input.f64());
    let group = ParamGroup::new([input.below(3)])
        .lr(input.f64())
        .weight_decay(input.f64());
    macro_rules! drive {
        ($opt:expr) => {{
            let mut opt = $opt.param_group(group.clone());
            for _ in 0..3 {
                let (before1, before2, state) = (p1.clone(), p2.clone(), opt.clone());
                if opt.step((&mut p1, &mut p2), (&g1, &g2)).is_err() {
                    assert!(
                        same(&p1, &before1) && same(&p2, &before2),
                        "a failed step wrote"
                    );
                    assert!(
                        format!("{opt:?}") == format!("{state:?}"),
                        "a failed step changed the state"
                    );
                }
            }
        }};
    }
    match input.below(11) {
        0 => drive!(Sgd::new(lr)
            .momentum(k)
            .dampening(input.f64())
            .nesterov(input.bool())
            .weight_decay(input.f64())),
        1 => drive!(Adam::new(lr)
            .betas(k, input.f64())
            .eps(input.f64())
            .amsgrad(input.bool())
            .maximize(input.bool())),
        2 => drive!(AdamW::new(lr).weight_decay(k)),
        3 => drive!(RmsProp::new(lr)
            .alpha(k)
            .momentum(input.f64())
            .centered(input.bool())),
        4 => drive!(Adagrad::new(lr)
            .lr_decay(k)
            .initial_accumulator_value(input.f64())),
        5 => drive!(Adadelta::new(lr).rho(k).eps(input.f64())),
        6 => drive!(Adamax::new(lr).betas(k, input.f64())),
        7 => drive!(NAdam::new(lr)
            .momentum_decay(k)
            .decoupled_weight_decay(input.bool())
            .weight_decay(input.f64())),
        8 => drive!(RAdam::new(lr)
            .betas(k, input.f64())
            .decoupled_weight_decay(input.bool())),
        9 => drive!(Lion::new(lr)
            .betas(k, input.f64())
            .weight_decay(input.f64())),
        _ => {
            let mut opt = Proximal::new(Sgd::new(lr), ElasticNet::new(k, input.f64()));
            let _ = opt.step((&mut p1, &mut p2), (&g1, &g2));
            let mut grads = vec![g1.clone(), g2.clone()];
            let _ = ndloss::optim::clip::clip_grad_norm(&mut grads, k, lr, input.bool());
            let _ = ndloss::optim::clip::clip_grad_value(&mut grads, k);
        }
    }
});
