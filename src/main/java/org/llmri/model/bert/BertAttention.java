package org.llmri.model.bert;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.llmri.tensor.Matmul;
import org.llmri.tensor.Ops;
import org.llmri.tensor.Threads;

/**
 * Bidirectional attention of a ragged batch: ctx = softmax(q k^T / sqrt(d)) v for every head, each row
 * over the rows of its own sequence. One job is one sequence's one head. Its keys are transposed once
 * to [d][position] (positions padded to whole vectors), so a row's scores are FMAs across positions,
 * and both the scores and the context are summed in registers, four vectors at a time: a row-by-row
 * loop of axpy calls instead chained every step through a store and a load (measured: a fifth of a
 * batch-32 MiniLM pass). A row's result depends only on its own sequence, never on the batch.
 */
final class BertAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private BertAttention() {}

    /** Sequence s holds rows [starts[s], starts[s + 1]). */
    static void run(Threads threads, int[] starts, float[] q, float[] k, float[] v, float[] ctx, int heads, int h) {
        int hd = h / heads;
        float scale = (float) (1.0 / Math.sqrt(hd));
        int sequences = starts.length - 1;
        int maxLen = 0;
        for (int s = 0; s < sequences; s++) maxLen = Math.max(maxLen, starts[s + 1] - starts[s]);
        int widest = padded(maxLen);
        threads.forEachPiece(sequences * heads, 1, (from, to) -> {
            float[] keys = new float[hd * widest];
            float[] scores = new float[widest];
            for (int job = from; job < to; job++) {
                int s = job / heads, at = (job % heads) * hd;
                head(q, k, v, ctx, starts[s], starts[s + 1] - starts[s], at, hd, h, scale, keys, scores);
            }
        });
    }

    private static int padded(int n) {
        return (n + L - 1) / L * L;
    }

    private static void head(float[] q, float[] k, float[] v, float[] ctx, int start, int len, int at, int hd, int h,
                             float scale, float[] keys, float[] scores) {
        int stride = padded(len);
        for (int d = 0; d < hd; d++) java.util.Arrays.fill(keys, d * stride + len, (d + 1) * stride, 0f);
        for (int j = 0; j < len; j++) {
            int ko = (start + j) * h + at;
            for (int d = 0; d < hd; d++) keys[d * stride + j] = k[ko + d];
        }
        for (int i = 0; i < len; i++) {
            int qo = (start + i) * h + at;
            scores(q, qo, keys, stride, hd, scale, scores);
            // padded positions take no part: e^(-inf) = 0
            for (int j = len; j < stride; j++) scores[j] = Float.NEGATIVE_INFINITY;
            FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < stride; j += L) mv = mv.max(FloatVector.fromArray(S, scores, j));
            float max = mv.reduceLanes(VectorOperators.MAX);
            Ops.expShifted(scores, stride, max);
            float sum = 0f;
            for (int j = 0; j < len; j++) sum += scores[j];
            context(scores, 1f / sum, len, v, start * h + at, h, hd, ctx, qo);
        }
    }

    /** scores[j] = scale * sum_d q[qo + d] * keys[d * stride + j], for j < stride (a multiple of L). */
    private static void scores(float[] q, int qo, float[] keys, int stride, int hd, float scale, float[] scores) {
        int j = 0;
        for (; j + 4 * L <= stride; j += 4 * L) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0, r = j; d < hd; d++, r += stride) {
                FloatVector qd = FloatVector.broadcast(S, q[qo + d]);
                a0 = FloatVector.fromArray(S, keys, r).fma(qd, a0);
                a1 = FloatVector.fromArray(S, keys, r + L).fma(qd, a1);
                a2 = FloatVector.fromArray(S, keys, r + 2 * L).fma(qd, a2);
                a3 = FloatVector.fromArray(S, keys, r + 3 * L).fma(qd, a3);
            }
            a0.mul(scale).intoArray(scores, j);
            a1.mul(scale).intoArray(scores, j + L);
            a2.mul(scale).intoArray(scores, j + 2 * L);
            a3.mul(scale).intoArray(scores, j + 3 * L);
        }
        for (; j < stride; j += L) {
            FloatVector a = FloatVector.zero(S);
            for (int d = 0, r = j; d < hd; d++, r += stride) a = FloatVector.fromArray(S, keys, r).fma(FloatVector.broadcast(S, q[qo + d]), a);
            a.mul(scale).intoArray(scores, j);
        }
    }

    /** ctx[co + d] = sum_j (p[j] * inv) * v[vo + j * h + d], for d < hd. */
    private static void context(float[] p, float inv, int len, float[] v, int vo, int h, int hd, float[] ctx, int co) {
        int d = 0;
        for (; d + 2 * L <= hd; d += 2 * L) {
            FloatVector c0 = FloatVector.zero(S), c1 = c0;
            for (int j = 0, r = vo + d; j < len; j++, r += h) {
                FloatVector pj = FloatVector.broadcast(S, p[j] * inv);
                c0 = FloatVector.fromArray(S, v, r).fma(pj, c0);
                c1 = FloatVector.fromArray(S, v, r + L).fma(pj, c1);
            }
            c0.intoArray(ctx, co + d);
            c1.intoArray(ctx, co + d + L);
        }
        for (; d + L <= hd; d += L) {
            FloatVector c = FloatVector.zero(S);
            for (int j = 0, r = vo + d; j < len; j++, r += h) c = FloatVector.fromArray(S, v, r).fma(FloatVector.broadcast(S, p[j] * inv), c);
            c.intoArray(ctx, co + d);
        }
        for (; d < hd; d++) {
            float c = 0f;
            for (int j = 0, r = vo + d; j < len; j++, r += h) c = Math.fma(v[r], p[j] * inv, c);
            ctx[co + d] = c;
        }
    }
}
