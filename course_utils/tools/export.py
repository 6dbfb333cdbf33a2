"""The notebook is the source: models and loops are written in the notebook that
teaches them, and the package copy that later notebooks, the tests and the
benchmark import is generated from it (d2l's "save" pattern).

A code cell whose first line is ``#| export`` belongs to its notebook's module in
:data:`EXPORTS`. The module is those cells' code, in notebook order, under a
docstring that says where it came from; the first exported cell holds the
module's imports. Commands (from the repository root)::

    python -m course_utils.tools.export           # write every generated module
    python -m course_utils.tools.export --check   # only say which differ (exit 1)

``tests/test_export.py`` fails while a generated module differs from its
notebook, naming the command that brings them back in step.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from course_utils.core.errors import CourseError
from course_utils.tools.guard import Guard
from course_utils.tools.notebooks import load_notebook

MARK = "#| export"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Export:
    """One generated module: where it comes from, where it goes, what it holds."""

    notebook: str   # file name under notebooks/
    module: str     # path from the repository root
    summary: str    # the first lines of the module's docstring


EXPORTS = (
    Export("03_deep_autoencoders.ipynb", "course_utils/topics/autoencoder.py",
           "The deep autoencoder of section 7.1.2: the MLP, the model, its loss\n"
           "(squared error summed over the features, averaged over the batch), its\n"
           "training recipe through the model cache, and the Fashion-MNIST\n"
           "autoencoders that notebooks 06 and 07 reuse."),
    Export("05_gaussian_kl.ipynb", "course_utils/topics/gaussian_kl.py",
           "The closed-form KL divergence of a Gaussian from the standard normal,\n"
           "with the -1 the chapter's formula lacks (notebook 05); the VAE's loss in\n"
           "notebook 06 uses it."),
    Export("06_variational_autoencoder.ipynb", "course_utils/topics/vae.py",
           "The variational autoencoder of section 7.1.3: the model, the\n"
           "reparameterization trick, the negative ELBO, the importance-weighted\n"
           "bound on log p(x), and the Fashion-MNIST training recipe that notebook\n"
           "07 and the benchmark reuse."),
    Export("07_generative_adversarial_networks.ipynb", "course_utils/topics/gan.py",
           "The generative adversarial network of section 7.2: the discriminator's\n"
           "and the generator's losses, the minibatch standard deviation against\n"
           "mode collapse, and the alternating training loop with its snapshots."),
    Export("08_convolutional_generators.ipynb", "course_utils/topics/convolutional.py",
           "Convolutional generators of section 7.2: the DCGAN generator and\n"
           "discriminator (conditional with a label), and the adversarial training\n"
           "loop with both objectives (the GAN's and WGAN-GP's)."),
    Export("09_gan_family.ipynb", "course_utils/topics/gan_family.py",
           "The GAN family of section 7.2: Pix2Pix's edge maps, U-Net, PatchGAN\n"
           "and training loop, and WGAN-GP's gradient penalty."),
    Export("10_autoregressive_models.ipynb", "course_utils/topics/pixelcnn.py",
           "The autoregressive model of section 7.3: masked convolutions, the\n"
           "PixelCNN for binary images with its exact log-likelihood and its\n"
           "pixel-by-pixel sampler, and the Fashion-MNIST training recipe through\n"
           "the model cache."),
    Export("11_normalizing_flows.ipynb", "course_utils/topics/flows.py",
           "Normalizing flows: the affine coupling layer (RealNVP) and a stack of\n"
           "them with its exact log-likelihood and one-pass sampler, the 2-D\n"
           "training recipe, and the dequantised Fashion-MNIST flow (logit map,\n"
           "bounds on a binary image's log-probability) through the model cache."),
    Export("12_diffusion_models.ipynb", "course_utils/topics/diffusion.py",
           "Diffusion models (DDPM): the noise schedule and the forward process in\n"
           "closed form, the noise-prediction loss, the ancestral (DDPM) and\n"
           "deterministic (DDIM) samplers, and the 2-D and Fashion-MNIST training\n"
           "recipes through the model cache."),
)


class ExportError(CourseError):
    """A notebook's exported cells cannot make a module."""


def exported_cells(notebook: Path) -> list[str]:
    """The code of the cells marked ``#| export``, without the mark, in order."""
    nb = load_notebook(notebook)
    sources = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        text = "".join(cell["source"])
        first, _, rest = text.partition("\n")
        if first.strip() == MARK:
            sources.append(rest.strip("\n"))
    return sources


def module_text(export: Export, root: Path | None = None) -> str:
    """The text of the generated module ``export.module``."""
    root = root or ROOT  # read when called: a test may point it elsewhere
    cells = exported_cells(root / "notebooks" / export.notebook)
    if not cells:
        raise ExportError(f"{export.notebook} has no cell marked {MARK!r}; mark the "
                          "cells that define its model.")
    doc = (f'"""{export.summary}\n\n'
           f"Generated from notebooks/{export.notebook} (its cells marked\n"
           f"``{MARK}``) by ``python -m course_utils.tools.export``: edit the\n"
           'notebook, not this file, then run that command.\n"""\n')
    return doc + "\n" + "\n\n\n".join(cells) + "\n"


def stale(root: Path | None = None) -> list[Export]:
    """The exports whose module differs from what its notebook generates."""
    root = root or ROOT  # read when called: a test may point it elsewhere
    out = []
    for export in EXPORTS:
        path = root / export.module
        if not path.exists() or path.read_text(encoding="utf-8") != module_text(
                export, root):
            out.append(export)
    return out


def write_all(root: Path | None = None, force: bool = False,
              kept: list[str] | None = None) -> list[Path]:
    """Write every generated module that changed; return their paths. A module
    edited by hand since it was written is kept, with a line in ``kept``
    (``force``: replaced, after a backup; see :mod:`course_utils.tools.guard`)."""
    root = root or ROOT  # read when called: a test may point it elsewhere
    guards: dict[Path, Guard] = {}
    for export in EXPORTS:  # the unchanged ones too, so that each is recorded
        path = root / export.module
        guard = guards.setdefault(path.parent, Guard(path.parent, force))
        guard.write(path, module_text(export, root))
    advice = ("Edit the notebook, not the module: move your change into its "
              "cells marked #| export, or run again with --force (which keeps a "
              "backup).")
    written = []
    for folder, guard in guards.items():
        guard.save()
        written += [folder / name for name in guard.report["written"]]
        if kept is not None:
            kept += guard.kept_lines(advice)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.tools.export",
        description="Generate course_utils' model modules from the notebooks' cells "
                    f"marked {MARK!r}.")
    parser.add_argument("--check", action="store_true",
                        help="only report the modules that differ (exit 1 if any)")
    parser.add_argument("--force", action="store_true",
                        help="replace modules edited by hand too, after copying "
                             "each to backups/ beside it")
    args = parser.parse_args(argv)
    try:
        return _run(args.check, args.force)
    except CourseError as err:  # ExportError, or a file it cannot read or write
        print(f"export: {err}", file=sys.stderr)
        return 2


def _run(check: bool, force: bool = False) -> int:
    if check:
        differ = stale()
        for export in differ:
            print(f"differs   {export.module}  (from notebooks/{export.notebook})")
        if not differ:
            print("every generated module matches its notebook")
        return 1 if differ else 0
    kept: list[str] = []
    written = write_all(force=force, kept=kept)
    for path in written:
        print(f"wrote     {path.relative_to(ROOT)}")
    for line in kept:
        print(line, file=sys.stderr)
    if not written and not kept:
        print("every generated module already matches its notebook")
    return 1 if kept else 0


if __name__ == "__main__":
    sys.exit(main())
