"""The damaged-file campaign: thousands of copies of saved model files with 1 to 20 random bytes overwritten,
each loaded with a time limit, the outcomes counted (the CI test, ``tests/reliability/test_fuzz_damaged_files.py``,
runs 40 per kind).

    nice -n 19 python tools/fuzz_model_files.py [--per-kind 1000] [--seed 1] [--no-isolate] [--keep DIR]

Kinds: ``h5_model``, ``h5_weights``, ``keras_model`` (written by kerasfront) and ``tf_h5_model`` (``cnn_sgd.h5``,
written by tf.keras: no checksums, so damage to its weights can load as other numbers, which is counted, not a
failure). Outcomes (see ``tests/reliability/_fuzz_files.py``): same, changed, error, unclean, hang, crash.
For kerasfront's kinds anything but ``same`` and ``error`` is a failure; the exit status is 1 when there is one.
``--no-isolate`` loads with ``isolate=False`` (HDF5 in the loading process), to count what isolation prevents.

Example:
    $ nice -n 19 python tools/fuzz_model_files.py --per-kind 1000
    kind          same  changed  error  unclean  hang  crash   max s
    h5_model        31        0    969        0     0      0     5.1
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.reliability import _fuzz_files as fuzz  # noqa: E402

OUTCOMES = ("same", "changed", "error", "unclean", "hang", "crash")


def campaign(per_kind, seed, timeout, isolate, keep, batch, kinds=None):
    """Run the campaign; returns ``(jobs, results)`` (damaged files of bad outcomes are copied to ``keep``)."""
    folder = tempfile.mkdtemp(prefix="kerasfront-fuzz-")
    env = {} if isolate else {"KERASFRONT_FUZZ_ISOLATE": "0"}
    all_jobs, results = [], {}
    try:
        refs = fuzz.make_references(folder)
        kinds = kinds or sorted(refs)
        for start in range(0, per_kind, batch):
            count = min(batch, per_kind - start)
            jobs = fuzz.make_jobs(refs, folder, per_kind=count, seed=seed * 100003 + start, kinds=kinds)
            got = fuzz.run_jobs(jobs, folder, timeout=timeout, env_extra=env)
            for job in jobs:
                result = got.get(job["id"], {"outcome": "missing"})
                bad = result["outcome"] not in ("same", "error") and not (
                    job["kind"] not in fuzz.KERASFRONT_KINDS and result["outcome"] == "changed")
                if bad and keep:
                    os.makedirs(keep, exist_ok=True)
                    shutil.copy(job["path"], os.path.join(keep, os.path.basename(job["path"])))
                os.remove(job["path"])
            all_jobs += jobs
            results.update(got)
            done = len(all_jobs)
            print(f"  {done} loads, {sum(r['outcome'] in ('hang', 'crash', 'unclean') for r in results.values())} "
                  f"hang/crash/unclean so far", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return all_jobs, results


def table(jobs, results):
    """The counts per kind and outcome, and the slowest load per kind."""
    counts = fuzz.summarize(jobs, results)
    lines = [f"{'kind':14}" + "".join(f"{o:>9}" for o in OUTCOMES) + f"{'max s':>9}{'median s':>10}"]
    for kind, by in sorted(counts.items()):
        times = sorted(results[j["id"]].get("seconds", 0.0) for j in jobs if j["kind"] == kind)
        lines.append(f"{kind:14}" + "".join(f"{by.get(o, 0):>9}" for o in OUTCOMES)
                     + f"{times[-1]:>9.1f}{times[len(times) // 2]:>10.2f}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-kind", type=int, default=1000, help="damaged copies of each file kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds one load may take")
    parser.add_argument("--no-isolate", action="store_true", help="load with isolate=False")
    parser.add_argument("--batch", type=int, default=100, help="copies per kind written at a time")
    parser.add_argument("--kinds", default="", help="comma-separated subset of the kinds")
    parser.add_argument("--keep", default="", help="folder to copy the files of failed outcomes to")
    parser.add_argument("--json", default="", help="write every result to this file")
    args = parser.parse_args(argv)
    start = time.time()
    jobs, results = campaign(args.per_kind, args.seed, args.timeout, not args.no_isolate, args.keep, args.batch,
                             [k for k in args.kinds.split(",") if k] or None)
    print(f"{len(jobs)} loads in {time.time() - start:.0f} s, isolate={not args.no_isolate}, seed={args.seed}")
    print(table(jobs, results))
    failures = [(j, results[j["id"]]) for j in jobs if j["kind"] in fuzz.KERASFRONT_KINDS
                and results[j["id"]]["outcome"] not in ("same", "error")]
    others = [(j, results[j["id"]]) for j in jobs if j["kind"] not in fuzz.KERASFRONT_KINDS
              and results[j["id"]]["outcome"] in ("unclean", "hang", "crash")]
    for job, result in failures + others:
        print(f"  {job['id']}: {json.dumps(result)[:300]}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"jobs": jobs, "results": results}, fh)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
