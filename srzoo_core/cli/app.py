"""The ``srzoo`` command. Importing this module builds the typer app but loads no plugin and no
torch; ``main()`` loads plugins (so they can add commands) and turns srzoo errors into one message
and an exit code, never a traceback."""

from __future__ import annotations

import os
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


def _register_builtin_commands() -> None:
    from srzoo_core.cli import components  # noqa: F401  (its decorators attach commands to app)


def fail(error: SrzooError) -> None:
    from srzoo_core.cli.output import stderr

    stderr.print(error.render(), markup=False, highlight=False)
    raise SystemExit(error.exit_code)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if STRICT_FLAG in args:
        os.environ[ENV_STRICT] = "1"
    try:
        _register_builtin_commands()
        from srzoo_core.registry import get_host

        get_host().register_commands(app)
        app(args=args, prog_name="srzoo", standalone_mode=True)
    except SrzooError as error:
        fail(error)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
