//! Observers, FakeQuantize and QConfigMapping against PyTorch on committed data
//! (tests/data/{observers,fake_quantize,qconfig_mapping}.json from
//! scripts/make_quant_data.py).

mod common;
use common::{f32s, i64s, load, shape};
use serde_json::Value;
use tessera_core::Tensor;
use tessera_nn::{Linear, Module, ReLU, Sequential};
use tessera_quantization::dict::{observer_from_value, qconfig_from_value};
use tessera_quantization::observer::{ObserverDType, ObserverSpec};
use tessera_quantization::{
    fake_quantize_per_channel_affine, fake_quantize_per_tensor_affine, get_default_qconfig_mapping,
    FakeQuantize, QConfigMapping, QScheme,
};

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn observers_qparams_match_pytorch() {
    let cases = load("observers.json");
    let cases = cases.as_array().unwrap();
    assert!(cases.len() > 100);
    for c in cases {
        let spec = observer_from_value(&c["spec"]).unwrap();
        let obs = spec.build();
        for b in c["batches"].as_array().unwrap() {
            let x = Tensor::from_vec(f32s(&b["x"]), &shape(&b["shape"]));
            let y = obs.forward(&x);
            assert!(y.shares_storage(&x), "forward returns its input");
        }
        let (s, z) = obs.calculate_qparams();
        assert_eq!(
            bits(&s.to_vec::<f32>()),
            bits(&f32s(&c["scale"])),
            "scale of {} {} {}",
            c["name"],
            c["kind"],
            c["spec"]
        );
        assert_eq!(
            z.to_vec::<i64>(),
            i64s(&c["zero_point"]),
            "zero point of {} {} {}",
            c["name"],
            c["kind"],
            c["spec"]
        );
    }
}

#[test]
fn observer_constructor_refusals() {
    let bad = [
        ObserverSpec::min_max().qscheme(QScheme::PerChannelAffine),
        ObserverSpec::min_max()
            .qscheme(QScheme::PerTensorSymmetric)
            .reduce_range(true),
        ObserverSpec::per_channel_min_max().qscheme(QScheme::PerTensorAffine),
        ObserverSpec::min_max().quant_range(1, 10),
        ObserverSpec::min_max().quant_range(0, 0),
        ObserverSpec::min_max()
            .dtype(ObserverDType::QInt8)
            .quant_range(-200, 100),
        ObserverSpec::histogram().dtype(ObserverDType::Float32),
    ];
    for spec in bad {
        let r = std::panic::catch_unwind(|| drop(spec.build()));
        assert!(r.is_err(), "{spec:?} must be refused");
    }
}

#[test]
fn fake_quantize_matches_pytorch() {
    let d = load("fake_quantize.json");
    for c in d["per_tensor"].as_array().unwrap() {
        let xs = f32s(&c["x"]);
        let x = Tensor::from_vec(xs.clone(), &[xs.len()]);
        x.requires_grad_(true);
        let y = fake_quantize_per_tensor_affine(
            &x,
            c["scale"].as_f64().unwrap(),
            c["zero_point"].as_i64().unwrap(),
            c["quant_min"].as_i64().unwrap(),
            c["quant_max"].as_i64().unwrap(),
        );
        assert_eq!(bits(&y.to_vec::<f32>()), bits(&f32s(&c["y"])));
        y.sum().backward();
        assert_eq!(
            bits(&x.grad().unwrap().to_vec::<f32>()),
            bits(&f32s(&c["grad"]))
        );
    }
    for c in d["per_channel"].as_array().unwrap() {
        let sh = shape(&c["shape"]);
        let x = Tensor::from_vec(f32s(&c["x"]), &sh);
        x.requires_grad_(true);
        let s = f32s(&c["scales"]);
        let z = i64s(&c["zero_points"]);
        let y = fake_quantize_per_channel_affine(
            &x,
            &Tensor::from_vec(s.clone(), &[s.len()]),
            &Tensor::from_vec(z.clone(), &[z.len()]),
            c["axis"].as_i64().unwrap() as isize,
            0,
            255,
        );
        assert_eq!(bits(&y.to_vec::<f32>()), bits(&f32s(&c["y"])));
        y.sum().backward();
        assert_eq!(
            bits(&x.grad().unwrap().to_vec::<f32>()),
            bits(&f32s(&c["grad"]))
        );
    }
    let fq = FakeQuantize::new(ObserverSpec::moving_average_min_max().quant_range(0, 255));
    for step in d["module"].as_array().unwrap() {
        let xs = f32s(&step["x"]);
        let y = fq.forward(&Tensor::from_vec(xs, &[2, 7]));
        assert_eq!(bits(&y.to_vec::<f32>()), bits(&f32s(&step["y"])));
        assert_eq!(bits(&fq.scale()), bits(&f32s(&step["scale"])));
        assert_eq!(fq.zero_point(), i64s(&step["zero_point"]));
    }
}

#[test]
fn qconfig_mapping_precedence_matches_pytorch() {
    let d = load("qconfig_mapping.json");
    let m = QConfigMapping::from_dict(&d["mapping"]).unwrap();
    let labels: Vec<(String, Option<tessera_quantization::QConfig>)> = d["labels"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), qconfig_from_value(v).unwrap()))
        .collect();
    let label_of = |q: &Option<tessera_quantization::QConfig>| -> Option<String> {
        q.as_ref().map(|q| {
            labels
                .iter()
                .find(|(_, l)| l.as_ref() == Some(q))
                .map(|(k, _)| k.clone())
                .expect("a labelled qconfig")
        })
    };
    let table = d["table"].as_array().unwrap();
    assert!(table.len() >= 20);
    for row in table {
        let name = row["name"].as_str().unwrap();
        let got = m.qconfig_for_module(
            name,
            row["type"].as_str().unwrap(),
            row["index"].as_u64().unwrap() as usize,
        );
        let want = row["qconfig"].as_str().map(str::to_string);
        assert_eq!(label_of(&got), want, "{row}");
    }
    // the dict form round-trips
    assert_eq!(QConfigMapping::from_dict(&m.to_dict()).unwrap(), m);
}

#[test]
fn default_qconfig_mappings_match_pytorch() {
    let d = load("qconfig_mapping.json");
    for backend in ["x86", "fbgemm", "qnnpack"] {
        let want = QConfigMapping::from_dict(&d["defaults"][backend]).unwrap();
        assert_eq!(get_default_qconfig_mapping(backend), want, "{backend}");
    }
}

#[test]
fn qconfigs_for_a_model_walk_names_and_indices() {
    let q = tessera_quantization::get_default_qconfig("x86");
    let model = Sequential::new()
        .append(Linear::new(4, 4, true))
        .append(ReLU)
        .append(Linear::new(4, 2, true));
    let m = QConfigMapping::new()
        .set_global(Some(q.clone()))
        .set_module_name_object_type_order("", model.named_modules()[1].1.type_name(), 1, None);
    let r = m.qconfigs_for_model(&model);
    let names: Vec<&str> = r.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["0", "1", "2"]);
    assert_eq!(r[0].1, Some(q.clone()));
    assert_eq!(r[1].1, Some(q));
    assert_eq!(r[2].1, None, "the second Linear of the root is off");
}

#[test]
fn bad_dict_is_an_error() {
    let v: Value = serde_json::json!({"": {"activation": {"observer": "Nope"}, "weight": null}});
    assert!(QConfigMapping::from_dict(&v).is_err());
    let v: Value = serde_json::json!({"module_name_regex": [["(", null]]});
    assert!(QConfigMapping::from_dict(&v).is_err());
}

#[test]
fn qconfigs_for_model_match_prepare_fx() {
    use tessera_nn::{ModuleDict, SiLU};
    let d = load("qconfig_mapping.json");
    let fx = &d["fx"];
    let m = QConfigMapping::from_dict(&fx["mapping"]).unwrap();
    let inner = || {
        ModuleDict::new()
            .insert("fc0", Linear::new(4, 4, true))
            .insert("relu", SiLU)
            .insert("fc1", Linear::new(4, 4, true))
    };
    let model = ModuleDict::new()
        .insert("fc", Linear::new(4, 4, true))
        .insert("relu", SiLU)
        .insert("block1", inner())
        .insert("block2", inner())
        .insert("relu2", SiLU)
        .insert("head", inner());
    let got = m.qconfigs_for_model(&model);
    let labels = fx["labels"].as_object().unwrap();
    let leaves = fx["leaves"].as_array().unwrap();
    assert_eq!(leaves.len(), 12);
    for leaf in leaves {
        let name = leaf[0].as_str().unwrap();
        let want = match leaf[1].as_str() {
            None => None,
            Some(l) => qconfig_from_value(&labels[l]).unwrap(),
        };
        let (_, q) = got
            .iter()
            .find(|(n, _)| n == name)
            .expect("the leaf is in named_modules");
        assert_eq!(q, &want, "{name}");
    }
}

#[test]
fn observers_on_views_and_bad_inputs() {
    // a non-contiguous input gives what its contiguous copy gives
    let x = Tensor::arange(0, 12)
        .to_dtype(tessera_core::DType::F32)
        .reshape([3, 4])
        - 5.0;
    for spec in [
        ObserverSpec::min_max(),
        ObserverSpec::per_channel_min_max().ch_axis(-1),
        ObserverSpec::histogram().bins(16),
    ] {
        let a = spec.build();
        let b = spec.build();
        a.forward(&x.t());
        b.forward(&x.t().contiguous());
        let (sa, za) = a.calculate_qparams();
        let (sb, zb) = b.calculate_qparams();
        assert_eq!(sa.to_vec::<f32>(), sb.to_vec::<f32>());
        assert_eq!(za.to_vec::<i64>(), zb.to_vec::<i64>());
    }
    // NaN in a histogram's input: torch.histc's error
    let h = ObserverSpec::histogram().build();
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        h.forward(&Tensor::from_vec(vec![1.0f32, f32::NAN], &[2]));
    }))
    .unwrap_err();
    let msg = e.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("torch.histc: range of [nan, nan] is not finite"),
        "{msg}"
    );
    // a per-channel observer fed another channel count
    let p = ObserverSpec::per_channel_min_max().build();
    p.forward(&Tensor::zeros(&[2, 3]));
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        p.forward(&Tensor::zeros(&[3, 3]));
    }))
    .is_err());
    // ch_axis out of range
    let p = ObserverSpec::per_channel_min_max().ch_axis(2).build();
    assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        p.forward(&Tensor::zeros(&[2, 3]));
    }))
    .is_err());
}
