package org.llmri.network;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.llmri.LlmriException;

/**
 * The fallback {@link TrainingNetworks}: combines the per-run z maps of the given runs with
 * Stouffer's method, z = (z1 + ... + zk) / sqrt(k) (the mean z scaled back to unit variance, so the
 * threshold keeps its meaning whatever k is), and keeps the units with |z| &ge; {@code zThreshold}.
 * It ignores how well each run estimates the effect (fixed effects would weight by variance) and does
 * no multiple-comparison correction beyond the threshold itself; the study uses the GLM's fixed effects.
 */
public final class StoufferNetworks implements TrainingNetworks {
    private final Map<RunKey, double[]> runZ;
    private final double zThreshold;

    public StoufferNetworks(Map<RunKey, double[]> runZ, double zThreshold) {
        if (!(zThreshold > 0)) throw new LlmriException("networks: |z| threshold must be > 0, not " + zThreshold);
        this.runZ = new TreeMap<>(runZ);
        this.zThreshold = zThreshold;
    }

    public double zThreshold() {
        return zThreshold;
    }

    /** Stouffer's combined z of the given runs. */
    public double[] combined(List<RunKey> runs) {
        if (runs.isEmpty()) throw new LlmriException("networks: no runs to combine");
        double[] sum = null;
        for (RunKey k : runs) {
            double[] z = runZ.get(k);
            if (z == null) throw new LlmriException("networks: no z map for " + k);
            if (sum == null) sum = new double[z.length];
            if (z.length != sum.length) throw new LlmriException("networks: z map of " + k + " has " + z.length + " units, others " + sum.length);
            for (int u = 0; u < z.length; u++) sum[u] += z[u];
        }
        double scale = 1 / Math.sqrt(runs.size());
        for (int u = 0; u < sum.length; u++) sum[u] *= scale;
        return sum;
    }

    @Override
    public Network forRuns(String label, List<RunKey> runs) {
        return Network.threshold(label, combined(runs), zThreshold);
    }
}
