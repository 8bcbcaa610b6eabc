"""Optuna's TPE against Lunar's on the same objective and budget (issue 20).

The objective is the Sharpe ratio of each grid combination as `lunar sweep` measures it (the
whole grid is run once, with the bench's settings: 50 symbols × 2520 bars, fees 0.001), so both
searches see identical numbers and the cost is counted in evaluations, not seconds. Each search
gets a quarter of the grid; a combination the --where constraint refuses costs Optuna nothing
(it is told PRUNED and asked again), a repeated one costs an evaluation (Optuna may repeat).

    python3 -m venv .build-venv-optuna && .build-venv-optuna/bin/pip install -r bench/peers/requirements-optuna.txt
    .build-venv-optuna/bin/python bench/peers/tpe_optuna.py --lunar .build-rel/release/lunar
"""
import argparse, csv, os, subprocess, tempfile
import optuna

CASES = [
    ("sma_cross", "strategies/sma_cross.lua", [("fast", 2, 50, 2), ("slow", 10, 200, 10)]),
    ("four params", "bench/workloads/tpe_four_params.lua",
     [("fast", 5, 30, 5), ("slow", 40, 120, 20), ("trend", 4, 16, 4), ("ceiling", 60, 80, 10)]),
]


def grid(lunar, path, axes):
    out = tempfile.mkdtemp()
    args = [lunar, "sweep", path, "--data", "synthetic:50:2520", "--fees", "0.001", "--where", "fast < slow", "--out", out, "--rows", "1"]
    for name, lo, hi, step in axes:
        args += ["--param", f"{name}={lo}:{hi}:{step}"]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    table = {}
    with open(os.path.join(out, "sweep.csv")) as f:
        for row in csv.DictReader(f):
            table[tuple(int(float(row[a[0]])) for a in axes)] = float(row["sharpe"])
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lunar", required=True)
    lunar = os.path.abspath(ap.parse_args().lunar)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(f"optuna {optuna.__version__}")
    for name, path, axes in CASES:
        table = grid(lunar, path, axes)
        best = max(table.values())
        budget = len(table) // 4
        results = []
        for seed in (1, 2, 3):
            study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
            done, top = 0, float("-inf")
            while done < budget:
                t = study.ask()
                combo = tuple(t.suggest_int(a[0], a[1], a[2], step=a[3]) for a in axes)
                if combo[0] >= combo[1]:                      # fast < slow
                    study.tell(t, state=optuna.trial.TrialState.PRUNED)
                    continue
                v = table[combo]
                study.tell(t, v)
                done += 1
                top = max(top, v)
            results.append("reached" if top >= best - 1e-12 else f"best {top:.2f} of {best:.2f}")
        print(f"{name}: grid {len(table)} combinations, best sharpe {best:.2f}; Optuna TPE with {budget} evaluations: "
              + ", ".join(results) + " over seeds 1, 2, 3")


if __name__ == "__main__":
    main()
