"""Gaussian-process regression whose kernel hyperparameters are fitted by the gradient of the log marginal
likelihood, computed through a Cholesky factorization (ag.linalg.cholesky, cho_solve, triangular_solve).

For data (X, y) and a kernel k_theta, the negative log marginal likelihood of y under the GP prior is

    nll(theta) = 1/2 y^T K^-1 y + 1/2 log det K + n/2 log(2 pi),    K = k_theta(X, X) + noise * I,

computed stably from K = L L^T: 1/2 y^T alpha with alpha = cho_solve((L, True), y), and sum(log diag L).
Its gradient with respect to theta (length scale, signal and noise variances, on a log scale) comes from
reverse mode through the Cholesky factor; the example

  1. checks that gradient against finite differences (ag.gradcheck, to second order) and against the
     textbook formula 1/2 tr((K^-1 - alpha alpha^T) dK/dtheta);
  2. fits theta by gradient descent (Adam) on noisy samples of a smooth function;
  3. predicts at held-out points (posterior mean and variance, two triangular solves) and compares the
     error with the initial hyperparameters' and the noise level.

Run:
    python examples/gp_regression.py
    python examples/gp_regression.py --points 200 --steps 400

Set KERASFRONT_EXAMPLE_FAST=1 for a shorter run (what the tests do).
"""
import argparse
import os
import sys

import numpy as np

import autograd as ag

LOG_2PI = np.log(2.0 * np.pi)


def kernel(theta, xa, xb):
    """Squared-exponential kernel s^2 exp(-|xa - xb|^2 / (2 l^2)); theta = (log l, log s^2, log noise)."""
    sq = (xa[:, None] - xb[None, :]) ** 2
    return ag.exp(theta[1]) * ag.exp(-0.5 * sq * ag.exp(-2.0 * theta[0]))


def neg_log_marginal_likelihood(theta, x, y):
    n = len(x)
    k = kernel(theta, x, x) + (ag.exp(theta[2]) + 1e-8) * np.eye(n)
    chol = ag.linalg.cholesky(k)
    alpha = ag.linalg.cho_solve((chol, True), y)
    return 0.5 * ag.sum(y * alpha) + ag.sum(ag.log(ag.linalg.diagonal(chol))) + 0.5 * n * LOG_2PI


def textbook_gradient(theta, x, y):
    """1/2 tr((K^-1 - alpha alpha^T) dK/dtheta_j), written out in numpy (Rasmussen & Williams, eq. 5.9)."""
    l2, s2, noise = np.exp(2 * theta[0]), np.exp(theta[1]), np.exp(theta[2])
    sq = (x[:, None] - x[None, :]) ** 2
    kf = s2 * np.exp(-0.5 * sq / l2)
    k = kf + (noise + 1e-8) * np.eye(len(x))
    kinv = np.linalg.inv(k)
    alpha = kinv @ y
    inner = kinv - np.outer(alpha, alpha)
    dks = [kf * sq / l2, kf, noise * np.eye(len(x))]
    return np.array([0.5 * np.sum(inner * dk) for dk in dks])


def predict(theta, x, y, x_new):
    """Posterior mean and variance at x_new."""
    k = kernel(theta, x, x) + (ag.exp(theta[2]) + 1e-8) * np.eye(len(x))
    chol = ag.linalg.cholesky(k)
    k_star = kernel(theta, x, x_new)
    mean = k_star.T @ ag.linalg.cho_solve((chol, True), y)
    v = ag.linalg.triangular_solve(chol, k_star, lower=True)
    var = ag.exp(theta[1]) - ag.sum(v * v, axis=0)
    return mean.numpy(), var.numpy()


def adam(fun, theta, steps, lr):
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    value_and_grad = ag.value_and_grad(fun)
    for t in range(1, steps + 1):
        value, g = value_and_grad(theta)
        g = g.numpy()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        theta = theta - lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return theta, value.item()


def main(argv=None):
    fast = os.environ.get("KERASFRONT_EXAMPLE_FAST") == "1"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=40 if fast else 80, help="training points")
    parser.add_argument("--steps", type=int, default=150 if fast else 300, help="Adam steps on the hyperparameters")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--noise", type=float, default=0.1, help="standard deviation of the noise in the data")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    truth = lambda x: np.sin(3.0 * x) + 0.5 * np.cos(7.0 * x)             # noqa: E731
    x = np.sort(rng.uniform(-2.0, 2.0, args.points))
    y = truth(x) + args.noise * rng.standard_normal(args.points)
    x_test = np.linspace(-1.9, 1.9, 200)
    theta0 = np.log(np.array([1.0, 1.0, 1.0]))          # length scale 1, signal variance 1, noise variance 1

    def nll(theta):
        return neg_log_marginal_likelihood(theta, x, y)

    print("1. the gradient of the log marginal likelihood")
    ag.gradcheck(nll, theta0, order=2)
    print("   gradcheck to second order: passed")
    ours = ag.grad(nll)(theta0).numpy()
    book = textbook_gradient(theta0, x, y)
    diff = np.max(np.abs(ours - book)) / np.max(np.abs(book))
    print(f"   relative difference from 1/2 tr((K^-1 - a a^T) dK): {diff:.2e}")

    print(f"2. fitting (length scale, signal variance, noise variance) by Adam, {args.steps} steps")
    before = nll(theta0).item()
    theta, after = adam(nll, theta0, args.steps, args.lr)
    ls, s2, noise = np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2])
    print(f"   negative log marginal likelihood: {before:.4f} -> {after:.4f}")
    print(f"   length scale {ls:.4f}, signal variance {s2:.4f}, noise std {np.sqrt(noise):.4f} "
          f"(data made with noise std {args.noise})")

    print("3. prediction at held-out points")
    rmse = {}
    for name, th in (("initial", theta0), ("fitted", theta)):
        mean, var = predict(th, x, y, x_test)
        rmse[name] = float(np.sqrt(np.mean((mean - truth(x_test)) ** 2)))
        inside = np.mean(np.abs(mean - truth(x_test)) <= 2 * np.sqrt(np.maximum(var, 0)) + 1e-12)
        print(f"   {name:8s} hyperparameters: RMSE {rmse[name]:.4f}, truth within 2 posterior std: {inside:.0%}")
    print(f"   RMSE ratio fitted / initial: {rmse['fitted'] / rmse['initial']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
