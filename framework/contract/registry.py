"""One generic plugin registry; one instance per kind (activation, loss, layer).

A registry maps names to plugin classes (subclasses of the kind's ``torch.autograd.Function`` base
class). Built-in plugins and third-party plugins (entry-point group ``framework.plugins``) are
loaded lazily, the first time a registry is asked about its contents. This module imports no torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from framework.contract import discovery
from framework.front_door.suggest import unknown_name_message


class PluginNotFoundError(KeyError):
    """An unknown plugin name; the message names close matches and lists the valid names."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class DuplicatePluginError(ValueError):
    """A second plugin registered under a taken name without ``override=True``."""


@dataclass(frozen=True)
class Entry:
    """One registered plugin: its canonical name, class, aliases and where it came from."""

    name: str
    cls: type
    origin: str
    aliases: tuple[str, ...] = field(default=())


class Registry:
    """Name -> plugin class, with decorator registration and ``build`` into an ``nn.Module``.

    >>> ACTIVATIONS.names()[:3]            # doctest: +SKIP
    ['celu', 'elu', 'gelu']
    >>> ACTIVATIONS.build("leaky_relu", negative_slope=0.1)   # doctest: +SKIP
    LeakyReLU(negative_slope=0.1)
    """

    def __init__(self, kind: str, base: str) -> None:
        self.kind = kind
        self._base = base  # name of the base class in framework.contract.function (imported lazily)
        self._entries: dict[str, Entry] = {}  # canonical names and aliases -> entry

    # -- registration ------------------------------------------------------------------------
    def register(
        self, name: str, *, aliases: tuple[str, ...] | list[str] = (), override: bool = False
    ) -> Callable[[type], type]:
        """Class decorator: ``@ACTIVATIONS.register("relu")``.

        A name (or alias) that is already taken is an error unless ``override=True``.
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"plugin names must be identifiers like 'leaky_relu', got {name!r}")

        def decorator(cls: type) -> type:
            self._check_base(cls, name)
            entry = Entry(name, cls, discovery.current_origin(cls), tuple(aliases))
            for key in (name, *entry.aliases):
                old = self._entries.get(key)
                if old is not None and not override and not _same_class(old.cls, cls):
                    raise DuplicatePluginError(
                        f"{self.kind} {key!r} is already registered by {old.cls.__module__}."
                        f"{old.cls.__qualname__} ({old.origin}); pass override=True to "
                        f"replace it on purpose, or choose another name."
                    )
            for key in (name, *entry.aliases):
                self._entries[key] = entry
            cls.plugin_name = name
            cls.plugin_kind = self.kind
            return cls

        return decorator

    def _check_base(self, cls: type, name: str) -> None:
        from framework.contract import function

        base = getattr(function, self._base)
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise TypeError(
                f"{self.kind} plugin {name!r} must be a class deriving from "
                f"framework.{self._base}, got {cls!r}"
            )

    # -- lookup --------------------------------------------------------------------------------
    def _ready(self) -> dict[str, Entry]:
        discovery.load_all()
        return self._entries

    def names(self) -> list[str]:
        """Sorted list of every registered name, aliases included."""
        return sorted(self._ready())

    def entries(self) -> list[Entry]:
        """One entry per plugin (aliases folded in), sorted by canonical name."""
        unique = {e.name: e for e in self._ready().values()}
        return [unique[n] for n in sorted(unique)]

    def __contains__(self, name: object) -> bool:
        return name in self._ready()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._ready())

    def entry(self, name: str) -> Entry:
        """The entry for ``name``; ``PluginNotFoundError`` (a ``KeyError``) if unknown."""
        entries = self._ready()
        if name not in entries:
            message = unknown_name_message(self.kind, name, sorted(entries))
            for err in discovery.load_errors:  # the plugin may live in a package that failed
                message += f" Note: plugin package {err.source} failed to import: {err.message}"
            raise PluginNotFoundError(message)
        return entries[name]

    def get(self, name: str) -> type:
        """The plugin class (a ``torch.autograd.Function``) registered as ``name``."""
        return self.entry(name).cls

    def build(self, name: str, **params: Any) -> Any:
        """A ``torch.nn.Module`` applying plugin ``name`` with ``params``."""
        from framework.contract.module import module_class

        return module_class(self.get(name))(**params)

    def unregister(self, name: str) -> None:
        """Remove a plugin and its aliases (mainly for tests and interactive sessions)."""
        entry = self.entry(name)
        for key in (entry.name, *entry.aliases):
            self._entries.pop(key, None)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._entries)} names)"


def _same_class(a: type, b: type) -> bool:
    """The same plugin seen twice (a module imported again under its own name)."""
    return a is b or (a.__module__ == b.__module__ and a.__qualname__ == b.__qualname__)
