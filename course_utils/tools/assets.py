"""Offline web assets: reveal.js and MathJax, fetched once and copied next to pages.

The exported slides and HTML pages load these from local files, so they work
without internet. ``python -m course_utils.tools.publish assets`` fetches them
with ``npm pack`` (integrity checked) into :func:`web_assets_dir`; the exports
copy what they need from there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from course_utils.tools.notebooks import PublishError


@dataclass(frozen=True)
class WebPackage:
    """An npm package of which a few files are copied next to the pages."""

    name: str
    version: str
    integrity: str  # npm's sha512 integrity of the tarball
    files: tuple[str, ...]  # paths inside the package, or folders ending in "/"
    folder: str  # its folder under the assets folder


WEB_PACKAGES = (
    WebPackage(
        "reveal.js", "4.6.1",
        "sha512-1CW0auaXNPmwmvQ7TwpszwVxMi2Xr5cTS3J3EBC/HHgbPF32Dn7aiu/LKWDOGjMbaDwKQ"
        "iGmfqcoGQ74HUHCMw==",
        ("LICENSE", "dist/reveal.js", "dist/reveal.css", "dist/theme/white.css",
         "dist/theme/fonts/source-sans-pro/source-sans-pro.css",
         "dist/theme/fonts/source-sans-pro/source-sans-pro-regular.woff",
         "dist/theme/fonts/source-sans-pro/source-sans-pro-italic.woff",
         "dist/theme/fonts/source-sans-pro/source-sans-pro-semibold.woff",
         "dist/theme/fonts/source-sans-pro/source-sans-pro-semibolditalic.woff",
         "plugin/notes/notes.js"),
        "reveal.js"),
    WebPackage(
        "mathjax", "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJv"
        "tRZM1vO+geW0OhGw==",
        ("LICENSE", "es5/tex-svg-full.js"),
        "mathjax"),
)

HOW_TO_GET_ASSETS = (
    "The slides need reveal.js {reveal} and MathJax {mathjax} as local files (so they "
    "work without internet), and they are not in {folder}.\n"
    "  * With Node's npm and a network: python -m course_utils.tools.publish assets\n"
    "  * Or put the npm packages' files there by hand: {folder}/reveal.js/ (its dist/ "
    "and plugin/notes/) and {folder}/mathjax/es5/tex-svg-full.js.\n"
    "  * Or point COURSE_WEB_ASSETS at a folder that has them."
)


def web_assets_dir() -> Path:
    """Where reveal.js and MathJax are kept: ``COURSE_WEB_ASSETS`` if set, else
    ``~/.cache/dgm-course/web-assets`` (one copy for every checkout)."""
    from course_utils.core.config import env_setting  # imports torch: only here

    env = env_setting("COURSE_WEB_ASSETS")
    if env is not None:
        return env
    return Path.home() / ".cache" / "dgm-course" / "web-assets"


def missing_assets(folder: str | Path | None = None) -> list[str]:
    """The asset files not in ``folder`` (all of them present: an empty list)."""
    folder = Path(folder) if folder else web_assets_dir()
    return [f"{p.folder}/{f}" for p in WEB_PACKAGES for f in p.files
            if not (folder / p.folder / f).is_file()]


def _assets_error(folder: Path) -> PublishError:
    reveal, mathjax = (p.version for p in WEB_PACKAGES)
    return PublishError(HOW_TO_GET_ASSETS.format(reveal=reveal, mathjax=mathjax,
                                                 folder=folder))


def fetch_assets(folder: str | Path | None = None, npm: str = "npm") -> Path:
    """Fetch the web assets once with ``npm pack`` (integrity checked) into
    ``folder`` (default :func:`web_assets_dir`); return the folder."""
    folder = Path(folder) if folder else web_assets_dir()
    if not missing_assets(folder):
        return folder
    if shutil.which(npm) is None:
        raise _assets_error(folder)
    with tempfile.TemporaryDirectory(prefix="course-npm-") as tmp:
        for package in WEB_PACKAGES:
            spec = f"{package.name}@{package.version}"
            result = subprocess.run(
                [npm, "pack", spec, "--json", "--pack-destination", tmp],
                capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                raise PublishError(f"npm pack {spec} failed:\n{result.stderr[-800:]}")
            info = json.loads(result.stdout)[0]
            if info.get("integrity") != package.integrity:
                raise PublishError(
                    f"{spec}: npm's tarball has integrity {info.get('integrity')}, "
                    f"the course expects {package.integrity}; not used.")
            _extract(Path(tmp) / info["filename"], package, folder / package.folder)
    left = missing_assets(folder)
    if left:
        raise PublishError(f"after fetching, still missing: {', '.join(left)}")
    return folder


def _extract(tarball: Path, package: WebPackage, target: Path) -> None:
    wanted = {f"package/{f}": f for f in package.files}
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if member.name in wanted and member.isfile():
                dest = target / wanted[member.name]
                dest.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                dest.write_bytes(source.read())


def copy_assets(out_dir: Path, source: Path | None = None,
                packages: Iterable[str] = ("reveal.js", "mathjax")) -> Path:
    """Copy the web ``packages`` into ``out_dir/assets`` (raises when any file is
    missing from ``source``, by default :func:`web_assets_dir`)."""
    source = Path(source) if source else web_assets_dir()
    if missing_assets(source):
        raise _assets_error(source)
    target = out_dir / "assets"
    for package in WEB_PACKAGES:
        if package.name not in packages:
            continue
        for name in package.files:
            dest = target / package.folder / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / package.folder / name, dest)
    return target
