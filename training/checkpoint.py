"""Training that survives being killed: `fit_resumable` is `model.fit` with a checkpoint written
after every epoch, and `EpochBatches` feeds it the same batches in the same order whether or not
the run was interrupted before.

A checkpoint is one .npz file, replaced atomically after every epoch (so a kill at any moment
leaves the last complete epoch):

    state        JSON: epochs done, whether training has ended (or early stopping has asked it to),
                 the history so far, seconds spent,
                 and the counters of the stateful callbacks (EarlyStopping, ReduceLROnPlateau)
    model/I      every variable of the model being fitted: weights, BatchNorm statistics and the
                 seed generators of dropout and augmentation layers
    optimizer/I  the optimizer's variables: step count, learning rate, moments
    best/I       the weights EarlyStopping would restore, when it holds some

Resuming restores all of it after keras' own callbacks reset themselves (`on_train_begin`) and
continues at the next epoch. With the batches of `EpochBatches` (epoch k is shuffled by a seed made
of the run's seed and k, not by how many epochs this process has run) a resumed fit ends on the
weights an uninterrupted one ends on; tests/training/test_checkpoint.py holds it to that.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import keras
import numpy as np

# What each stateful callback must carry across a resume, besides EarlyStopping's best weights.
CALLBACK_STATE = {
    keras.callbacks.EarlyStopping: ("wait", "best", "best_epoch", "stopped_epoch"),
    keras.callbacks.ReduceLROnPlateau: ("wait", "best", "cooldown_counter"),
}


class EpochBatches(keras.utils.PyDataset):
    """(x, y) in batches of `batch_size`, the rows of epoch k in the order of a permutation seeded
    by (`seed`, k): the same batches whichever epoch a (resumed) fit starts at. `transform`, if
    given, maps each batch of x (e.g. uint8 crops to normalised floats)."""

    def __init__(self, x, y, batch_size: int, seed: int, epoch: int = 0, transform=None):
        super().__init__()
        if len(x) != len(y):
            raise ValueError(f"{len(x)} inputs but {len(y)} targets")
        self.x, self.y, self.batch_size, self.seed, self.transform = x, y, batch_size, seed, transform
        self.start(epoch)

    def start(self, epoch: int) -> None:
        """Serve epoch `epoch`'s order next."""
        self.epoch = epoch
        self.order = np.random.default_rng([self.seed, epoch]).permutation(len(self.x))

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        x = np.asarray(self.x[rows])
        return (x if self.transform is None else self.transform(x)), np.asarray(self.y[rows])



class _EpochOrder(keras.callbacks.Callback):
    """Tells the batches which epoch begins (keras' own calls to PyDataset.on_epoch_end do not
    count epochs: it makes one more before the first)."""

    def __init__(self, batches: EpochBatches):
        super().__init__()
        self.batches = batches

    def on_epoch_begin(self, epoch, logs=None):
        self.batches.start(epoch)


class _Checkpoint(keras.callbacks.Callback):
    """Writes the checkpoint after every epoch and when training ends; restores one when it begins.
    Placed last, so it sees the other callbacks after they have updated (or reset) themselves."""

    def __init__(self, path: Path, stateful: list, saved: dict | None, seconds: float):
        super().__init__()
        self.path, self.stateful, self.saved = Path(path), stateful, saved
        self.history = saved["state"]["history"] if saved else {}
        self.epochs_done = saved["state"]["epochs_done"] if saved else 0
        self.seconds, self.started = seconds, time.perf_counter()
        self.state = saved["state"] if saved else None

    def on_train_begin(self, logs=None):
        if self.saved is None:
            return
        _assign(self.model.variables, self.saved["model"], "model")
        optimizer = self.model.optimizer
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        _assign(optimizer.variables, self.saved["optimizer"], "optimizer")
        for callback, values in zip(self.stateful, self.saved["state"]["callbacks"], strict=True):
            for key, value in values.items():
                setattr(callback, key, value)
            if isinstance(callback, keras.callbacks.EarlyStopping) and self.saved["best"]:
                callback.best_weights = self.saved["best"]

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.epochs_done = epoch + 1
        self.write(ended=False)

    def on_train_end(self, logs=None):
        self.write(ended=True)

    def write(self, ended: bool) -> None:
        best = next((c.best_weights for c in self.stateful
                     if isinstance(c, keras.callbacks.EarlyStopping) and c.best_weights is not None), [])
        state = {"epochs_done": self.epochs_done, "ended": ended, "stopping": bool(self.model.stop_training),
                 "history": self.history,
                 "seconds": round(self.seconds + time.perf_counter() - self.started, 3),
                 "callbacks": [{key: _plain(getattr(c, key)) for key in _state_keys(c)} for c in self.stateful]}
        self.state = state
        arrays = {"state": np.frombuffer(json.dumps(state).encode(), np.uint8)}
        arrays |= {f"model/{i}": np.asarray(v) for i, v in enumerate(self.model.variables)}
        arrays |= {f"optimizer/{i}": np.asarray(v) for i, v in enumerate(self.model.optimizer.variables)}
        arrays |= {f"best/{i}": np.asarray(w) for i, w in enumerate(best)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.stem}.tmp.npz")  # one name: a kill mid-write leaves one stray file
        np.savez(tmp, **arrays)
        os.replace(tmp, self.path)


def read_checkpoint(path: Path) -> dict | None:
    """The checkpoint at `path` as {state, model, optimizer, best}, or None when there is none."""
    path = Path(path)
    if not path.is_file():
        return None
    with np.load(path) as data:
        def listed(prefix: str) -> list[np.ndarray]:
            keys = sorted((k for k in data.files if k.startswith(prefix + "/")), key=lambda k: int(k.split("/")[1]))
            return [data[k] for k in keys]

        return {"state": json.loads(data["state"].tobytes()), "model": listed("model"),
                "optimizer": listed("optimizer"), "best": listed("best")}


def ended_fit(model: keras.Model, checkpoint: Path | None, log=print) -> dict | None:
    """If `checkpoint` holds a fit that had ended (early stopping or its last epoch): its final
    variables assigned to `model`, and its result as `fit_resumable` returns it. Else None, and
    `model` is left as it is. (A caller skips the work that only feeds the fit, e.g. inputs.)"""
    saved = read_checkpoint(checkpoint) if checkpoint is not None else None
    if saved is None or not (saved["state"]["ended"] or saved["state"].get("stopping")):
        return None
    _assign(model.variables, saved["model"], "model")
    if not saved["state"]["ended"] and saved["best"]:
        # killed between early stopping's last epoch and the end of training: restore its best
        # weights as it would have
        model.set_weights(saved["best"])
    log(f"    read from {checkpoint}: ended after {saved['state']['epochs_done']} epochs")
    return {"history": saved["state"]["history"], "seconds": saved["state"]["seconds"],
            "resumed_at": saved["state"]["epochs_done"]}


def fit_resumable(model: keras.Model, batches: EpochBatches, validation_data, epochs: int, checkpoint: Path | None,
                  callbacks: list, log=print) -> dict:
    """`model.fit(batches, validation_data=..., epochs=epochs)`, checkpointed to `checkpoint` after
    every epoch and resumed from it when it exists (module docstring). `model` is compiled.
    Returns the whole history (every epoch, before and after a resume) and the seconds spent:
    {"history": {...}, "seconds": s, "resumed_at": epoch or None}.

    With `checkpoint` None it is a plain fit. A checkpoint of a fit that had ended (early stopping
    or the last epoch) only restores the final weights.
    """
    done = ended_fit(model, checkpoint, log)
    if done is not None:
        return done
    stateful = [c for c in callbacks if isinstance(c, tuple(CALLBACK_STATE))]
    saved = read_checkpoint(checkpoint) if checkpoint is not None else None
    start = saved["state"]["epochs_done"] if saved else 0
    if saved is not None:
        log(f"    resuming from {checkpoint} after epoch {start}")
    extra = [] if checkpoint is None else [_Checkpoint(checkpoint, stateful, saved,
                                                        saved["state"]["seconds"] if saved else 0.0)]
    began = time.perf_counter()
    # shuffle=False: keras would shuffle the batches' order with Python's random; EpochBatches
    # already orders each epoch by its seed.
    fitted = model.fit(batches, validation_data=validation_data, epochs=epochs, initial_epoch=start, verbose=0,
                       shuffle=False, callbacks=[_EpochOrder(batches), *callbacks, *extra])
    if extra:
        (done,) = extra
        return {"history": done.history, "seconds": done.state["seconds"], "resumed_at": start or None}
    return {"history": {k: [float(v) for v in vals] for k, vals in fitted.history.items()},
            "seconds": round(time.perf_counter() - began, 3), "resumed_at": None}


def _state_keys(callback) -> tuple[str, ...]:
    """The attributes CALLBACK_STATE names for `callback`'s class (or the class it derives from)."""
    return next(keys for cls, keys in CALLBACK_STATE.items() if isinstance(callback, cls))


def _assign(variables, values: list[np.ndarray], what: str) -> None:
    if len(variables) != len(values):
        raise ValueError(f"the checkpoint holds {len(values)} {what} variables, the model {len(variables)}: "
                         "it is another model's; remove it to start again")
    for variable, value in zip(variables, values, strict=True):
        if tuple(variable.shape) != value.shape:
            raise ValueError(f"the checkpoint's {what} variable {variable.path} has shape {value.shape}, "
                             f"the model's {tuple(variable.shape)}: it is another model's")
        variable.assign(value)


def _plain(value):
    """A callback counter as JSON: numpy scalars as Python numbers, infinities kept (json writes them)."""
    if value is None or isinstance(value, int | float | str):
        return value
    return float(value) if np.ndim(value) == 0 else value
