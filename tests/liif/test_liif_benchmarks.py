"""The paper's benchmark protocol with the authors' weights, against the official code's numbers.

Set5 at x2-x4 with the official LR_bicubic images, scored through ``inrkit.liif.evaluate``
(Y channel, shave = scale): the official ``test.py`` gives 37.9919 / 34.4039 / 32.2394 dB on
the same files (see ``benchmarks/liif_benchmarks.md``). Weights and data live in the shared
folder beside the project (``../shared``); without it the test skips and says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inrkit.liif import load
from inrkit.liif.eval_config import open_eval_set
from inrkit.liif.evaluate import evaluate_images

SHARED = Path(__file__).resolve().parents[3] / "shared"
WEIGHTS = SHARED / "weights" / "liif" / "edsr-baseline-liif.pth"
LOAD = SHARED / "data" / "load"
# The official test.py (github.com/yinboc/liif, unmodified, CPU) on the same files.
OFFICIAL_SET5 = {2: 37.9919, 3: 34.4039, 4: 32.2394}


@pytest.mark.skipif(
    not (WEIGHTS.is_file() and (LOAD / "benchmark" / "Set5" / "HR").is_dir()),
    reason=f"the authors' weights and Set5 live in {SHARED}, which is not beside this checkout",
)
def test_set5_with_the_authors_weights_equals_the_official_code():
    scales = list(OFFICIAL_SET5)
    opened = open_eval_set("set5", LOAD, scales)
    assert sorted(opened.paired) == scales  # the official LR images, not LR made here
    result = evaluate_images(load(WEIGHTS), None, scales, opened.protocol, paired=opened.paired)
    assert result["protocol"] == "benchmark" and result["images"] == 5
    for scale, want in OFFICIAL_SET5.items():
        got = result["results"]["model"][f"x{scale}"]["psnr"]
        assert got == pytest.approx(want, abs=5e-4), f"x{scale}"
