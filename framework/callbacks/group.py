"""The framework's own logging callbacks behind one Lightning callback.

Lightning calls every hook of every callback on every step (six hooks a training step), each
through the profiler's context manager, whether the callback defines the hook or not. With ten
logging callbacks that is sixty calls a step that do nothing (measured: 0.05–0.1 ms a step on
this project's 2-core machine, 1–2 % of a small network's step). A ``CallbackGroup`` is one
callback to Lightning and forwards each hook only to the members that define it, in their order.

Members must keep no checkpoint state (``state_dict``, ``on_save_checkpoint``): the group has
none. ``members`` lists them, for code that looks for one by type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import lightning as L

#: every hook of ``lightning.Callback`` a member may define (checkpoint hooks excluded)
HOOKS = tuple(
    name
    for name, value in vars(L.Callback).items()
    if callable(value)
    and name.startswith(("on_", "setup", "teardown"))
    and name not in ("on_save_checkpoint", "on_load_checkpoint")
)
STATEFUL = ("state_dict", "load_state_dict", "on_save_checkpoint", "on_load_checkpoint")


def _defines(callback: L.Callback, hook: str) -> bool:
    return getattr(type(callback), hook, None) is not getattr(L.Callback, hook)


def _stateful(callback: L.Callback) -> list[str]:
    """The checkpoint-state methods ``callback`` defines."""
    return [name for name in STATEFUL if _defines(callback, name)]


def _forward(methods: list[Callable[..., Any]]) -> Callable[..., None]:
    def hook(*args: Any, **kwargs: Any) -> None:
        for method in methods:
            method(*args, **kwargs)

    return hook


class CallbackGroup(L.Callback):
    """Several stateless callbacks that Lightning sees as one (see the module)."""

    def __init__(self, members: Iterable[L.Callback]) -> None:
        self.members = list(members)
        self._state_key = f"CallbackGroup[{','.join(type(m).__name__ for m in self.members)}]"
        for member in self.members:
            stateful = _stateful(member)
            if stateful:
                raise ValueError(
                    f"{type(member).__name__} keeps checkpoint state ({', '.join(stateful)}) "
                    f"and cannot be grouped"
                )
        for hook in HOOKS:
            methods = [getattr(m, hook) for m in self.members if _defines(m, hook)]
            if methods:  # else the base class's no-op stays
                setattr(self, hook, _forward(methods))

    @property
    def state_key(self) -> str:  # read by Lightning on every hook call: built once
        return self._state_key

    def __repr__(self) -> str:
        return f"CallbackGroup({', '.join(type(m).__name__ for m in self.members)})"


def groupable(callback: L.Callback) -> bool:
    """The framework's own (``framework.callbacks.*``) stateless callbacks; checkpoint writers
    stay apart (Lightning orders and finds them by type)."""
    from lightning.pytorch.callbacks import Checkpoint

    return (
        type(callback).__module__.startswith("framework.callbacks.")
        and not isinstance(callback, Checkpoint)
        and not _stateful(callback)
    )


def group_own(callbacks: list[L.Callback]) -> list[L.Callback]:
    """``callbacks`` with the groupable ones as one group at the place of the first of them;
    the others (Lightning's, checkpoint writers, users') stay as they are."""
    own = [c for c in callbacks if groupable(c)]
    if len(own) < 2:
        return list(callbacks)
    out: list[L.Callback] = []
    for callback in callbacks:
        if callback is own[0]:
            out.append(CallbackGroup(own))
        elif not any(callback is o for o in own):
            out.append(callback)
    return out
