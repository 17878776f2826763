package org.llmri.model.gpt2;

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
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.run.WeightLookup;
import org.llmri.model.weights.Tensor;
import org.llmri.tensor.Matmul;
import org.llmri.tensor.Ops;
import org.llmri.tensor.PackedMatrix;
import org.llmri.tensor.Threads;

/**
 * GPT-2 with Hugging Face {@code GPT2LMHeadModel} semantics: token plus learned position rows (positions
 * from 0), pre-LayerNorm blocks, a fused c_attn (Conv1D weights stored [in, out]) split into q | k | v,
 * scores scaled by head_dim^-0.5 (and by 1/(layer+1) when configured), gelu_new, ln_f, and lm_head tied
 * to wte. Keys may carry the {@code transformer.} prefix or not (the original checkpoint); its
 * {@code attn.bias}/{@code attn.masked_bias} buffers are ignored. Float32 arithmetic, weights in their
 * stored precision.
 */
public final class Gpt2Model implements LanguageModel {
    private static final List<String> KIND_ORDER = List.of("wte", "wpe", "embed", "ln_1", "attn.c_attn", "attn.context",
            "attn.c_proj", "ln_2", "mlp.c_fc", "mlp.act", "mlp.c_proj", "residual", "ln_f");

    private final Gpt2Config config;
    private final ModelShape shape;
    private final Threads threads;
    private final PackedWeights memory = new PackedWeights();
    private final Tensor wte;
    private final Tensor wpe;
    private final Layer[] layers;
    private final float[] lnfW, lnfB;
    private final PackedMatrix lmHead;
    private final Tap wteTap, wpeTap, embedTap, lnfTap;
    private final List<Tap> taps;
    private Scratch scratch;

    private record Layer(float[] ln1w, float[] ln1b, PackedMatrix cAttn, float[] cAttnB, PackedMatrix cProj, float[] cProjB,
                         float[] ln2w, float[] ln2b, PackedMatrix fc, float[] fcB, PackedMatrix proj, float[] projB,
                         Tap ln1, Tap qkv, Tap context, Tap attnOut, Tap ln2, Tap fcOut, Tap act, Tap mlpOut, Tap output) {}

    private record Scratch(int rows, float[] hidden, float[] x, float[] qkv, float[] q, float[] k, float[] v, float[] ctx,
                           float[] tmp, float[] ffn, float[] tok, float[] pos) {
        static Scratch of(int n, int h, int f) {
            return new Scratch(n, new float[n * h], new float[n * h], new float[3 * n * h], new float[n * h], new float[n * h],
                    new float[n * h], new float[n * h], new float[n * h], new float[n * f], new float[n * h], new float[n * h]);
        }
    }

    public Gpt2Model(Gpt2Config config, ModelWeights weights, Threads threads) {
        this.config = config;
        this.shape = new ModelShape(config.hiddenSize(), config.vocabSize(), config.numLayers(), config.maxPositions(), config.eosTokenId(), true);
        this.threads = threads;
        int h = config.hiddenSize(), f = config.innerSize(), v = config.vocabSize();
        WeightLookup w = new WeightLookup(weights, "transformer.", "");
        Tensor wteT = w.required("wte.weight", v, h);
        this.wte = memory.resident(wteT);
        this.wpe = memory.resident(w.required("wpe.weight", config.maxPositions(), h));
        List<Tap> all = new ArrayList<>();
        wteTap = new Tap("wte", "wte", Tap.Group.RESIDUAL, -1, h);
        wpeTap = new Tap("wpe", "wpe", Tap.Group.RESIDUAL, -1, h);
        // transformer.drop's output: wte + wpe (dropout is the identity in evaluation) = hidden_states[0]
        embedTap = new Tap("drop", "embed", Tap.Group.RESIDUAL, -1, h);
        all.addAll(List.of(wteTap, wpeTap, embedTap));
        layers = new Layer[config.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "h." + i + ".";
            layers[i] = new Layer(
                    vec(w.required(p + "ln_1.weight", h)), vec(w.required(p + "ln_1.bias", h)),
                    memory.conv1d(w.required(p + "attn.c_attn.weight", h, 3L * h)), vec(w.required(p + "attn.c_attn.bias", 3L * h)),
                    memory.conv1d(w.required(p + "attn.c_proj.weight", h, h)), vec(w.required(p + "attn.c_proj.bias", h)),
                    vec(w.required(p + "ln_2.weight", h)), vec(w.required(p + "ln_2.bias", h)),
                    memory.conv1d(w.required(p + "mlp.c_fc.weight", h, f)), vec(w.required(p + "mlp.c_fc.bias", f)),
                    memory.conv1d(w.required(p + "mlp.c_proj.weight", f, h)), vec(w.required(p + "mlp.c_proj.bias", h)),
                    new Tap(p + "ln_1", "ln_1", Tap.Group.ATTENTION, i, h),
                    // q | k | v, as c_attn returns them (head j is columns j*hd .. of each third)
                    new Tap(p + "attn.c_attn", "attn.c_attn", Tap.Group.ATTENTION, i, 3 * h),
                    // the heads' attention-weighted values, merged: c_proj's input
                    new Tap(p + "attn.context", "attn.context", Tap.Group.ATTENTION, i, h),
                    // c_proj's output = the attention module's output[0]
                    new Tap(p + "attn.c_proj", "attn.c_proj", Tap.Group.ATTENTION, i, h),
                    new Tap(p + "ln_2", "ln_2", Tap.Group.MLP, i, h),
                    new Tap(p + "mlp.c_fc", "mlp.c_fc", Tap.Group.MLP, i, f),
                    new Tap(p + "mlp.act", "mlp.act", Tap.Group.MLP, i, f),
                    new Tap(p + "mlp.c_proj", "mlp.c_proj", Tap.Group.MLP, i, h),
                    new Tap("h." + i, "residual", Tap.Group.RESIDUAL, i, h));
            Layer L = layers[i];
            all.addAll(List.of(L.ln1, L.qkv, L.context, L.attnOut, L.ln2, L.fcOut, L.act, L.mlpOut, L.output));
        }
        lnfW = vec(w.required("ln_f.weight", h));
        lnfB = vec(w.required("ln_f.bias", h));
        lnfTap = new Tap("ln_f", "ln_f", Tap.Group.RESIDUAL, -1, h);
        all.add(lnfTap);
        taps = List.copyOf(all);
        // GPT2LMHeadModel ties lm_head to wte unless tie_word_embeddings is false
        // an untied config without lm_head.weight would leave transformers a randomly initialised head: refused
        Tensor head = config.tieWordEmbeddings() ? wteT : w.required("lm_head.weight", v, h);
        lmHead = memory.linear(head);
        w.refuseExtraLayers("h.", config.numLayers(), "n_layer");
    }

    private static float[] vec(Tensor t) {
        return PackedWeights.vec(t);
    }

    public Gpt2Config config() {
        return config;
    }

    @Override
    public String architecture() {
        return "GPT2LMHeadModel";
    }

    /**
     * GPT2LMHeadModel's parameters that compute or read each tap's units. Conv1D stores its weight [in, out]: a
     * unit it computes is a column (dim 1), a unit it reads a row (dim 0).
     */
    @Override
    public List<Wire> wiring(Tap tap) {
        int h = config.hiddenSize();
        String t = "transformer.", l = t + "h." + tap.layer() + ".";
        String next = tap.layer() + 1 < config.numLayers() ? t + "h." + (tap.layer() + 1) + ".ln_1" : t + "ln_f";
        return switch (tap.kind()) {
            case "wte", "wpe" -> List.of(table(t + tap.kind() + ".weight"));
            case "embed" -> List.of(table(t + "wte.weight"), table(t + "wpe.weight"));
            case "ln_1" -> Wire.all(Wire.norm(l + "ln_1"), List.of(convIn(l + "attn.c_attn.weight")));
            case "attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj" -> convOut(l + tap.kind(), 0);
            case "attn.context" -> Wire.all(convOut(l + "attn.c_attn", 2 * h), List.of(convIn(l + "attn.c_proj.weight")));
            case "ln_2" -> Wire.all(Wire.norm(l + "ln_2"), List.of(convIn(l + "mlp.c_fc.weight")));
            case "mlp.act" -> Wire.all(convOut(l + "mlp.c_fc", 0), List.of(convIn(l + "mlp.c_proj.weight")));
            case "residual" -> Wire.all(convOut(l + "attn.c_proj", 0), convOut(l + "mlp.c_proj", 0), Wire.norm(next));
            case "ln_f" -> Wire.norm(t + "ln_f");
            default -> List.of();
        };
    }

    private static Wire table(String param) {
        return new Wire(param, Wire.Role.WRITES, 1, u -> u);
    }

    /** A Conv1D's output column and bias entry, {@code offset} into its outputs (c_attn's v third starts at 2h). */
    private static List<Wire> convOut(String module, int offset) {
        return List.of(new Wire(module + ".weight", Wire.Role.WRITES, 1, u -> offset + u), new Wire(module + ".bias", Wire.Role.WRITES, 0, u -> offset + u));
    }

    private static Wire convIn(String param) {
        return new Wire(param, Wire.Role.READS, 0, u -> u);
    }

    @Override
    public List<Tap> taps() {
        return taps;
    }

    @Override
    public List<String> kindOrder() {
        return KIND_ORDER;
    }

    /** TransformerLens's hook names for GPT-2, mapped onto these taps. */
    @Override
    public Map<String, String> tapAliases() {
        return TransformerLensNames.of(config.numLayers(), "drop", "h.%d",
                Map.of("ln1.hook_normalized", "h.%d.ln_1", "attn.hook_q", "h.%d.attn.c_attn", "attn.hook_k", "h.%d.attn.c_attn",
                        "attn.hook_v", "h.%d.attn.c_attn", "attn.hook_z", "h.%d.attn.context", "hook_attn_out", "h.%d.attn.c_proj",
                        "ln2.hook_normalized", "h.%d.ln_2", "mlp.hook_pre", "h.%d.mlp.c_fc", "mlp.hook_post", "h.%d.mlp.act",
                        "hook_mlp_out", "h.%d.mlp.c_proj"),
                Map.of("hook_embed", "wte", "hook_pos_embed", "wpe", "ln_final.hook_normalized", "ln_f"));
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
        StepRows.check(step, config.vocabSize(), config.maxPositions(), "n_positions");
        int n = step.rows(), h = config.hiddenSize(), f = config.innerSize(), heads = config.numHeads(), hd = config.headDim();
        if (scratch == null || scratch.rows() != n) scratch = Scratch.of(n, h, f);
        Scratch s = scratch;
        float[] hidden = s.hidden(), x = s.x(), qkv = s.qkv(), q = s.q(), k = s.k(), v = s.v(), ctx = s.ctx(), tmp = s.tmp(), ffn = s.ffn();
        float eps = (float) config.layerNormEps();
        for (int i = 0; i < n; i++) {
            wte.copyToFloat((long) step.tokens()[i] * h, s.tok(), i * h, h);
            wpe.copyToFloat((long) step.positions()[i] * h, s.pos(), i * h, h);
        }
        tap(hook, wteTap, s.tok(), h, step);
        tap(hook, wpeTap, s.pos(), h, step);
        System.arraycopy(s.tok(), 0, hidden, 0, n * h);
        Ops.addInPlace(hidden, s.pos(), n * h);
        tap(hook, embedTap, hidden, h, step);
        for (int li = 0; li < layers.length; li++) {
            Layer L = layers[li];
            Ops.layerNorm(threads, hidden, x, n, h, L.ln1w, L.ln1b, eps);
            tap(hook, L.ln1, x, h, step);
            Matmul.linear(threads, x, n, L.cAttn, L.cAttnB, qkv);
            tap(hook, L.qkv, qkv, 3 * h, step);
            threads.forRange(n, 1, (from, to) -> {
                for (int r = from; r < to; r++) {
                    System.arraycopy(qkv, 3 * r * h, q, r * h, h);
                    System.arraycopy(qkv, (3 * r + 1) * h, k, r * h, h);
                    System.arraycopy(qkv, (3 * r + 2) * h, v, r * h, h);
                }
            });
            float scale = config.scaleAttnWeights() ? (float) Math.pow(hd, -0.5) : 1f;
            if (config.scaleAttnByInverseLayerIdx()) scale /= (li + 1);
            Attention.run(threads, step, cache, li, q, k, v, ctx, heads, heads, hd, scale);
            tap(hook, L.context, ctx, h, step);
            Matmul.linear(threads, ctx, n, L.cProj, L.cProjB, tmp);
            tap(hook, L.attnOut, tmp, h, step);
            Ops.addInPlace(hidden, tmp, n * h);
            Ops.layerNorm(threads, hidden, x, n, h, L.ln2w, L.ln2b, eps);
            tap(hook, L.ln2, x, h, step);
            Matmul.linear(threads, x, n, L.fc, L.fcB, ffn);
            tap(hook, L.fcOut, ffn, f, step);
            config.activation().apply(threads, ffn, n * f);
            tap(hook, L.act, ffn, f, step);
            Matmul.linear(threads, ffn, n, L.proj, L.projB, tmp);
            tap(hook, L.mlpOut, tmp, h, step);
            Ops.addInPlace(hidden, tmp, n * h);
            tap(hook, L.output, hidden, h, step);
        }
        int m = step.outputs();
        float[] last = StepRows.gather(hidden, step, h);
        Ops.layerNorm(threads, last, last, m, h, lnfW, lnfB, eps);
        if (hook != null) tap(hook, lnfTap, last, h, StepRows.outputStep(step));
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
