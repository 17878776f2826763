package org.llmri.model.bert;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.util.ArrayList;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.model.ForwardHook;
import org.llmri.model.KvCache;
import org.llmri.model.LanguageModel;
import org.llmri.model.ModelShape;
import org.llmri.model.Step;
import org.llmri.model.Tap;
import org.llmri.model.Wire;
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
 * in float32. A step's ragged sequences run as one pass: the matrix multiplies take all rows together.
 *
 * <p>Behind the {@link LanguageModel} contract an encoder reads and never generates: a step must hold
 * each of its sequences whole (positions 0..n-1, rows consecutive, one slot per sequence), because
 * attention looks both ways and nothing is kept between steps, so its cache has no layers.
 */
public final class BertModel implements LanguageModel {
    /** A layer's taps in forward order: module path suffix, kind, group, and whether it is intermediate_size wide. */
    private record Point(String suffix, String kind, Tap.Group group, boolean wide) {}

    private static final List<Point> LAYER_POINTS = List.of(
            new Point(".attention.self.query", "query", Tap.Group.ATTENTION, false),
            new Point(".attention.self.key", "key", Tap.Group.ATTENTION, false),
            new Point(".attention.self.value", "value", Tap.Group.ATTENTION, false),
            new Point(".attention.self", "context", Tap.Group.ATTENTION, false),
            new Point(".attention.output.dense", "attention_dense", Tap.Group.ATTENTION, false),
            new Point(".attention.output.LayerNorm", "attention_layernorm", Tap.Group.ATTENTION, false),
            new Point(".intermediate.dense", "intermediate", Tap.Group.MLP, true),
            new Point(".intermediate.intermediate_act_fn", "intermediate_act_fn", Tap.Group.MLP, true),
            new Point(".output.dense", "output_dense", Tap.Group.MLP, false),
            new Point("", "residual", Tap.Group.RESIDUAL, false));

    /** Every tap of an encoder, in forward order: embeddings (after LayerNorm), then each layer's ten. */
    public static List<Tap> taps(BertConfig c) {
        List<Tap> out = new ArrayList<>();
        out.add(new Tap("embeddings", "embeddings", Tap.Group.RESIDUAL, -1, c.hiddenSize()));
        for (int l = 0; l < c.numLayers(); l++) {
            for (Point p : LAYER_POINTS) {
                out.add(new Tap("encoder.layer." + l + p.suffix, p.kind, p.group, l, p.wide ? c.intermediateSize() : c.hiddenSize()));
            }
        }
        return List.copyOf(out);
    }

    private final BertConfig config;
    private final ModelShape shape;
    private final Threads threads;
    private final float[] wordEmbeddings;
    private final float[] positionEmbeddings;
    private final float[] tokenTypeEmbeddings;
    private final float[] embLnW, embLnB;
    private final Layer[] layers;
    private final List<Tap> taps;
    private final Arena arena = Arena.ofShared();
    private final SegmentAllocator weightMemory = PackedMatrix.weightMemory(arena);

    // q, k and v packed as one [3h, h] matrix: one matmul instead of three
    private record Layer(PackedMatrix qkv, float[] qkvBias, PackedMatrix attnDense, float[] attnDenseBias,
                         float[] attnLnW, float[] attnLnB, PackedMatrix inter, float[] interBias,
                         PackedMatrix out, float[] outBias, float[] outLnW, float[] outLnB, Tap[] taps) {}

    public BertModel(BertWeights w, Threads threads) {
        this.config = w.config();
        this.shape = new ModelShape(config.hiddenSize(), config.vocabSize(), config.numLayers(), config.maxPositionEmbeddings(), -1, false);
        this.threads = threads;
        this.wordEmbeddings = w.wordEmbeddings().toFloatArray();
        this.positionEmbeddings = w.positionEmbeddings().toFloatArray();
        this.tokenTypeEmbeddings = w.tokenTypeEmbeddings().toFloatArray();
        this.embLnW = w.embeddingsLnWeight().toFloatArray();
        this.embLnB = w.embeddingsLnBias().toFloatArray();
        this.taps = taps(config);
        int per = LAYER_POINTS.size();
        this.layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            BertWeights.Layer l = w.layers().get(i);
            Tap[] layerTaps = taps.subList(1 + i * per, 1 + (i + 1) * per).toArray(Tap[]::new);
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
        return "BertModel";
    }

    /** BertModel's parameters (Linear weights [out, in], HF names without "bert.") that compute or read each tap's units. */
    @Override
    public List<Wire> wiring(Tap tap) {
        String l = "encoder.layer." + tap.layer() + ".", s = l + "attention.self.";
        String nextQkv = "encoder.layer." + (tap.layer() + 1) + ".attention.self.";
        List<Wire> readByNext = tap.layer() + 1 < config.numLayers()
                ? List.of(Wire.reads(nextQkv + "query.weight"), Wire.reads(nextQkv + "key.weight"), Wire.reads(nextQkv + "value.weight")) : List.of();
        return switch (tap.kind()) {
            case "embeddings" -> Wire.all(List.of(new Wire("embeddings.word_embeddings.weight", Wire.Role.WRITES, 1, u -> u),
                    new Wire("embeddings.position_embeddings.weight", Wire.Role.WRITES, 1, u -> u),
                    new Wire("embeddings.token_type_embeddings.weight", Wire.Role.WRITES, 1, u -> u)), Wire.norm("embeddings.LayerNorm"), readByNext);
            case "query", "key", "value" -> Wire.linearOut(s + tap.kind());
            case "context" -> Wire.all(Wire.linearOut(s + "value"), List.of(Wire.reads(l + "attention.output.dense.weight")));
            case "attention_dense" -> Wire.linearOut(l + "attention.output.dense");
            case "attention_layernorm" -> Wire.all(Wire.norm(l + "attention.output.LayerNorm"), List.of(Wire.reads(l + "intermediate.dense.weight")));
            case "intermediate" -> Wire.linearOut(l + "intermediate.dense");
            case "intermediate_act_fn" -> Wire.all(Wire.linearOut(l + "intermediate.dense"), List.of(Wire.reads(l + "output.dense.weight")));
            case "output_dense" -> Wire.linearOut(l + "output.dense");
            case "residual" -> Wire.all(Wire.norm(l + "output.LayerNorm"), readByNext);
            default -> List.of();
        };
    }

    @Override
    public List<Tap> taps() {
        return taps;
    }

    /** A cache with no layers: an encoder reads each sequence whole within one step and keeps nothing. */
    @Override
    public KvCache newCache(int slots) {
        return new KvCache(slots, 0, config.hiddenSize(), config.numHeads());
    }

    private static void tap(ForwardHook hook, Tap tap, float[] values, int width, Step step) {
        if (hook != null) hook.at(tap, values, width, step);
    }

    /**
     * Runs the encoder over a step's sequences, calling the hook (may be null) at every tap with all rows,
     * and returns last_hidden_state at the step's output rows as {@link Output#finalHidden()}; there are
     * no logits (BertModel has no LM head) and the cache is not used.
     */
    @Override
    public synchronized Output forward(Step step, KvCache cache, ForwardHook hook, boolean logits) {
        int[] starts = sequenceStarts(step);
        int n = step.rows(), h = config.hiddenSize(), f = config.intermediateSize();
        float[] hidden = embed(step, starts);
        tap(hook, taps.getFirst(), hidden, h, step);
        float[] qkv = new float[3 * n * h];
        float[] q = new float[n * h], k = new float[n * h], v = new float[n * h];
        float[] ctx = new float[n * h], tmp = new float[n * h], ffn = new float[n * f];
        for (Layer L : layers) {
            Tap[] t = L.taps;
            Matmul.linear(threads, hidden, n, L.qkv, L.qkvBias, qkv);
            threads.forRange(n, 1, (from, to) -> {
                for (int r = from; r < to; r++) {
                    System.arraycopy(qkv, 3 * r * h, q, r * h, h);
                    System.arraycopy(qkv, (3 * r + 1) * h, k, r * h, h);
                    System.arraycopy(qkv, (3 * r + 2) * h, v, r * h, h);
                }
            });
            tap(hook, t[0], q, h, step);
            tap(hook, t[1], k, h, step);
            tap(hook, t[2], v, h, step);
            BertAttention.run(threads, starts, q, k, v, ctx, config.numHeads(), h);
            tap(hook, t[3], ctx, h, step);
            Matmul.linear(threads, ctx, n, L.attnDense, L.attnDenseBias, tmp);
            tap(hook, t[4], tmp, h, step);
            Ops.addInPlace(hidden, tmp, n * h);
            Ops.layerNorm(threads, hidden, hidden, n, h, L.attnLnW, L.attnLnB, config.layerNormEps());
            tap(hook, t[5], hidden, h, step);
            Matmul.linear(threads, hidden, n, L.inter, L.interBias, ffn);
            tap(hook, t[6], ffn, f, step);
            switch (config.hiddenAct()) {
                case GELU -> Ops.gelu(threads, ffn, n * f);
                case RELU -> Ops.relu(ffn, n * f);
            }
            tap(hook, t[7], ffn, f, step);
            Matmul.linear(threads, ffn, n, L.out, L.outBias, tmp);
            tap(hook, t[8], tmp, h, step);
            Ops.addInPlace(hidden, tmp, n * h);
            Ops.layerNorm(threads, hidden, hidden, n, h, L.outLnW, L.outLnB, config.layerNormEps());
            tap(hook, t[9], hidden, h, step);
        }
        int m = step.outputs();
        float[] last = new float[m * h];
        for (int o = 0; o < m; o++) System.arraycopy(hidden, step.outputRows()[o] * h, last, o * h, h);
        return new Output(null, last, config.vocabSize(), h);
    }

    /**
     * Where each sequence of a step starts (and, last, the row count): a new sequence begins where the
     * slot changes. Each must be whole: positions 0, 1, ... in order, since an encoder keeps no past.
     */
    static int[] sequenceStarts(Step step) {
        int n = step.rows();
        if (n == 0) throw new LlmriException("an encoder step needs at least one token");
        int[] starts = new int[n + 1];
        int count = 0;
        for (int r = 0; r < n; r++) {
            boolean first = r == 0 || step.slots()[r] != step.slots()[r - 1];
            if (first) starts[count++] = r;
            int expected = r - starts[count - 1];
            if (step.positions()[r] != expected) {
                throw new LlmriException("an encoder reads each sequence whole in one step: row " + r + " is at position "
                        + step.positions()[r] + ", expected " + expected);
            }
        }
        starts[count] = n;
        return java.util.Arrays.copyOf(starts, count + 1);
    }

    private float[] embed(Step step, int[] starts) {
        int n = step.rows(), h = config.hiddenSize(), sequences = starts.length - 1;
        for (int s = 0; s < sequences; s++) {
            int len = starts[s + 1] - starts[s];
            if (len > config.maxPositionEmbeddings()) {
                throw new LlmriException("sequence " + s + " has " + len + " tokens, more than the model's "
                        + "max_position_embeddings (" + config.maxPositionEmbeddings() + ")");
            }
        }
        for (int r = 0; r < n; r++) {
            int id = step.tokens()[r];
            if (id < 0 || id >= config.vocabSize()) {
                throw new LlmriException("token id " + id + " is outside the vocabulary (size " + config.vocabSize() + ")");
            }
        }
        float[] x = new float[n * h];
        // every token is of type 0, as BertModel takes it when token_type_ids are not given
        threads.forRange(sequences, 1, (from, to) -> {
            for (int s = from; s < to; s++) {
                for (int r = starts[s], p = 0; r < starts[s + 1]; r++, p++) {
                    int w = step.tokens()[r] * h, o = r * h;
                    // HF's order: (word + token type) + position
                    for (int j = 0; j < h; j++) x[o + j] = wordEmbeddings[w + j] + tokenTypeEmbeddings[j] + positionEmbeddings[p * h + j];
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
