"""Lunar on a Ray cluster: one Ray task per shard runs the `lunar` binary with `--shard K/N`,
and `lunar merge` puts the shards together into the result a single `lunar` command writes.

The binary, the strategy and the data must be on a path every node sees (the same path), as
must the shards' folder (`OUT.shards/` beside `--out`, or `--work`). See docs/cluster.md.
"""

from .driver import KINDS, ShardFailed, run_sharded

__all__ = ["KINDS", "ShardFailed", "run_sharded"]
