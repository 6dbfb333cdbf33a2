"""Exercises of notebook 10 (7.3 Autoregressive Models: PixelCNN).

Each solution is written once, here; ``python -m course_utils.tools.exercises``
copies it into the notebook's solution cell.
"""

from __future__ import annotations

import functools
import math

import torch

from course_utils.core.checks import (
    Exercise,
    Prediction,
    Think,
    Wrong,
    as_scalar,
    expect_callable,
    expect_close,
    expect_number,
    register,
)
from course_utils.topics.pixelcnn import PixelCNN

# Exercise 10.1 (implement) -----------------------------------------------------


def make_causal_mask(kernel, include_centre):
    """A (kernel, kernel) mask of 0/1: 1 before the centre in raster order (and
    on the centre itself when include_centre)."""
    mask = torch.zeros(kernel, kernel)
    centre = kernel // 2
    mask[:centre] = 1
    mask[centre, :centre + int(include_centre)] = 1
    return mask


def _test_causal_mask(answer) -> None:
    expect_callable(answer, "make_causal_mask")
    for kernel in (3, 5, 7):
        for include in (False, True):
            mask = answer(kernel, include)
            if not isinstance(mask, torch.Tensor) or mask.shape != (kernel, kernel):
                raise Wrong(f"return a ({kernel}, {kernel}) tensor for "
                            f"kernel={kernel}.")
            mask = mask.double()
            centre = kernel // 2
            if float(mask[centre + 1:].abs().sum()) > 0:
                raise Wrong("the rows below the centre come later in raster order "
                            "(row by row, left to right): they must be 0; a "
                            "triangle is not the raster order.")
            if float(mask[centre, centre + 1:].abs().sum()) > 0:
                raise Wrong("the centre row right of the centre comes later in "
                            "raster order: 0 there.")
            if not include and float(mask[centre, centre]) != 0:
                raise Wrong("mask A (include_centre=False) must be 0 at the centre: "
                            "the first layer must not see the pixel it predicts.")
            if include and float(mask[centre, centre]) != 1:
                raise Wrong("mask B (include_centre=True) is 1 at the centre: later "
                            "layers read the features at the same position, which "
                            "saw only earlier pixels.")
            expect_close(mask, make_causal_mask(kernel, include).double(),
                         f"the mask for kernel={kernel}, include_centre={include} "
                         "(every pixel before the centre is 1)")


def _whole_centre_row(kernel, include_centre):
    mask = make_causal_mask(kernel, include_centre)
    mask[kernel // 2] = 1
    return mask


ex1 = Exercise(
    number="10.1",
    title="the causal mask",
    kind="implement",
    test=_test_causal_mask,
    hints=(
        "Raster order is row by row, left to right: before the centre come all "
        "the rows above it, and the centre row left of the centre.",
        "Start from torch.zeros(kernel, kernel) and centre = kernel // 2; set the "
        "rows above the centre to 1.",
        "Then the centre row up to the centre: mask[centre, :centre] = 1, one "
        "further (:centre + 1) for mask B.",
    ),
    reference=make_causal_mask,
    wrong_answers=(
        lambda k, inc: torch.tril(torch.ones(k, k)),           # a triangle
        lambda k, inc: make_causal_mask(k, not inc),           # A and B swapped
        _whole_centre_row,                                     # right of the centre
    ),
    success="Mask A hides the pixel itself; mask B may read the features computed "
            "at that position, which saw only earlier pixels.",
    # section 2's own causal_mask (exported) and the masks it draws
    revealed_by=("b827238d", "d923fb62"),
)


# Exercise 10.2 (derive) --------------------------------------------------------


def bits_per_dim(nll_nats, n_pixels):
    """-log p(x) in nats per image, as bits per dimension."""
    return nll_nats / (n_pixels * math.log(2))


def _test_bits_per_dim(answer) -> None:
    expect_callable(answer, "bits_per_dim")
    value = expect_number(answer(784 * math.log(2), 784), "bits_per_dim(...)")
    if abs(value - math.log(2)) < 1e-9:
        raise Wrong("that is nats per pixel: divide by ln 2 to get bits.")
    if abs(value - 784) < 1e-6:
        raise Wrong("that is bits per image: share it among the pixels.")
    if abs(value - math.log(2) ** 2) < 1e-9:
        raise Wrong("you multiplied by ln 2: log2 p = ln p / ln 2, so divide.")
    expect_close(value, 1.0, "784 ln 2 nats on a 784-pixel image (one bit per "
                 "pixel)")
    expect_close(as_scalar(answer(250.0, 784), "bits_per_dim(...)"),
                 250 / (784 * math.log(2)), "250 nats on a 28x28 image", rtol=1e-9)
    expect_close(as_scalar(answer(3000.0, 3072), "bits_per_dim(...)"),
                 3000 / (3072 * math.log(2)),
                 "3000 nats on a 32x32 colour image (3072 dimensions)", rtol=1e-9)


ex2 = Exercise(
    number="10.2",
    title="bits per dimension",
    kind="derive",
    test=_test_bits_per_dim,
    hints=(
        "Two changes: from nats (natural log) to bits (log base 2), and from a "
        "whole image to one pixel.",
        "log2 p = ln p / ln 2.",
        "Divide the nats by ln 2 and by the number of pixels.",
    ),
    reference=bits_per_dim,
    wrong_answers=(
        lambda nll, n: nll / n,                    # nats per pixel
        lambda nll, n: nll / math.log(2),          # bits per image
        lambda nll, n: nll * math.log(2) / n,      # multiplied by ln 2
    ),
    success="250 nats on 784 pixels is 0.46 bits per dimension, so 0.45 is (a "
            "little) better; bits per dimension compares likelihoods across image "
            "sizes.",
)


# Exercise 10.3 (predict) -------------------------------------------------------


def _reads(side, row, col):
    """Which input pixels of a side x side image reach the logit of (row, col) in
    the notebook's PixelCNN (untrained: the masks decide), by autograd."""
    with torch.random.fork_rng():         # leaves the notebook's random state
        torch.manual_seed(0)
        model = PixelCNN().double()       # the notebook's architecture
    x = torch.rand(1, 1, side, side, dtype=torch.float64, requires_grad=True,
                   generator=torch.Generator().manual_seed(0))
    (grad,) = torch.autograd.grad(model(x)[0, 0, row, col], x)
    return grad[0, 0] != 0


def _reveal_reach():
    row, col = 20, 12
    seen = _reads(24, row, col).nonzero()
    above = int(row - seen[:, 0].min())
    left = int(col - seen[:, 1].min())
    shown = (f"Autograd on the notebook's PixelCNN (one 7x7 mask-A layer, six "
             f"3x3 mask-B layers): the logit of pixel ({row}, {col}) depends on "
             f"input pixels up to {above} rows above it and {left} columns to its "
             "left.")
    return above, shown


def _explain_reach(prediction, truth):
    if prediction <= 3:
        return ("The mask-A layer reaches 7 // 2 = 3 rows up, and every mask-B "
                "layer reads its input one row further up: 3 + 6 x 1.")
    if prediction >= 20:
        return ("A k x k kernel reaches k // 2 pixels from its centre, not k: the "
                "7x7 layer adds 3 rows, each 3x3 layer 1.")
    return ("Rows add up layer by layer: 7 // 2 = 3 from the mask-A layer, 3 // 2 "
            "= 1 from each of the six mask-B layers.")


ex3 = Prediction(
    number="10.3",
    title="how far up a pixel can see",
    answer_name="prediction_10_3",
    hints=(
        "Follow the layers: how many rows above its centre does a 7x7 kernel "
        "read? A 3x3 kernel?",
        "Each layer reads its input kernel // 2 rows further up than its output; "
        "stacked layers add these reaches.",
    ),
    reveal=_reveal_reach,
    reference=9.0,
    tolerance=0.01,
    explain=_explain_reach,
    wrong_answers=(3.0, 25.0, 6.0),
    success="The reach grows by half a kernel per layer; the sampler runs the "
            "network on that strip of rows only (section 4).",
    # section 2's PixelCNN (its reach) and receptive field, and section 4's
    # sampler, which prints the strips' height
    revealed_by=("c351f36a", "d923fb62", "35158be6"),
)


# Exercise 10.4 (derive) --------------------------------------------------------


def rows_processed(height, width, reach):
    """Image rows the network is run on, in total, while `sample` draws one
    image of height x width pixels, for a model whose pixels see `reach` rows up."""
    return width * sum(min(row, reach) + 1 for row in range(height))


@functools.lru_cache(maxsize=8)
def _measured_rows(height, width, layers) -> tuple[int, int]:
    """Run PixelCNN.sample on a tiny model and count the rows its network sees
    (once per size: a check may run many times)."""
    with torch.random.fork_rng():   # leaves the notebook's random state
        torch.manual_seed(0)
        model = PixelCNN(channels=2, layers=layers, first_kernel=3, kernel=3,
                         head=2)
    rows = []
    model.net.register_forward_pre_hook(lambda m, args: rows.append(args[0].shape[-2]))
    model.sample(1, height, width, generator=torch.Generator().manual_seed(0))
    return sum(rows), model.reach


def _test_rows_processed(answer) -> None:
    expect_callable(answer, "rows_processed")
    for height, width, layers in ((6, 4, 1), (5, 3, 3), (3, 2, 4)):
        want, reach = _measured_rows(height, width, layers)
        got = expect_number(answer(height, width, reach), "rows_processed(...)")
        if got == want:
            continue
        where = f"for a {height}x{width} image and reach {reach} the sampler ran"
        if got == height * height * width:
            raise Wrong(f"{where} on {want} rows, not {got:g}: it does not rerun the "
                        "whole image, only the strip of rows that can reach the "
                        "current one.")
        if got == height * width * (reach + 1):
            raise Wrong(f"{where} on {want} rows, not {got:g}: near the top there "
                        f"are fewer than {reach} rows above, so the strip is "
                        "shorter.")
        if got == height * width:
            raise Wrong(f"{where} on {want} rows, not {got:g}: each step needs the "
                        "rows above that the pixel can see, not its own row only.")
        raise Wrong(f"{where} on {want} rows; you gave {got:g}.")


ex4 = Exercise(
    number="10.4",
    title="the cost of sampling pixel by pixel",
    kind="derive",
    test=_test_rows_processed,
    hints=(
        "`sample` runs the network once per pixel, on the rows from "
        "max(0, row - reach) to the current row.",
        "For a pixel in row r that strip has min(r, reach) + 1 rows; every pixel of "
        "a row has the same strip.",
        "Sum (min(r, reach) + 1) over the rows r = 0 ... height - 1, times the "
        "width.",
    ),
    reference=rows_processed,
    wrong_answers=(
        lambda h, w, r: h * h * w,          # the whole image at every step
        lambda h, w, r: h * w * (r + 1),    # the full strip even at the top
        lambda h, w, r: h * w,              # one row per step
    ),
    success="For 28x28 images and reach 9: 6,580 rows against 21,952 for the whole "
            "image at every step, 70% less, yet still 235 times the 28 rows of the "
            "one pass that scores an image.",
)


# Exercise 10.5 (think) ---------------------------------------------------------

ex5 = Think(
    number="10.5",
    title="what the table lets you conclude",
    answer_name="answer_10_5",
    hints=(
        "Put the three numbers in order on a line: the VAE's bound L_k, the VAE's "
        "true log p(x) (unknown), the PixelCNN's exact log p(x). Which of them "
        "do you know, and which inequalities hold for sure?",
        "A lower bound can only underestimate. What can you conclude when the "
        "bound comes out below the PixelCNN's value, as with one pass?",
    ),
    model_answer=(
        "Yes, on a run where it does. L_k, like the ELBO, is a lower bound on the "
        "VAE's log p(x), so the VAE's true log-likelihood is at least the bound, "
        "which is already above the PixelCNN's exact value: the VAE assigns the "
        "test images more probability. The argument works in this direction "
        "only, so the one-pass comparison decides nothing: there the bound lies "
        "below the PixelCNN's value, and the gap might be the bound's slack. The "
        "conclusion is about these small models and this CPU budget (a few "
        "seeds even give the other order, and the four-pass VAE used far less "
        "arithmetic than the PixelCNN), not about the two families."
    ),
    key_ideas=(("the ELBO is a lower bound", r"lower bound|bound|underestimat|"
                r"at least|below the true"),
               ("so the true log p(x) is higher still", r"true|actual|real "
                r"log|even higher|higher still|at least|above"),
               ("the reverse case would be inconclusive", r"reverse|other "
                r"direction|inconclusive|could not|cannot conclude|slack|gap"),
               ("only for this budget", r"budget|training|small|cpu|longer|more "
                r"(data|compute|time)")),
)

# Exercise 10.6 (predict) -------------------------------------------------------


def _reveal_blind_spot():
    before = (torch.arange(15 * 15) < 5 * 15 + 4).reshape(15, 15)
    blind = before & ~_reads(15, 5, 4)
    missed = int(blind.sum())
    per_row = [int(blind[r].sum()) for r in range(5)]
    return missed, (f"Autograd on the notebook's PixelCNN, 15x15 image: the logit "
                    f"of pixel (5, 4) misses {missed} earlier pixels, row 0 to "
                    f"row 4: {per_row}.")


def _explain_blind_spot(prediction, truth):
    if prediction == 10:
        return ("The count depends on the pixel: the wedge runs from the field's "
                "slanted edge to the image's right edge, and (5, 4) lies further "
                "left, so more of each row above is out of reach.")
    return ("Count row by row: d rows above the pixel the field reaches d + 2 "
            "columns right of it (3 in the row just above: the 7x7 mask-A layer; "
            "then one more per row up), and the rest of the row, up to column 14, "
            "is missed: 7 + 6 + 5 + 4 + 3.")


ex6 = Prediction(
    number="10.6",
    title="the blind spot of another pixel",
    answer_name="prediction_10_6",
    hints=(
        "In the picture, count for each row above the pixel how many columns "
        "right of it the grey field reaches.",
        "d rows up the field reaches d + 2 columns to the right; the rest of that "
        "row, to the image's edge, is the blind spot.",
    ),
    reveal=_reveal_blind_spot,
    reference=25.0,
    tolerance=0.01,
    explain=_explain_blind_spot,
    wrong_answers=(10.0, 35.0, 0.0),
    success="The blind spot comes from the plain PixelCNN's wiring, but its size "
            "depends on where the pixel sits: the further left, the more of each "
            "row above lies beyond the field's slanted edge.",
    # section 2 shows pixel (7, 7) only, and the gated network's field after
    revealed_by=(),
)


# Exercise 10.7 (think) ---------------------------------------------------------

ex7 = Think(
    number="10.7",
    title="mask B in the first layer",
    answer_name="answer_10_7",
    hints=(
        "With mask B in the first layer, what can the logit of pixel i read?",
        "If each factor sees the value it scores, what is the product of the "
        "factors, summed over all images, still equal to?",
    ),
    model_answer=(
        "With mask B the first layer reads the pixel it predicts, so the network "
        "can copy x_i into its own logit: the loss falls towards zero, which is "
        "a leak, not learning. The factors are then no longer the chain rule's "
        "p(x_i | x_<i): each depends on the value it scores, so their product is "
        "not a distribution, and summed over all images it exceeds one (a "
        "perfect copier gives every 4x4 image probability near 1, a sum near "
        "65,536). Its log-likelihood means nothing, and it cannot sample: the "
        "pixel it needs is the one still to be drawn."
    ),
    key_ideas=(("the first layer reads the pixel it predicts", r"own pixel|itself|"
                r"sees (the )?(pixel|x_i)|copy|copies|centre|center|identity"),
               ("a loss near zero is a leak, not learning", r"leak|cheat|trivial|"
                r"not (real|true|genuine)|meaningless|too good|copy|copies"),
               ("the product is no longer normalised", r"sum|normali|more than "
                r"(one|1)|exceed|greater than (one|1)|not a (probability|"
                r"distribution)")),
)


EXERCISES = register(globals())
