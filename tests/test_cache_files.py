"""What the model cache does with the files it finds and the disk it writes to
(course_utils.core.cache): a full disk, flipped bytes, a file renamed from another
seed or trained on other data, a file that only partly fits, a FIFO, a folder, a
zero-byte file, a symbolic link, an old-format file, a pickle that is not weights,
and an interrupted training. Each test failed before its fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import pytest
import torch

from course_utils.core import cache


@pytest.fixture
def cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_NO_CACHE", raising=False)
    return tmp_path / "models"


def _counting_train(calls: list, value: float = 2.0):
    """A training function that fills the weights with ``value`` + 0, 1, 2, ...
    (a pattern the tests find in the saved file) and counts its calls."""
    def train(model):
        calls.append(float(model.weight.detach().flatten()[0]))
        with torch.no_grad():
            model.weight.copy_(value + torch.arange(model.weight.numel()).reshape(
                model.weight.shape))
        return {"loss": value}
    return train


def _only_file(folder, pattern="*.pt"):
    (path,) = folder.glob(pattern)
    return path


# A full disk -----------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MB file system (tmpfs; else a loop-mounted ext2 image), mounted
    for the test. Skipped, saying why, where this machine cannot mount one."""
    mount = shutil.which("mount")
    if mount is None or os.geteuid() != 0:
        pytest.skip("mounting a 2 MB file system needs root and `mount`")
    folder = tmp_path / "small"
    folder.mkdir()
    tries = [[mount, "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)]]
    image = tmp_path / "small.img"
    if shutil.which("mkfs.ext2"):
        tries.append([mount, "-o", "loop", str(image), str(folder)])
    errors = []
    for command in tries:
        if "loop" in command:
            with open(image, "wb") as handle:
                handle.truncate(2 * 1024 * 1024)
            subprocess.run(["mkfs.ext2", "-q", "-F", str(image)], check=False,
                           capture_output=True)
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode == 0:
            break
        errors.append(done.stderr.strip())
    else:
        pytest.skip("cannot mount a small file system here (tmpfs and loop "
                    f"refused: {'; '.join(errors)})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_warns_keeps_the_model_and_cleans_up(monkeypatch, small_disk):
    monkeypatch.setenv("COURSE_DATA_DIR", str(small_disk))
    monkeypatch.delenv("COURSE_NO_CACHE", raising=False)
    model = torch.nn.Linear(800, 800)  # 2.6 MB of weights: more than the disk

    def train(m):
        with torch.no_grad():
            m.weight.fill_(3.0)
        return {"loss": 1.0}

    free_before = shutil.disk_usage(small_disk).free
    with pytest.warns(UserWarning, match="Could not save the trained model") as seen:
        result = cache.cached_training("big", model, train, {}, verbose=False)
    assert result == {"loss": 1.0} and torch.all(model.weight == 3.0)
    assert len([w for w in seen if "Could not save" in str(w.message)]) == 1
    message = str(seen[0].message)
    assert "\n" not in message and "the disk is full" in message, message
    assert "inline_container" not in message and "COURSE_DATA_DIR" in message
    left = [p.name for p in small_disk.rglob("*") if p.is_file()]
    assert left == [], f"a failed save left {left} on the full disk"
    assert shutil.disk_usage(small_disk).free >= free_before - 64 * 1024


# Files that must not load --------------------------------------------------------

def test_flipped_bytes_inside_a_cached_tensor_train_again(cache_dir, capsys):
    calls = []
    cache.cached_training("lin", torch.nn.Linear(8, 4), _counting_train(calls), {})
    path = _only_file(cache_dir)
    raw = bytearray(path.read_bytes())
    at = bytes(raw).find((2.0 + torch.arange(32.0)).numpy().tobytes())
    assert at > 0, "the weights are stored as plain bytes"
    for i in range(4):
        raw[at + 40 + i] = 0xFF  # one float becomes a NaN
    path.write_bytes(bytes(raw))
    model = torch.nn.Linear(8, 4)
    cache.cached_training("lin", model, _counting_train(calls), {})
    assert len(calls) == 2, "a damaged cache file was loaded"
    assert torch.isfinite(model.weight).all()
    out = capsys.readouterr().out.strip().splitlines()
    assert any("training again" in line for line in out)


def test_a_file_renamed_from_another_seed_is_not_loaded(cache_dir):
    calls = []
    cache.cached_training("lin", torch.nn.Linear(2, 1), _counting_train(calls, 5.0),
                          {"seed": 0}, verbose=False)
    seed0 = _only_file(cache_dir)
    seed0.rename(cache_dir / "kept.bak")
    cache.cached_training("lin", torch.nn.Linear(2, 1), _counting_train(calls, 7.0),
                          {"seed": 1}, verbose=False)
    seed1 = _only_file(cache_dir)
    (cache_dir / "kept.bak").replace(seed1)  # seed 0's weights under seed 1's name
    model = torch.nn.Linear(2, 1)
    cache.cached_training("lin", model, _counting_train(calls, 7.0), {"seed": 1},
                          verbose=False)
    assert len(calls) == 3 and float(model.weight[0, 0].detach()) == 7.0


MNIST_LIKE = """
import torch

train_images = torch.full((20, 4), {fill})


def sample_images(n, generator):
    return train_images[torch.randint(len(train_images), (n,), generator=generator)]


def train_gan(model):
    with torch.no_grad():
        model.weight.copy_(sample_images(2, torch.Generator().manual_seed(0)))
    return {{"steps": 1}}
"""


def _notebook(fill: float) -> dict:
    namespace = {"__name__": "__main__"}
    exec(compile(textwrap.dedent(MNIST_LIKE.format(fill=fill)), "<cell>", "exec"),
         namespace)
    return namespace


def test_a_model_trained_on_other_data_is_not_loaded(cache_dir):
    """As notebooks 07-09 do: the training reads a global tensor through a helper,
    and the settings hold only the image count and the seed."""
    settings = {"n": 20, "seed": 0}
    fashion = torch.nn.Linear(4, 2)
    cache.cached_training("gan", fashion, _notebook(0.25)["train_gan"], settings,
                          verbose=False)
    mnist = torch.nn.Linear(4, 2)
    cache.cached_training("gan", mnist, _notebook(0.75)["train_gan"], settings,
                          verbose=False)
    assert torch.all(mnist.weight == 0.75), "weights trained on other data loaded"
    assert len(list(cache_dir.glob("gan-*.pt"))) == 2


def test_data_in_an_image_set_counts_too(cache_dir):
    from course_utils.core.data import ImageSet

    def run(fill):
        images = ImageSet(torch.full((5, 2, 2), fill), torch.zeros(5).long(),
                          ("a",), "set")
        model = torch.nn.Linear(4, 1)

        def train(m):
            with torch.no_grad():
                m.weight.copy_(images.flat[:1])
            return None

        cache.cached_training("set", model, train, {"n": 5}, verbose=False)
        return float(model.weight[0, 0].detach())

    assert run(0.25) == 0.25 and run(0.5) == 0.5 and run(0.25) == 0.25


def test_a_file_that_partly_fits_never_seeds_the_training(cache_dir, monkeypatch):
    """A file with the right first layer and a wrong second one: the training
    starts from the model's own fresh weights, not from the half-copied ones."""
    monkeypatch.setattr(cache, "cache_key", lambda *args, **kwargs: "samekey00000")
    with torch.random.fork_rng():
        torch.manual_seed(1)
        foreign = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 5))
        cache.cached_training("two", foreign, lambda m: None, {}, verbose=False)
        torch.manual_seed(2)
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    fresh = model[0].weight.detach().clone()
    seen = []
    cache.cached_training("two", model, lambda m: seen.append(
        m[0].weight.detach().clone()), {}, verbose=False)
    assert len(seen) == 1 and torch.equal(seen[0], fresh), (
        "training started from the foreign file's weights")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_named_like_a_cache_file_is_refused(cache_dir):
    calls = []
    cache.cached_training("lin", torch.nn.Linear(2, 1), _counting_train(calls), {},
                          verbose=False)
    path = _only_file(cache_dir)
    path.unlink()
    os.mkfifo(path)
    done = []
    worker = threading.Thread(target=lambda: done.append(cache.cached_training(
        "lin", torch.nn.Linear(2, 1), _counting_train(calls), {}, verbose=False)),
        daemon=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        worker.start()
        worker.join(timeout=20)
        hung = worker.is_alive()
        if hung:  # let the blocked open() go, so the test ends
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            worker.join(timeout=20)
    assert not hung, "reading a FIFO hung the cache"
    assert done and len(calls) == 2


@pytest.mark.parametrize("kind", ["empty", "folder", "old format", "not weights"])
def test_a_bad_file_trains_again_in_one_line(cache_dir, capsys, kind):
    calls = []
    cache.cached_training("lin", torch.nn.Linear(2, 1), _counting_train(calls), {})
    path = _only_file(cache_dir)
    state = {"weight": torch.ones(1, 2), "bias": torch.ones(1)}
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "folder":
        path.unlink()
        path.mkdir()
    elif kind == "old format":  # as the cache wrote it before the checksums
        torch.save({"state_dict": state, "result": {"loss": 1.0}}, path)
    else:  # a pickle that runs code: never unpickled
        torch.save({"state_dict": state, "result": _Evil()}, path)
    capsys.readouterr()
    model = torch.nn.Linear(2, 1)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        cache.cached_training("lin", model, _counting_train(calls), {})
    if kind == "folder":  # the folder stays (it may be the student's): not saved
        assert len(seen) == 1 and "Is a directory" in str(seen[0].message)
    else:
        assert not seen and _only_file(cache_dir).is_file()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(calls) == 2 and float(model.weight[0, 0].detach()) == 2.0
    assert len(out) == 1 and "training again" in out[0], out
    assert _Evil.ran == 0


class _Evil:
    ran = 0

    def __reduce__(self):
        return (_Evil.run, ())

    @staticmethod
    def run():
        _Evil.ran += 1


def test_a_symbolic_link_to_a_good_file_loads(cache_dir, tmp_path):
    calls = []
    cache.cached_training("lin", torch.nn.Linear(2, 1), _counting_train(calls), {},
                          verbose=False)
    path = _only_file(cache_dir)
    elsewhere = tmp_path / "elsewhere.pt"
    path.replace(elsewhere)
    path.symlink_to(elsewhere)
    model = torch.nn.Linear(2, 1)
    cache.cached_training("lin", model, _counting_train(calls), {}, verbose=False)
    assert len(calls) == 1 and float(model.weight[0, 1].detach()) == 3.0


def test_a_dangling_link_is_replaced_not_followed(cache_dir, tmp_path):
    calls = []
    cache.cached_training("lin", torch.nn.Linear(2, 1), _counting_train(calls), {},
                          verbose=False)
    path = _only_file(cache_dir)
    path.unlink()
    path.symlink_to(tmp_path / "gone.pt")
    cache.cached_training("lin", torch.nn.Linear(2, 1), _counting_train(calls), {},
                          verbose=False)
    assert len(calls) == 2 and path.is_file() and not path.is_symlink()
    assert not (tmp_path / "gone.pt").exists()


# An interrupted training or save ---------------------------------------------------

def test_an_interrupted_training_caches_nothing(cache_dir):
    def train(model):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.cached_training("lin", torch.nn.Linear(2, 1), train, {}, verbose=False)
    assert not cache_dir.exists() or not list(cache_dir.iterdir())


def test_an_interrupted_save_leaves_no_file(cache_dir, monkeypatch):
    real_replace = os.replace

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.cached_training("lin", torch.nn.Linear(2, 1), lambda m: None, {},
                              verbose=False)
    monkeypatch.setattr(os, "replace", real_replace)
    assert not list(cache_dir.iterdir())


def test_the_quality_ruler_keys_on_every_pixel(cache_dir, capsys):
    """Images with the same labels and the same pixel sums (each one transposed)
    get a ruler of their own."""
    from course_utils.core.data import ImageSet
    from course_utils.topics.quality import SampleQuality

    g = torch.Generator().manual_seed(0)
    images = torch.rand(40, 6, 6, generator=g)
    labels = torch.arange(40) % 4
    classes = tuple("abcd")

    def ruler(x):
        kept = ImageSet(x, labels, classes, "tiny")
        SampleQuality.train(kept, kept, "tiny", hidden=(8,), epochs=1, seed=0,
                            verbose=True)
        return capsys.readouterr().out

    assert "Loaded" not in ruler(images)
    assert "Loaded" in ruler(images.clone())  # the same pixels: the same ruler
    assert "Loaded" not in ruler(images.transpose(1, 2).contiguous())


_TWO_KERNELS = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import torch
    from course_utils.core import cache

    log, release = Path(sys.argv[1]), Path(sys.argv[2])

    def train(model):
        with log.open("a") as f:
            f.write("training\\n")
        deadline = time.monotonic() + 120
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # trains until the test releases it
        with torch.no_grad():
            model.weight.fill_(3.0)
        return {"loss": 1.0}

    model = torch.nn.Linear(2, 1)
    result = cache.cached_training("shared", model, train, settings={"seed": 0})
    print("result", result["loss"], float(model.weight[0, 0]), flush=True)
""")


def _start_kernel(folder, name):
    out = (folder / f"{name}.out").open("w")
    return subprocess.Popen(
        [sys.executable, str(folder / "kernel.py"), str(folder / "log.txt"),
         str(folder / "release")], stdout=out, stderr=subprocess.STDOUT,
        text=True, env=os.environ.copy())


def _wait_for(path, text, count=1, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().count(text) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in {path.name} within {timeout} s")


def _finish(process, folder, name):
    process.wait(120)
    return process.returncode, (folder / f"{name}.out").read_text()


@pytest.mark.skipif(os.name != "posix", reason="the lock needs fcntl (POSIX)")
def test_two_kernels_wanting_the_same_model_train_it_once(cache_dir, tmp_path):
    (tmp_path / "kernel.py").write_text(_TWO_KERNELS)
    first = _start_kernel(tmp_path, "first")
    _wait_for(tmp_path / "log.txt", "training")  # the first holds the lock
    second = _start_kernel(tmp_path, "second")
    _wait_for(tmp_path / "second.out", "waiting for it to finish")
    (tmp_path / "release").touch()  # the first finishes and saves
    (code_1, out_1), (code_2, out_2) = (_finish(first, tmp_path, "first"),
                                        _finish(second, tmp_path, "second"))
    assert code_1 == 0 and code_2 == 0, out_1 + out_2
    assert (tmp_path / "log.txt").read_text().count("training") == 1  # once
    assert "Loaded trained weights from the cache" in out_2
    assert "result 1.0 3.0" in out_1 and "result 1.0 3.0" in out_2


@pytest.mark.skipif(os.name != "posix", reason="the lock needs fcntl (POSIX)")
def test_a_killed_trainer_releases_the_lock(cache_dir, tmp_path):
    (tmp_path / "kernel.py").write_text(_TWO_KERNELS)
    first = _start_kernel(tmp_path, "first")
    _wait_for(tmp_path / "log.txt", "training")
    second = _start_kernel(tmp_path, "second")
    _wait_for(tmp_path / "second.out", "waiting for it to finish")
    first.kill()  # a kernel restarted mid-training
    first.wait(60)
    _wait_for(tmp_path / "log.txt", "training", count=2)  # the second trains
    (tmp_path / "release").touch()
    code, out = _finish(second, tmp_path, "second")
    assert code == 0, out
    assert "result 1.0 3.0" in out
    assert not list(cache_dir.glob("*.tmp"))
