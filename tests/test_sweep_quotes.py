"""What the notebooks' prose quotes from a sweep is recomputed here from the sweep
itself, committed in tests/sweeps/ (see its README): a sentence and its data
cannot drift apart. Nothing is run; the JSON holds every seed's records."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from course_utils.core.paths import repo_root
from course_utils.tools.notebooks import read_notebook

SWEEPS = Path(__file__).parent / "sweeps"


def _records(key: str) -> dict[int, dict]:
    """Seed -> that run's records, for one sweep (every seed must have passed)."""
    data = json.loads((SWEEPS / f"{key}.json").read_text(encoding="utf-8"))
    assert all(run["status"] == "ok" for run in data["seeds"].values()), key
    return {int(seed): run["records"] for seed, run in data["seeds"].items()}


def _prose(number: str) -> str:
    """The notebook's cells, line breaks and repeated spaces made one space."""
    path = next(Path(repo_root(), "notebooks").glob(f"{number}_*.ipynb"))
    return " ".join(" ".join(cell.source for cell in read_notebook(path).cells).split())


def _span(values: list[float]) -> str:
    return f"{math.floor(min(values))}-{math.ceil(max(values))}"


@pytest.fixture(scope="module")
def sweep_07():
    return _records("07-fast")


def test_07_the_autoencoder_against_the_vae_in_fast_mode(sweep_07):
    ae = [r["quality_table.AE, fitted Gaussian.frechet"] for r in sweep_07.values()]
    vae = [r["quality_table.VAE means, z ~ N(0, I).frechet"]
           for r in sweep_07.values()]
    wins = sum(a < v for a, v in zip(ae, vae, strict=True))
    quote = (f"decodes beat the VAE's means on {wins} of {len(ae)} seeds "
             f"(AE {_span(ae)}, VAE {_span(vae)})")
    assert quote in _prose("07"), quote


def test_07_the_plain_gan_on_the_ring(sweep_07):
    early = [r["07.plain_early_max_modes"] for r in sweep_07.values()]
    end = [r["07.plain_end_modes"] for r in sweep_07.values()]
    whole = [str(seed) for seed, r in sweep_07.items() if r["07.plain_end_modes"] == 8]
    text = _prose("07")
    assert sorted(sweep_07) == list(range(len(end)))
    assert max(early) <= 1 and f"Measured over seeds 0-{len(end) - 1}" in text
    quote = f"at most one mode at step 2000 on {sum(m <= 1 for m in end)} of the "
    assert quote + f"{len(end)} seeds" in text, quote
    named = ", ".join(whole[:-1]) + " and " + whole[-1]
    assert f"covers the whole ring at the end (seeds {named})" in text, named


def _span2(values: list[float]) -> str:
    """Two decimals, the range widened outwards (never narrower than the data)."""
    return (f"{math.floor(min(values) * 100) / 100:.2f}-"
            f"{math.ceil(max(values) * 100) / 100:.2f}")


def test_07_the_table_in_the_default_mode():
    runs = _records("07-default")
    vae = {s: r["quality_table.VAE means, z ~ N(0, I).frechet"]
           for s, r in runs.items()}
    ae = {s: r["quality_table.AE, fitted Gaussian.frechet"] for s, r in runs.items()}
    gan = [r["quality_table.GAN, z ~ N(0, I).frechet"] for r in runs.values()]
    ratio = {s: r["07.gan_over_vae_frechet"] for s, r in runs.items()}
    diversity = [r["07.gan_diversity"] for r in runs.values()]
    wins = sum(vae[s] < ae[s] for s in runs)
    text = _prose("07")
    assert sorted(runs) == list(range(20)) and min(ratio.values()) > 1
    for quote in (f"seeds 0-19 in the default mode the VAE's means (decoded prior "
                  f"draws) score Fréchet {_span(list(vae.values()))} and the AE's "
                  f"decodes of a fitted Gaussian {_span(list(ae.values()))}",
                  f"ahead on {wins} of the 20 seeds",
                  f"(Fréchet {_span(gan)}, {_span2(list(ratio.values()))} times the "
                  f"VAE's, closest on seed {min(ratio, key=ratio.get)})",
                  f"({_span2(diversity)} nats)"):
        assert quote in text, quote


def _gaps_10(mode: str) -> tuple[list[float], list[float]]:
    """10's two likelihood gaps over a sweep: at equal passes (the one-pass VAE's
    bound lay below on every seed) and at the table's unequal passes."""
    runs = _records(f"10-{mode}").values()
    equal = [r["10.equal_passes_gap"] for r in runs]
    assert min(equal) > 0, f"{mode}: the one-pass VAE's bound lay above on a seed"
    return equal, [r["10.pixelcnn_minus_iwae"] for r in runs]


def test_10_the_likelihoods_at_equal_and_unequal_passes_in_fast_mode():
    equal, unequal = _gaps_10("fast")
    text = _prose("10")
    assert f"by {_span(equal)} nats in fast mode" in text, _span(equal)
    quote = f"from {min(unequal):.1f} to +{max(unequal):.1f} nats in fast mode"
    assert min(unequal) < 0 < max(unequal) and quote in text, quote


def test_10_in_the_default_mode_and_the_samplers_over_both():
    equal, unequal = _gaps_10("default")
    text = _prose("10")
    assert f"nats in fast mode, {_span(equal)} in the default" in text, _span(equal)
    quote = f"{min(unequal):.1f} to {max(unequal):+.1f} in the default mode"
    assert quote in text, quote
    closest = {"VAE": 0, "GAN": 0, "PixelCNN": 0}
    runs = [*_records("10-fast").values(), *_records("10-default").values()]
    for r in runs:
        frechet = {name: r[f"quality_table.{row}.frechet"] for name, row in (
            ("VAE", "VAE samples (binary)"), ("GAN", "GAN samples"),
            ("PixelCNN", "PixelCNN samples"))}
        closest[min(frechet, key=frechet.get)] += 1
    quote = (f"over the {len(runs)} runs swept (seeds 0-19 in both modes), the "
             f"VAE's binary samples were the closest on {closest['VAE']} runs, the "
             f"GAN's on {closest['GAN']} and the PixelCNN's on {closest['PixelCNN']}")
    assert quote in text, quote


def test_08_the_convolutional_vae_in_both_modes():
    default, fast = _records("08-default").values(), _records("08-fast").values()
    gain = [r["08.conv_vae_nelbo_gain"] for r in default]
    ratio = [r["08.conv_vae_frechet_ratio"] for r in default]
    fast_gain = [r["08.conv_vae_nelbo_gain"] for r in fast]
    text = _prose("08")
    assert max(gain) < 0, "by default the conv VAE's ELBO was worse on every seed"
    for quote in (f"(by {-max(gain):.1f}-{-min(gain):.1f} nats)",
                  f"({min(ratio):.2f}-{max(ratio):.2f} times the MLP VAE's)",
                  f"(from {-min(fast_gain):.1f} nats worse to {max(fast_gain):.1f} "
                  "better)"):
        assert quote in text, quote


def test_09_the_summary_and_pix2pix_in_the_default_mode():
    runs = _records("09-default")
    fast = _records("09-fast")
    accuracy = [100 * r["09.cgan_accuracy"] for r in runs.values()]
    sharper = [100 * (r["09.pix2pix_sharper"] - 1) for r in runs.values()]
    l1 = [100 * (r["09.pix2pix_l1_ratio"] - 1) for r in runs.values()]
    frechet = [r["09.pix2pix_frechet_ratio"] for r in runs.values()]
    rose = sorted(round(100 * (f - 1)) for f in frechet if f > 1)
    fast_rose = sum(r["09.pix2pix_frechet_ratio"] > 1 for r in fast.values())
    text = _prose("09")
    assert sorted(runs) == list(range(20)) and len(rose) == 2
    for quote in (f"({_span(accuracy)}% in the default mode, seeds 0-19)",
                  f"makes the outputs {_span(sharper)}% sharper",
                  f"for an L1 error from {-math.floor(min(l1))}% lower to "
                  f"{math.ceil(max(l1))}% higher",
                  f"on 18 of the 20 seeds we swept, lowers their Fréchet distance "
                  f"too (by up to {round(100 * (1 - min(frechet)))}%; on the other "
                  f"two it rose by {rose[0]}% and {rose[1]}%)",
                  f"the Fréchet distance went up on {fast_rose} of the 20 seeds"):
        assert quote in text, quote


def _span1(values: list[float]) -> str:
    """One decimal, the range widened outwards."""
    low, high = math.floor(min(values) * 10) / 10, math.ceil(max(values) * 10) / 10
    return f"{low:.1f}-{high:.1f}"


def test_10_the_gated_pixelcnn_ahead_in_both_modes():
    gains = {mode: [r["10.gated_gain"] for r in _records(f"10-{mode}").values()]
             for mode in ("fast", "default")}
    assert all(min(g) > 0 for g in gains.values()), "behind on a seed: restate"
    ahead = (f"ahead of the plain one on every seed, by {_span1(gains['fast'])} nats "
             f"in fast mode and {_span1(gains['default'])} in the default mode")
    close = sum(r["10.gated_gain"] < 3 * r["10.gated_gain_se"]
                for r in _records("10-default").values())
    for quote in (ahead, f"where on {close} of the 20 seeds the difference lay "
                         "within three standard errors"):
        assert quote in _prose("10"), quote


def test_11_the_flow_blurs_modes_rather_than_dropping_them():
    counts = {mode: [r["11.ring_modes_covered_07"]
                     for r in _records(f"11-{mode}").values()]
              for mode in ("fast", "default")}
    shares = [r["11.ring_min_share"] for mode in ("fast", "default")
              for r in _records(f"11-{mode}").values()]
    assert min(shares) > 0.01, "a mode lost: the claim no longer holds"
    quote = (f"covers {min(counts['fast']):.0f} to {max(counts['fast']):.0f} of the 8 "
             f"modes on seeds 0-{len(counts['fast']) - 1} in fast mode, "
             f"{min(counts['default']):.0f} to {max(counts['default']):.0f} on seeds "
             f"0-{len(counts['default']) - 1} in the default mode")
    assert quote in _prose("11"), quote


def test_12_quotes_the_plain_gan_on_the_ring(sweep_07):
    end = [r["07.plain_end_modes"] for r in sweep_07.values()]
    quote = (f"plain GAN ended with fewer than eight modes on "
             f"{sum(m < 8 for m in end)} of the {len(end)} seeds swept (fast mode)")
    assert quote in _prose("12"), quote


def test_12_fewer_ddim_passes_on_the_ruler():
    fast = _records("12-fast")
    assert all(r["12.ddim5_minus_ddim20"] > 5 for r in _records("12-default").values())
    held = sum(r["12.ddim5_minus_ddim20"] > 0 for r in fast.values())
    reversed_on = [str(seed) for seed, r in fast.items()
                   if r["12.ddim5_minus_ddim20"] <= 0]
    quote = (f"the order held on {held} of seeds 0-{len(fast) - 1} and was reversed "
             f"on seed {' and '.join(reversed_on)}")
    assert quote in _prose("12"), quote
