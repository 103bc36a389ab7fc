"""Damaged files never hang, crash or load as other numbers: 40 copies of each kerasfront file kind (a whole
model in ``.h5``, weights in ``.h5``, a ``.keras`` archive) with 1 to 20 random bytes overwritten (a fixed
seed), each loaded with a 20 s limit. Every outcome must be the original model, numbers and all, or an error
that names the file. The campaign with thousands of mutations is ``tools/fuzz_model_files.py``.

Example:
    >>> keras.models.load_model("damaged.h5")
    SavedFileError: File 'damaged.h5' is damaged: 1 part(s) do not match the checksums kerasfront wrote ...
"""
import os

import pytest

from tests.reliability import _fuzz_files as fuzz

PER_KIND = 40
SEED = 20


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("fuzz"))
    refs = fuzz.make_references(folder)
    jobs = fuzz.make_jobs(refs, folder, per_kind=PER_KIND, seed=SEED, kinds=fuzz.KERASFRONT_KINDS)
    return jobs, fuzz.run_jobs(jobs, folder, timeout=20.0)


def test_every_damaged_file_is_refused_by_name_or_loads_the_original_numbers(campaign):
    jobs, results = campaign
    assert len(results) == len(jobs) == PER_KIND * len(fuzz.KERASFRONT_KINDS)
    bad = {job["id"]: results[job["id"]] for job in jobs if results[job["id"]]["outcome"] not in ("same", "error")}
    assert not bad, bad


def test_no_load_takes_longer_than_ten_seconds(campaign):
    _, results = campaign
    slow = {k: r["seconds"] for k, r in results.items() if r["seconds"] > 10}
    assert not slow, slow


def test_the_mutations_reach_every_kind_of_file(campaign):
    """Not vacuous: every kind sees many refusals (with the file named), and the errors are specific."""
    jobs, results = campaign
    counts = fuzz.summarize(jobs, results)
    for kind in fuzz.KERASFRONT_KINDS:
        assert counts[kind].get("error", 0) >= PER_KIND // 2, counts
    for job in jobs:
        result = results[job["id"]]
        if result["outcome"] == "error":
            assert os.path.basename(job["path"]) in result["message"]
            assert "damaged" in result["message"] or "truncated" in result["message"], result
