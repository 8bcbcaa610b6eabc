"""Reads lunar's per-symbol CSV folders (`lunar data gen`) for the peer scripts."""
import os

import pandas as pd


def read_symbols(folder, n=None):
    """(symbol, DataFrame indexed by date) for the first n files in name order (all by default)."""
    files = sorted(f for f in os.listdir(folder) if f.endswith(".csv"))[:n]
    return [(f[:-4], pd.read_csv(os.path.join(folder, f), index_col="date", parse_dates=True)) for f in files]


def load_closes(folder):
    """The close of every symbol, one column each."""
    return pd.DataFrame({sym: df["close"] for sym, df in read_symbols(folder)})
