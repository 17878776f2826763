package org.llmri.model.run;

import org.llmri.model.KvCache;
import org.llmri.model.Step;
import org.llmri.tensor.Ops;
import org.llmri.tensor.Threads;

/** Causal multi-head attention of a step's rows over their sequences' cached keys and values. */
public final class Attention {
    private Attention() {}

    public static void run(Threads threads, Step step, KvCache cache, int layer, float[] q, float[] k, float[] v,
                    float[] ctx, int heads, int width) {
        int hd = width / heads;
        run(threads, step, cache, layer, q, k, v, ctx, heads, heads, hd, (float) Math.pow(hd, -0.5));
    }

    /**
     * Grouped-query attention: q and ctx hold {@code heads} heads per row, k and v (and the cache) only
     * {@code kvHeads}; query head h reads kv head h / (heads / kvHeads), in place, never copied. Scores are
     * (q * scale) . k.
     */
    public static void run(Threads threads, Step step, KvCache cache, int layer, float[] q, float[] k, float[] v,
                    float[] ctx, int heads, int kvHeads, int hd, float scale) {
        if (kvHeads < 1 || heads % kvHeads != 0) throw new IllegalArgumentException(heads + " heads in groups of " + kvHeads);
        int n = step.rows();
        int kvWidth = kvHeads * hd;
        // write this step's keys and values first: a prompt's rows attend to each other
        for (int i = 0; i < n; i++) cache.ensure(step.slots()[i], step.positions()[i] + 1);
        // rows write disjoint places (a slot's rows have distinct positions), so they can go in parallel:
        // the stores miss the cache, and one thread alone left the other waiting
        threads.forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) cache.put(step.slots()[i], layer, step.positions()[i], k, v, i * kvWidth);
        });
        int group = heads / kvHeads;
        // pieces small enough that a slower core takes fewer of them
        int grain = Math.max(1, n * heads / (8 * threads.parallelism()));
        threads.forEachPiece(n * heads, grain, (from, to) -> {
            float[] qs = new float[hd];
            float[] scores = new float[0];
            for (int job = from; job < to; job++) {
                int len = step.positions()[job / heads] + 1;
                if (scores.length < len) scores = new float[Math.max(len, 2 * scores.length)];
                int head = job % heads;
                attend(step, cache, layer, q, ctx, job / heads, head, head / group, hd, heads * hd, scale, qs, scores);
            }
        });
    }

    /** One row's one head: softmax(q k^T * scale) v over the row's positions 0 .. its own. */
    private static void attend(Step step, KvCache cache, int layer, float[] q, float[] ctx, int i, int head, int kvHead,
                               int hd, int width, float scale, float[] qs, float[] scores) {
        int slot = step.slots()[i];
        int len = step.positions()[i] + 1;
        int qo = i * width + head * hd;
        for (int d = 0; d < hd; d++) qs[d] = q[qo + d] * scale;
        float[] keys = cache.keys(slot, layer);
        float[] values = cache.values(slot, layer);
        int at = cache.headStart(slot, kvHead);
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) {
            float s = Ops.dot(qs, 0, keys, at + j * hd, hd);
            scores[j] = s;
            if (s > max) max = s;
        }
        Ops.expShifted(scores, len, max);
        float sum = 0f;
        for (int j = 0; j < len; j++) sum += scores[j];
        float inv = 1f / sum;
        Ops.weightedSum(scores, inv, len, values, at, hd, ctx, qo);
    }
}
