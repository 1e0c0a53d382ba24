//! Optimizer trajectories (20 steps), learning-rate schedules and gradient clipping
//! against PyTorch's, from the committed data of `scripts/make_nn_data.py` (f64, within
//! 1e-11 relative).

mod common;
use common::{assert_close, data};
use tessera_core::Tensor;
use tessera_nn::optim::lr_scheduler::{
    CosineAnnealingLR, LambdaLR, LrScheduler, OneCycleLR, StepLR,
};
use tessera_nn::optim::{clip_grad_norm_, Adam, AdamW, Optimizer, RmsProp, Sgd};

/// The problem of the script: `|A p - b|^2 + 0.1 sum(q^3) + (sum(q) - p0)^2`.
fn loss(p: &Tensor, q: &Tensor) -> Tensor {
    let d = data();
    let r = d.t("optim.A").matmul(p) - d.t("optim.b");
    let s = q.sum() - p.narrow(0, 0, 1).reshape([] as [isize; 0]);
    (&r * &r).sum() + (q * q * q).sum() * 0.1 + &s * &s
}

fn leaves() -> (Tensor, Tensor) {
    let d = data();
    let (p, q) = (d.t("optim.p0"), d.t("optim.q0"));
    p.requires_grad_(true);
    q.requires_grad_(true);
    (p, q)
}

fn make(kind: &str, params: Vec<Tensor>, opts: &[(&str, f64)]) -> Box<dyn Optimizer> {
    match kind {
        "SGD" => Box::new(Sgd::with(params, opts)),
        "Adam" => Box::new(Adam::with(params, opts)),
        "AdamW" => Box::new(AdamW::with(params, opts)),
        "RMSprop" => Box::new(RmsProp::with(params, opts)),
        k => panic!("unknown optimizer {k}"),
    }
}

#[test]
fn optimizers_follow_pytorch_for_20_steps() {
    let d = data();
    for name in d.names("optim_") {
        if name == "optim_groups" {
            continue;
        }
        let parsed: Vec<(String, f64)> = d
            .opt(&name, "opts")
            .split(';')
            .map(|kv| {
                let (k, v) = kv.split_once(':').unwrap();
                let v = match v {
                    "True" => 1.0,
                    "False" => 0.0,
                    v => v.parse().unwrap(),
                };
                (k.to_string(), v)
            })
            .collect();
        let opts: Vec<(&str, f64)> = parsed.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let (p, q) = leaves();
        let mut opt = make(d.opt(&name, "kind"), vec![p.clone(), q.clone()], &opts);
        let (mut ps, mut qs) = (vec![], vec![]);
        for _ in 0..20 {
            opt.zero_grad();
            loss(&p, &q).backward();
            opt.step();
            ps.push(p.detach().deep_clone());
            qs.push(q.detach().deep_clone());
        }
        assert_close(
            &format!("{name}.p"),
            &Tensor::stack(&ps, 0),
            &d.t(&format!("{name}.p")),
        );
        assert_close(
            &format!("{name}.q"),
            &Tensor::stack(&qs, 0),
            &d.t(&format!("{name}.q")),
        );
    }
}

#[test]
fn param_groups_have_their_own_learning_rates() {
    let (p, q) = leaves();
    let mut opt = Sgd::with(vec![p.clone()], &[("lr", 0.01), ("momentum", 0.9)]);
    opt.add_param_group(vec![q.clone()], &[("lr", 0.002)]);
    assert_eq!(opt.param_groups()[1].get("momentum"), 0.9);
    let mut out = vec![];
    for _ in 0..20 {
        opt.zero_grad();
        loss(&p, &q).backward();
        opt.step();
        out.push(Tensor::cat(
            &[p.detach().reshape([-1]), q.detach().reshape([-1])],
            0,
        ));
    }
    assert_close(
        "optim_groups.pq",
        &Tensor::stack(&out, 0),
        &data().t("optim_groups.pq"),
    );
}

#[test]
fn optimizer_state_dict_round_trips_and_resumes_identically() {
    let run = |steps: usize, opt: &mut dyn Optimizer, p: &Tensor, q: &Tensor| {
        for _ in 0..steps {
            opt.zero_grad();
            loss(p, q).backward();
            opt.step();
        }
    };
    let (p, q) = leaves();
    let mut a = Adam::new(vec![p.clone(), q.clone()], 0.05);
    run(5, &mut a, &p, &q);
    let saved = a.state_dict();
    assert_eq!(saved.state[&0].step, 5);
    assert!(saved.state[&1].buffers.contains_key("exp_avg_sq"));
    // A second optimizer on copies of the parameters resumes from the saved state.
    let (p2, q2) = (p.detach().deep_clone(), q.detach().deep_clone());
    p2.requires_grad_(true);
    q2.requires_grad_(true);
    let mut b = Adam::new(vec![p2.clone(), q2.clone()], 0.05);
    b.load_state_dict(&saved).unwrap();
    run(5, &mut a, &p, &q);
    run(5, &mut b, &p2, &q2);
    assert_eq!(p.to_vec::<f64>(), p2.to_vec::<f64>());
    assert_eq!(q.to_vec::<f64>(), q2.to_vec::<f64>());
    // Group mismatches are errors and change nothing.
    let mut c = Adam::new(vec![p2.clone()], 0.05);
    let err = c.load_state_dict(&saved).unwrap_err().to_string();
    assert!(err.contains("doesn't match the size"), "{err}");
    assert!(c.state_dict().state.is_empty());
}

#[test]
fn schedulers_follow_pytorch() {
    let d = data();
    let lrs = |name: &str, opt: &mut dyn Optimizer, s: &mut dyn LrScheduler, n: usize| {
        let (mut lr, mut m) = (vec![opt.param_groups()[0].lr()], vec![]);
        for _ in 0..n {
            opt.step();
            s.step(opt);
            let g = &opt.param_groups()[0];
            lr.push(g.lr());
            m.push(
                g.options
                    .get("momentum")
                    .or(g.options.get("beta1"))
                    .copied()
                    .unwrap(),
            );
        }
        assert_close(
            &format!("{name}.lr"),
            &Tensor::from_vec(lr, &[n + 1]),
            &d.t(&format!("{name}.lr")),
        );
        assert_close(
            &format!("{name}.m"),
            &Tensor::from_vec(m, &[n]),
            &d.t(&format!("{name}.m")),
        );
    };
    let p = || {
        let p = Tensor::zeros(&[1]);
        p.requires_grad_(true);
        vec![p]
    };
    let mut o = Sgd::new(p(), 0.1);
    let mut s = StepLR::new(&mut o, 4, 0.5);
    lrs("sched_steplr", &mut o, &mut s, 25);
    let mut o = Sgd::new(p(), 0.1);
    let mut s = CosineAnnealingLR::new(&mut o, 10, 0.001);
    lrs("sched_cosine", &mut o, &mut s, 25);
    let mut o = Sgd::new(p(), 0.1);
    let mut s = LambdaLR::new(&mut o, |e| 0.95f64.powi(e as i32));
    lrs("sched_lambda", &mut o, &mut s, 25);
    let mut o = Sgd::with(p(), &[("lr", 0.1), ("momentum", 0.9)]);
    let mut s = OneCycleLR::new(&mut o, 1.0, 25);
    lrs("sched_onecycle", &mut o, &mut s, 25);
    let mut o = Adam::new(p(), 0.001);
    let mut s = OneCycleLR::with(&mut o, 0.01, 30, 0.25, 25.0, 1e4, true);
    lrs("sched_onecycle_adam", &mut o, &mut s, 25);
}

#[test]
fn clip_grad_norm_follows_pytorch() {
    let d = data();
    for name in d.names("clip_") {
        let max: f64 = d.opt(&name, "max_norm").parse().unwrap();
        let nt: f64 = match d.opt(&name, "norm_type") {
            "inf" => f64::INFINITY,
            v => v.parse().unwrap(),
        };
        let (pa, pb) = (
            Tensor::zeros_dtype(&[3, 2], tessera_core::DType::F64),
            Tensor::zeros_dtype(&[4], tessera_core::DType::F64),
        );
        pa.requires_grad_(true);
        pb.requires_grad_(true);
        // Put the gradients in place through a backward pass of <p, g>.
        let (ga, gb) = (d.t(&format!("{name}.ga")), d.t(&format!("{name}.gb")));
        ((&pa * &ga).sum() + (&pb * &gb).sum()).backward();
        let total = clip_grad_norm_(&[pa.clone(), pb.clone()], max, nt);
        assert_close(
            &format!("{name}.total"),
            &Tensor::from_vec(vec![total], &[1]),
            &d.t(&format!("{name}.total")),
        );
        assert_close(
            &format!("{name}.ca"),
            &pa.grad().unwrap(),
            &d.t(&format!("{name}.ca")),
        );
        assert_close(
            &format!("{name}.cb"),
            &pb.grad().unwrap(),
            &d.t(&format!("{name}.cb")),
        );
    }
}
