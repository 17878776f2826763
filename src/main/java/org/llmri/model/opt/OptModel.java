package org.llmri.model.opt;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.ArrayList;
import java.util.List;
import org.llmri.model.ForwardHook;
import org.llmri.model.KvCache;
import org.llmri.model.LanguageModel;
import org.llmri.model.ModelShape;
import org.llmri.model.Step;
import org.llmri.model.Tap;
import org.llmri.model.Wire;
import org.llmri.model.run.Attention;
import org.llmri.model.weights.Tensor;
import org.llmri.tensor.Matmul;
import org.llmri.tensor.Matrix;
import org.llmri.tensor.Ops;
import org.llmri.tensor.PackedMatrix;
import org.llmri.tensor.Storage;
import org.llmri.tensor.Threads;

/**
 * The OPT decoder (Galactica's architecture) with Hugging Face {@code OPTForCausalLM} semantics:
 * learned positions at row position + 2, pre- or post-LayerNorm (eps 1e-5), q = q_proj(x) * head_dim^-0.5,
 * causal softmax attention over a KV cache, exact GELU or ReLU, final LayerNorm and optional
 * project_out before lm_head. All arithmetic in float32; weights stay in their stored precision.
 */
public final class OptModel implements LanguageModel {
    static final float LN_EPS = 1e-5f;

    /** The tap kinds in the y order of the NIfTI layout (units.tsv's y). */
    private static final List<String> KIND_ORDER = List.of("embed", "self_attn_layer_norm", "q_proj", "k_proj", "v_proj",
            "context", "out_proj", "final_layer_norm", "fc1", "activation_fn", "fc2", "residual");

    private final OptConfig config;
    private final ModelShape shape;
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
    private final Tap embedTap;
    private final Tap finalLnTap;
    private final List<Tap> taps;
    // the packed weights live here, off the heap, until close()
    private final Arena arena = Arena.ofShared();
    private final SegmentAllocator weightMemory = PackedMatrix.weightMemory(arena);
    // activations of the last step's size, reused while steps keep that size (every decode step of a batch)
    private Scratch scratch;

    /** One decoder layer: its weights (q, k and v packed as one [3h, h] matrix: one matmul, not three) and its taps. */
    private record Layer(PackedMatrix qkv, float[] qkvb, PackedMatrix out, float[] outb,
                         float[] ln1w, float[] ln1b, PackedMatrix fc1, float[] fc1b, PackedMatrix fc2, float[] fc2b,
                         float[] ln2w, float[] ln2b,
                         Tap attnNorm, Tap qProj, Tap kProj, Tap vProj, Tap context, Tap outProj,
                         Tap mlpNorm, Tap fc1Out, Tap activation, Tap fc2Out, Tap output) {}

    /** The activations of one step of n rows. */
    private record Scratch(int rows, float[] hidden, float[] x, float[] q, float[] k, float[] v, float[] qkv,
                           float[] ctx, float[] tmp, float[] ffn) {
        static Scratch of(int n, int h, int f) {
            return new Scratch(n, new float[n * h], new float[n * h], new float[n * h], new float[n * h], new float[n * h],
                    new float[3 * n * h], new float[n * h], new float[n * h], new float[n * f]);
        }
    }

    public OptModel(OptWeights w, Threads threads) {
        this.config = w.config();
        this.shape = new ModelShape(config.hiddenSize(), config.vocabSize(), config.numLayers(), config.maxPositionEmbeddings(), config.eosTokenId(), true);
        this.threads = threads;
        this.embedTokens = resident(w.embedTokens());
        this.embedPositions = resident(w.embedPositions());
        this.projectIn = w.projectIn() == null ? null : packed(w.projectIn());
        this.projectOut = w.projectOut() == null ? null : packed(w.projectOut());
        int h = config.hiddenSize(), f = config.ffnDim();
        List<Tap> all = new ArrayList<>();
        this.embedTap = new Tap("embed", "embed", Tap.Group.RESIDUAL, -1, h);
        all.add(embedTap);
        this.layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            OptWeights.Layer l = w.layers().get(i);
            String p = "layers." + i + ".";
            layers[i] = new Layer(packed(l.qWeight(), l.kWeight(), l.vWeight()), concat(vec(l.qBias()), vec(l.kBias()), vec(l.vBias())),
                    packed(l.outWeight()), vec(l.outBias()),
                    vec(l.attnLnWeight()), vec(l.attnLnBias()), packed(l.fc1Weight()), vec(l.fc1Bias()),
                    packed(l.fc2Weight()), vec(l.fc2Bias()), vec(l.finalLnWeight()), vec(l.finalLnBias()),
                    new Tap(p + "self_attn_layer_norm", "self_attn_layer_norm", Tap.Group.ATTENTION, i, h),
                    // q_proj's output before the head_dim^-0.5 scaling, as a hook on q_proj sees it
                    new Tap(p + "self_attn.q_proj", "q_proj", Tap.Group.ATTENTION, i, h),
                    new Tap(p + "self_attn.k_proj", "k_proj", Tap.Group.ATTENTION, i, h),
                    new Tap(p + "self_attn.v_proj", "v_proj", Tap.Group.ATTENTION, i, h),
                    // the heads' attention-weighted values, concatenated, before out_proj
                    new Tap(p + "self_attn.context", "context", Tap.Group.ATTENTION, i, h),
                    new Tap(p + "self_attn.out_proj", "out_proj", Tap.Group.ATTENTION, i, h),
                    new Tap(p + "final_layer_norm", "final_layer_norm", Tap.Group.MLP, i, h),
                    new Tap(p + "fc1", "fc1", Tap.Group.MLP, i, f),
                    new Tap(p + "activation_fn", "activation_fn", Tap.Group.MLP, i, f),
                    new Tap(p + "fc2", "fc2", Tap.Group.MLP, i, h),
                    // the layer's output: the residual stream after the layer
                    new Tap("layers." + i, "residual", Tap.Group.RESIDUAL, i, h));
            Layer L = layers[i];
            all.addAll(List.of(L.attnNorm, L.qProj, L.kProj, L.vProj, L.context, L.outProj, L.mlpNorm, L.fc1Out, L.activation,
                    L.fc2Out, L.output));
        }
        this.hasFinalLn = config.doLayerNormBefore() && !config.removeFinalLayerNorm();
        this.finalLnTap = new Tap("final_layer_norm", "final_layer_norm", Tap.Group.RESIDUAL, -1, h);
        if (hasFinalLn) all.add(finalLnTap);
        this.taps = List.copyOf(all);
        this.finalLnWeight = vec(w.finalLayerNormWeight());
        this.finalLnBias = vec(w.finalLayerNormBias());
        this.lmHead = packed(w.lmHead());
    }

    public OptConfig config() {
        return config;
    }

    @Override
    public ModelShape shape() {
        return shape;
    }

    @Override
    public Threads threads() {
        return threads;
    }

    @Override
    public String architecture() {
        return "OPTForCausalLM";
    }

    /** Every tap this model has, in forward order: embed, then each layer's points, then the final LayerNorm. */
    /** OPTForCausalLM's parameters (Linear weights [out, in]) that compute or read each tap's units. */
    @Override
    public List<Wire> wiring(Tap tap) {
        String d = "model.decoder.", l = d + "layers." + tap.layer() + ".";
        String next = tap.layer() + 1 < config.numLayers() ? d + "layers." + (tap.layer() + 1) + ".self_attn_layer_norm" : d + "final_layer_norm";
        return switch (tap.kind()) {
            case "embed" -> List.of(new Wire(d + "embed_tokens.weight", Wire.Role.WRITES, 1, u -> u),
                    new Wire(d + "embed_positions.weight", Wire.Role.WRITES, 1, u -> u));
            case "q_proj", "k_proj", "v_proj", "out_proj" -> Wire.linearOut(l + "self_attn." + tap.kind());
            case "fc1", "fc2" -> Wire.linearOut(l + tap.kind());
            case "context" -> Wire.all(Wire.linearOut(l + "self_attn.v_proj"), List.of(Wire.reads(l + "self_attn.out_proj.weight")));
            case "activation_fn" -> Wire.all(Wire.linearOut(l + "fc1"), List.of(Wire.reads(l + "fc2.weight")));
            case "self_attn_layer_norm" -> Wire.all(Wire.norm(l + "self_attn_layer_norm"), List.of(Wire.reads(l + "self_attn.q_proj.weight"),
                    Wire.reads(l + "self_attn.k_proj.weight"), Wire.reads(l + "self_attn.v_proj.weight")));
            case "final_layer_norm" -> tap.layer() < 0 ? Wire.norm(d + "final_layer_norm")
                    : Wire.all(Wire.norm(l + "final_layer_norm"), List.of(Wire.reads(l + "fc1.weight")));
            case "residual" -> Wire.all(Wire.linearOut(l + "self_attn.out_proj"), Wire.linearOut(l + "fc2"), Wire.norm(next));
            default -> List.of();
        };
    }

    @Override
    public List<Tap> taps() {
        return taps;
    }

    @Override
    public List<String> kindOrder() {
        return KIND_ORDER;
    }

    @Override
    public KvCache newCache(int slots) {
        return new KvCache(slots, layers.length, config.hiddenSize(), config.numHeads());
    }

    private static void tap(ForwardHook hook, Tap tap, float[] values, int width, Step step) {
        if (hook != null) hook.at(tap, values, width, step);
    }

    /**
     * Runs the decoder over a step's rows, writing their keys and values into the cache, and returns
     * the logits (and the last hidden state, as HF's hidden_states[-1]) of the step's output rows.
     * One step at a time: the activations live in scratch buffers the model keeps.
     */
    @Override
    public synchronized Output forward(Step step, KvCache cache, ForwardHook hook, boolean logits) {
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
        if (scratch == null || scratch.rows() != n) scratch = Scratch.of(n, h, f);
        Scratch s = scratch;
        float[] hidden = s.hidden(), x = s.x(), q = s.q(), k = s.k(), v = s.v(), qkv = s.qkv(), ctx = s.ctx(), tmp = s.tmp(), ffn = s.ffn();
        embed(step, hidden);
        tap(hook, embedTap, hidden, h, step);

        boolean pre = config.doLayerNormBefore();
        for (int li = 0; li < layers.length; li++) {
            Layer L = layers[li];
            // attention block
            float[] attnIn = hidden;
            if (pre) {
                Ops.layerNorm(threads, hidden, x, n, h, L.ln1w, L.ln1b, LN_EPS);
                tap(hook, L.attnNorm, x, h, step);
                attnIn = x;
            }
            Matmul.linear(threads, attnIn, n, L.qkv, L.qkvb, qkv);
            threads.forRange(n, 1, (from, to) -> {
                for (int r = from; r < to; r++) {
                    System.arraycopy(qkv, 3 * r * h, q, r * h, h);
                    System.arraycopy(qkv, (3 * r + 1) * h, k, r * h, h);
                    System.arraycopy(qkv, (3 * r + 2) * h, v, r * h, h);
                }
            });
            tap(hook, L.qProj, q, h, step);
            tap(hook, L.kProj, k, h, step);
            tap(hook, L.vProj, v, h, step);
            Attention.run(threads, step, cache, li, q, k, v, ctx, config.numHeads(), h);
            tap(hook, L.context, ctx, h, step);
            Matmul.linear(threads, ctx, n, L.out, L.outb, tmp);
            tap(hook, L.outProj, tmp, h, step);
            Ops.addInPlace(hidden, tmp, n * h);
            if (!pre) {
                Ops.layerNorm(threads, hidden, hidden, n, h, L.ln1w, L.ln1b, LN_EPS);
                tap(hook, L.attnNorm, hidden, h, step);
            }
            // feed-forward block
            float[] ffnIn = hidden;
            if (pre) {
                Ops.layerNorm(threads, hidden, x, n, h, L.ln2w, L.ln2b, LN_EPS);
                tap(hook, L.mlpNorm, x, h, step);
                ffnIn = x;
            }
            Matmul.linear(threads, ffnIn, n, L.fc1, L.fc1b, ffn);
            tap(hook, L.fc1Out, ffn, f, step);
            activate(ffn, n * f);
            tap(hook, L.activation, ffn, f, step);
            Matmul.linear(threads, ffn, n, L.fc2, L.fc2b, tmp);
            tap(hook, L.fc2Out, tmp, h, step);
            Ops.addInPlace(hidden, tmp, n * h);
            if (!pre) {
                Ops.layerNorm(threads, hidden, hidden, n, h, L.ln2w, L.ln2b, LN_EPS);
                tap(hook, L.mlpNorm, hidden, h, step);
            }
            tap(hook, L.output, hidden, h, step);
        }
        // only the output rows go on to the final LayerNorm and lm_head
        int m = step.outputs();
        float[] last = new float[m * h];
        for (int o = 0; o < m; o++) System.arraycopy(hidden, step.outputRows()[o] * h, last, o * h, h);
        if (hasFinalLn) {
            Ops.layerNorm(threads, last, last, m, h, finalLnWeight, finalLnBias, LN_EPS);
            if (hook != null) tap(hook, finalLnTap, last, h, outputStep(step));
        }
        float[] fin = last;
        int width = h;
        if (projectOut != null) {
            width = projectOut.rows();
            fin = new float[m * width];
            Matmul.linear(threads, last, m, projectOut, null, fin);
        }
        if (!logits) return new Output(null, fin, lmHead.rows(), width);
        float[] out = new float[m * lmHead.rows()];
        Matmul.linear(threads, fin, m, lmHead, null, out);
        return new Output(out, fin, lmHead.rows(), width);
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

    private void embed(Step step, float[] hidden) {
        int n = step.rows();
        int h = config.hiddenSize();
        if (projectIn == null) {
            for (int i = 0; i < n; i++) embedTokens.copyToFloat((long) step.tokens()[i] * h, hidden, i * h, h);
        } else {
            int d = embedTokens.dim(1);
            float[] small = new float[n * d];
            for (int i = 0; i < n; i++) embedTokens.copyToFloat((long) step.tokens()[i] * d, small, i * d, d);
            Matmul.linear(threads, small, n, projectIn, null, hidden);
        }
        float[] pos = new float[h];
        for (int i = 0; i < n; i++) {
            embedPositions.copyToFloat((long) (step.positions()[i] + 2) * h, pos, 0, h);
            for (int j = 0; j < h; j++) hidden[i * h + j] += pos[j];
        }
    }

    private void activate(float[] a, int count) {
        switch (config.activation()) {
            case GELU -> Ops.gelu(threads, a, count);
            case RELU -> Ops.relu(a, count);
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
