package org.llmri.model.bert;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.ArrayList;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.model.weights.Tensor;
import org.llmri.tensor.Matmul;
import org.llmri.tensor.Ops;
import org.llmri.tensor.Matrix;
import org.llmri.tensor.PackedMatrix;
import org.llmri.tensor.Storage;
import org.llmri.tensor.Threads;

/**
 * A BERT encoder with Hugging Face {@code BertModel} semantics: word + position + token-type embeddings,
 * LayerNorm; post-LayerNorm layers (attention, residual, LayerNorm; intermediate dense, GELU (erf) or
 * ReLU, output dense, residual, LayerNorm); softmax(q k^T / sqrt(head_dim)) attention of every token over
 * its own sequence only, which is what the attention mask of a padded batch computes. All arithmetic
 * in float32. A ragged batch runs as one pass: the matrix multiplies take all rows together.
 */
public final class BertModel implements AutoCloseable {
    /** Called at every tap with its values for all rows of the batch ({@code values[row * width + unit]}); may change them in place. */
    @FunctionalInterface
    public interface Hook {
        void at(BertTap tap, float[] values, int width, BertBatch batch);
    }

    private final BertConfig config;
    private final Threads threads;
    private final float[] wordEmbeddings;
    private final float[] positionEmbeddings;
    private final float[] tokenTypeEmbeddings;
    private final float[] embLnW, embLnB;
    private final Layer[] layers;
    private final BertTap embeddingsTap;
    private final Arena arena = Arena.ofShared();
    private final SegmentAllocator weightMemory = PackedMatrix.weightMemory(arena);

    // q, k and v packed as one [3h, h] matrix: one matmul instead of three
    private record Layer(PackedMatrix qkv, float[] qkvBias, PackedMatrix attnDense, float[] attnDenseBias,
                         float[] attnLnW, float[] attnLnB, PackedMatrix inter, float[] interBias,
                         PackedMatrix out, float[] outBias, float[] outLnW, float[] outLnB, BertTap[] taps) {}

    public BertModel(BertWeights w, Threads threads) {
        this.config = w.config();
        this.threads = threads;
        this.wordEmbeddings = w.wordEmbeddings().toFloatArray();
        this.positionEmbeddings = w.positionEmbeddings().toFloatArray();
        this.tokenTypeEmbeddings = w.tokenTypeEmbeddings().toFloatArray();
        this.embLnW = w.embeddingsLnWeight().toFloatArray();
        this.embLnB = w.embeddingsLnBias().toFloatArray();
        List<BertTap> taps = BertTap.all(config);
        this.embeddingsTap = taps.getFirst();
        this.layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            BertWeights.Layer l = w.layers().get(i);
            BertTap[] layerTaps = taps.subList(1 + i * BertTap.PER_LAYER, 1 + (i + 1) * BertTap.PER_LAYER).toArray(BertTap[]::new);
            layers[i] = new Layer(packed(l.queryWeight(), l.keyWeight(), l.valueWeight()),
                    concat(l.queryBias().toFloatArray(), l.keyBias().toFloatArray(), l.valueBias().toFloatArray()),
                    packed(l.attentionDenseWeight()), l.attentionDenseBias().toFloatArray(),
                    l.attentionLnWeight().toFloatArray(), l.attentionLnBias().toFloatArray(),
                    packed(l.intermediateWeight()), l.intermediateBias().toFloatArray(),
                    packed(l.outputDenseWeight()), l.outputDenseBias().toFloatArray(),
                    l.outputLnWeight().toFloatArray(), l.outputLnBias().toFloatArray(), layerTaps);
        }
    }

    public BertConfig config() {
        return config;
    }

    public Threads threads() {
        return threads;
    }

    /** Every tap in forward order. */
    public List<BertTap> taps() {
        List<BertTap> out = new ArrayList<>();
        out.add(embeddingsTap);
        for (Layer l : layers) out.addAll(List.of(l.taps));
        return out;
    }

    /**
     * Runs the encoder over a ragged batch, calling {@code hook} (may be null) at every tap, and returns
     * last_hidden_state, [rows, hidden_size] row-major.
     */
    public float[] forward(BertBatch batch, Hook hook) {
        int n = batch.rows(), h = config.hiddenSize(), f = config.intermediateSize();
        float[] hidden = embed(batch);
        if (hook != null) hook.at(embeddingsTap, hidden, h, batch);
        float[] qkv = new float[3 * n * h];
        float[] q = new float[n * h], k = new float[n * h], v = new float[n * h];
        float[] ctx = new float[n * h], tmp = new float[n * h], ffn = new float[n * f];
        for (Layer L : layers) {
            BertTap[] t = L.taps;
            Matmul.linear(threads, hidden, n, L.qkv, L.qkvBias, qkv);
            threads.forRange(n, 1, (from, to) -> {
                for (int r = from; r < to; r++) {
                    System.arraycopy(qkv, 3 * r * h, q, r * h, h);
                    System.arraycopy(qkv, (3 * r + 1) * h, k, r * h, h);
                    System.arraycopy(qkv, (3 * r + 2) * h, v, r * h, h);
                }
            });
            if (hook != null) {
                hook.at(t[0], q, h, batch);
                hook.at(t[1], k, h, batch);
                hook.at(t[2], v, h, batch);
            }
            BertAttention.run(threads, batch, q, k, v, ctx, config.numHeads(), h);
            if (hook != null) hook.at(t[3], ctx, h, batch);
            Matmul.linear(threads, ctx, n, L.attnDense, L.attnDenseBias, tmp);
            if (hook != null) hook.at(t[4], tmp, h, batch);
            Ops.addInPlace(hidden, tmp, n * h);
            Ops.layerNorm(threads, hidden, hidden, n, h, L.attnLnW, L.attnLnB, config.layerNormEps());
            if (hook != null) hook.at(t[5], hidden, h, batch);
            Matmul.linear(threads, hidden, n, L.inter, L.interBias, ffn);
            if (hook != null) hook.at(t[6], ffn, f, batch);
            switch (config.hiddenAct()) {
                case GELU -> Ops.gelu(threads, ffn, n * f);
                case RELU -> Ops.relu(ffn, n * f);
            }
            if (hook != null) hook.at(t[7], ffn, f, batch);
            Matmul.linear(threads, ffn, n, L.out, L.outBias, tmp);
            if (hook != null) hook.at(t[8], tmp, h, batch);
            Ops.addInPlace(hidden, tmp, n * h);
            Ops.layerNorm(threads, hidden, hidden, n, h, L.outLnW, L.outLnB, config.layerNormEps());
            if (hook != null) hook.at(t[9], hidden, h, batch);
        }
        return hidden;
    }

    /**
     * What {@code BertModel(output_hidden_states=True)} returns: hidden_states[0] (the embeddings after
     * LayerNorm) .. hidden_states[L] (= last_hidden_state), each [rows, hidden_size].
     */
    public float[][] hiddenStates(BertBatch batch) {
        float[][] out = new float[config.numLayers() + 1][];
        forward(batch, (tap, values, width, b) -> {
            if (tap.kind().equals("embeddings")) out[0] = values.clone();
            else if (tap.kind().equals("residual")) out[tap.layer() + 1] = values.clone();
        });
        return out;
    }

    private float[] embed(BertBatch batch) {
        int n = batch.rows(), h = config.hiddenSize();
        for (int s = 0; s < batch.sequences(); s++) {
            if (batch.length(s) > config.maxPositionEmbeddings()) {
                throw new LlmriException("sequence " + s + " has " + batch.length(s) + " tokens, more than the model's "
                        + "max_position_embeddings (" + config.maxPositionEmbeddings() + ")");
            }
        }
        for (int r = 0; r < n; r++) {
            int id = batch.tokens()[r], type = batch.tokenTypes()[r];
            if (id < 0 || id >= config.vocabSize()) {
                throw new LlmriException("token id " + id + " is outside the vocabulary (size " + config.vocabSize() + ")");
            }
            if (type < 0 || type >= config.typeVocabSize()) {
                throw new LlmriException("token type " + type + " is outside 0.." + (config.typeVocabSize() - 1));
            }
        }
        float[] x = new float[n * h];
        threads.forRange(batch.sequences(), 1, (from, to) -> {
            for (int s = from; s < to; s++) {
                for (int r = batch.start(s), p = 0; r < batch.start(s + 1); r++, p++) {
                    int w = batch.tokens()[r] * h, t = batch.tokenTypes()[r] * h, o = r * h;
                    // HF's order: (word + token type) + position
                    for (int j = 0; j < h; j++) x[o + j] = wordEmbeddings[w + j] + tokenTypeEmbeddings[t + j] + positionEmbeddings[p * h + j];
                }
            }
        });
        Ops.layerNorm(threads, x, x, n, h, embLnW, embLnB, config.layerNormEps());
        return x;
    }

    private PackedMatrix packed(Tensor... parts) {
        List<Matrix> ms = new ArrayList<>();
        for (Tensor t : parts) {
            Storage s = switch (t.dtype()) {
                case F32 -> Storage.F32;
                case F16 -> Storage.F16;
                case BF16 -> Storage.BF16;
            };
            ms.add(new Matrix(t.data(), s, t.dim(0), t.dim(1)));
        }
        PackedMatrix p = PackedMatrix.pack(ms, weightMemory);
        for (Tensor t : parts) {
            MemorySegment d = t.data();
            if (d.isMapped()) d.unload();
        }
        return p;
    }

    private static float[] concat(float[]... parts) {
        int total = 0;
        for (float[] p : parts) total += p.length;
        float[] out = new float[total];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    @Override
    public void close() {
        threads.close();
        arena.close();
    }
}
