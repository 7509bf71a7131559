"""Random-number-generator states in every checkpoint, so that a resumed run draws the same
dropout masks as the run left alone."""

from __future__ import annotations

import random
from typing import Any

import lightning as L
import numpy as np
import torch


class RNGStateCallback(L.Callback):
    """Saves Python's, NumPy's and torch's RNG states with the checkpoint; restores them."""

    def state_dict(self) -> dict[str, Any]:
        np_state = np.random.get_state()
        return {
            "python": list(random.getstate()[1]),
            "python_version": random.getstate()[0],
            "python_gauss": random.getstate()[2],
            "numpy_keys": torch.from_numpy(np_state[1].astype(np.int64)),
            "numpy_rest": [np_state[2], np_state[3], np_state[4]],
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        random.setstate((state["python_version"], tuple(state["python"]), state["python_gauss"]))
        pos, has_gauss, cached = state["numpy_rest"]
        keys = state["numpy_keys"].numpy().astype(np.uint32)
        np.random.set_state(("MT19937", keys, pos, has_gauss, cached))
        torch.set_rng_state(state["torch"])
        if state["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])
