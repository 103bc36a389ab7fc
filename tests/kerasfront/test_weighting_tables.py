"""Every built-in loss and metric against real tf.keras, table-driven, on both of their paths.

The expected values are tf_keras 2.21's (``tests/fixtures/weighting/weighting_tables.json``, made by
``tools/make_weighting_fixtures.py``, whose docstring describes the layout). For each loss: the function, the
string name and the Loss class, called directly (on Tensors and on numpy arrays) and through
``compile``/``evaluate``, over target shapes ``(N,)``, ``(N, 1)``, ``(N, k)``, ``(N, T)``, ``(N, T, k)``,
sample weights absent, scalar, ``(N,)``, ``(N, 1)``, ``(N, T)``, every reduction and the from_logits /
label_smoothing / ignore_class / delta options. For each metric: ``update_state`` over batches of 4, 4 and 2
samples, and ``compile(metrics=..., weighted_metrics=...)`` with ``evaluate(batch_size=4)`` on the same 10
samples. Where tf.keras raises, kerasfront must raise a ValueError. Each test gathers every mismatch of one
loss or metric and reports them all.
"""
import json
import os
import warnings

import numpy as np
import pytest

import autograd as ag
import kerasfront as keras

TABLES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "weighting", "weighting_tables.json")
RTOL, ATOL = 1e-5, 1e-6
N = 5

with open(TABLES) as _f:
    _T = json.load(_f)
_INPUTS = {k: np.asarray(v, dtype=np.float32) for k, v in _T["inputs"].items()}
_MODELS = {}


def _identity_model(p_shape):
    """A model whose output is its input, so that the compiled loss and metrics see y_pred = the given array."""
    if p_shape not in _MODELS:
        inp = keras.Input(shape=p_shape)
        _MODELS[p_shape] = keras.Model(inp, keras.layers.Activation("linear")(inp))
    return _MODELS[p_shape]


def _compare(got_fn, expected, label, problems):
    """Run ``got_fn`` and check it against a tf.keras value (or against tf.keras raising)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            got = got_fn()
        except ValueError as e:
            if not (isinstance(expected, dict) and "error" in expected):
                problems.append(f"{label}: raised {e!s:.200} but tf.keras gives {expected}")
            return
        except Exception as e:       # noqa: BLE001 - any other exception is a finding
            problems.append(f"{label}: raised {type(e).__name__}: {e!s:.200} (tf.keras: {expected})")
            return
    if isinstance(expected, dict):
        if expected.get("error") == "non-finite":
            return
        problems.append(f"{label}: gave {np.asarray(got).round(6).tolist()} but tf.keras raises {expected['error']}")
        return
    got = np.asarray(got.data if isinstance(got, ag.Tensor) else got, dtype=np.float64)
    exp = np.asarray(expected, dtype=np.float64)
    if got.shape != exp.shape or not np.allclose(got, exp, rtol=RTOL, atol=ATOL):
        problems.append(f"{label}: gave {got.round(6).tolist()}, tf.keras {exp.tolist()}")


def _report(problems):
    assert not problems, f"{len(problems)} mismatch(es) with tf.keras:\n" + "\n".join(problems[:40])


# -- coverage -----------------------------------------------------------------------------------------------------

_BASES = {"Loss", "LossFunctionWrapper", "Metric", "Reduce", "PyMetric"}


def _public_classes(module, base):
    return {name for name, obj in vars(module).items()
            if isinstance(obj, type) and issubclass(obj, base) and not name.startswith("_") and name not in _BASES}


def test_the_tables_hold_every_built_in_loss_and_metric():
    """A loss or metric added to kerasfront without a row in tools/make_weighting_fixtures.py fails here."""
    import re
    losses = {spelling[0] for spelling in _T["loss_spellings"].values()}
    assert _public_classes(keras.losses, keras.losses.Loss) - losses == set()
    metrics = {m for source in _T["metric_factories"].values() for m in re.findall(r"keras\.metrics\.(\w+)\(", source)}
    metrics |= set(_T["reduce"])
    assert _public_classes(keras.metrics, keras.metrics.Metric) - metrics == set()


# -- losses -----------------------------------------------------------------------------------------------------

LOSS_NAMES = sorted(_T["losses"])


def _loss_inputs(kind, shape, weights):
    y, p = _INPUTS[f"y|{kind}|{shape}"], _INPUTS[f"p|{kind}|{shape}"]
    sw = None if weights == "none" else _INPUTS[f"sw|{weights}|{shape}"]
    return y, p, sw


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_loss_called_directly(name):
    """Functions (and their string names) give per-sample values; Loss objects called on Tensors (tf.keras
    squeezes a trailing size-1 axis) and on numpy arrays (it does not) weight and reduce them."""
    cls_name, fn_name, string = _T["loss_spellings"][name]
    cls, fn = getattr(keras.losses, cls_name), getattr(keras.losses, fn_name)
    assert keras.losses.get(string) is fn or keras.losses.get(string).__name__ == fn.__name__
    problems = []
    for opt_key, shapes in _T["losses"][name].items():
        opt = json.loads(opt_key)
        for shape, entry in shapes.items():
            y, p, _ = _loss_inputs(entry["kind"], shape, "none")
            for spelling, f in ((fn_name, fn), (repr(string), keras.losses.get(string))):
                _compare(lambda: f(y, p, **opt), entry["fn"], f"{spelling}(y, p, **{opt}) {shape}", problems)
            for weights, cell in entry["w"].items():
                y, p, sw = _loss_inputs(entry["kind"], shape, weights)
                for reduction, expected in cell["direct"].items():
                    for red in (reduction, "sum_over_batch_size") if reduction == "auto" else (reduction,):
                        obj = cls(reduction=red, **opt)
                        _compare(lambda: obj(ag.tensor(y), ag.tensor(p), sample_weight=sw), expected,
                                 f"{cls_name}(reduction={red!r}, **{opt}) on tensors {shape} weights {weights}",
                                 problems)
                obj = cls(**opt)
                _compare(lambda: obj(y, p, sample_weight=sw), cell["numpy"],
                         f"{cls_name}(**{opt}) on numpy arrays {shape} weights {weights}", problems)
    _report(problems)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_loss_through_compile(name):
    """compile(loss=function | string | Loss) and evaluate(sample_weight=...): tf.keras's compile-path rule
    (1-D labels and weights meet a (N, 1) output sample by sample)."""
    cls_name, fn_name, string = _T["loss_spellings"][name]
    cls, fn = getattr(keras.losses, cls_name), getattr(keras.losses, fn_name)
    problems = []
    for opt_key, shapes in _T["losses"][name].items():
        opt = json.loads(opt_key)
        for shape, entry in shapes.items():
            for weights, cell in entry["w"].items():
                if "compile" not in cell:
                    continue
                y, p, sw = _loss_inputs(entry["kind"], shape, weights)
                model = _identity_model(p.shape[1:])
                for reduction, expected in cell["compile"].items():
                    if reduction == "auto" and not opt:
                        spellings = [fn, string, cls(), cls(reduction="sum_over_batch_size")]
                    elif reduction == "auto":
                        spellings = [cls(**opt), cls(reduction="sum_over_batch_size", **opt)]
                    else:
                        spellings = [cls(reduction=reduction, **opt)]
                    for loss in spellings:
                        def evaluate():
                            model.compile(optimizer="sgd", loss=loss)
                            kw = {} if sw is None else {"sample_weight": sw}
                            return model.evaluate(p, y, batch_size=N, verbose=0, **kw)
                        label = (f"{cls_name}(reduction={loss.reduction!r}, **{opt})"
                                 if isinstance(loss, keras.losses.Loss) else getattr(loss, "__name__", repr(loss)))
                        _compare(evaluate, expected, f"compile(loss={label}) {shape} weights {weights}", problems)
    _report(problems)


# -- metrics ----------------------------------------------------------------------------------------------------

METRIC_NAMES = sorted(_T["metrics"])
BATCHES = [(0, 4), (4, 8), (8, 10)]


def _metric(name):
    return eval(_T["metric_factories"][name], {"keras": keras})      # noqa: S307 - our own fixture's source


def _metric_inputs(kind, shape, weights):
    y, p = _INPUTS[f"y|{kind}|{shape}"], _INPUTS[f"p|{kind}|{shape}"]
    sw = None if weights == "none" else _INPUTS[f"sw|m{weights}|{shape}"]
    return y, p, sw


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_metric_update_state_over_unequal_batches(name):
    problems = []
    for shape, entry in _T["metrics"][name].items():
        for weights, cell in entry["w"].items():
            y, p, sw = _metric_inputs(entry["kind"], shape, weights)

            def run():
                m = _metric(name)
                for a, b in BATCHES:
                    m.update_state(y[a:b], p[a:b], sample_weight=None if sw is None else sw[a:b])
                return m.result()
            _compare(run, cell["direct"], f"{_T['metric_factories'][name]} {shape} weights {weights}", problems)
    _report(problems)


@pytest.mark.parametrize("name", METRIC_NAMES)
def test_metric_through_compile_metrics_and_weighted_metrics(name):
    spec = _T["metric_compile_specs"][name]
    problems = []
    for shape, entry in _T["metrics"][name].items():
        for weights, cell in entry["w"].items():
            y, p, sw = _metric_inputs(entry["kind"], shape, weights)
            model = _identity_model(p.shape[1:])

            def run():
                ms, wms = ([_metric(name)], [_metric(name)]) if spec == "obj" else ([spec], [spec])
                model.compile(optimizer="sgd", loss=None, metrics=ms, weighted_metrics=wms)
                kw = {} if sw is None else {"sample_weight": sw}
                logs = model.evaluate(p, y, batch_size=4, verbose=0, return_dict=True, **kw)
                names = [k for k in logs if k != "loss"]
                assert len(names) == 2, logs
                return [logs[names[0]], logs[names[1]]]
            _compare(run, cell["compile"], f"compile(metrics=[{spec}], weighted_metrics=[{spec}]) {name} {shape} "
                     f"weights {weights}", problems)
    _report(problems)


@pytest.mark.parametrize("name", ["Mean", "Sum", "MeanTensor"])
def test_mean_sum_and_mean_tensor_weights_of_every_rank(name):
    """Weights of lower rank than the values: matched, broadcast under tf's rule, or (where that rule refuses
    them) the values first reduced over their extra axes, as tf.keras's Reduce does; MeanTensor averages element
    by element (over two batches of one shape)."""
    batches = _T["reduce_batches"][name]
    problems = []
    for vshape, cells in _T["reduce"][name].items():
        values = _INPUTS[f"v|{vshape}"]
        for weights, expected in cells.items():
            sw = None if weights == "none" else _INPUTS[f"sw|r{weights}|{vshape}"]

            def run():
                m = getattr(keras.metrics, name)()
                for a, b in batches:
                    m.update_state(values[a:b], sample_weight=None if sw is None else (sw if sw.ndim == 0 else sw[a:b]))
                return m.result()
            _compare(run, expected, f"{name} values {vshape} weights {weights}", problems)
    _report(problems)
