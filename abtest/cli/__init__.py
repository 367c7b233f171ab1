"""The ``abtest`` command line: thin commands over the library.

Each subcommand lives in its own module and is imported only when it runs, so
``abtest validate`` never pays for pandas, scipy or matplotlib.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

DISTRIBUTION = "abtest-cro"  # the name on the package index (the import name is abtest)

# command name -> (module, attribute, one-line help shown by `abtest --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("abtest.cli.validate", "validate", "Check experiment YAML files (for CI)."),
    "schema": ("abtest.cli.validate", "schema", "Print the JSON Schema of an experiment file."),
    "plan": ("abtest.cli.plan", "plan", "Sample size, MDE and duration for a design."),
    "analyze": ("abtest.cli.analyze", "analyze", "Analyse one experiment's data."),
    "report": ("abtest.cli.report", "report", "Weekly report over every running experiment."),
    "assign": ("abtest.cli.serve", "assign", "Assign a file of unit ids to their variants."),
    "export": ("abtest.cli.serve", "export", "Export running experiments for a website."),
    "demo": ("abtest.cli.demo", "demo", "The whole flow on the bundled example."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name, (mod, _, _) in COMMANDS.items() if _available(mod)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _available(entry[0]):
            return None
        return getattr(importlib.import_module(entry[0]), entry[1])

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def installed_version() -> str:
    """The installed distribution's version (``importlib.metadata``), or the source's own
    ``abtest.__version__`` marked as not installed (run from a checkout on PYTHONPATH),
    so that ``abtest --version`` never fails."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        from abtest import __version__

        return f"{__version__} (a source checkout, not installed)"


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"abtest ({DISTRIBUTION}) {installed_version()}")
        ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help=f"Show the version of abtest (the {DISTRIBUTION} distribution) and exit.",
)
def main() -> Any:
    """abtest: plan, check and analyse A/B tests of landing pages and funnels.

    \b
    Typical flow:
      abtest validate experiments/          check the registry (CI)
      abtest plan --baseline 0.05 --mde 0.1 --daily-visitors 4000
      abtest analyze EXPERIMENT --registry experiments/ --data events/
      abtest report experiments/ --data events/ --out report.html
      abtest demo                           everything on bundled example data
    """


if __name__ == "__main__":  # pragma: no cover
    main()
