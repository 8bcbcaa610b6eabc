"""Golden numbers for Lunar's overfitting statistics (LunarStats), computed independently from
the papers' formulas with numpy/scipy, and the automatic block length with the `arch` package.

  psr_dsr.csv   PSR (Bailey & López de Prado 2012, eq. 11) and DSR (2014, eq. 2) of seeded
                return series (normal, skewed, fat-tailed), several benchmarks and trial counts
  pbo.csv       PBO by CSCV (Bailey, Borwein, López de Prado & Zhu 2016) on matrices with known
                answers: pure noise, and noise with one trial given a real edge
  block.csv     arch.bootstrap.optimal_block_length(x)["stationary"] on seeded AR(1) series
  series/*.csv  the inputs, one value per line, so the Swift tests read exactly these numbers
"""
import argparse, itertools, math, os
import numpy as np
import pandas as pd
import quantstats as qs
from scipy import stats
from arch.bootstrap import optimal_block_length

EULER = 0.5772156649015329


def moments(r):
    return len(r), r.mean(), r.std(ddof=1), stats.skew(r), stats.kurtosis(r, fisher=False)


def psr(r, benchmark):
    n, mu, sd, g3, g4 = moments(r)
    sr = mu / sd
    return stats.norm.cdf((sr - benchmark) * math.sqrt(n - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr * sr))


def expected_max(trials, variance):
    if trials <= 1:
        return 0.0
    return math.sqrt(variance) * ((1 - EULER) * stats.norm.ppf(1 - 1 / trials) + EULER * stats.norm.ppf(1 - 1 / (trials * math.e)))


def sharpe(x):
    sd = x.std(ddof=1)
    return x.mean() / sd if sd > 0 else np.nan


def pbo(m, S):
    """m: T x N returns. Blocks of T//S rows (the remainder dropped at the end)."""
    T, N = m.shape
    size = T // S
    blocks = [m[b * size:(b + 1) * size] for b in range(S)]
    logits = []
    for chosen in itertools.combinations(range(S), S // 2):
        rest = [b for b in range(S) if b not in chosen]
        ins = np.vstack([blocks[b] for b in chosen])
        oos = np.vstack([blocks[b] for b in rest])
        is_sr = np.array([sharpe(ins[:, n]) for n in range(N)])
        os_sr = np.array([sharpe(oos[:, n]) for n in range(N)])
        best = int(np.nanargmax(is_sr))
        rank = stats.rankdata(os_sr)[best]            # average ranks for ties, 1..N
        w = rank / (N + 1)
        logits.append(math.log(w / (1 - w)))
    logits = np.array(logits)
    return float((logits <= 0).mean()), logits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    out = ap.parse_args().out
    os.makedirs(os.path.join(out, "series"), exist_ok=True)
    rng = np.random.default_rng(20)

    def save(name, x):
        np.savetxt(os.path.join(out, "series", name + ".csv"), x, fmt="%.17g")

    rows = ["series,benchmark,trials,variance,psr,expected_max,dsr"]
    series = {
        "normal": rng.normal(0.0008, 0.01, 750),
        "skewed": rng.gamma(2.0, 0.005, 500) - 0.0095,
        "fat": rng.standard_t(3, 1000) * 0.008 + 0.0004,
    }
    for name, r in series.items():
        save(name, r)
        for bench in [0.0, 0.02]:
            for trials, var in [(1, 0.0), (10, 0.0009), (1000, 0.0004)]:
                p = psr(r, bench)
                e = expected_max(trials, var)
                rows.append(f"{name},{bench!r},{trials},{var!r},{float(p)!r},{float(e)!r},{float(psr(r, e))!r}")
    open(os.path.join(out, "psr_dsr.csv"), "w").write("\n".join(rows) + "\n")

    # quantstats' probabilistic_sharpe_ratio, for comparison: it uses pandas' bias-corrected
    # skewness and excess kurtosis, and subtracts 3 from the excess kurtosis once more.
    rows = ["series,quantstats_psr"]
    for name, r in series.items():
        days = pd.bdate_range("2020-01-01", periods=len(r))   # quantstats wants dated returns
        value = float(qs.stats.probabilistic_sharpe_ratio(pd.Series(r, index=days)))
        rows.append(f"{name},{value!r}")
    open(os.path.join(out, "quantstats_psr.csv"), "w").write("\n".join(rows) + "\n")

    rows = ["case,blocks,pbo,logit_mean,logit_min,logit_max"]
    noise = rng.normal(0, 0.01, (400, 20))
    edge = noise.copy()
    edge[:, 7] += 0.004                                   # trial 7 has a real edge
    for name, m in [("noise", noise), ("edge", edge)]:
        np.savetxt(os.path.join(out, "series", f"pbo_{name}.csv"), m, fmt="%.17g", delimiter=",")
        for S in [8, 16]:
            p, lg = pbo(m, S)
            rows.append(f"{name},{S},{p!r},{float(lg.mean())!r},{float(lg.min())!r},{float(lg.max())!r}")
    open(os.path.join(out, "pbo.csv"), "w").write("\n".join(rows) + "\n")

    rows = ["series,phi,n,block"]
    for phi, n in [(0.0, 500), (0.5, 800), (0.9, 1200), (-0.3, 300)]:
        e = rng.normal(0, 1, n)
        x = np.zeros(n)
        for t in range(n):
            x[t] = (phi * x[t - 1] if t else 0) + e[t]
        name = f"ar_{phi}_{n}"
        save(name, x)
        b = float(optimal_block_length(x)["stationary"].iloc[0])
        rows.append(f"{name},{phi!r},{n},{b!r}")
    open(os.path.join(out, "block.csv"), "w").write("\n".join(rows) + "\n")
    import scipy, arch
    open(os.path.join(out, "versions.csv"), "w").write(
        f"package,version\nnumpy,{np.__version__}\nscipy,{scipy.__version__}\narch,{arch.__version__}\n"
        f"pandas,{pd.__version__}\nquantstats,{qs.__version__}\n")


if __name__ == "__main__":
    main()
