"""How `python -m training detector` trains: `DetectorConfig` (every field a flag, its help text the
field's comment; saved in the run folder's report.json under "config") and the `tf.distribute`
strategy its nets are fitted in. Importing this module does not start TensorFlow."""

from __future__ import annotations

from dataclasses import dataclass

from training.common import option

STRATEGIES = ("default", "mirrored")


@dataclass(frozen=True)
class DetectorConfig:
    layout: str = option("scut", "scut, celeba or wider (the data layouts above)")
    val_fraction: float = option(0.1, "share of the training photos held out to choose each net's epoch")
    seed: int = option(0, "seed of the hold-out, the sample boxes and the initial weights")
    max_photos: int = option(0, "train on at most this many training photos (0: all), for a quick run")
    epochs: int = option(16, "epochs per net")
    batch_size: int = option(256, "samples per step (over all replicas)")
    learning_rate: float = option(1e-3, "Adam's initial learning rate")
    decay_epochs: str = option("8,12", "comma list of epochs after which the learning rate is multiplied by --decay")
    decay: float = option(0.1, "step-decay factor")
    near_per_face: int = option(24, "random boxes around each true face (mostly positives and parts)")
    anywhere_per_photo: int = option(24, "random boxes anywhere in a photo (mostly negatives)")
    mined_negatives_per_photo: int = option(24, "at most this many of the earlier nets' false alarms per photo")
    crops_per_negative_photo: int = option(200, "random crops of each face-free photo (--negatives)")
    strategy: str = option("default", "default (one device) or mirrored (tf.distribute.MirroredStrategy over every "
                                      "GPU, or over --cpu-replicas logical CPUs where there is none)")
    cpu_replicas: int = option(2, "logical CPU devices for --strategy mirrored on a machine without a GPU")

    def decay_at(self) -> list[int]:
        try:
            epochs = sorted(int(e) for e in self.decay_epochs.split(",") if e.strip())
        except ValueError:
            raise ValueError(f"--decay-epochs takes a comma list of epochs, not {self.decay_epochs!r}") from None
        if any(e < 1 for e in epochs):
            raise ValueError(f"--decay-epochs must be positive epochs, not {self.decay_epochs!r}")
        return epochs

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {self.strategy!r}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"--val-fraction must be between 0 and 1, not {self.val_fraction}")
        if self.epochs < 1 or self.batch_size < 1 or self.cpu_replicas < 1:
            raise ValueError("--epochs, --batch-size and --cpu-replicas must be at least 1")
        self.decay_at()


def make_strategy(name: str, cpu_replicas: int = 2):
    """The tf.distribute strategy nets are fitted in.

    default   TensorFlow's default strategy (one device).
    mirrored  MirroredStrategy over every GPU; on a machine without one, over `cpu_replicas`
              logical CPU devices (the same synchronous data-parallel engine, here to test it).
              Must be made before TensorFlow runs anything.
    """
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name != "mirrored":
        raise ValueError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {name!r}")
    if tf.config.list_physical_devices("GPU"):
        return tf.distribute.MirroredStrategy()
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_replicas)
    except RuntimeError:
        raise RuntimeError("--strategy mirrored must split the CPU before TensorFlow starts; "
                           "make the strategy first") from None
    return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(cpu_replicas)])
