package org.llmri.network;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;

/**
 * A small synthetic scan with known answers: 300 units in 7 taps, runs of the block pattern
 * off on off on off (4 prompts of 8 tokens per block, 160 time points), and per task a set of planted
 * units that rise (15) or fall (5) in its task blocks, plus 10 units that rise in every task. Units
 * have their own offsets and scales (spanning three orders of magnitude) and AR(1) noise.
 */
public record SyntheticStudy(Path dir, UnitTable units, List<String> tasks, Map<RunKey, Path> activations,
        Map<RunKey, Path> events, Map<RunKey, double[]> runZ, Map<String, int[]> planted) {

    public static final int UNITS = 300;
    public static final int TOKENS = 8, PROMPTS = 4;
    public static final String[] PATTERN = {"control", "task", "control", "task", "control"};

    /**
     * Writes the study into {@code dir}. With {@code scrambleNames}, run r of the task written as
     * name k holds the data of true task (k + r) mod #tasks, so no two runs of one name share units.
     */
    public static SyntheticStudy write(Path dir, int nTasks, int nRuns, double effect, long seed, boolean scrambleNames) {
        List<UnitTable.Row> rows = new ArrayList<>();
        addTap(rows, "embed", "embed", UnitTable.NO_LAYER, 20);
        for (int l = 0; l < 2; l++) {
            addTap(rows, "layers." + l + ".self_attn.q_proj", "q_proj", l, 40);
            addTap(rows, "layers." + l + ".fc1", "fc1", l, 60);
        }
        addTap(rows, "layers.1", "residual", 1, 60);
        addTap(rows, "final_layer_norm", "final_layer_norm", UnitTable.NO_LAYER, 20);
        if (rows.size() != UNITS) throw new IllegalStateException(rows.size() + " units");
        UnitTable table = UnitTable.of(rows);
        writeUnits(dir.resolve("units.tsv"), rows);

        SplittableRandom rng = new SplittableRandom(seed);
        int[] order = new int[UNITS];
        for (int i = 0; i < UNITS; i++) order[i] = i;
        Stats.shuffle(order, rng);
        List<String> tasks = new ArrayList<>();
        for (int k = 0; k < nTasks; k++) tasks.add("task" + (char) ('A' + k));
        Map<String, int[]> up = new LinkedHashMap<>(), down = new LinkedHashMap<>();
        int[] general = java.util.Arrays.copyOfRange(order, 0, 10);
        for (int k = 0; k < nTasks; k++) {
            up.put(tasks.get(k), java.util.Arrays.copyOfRange(order, 10 + 20 * k, 25 + 20 * k));
            down.put(tasks.get(k), java.util.Arrays.copyOfRange(order, 25 + 20 * k, 30 + 20 * k));
        }
        double[] offset = new double[UNITS], scale = new double[UNITS];
        for (int u = 0; u < UNITS; u++) {
            offset[u] = rng.nextDouble(-5, 5);
            scale[u] = Math.pow(10, rng.nextDouble(-1.5, 1.5));
        }
        int time = PATTERN.length * PROMPTS * TOKENS;
        Map<RunKey, Path> acts = new LinkedHashMap<>(), evs = new LinkedHashMap<>();
        Map<RunKey, double[]> zs = new LinkedHashMap<>();
        for (int k = 0; k < nTasks; k++) {
            for (int r = 1; r <= nRuns; r++) {
                String name = tasks.get(k);
                String truth = scrambleNames ? tasks.get((k + r) % nTasks) : name;
                RunKey key = new RunKey(name, r);
                boolean[] on = new boolean[time];
                List<List<Object>> eventRows = new ArrayList<>();
                int t0 = 0;
                for (int b = 0; b < PATTERN.length; b++) {
                    for (int p = 0; p < PROMPTS; p++) {
                        eventRows.add(List.of(t0, TOKENS, PATTERN[b], b, name + "-r" + r + "-b" + b + "-p" + p));
                        for (int t = t0; t < t0 + TOKENS; t++) on[t] = PATTERN[b].equals("task");
                        t0 += TOKENS;
                    }
                }
                double[] effectOf = new double[UNITS];
                for (int u : general) effectOf[u] = effect;
                for (int u : up.get(truth)) effectOf[u] = effect;
                for (int u : down.get(truth)) effectOf[u] = -effect;
                float[] data = new float[time * UNITS];
                double[] noise = new double[UNITS];
                for (int t = 0; t < time; t++) {
                    for (int u = 0; u < UNITS; u++) {
                        noise[u] = 0.3 * noise[u] + Math.sqrt(1 - 0.09) * gaussian(rng);
                        double v = noise[u] + (on[t] ? effectOf[u] : 0);
                        data[t * UNITS + u] = (float) (offset[u] + scale[u] * v);
                    }
                }
                Path a = dir.resolve("sub-synth_task-" + name + "_run-" + r + "_activations.npy");
                Path e = dir.resolve("sub-synth_task-" + name + "_run-" + r + "_events.tsv");
                Npy.write(a, data, time, UNITS);
                Tsv.write(e, List.of("onset", "duration", "trial_type", "block", "prompt_id"), eventRows);
                acts.put(key, a);
                evs.put(key, e);
                zs.put(key, naiveZ(data, on, time));
            }
        }
        Map<String, int[]> planted = new LinkedHashMap<>();
        if (!scrambleNames) planted.putAll(up);
        return new SyntheticStudy(dir, table, tasks, acts, evs, zs, planted);
    }

    /** Two-sample t of task against control time points per unit (ignoring autocorrelation), used as z. */
    static double[] naiveZ(float[] data, boolean[] on, int time) {
        double[] z = new double[UNITS];
        for (int u = 0; u < UNITS; u++) {
            double s1 = 0, s0 = 0, q1 = 0, q0 = 0;
            int n1 = 0, n0 = 0;
            for (int t = 0; t < time; t++) {
                double v = data[t * UNITS + u];
                if (on[t]) {
                    s1 += v;
                    q1 += v * v;
                    n1++;
                } else {
                    s0 += v;
                    q0 += v * v;
                    n0++;
                }
            }
            double m1 = s1 / n1, m0 = s0 / n0;
            double v1 = (q1 - n1 * m1 * m1) / (n1 - 1), v0 = (q0 - n0 * m0 * m0) / (n0 - 1);
            z[u] = (m1 - m0) / Math.sqrt(v1 / n1 + v0 / n0);
        }
        return z;
    }

    private static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    private static void addTap(List<UnitTable.Row> rows, String tap, String kind, int layer, int n) {
        for (int i = 0; i < n; i++) rows.add(new UnitTable.Row(tap, kind, layer, i));
    }

    private static void writeUnits(Path file, List<UnitTable.Row> rows) {
        List<List<Object>> out = new ArrayList<>();
        for (int u = 0; u < rows.size(); u++) {
            UnitTable.Row r = rows.get(u);
            out.add(List.of(u, r.tap(), r.kind(), r.layer() == UnitTable.NO_LAYER ? "n/a" : r.layer(), r.index(), r.index(), 0, 0));
        }
        Tsv.write(file, List.of("unit", "tap", "kind", "layer", "index", "x", "y", "z"), out);
    }

    public List<RunKey> runs() {
        return List.copyOf(activations.keySet());
    }

    public List<BlockSummary> summaries() {
        List<BlockSummary> out = new ArrayList<>();
        for (RunKey k : runs()) out.add(BlockSummary.read(k, activations.get(k), RunEvents.read(events.get(k)), UNITS));
        return out;
    }

    /** Per-run networks at |z| >= threshold. */
    public List<Repeatability.RunMap> runMaps(double threshold) {
        List<Repeatability.RunMap> out = new ArrayList<>();
        for (RunKey k : runs()) out.add(new Repeatability.RunMap(k, runZ.get(k), Network.threshold(k.task(), runZ.get(k), threshold)));
        return out;
    }
}
