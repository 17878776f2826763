package org.llmri.model.llama;

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
 * Llama with Hugging Face {@code LlamaForCausalLM} semantics: embed_tokens, RMSNorm, q/k/v projections
 * with RoPE (rotate-half, base rope_theta) over the whole head, grouped-query attention whose KV cache
 * holds only the KV heads, a SwiGLU MLP down(silu(gate(x)) * up(x)), a final norm and lm_head (or
 * embed_tokens when tied). Float32 arithmetic.
 */
public final class LlamaModel implements LanguageModel {
    private static final List<String> KIND_ORDER = List.of("embed", "input_layernorm", "self_attn.q_proj", "self_attn.k_proj",
            "self_attn.v_proj", "self_attn.context", "self_attn.o_proj", "post_attention_layernorm", "mlp.gate_proj",
            "mlp.act_fn", "mlp.up_proj", "mlp.down_proj", "residual", "norm");

    private final LlamaConfig config;
    private final ModelShape shape;
    private final Threads threads;
    private final PackedWeights memory = new PackedWeights();
    private final Tensor embedTokens;
    private final Layer[] layers;
    private final float[] normW;
    private final PackedMatrix lmHead;
    private final float[] frequencies;
    private final Tap embedTap, normTap;
    private final List<Tap> taps;
    private Scratch scratch;

    private record Layer(float[] ln1w, PackedMatrix qkv, float[] qkvB, PackedMatrix o, float[] oB, float[] ln2w,
                         PackedMatrix gateUp, float[] gateUpB, PackedMatrix down, float[] downB,
                         Tap ln1, Tap qOut, Tap kOut, Tap vOut, Tap context, Tap oOut, Tap ln2, Tap gateOut, Tap act, Tap upOut,
                         Tap downOut, Tap output) {}

    private record Scratch(int rows, float[] hidden, float[] x, float[] qkv, float[] q, float[] k, float[] v, float[] ctx,
                           float[] tmp, float[] gateUp, float[] gate, float[] up) {
        static Scratch of(int n, int h, int qw, int kvw, int f) {
            return new Scratch(n, new float[n * h], new float[n * h], new float[n * (qw + 2 * kvw)], new float[n * qw],
                    new float[n * kvw], new float[n * kvw], new float[n * qw], new float[n * h], new float[2 * n * f],
                    new float[n * f], new float[n * f]);
        }
    }

    public LlamaModel(LlamaConfig config, ModelWeights weights, Threads threads) {
        this.config = config;
        this.shape = new ModelShape(config.hiddenSize(), config.vocabSize(), config.numLayers(), config.maxPositions(), config.eosTokenId(), true);
        this.threads = threads;
        int h = config.hiddenSize(), f = config.intermediateSize(), v = config.vocabSize();
        int qw = config.qWidth(), kvw = config.kvWidth();
        // ModelWeights drops LlamaForCausalLM's "model." wrapper from the keys
        WeightLookup w = new WeightLookup(weights, "");
        Tensor embedT = w.required("embed_tokens.weight", v, h);
        this.embedTokens = memory.resident(embedT);
        List<Tap> all = new ArrayList<>();
        embedTap = new Tap("embed_tokens", "embed", Tap.Group.RESIDUAL, -1, h);
        all.add(embedTap);
        layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "layers." + i + ".";
            String a = p + "self_attn.", m = p + "mlp.";
            float[] qkvB = null, oB = null, gateUpB = null, downB = null;
            if (config.attentionBias()) {
                qkvB = concat(vec(w.required(a + "q_proj.bias", qw)), vec(w.required(a + "k_proj.bias", kvw)),
                        vec(w.required(a + "v_proj.bias", kvw)));
                oB = vec(w.required(a + "o_proj.bias", h));
            } else {
                for (String s : List.of("q_proj", "k_proj", "v_proj", "o_proj")) w.absent(a + s + ".bias", "attention_bias is false");
            }
            if (config.mlpBias()) {
                gateUpB = concat(vec(w.required(m + "gate_proj.bias", f)), vec(w.required(m + "up_proj.bias", f)));
                downB = vec(w.required(m + "down_proj.bias", h));
            } else {
                for (String s : List.of("gate_proj", "up_proj", "down_proj")) w.absent(m + s + ".bias", "mlp_bias is false");
            }
            layers[i] = new Layer(vec(w.required(p + "input_layernorm.weight", h)),
                    memory.linear(w.required(a + "q_proj.weight", qw, h), w.required(a + "k_proj.weight", kvw, h),
                            w.required(a + "v_proj.weight", kvw, h)), qkvB,
                    memory.linear(w.required(a + "o_proj.weight", h, qw)), oB,
                    vec(w.required(p + "post_attention_layernorm.weight", h)),
                    memory.linear(w.required(m + "gate_proj.weight", f, h), w.required(m + "up_proj.weight", f, h)), gateUpB,
                    memory.linear(w.required(m + "down_proj.weight", h, f)), downB,
                    new Tap(p + "input_layernorm", "input_layernorm", Tap.Group.ATTENTION, i, h),
                    // q, k, v before RoPE, as the projections return them (k and v: the KV heads only)
                    new Tap(a + "q_proj", "self_attn.q_proj", Tap.Group.ATTENTION, i, qw),
                    new Tap(a + "k_proj", "self_attn.k_proj", Tap.Group.ATTENTION, i, kvw),
                    new Tap(a + "v_proj", "self_attn.v_proj", Tap.Group.ATTENTION, i, kvw),
                    // the heads' attention-weighted values, merged: o_proj's input
                    new Tap(a + "context", "self_attn.context", Tap.Group.ATTENTION, i, qw),
                    new Tap(a + "o_proj", "self_attn.o_proj", Tap.Group.ATTENTION, i, h),
                    new Tap(p + "post_attention_layernorm", "post_attention_layernorm", Tap.Group.MLP, i, h),
                    new Tap(m + "gate_proj", "mlp.gate_proj", Tap.Group.MLP, i, f),
                    new Tap(m + "act_fn", "mlp.act_fn", Tap.Group.MLP, i, f),
                    new Tap(m + "up_proj", "mlp.up_proj", Tap.Group.MLP, i, f),
                    new Tap(m + "down_proj", "mlp.down_proj", Tap.Group.MLP, i, h),
                    new Tap("layers." + i, "residual", Tap.Group.RESIDUAL, i, h));
            Layer L = layers[i];
            all.addAll(List.of(L.ln1, L.qOut, L.kOut, L.vOut, L.context, L.oOut, L.ln2, L.gateOut, L.act, L.upOut, L.downOut, L.output));
        }
        normW = vec(w.required("norm.weight", h));
        normTap = new Tap("norm", "norm", Tap.Group.RESIDUAL, -1, h);
        all.add(normTap);
        taps = List.copyOf(all);
        Tensor head = config.tieWordEmbeddings() ? embedT : w.required("lm_head.weight", v, h);
        lmHead = memory.linear(head);
        frequencies = Ops.ropeFrequencies(config.headDim(), config.ropeTheta());
        w.refuseExtraLayers("layers.", config.numLayers(), "num_hidden_layers");
    }

    private static float[] vec(Tensor t) {
        return PackedWeights.vec(t);
    }

    private static float[] concat(float[]... parts) {
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

    public LlamaConfig config() {
        return config;
    }

    @Override
    public String architecture() {
        return "LlamaForCausalLM";
    }

    /**
     * LlamaForCausalLM's parameters (Linear weights [out, in]) that compute or read each tap's units. A context
     * unit of query head n is made from the v_proj row of its KV head, n / (heads / kv_heads).
     */
    @Override
    public List<Wire> wiring(Tap tap) {
        int hd = config.headDim(), group = config.numHeads() / config.numKvHeads();
        String m = "model.", l = m + "layers." + tap.layer() + ".", a = l + "self_attn.", f = l + "mlp.";
        String next = tap.layer() + 1 < config.numLayers() ? m + "layers." + (tap.layer() + 1) + ".input_layernorm.weight" : m + "norm.weight";
        java.util.function.IntUnaryOperator vRow = u -> (u / hd / group) * hd + u % hd;
        return switch (tap.kind()) {
            case "embed" -> List.of(new Wire(m + "embed_tokens.weight", Wire.Role.WRITES, 1, u -> u));
            case "input_layernorm" -> List.of(Wire.writes(l + "input_layernorm.weight"), Wire.reads(a + "q_proj.weight"),
                    Wire.reads(a + "k_proj.weight"), Wire.reads(a + "v_proj.weight"));
            case "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj" ->
                    Wire.linearOut(l + tap.kind());
            case "self_attn.context" -> List.of(new Wire(a + "v_proj.weight", Wire.Role.WRITES, 0, vRow),
                    new Wire(a + "v_proj.bias", Wire.Role.WRITES, 0, vRow), Wire.reads(a + "o_proj.weight"));
            case "post_attention_layernorm" -> List.of(Wire.writes(l + "post_attention_layernorm.weight"), Wire.reads(f + "gate_proj.weight"),
                    Wire.reads(f + "up_proj.weight"));
            // act_fn(gate) is multiplied by up before down_proj reads it: the unit's gate and up rows and down column
            case "mlp.act_fn" -> Wire.all(Wire.linearOut(f + "gate_proj"), Wire.linearOut(f + "up_proj"), List.of(Wire.reads(f + "down_proj.weight")));
            case "residual" -> Wire.all(Wire.linearOut(a + "o_proj"), Wire.linearOut(f + "down_proj"), List.of(Wire.writes(next)));
            case "norm" -> List.of(Wire.writes(m + "norm.weight"));
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

    /** TransformerLens's hook names mapped onto these taps. */
    @Override
    public Map<String, String> tapAliases() {
        String p = "layers.%d.";
        return TransformerLensNames.of(config.numLayers(), "embed_tokens", "layers.%d",
                Map.ofEntries(Map.entry("ln1.hook_normalized", p + "input_layernorm"), Map.entry("attn.hook_q", p + "self_attn.q_proj"),
                        Map.entry("attn.hook_k", p + "self_attn.k_proj"), Map.entry("attn.hook_v", p + "self_attn.v_proj"),
                        Map.entry("attn.hook_z", p + "self_attn.context"), Map.entry("hook_attn_out", p + "self_attn.o_proj"),
                        Map.entry("ln2.hook_normalized", p + "post_attention_layernorm"),
                        Map.entry("mlp.hook_pre", p + "mlp.gate_proj"), Map.entry("mlp.hook_pre_linear", p + "mlp.up_proj"),
                        Map.entry("mlp.hook_post", p + "mlp.act_fn"), Map.entry("hook_mlp_out", p + "mlp.down_proj")),
                Map.of("hook_embed", "embed_tokens", "ln_final.hook_normalized", "norm"));
    }

    @Override
    public ModelShape shape() {
        return shape;
    }

    @Override
    public Threads threads() {
        return threads;
    }

    /** The cache holds the KV heads only: heads / kv heads times less than a full one. */
    @Override
    public KvCache newCache(int slots) {
        return new KvCache(slots, layers.length, config.kvWidth(), config.numKvHeads());
    }

    private static void tap(ForwardHook hook, Tap tap, float[] values, int width, Step step) {
        if (hook != null) hook.at(tap, values, width, step);
    }

    @Override
    public synchronized Output forward(Step step, KvCache cache, ForwardHook hook, boolean logits) {
        StepRows.check(step, config.vocabSize(), config.maxPositions(), "max_position_embeddings");
        int n = step.rows(), h = config.hiddenSize(), f = config.intermediateSize();
        int heads = config.numHeads(), kvHeads = config.numKvHeads(), hd = config.headDim();
        int qw = config.qWidth(), kvw = config.kvWidth(), all = qw + 2 * kvw;
        if (scratch == null || scratch.rows() != n) scratch = Scratch.of(n, h, qw, kvw, f);
        Scratch s = scratch;
        float[] hidden = s.hidden(), x = s.x(), qkv = s.qkv(), q = s.q(), k = s.k(), v = s.v(), ctx = s.ctx(), tmp = s.tmp(),
                gateUp = s.gateUp(), gate = s.gate(), up = s.up();
        float eps = (float) config.rmsNormEps();
        float scale = (float) Math.pow(hd, -0.5);
        for (int i = 0; i < n; i++) embedTokens.copyToFloat((long) step.tokens()[i] * h, hidden, i * h, h);
        tap(hook, embedTap, hidden, h, step);
        for (int li = 0; li < layers.length; li++) {
            Layer L = layers[li];
            Ops.rmsNorm(threads, hidden, x, n, h, L.ln1w, eps);
            tap(hook, L.ln1, x, h, step);
            Matmul.linear(threads, x, n, L.qkv, L.qkvB, qkv);
            threads.forRange(n, 1, (from, to) -> {
                for (int r = from; r < to; r++) {
                    System.arraycopy(qkv, r * all, q, r * qw, qw);
                    System.arraycopy(qkv, r * all + qw, k, r * kvw, kvw);
                    System.arraycopy(qkv, r * all + qw + kvw, v, r * kvw, kvw);
                }
            });
            tap(hook, L.qOut, q, qw, step);
            tap(hook, L.kOut, k, kvw, step);
            tap(hook, L.vOut, v, kvw, step);
            threads.forRange(n, 1, (from, to) -> {
                float[] cos = new float[hd / 2], sin = new float[hd / 2];
                for (int r = from; r < to; r++) {
                    Ops.ropeAngles(step.positions()[r], frequencies, cos, sin);
                    for (int j = 0; j < heads; j++) Ops.rope(q, r * qw + j * hd, hd / 2, cos, sin);
                    for (int j = 0; j < kvHeads; j++) Ops.rope(k, r * kvw + j * hd, hd / 2, cos, sin);
                }
            });
            Attention.run(threads, step, cache, li, q, k, v, ctx, heads, kvHeads, hd, scale);
            tap(hook, L.context, ctx, qw, step);
            Matmul.linear(threads, ctx, n, L.o, L.oB, tmp);
            tap(hook, L.oOut, tmp, h, step);
            Ops.addInPlace(hidden, tmp, n * h);
            Ops.rmsNorm(threads, hidden, x, n, h, L.ln2w, eps);
            tap(hook, L.ln2, x, h, step);
            Matmul.linear(threads, x, n, L.gateUp, L.gateUpB, gateUp);
            threads.forRange(n, 1, (from, to) -> {
                for (int r = from; r < to; r++) {
                    System.arraycopy(gateUp, 2 * r * f, gate, r * f, f);
                    System.arraycopy(gateUp, (2 * r + 1) * f, up, r * f, f);
                }
            });
            tap(hook, L.gateOut, gate, f, step);
            config.activation().apply(threads, gate, n * f);
            tap(hook, L.act, gate, f, step);
            tap(hook, L.upOut, up, f, step);
            Ops.mulInPlace(gate, up, n * f);
            Matmul.linear(threads, gate, n, L.down, L.downB, tmp);
            tap(hook, L.downOut, tmp, h, step);
            Ops.addInPlace(hidden, tmp, n * h);
            tap(hook, L.output, hidden, h, step);
        }
        int m = step.outputs();
        float[] last = StepRows.gather(hidden, step, h);
        Ops.rmsNorm(threads, last, last, m, h, normW, eps);
        if (hook != null) tap(hook, normTap, last, h, StepRows.outputStep(step));
        if (!logits) return new Output(null, last, lmHead.rows(), h);
        float[] out = new float[m * lmHead.rows()];
        Matmul.linear(threads, last, m, lmHead, null, out);
        return new Output(out, last, lmHead.rows(), h);
    }

    @Override
    public void close() {
        threads.close();
        memory.close();
    }
}
