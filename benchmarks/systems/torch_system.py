"""PyTorch eager on the CPU, with as many threads as cores; training loops written the usual way."""
import os

import numpy as np
import torch
from torch import nn

from workloads import (ADAM, CNN_INPUT, EPOCH_SAMPLES, LAYER_NORM_EPSILON, LEARNING_RATE, LSTM_FEATURES, LSTM_UNITS,
                       MLP_BATCH, MLP_SIZES, N_CLASSES, OPS_CHAIN_LENGTH, OPS_CYCLE, PREDICT_BATCH, RMSPROP,
                       TRANSFORMER_FF, TRANSFORMER_HEADS, TRANSFORMER_WIDTH, Bench, NotAvailable, cnn_batches, cycle,
                       lstm_batches, mlp_batches, mlp_dataset, mlp_params, ops_inputs, per_example_batch,
                       predict_inputs, transformer_batches)

torch.set_num_threads(int(os.environ.get("BENCH_THREADS") or os.cpu_count() or 1))
torch.manual_seed(0)


def versions():
    return {"torch": torch.__version__, "numpy": np.__version__, "threads": torch.get_num_threads()}


def ops(quick=False):
    x0, c0, d0 = ops_inputs()
    x = torch.from_numpy(x0).requires_grad_(True)
    c, d = torch.from_numpy(c0), torch.from_numpy(d0)
    funcs = {"mul": lambda y: y * c, "add": lambda y: y + d, "tanh": torch.tanh, "exp": torch.exp}
    chain = [funcs[OPS_CYCLE[i % len(OPS_CYCLE)]] for i in range(OPS_CHAIN_LENGTH)]

    def run():
        y = x
        for f in chain:
            y = f(y)
        y.sum().backward()
        x.grad = None
    return Bench(run)


def _mlp():
    layers = []
    for i, (a, b) in enumerate(zip(MLP_SIZES[:-1], MLP_SIZES[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(MLP_SIZES) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _adam(model):
    return torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(ADAM["beta_1"], ADAM["beta_2"]),
                            eps=ADAM["epsilon"])


def _trainer(model, optimizer):
    loss_fn = nn.CrossEntropyLoss()

    def train_step(x, y):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    return train_step


def _tensors(batches):
    return [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in batches]


def mlp_step(quick=False):
    model = _mlp()
    step = _trainer(model, _adam(model))
    batch = cycle(_tensors(mlp_batches()))
    return Bench(lambda: step(*batch()))


def mlp_epoch(quick=False):
    model = _mlp()
    step = _trainer(model, _adam(model))
    x_np, y_np = mlp_dataset(EPOCH_SAMPLES)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def epoch(n=len(x)):
        order = torch.randperm(n)
        for start in range(0, n, MLP_BATCH):
            index = order[start:start + MLP_BATCH]
            step(x[index], y[index])
    return Bench(epoch, warmup=lambda: epoch(8 * MLP_BATCH))


def predict(quick=False):
    model = _mlp().eval()
    x = predict_inputs()

    def run(data=x):
        with torch.inference_mode():
            outs = [model(torch.from_numpy(data[i:i + PREDICT_BATCH])) for i in range(0, len(data), PREDICT_BATCH)]
            return torch.cat(outs).numpy()
    return Bench(run, warmup=lambda: run(x[:256]))


def cnn_step(quick=False):
    h, w, _ = CNN_INPUT
    flat = 64 * ((((h - 2) // 2) - 2) // 2) * ((((w - 2) // 2) - 2) // 2)
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(flat, N_CLASSES))
    step = _trainer(model, _adam(model))
    # NOTE: PyTorch convolves channels-first; the layout change is done once here, not timed.
    batches = [(torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))), torch.from_numpy(y))
               for x, y in cnn_batches()]
    batch = cycle(batches)
    return Bench(lambda: step(*batch()))


class _LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(LSTM_FEATURES, LSTM_UNITS, batch_first=True)
        self.head = nn.Linear(LSTM_UNITS, N_CLASSES)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.head(h[-1])


def lstm_step(quick=False):
    model = _LSTMClassifier()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=LEARNING_RATE, alpha=RMSPROP["rho"],
                                    eps=RMSPROP["epsilon"])
    step = _trainer(model, optimizer)
    batch = cycle(_tensors(lstm_batches()))
    return Bench(lambda: step(*batch()))


class _EncoderClassifier(nn.Module):
    """The encoder block of keras_like.transformer_model: nn.MultiheadAttention (fused Q/K/V projection, the
    usual PyTorch way), post-norm residuals with Keras's LayerNormalization epsilon, mean over steps, logits."""

    def __init__(self):
        super().__init__()
        w = TRANSFORMER_WIDTH
        self.attn = nn.MultiheadAttention(w, TRANSFORMER_HEADS, batch_first=True)
        self.norm1 = nn.LayerNorm(w, eps=LAYER_NORM_EPSILON)
        self.ff1 = nn.Linear(w, TRANSFORMER_FF)
        self.ff2 = nn.Linear(TRANSFORMER_FF, w)
        self.norm2 = nn.LayerNorm(w, eps=LAYER_NORM_EPSILON)
        self.head = nn.Linear(w, N_CLASSES)

    def forward(self, x):
        a, _ = self.attn(x, x, x, need_weights=False)
        x = self.norm1(x + a)
        x = self.norm2(x + self.ff2(torch.relu(self.ff1(x))))
        return self.head(x.mean(dim=1))


def transformer_step(quick=False):
    model = _EncoderClassifier()
    step = _trainer(model, _adam(model))
    batch = cycle(_tensors(transformer_batches()))
    return Bench(lambda: step(*batch()))


# -- function transforms on the MLP: torch.func ------------------------------------------------------------


def _logits(params, x):
    h = x
    for i in range(0, len(params) - 2, 2):
        h = torch.relu(h @ params[i] + params[i + 1])
    return h @ params[-2] + params[-1]


def _example_loss(params, x, y):
    return nn.functional.cross_entropy(_logits(params, x)[None], y[None])


def jvp(quick=False):
    params, direction = (tuple(torch.from_numpy(a) for a in arrays) for arrays in mlp_params())
    x, y = (torch.from_numpy(a) for a in mlp_batches()[0])

    def run():
        return torch.func.jvp(lambda *p: nn.functional.cross_entropy(_logits(p, x), y), params, direction)[1].item()
    return Bench(run)


def vmap_grad(quick=False):
    params = tuple(torch.from_numpy(a) for a in mlp_params()[0])
    xs, ys = (torch.from_numpy(a) for a in per_example_batch())
    per_example = torch.func.vmap(torch.func.grad(_example_loss), in_dims=(None, 0, 0))
    return Bench(lambda: per_example(params, xs, ys))


def grad_loop(quick=False):
    params = tuple(torch.from_numpy(a).requires_grad_(True) for a in mlp_params()[0])
    xs, ys = (torch.from_numpy(a) for a in per_example_batch())
    return Bench(lambda: [torch.autograd.grad(_example_loss(params, x, y), params) for x, y in zip(xs, ys)])


def _application(workload):
    """torchvision's counterpart of the keras.applications classifier (random weights, eval mode, no grad), on the
    same images (NCHW)."""
    try:
        import torchvision
    except ImportError:
        raise NotAvailable("torchvision is not installed") from None
    from workloads import app_images
    make = {"app_resnet50": "resnet50", "app_mobilenetv2": "mobilenet_v2", "app_efficientnetb0": "efficientnet_b0"}
    model = getattr(torchvision.models, make[workload])(weights=None).eval()
    x = torch.from_numpy(np.ascontiguousarray(app_images().transpose(0, 3, 1, 2)))

    def run():
        with torch.no_grad():
            return model(x).numpy()
    return Bench(run)


def app_resnet50(quick=False):
    return _application("app_resnet50")


def app_mobilenetv2(quick=False):
    return _application("app_mobilenetv2")


def app_efficientnetb0(quick=False):
    return _application("app_efficientnetb0")
