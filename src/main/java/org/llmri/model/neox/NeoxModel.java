package org.llmri.model.neox;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.llmri.model.ForwardHook;
import org.llmri.model.KvCache;
import org.llmri.model.LanguageModel;
import org.llmri.model.ModelShape;
import org.llmri.model.Step;
import org.llmri.model.Tap;
import org.llmri.model.Wire;
import org.llmri.model.run.Attention;
import org.llmri.model.run.PackedWeights;
import org.llmri.model.run.StepRows;
import org.llmri.model.run.TransformerLensNames;
import org.llmri.model.run.WeightLookup;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Tensor;
import org.llmri.tensor.Matmul;
import org.llmri.tensor.Ops;
import org.llmri.tensor.PackedMatrix;
import org.llmri.tensor.Threads;

/**
 * GPT-NeoX (Pythia) with Hugging Face {@code GPTNeoXForCausalLM} semantics: embed_in, pre-LayerNorm
 * blocks whose fused query_key_value is laid out per head [q k v], rotary (rotate-half) on the first
 * rotary_pct of each head's dims, scores scaled by head_size^-0.5, parallel (x + attn(ln1 x) + mlp(ln2 x))
 * or sequential residual, final_layer_norm and a separate embed_out. Float32 arithmetic.
 */
public final class NeoxModel implements LanguageModel {
    private static final List<String> KIND_ORDER = List.of("embed", "input_layernorm", "attention.query_key_value",
            "attention.context", "attention.dense", "post_attention_layernorm", "mlp.dense_h_to_4h", "mlp.act",
            "mlp.dense_4h_to_h", "residual", "final_layer_norm");

    private final NeoxConfig config;
    private final ModelShape shape;
    private final Threads threads;
    private final PackedWeights memory = new PackedWeights();
    private final Tensor embedIn;
    private final Layer[] layers;
    private final float[] finalW, finalB;
    private final PackedMatrix embedOut;
    private final float[] frequencies;
    private final Tap embedTap, finalTap;
    private final List<Tap> taps;
    private Scratch scratch;

    private record Layer(float[] ln1w, float[] ln1b, PackedMatrix qkv, float[] qkvB, PackedMatrix dense, float[] denseB,
                         float[] ln2w, float[] ln2b, PackedMatrix up, float[] upB, PackedMatrix down, float[] downB,
                         Tap ln1, Tap qkvOut, Tap context, Tap attnOut, Tap ln2, Tap upOut, Tap act, Tap mlpOut, Tap output) {}

    private record Scratch(int rows, float[] hidden, float[] x, float[] qkv, float[] q, float[] k, float[] v, float[] ctx,
                           float[] attn, float[] mlp, float[] ffn) {
        static Scratch of(int n, int h, int f) {
            return new Scratch(n, new float[n * h], new float[n * h], new float[3 * n * h], new float[n * h], new float[n * h],
                    new float[n * h], new float[n * h], new float[n * h], new float[n * h], new float[n * f]);
        }
    }

    public NeoxModel(NeoxConfig config, ModelWeights weights, Threads threads) {
        this.config = config;
        this.shape = new ModelShape(config.hiddenSize(), config.vocabSize(), config.numLayers(), config.maxPositions(), config.eosTokenId(), true);
        this.threads = threads;
        int h = config.hiddenSize(), f = config.intermediateSize(), v = config.vocabSize();
        WeightLookup w = new WeightLookup(weights, "gpt_neox.", "");
        Tensor embedT = w.required("embed_in.weight", v, h);
        this.embedIn = memory.resident(embedT);
        List<Tap> all = new ArrayList<>();
        embedTap = new Tap("embed_in", "embed", Tap.Group.RESIDUAL, -1, h);
        all.add(embedTap);
        layers = new Layer[config.numLayers()];
        boolean bias = config.attentionBias();
        for (int i = 0; i < layers.length; i++) {
            String p = "layers." + i + ".";
            if (!bias) {
                w.absent(p + "attention.query_key_value.bias", "attention_bias is false");
                w.absent(p + "attention.dense.bias", "attention_bias is false");
            }
            layers[i] = new Layer(
                    vec(w.required(p + "input_layernorm.weight", h)), vec(w.required(p + "input_layernorm.bias", h)),
                    memory.linear(w.required(p + "attention.query_key_value.weight", 3L * h, h)),
                    bias ? vec(w.required(p + "attention.query_key_value.bias", 3L * h)) : null,
                    memory.linear(w.required(p + "attention.dense.weight", h, h)),
                    bias ? vec(w.required(p + "attention.dense.bias", h)) : null,
                    vec(w.required(p + "post_attention_layernorm.weight", h)), vec(w.required(p + "post_attention_layernorm.bias", h)),
                    memory.linear(w.required(p + "mlp.dense_h_to_4h.weight", f, h)), vec(w.required(p + "mlp.dense_h_to_4h.bias", f)),
                    memory.linear(w.required(p + "mlp.dense_4h_to_h.weight", h, f)), vec(w.required(p + "mlp.dense_4h_to_h.bias", h)),
                    new Tap(p + "input_layernorm", "input_layernorm", Tap.Group.ATTENTION, i, h),
                    // per head [q k v], before rotary, as query_key_value returns them
                    new Tap(p + "attention.query_key_value", "attention.query_key_value", Tap.Group.ATTENTION, i, 3 * h),
                    // the heads' attention-weighted values, merged: dense's input
                    new Tap(p + "attention.context", "attention.context", Tap.Group.ATTENTION, i, h),
                    // dense's output = the attention module's output[0]
                    new Tap(p + "attention.dense", "attention.dense", Tap.Group.ATTENTION, i, h),
                    new Tap(p + "post_attention_layernorm", "post_attention_layernorm", Tap.Group.MLP, i, h),
                    new Tap(p + "mlp.dense_h_to_4h", "mlp.dense_h_to_4h", Tap.Group.MLP, i, f),
                    new Tap(p + "mlp.act", "mlp.act", Tap.Group.MLP, i, f),
                    new Tap(p + "mlp.dense_4h_to_h", "mlp.dense_4h_to_h", Tap.Group.MLP, i, h),
                    new Tap("layers." + i, "residual", Tap.Group.RESIDUAL, i, h));
            Layer L = layers[i];
            all.addAll(List.of(L.ln1, L.qkvOut, L.context, L.attnOut, L.ln2, L.upOut, L.act, L.mlpOut, L.output));
        }
        finalW = vec(w.required("final_layer_norm.weight", h));
        finalB = vec(w.required("final_layer_norm.bias", h));
        finalTap = new Tap("final_layer_norm", "final_layer_norm", Tap.Group.RESIDUAL, -1, h);
        all.add(finalTap);
        taps = List.copyOf(all);
        Tensor head = !config.tieWordEmbeddings() ? w.required("embed_out.weight", v, h) : embedT;
        embedOut = memory.linear(head);
        frequencies = Ops.ropeFrequencies(config.rotaryDims(), config.rotaryBase());
        w.refuseExtraLayers("layers.", config.numLayers(), "num_hidden_layers");
    }

    private static float[] vec(Tensor t) {
        return PackedWeights.vec(t);
    }

    public NeoxConfig config() {
        return config;
    }

    @Override
    public String architecture() {
        return "GPTNeoXForCausalLM";
    }

    /**
     * GPTNeoXForCausalLM's parameters (Linear weights [out, in]) that compute or read each tap's units. The fused
     * query_key_value rows are laid out per head [q k v], as the tap is; a context unit (head n, dim d) is made
     * from the v row n·3·head_dim + 2·head_dim + d.
     */
    @Override
    public List<Wire> wiring(Tap tap) {
        int hd = config.headDim();
        String g = "gpt_neox.", l = g + "layers." + tap.layer() + ".";
        String next = tap.layer() + 1 < config.numLayers() ? g + "layers." + (tap.layer() + 1) + ".input_layernorm" : g + "final_layer_norm";
        String qkv = l + "attention.query_key_value";
        java.util.function.IntUnaryOperator vRow = u -> (u / hd) * 3 * hd + 2 * hd + u % hd;
        return switch (tap.kind()) {
            case "embed" -> List.of(new Wire(g + "embed_in.weight", Wire.Role.WRITES, 1, u -> u));
            case "input_layernorm" -> Wire.all(Wire.norm(l + "input_layernorm"), List.of(Wire.reads(qkv + ".weight")));
            case "attention.query_key_value", "attention.dense", "mlp.dense_h_to_4h", "mlp.dense_4h_to_h" -> Wire.linearOut(l + tap.kind());
            case "attention.context" -> List.of(new Wire(qkv + ".weight", Wire.Role.WRITES, 0, vRow), new Wire(qkv + ".bias", Wire.Role.WRITES, 0, vRow),
                    Wire.reads(l + "attention.dense.weight"));
            case "post_attention_layernorm" -> Wire.all(Wire.norm(l + "post_attention_layernorm"), List.of(Wire.reads(l + "mlp.dense_h_to_4h.weight")));
            case "mlp.act" -> Wire.all(Wire.linearOut(l + "mlp.dense_h_to_4h"), List.of(Wire.reads(l + "mlp.dense_4h_to_h.weight")));
            case "residual" -> Wire.all(Wire.linearOut(l + "attention.dense"), Wire.linearOut(l + "mlp.dense_4h_to_h"), Wire.norm(next));
            case "final_layer_norm" -> Wire.norm(g + "final_layer_norm");
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

    /** TransformerLens's hook names mapped onto these taps (q, k and v name the fused query_key_value). */
    @Override
    public Map<String, String> tapAliases() {
        String p = "layers.%d.";
        return TransformerLensNames.of(config.numLayers(), "embed_in", "layers.%d",
                Map.of("ln1.hook_normalized", p + "input_layernorm", "attn.hook_q", p + "attention.query_key_value",
                        "attn.hook_k", p + "attention.query_key_value", "attn.hook_v", p + "attention.query_key_value",
                        "attn.hook_z", p + "attention.context", "hook_attn_out", p + "attention.dense",
                        "ln2.hook_normalized", p + "post_attention_layernorm", "mlp.hook_pre", p + "mlp.dense_h_to_4h",
                        "mlp.hook_post", p + "mlp.act", "hook_mlp_out", p + "mlp.dense_4h_to_h"),
                Map.of("hook_embed", "embed_in", "ln_final.hook_normalized", "final_layer_norm"));
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
    public KvCache newCache(int slots) {
        return new KvCache(slots, layers.length, config.hiddenSize(), config.numHeads());
    }

    private static void tap(ForwardHook hook, Tap tap, float[] values, int width, Step step) {
        if (hook != null) hook.at(tap, values, width, step);
    }

    @Override
    public synchronized Output forward(Step step, KvCache cache, ForwardHook hook, boolean logits) {
        StepRows.check(step, config.vocabSize(), config.maxPositions(), "max_position_embeddings");
        int n = step.rows(), h = config.hiddenSize(), f = config.intermediateSize(), heads = config.numHeads(), hd = config.headDim();
        int rot = config.rotaryDims();
        if (scratch == null || scratch.rows() != n) scratch = Scratch.of(n, h, f);
        Scratch s = scratch;
        float[] hidden = s.hidden(), x = s.x(), qkv = s.qkv(), q = s.q(), k = s.k(), v = s.v(), ctx = s.ctx(),
                attn = s.attn(), mlp = s.mlp(), ffn = s.ffn();
        float eps = (float) config.layerNormEps();
        float scale = (float) Math.pow(hd, -0.5);
        for (int i = 0; i < n; i++) embedIn.copyToFloat((long) step.tokens()[i] * h, hidden, i * h, h);
        tap(hook, embedTap, hidden, h, step);
        for (int li = 0; li < layers.length; li++) {
            Layer L = layers[li];
            Ops.layerNorm(threads, hidden, x, n, h, L.ln1w, L.ln1b, eps);
            tap(hook, L.ln1, x, h, step);
            Matmul.linear(threads, x, n, L.qkv, L.qkvB, qkv);
            tap(hook, L.qkvOut, qkv, 3 * h, step);
            // unfuse per head ([q k v] of head j together) and rotate q and k in place
            threads.forRange(n, 1, (from, to) -> {
                float[] cos = new float[rot / 2], sin = new float[rot / 2];
                for (int r = from; r < to; r++) {
                    for (int j = 0; j < heads; j++) {
                        int src = r * 3 * h + j * 3 * hd, dst = r * h + j * hd;
                        System.arraycopy(qkv, src, q, dst, hd);
                        System.arraycopy(qkv, src + hd, k, dst, hd);
                        System.arraycopy(qkv, src + 2 * hd, v, dst, hd);
                    }
                    if (rot == 0) continue;
                    Ops.ropeAngles(step.positions()[r], frequencies, cos, sin);
                    for (int j = 0; j < heads; j++) {
                        Ops.rope(q, r * h + j * hd, rot / 2, cos, sin);
                        Ops.rope(k, r * h + j * hd, rot / 2, cos, sin);
                    }
                }
            });
            Attention.run(threads, step, cache, li, q, k, v, ctx, heads, heads, hd, scale);
            tap(hook, L.context, ctx, h, step);
            Matmul.linear(threads, ctx, n, L.dense, L.denseB, attn);
            tap(hook, L.attnOut, attn, h, step);
            if (config.parallelResidual()) {
                // x + attn(ln1(x)) + mlp(ln2(x)): the MLP reads the block's input
                Ops.layerNorm(threads, hidden, x, n, h, L.ln2w, L.ln2b, eps);
            } else {
                Ops.addInPlace(hidden, attn, n * h);
                Ops.layerNorm(threads, hidden, x, n, h, L.ln2w, L.ln2b, eps);
            }
            tap(hook, L.ln2, x, h, step);
            Matmul.linear(threads, x, n, L.up, L.upB, ffn);
            tap(hook, L.upOut, ffn, f, step);
            config.activation().apply(threads, ffn, n * f);
            tap(hook, L.act, ffn, f, step);
            Matmul.linear(threads, ffn, n, L.down, L.downB, mlp);
            tap(hook, L.mlpOut, mlp, h, step);
            if (config.parallelResidual()) {
                // as transformers sums it: (mlp + attn) + residual
                Ops.addInPlace(mlp, attn, n * h);
            }
            Ops.addInPlace(hidden, mlp, n * h);
            tap(hook, L.output, hidden, h, step);
        }
        int m = step.outputs();
        float[] last = StepRows.gather(hidden, step, h);
        Ops.layerNorm(threads, last, last, m, h, finalW, finalB, eps);
        if (hook != null) tap(hook, finalTap, last, h, StepRows.outputStep(step));
        if (!logits) return new Output(null, last, embedOut.rows(), h);
        float[] out = new float[m * embedOut.rows()];
        Matmul.linear(threads, last, m, embedOut, null, out);
        return new Output(out, last, embedOut.rows(), h);
    }

    @Override
    public void close() {
        threads.close();
        memory.close();
    }
}
