package org.llmri.glm;

import java.util.List;
import org.hipparchus.distribution.continuous.NormalDistribution;

/**
 * Power of the prompt-level test (see {@link PromptLevel}) for a block design. The effect d is in
 * between-prompt SDs (the SD of prompt means within a condition). The t of a unit with effect d has
 * N − 2R degrees of freedom and non-centrality d·√(Σ_r n1_r·n0_r/n_r). The family-wise critical value is
 * the two-sided Bonferroni (Šidák-like) t over the units, which max-T matches for independent units and
 * undercuts for correlated ones (so the power here is a floor). The non-central t tail uses the normal
 * approximation P(T' &gt; c) ≈ Φ((δ − c(1 − 1/(4ν))) / √(1 + c²/(2ν))) (Abramowitz and Stegun 26.7.10).
 */
public final class Power {
    private Power() {}

    /** A design: runs, and per run its task and control prompts. */
    public record Design(int runs, int taskPrompts, int controlPrompts) {
        public int dof() {
            return runs * (taskPrompts + controlPrompts) - 2 * runs;
        }

        public double sumW() {
            return runs * (double) taskPrompts * controlPrompts / (taskPrompts + controlPrompts);
        }

        public String describe() {
            return runs + " runs x (" + taskPrompts + " task + " + controlPrompts + " control prompts)";
        }
    }

    /** The family-wise critical |t| over {@code units} units at level alpha (two-sided). */
    public static double criticalT(Design d, long units, double alpha) {
        return PromptLevel.tQuantile(alpha / (2.0 * Math.max(1, units)), d.dof());
    }

    /** The chance that one unit with effect {@code effect} (between-prompt SDs) passes the FWER threshold. */
    public static double power(Design d, long units, double alpha, double effect) {
        double c = criticalT(d, units, alpha), nu = d.dof(), delta = Math.abs(effect) * Math.sqrt(d.sumW());
        double z = (delta - c * (1 - 1 / (4 * nu))) / Math.sqrt(1 + c * c / (2 * nu));
        return new NormalDistribution().cumulativeProbability(z);
    }

    /** The smallest effect (between-prompt SDs) found with probability {@code target}. */
    public static double detectable(Design d, long units, double alpha, double target) {
        double lo = 0, hi = 100;
        for (int i = 0; i < 100; i++) {
            double mid = (lo + hi) / 2;
            if (power(d, units, alpha, mid) >= target) hi = mid;
            else lo = mid;
        }
        return hi;
    }

    /** Designs to choose from, built from a block pattern's task and control blocks per run. */
    public static List<Design> alternatives(int taskBlocks, int controlBlocks, int promptsPerBlock, int runs) {
        List<Design> out = new java.util.ArrayList<>();
        for (int r : new int[] {runs, runs + 1, 2 * runs, 3 * runs}) {
            for (int p : new int[] {promptsPerBlock, 2 * promptsPerBlock, 4 * promptsPerBlock}) {
                out.add(new Design(r, taskBlocks * p, controlBlocks * p));
            }
        }
        return out;
    }
}
