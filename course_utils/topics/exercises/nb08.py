"""Exercises of notebook 08 (7.2 Generative Adversarial Networks: convolutional
generators).

Each solution is written once, here; ``python -m course_utils.tools.exercises``
copies it into the notebook's solution cell.
"""

from __future__ import annotations

import torch
from torch import nn

from course_utils.core.checks import (
    Exercise,
    Prediction,
    Think,
    Wrong,
    expect_callable,
    register,
)
from course_utils.topics.convolutional import DCGenerator

# Exercise 8.1 (derive) ---------------------------------------------------------


def conv_transpose_size(n, kernel, stride, padding):
    """The side of a transposed convolution's output, for an input side n."""
    return (n - 1) * stride - 2 * padding + kernel


def _torch_transpose_size(n, kernel, stride, padding) -> int:
    with torch.random.fork_rng():   # leaves the notebook's random state
        layer = nn.ConvTranspose2d(1, 1, kernel, stride=stride, padding=padding)
    with torch.no_grad():
        return int(layer(torch.zeros(1, 1, n, n)).shape[-1])


def _test_conv_transpose_size(answer) -> None:
    expect_callable(answer, "conv_transpose_size")
    for n, k, s, p in [(7, 4, 2, 1), (14, 4, 2, 1), (4, 3, 1, 1), (5, 5, 3, 0),
                       (1, 4, 1, 0), (6, 3, 2, 0)]:
        got = answer(n, k, s, p)
        want = _torch_transpose_size(n, k, s, p)   # measured, not a formula
        try:
            got = int(got)
        except (TypeError, ValueError, OverflowError):
            raise Wrong(f"return a whole number of pixels, got "
                        f"{type(got).__name__}.") from None
        if got == want:
            continue
        if got == n * s:
            raise Wrong(f"n * stride = {got} is right for kernel 4, stride 2, "
                        f"padding 1 only; for n={n}, kernel={k}, stride={s}, "
                        f"padding={p} torch gives {want}: solve the convolution's "
                        "size formula for its input instead.")
        if got == (n + 2 * p - k) // s + 1:
            raise Wrong("that is the convolution's own size formula (it shrinks "
                        "the image); the transposed convolution runs it backwards: "
                        "solve it for the input side.")
        if got == (n - 1) * s + 2 * p + k:
            raise Wrong("the padding's sign is reversed: the convolution adds 2p "
                        "to its input, so its transpose removes it.")
        raise Wrong(f"for n={n}, kernel={k}, stride={s}, padding={p} torch's "
                    f"ConvTranspose2d gives {want}, you gave {got}.")


ex1 = Exercise(
    number="8.1",
    title="the size of a transposed convolution",
    kind="derive",
    test=_test_conv_transpose_size,
    hints=(
        "A convolution maps a side of `out` pixels to "
        "n = floor((out + 2p - k) / s) + 1. The transposed convolution maps n back "
        "to out.",
        "Drop the floor (take the exact case) and solve n = (out + 2p - k) / s + 1 "
        "for out.",
        "out = (n - 1) s - 2p + k; check it on 7 with k = 4, s = 2, p = 1.",
    ),
    reference=conv_transpose_size,
    wrong_answers=(
        lambda n, k, s, p: n * s,                            # doubling only
        lambda n, k, s, p: (n + 2 * p - k) // s + 1,         # the forward formula
        lambda n, k, s, p: (n - 1) * s + 2 * p + k,          # padding added
    ),
    success="Kernel 4, stride 2, padding 1 doubles the side exactly: 7, 14, 28, "
            "the DCGAN generator's sides.",
)


# Exercise 8.2 (predict) --------------------------------------------------------


def _reveal_projection_share():
    with torch.random.fork_rng():   # leaves the notebook's random state
        generator = DCGenerator(latent_dim=32, width=16)
    total = sum(p.numel() for p in generator.parameters())
    projection = sum(p.numel() for p in generator.project.parameters())
    convs = sum(p.numel() for m in generator.upsample
                if isinstance(m, nn.ConvTranspose2d) for p in m.parameters())
    share = 100 * projection / total
    shown = (f"The DCGAN generator has {total:,} parameters: {projection:,} in the "
             f"projection of z (the linear layer and its batch norm, {share:.0f}%), "
             f"{convs:,} in its two transposed convolutions.")
    return round(share), shown


def _explain_projection_share(prediction, truth):
    if prediction < truth:
        return ("A convolution's parameters do not grow with the image: one 4x4 "
                "kernel per pair of channels (32 x 16 x (4 x 4) = 8,192 for the "
                "first), shared by every position. The projection connects each of the "
                "32 inputs to each of 32 x 7 x 7 = 1,568 outputs: 50,176 "
                "weights, and its batch norm adds 2 x 1,568.")
    return ("The projection is large (32 x 1,568 = 50,176 weights and 3,136 of "
            "batch norm), but the two transposed convolutions still add 8,449.")


ex2 = Prediction(
    number="8.2",
    title="where the DCGAN generator's parameters are",
    answer_name="prediction_8_2",
    hints=(
        "Count each part: the projection maps 32 numbers to a (32, 7, 7) block; "
        "a transposed convolution has one 4x4 kernel per (input, output) channel "
        "pair, whatever the image's size.",
        "Projection: 32 x (32 x 7 x 7) weights plus a batch norm of two numbers "
        "per output. First transposed convolution: 32 x 16 x 4 x 4. Second: "
        "16 x 1 x 4 x 4 and one bias.",
    ),
    reveal=_reveal_projection_share,
    reference=86.0,
    tolerance=0.1,
    explain=_explain_projection_share,
    wrong_answers=(10.0, 50.0, 99.0),
    success="The convolutions, which draw the whole image, are the cheap part: "
            "sharing one small kernel over all positions is why the DCGAN needs a "
            "tenth of the MLP's parameters.",
    # nothing counts the generator's parameters before the check
    revealed_by=(),
)


# Exercise 8.3 (implement) ------------------------------------------------------


def receptive_field(layers):
    """The side of the input patch one output pixel of a stack of convolutions
    sees; layers: a list of (kernel, stride), first layer first."""
    side, jump = 1, 1
    for kernel, stride in layers:
        side += (kernel - 1) * jump
        jump *= stride
    return side


def _measured_field(layers) -> int:
    """The receptive field of the centre output, measured with autograd on
    convolutions of all-one weights (the architecture, not the weights,
    decides which gradients are zero)."""
    size = 64
    with torch.random.fork_rng():   # leaves the notebook's random state
        stack = nn.Sequential(*[nn.Conv2d(1, 1, k, stride=s, padding=k // 2)
                                for k, s in layers]).double()
    for layer in stack:
        nn.init.ones_(layer.weight)
    x = torch.zeros(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    out = stack(x)
    centre = out.shape[-1] // 2
    (grad,) = torch.autograd.grad(out[0, 0, centre, centre], x)
    rows = (grad[0, 0] != 0).any(dim=1).nonzero()
    return int(rows.max() - rows.min() + 1)


CASES = ([(4, 2), (4, 2)], [(3, 1)], [(3, 1), (3, 1), (3, 1)], [(5, 2), (3, 1)],
         [(3, 2), (3, 2), (3, 2)], [(4, 2), (4, 2), (4, 2)])


def _test_receptive_field(answer) -> None:
    expect_callable(answer, "receptive_field")
    for layers in CASES:
        want = _measured_field(layers)
        got = answer(list(layers))
        try:
            got = int(got)
        except (TypeError, ValueError, OverflowError):
            raise Wrong(f"return the side as a whole number, got "
                        f"{type(got).__name__}.") from None
        if got == want:
            continue
        kernels = [k for k, _ in layers]
        strides = {s for _, s in layers}
        if got == sum(kernels):
            raise Wrong(f"for {layers} you added the kernels ({got}); neighbouring "
                        "kernels overlap: each layer adds kernel - 1 pixels, not "
                        "kernel.")
        if strides != {1} and got == 1 + sum(k - 1 for k in kernels):
            raise Wrong(f"for {layers} you get {got}, as if every stride were 1; "
                        "after a stride-2 layer, one step in the next layer's "
                        "input is two pixels of the image: multiply by the "
                        "product of the earlier strides.")
        raise Wrong(f"for layers {layers} autograd measures a {want}x{want} "
                    f"patch, you gave {got}.")


ex3 = Exercise(
    number="8.3",
    title="what one discriminator unit sees",
    kind="implement",
    test=_test_receptive_field,
    hints=(
        "Go through the layers in order, keeping two numbers: the side of the "
        "patch seen so far, and the 'jump', how many image pixels one step in the "
        "current layer's input spans.",
        "Start with side 1 and jump 1. A layer with kernel k adds (k - 1) steps of "
        "its input, that is (k - 1) * jump pixels; then its stride multiplies the "
        "jump.",
        "side += (kernel - 1) * jump; jump *= stride; for the DCGAN discriminator "
        "[(4, 2), (4, 2)]: 1 + 3 = 4, then 4 + 3 * 2 = 10.",
    ),
    reference=receptive_field,
    wrong_answers=(
        lambda layers: sum(k for k, _ in layers),                 # kernels added
        lambda layers: 1 + sum(k - 1 for k, _ in layers),         # strides ignored
        lambda layers: receptive_field(layers) + 1,               # off by one
    ),
    success="Each unit of the DCGAN discriminator's last convolution judges a "
            "10x10 patch; only its final linear layer sees the whole garment.",
)


# Exercise 8.4 (think) ----------------------------------------------------------

ex4 = Think(
    number="8.4",
    title="a tenth of the parameters",
    answer_name="answer_8_4",
    hints=(
        "Exercise 8.2 counted where the DCGAN generator's parameters sit. How many "
        "are left for the part that draws the 28x28 image, and how many weights "
        "does the MLP's last layer spend on the same job?",
        "Think of an edge or a stripe: where in the image can it appear, and how "
        "many kernels does a convolution need for it? Then look at what else "
        "differs between the two GANs of the table besides the generator.",
    ),
    model_answer=(
        "The part that draws the image, two transposed convolutions, has only a "
        "few thousand weights (86% of the generator is the dense projection of z, "
        "exercise 8.2), where the MLP's last layer alone has 512 x 784, about "
        "400,000: a kernel is shared over every position, so a pattern such as "
        "an edge is learnt once and drawn anywhere, and a unit depends on a small "
        "neighbourhood, as pixels in images mostly do. That built-in assumption "
        "about images (an inductive bias) is why so few parameters suffice. But "
        "the comparison changes both networks at once (a convolutional "
        "discriminator with batch norm against an MLP with the minibatch "
        "standard deviation), so it cannot credit the generator's weight sharing "
        "alone: that would take swapping one network at a time."
    ),
    key_ideas=(("weights are shared across positions", r"shar|same (kernel|filter|"
                r"weights)|reuse|every position|anywhere"),
               ("locality: neighbouring pixels", r"local|neighbo|nearby|small "
                r"(patch|window|region)"),
               ("most parameters are in the dense projection",
                r"projection|dense|linear layer|fully connected|86"),
               ("both networks differ, so the credit is not isolated",
                r"both|discriminator|critic|confound|one (network|change) at a "
                r"time|isolat|cannot credit")),
)

EXERCISES = register(globals())
