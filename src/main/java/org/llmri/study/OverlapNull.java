package org.llmri.study;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import org.llmri.LlmriException;
import org.llmri.glm.Correction;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.GlmOutputs;
import org.llmri.glm.PromptLevel;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.glm.Tail;
import org.llmri.io.Npy;
import org.llmri.network.Network;
import org.llmri.network.Overlap;
import org.llmri.network.UnitTable;

/**
 * The overlap of prompt-level networks against the joint-permutation null: every task's prompt labels
 * are shuffled within runs at once and each network is recomputed at its observed threshold (the
 * smallest tail-signed t among its units; an empty network stays empty), from the prompt means the GLM
 * stage saved.
 */
final class OverlapNull {
    private OverlapNull() {}

    static Overlap.Result compute(GlmOutputs.DatasetOutput glm, Map<String, GlmOutputs.TaskOutput> byTask, List<GlmOutputs.LevelOutput> tops,
                                  Correction correction, GlmOptions opts, UnitTable units, Overlap.Settings settings) {
        List<PromptLevel.Permuter> permuters = new ArrayList<>();
        List<Network> observed = new ArrayList<>();
        List<String> names = new ArrayList<>(byTask.keySet());
        double[] critical = new double[names.size()];
        int k = 0;
        for (GlmOutputs.TaskOutput t : byTask.values()) {
            List<PromptLevel.RunMeans> runs = new ArrayList<>();
            for (GlmOutputs.LevelOutput r : t.runs()) {
                runs.add(PromptLevelDataset.readMeans(PromptLevelDataset.promptMeans(glm.outDir(), t.subject(), t.task(), r.run())));
            }
            permuters.add(new PromptLevel.Permuter(runs));
            GlmOutputs.ContrastOutput c = tops.get(k).contrasts().get(0);
            double[] stat = Npy.readDoubles(c.maps().get("t"));
            GlmOutputs.CorrectionOutput chosen = c.corrections().stream().filter(x -> x.correction() == correction).findFirst()
                    .orElseThrow(() -> new LlmriException(tops.get(0).prefix() + ": no " + correction.label() + " mask"));
            double[] mask = Npy.readDoubles(chosen.mask());
            double crit = Double.POSITIVE_INFINITY;
            for (int u = 0; u < mask.length; u++) if (mask[u] != 0) crit = Math.min(crit, signed(opts.tail(), stat[u]));
            critical[k] = crit;
            observed.add(network(t.task(), stat, crit, opts.tail()));
            k++;
        }
        return joint(names, permuters, critical, opts.tail(), observed, units, settings);
    }

    /**
     * The joint-permutation overlap of networks recomputed from {@code permuters} at the tail-signed
     * thresholds {@code critical} (infinite: an empty network). {@code observed} are the networks tested.
     */
    static Overlap.Result joint(List<String> names, List<PromptLevel.Permuter> permuters, double[] critical, Tail tail, List<Network> observed,
                                UnitTable units, Overlap.Settings settings) {
        long seed = settings.seed() + 3;
        return Overlap.computeJoint(observed, units, settings, b -> {
            List<Network> out = new ArrayList<>(names.size());
            double[] t = new double[units.size()];
            for (int i = 0; i < names.size(); i++) {
                if (Double.isInfinite(critical[i])) {
                    out.add(new Network(names.get(i), units.size(), new BitSet(), new BitSet()));
                    continue;
                }
                permuters.get(i).t(seed, b, t);
                out.add(network(names.get(i), t, critical[i], tail));
            }
            return out;
        });
    }

    private static double signed(Tail tail, double t) {
        return switch (tail) {
            case TWO_SIDED -> Math.abs(t);
            case POSITIVE -> t;
            case NEGATIVE -> -t;
        };
    }

    /** Units whose tail-signed t reaches {@code crit}, split by the sign of t. */
    static Network network(String task, double[] t, double crit, Tail tail) {
        BitSet pos = new BitSet(t.length), neg = new BitSet(t.length);
        if (Double.isFinite(crit)) {
            for (int u = 0; u < t.length; u++) {
                if (Double.isNaN(t[u]) || !(signed(tail, t[u]) >= crit)) continue;
                if (t[u] > 0) pos.set(u);
                else if (t[u] < 0) neg.set(u);
            }
        }
        return new Network(task, t.length, pos, neg);
    }
}
