"""Exercises of notebook 11 (7. Deep Generative Models: Normalizing Flows).

Each solution is written once, here; ``python -m course_utils.tools.exercises``
copies it into the notebook's solution cell.
"""

from __future__ import annotations

import math

import torch

from course_utils.core.checks import (
    Exercise,
    Prediction,
    Think,
    Wrong,
    expect_callable,
    expect_close,
    expect_number,
    register,
)

# Exercise 11.1 (predict) -------------------------------------------------------


def _reveal_doubling():
    # the change of variables on a random image: log p of 2x under f(x / 2)
    # minus log p of x under f, for f the identity flow and a standard normal
    x = torch.rand(784, dtype=torch.float64,
                   generator=torch.Generator().manual_seed(0))
    normal = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), 1.0)
    old = float(normal.log_prob(x).sum())
    scale = torch.autograd.functional.jacobian(lambda v: v / 2, x)
    new = float(normal.log_prob(2 * x / 2).sum()
                + torch.linalg.slogdet(scale).logabsdet)
    change = new - old
    return round(change, 1), (f"The change of variables: f~(x~) = f(x~ / 2) has "
                              f"Jacobian (1/2) I times f's, so log|det| falls by "
                              f"784 ln 2; computed: {change:.1f} nats, on every "
                              "image.")


def _explain_doubling(prediction, truth):
    if prediction > 0:
        return ("The sign: spreading the same probability over a box 2^784 times "
                "larger lowers the density everywhere.")
    if abs(prediction + math.log(2)) < 0.01:
        return ("ln 2 is one pixel's share: each of the 784 coordinates is "
                "stretched by 2, and the log-determinant adds them up.")
    if abs(prediction + 784) < 1:
        return ("784 would be log base e of e^784: the scale is 2 per pixel, so "
                "the change is 784 ln 2.")
    return "Each of the 784 coordinates is stretched by 2: 784 ln 2 in all."


ex1 = Prediction(
    number="11.1",
    title="a flow that doubles every pixel",
    answer_name="prediction_11_1",
    hints=(
        "Write the change of variables for f~(x~) = f(x~ / 2): the code is the "
        "same, what changes is the log-determinant.",
        "The Jacobian of x~ -> x~ / 2 is (1/2) I, a 784 x 784 matrix: its "
        "log|det| is 784 log(1/2).",
    ),
    reveal=_reveal_doubling,
    reference=-543.4,
    tolerance=0.01,
    explain=_explain_doubling,
    wrong_answers=(543.4, -0.7, -784.0),
    success="A density's value depends on the units of x: rescaling the data "
            "shifts every log-likelihood by the log-determinant, which is why "
            "likelihoods are compared on the same data, as bits per dimension of "
            "the same pixels.",
    revealed_by=(),
)


# Exercise 11.2 (derive) --------------------------------------------------------


def coupling_log_det(s, mask):
    """log|det dy/dx| of an affine coupling, per example (N,): s (N, D) the
    log-scales computed for every coordinate, mask (D,) 1 where x is kept."""
    return ((1 - mask) * s).sum(-1)


def _coupling_jacobian_log_det(s_row, mask):
    # log|det| of the Jacobian of y_a = x_a, y_b = x_b exp(s) + t, with s, t
    # fixed numbers here (the off-diagonal block does not enter the determinant)
    free = 1 - mask

    def coupling(x):
        return mask * x + free * (x * torch.exp(s_row) + 0.3)

    x = torch.linspace(-1, 1, len(mask), dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(coupling, x)
    return torch.linalg.slogdet(jac).logabsdet


def _test_coupling_log_det(answer) -> None:
    expect_callable(answer, "coupling_log_det")
    gen = torch.Generator().manual_seed(0)
    s = torch.randn(4, 6, dtype=torch.float64, generator=gen)
    mask = torch.tensor([1.0, 0, 1, 0, 0, 1], dtype=torch.float64)
    got = answer(s, mask)
    if not isinstance(got, torch.Tensor) or got.shape != (4,):
        raise Wrong("return one number per example: a tensor of shape (N,).")
    want = torch.stack([_coupling_jacobian_log_det(row, mask) for row in s])
    if torch.allclose(got.double(), s.sum(-1)):
        raise Wrong("the kept coordinates are copied: their diagonal entries are "
                    "1, and log 1 = 0, so their s does not count.")
    if torch.allclose(got.double(), (mask * s).sum(-1)):
        raise Wrong("that is the kept half: the scales act on the changed "
                    "coordinates, where mask is 0.")
    if torch.allclose(got.double(), ((1 - mask) * s.exp()).sum(-1)):
        raise Wrong("the diagonal holds exp(s); the log of their product is the "
                    "sum of the s themselves.")
    expect_close(got.double(), want, "log|det| of the coupling's Jacobian, by "
                 "autograd")


ex2 = Exercise(
    number="11.2",
    title="the log-determinant of a coupling",
    kind="derive",
    test=_test_coupling_log_det,
    hints=(
        "Order the coordinates kept first. What is dy_a/dx_a? dy_a/dx_b?",
        "The Jacobian is block triangular: [[I, 0], [dy_b/dx_a, diag(exp(s))]]. "
        "Its determinant is the product of the diagonal.",
        "log of the product of exp(s_i) over the changed coordinates: sum the s "
        "where mask is 0.",
    ),
    reference=coupling_log_det,
    wrong_answers=(
        lambda s, mask: s.sum(-1),                        # every coordinate
        lambda s, mask: (mask * s).sum(-1),               # the kept half
        lambda s, mask: ((1 - mask) * s.exp()).sum(-1),   # exp(s), not s
    ),
    success="A sum over the changed coordinates: D operations in place of a "
            "D x D determinant, and dy_b/dx_a, however complex the network, never "
            "enters it.",
    revealed_by=("flows-coupling",),
)


# Exercise 11.3 (implement) -----------------------------------------------------


def coupling_inverse(y, mask, scale_shift):
    """The x with y = coupling(x): y (N, D), mask (D,) 1 where kept; scale_shift
    maps the kept coordinates (zeros elsewhere) to s, t of shape (N, D)."""
    s, t = scale_shift(y * mask)
    return mask * y + (1 - mask) * (y - t) * torch.exp(-s)


def _scale_shift(kept):
    # a fixed nonlinear s and t, nonzero on every coordinate
    w = torch.linspace(-1, 1, kept.shape[-1] ** 2, dtype=kept.dtype)
    w = w.reshape(kept.shape[-1], -1)
    h = torch.tanh(kept @ w + 0.2)
    return 0.5 * torch.sin(h), h + 0.4


def _forward(x, mask):
    s, t = _scale_shift(x * mask)
    return mask * x + (1 - mask) * (x * torch.exp(s) + t)


def _test_coupling_inverse(answer) -> None:
    expect_callable(answer, "coupling_inverse")
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(5, 6, dtype=torch.float64, generator=gen)
    for mask in (torch.tensor([1.0, 0, 1, 0, 1, 0], dtype=torch.float64),
                 torch.tensor([0.0, 0, 0, 1, 1, 1], dtype=torch.float64)):
        y = _forward(x, mask)
        got = answer(y, mask, _scale_shift)
        if not isinstance(got, torch.Tensor) or got.shape != x.shape:
            raise Wrong(f"return a tensor of y's shape {tuple(x.shape)}.")
        got = got.double()
        kept = mask.bool()
        if not torch.allclose(got[:, kept], x[:, kept]):
            raise Wrong("the kept coordinates pass unchanged: x_a = y_a. (s and t "
                        "mean nothing there.)")
        s, t = _scale_shift(y * mask)
        changed = ~kept
        if torch.allclose(got[:, changed], (y * torch.exp(-s) - t)[:, changed]):
            raise Wrong("undo the steps in the reverse order: the shift was added "
                        "last, so subtract it first, then divide by exp(s).")
        if torch.allclose(got[:, changed], ((y - t) * torch.exp(s))[:, changed]):
            raise Wrong("to undo a multiplication by exp(s), multiply by exp(-s).")
        expect_close(got, x, "the x the coupling maps to y (a round trip)")


ex3 = Exercise(
    number="11.3",
    title="undo a coupling",
    kind="implement",
    test=_test_coupling_inverse,
    hints=(
        "The kept coordinates of y are those of x, so scale_shift(y * mask) gives "
        "the very s and t the forward pass used.",
        "On the changed coordinates y = x exp(s) + t: solve for x.",
        "x = mask * y + (1 - mask) * (y - t) * exp(-s).",
    ),
    reference=coupling_inverse,
    wrong_answers=(
        lambda y, m, f: m * y + (1 - m) * (y * torch.exp(-f(y * m)[0]) - f(y * m)[1]),
        lambda y, m, f: m * y + (1 - m) * (y - f(y * m)[1]) * torch.exp(f(y * m)[0]),
        lambda y, m, f: (y - f(y * m)[1]) * torch.exp(-f(y * m)[0]),
    ),
    success="The networks s and t are never inverted, only recomputed: that is "
            "why they can be anything.",
    revealed_by=("flows-coupling",),
)


# Exercise 11.4 (derive) --------------------------------------------------------


def beyond(k):
    """The fraction of a 2-D standard normal's mass farther than k from 0."""
    return math.exp(-k ** 2 / 2)


def _test_beyond(answer) -> None:
    expect_callable(answer, "beyond")
    for k in (0.5, 1.0, 2.0, 3.0):
        got = expect_number(answer(k), "beyond(k)")
        want = math.exp(-k ** 2 / 2)
        if abs(got - want) < 1e-9:
            continue
        one_d = math.erfc(k / math.sqrt(2))
        if abs(got - one_d) < 1e-9:
            raise Wrong(f"for k = {k} that is the 1-D two-sided tail; in 2-D the "
                        "distance is the radius r = sqrt(z1^2 + z2^2).")
        if abs(got - math.exp(-k ** 2)) < 1e-9:
            raise Wrong("the density is exp(-r^2 / 2) / (2 pi): keep the 1/2 in "
                        "the exponent.")
        if abs(got - (1 - want)) < 1e-9:
            raise Wrong("that is the mass within k; the question asks for the mass "
                        "beyond it.")
        raise Wrong(f"for k = {k}: {want:.4f} expected, you gave {got:.4g}.")


ex4 = Exercise(
    number="11.4",
    title="how much of a Gaussian lies far out",
    kind="derive",
    test=_test_beyond,
    hints=(
        "In polar coordinates the density exp(-r^2 / 2) / (2 pi) does not depend "
        "on the angle; the ring between r and r + dr has area 2 pi r dr.",
        "Integrate r exp(-r^2 / 2) from k to infinity.",
        "The integral is exp(-k^2 / 2).",
    ),
    reference=beyond,
    wrong_answers=(
        lambda k: math.erfc(k / math.sqrt(2)),   # the 1-D tail
        lambda k: math.exp(-k ** 2),             # the 1/2 lost
        lambda k: 1 - math.exp(-k ** 2 / 2),     # within, not beyond
    ),
    success="exp(-4.5) = 1.1% of the true ring lies beyond 3 sigma of every "
            "mode; the flow's bridges put many times more there.",
    revealed_by=("flows-ring-claim",),
)


# Exercise 11.5 (think) ---------------------------------------------------------

ex5 = Think(
    number="11.5",
    title="why a flow has no bottleneck",
    answer_name="answer_11_5",
    hints=(
        "What does the change of variables need from f at every x? What happens "
        "to a matrix that maps 784 numbers to 20?",
        "If z had fewer numbers than x, could two different images get the same "
        "code? What would f^-1 return, and what would happen to the density?",
    ),
    model_answer=(
        "The change of variables needs f to be invertible, with a square Jacobian "
        "whose determinant is not zero. A map from 784 numbers to 20 sends many "
        "images to the same code, so it has no inverse, and its Jacobian is not "
        "square: there is no determinant and no density by the formula. All the "
        "outputs of a 20-dimensional code lie on a thin surface of volume zero "
        "in the 784 dimensions, so their density would be infinite there and "
        "zero elsewhere. "
        "That is why the VAE adds the noise p(x|z) and must integrate over z, "
        "which costs it the exact likelihood; a flow keeps every dimension and "
        "gets the exact likelihood, but no compressed code."
    ),
    key_ideas=(("invertible, one-to-one", r"invert|one[- ]to[- ]one|bijec|inverse|"
                r"same code|many images"),
               ("the Jacobian must be square / the determinant exists",
                r"square|determinant|det|jacobian"),
               ("a lower-dimensional image has no density (zero volume)",
                r"volume|manifold|surface|infinite|zero|measure"),
               ("the VAE pays with a bound instead", r"vae|noise|p\(x\|z\)|"
                r"integra|bound|elbo")),
)


EXERCISES = register(globals())
