"""The ``srzoo`` command. Importing this module builds the typer app but loads no plugin and no
torch; ``main()`` loads plugins (so they can add commands) and turns srzoo errors into one message
and an exit code (1, or 2 for usage and spec errors), never a traceback."""

from __future__ import annotations

import importlib
import sys

import typer

from srzoo_core.errors import SrzooError
from srzoo_core.registry.host import ENV_STRICT

STRICT_FLAG = "--strict-plugins"

app = typer.Typer(
    name="srzoo",
    help="srzoo: a plugin-based super-resolution GAN model zoo.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    strict_plugins: bool = typer.Option(False, STRICT_FLAG, help=f"Fail if any installed plugin is broken (also {ENV_STRICT}=1)."),
) -> None:
    """srzoo: a plugin-based super-resolution GAN model zoo."""
    if strict_plugins:  # main() has already checked; this serves callers that invoke `app` directly
        from srzoo_core.registry import get_host

        get_host().check_strict()


# Modules whose decorators attach the built-in commands to ``app``.
BUILTIN_COMMANDS: tuple[str, ...] = (
    "srzoo_core.cli.components", "srzoo_core.cli.train", "srzoo_core.cli.upscale", "srzoo_core.cli.experiments",
    "srzoo_core.cli.export", "srzoo_core.cli.bench", "srzoo_core.cli.importer",
    "srzoo_core.cli.degrade",
)


def fail(error: SrzooError) -> None:
    from srzoo_core.cli.output import stderr

    stderr.print(error.render(), markup=False, highlight=False, soft_wrap=True)
    raise SystemExit(error.exit_code)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI. ``--strict-plugins`` may stand anywhere on the command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    strict = STRICT_FLAG in args
    args = [a for a in args if a != STRICT_FLAG]
    try:
        from srzoo_core.registry import get_host, strict_mode

        for module in BUILTIN_COMMANDS:
            importlib.import_module(module)
        host = get_host()
        host.register_commands(app)
        if strict or strict_mode():
            host.check_strict()
        app(args=args, prog_name="srzoo", standalone_mode=True)
    except SrzooError as error:
        fail(error)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
