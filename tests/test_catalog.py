"""The torch-free catalog (config validation, --help) reads the same ``PluginSignature`` as the
runtime registries: one representation, filled from source before torch and from the class
after."""

from __future__ import annotations

from framework.contract.registries import REGISTRIES
from framework.contract.signature import signature_of
from framework.front_door.plugin_catalog import build_catalog


def test_catalog_matches_registry_for_every_builtin() -> None:
    catalog = build_catalog()
    for kind, registry in REGISTRIES.items():
        builtins = [e for e in registry.entries() if e.origin == "built-in"]
        assert sorted(i.name for i in catalog.canonical(kind)) == sorted(e.name for e in builtins)
        for entry in builtins:
            info = catalog.get(kind, entry.name)
            assert info is not None
            assert set(info.aliases) == set(entry.aliases), entry.name
            runtime = signature_of(entry.cls)
            assert info.params == runtime.parameters, entry.name
            assert info.signature.learnables == runtime.learnables, entry.name
            for name, param in runtime.settable.items():
                assert info.settable[name].kinds == param.kinds, (entry.name, name)


def test_catalog_reads_user_files(bent_file) -> None:
    catalog = build_catalog([str(bent_file)])
    info = catalog.get("activation", "bent_identity")
    assert info is not None and info.origin == f"file:{bent_file}" and info.params == {}
