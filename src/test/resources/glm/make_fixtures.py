#!/usr/bin/python3
"""Generates the GLM test fixtures once (committed beside this script; tests do not run Python).

  /usr/bin/python3 make_fixtures.py   # needs numpy, scipy, statsmodels, mpmath; and /work/shared/tools/glm_peer.py

ols_*: a full-rank design (block, two covariates, constant) and 24 units; statsmodels OLS t_test of
  'task - 0.5*cov1'.  ar1_*: glm_peer.run_glm (nilearn's AR(1) algorithm in NumPy) on glm_peer's design.
mt_*: p values and statsmodels multipletests (bonferroni, fdr_bh).  hrf_*: SPM and Glover kernels per
nilearn's formula with scipy's gamma pdf.  tails.tsv: exact t tail probabilities and z scores (mpmath).
"""
import os, sys
import numpy as np
import scipy.stats as st
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests
import mpmath

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, "/work/shared/tools")
import glm_peer  # noqa: E402


def tsv(name, header, rows):
    with open(os.path.join(here, name), "w") as f:
        f.write("\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(repr(float(v)) if not isinstance(v, str) else v for v in r) + "\n")


rng = np.random.default_rng(20240601)

# ---- OLS vs statsmodels ----
T, U = 300, 24
task = ((np.arange(T) // 30) % 2).astype(float)
cov1 = np.sin(np.arange(T) / 17.0)
cov2 = rng.standard_normal(T)
X = np.column_stack([task, cov1, cov2, np.ones(T)])
Y = rng.standard_normal((T, U))
Y[1:] += 0.3 * Y[:-1]
Y += 5.0 + 0.4 * task[:, None] * (np.arange(U) % 3)[None, :] + 0.2 * cov1[:, None]
c = np.array([1, -0.5, 0, 0])
tv, ef, sd = [], [], []
for u in range(U):
    res = sm.OLS(Y[:, u], X).fit()
    tt = res.t_test(c)
    tv.append(float(np.squeeze(tt.tvalue))); ef.append(float(np.squeeze(tt.effect))); sd.append(float(np.squeeze(tt.sd)))
np.save(os.path.join(here, "ols_Y.npy"), Y)
tsv("ols_design.tsv", ["task", "cov1", "cov2", "constant"], X)
tsv("ols_expected.tsv", ["t", "effect", "sd"], zip(tv, ef, sd))

# ---- AR(1) vs glm_peer.run_glm ----
T, U = 400, 40
Xa = glm_peer.design(T, 5, rng)
Ya = rng.standard_normal((T, U))
for t in range(1, T):
    Ya[t] += 0.5 * Ya[t - 1]
Ya[:, :10] += 0.3 * Xa[:, :1]
ca = np.zeros(Xa.shape[1]); ca[0] = 1
eff, var, tval, rho = glm_peer.run_glm(Xa, Ya, ca)
np.save(os.path.join(here, "ar1_Y.npy"), Ya)
tsv("ar1_design.tsv", ["block", "c0", "c1", "c2", "c3"], Xa)
tsv("ar1_expected.tsv", ["rho", "effect", "variance", "t"], zip(rho, eff, var, tval))

# ---- multiple comparisons ----
p = np.concatenate([rng.uniform(0, 1, 150), rng.uniform(0, 0.002, 40), [0.01, 0.01, 0.01, 1e-300, 1.0, 0.5]])
rng.shuffle(p)
_, bonf, _, _ = multipletests(p, alpha=0.05, method="bonferroni")
_, bh, _, _ = multipletests(p, alpha=0.05, method="fdr_bh")
tsv("mt_expected.tsv", ["p", "bonferroni", "fdr_bh"], zip(p, bonf, bh))

# ---- HRF kernels (nilearn's _gamma_difference_hrf with scipy's gamma pdf), tr = 1, oversampling 50 ----
def gamma_difference_hrf(tr, oversampling, delay, undershoot, dispersion, u_dispersion, ratio, time_length=32.0):
    dt = tr / oversampling
    ts = np.linspace(0, time_length, np.rint(float(time_length) / dt).astype(int))
    peak = st.gamma.pdf(ts, delay / dispersion, loc=dt, scale=dispersion)
    under = st.gamma.pdf(ts, undershoot / u_dispersion, loc=dt, scale=u_dispersion)
    h = peak - ratio * under
    return h / h.sum()

spm = gamma_difference_hrf(1.0, 50, 6, 16, 1, 1, 0.167)
glover = gamma_difference_hrf(1.0, 50, 6, 12, 0.9, 0.9, 0.48)
np.save(os.path.join(here, "hrf_spm.npy"), spm)
np.save(os.path.join(here, "hrf_glover.npy"), glover)

# ---- t tails: exact log10 P(T > t) and z = isf(P) with mpmath ----
mpmath.mp.dps = 60
rows = []
for dof in (10, 100, 638, 10000):
    for t in (0.5, 1.96, 5, 10, 20, 40, 80, 200, 1000):
        x = mpmath.mpf(dof) / (dof + mpmath.mpf(t) ** 2)
        sf = mpmath.betainc(mpmath.mpf(dof) / 2, mpmath.mpf(1) / 2, 0, x, regularized=True) / 2
        if sf < mpmath.mpf(10) ** -1500:
            continue
        z = -mpmath.sqrt(2) * mpmath.erfinv(2 * sf - 1) if sf > mpmath.mpf(10) ** -30 else None
        if z is None:  # solve Q(z) = sf in high precision
            z = mpmath.findroot(lambda zz: mpmath.log(mpmath.erfc(zz / mpmath.sqrt(2)) / 2) - mpmath.log(sf), mpmath.sqrt(-2 * mpmath.log(sf)))
        rows.append((dof, t, float(mpmath.log10(sf)), float(z)))
tsv("tails.tsv", ["dof", "t", "log10_sf", "z"], rows)
print("fixtures written to", here)

# ---- AR(1) without a constant column: nilearn removes one global mean of the OLS residuals ----
Xn = Xa[:, [0, 2, 3, 4]]
eff, var, tval, rho = glm_peer.run_glm(Xn, Ya, np.array([1.0, 0, 0, 0]))
tsv("ar1_noconst_expected.tsv", ["rho", "effect", "variance", "t"], zip(rho, eff, var, tval))
