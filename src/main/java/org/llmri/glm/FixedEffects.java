package org.llmri.glm;

import java.util.List;
import org.llmri.LlmriException;

/**
 * Fixed-effects combination of one t contrast across runs, as nilearn's compute_fixed_effects:
 * inverse-variance weighting, effect = Σ(e/v)/Σ(1/v), variance = 1/Σ(1/v), t = effect/√variance,
 * dof = Σ dof. Variances are floored at 1e-50 (nilearn's tiny).
 */
public final class FixedEffects {
    private FixedEffects() {}

    public static ContrastMaps combine(List<ContrastMaps> runs) {
        if (runs.isEmpty()) throw new IllegalArgumentException("no runs to combine");
        ContrastMaps first = runs.get(0);
        if (first.isF()) throw new LlmriException("fixed effects combine t contrasts, not the F contrast '" + first.label() + "'");
        int n = first.units();
        double dof = 0;
        for (ContrastMaps m : runs) {
            if (m.units() != n) throw new LlmriException("runs have different numbers of units (" + m.units() + " vs " + n + ")");
            dof += m.dof();
        }
        double[] eff = new double[n], var = new double[n], t = new double[n], z = new double[n], p = new double[n];
        boolean[] constant = new boolean[n];
        for (int u = 0; u < n; u++) {
            double num = 0, den = 0;
            boolean allZero = true;
            for (ContrastMaps m : runs) {
                double v = Math.max(m.variance()[u], GlmFitter.TINY);
                num += m.effect()[u] / v;
                den += 1 / v;
                allZero &= m.variance()[u] == 0 && m.effect()[u] == 0;
            }
            constant[u] = allZero;
            var[u] = 1 / den;
            eff[u] = num * var[u];
            t[u] = num / Math.sqrt(den);
        }
        ContrastMaps.fillZP(false, 1, dof, t, z, p, constant);
        return new ContrastMaps(first.label(), false, n, dof, 1, eff, var, t, z, p);
    }
}
