"""The plugin system: third-party plugins, the plugin manager's error handling, the
plugin-backed namespaces (``tw.layers`` ...), Keras identifiers, and custom objects.

Anything that depends on installed distributions or on the environment runs in a fresh
interpreter (``_run``) with fake ``.dist-info`` folders on ``PYTHONPATH`` (as
``tests/test_registry.py`` does for backends), so this process's plugin state never leaks
in or out. ``examples/third_party_plugin`` is pip-installed into a temporary folder once
per module.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import plugin_manager as pm_mod
from tensorweave.errors import (
    DuplicateNameError,
    InvalidArgumentError,
    PluginLoadError,
    SerializationError,
    TensorweaveError,
)
from tensorweave.plugin import hookimpl

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "third_party_plugin"


# ---- helpers ------------------------------------------------------------------------------------
def _env(tmp_path: Path, *paths: Path, **extra: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENSORWEAVE_")}
    env["TENSORWEAVE_HOME"] = str(tmp_path / "twhome")
    parts = [str(p) for p in paths]
    if os.environ.get("PYTHONPATH"):
        parts.append(os.environ["PYTHONPATH"])
    if parts:
        env["PYTHONPATH"] = os.pathsep.join(parts)
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


_PRELUDE = """
import json, sys, warnings
_caught = warnings.catch_warnings(record=True)
_w = _caught.__enter__()
warnings.simplefilter("always")

def _err(fn):
    try:
        fn()
    except Exception as e:
        return [type(e).__name__, str(e), [c.__name__ for c in type(e).__mro__]]
    return None

def _done(**out):
    out["warnings"] = [f"{x.category.__name__}: {x.message}" for x in _w]
    print(json.dumps(out))
"""


def _run(code: str, env: dict[str, str], timeout: float = 240) -> dict:
    """Run ``code`` (after ``_PRELUDE``) in a fresh interpreter; it ends with ``_done(...)``,
    which prints one JSON object with the recorded warnings added."""
    proc = subprocess.run([sys.executable, "-c", _PRELUDE + textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"subprocess failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _dist(site: Path, name: str, entry_points: dict[str, str],
          modules: dict[str, str]) -> None:
    """A minimal installed distribution ``<name>-0.0.dist-info`` declaring plugins."""
    info = site / f"{name}-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0\n")
    lines = ["[tensorweave.plugins]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for mod, source in modules.items():
        (site / f"{mod}.py").write_text(textwrap.dedent(source))


def _warnings_about(out: dict, plugin: str) -> list[str]:
    return [w for w in out["warnings"] if f"'{plugin}'" in w]


# fake plugins --------------------------------------------------------------------------------
GOOD = """
from tensorweave import ops
from tensorweave.plugin import hookimpl

def good_double(x):
    return ops.multiply(x, 2.0)

@hookimpl
def register_activations(register):
    register(good_double)
"""

BROKEN_IMPORT = """
raise RuntimeError("tw_broken is broken on purpose")
"""

HOOK_RAISES = """
from tensorweave.plugin import hookimpl

def lost_activation(x):
    return x

def kept_loss(y_true, y_pred):
    return y_pred

@hookimpl
def register_activations(register):
    register(lost_activation)     # registered before the raise: must not be kept
    raise ValueError("the hook fails on purpose")

@hookimpl
def register_losses(register):
    register(kept_loss)
"""


def _twin(tag: str) -> str:
    return f"""
from tensorweave.plugin import hookimpl

def twin_{tag}(x):
    return x

def only_{tag}(x):
    return x

def relu(x):                      # a built-in name
    return x

@hookimpl
def register_activations(register):
    register(twin_{tag}, name="twin")
    register(only_{tag})
    register(relu)
"""


INVALID_ARG = """
from tensorweave.plugin import hookimpl

@hookimpl
def register_layers(register, not_a_hook_argument):
    pass
"""

UNKNOWN_HOOK = """
from tensorweave.plugin import hookimpl

def typo_kept(x):
    return x

@hookimpl
def register_layer(register):     # typo: the hook is register_layers
    pass

@hookimpl
def register_activations(register):
    register(typo_kept)
"""


# ---- the example third-party plugin -------------------------------------------------------------
def _pip_install(src: Path, target: Path) -> tuple[bool, str]:
    base = [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
            "--disable-pip-version-check", "--no-index", "--target", str(target)]
    log = []
    # fast and offline when setuptools and wheel are installed; otherwise let pip build
    # in an isolated environment (it needs setuptools from an index or a wheel cache)
    for cmd in (base + ["--no-build-isolation", str(src)],
                [c for c in base if c != "--no-index"] + [str(src)]):
        shutil.rmtree(target, ignore_errors=True)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            log.append(f"{' '.join(cmd[3:])}: timed out")
            continue
        if proc.returncode == 0:
            return True, ""
        log.append(f"{' '.join(cmd[3:])}: {(proc.stdout + proc.stderr).strip()[-400:]}")
    return False, "\n".join(log)


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/third_party_plugin pip-installed into a temporary folder."""
    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is not installed in this interpreter")
    tmp = tmp_path_factory.mktemp("example_plugin")
    src = tmp / "src"  # pip builds in-tree: build in a copy, never in the repository
    shutil.copytree(EXAMPLE, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__"))
    target = tmp / "site"
    ok, why = _pip_install(src, target)
    if not ok:
        pytest.skip(f"pip could not install examples/third_party_plugin here:\n{why}")
    assert (target / "tw_example_plugin" / "__init__.py").exists()
    return target


def test_example_package_declares_the_entry_point():
    text = (EXAMPLE / "pyproject.toml").read_text()
    assert 'name = "tensorweave-example-plugin"' in text
    assert '[project.entry-points."tensorweave.plugins"]' in text
    assert 'example = "tw_example_plugin"' in text
    assert (EXAMPLE / "README.md").exists()
    assert (EXAMPLE / "src" / "tw_example_plugin" / "__init__.py").exists()


_EXAMPLE_TRAIN = """
import numpy as np
import tensorweave as tw
from tensorweave.layers import ScaledDense
from tensorweave.optimizers import Optimizer

backend = tw.backend()
assert tw.layers.ScaledDense is ScaledDense
opt = tw.optimizers.get("signsgd")
names = {
    "layer": tw.layers.ScaledDense.__module__,
    "loss_fn": tw.losses.get("focal_crossentropy").__name__,
    "loss_cls": type(tw.losses.FocalCrossentropy(gamma=1.0)).__name__,
    "optimizer": type(opt).__name__,
    "optimizer_is_subclass": isinstance(opt, Optimizer),
    "optimizer_spellings": [type(tw.optimizers.get(s)).__name__
                            for s in ("SignSGD", "sign_sgd")],
    "activation": tw.activations.get("squared_relu").__name__,
}
act = tw.activations.get("squared_relu")
act_values = tw.convert_to_numpy(act(np.array([-2.0, -0.5, 0.0, 1.5, 3.0], "float32")))

# gamma = 0 is the cross-entropy
rng = np.random.default_rng(0)
probs = rng.uniform(0.05, 1.0, size=(5, 3)).astype("float32")
probs /= probs.sum(-1, keepdims=True)
labels = np.array([0, 2, 1, 1, 0])
focal0 = tw.convert_to_numpy(tw.losses.get("focal_crossentropy")(labels, probs, gamma=0.0))
focal2 = tw.convert_to_numpy(tw.losses.get("focal_crossentropy")(labels, probs))
onehot2 = tw.convert_to_numpy(tw.losses.get("focal_crossentropy")(np.eye(3)[labels], probs))
scce = tw.convert_to_numpy(tw.losses.get("sparse_categorical_crossentropy")(labels, probs))

# one SignSGD step by hand: w - lr * sign(g)
v = tw.Variable(np.array([1.0, -1.0, 0.5], "float32"))
step = tw.optimizers.SignSGD(learning_rate=0.1)
step.apply([np.array([3.0, -0.001, 0.0], "float32")], [v])
signsgd_step = tw.convert_to_numpy(v.value).tolist()

x = rng.normal(size=(24, 4)).astype("float32")
y = ((x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 0.8)).astype("int64")
tw.utils.set_random_seed(1)
model = tw.Sequential([tw.Input((4,)), ScaledDense(8, activation="squared_relu"),
                       ScaledDense(3, activation="softmax")])
model.compile(optimizer=tw.optimizers.SignSGD(learning_rate=0.02), loss=LOSS,
              metrics=["accuracy"])
hist = model.fit(x, y, epochs=EPOCHS, batch_size=12, verbose=0, shuffle=False)
pred = model.predict(x, verbose=0)
path = "MODEL_PATH"
model.save(path)
loaded = tw.models.load_model(path)            # no custom_objects
pred2 = loaded.predict(x, verbose=0)
_done(backend=backend, names=names, act=act_values.tolist(), focal0=focal0.tolist(),
      focal2=focal2.tolist(), onehot2=onehot2.tolist(), scce=scce.tolist(),
      signsgd_step=signsgd_step, loss=hist.history["loss"],
      layer_types=[type(l).__name__ for l in loaded.layers],
      layer_weights=[len(l.weights) for l in loaded.layers],
      optimizer=type(loaded.optimizer).__name__,
      evaluate=float(np.ravel(loaded.evaluate(x, y, verbose=0))[0]),
      activation=loaded.layers[0].activation.__name__,
      max_diff=float(np.abs(np.asarray(pred) - np.asarray(pred2)).max()))
"""


@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_example_plugin_trains_saves_and_loads(example_site, tmp_path, backend):
    if not any(i.name == backend and i.available for i in tw.list_backends()):
        pytest.skip(f"the {backend} backend cannot run here")
    code = (_EXAMPLE_TRAIN.replace("MODEL_PATH", str(tmp_path / "model.tw"))
            .replace("EPOCHS", "6" if backend == "numpy" else "4")
            # the loss by name on one backend, as a (plugin) loss object on the other
            .replace("LOSS", '"focal_crossentropy"' if backend == "numpy" else
                     "tw.losses.FocalCrossentropy(gamma=1.5)"))
    out = _run(code, _env(tmp_path, example_site, TENSORWEAVE_BACKEND=backend,
                          TENSORWEAVE_STRICT_PLUGINS="1"))
    assert out["backend"] == backend
    assert out["names"] == {
        "layer": "tw_example_plugin.layers", "loss_fn": "focal_crossentropy",
        "loss_cls": "FocalCrossentropy", "optimizer": "SignSGD",
        "optimizer_is_subclass": True, "optimizer_spellings": ["SignSGD", "SignSGD"],
        "activation": "squared_relu"}
    np.testing.assert_allclose(out["act"], [0.0, 0.0, 0.0, 2.25, 9.0])
    np.testing.assert_allclose(out["focal0"], out["scce"], rtol=1e-5)
    assert all(0 < f < c for f, c in zip(out["focal2"], out["scce"]))
    np.testing.assert_allclose(out["onehot2"], out["focal2"], rtol=1e-6)
    np.testing.assert_allclose(out["signsgd_step"], [0.9, -0.9, 0.5], rtol=1e-6)
    losses = out["loss"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0], losses
    assert out["layer_types"] == ["ScaledDense", "ScaledDense"]
    assert out["layer_weights"] == [3, 3]
    assert out["optimizer"] == "SignSGD"
    assert out["activation"] == "squared_relu"
    assert out["max_diff"] < 1e-6
    assert np.isfinite(out["evaluate"])  # the loaded model is compiled with the plugin loss
    assert not [w for w in out["warnings"] if "Plugin" in w], out["warnings"]


def test_example_plugin_in_tensorweave_info(example_site, tmp_path):
    env = _env(tmp_path, example_site, PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-m", "tensorweave", "info"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    line = next((ln for ln in proc.stdout.splitlines() if ln.strip().startswith("example ")),
                None)
    assert line is not None, proc.stdout
    assert "third-party" in line and "tensorweave-example-plugin 0.1.0" in line
    for name in ("ScaledDense", "focal_crossentropy", "FocalCrossentropy", "SignSGD",
                 "squared_relu"):
        assert name in line, line
    assert "tensorweave.layers (built-in)" in proc.stdout
    assert "FAILED" not in proc.stdout


def test_example_plugin_imported_before_tensorweave(example_site, tmp_path):
    # The plugin looks tensorweave names up while it is being imported; when the user
    # imports it first, its entry point is loaded mid-import and registered once done.
    out = _run("""
        from tw_example_plugin import ScaledDense, SignSGD
        import tensorweave as tw
        _done(layer=tw.layers.ScaledDense is ScaledDense,
              opt=type(tw.optimizers.get("signsgd")) is SignSGD,
              loss=tw.losses.get("focal_crossentropy").__name__,
              act=tw.activations.get("squared_relu").__name__,
              info={p.name: sorted(p.contributions) for p in tw.plugins_info()
                    if not p.builtin})
    """, _env(tmp_path, example_site, TENSORWEAVE_STRICT_PLUGINS="1"))
    assert out["layer"] and out["opt"]
    assert (out["loss"], out["act"]) == ("focal_crossentropy", "squared_relu")
    assert out["info"] == {"example": ["activations", "layers", "losses", "optimizers"]}


def test_example_plugin_can_be_left_out(example_site, tmp_path):
    out = _run("""
        import tensorweave as tw
        _done(err=_err(lambda: tw.layers.ScaledDense),
              third=[p.name for p in tw.plugins_info() if not p.builtin],
              mods=[m for m in sys.modules if m.startswith("tw_example_plugin")])
    """, _env(tmp_path, example_site, TENSORWEAVE_PLUGINS=""))
    assert out["err"][0] == "AttributeError" and "ScaledDense" in out["err"][1]
    assert out["third"] == [] and out["mods"] == []


# ---- the plugin manager: failures are reported, the rest works ---------------------------------
def test_plugin_that_fails_to_import_is_reported_and_the_rest_works(tmp_path):
    site = tmp_path / "site"
    _dist(site, "tw_broken", {"broken": "tw_broken"}, {"tw_broken": BROKEN_IMPORT})
    _dist(site, "tw_good", {"good": "tw_good"}, {"tw_good": GOOD})
    code = """
        import tensorweave as tw
        import numpy as np
        from tensorweave.plugin_manager import failures
        y = tw.activations.get("good_double")(np.array([1.0, 2.0], "float32"))
        _done(good=tw.convert_to_numpy(y).tolist(), dense=tw.layers.Dense.__name__,
              failures=failures(),
              plugins=[p.name for p in tw.plugins_info() if not p.builtin])
    """
    out = _run(code, _env(tmp_path, site))
    assert out["good"] == [2.0, 4.0] and out["dense"] == "Dense"
    assert out["plugins"] == ["good"]
    assert "RuntimeError: tw_broken is broken on purpose" in out["failures"]["broken"]
    (warning,) = _warnings_about(out, "broken")
    assert warning.startswith("PluginWarning:")
    assert "tw_broken is broken on purpose" in warning and "RuntimeError" in warning
    assert not _warnings_about(out, "good")

    proc = subprocess.run([sys.executable, "-m", "tensorweave", "info"],
                          env=_env(tmp_path, site, PYTHONWARNINGS="ignore"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "FAILED broken:" in proc.stdout and "broken on purpose" in proc.stdout
    assert "good (third-party, tw_good 0.0): activations good_double" in proc.stdout


def test_strict_mode_raises_plugin_load_error(tmp_path):
    site = tmp_path / "site"
    _dist(site, "tw_broken", {"broken": "tw_broken"}, {"tw_broken": BROKEN_IMPORT})
    out = _run("""
        import tensorweave as tw
        first = _err(lambda: tw.layers.Dense)
        _done(first=first, again=_err(lambda: tw.activations.get("relu")))
    """, _env(tmp_path, site, TENSORWEAVE_STRICT_PLUGINS="1"))
    name, msg, mro = out["first"]
    assert name == "PluginLoadError" and "TensorweaveError" in mro
    assert "'broken'" in msg and "tw_broken is broken on purpose" in msg
    assert out["again"] is not None and out["again"][0] == "PluginLoadError"  # every time


def test_hook_that_raises_is_reported_and_contributes_nothing(tmp_path):
    site = tmp_path / "site"
    _dist(site, "tw_hookfail", {"hookfail": "tw_hookfail"}, {"tw_hookfail": HOOK_RAISES})
    out = _run("""
        import tensorweave as tw
        _done(lost=_err(lambda: tw.activations.get("lost_activation")),
              kept=tw.losses.get("kept_loss").__name__,
              relu=tw.activations.get("relu").__name__,
              info={p.name: p.contributions for p in tw.plugins_info() if not p.builtin},
              failures=tw.plugin_manager.failures())
    """, _env(tmp_path, site))
    assert out["lost"][0] == "InvalidArgumentError"  # the hook's names are all dropped
    assert out["kept"] == "kept_loss" and out["relu"] == "relu"  # its other hook counts
    assert out["info"] == {"hookfail": {"losses": ["kept_loss"]}}
    (warning,) = _warnings_about(out, "hookfail")
    assert "register_activations" in warning and "the hook fails on purpose" in warning
    assert "ValueError" in out["failures"]["hookfail"]

    strict = _run("""
        import tensorweave as tw
        _done(err=_err(lambda: tw.activations.get("relu")),
              other=tw.losses.get("kept_loss").__name__)
    """, _env(tmp_path, site, TENSORWEAVE_STRICT_PLUGINS="1"))
    assert strict["err"][0] == "PluginLoadError"
    assert "'hookfail'" in strict["err"][1] and "the hook fails on purpose" in strict["err"][1]
    assert strict["other"] == "kept_loss"


def test_two_plugins_claiming_one_name(tmp_path):
    site = tmp_path / "site"
    _dist(site, "tw_twin_a", {"twin_a": "tw_twin_a"}, {"tw_twin_a": _twin("a")})
    _dist(site, "tw_twin_b", {"twin_b": "tw_twin_b"}, {"tw_twin_b": _twin("b")})
    code = """
        import tensorweave as tw
        _done(twin=_err(lambda: tw.activations.get("twin")),
              attr=_err(lambda: tw.activations.twin),
              only=[tw.activations.get("only_a").__name__,
                    tw.activations.get("only_b").__name__],
              relu=tw.activations.get("relu").__module__,
              listed="twin" in dir(tw.activations))
    """
    out = _run(code, _env(tmp_path, site))
    for key in ("twin", "attr"):
        name, msg, mro = out[key]
        assert name == "DuplicateNameError" and "TensorweaveError" in mro
        assert "'twin_a'" in msg and "'twin_b'" in msg and "TENSORWEAVE_PLUGINS" in msg
    assert out["only"] == ["only_a", "only_b"]  # every other name keeps working
    assert out["relu"] == "tensorweave.plugins.activations"  # built-in names stay built-in
    assert not out["listed"]
    twin_warnings = [w for w in out["warnings"] if "'twin'" in w]
    assert twin_warnings and all("'twin_a'" in w and "'twin_b'" in w for w in twin_warnings)
    relu_warnings = [w for w in out["warnings"] if "'relu'" in w]
    assert relu_warnings and all("'tensorweave.activations'" in w for w in relu_warnings)

    # strict: the registry refuses to fill, naming both plugins
    strict = _run("""
        import tensorweave as tw
        _done(err=_err(lambda: tw.activations.get("only_a")))
    """, _env(tmp_path, site, TENSORWEAVE_STRICT_PLUGINS="1"))
    assert strict["err"][0] == "DuplicateNameError"
    assert "'tensorweave.activations'" in strict["err"][1] or (
        "'twin_a'" in strict["err"][1] and "'twin_b'" in strict["err"][1])

    # choosing one of them resolves it
    chosen = _run("""
        import tensorweave as tw
        _done(twin=tw.activations.get("twin").__name__,
              b=_err(lambda: tw.activations.get("only_b")))
    """, _env(tmp_path, site, TENSORWEAVE_PLUGINS="twin_a"))
    assert chosen["twin"] == "twin_a" and chosen["b"][0] == "InvalidArgumentError"


def test_tensorweave_plugins_env_disables_or_restricts(tmp_path):
    site = tmp_path / "site"
    _dist(site, "tw_good", {"good": "tw_good"}, {"tw_good": GOOD})
    _dist(site, "tw_broken", {"broken": "tw_broken"}, {"tw_broken": BROKEN_IMPORT})
    code = """
        import tensorweave as tw
        _done(good=_err(lambda: tw.activations.get("good_double")),
              relu=tw.activations.get("relu").__name__,
              plugins=[p.name for p in tw.plugins_info() if not p.builtin],
              failures=tw.plugin_manager.failures(),
              imported=[m for m in ("tw_good", "tw_broken") if m in sys.modules])
    """
    none = _run(code, _env(tmp_path, site, TENSORWEAVE_PLUGINS=""))
    assert none["good"][0] == "InvalidArgumentError" and none["relu"] == "relu"
    assert none["plugins"] == [] and none["failures"] == {} and none["imported"] == []
    assert none["warnings"] == []

    only = _run(code, _env(tmp_path, site, TENSORWEAVE_PLUGINS=" good , absent"))
    assert only["good"] is None and only["plugins"] == ["good"]
    assert only["imported"] == ["tw_good"] and only["failures"] == {}

    every = _run(code, _env(tmp_path, site))
    assert every["plugins"] == ["good"] and list(every["failures"]) == ["broken"]


def test_invalid_hook_argument_is_reported_clearly(tmp_path):
    site = tmp_path / "site"
    _dist(site, "tw_invalid", {"invalid": "tw_invalid"}, {"tw_invalid": INVALID_ARG})
    code = """
        import tensorweave as tw
        _done(dense=_err(lambda: tw.layers.Dense),
              plugins=[p.name for p in tw.plugins_info() if not p.builtin])
    """
    out = _run(code, _env(tmp_path, site))
    assert out["dense"] is None and out["plugins"] == []
    (warning,) = _warnings_about(out, "invalid")
    assert "PluginValidationError" in warning and "not_a_hook_argument" in warning
    assert "register_layers" in warning and "tensorweave.hookspecs" in warning

    strict = _run("""
        import tensorweave as tw
        _done(dense=_err(lambda: tw.layers.Dense))
    """, _env(tmp_path, site, TENSORWEAVE_STRICT_PLUGINS="1"))
    assert strict["dense"][0] == "PluginLoadError"
    assert "'invalid'" in strict["dense"][1] and "not_a_hook_argument" in strict["dense"][1]


def test_unknown_hook_name_is_reported(tmp_path):
    site = tmp_path / "site"
    _dist(site, "tw_typo", {"typo": "tw_typo"}, {"tw_typo": UNKNOWN_HOOK})
    out = _run("""
        import tensorweave as tw
        _done(kept=tw.activations.get("typo_kept").__name__,
              info={p.name: p.warnings for p in tw.plugins_info() if not p.builtin})
    """, _env(tmp_path, site))
    assert out["kept"] == "typo_kept"  # the plugin's valid hooks still count
    (warning,) = _warnings_about(out, "typo")
    assert "register_layer" in warning and "register_layers" in warning
    assert out["info"]["typo"] and "register_layer" in out["info"]["typo"][0]


def test_one_entry_point_name_in_two_distributions(tmp_path):
    site = tmp_path / "site"
    _dist(site, "tw_first", {"same": "tw_first"}, {"tw_first": GOOD})
    _dist(site, "tw_second", {"same": "tw_second"},
          {"tw_second": GOOD.replace("good_double", "second_double")})
    out = _run("""
        import tensorweave as tw
        _done(first=_err(lambda: tw.activations.get("good_double")),
              second=_err(lambda: tw.activations.get("second_double")))
    """, _env(tmp_path, site))
    # exactly one of them is loaded, and the skipped one is reported
    assert [out["first"] is None, out["second"] is None].count(True) == 1
    (warning,) = _warnings_about(out, "same")
    assert "tw_first" in warning and "tw_second" in warning and "skipped" in warning


def test_import_tensorweave_loads_no_plugin(tmp_path):
    site = tmp_path / "site"
    _dist(site, "tw_good", {"good": "tw_good"}, {"tw_good": GOOD})
    out = _run("""
        import tensorweave as tw
        import tensorweave.layers, tensorweave.losses, tensorweave.optimizers
        before = sorted(m for m in ("pluggy", "tw_good", "tensorweave.plugin_manager",
                                    "tensorweave.plugins") if m in sys.modules)
        hasattr(tw.layers, "__wrapped__"), hasattr(tw.layers, "_private_probe")
        probes = sorted(m for m in ("pluggy", "tw_good") if m in sys.modules)
        from tensorweave.layers import Dense
        after = sorted(m for m in ("pluggy", "tw_good") if m in sys.modules)
        _done(before=before, probes=probes, after=after)
    """, _env(tmp_path, site))
    assert out["before"] == [] and out["probes"] == []
    assert out["after"] == ["pluggy", "tw_good"]


def test_builtin_plugins_implement_only_known_hooks():
    pm = pm_mod.plugin_manager()
    pm.check_pending()  # raises on a hook implementation no spec declares
    builtin = [p for p in tw.plugins_info() if p.builtin]
    assert {p.name for p in builtin} >= {
        "tensorweave.layers", "tensorweave.losses", "tensorweave.optimizers",
        "tensorweave.activations", "tensorweave.metrics", "tensorweave.initializers",
        "tensorweave.models", "tensorweave.callbacks"}
    assert all(p.warnings == [] for p in builtin)
    assert pm_mod.failures() == {} or all(not n.startswith("tensorweave.")
                                          for n in pm_mod.failures())


# ---- namespaces and identifiers -----------------------------------------------------------------
def test_namespaces_import_like_keras():
    from tensorweave.layers import Conv2D, Dense, Input
    from tensorweave.models import Model, Sequential

    assert tw.layers.Dense is Dense and tw.layers.Conv2D is Conv2D
    assert tw.Sequential is Sequential and tw.Model is Model and tw.Input is Input
    assert issubclass(Dense, tw.layers.Layer)
    assert tw.layers.MaxPool2D is tw.layers.MaxPooling2D  # Keras's alias
    model = Sequential([Dense(4, input_dim=3), Dense(2)])
    assert model.predict(np.zeros((2, 3), "float32"), verbose=0).shape == (2, 2)


@pytest.mark.parametrize("kind, identifier, expected", [
    ("optimizers", "adam", "Adam"), ("optimizers", "Adam", "Adam"),
    ("optimizers", "rmsprop", "RMSprop"), ("optimizers", "sgd", "SGD"),
    ("activations", "relu", "relu"), ("activations", "softmax", "softmax"),
    ("losses", "sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
    ("losses", "SparseCategoricalCrossentropy", "SparseCategoricalCrossentropy"),
    ("losses", "mse", "mean_squared_error"),
    ("initializers", "glorot_uniform", "GlorotUniform"),
    ("initializers", "GlorotUniform", "GlorotUniform"),
    ("initializers", "he_normal", "HeNormal"),
    ("metrics", "accuracy", None),
])
def test_string_identifiers_resolve_as_in_keras(kind, identifier, expected):
    got = getattr(tw, kind).get(identifier)
    assert got is not None
    if expected is None:
        return
    name = got.__name__ if callable(got) and hasattr(got, "__name__") else type(got).__name__
    assert name == expected


def test_string_identifiers_compile_and_train():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = tw.Sequential([tw.Input((4,)),
                           tw.layers.Dense(8, activation="relu",
                                           kernel_initializer="glorot_uniform"),
                           tw.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert "accuracy" in hist.history


@pytest.mark.parametrize("kind, bad, known", [
    ("optimizers", "adamm", "adam"), ("activations", "rellu", "relu"),
    ("losses", "msee", "mean_squared_error"), ("layers", "Dence", "Dense"),
    ("initializers", "glorot_uniformm", "GlorotUniform"),
])
def test_unknown_identifier_lists_the_known_names(kind, bad, known):
    with pytest.raises(InvalidArgumentError) as info:
        getattr(tw, kind).get(bad)
    msg = str(info.value)
    assert repr(bad) in msg and known in msg and "known" in msg
    assert "did you mean" in msg
    with pytest.raises(AttributeError, match=f"no attribute '{bad}'.*{known}"):
        getattr(getattr(tw, kind), bad)


def test_star_import_gives_the_registered_names():
    ns: dict = {}
    exec("from tensorweave.layers import *", ns)  # noqa: S102
    assert ns["Dense"] is tw.layers.Dense and ns["Conv2D"] is tw.layers.Conv2D
    assert "get" in ns and "namespace" not in ns and "Any" not in ns
    ns = {}
    exec("from tensorweave.optimizers import *", ns)  # noqa: S102
    assert ns["Adam"] is tw.optimizers.Adam and "schedules" in ns


def test_dir_lists_registered_names():
    assert {"Dense", "Conv2D", "Layer", "Input"} <= set(dir(tw.layers))
    assert {"relu", "softmax"} <= set(dir(tw.activations))
    assert {"Adam", "adam", "SGD"} <= set(dir(tw.optimizers))
    assert {"mean_squared_error", "SparseCategoricalCrossentropy"} <= set(dir(tw.losses))
    assert {"Sequential", "Model"} <= set(dir(tw.models))


class _RuntimePlugin:
    """A plugin object registered at runtime (notebooks, tests)."""

    class RuntimeDoubler(tw.layers.Layer):
        def call(self, inputs):
            return tw.ops.multiply(inputs, 2.0)

    @staticmethod
    def runtime_cube(x):
        return tw.ops.power(x, 3.0)

    @hookimpl
    def register_layers(self, register):
        register(self.RuntimeDoubler)

    @hookimpl
    def register_activations(self, register):
        register(self.runtime_cube, name="runtime_cube")


@pytest.fixture
def runtime_plugin():
    yield _RuntimePlugin()
    pm_mod.unregister_plugin("runtime_test_plugin")


def test_register_plugin_at_runtime(runtime_plugin):
    builtin_before = {p.name: {k: len(v) for k, v in p.contributions.items()}
                      for p in tw.plugins_info() if p.builtin}
    assert "RuntimeDoubler" not in dir(tw.layers)
    with pytest.raises(AttributeError):
        tw.layers.RuntimeDoubler  # noqa: B018

    pm_mod.register_plugin(runtime_plugin, "runtime_test_plugin")
    assert tw.layers.RuntimeDoubler is _RuntimePlugin.RuntimeDoubler
    assert "RuntimeDoubler" in dir(tw.layers) and "runtime_cube" in dir(tw.activations)
    cube = tw.activations.get("runtime_cube")
    np.testing.assert_allclose(tw.convert_to_numpy(cube(np.array([2.0], "float32"))), [8.0])
    info = {p.name: p for p in tw.plugins_info()}
    assert info["runtime_test_plugin"].contributions == {
        "layers": ["RuntimeDoubler"], "activations": ["runtime_cube"]}
    # the registries refilled; built-ins are listed once, not twice
    assert {p.name: {k: len(v) for k, v in p.contributions.items()}
            for p in info.values() if p.builtin} == builtin_before

    with pytest.raises(PluginLoadError, match="runtime_test_plugin.*already registered"):
        pm_mod.register_plugin(_RuntimePlugin(), "runtime_test_plugin")

    pm_mod.unregister_plugin("runtime_test_plugin")
    assert "RuntimeDoubler" not in dir(tw.layers)
    with pytest.raises(InvalidArgumentError, match="runtime_cube"):
        tw.activations.get("runtime_cube")


def test_register_plugin_rejects_an_invalid_hook():
    class Bad:
        @hookimpl
        def register_layers(self, register, unexpected):
            pass

    with pytest.raises(PluginLoadError, match="(?s)'bad_runtime'.*unexpected"):
        pm_mod.register_plugin(Bad(), "bad_runtime")
    assert "bad_runtime" not in {p.name for p in tw.plugins_info()}


def test_runtime_name_clash_with_a_builtin_is_refused(recwarn):
    class Clash:
        @staticmethod
        def relu(x):
            return x

        @hookimpl
        def register_activations(self, register):
            register(self.relu)

    pm_mod.register_plugin(Clash(), "clash_runtime")
    try:
        assert tw.activations.get("relu").__module__ == "tensorweave.plugins.activations"
        msgs = [str(w.message) for w in recwarn.list
                if issubclass(w.category, pm_mod.PluginWarning)]
        assert any("'relu'" in m and "'clash_runtime'" in m
                   and "'tensorweave.activations'" in m for m in msgs), msgs
    finally:
        pm_mod.unregister_plugin("clash_runtime")


# ---- custom objects ----------------------------------------------------------------------------
def _xy(n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


class Rescale(tw.layers.Layer):
    """A custom layer with one weight, defined here and never registered."""

    def __init__(self, init: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.alpha = self.add_weight((input_shape[-1],), tw.initializers.Constant(self.init),
                                     name="alpha")

    def call(self, inputs):
        return tw.ops.multiply(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "init": self.init}


def test_custom_layer_trains_without_registration():
    x, y = _xy()
    model = tw.Sequential([tw.Input((3,)), Rescale(), tw.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    hist = model.fit(x, y, epochs=4, batch_size=8, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_register_keras_serializable_saves_and_loads(tmp_path):
    @tw.saving.register_keras_serializable(package="my_pkg", name="MyLayer")
    class MyLayer(Rescale):
        pass

    x, y = _xy()
    model = tw.Sequential([tw.Input((3,)), MyLayer(init=0.25), tw.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "custom.tw"
    model.save(path)
    import zipfile

    config = json.loads(zipfile.ZipFile(path).read("config.json"))
    assert '"my_pkg>MyLayer"' in json.dumps(config)
    loaded = tw.models.load_model(path)
    assert type(loaded.layers[0]) is MyLayer and loaded.layers[0].init == 0.25
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_unregistered_custom_layer_needs_custom_objects(tmp_path):
    class UnregisteredScale(Rescale):
        pass

    x, _ = _xy()
    model = tw.Sequential([tw.Input((3,)), UnregisteredScale(), tw.layers.Dense(1)])
    path = tmp_path / "unregistered.tw"
    model.save(path)
    with pytest.raises(SerializationError) as info:
        tw.models.load_model(path)
    msg = str(info.value)
    assert isinstance(info.value, TensorweaveError)
    assert "UnregisteredScale" in msg
    assert "register_keras_serializable" in msg and "custom_objects" in msg
    loaded = tw.models.load_model(path, custom_objects={"UnregisteredScale":
                                                        UnregisteredScale})
    assert type(loaded.layers[0]) is UnregisteredScale
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_register_keras_serializable_name_clash():
    @tw.saving.register_keras_serializable(package="clash_pkg", name="Thing")
    class A(Rescale):
        pass

    class B(Rescale):
        pass

    with pytest.raises(DuplicateNameError, match="clash_pkg>Thing"):
        tw.saving.register_keras_serializable(package="clash_pkg", name="Thing")(B)

    # the same class redefined (a notebook cell run again) replaces the old one
    def define():
        @tw.saving.register_keras_serializable(package="clash_pkg", name="Again")
        class Again(Rescale):
            pass
        return Again

    first, second = define(), define()
    assert first is not second
    assert tw.saving.get_registered_object("clash_pkg>Again") is second


def test_model_compiled_with_a_loss_object_reloads(tmp_path):
    # a loss object is saved as {"class_name", "config"} and found again by its name
    x, y = _xy()
    model = tw.Sequential([tw.Input((3,)), tw.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=tw.losses.MeanSquaredError())
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "loss_object.tw")
    loaded = tw.models.load_model(tmp_path / "loss_object.tw")
    assert np.isfinite(loaded.evaluate(x, y, verbose=0))


class _RenamingPlugin:
    """Files a class under another name than its ``__name__``."""

    class _Impl(tw.layers.Layer):
        def call(self, inputs):
            return inputs

    @hookimpl
    def register_layers(self, register):
        register(self._Impl, name="PublicIdentity")


@pytest.fixture
def renaming_plugin():
    pm_mod.register_plugin(_RenamingPlugin(), "renaming_test_plugin")
    yield _RenamingPlugin._Impl
    pm_mod.unregister_plugin("renaming_test_plugin")


def test_registry_knows_the_name_an_object_is_filed_under(renaming_plugin):
    from tensorweave.registries import registry

    assert tw.layers.PublicIdentity is renaming_plugin
    assert registry("layers").name_of(renaming_plugin) == "PublicIdentity"
    assert registry("layers").name_of(tw.layers.MaxPool2D) == "MaxPooling2D"  # not the alias
    assert registry("layers").name_of(int) is None


def test_layer_registered_under_another_name_saves_and_loads(renaming_plugin, tmp_path):
    model = tw.Sequential([tw.Input((3,)), tw.layers.PublicIdentity(), tw.layers.Dense(1)])
    model.save(tmp_path / "renamed.tw")
    loaded = tw.models.load_model(tmp_path / "renamed.tw")
    assert type(loaded.layers[0]) is renaming_plugin
