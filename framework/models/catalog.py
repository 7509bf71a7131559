"""Every network by name and the keys its builder reads (``model.KEY``), with what each takes.
Imports no torch: the config is checked against it before anything heavy is imported.

A rule is a ``framework.front_door.rules`` check; a builder that reads a new key adds it here, and
``nn-train`` then accepts (and checks) ``model.KEY=VALUE``.
"""

from __future__ import annotations

from framework.front_door import rules

SIZES = rules.sizes()
DROPOUT = rules.fraction(low_inclusive=True)

MODEL_KEYS: dict[str, dict[str, rules.Rule]] = {
    "mlp": {
        "hidden": SIZES,
        "dropout": DROPOUT,
        "norm": rules.choice(None, "batch_norm", "layer_norm"),
        "output_activation": rules.plugin_name("activation", nullable=True),
        "compact": rules.boolean(),
    },
    "convnet": {
        "channels": SIZES,
        "kernel_size": rules.positive_int(),
        "pool": rules.positive_int(),
        "hidden": SIZES,
        "dropout": DROPOUT,
    },
    "rnn": {
        "cell": rules.choice("rnn", "gru", "lstm"),
        "hidden_size": rules.positive_int(),
        "num_layers": rules.positive_int(),
        "hidden": SIZES,
    },
    "sequential": {
        "layers": rules.layer_list(),
        "head": rules.boolean(),
    },
}
# keys every network takes (read by the training run, not the builder)
COMMON_KEYS: dict[str, rules.Rule] = {"compile": rules.boolean()}
for _keys in MODEL_KEYS.values():
    _keys.update(COMMON_KEYS)
MODELS = tuple(MODEL_KEYS)
# networks that take images (C, H, W): an image data set feeds them images, others flat vectors
TAKES_IMAGES = ("convnet",)
