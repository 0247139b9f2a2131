"""An offline demo: a seeded fake AWS account served in-process, collected by the real collectors.

Needs the `demo` extra (moto). See `costkit.collect.fake_account` for the estate and its known numbers.
"""

from __future__ import annotations

from rich.console import Console

from costkit.collect.run import CollectOptions
from costkit.sources.snapshot.folder import Snapshot


def collect_demo(options: CollectOptions, console: Console, *, quiet: bool = False) -> Snapshot:
    """Serve the fake account, then collect it through the same code path as a real account."""
    from costkit.errors import CostkitError

    try:
        from costkit.collect.fake_account import fake_account
    except ImportError as error:  # moto is an optional extra
        raise CostkitError(
            f"the demo needs moto ({error.name} is not installed)", hint='pip install ".[demo]"'
        ) from None
    from costkit.cli import collect_support

    with fake_account(options.window) as session:
        options.regions = options.regions or ["us-east-1", "ap-northeast-1"]
        options.cache_dir = None  # the fake Cost Explorer answers must not be cached as if real
        return collect_support.run_with_session(session, options, console, quiet=quiet)
