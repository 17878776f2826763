package org.llmri.model;

import java.util.ArrayList;
import java.util.List;
import org.llmri.tensor.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import org.llmri.tensor.Matrix;
import org.llmri.tensor.PackedMatrix;
import org.llmri.tensor.Storage;
import org.llmri.tensor.Threads;

/**
 * The OPT decoder (Galactica's architecture) with Hugging Face {@code OPTForCausalLM} semantics:
 * learned positions at row position + 2, pre- or post-LayerNorm (eps 1e-5), q = q_proj(x) * head_dim^-0.5,
 * causal softmax attention over a KV cache, exact GELU or ReLU, final LayerNorm and optional
 * project_out before lm_head. All arithmetic in float32; weights stay in their stored precision.
 */
public final class OptModel implements AutoCloseable {
    static final float LN_EPS = 1e-5f;

    private final OptConfig config;
    private final Threads threads;
    // embeddings are looked up a row at a time, straight from the mapped weights
    private final Tensor embedTokens;
    private final Tensor embedPositions;
    private final PackedMatrix projectIn;
    private final PackedMatrix projectOut;
    private final Layer[] layers;
    private final float[] finalLnWeight;
    private final float[] finalLnBias;
    private final boolean hasFinalLn;
    private final PackedMatrix lmHead;
    // the packed weights live here, off the heap, until close()
    private final Arena arena = Arena.ofShared();
    private final SegmentAllocator weightMemory = PackedMatrix.weightMemory(arena);

    // q, k and v are packed as one [3h, h] matrix (q rows, then k, then v): one matmul instead of three
    private record Layer(PackedMatrix qkv, float[] qkvb, PackedMatrix out,
                         float[] outb, float[] ln1w, float[] ln1b, PackedMatrix fc1, float[] fc1b, PackedMatrix fc2, float[] fc2b,
                         float[] ln2w, float[] ln2b) {}

    public OptModel(OptWeights w, Threads threads) {
        this.config = w.config();
        this.threads = threads;
        this.embedTokens = resident(w.embedTokens());
        this.embedPositions = resident(w.embedPositions());
        this.projectIn = w.projectIn() == null ? null : packed(w.projectIn());
        this.projectOut = w.projectOut() == null ? null : packed(w.projectOut());
        this.layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            OptWeights.Layer l = w.layers().get(i);
            layers[i] = new Layer(packed(l.qWeight(), l.kWeight(), l.vWeight()), concat(vec(l.qBias()), vec(l.kBias()), vec(l.vBias())),
                    packed(l.outWeight()), vec(l.outBias()),
                    vec(l.attnLnWeight()), vec(l.attnLnBias()), packed(l.fc1Weight()), vec(l.fc1Bias()),
                    packed(l.fc2Weight()), vec(l.fc2Bias()), vec(l.finalLnWeight()), vec(l.finalLnBias()));
        }
        this.hasFinalLn = config.doLayerNormBefore() && !config.removeFinalLayerNorm();
        this.finalLnWeight = vec(w.finalLayerNormWeight());
        this.finalLnBias = vec(w.finalLayerNormBias());
        this.lmHead = packed(w.lmHead());
    }

    public OptConfig config() {
        return config;
    }

    public Threads threads() {
        return threads;
    }

    /** Every tap this model has, in forward order: embed, then each layer's points, then the final LayerNorm. */
    public List<Tap> taps() {
        List<Tap> out = new ArrayList<>();
        int h = config.hiddenSize();
        out.add(new Tap(TapPoint.EMBED, -1, h));
        for (int l = 0; l < layers.length; l++) {
            for (TapPoint p : TapPoint.LAYER_ORDER) {
                int width = (p == TapPoint.FC1 || p == TapPoint.ACTIVATION_FN) ? config.ffnDim() : h;
                out.add(new Tap(p, l, width));
            }
        }
        if (hasFinalLn) out.add(new Tap(TapPoint.DECODER_FINAL_LAYER_NORM, -1, h));
        return out;
    }

    public KvCache newCache(int slots) {
        return new KvCache(slots, layers.length, config.hiddenSize(), config.numHeads());
    }

    /** What one forward pass returns for its output rows. */
    public record Output(float[] logits, float[] finalHidden, int vocab, int width) {}

    /**
     * Runs the decoder over a step's rows, writing their keys and values into the cache, and returns
     * the logits (and the last hidden state, as HF's hidden_states[-1]) of the step's output rows.
     */
    public Output forward(Step step, KvCache cache, ForwardHook hook) {
        int n = step.rows();
        int h = config.hiddenSize();
        int f = config.ffnDim();
        for (int i = 0; i < n; i++) {
            int p = step.positions()[i];
            if (p < 0 || p + 2 >= embedPositions.dim(0)) {
                throw new org.llmri.LlmriException("position " + p + " is beyond the model's max_position_embeddings ("
                        + config.maxPositionEmbeddings() + ")");
            }
            int t = step.tokens()[i];
            if (t < 0 || t >= embedTokens.dim(0)) {
                throw new org.llmri.LlmriException("token id " + t + " is outside the vocabulary (size " + embedTokens.dim(0) + ")");
            }
        }
        float[] hidden = embed(step);
        if (hook != null) hook.at(TapPoint.EMBED, -1, hidden, h, step);

        float[] x = new float[n * h];
        float[] q = new float[n * h];
        float[] k = new float[n * h];
        float[] v = new float[n * h];
        float[] qkv = new float[3 * n * h];
        float[] ctx = new float[n * h];
        float[] tmp = new float[n * h];
        float[] ffn = new float[n * f];
        boolean pre = config.doLayerNormBefore();
        for (int li = 0; li < layers.length; li++) {
            Layer L = layers[li];
            // attention block
            float[] attnIn = hidden;
            if (pre) {
                Kernels.layerNorm(threads, hidden, x, n, h, L.ln1w, L.ln1b, LN_EPS);
                if (hook != null) hook.at(TapPoint.SELF_ATTN_LAYER_NORM, li, x, h, step);
                attnIn = x;
            }
            Kernels.linear(threads, attnIn, n, L.qkv, L.qkvb, qkv);
            threads.forRange(n, 1, (from, to) -> {
                for (int r = from; r < to; r++) {
                    System.arraycopy(qkv, 3 * r * h, q, r * h, h);
                    System.arraycopy(qkv, (3 * r + 1) * h, k, r * h, h);
                    System.arraycopy(qkv, (3 * r + 2) * h, v, r * h, h);
                }
            });
            if (hook != null) {
                hook.at(TapPoint.Q_PROJ, li, q, h, step);
                hook.at(TapPoint.K_PROJ, li, k, h, step);
                hook.at(TapPoint.V_PROJ, li, v, h, step);
            }
            Attention.run(threads, step, cache, li, q, k, v, ctx, config.numHeads(), h);
            if (hook != null) hook.at(TapPoint.CONTEXT, li, ctx, h, step);
            Kernels.linear(threads, ctx, n, L.out, L.outb, tmp);
            if (hook != null) hook.at(TapPoint.OUT_PROJ, li, tmp, h, step);
            Kernels.addInPlace(hidden, tmp, n * h);
            if (!pre) {
                Kernels.layerNorm(threads, hidden, hidden, n, h, L.ln1w, L.ln1b, LN_EPS);
                if (hook != null) hook.at(TapPoint.SELF_ATTN_LAYER_NORM, li, hidden, h, step);
            }
            // feed-forward block
            float[] ffnIn = hidden;
            if (pre) {
                Kernels.layerNorm(threads, hidden, x, n, h, L.ln2w, L.ln2b, LN_EPS);
                if (hook != null) hook.at(TapPoint.FINAL_LAYER_NORM, li, x, h, step);
                ffnIn = x;
            }
            Kernels.linear(threads, ffnIn, n, L.fc1, L.fc1b, ffn);
            if (hook != null) hook.at(TapPoint.FC1, li, ffn, f, step);
            activate(ffn, n * f);
            if (hook != null) hook.at(TapPoint.ACTIVATION_FN, li, ffn, f, step);
            Kernels.linear(threads, ffn, n, L.fc2, L.fc2b, tmp);
            if (hook != null) hook.at(TapPoint.FC2, li, tmp, h, step);
            Kernels.addInPlace(hidden, tmp, n * h);
            if (!pre) {
                Kernels.layerNorm(threads, hidden, hidden, n, h, L.ln2w, L.ln2b, LN_EPS);
                if (hook != null) hook.at(TapPoint.FINAL_LAYER_NORM, li, hidden, h, step);
            }
            if (hook != null) hook.at(TapPoint.RESIDUAL, li, hidden, h, step);
        }
        // only the output rows go on to the final LayerNorm and lm_head
        int m = step.outputs();
        float[] last = new float[m * h];
        for (int o = 0; o < m; o++) System.arraycopy(hidden, step.outputRows()[o] * h, last, o * h, h);
        Step outStep = outputStep(step);
        if (hasFinalLn) {
            Kernels.layerNorm(threads, last, last, m, h, finalLnWeight, finalLnBias, LN_EPS);
            if (hook != null) hook.at(TapPoint.DECODER_FINAL_LAYER_NORM, -1, last, h, outStep);
        }
        float[] fin = last;
        int width = h;
        if (projectOut != null) {
            width = projectOut.rows();
            fin = new float[m * width];
            Kernels.linear(threads, last, m, projectOut, null, fin);
        }
        float[] logits = new float[m * lmHead.rows()];
        Kernels.linear(threads, fin, m, lmHead, null, logits);
        return new Output(logits, fin, lmHead.rows(), width);
    }

    /** The step seen after the output rows were gathered: row i is output i. */
    private static Step outputStep(Step step) {
        int m = step.outputs();
        int[] rows = new int[m];
        int[] slots = new int[m];
        int[] tokens = new int[m];
        int[] positions = new int[m];
        for (int o = 0; o < m; o++) {
            int r = step.outputRows()[o];
            rows[o] = o;
            slots[o] = step.slots()[r];
            tokens[o] = step.tokens()[r];
            positions[o] = step.positions()[r];
        }
        return new Step(slots, tokens, positions, rows, step.outputSequence(), step.outputTokenIndex());
    }

    private float[] embed(Step step) {
        int n = step.rows();
        int h = config.hiddenSize();
        float[] hidden = new float[n * h];
        if (projectIn == null) {
            for (int i = 0; i < n; i++) embedTokens.copyToFloat((long) step.tokens()[i] * h, hidden, i * h, h);
        } else {
            int d = embedTokens.dim(1);
            float[] small = new float[n * d];
            for (int i = 0; i < n; i++) embedTokens.copyToFloat((long) step.tokens()[i] * d, small, i * d, d);
            Kernels.linear(threads, small, n, projectIn, null, hidden);
        }
        float[] pos = new float[h];
        for (int i = 0; i < n; i++) {
            embedPositions.copyToFloat((long) (step.positions()[i] + 2) * h, pos, 0, h);
            for (int j = 0; j < h; j++) hidden[i * h + j] += pos[j];
        }
        return hidden;
    }

    private void activate(float[] a, int count) {
        switch (config.activation()) {
            case GELU -> Kernels.gelu(threads, a, count);
            case RELU -> Kernels.relu(a, count);
        }
    }

    static Matrix matrix(Tensor t) {
        if (t.rank() != 2) throw new IllegalArgumentException(t.name() + " is not a matrix");
        Storage s = switch (t.dtype()) {
            case F32 -> Storage.F32;
            case F16 -> Storage.F16;
            case BF16 -> Storage.BF16;
        };
        return new Matrix(t.data(), s, t.dim(0), t.dim(1));
    }

    /**
     * The tensor copied into the weight memory, its mapped original's pages given back. Embedding rows
     * are read at random every step, and from the mapping each row's first read took a page fault:
     * about 80 us a row, 4% of batch-32 generation time.
     */
    private Tensor resident(Tensor t) {
        MemorySegment copy = weightMemory.allocate(t.data().byteSize(), 64);
        MemorySegment.copy(t.data(), 0, copy, 0, t.data().byteSize());
        if (t.data().isMapped()) t.data().unload();
        return Tensor.of(t.name(), t.dtype(), t.shape(), copy);
    }

    private PackedMatrix packed(Tensor... parts) {
        List<Matrix> matrices = new ArrayList<>();
        for (Tensor t : parts) matrices.add(matrix(t));
        PackedMatrix p = PackedMatrix.pack(matrices, weightMemory);
        // the mapped original is not read again (the embeddings have a copy of their own): give its
        // pages back so resident memory holds one copy of the weights, not two
        for (Tensor t : parts) {
            if (t.data().isMapped()) t.data().unload();
        }
        return p;
    }

    /** The biases of stacked matrices end to end, or null when they have none. */
    private static float[] concat(float[]... parts) {
        if (parts[0] == null) return null;
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    static float[] vec(Tensor t) {
        return t == null ? null : t.toFloatArray();
    }

    @Override
    public void close() {
        threads.close();
        arena.close();
    }
}
