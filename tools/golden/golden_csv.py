"""Number formatting and CSV writing shared by the golden-file scripts: every float as
repr(float(x)) (exact round trip; numpy 2 would print np.float64(...)), ints and bools as
integers, one "\n" line ending, so regenerated files are byte-identical."""

import csv
import io

import numpy as np


def r(x):
    if isinstance(x, (bool, np.bool_)):
        return "1" if x else "0"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return repr(float(x))


def write_csv(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([c if isinstance(c, str) else r(c) for c in row])
    with open(path, "w", newline="") as f:
        f.write(buf.getvalue())
