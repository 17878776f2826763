package org.llmri.glm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.llmri.io.Npy;
import org.llmri.io.Tsv;

/** Writes small scan datasets for tests: the default paradigm's block pattern off on off on off. */
final class SyntheticScan {
    private SyntheticScan() {}

    /** Events of one run: blocks off on off on off, {@code perBlock} prompts of {@code tokens} time points each. */
    static List<List<Object>> events(int perBlock, int tokens) {
        List<List<Object>> rows = new ArrayList<>();
        String[] pattern = {"control", "task", "control", "task", "control"};
        int onset = 0, prompt = 0;
        for (int b = 0; b < pattern.length; b++) {
            for (int i = 0; i < perBlock; i++) {
                rows.add(List.of(onset, tokens, pattern[b], b, "p" + prompt++));
                onset += tokens;
            }
        }
        return rows;
    }

    static final List<String> EVENT_HEADER = List.of("onset", "duration", "trial_type", "block", "prompt_id");

    /**
     * AR(1) noise (rho) per unit, plus {@code effect} on task time points for units in [0, planted).
     * Returns [time][unit] row-major.
     */
    static double[] series(int timePoints, int units, double rho, int planted, double effect, List<List<Object>> events, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] y = new double[timePoints * units];
        double[] prev = new double[units];
        double scale = Math.sqrt(1 - rho * rho);
        for (int t = 0; t < timePoints; t++) {
            for (int u = 0; u < units; u++) {
                double e = gaussian(rng);
                double v = t == 0 ? e : rho * prev[u] + scale * e;
                prev[u] = v;
                y[t * units + u] = v + 3.0;
            }
        }
        for (List<Object> ev : events) {
            if (!ev.get(2).equals("task")) continue;
            int on = (Integer) ev.get(0), dur = (Integer) ev.get(1);
            for (int t = on; t < on + dur; t++) for (int u = 0; u < planted; u++) y[t * units + u] += effect;
        }
        return y;
    }

    static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble(), u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** A dataset of {@code tasks} × {@code runs} with units.tsv; units [0, planted) respond in every task. */
    static void dataset(Path dir, String sub, List<String> tasks, int runs, int units, int planted, double effect, long seed) {
        int perBlock = 4, tokens = 16;
        List<List<Object>> ev = events(perBlock, tokens);
        int T = perBlock * tokens * 5;
        long s = seed;
        for (String task : tasks) {
            for (int r = 1; r <= runs; r++) {
                String stem = "sub-" + sub + "_task-" + task + "_run-" + r;
                Path func = dir.resolve("sub-" + sub).resolve("func");
                float[] f = new float[T * units];
                double[] y = series(T, units, 0.3, planted, effect, ev, s++);
                for (int i = 0; i < f.length; i++) f[i] = (float) y[i];
                Npy.write(func.resolve(stem + "_activations.npy"), f, T, units);
                Tsv.write(func.resolve(stem + "_events.tsv"), EVENT_HEADER, ev);
            }
        }
        List<List<Object>> rows = new ArrayList<>();
        for (int u = 0; u < units; u++) {
            int layer = u / 100, idx = u % 100;
            rows.add(List.of(u, "layers." + layer + ".fc1", "fc1", layer, idx, idx, 0, layer));
        }
        Tsv.write(dir.resolve("units.tsv"), List.of("unit", "tap", "kind", "layer", "index", "x", "y", "z"), rows);
    }
}
