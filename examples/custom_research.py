"""Research with the autograd engine directly, no Keras: what you do when a layer API is in the way.

  1. a custom primitive: a fused, numerically stable softmax cross-entropy with a hand-written gradient
     (ag.primitive + ag.defvjp), checked against finite differences to second order (ag.gradcheck);
  2. a model written as a plain function of one flat parameter vector, trained on the digits by
     full-batch gradient descent with momentum, using ag.value_and_grad;
  3. Hessian-vector products (ag.hvp) without ever forming the Hessian: the sharpest curvature of the loss
     by power iteration, and what it says about the largest stable learning rate;
  4. a gradient with respect to the input (ag.grad): which pixels the trained model looks at.

Run:
    python examples/custom_research.py
    python examples/custom_research.py --steps 500

Set KERASFRONT_EXAMPLE_FAST=1 for a shorter run (what the tests do).
"""
import argparse
import os
import sys

import numpy as np

import autograd as ag
from kerasfront.datasets import digits     # only to load the data (numpy arrays)


# -- 1. A custom primitive ---------------------------------------------------------------------------------
@ag.primitive
def softmax_cross_entropy(logits, labels):
    """Mean of -log softmax(logits)[i, labels[i]] over the batch; plain numpy on raw arrays."""
    shifted = logits - logits.max(axis=1, keepdims=True)          # exp never overflows
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    return np.mean(log_norm - shifted[np.arange(len(labels)), labels])


def softmax_cross_entropy_vjp(g, ans, logits, labels):
    """d loss / d logits = (softmax(logits) - one_hot(labels)) / batch, times the incoming gradient g.

    Written with autograd ops (ag.softmax, *, -), so the gradient can itself be differentiated: that is
    what makes ag.hvp and gradcheck(order=2) work through this primitive.
    """
    n, classes = logits.shape
    one_hot = np.eye(classes, dtype=logits.dtype)[labels]            # a constant: labels get no gradient
    return g * (ag.softmax(logits, axis=1) - one_hot) / n


ag.defvjp(softmax_cross_entropy, softmax_cross_entropy_vjp, None)   # None: no gradient for `labels`


# -- 2. A model as a plain function ------------------------------------------------------------------------
SHAPES = [(64, 32), (32,), (32, 10), (10,)]      # W1, b1, W2, b2 of a 64-32-10 network


def init_params(rng):
    """One flat float64 vector holding every weight (Glorot-uniform matrices, zero biases)."""
    parts = []
    for shape in SHAPES:
        if len(shape) == 2:
            limit = np.sqrt(6.0 / sum(shape))
            parts.append(rng.uniform(-limit, limit, size=shape).ravel())
        else:
            parts.append(np.zeros(shape))
    return np.concatenate(parts)


def unpack(theta):
    """Slice the flat vector back into the weight arrays (slices and reshapes are differentiable)."""
    parts, start = [], 0
    for shape in SHAPES:
        size = int(np.prod(shape))
        parts.append(ag.reshape(theta[start:start + size], shape))
        start += size
    return parts


def predict(theta, x):
    """Logits of the network: tanh hidden layer, linear output."""
    w1, b1, w2, b2 = unpack(theta)
    hidden = ag.tanh(x @ w1 + b1)
    return hidden @ w2 + b2


def loss(theta, x, y):
    return softmax_cross_entropy(predict(theta, x), y)


def accuracy(theta, x, y):
    with ag.no_grad():                           # no graph is recorded: just numbers
        return float(np.mean(predict(theta, x).data.argmax(axis=1) == y))


# -- 3. Curvature with Hessian-vector products ---------------------------------------------------------------
def top_hessian_eigenvalue(f, theta, iterations, rng):
    """The largest eigenvalue of the Hessian of ``f`` at ``theta`` by power iteration on ag.hvp."""
    v = rng.standard_normal(theta.shape)
    v /= np.linalg.norm(v)
    eigenvalue = 0.0
    for _ in range(iterations):
        hv = ag.hvp(f, theta, v).data            # H v: two reverse passes, the Hessian is never built
        eigenvalue = float(v @ hv)               # Rayleigh quotient, v has unit norm
        v = hv / np.linalg.norm(hv)
    return eigenvalue


def parse_args(argv):
    fast = os.environ.get("KERASFRONT_EXAMPLE_FAST") == "1"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150 if fast else 400, help="gradient steps (default: 400)")
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate (default: 0.5)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    rng = np.random.default_rng(args.seed)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train = x_train.reshape(-1, 64) / 16.0                 # float64: research code often wants it
    x_test = x_test.reshape(-1, 64) / 16.0
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)

    print("1. Custom primitive: fused softmax cross-entropy")
    logits = rng.standard_normal((5, 10))
    labels = rng.integers(0, 10, size=5)
    ag.gradcheck(lambda z: softmax_cross_entropy(z, labels), logits, order=2)
    composed = ag.grad(lambda z: -ag.mean(ag.log_softmax(z, axis=1)[np.arange(5), labels]))(logits)
    fused = ag.grad(lambda z: softmax_cross_entropy(z, labels))(logits)
    print("   gradcheck to second order: passed")
    print(f"   largest difference from the composed ops' gradient: {np.abs(fused.data - composed.data).max():.1e}")
    huge = np.array([[1000.0, -1000.0, 0.0]])
    print(f"   stable on logits of +-1000: loss {float(softmax_cross_entropy(huge, np.array([1])).data):.1f}")

    print(f"\n2. A plain-function model trained with ag.value_and_grad ({args.steps} full-batch steps, "
          f"momentum 0.9)")
    theta = init_params(rng)
    print(f"   {theta.size} parameters in one vector; test accuracy before training "
          f"{accuracy(theta, x_test, y_test):.3f}")
    loss_and_grad = ag.value_and_grad(loss)                  # differentiates argument 0, theta
    velocity = np.zeros_like(theta)
    for step in range(1, args.steps + 1):
        value, g = loss_and_grad(theta, x_train, y_train)
        velocity = 0.9 * velocity - args.lr * g.data
        theta = theta + velocity
        if step % max(1, args.steps // 5) == 0 or step == 1:
            print(f"   step {step:4d}  loss {float(value.data):.4f}")
    test_accuracy = accuracy(theta, x_test, y_test)
    print(f"   test accuracy: {test_accuracy:.3f}")

    print("\n3. Curvature by Hessian-vector products (ag.hvp)")

    def train_loss(t):
        return loss(t, x_train, y_train)
    v = rng.standard_normal(theta.shape)
    hv = ag.hvp(train_loss, theta, v).data
    eps = 1e-5
    grad_fn = ag.grad(train_loss)
    finite_difference = (grad_fn(theta + eps * v).data - grad_fn(theta - eps * v).data) / (2 * eps)
    relative = np.linalg.norm(hv - finite_difference) / np.linalg.norm(finite_difference)
    print(f"   H v against a finite difference of gradients: relative difference {relative:.1e}")
    sharpness = top_hessian_eigenvalue(train_loss, theta, iterations=20, rng=rng)
    print(f"   largest Hessian eigenvalue (sharpness): {sharpness:.3f}")
    print(f"   plain gradient descent is stable here for learning rates below 2 / sharpness = "
          f"{2 / sharpness:.2f}")

    print("\n4. Which pixels matter: the gradient of the predicted class's logit with respect to the image")
    image, label = x_test[0], int(y_test[0])
    predicted = int(np.argmax(predict(theta, image[None]).data))
    saliency = ag.grad(lambda img: predict(theta, ag.reshape(img, (1, 64)))[0, predicted])(image).data
    shades = " .:-=+*#%@"
    scaled = np.abs(saliency) / (np.abs(saliency).max() + 1e-12)
    print(f"   digit {label}, predicted {predicted}; pixels (left) and |gradient| (right):")
    for row in range(8):
        pixels = "".join(shades[int(p * (len(shades) - 1))] for p in image[row * 8:(row + 1) * 8])
        grads = "".join(shades[int(s * (len(shades) - 1))] for s in scaled[row * 8:(row + 1) * 8])
        print(f"   {pixels}   {grads}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
