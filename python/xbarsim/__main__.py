"""``python -m xbarsim run|merge``: the sweep commands of the command line,
through this package (what the SLURM tasks of :func:`xbarsim.slurm` run
when no ``xbarsim`` binary is given).

    python -m xbarsim run CONFIG [--out DIR] [--shard K/N] [--jobs N] [--force] [--data DIR] [--quiet]
    python -m xbarsim merge DIR... [--out DIR]

Errors print the library's one-line message and exit 2, as the command
line does; Ctrl-C exits 130 with the units already computed saved.
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from . import XbarsimError, merge, run


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xbarsim", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    r = commands.add_parser("run", help="run a sweep config (xbarsim run)")
    r.add_argument("config", help="experiment config (TOML), or a shipped config's name")
    r.add_argument("-o", "--out", help="results directory [default: xbarsim-out/NAME]")
    r.add_argument("-j", "--jobs", type=int, help="threads [default: all cores]")
    r.add_argument("--force", action="store_true", help="replace another config's results in the directory")
    r.add_argument("--shard", metavar="K/N", help="run only shard K of N; join the shards with merge")
    r.add_argument("--data", metavar="DIR", help="MNIST/CIFAR directory or .npz for every [data] section")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    m = commands.add_parser("merge", help="join the shards of a sweep (xbarsim merge)")
    m.add_argument("dirs", nargs="+", metavar="DIR", help="results directories of the shards")
    m.add_argument("-o", "--out", help="where the merged table goes [default: the first DIR]")
    a = parser.parse_args(argv)
    try:
        if a.command == "run":
            table = run(
                a.config, a.out, jobs=a.jobs, force=a.force, data=a.data, shard=a.shard, progress=not a.quiet
            )
            if table is not None:
                print(f"{a.config}: {table.shape[0]} rows")
        else:
            table = merge(a.dirs, a.out)
            print(f"merged {len(a.dirs)} director{'y' if len(a.dirs) == 1 else 'ies'}: {table.shape[0]} rows")
    except XbarsimError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: the units computed are saved; run again to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
