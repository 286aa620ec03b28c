"""``RunDescription``: one typed, versioned record of what a run is, built once at setup.

It is the single source of truth about a run: the resolved spec with its defaults filled in (per
role, never split from a printed string), the provenance of every component, the scale, the
channels with their names and units, the modality, the data and its splits, the normalisation,
the scoring protocol, the training options and the environment. It is written into every
checkpoint (``metadata["run"]``) and every run folder (``run.json``'s ``description``), and read
back by ``eval``, ``upscale``, ``bench``, ``report``, ``ablate``, ``explain`` and inference.

Checkpoints of the first build (metadata without ``run``) are upgraded on read; a schema newer
than this srzoo's, or metadata that is not srzoo's, is a clear error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from srzoo_core.errors import UsageError

SCHEMA_VERSION = 1

# Options that do not change what a run computes (where it runs, where it writes, how it reports).
NOT_RESULT_OPTIONS = frozenset({"out", "name", "resume", "device", "val_every", "val_batch", "workers", "max_bad_steps",
                                "time", "iters", "epochs", "extra", "log", "max_pixels"})


@dataclass(frozen=True)
class Channel:
    name: str
    unit: str | None = None

    def label(self) -> str:
        return f"{self.name} [{self.unit}]" if self.unit else self.name


@dataclass(frozen=True)
class ComponentRecord:
    """One term of the spec and the plugin that provided it."""

    role: str
    kind: str
    name: str
    options: dict[str, Any]
    plugin: str
    dist: str
    version: str


@dataclass
class RunDescription:
    roles: dict[str, str]                    # role -> canonical expression, e.g. {"gen": "srresnet+se", "loss": "l1+0.01*gan"}
    components: list[ComponentRecord]
    scale: int
    channels: list[Channel]
    modality: str
    data: dict[str, Any] = field(default_factory=dict)
    normaliser: dict[str, Any] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, Any] = field(default_factory=dict)
    schema: int = SCHEMA_VERSION

    # -- what the run is ---------------------------------------------------------------------

    @property
    def spec(self) -> str:
        """The canonical spec: every role, defaults included."""
        return " ".join(f"{role}={text}" for role, text in self.roles.items())

    def role_spec(self, *roles: str) -> str:
        """The canonical spec of some roles only, e.g. ``role_spec("gen")`` to rebuild the generator."""
        return " ".join(f"{role}={self.roles[role]}" for role in roles if role in self.roles)

    def without(self, *roles: str) -> str:
        return " ".join(f"{role}={text}" for role, text in self.roles.items() if role not in roles)

    @property
    def channel_names(self) -> list[str]:
        return [c.name for c in self.channels]

    @property
    def units(self) -> list[str | None]:
        return [c.unit for c in self.channels]

    @property
    def seed(self) -> int | None:
        return self.training.get("seed")

    def result_options(self) -> dict[str, Any]:
        """The training options that change results, less the seed (seeds are an arm's replicates)."""
        return {k: v for k, v in sorted(self.training.items()) if k not in NOT_RESULT_OPTIONS | {"seed", "spec", "data"}}

    def identity(self) -> dict[str, Any]:
        """What makes two runs replicates of one arm: everything but the seed (and the budget)."""
        return {"spec": self.spec, "scale": self.scale, "data": self.data.get("source", self.data.get("dataset")),
                "options": self.result_options()}

    def generator_components(self) -> list[ComponentRecord]:
        return [c for c in self.components if c.role == "gen"]

    # -- (de)serialisation --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "the checkpoint") -> "RunDescription":
        if not isinstance(data, dict):
            raise UsageError(f"{source} has no srzoo run description")
        schema = data.get("schema")
        if not isinstance(schema, int) or schema > SCHEMA_VERSION:
            raise UsageError(f"{source} was written by a newer srzoo (run description schema {schema!r}; this srzoo reads up to "
                             f"{SCHEMA_VERSION})", hint="upgrade srzoo: pip install -U srzoo -c constraints.txt")
        try:
            return cls(
                roles=dict(data["roles"]), components=[ComponentRecord(**c) for c in data["components"]],
                scale=int(data["scale"]), channels=[Channel(**c) for c in data["channels"]], modality=str(data["modality"]),
                data=dict(data.get("data") or {}), normaliser=dict(data.get("normaliser") or {}),
                protocol=dict(data.get("protocol") or {}), training=dict(data.get("training") or {}),
                environment=dict(data.get("environment") or {}), schema=schema,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(f"{source} holds a damaged run description ({type(exc).__name__}: {exc})") from None

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any], source: str = "the checkpoint") -> "RunDescription":
        """The description in a checkpoint's metadata; first-build checkpoints are upgraded."""
        if "run" in metadata:
            return cls.from_dict(metadata["run"], source)
        if "spec" in metadata and "scale" in metadata and "channels" in metadata:
            return _upgrade_first_build(metadata)
        raise UsageError(f"{source} is not a model checkpoint that srzoo can describe (no run description)",
                         hint="pass a .safetensors file written by 'srzoo train' or 'srzoo import'")


def _upgrade_first_build(meta: dict[str, Any]) -> RunDescription:
    """First-build metadata: a canonical spec string and loose fields. The spec was printed by the
    canonical printer, whose role parts are space-separated ``role=expr`` (no spaces inside)."""
    from srzoo_core.data.modality import PHOTO
    from srzoo_core.spec import parse

    parsed = parse(str(meta["spec"]))
    roles = {role: parsed.text[r.span[0]:r.span[1]].split("=", 1)[1] for role, r in parsed.roles.items()}
    data = dict(meta.get("data") or {})
    names = list(data.get("channel_names") or [])
    channels = int(meta["channels"])
    if len(names) != channels:
        names = [f"c{i}" for i in range(channels)]
    return RunDescription(
        roles=roles, components=[], scale=int(meta["scale"]), channels=[Channel(n) for n in names],
        modality=str(data.get("kind", PHOTO.name)),  # first-build photo checkpoints may lack it
        data=data, normaliser=dict(meta.get("normaliser") or {}),
        protocol=dict(meta.get("protocol") or {}), training={}, environment={"plugins": meta.get("plugins", {})},
    )


def describe_components(resolved: Any) -> list[ComponentRecord]:
    """Provenance of every term of a resolved spec."""
    return [ComponentRecord(role, t.info.kind, t.name, _jsonable(t.all_params()), t.info.provider.plugin,
                            t.info.provider.dist, t.info.provider.version)
            for role, t in resolved.terms()]


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, (str, int, float, bool)) or value is None:
            out[key] = value
        elif isinstance(value, (list, tuple)):
            out[key] = list(value)
        else:
            out[key] = repr(value)
    return out
