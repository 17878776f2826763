package org.llmri.model;

/**
 * The places in an OPT decoder where a module's output can be read or changed, named by their Hugging
 * Face module path (what a forward hook on {@code OPTForCausalLM} would see). Per-layer points carry
 * the layer in their full name, {@code layers.{i}.<suffix>}.
 */
public enum TapPoint {
    /** Token plus learned position embeddings: hidden_states[0]. */
    EMBED("embed", false),
    SELF_ATTN_LAYER_NORM("self_attn_layer_norm", true),
    /** q_proj's output, before the head_dim^-0.5 scaling (as a hook on q_proj sees it). */
    Q_PROJ("self_attn.q_proj", true),
    K_PROJ("self_attn.k_proj", true),
    V_PROJ("self_attn.v_proj", true),
    /** The heads' attention-weighted values, concatenated, before out_proj. */
    CONTEXT("self_attn.context", true),
    OUT_PROJ("self_attn.out_proj", true),
    FINAL_LAYER_NORM("final_layer_norm", true),
    FC1("fc1", true),
    ACTIVATION_FN("activation_fn", true),
    FC2("fc2", true),
    /** The layer's output: the residual stream after the layer. */
    RESIDUAL("", true),
    /** The decoder's final LayerNorm, before lm_head. */
    DECODER_FINAL_LAYER_NORM("final_layer_norm", false);

    /** Module path within a layer (or at model level); empty for the layer output itself. */
    public final String suffix;
    public final boolean perLayer;

    TapPoint(String suffix, boolean perLayer) {
        this.suffix = suffix;
        this.perLayer = perLayer;
    }

    /** The short kind name used in units.tsv. */
    public String kind() {
        return switch (this) {
            case EMBED -> "embed";
            case SELF_ATTN_LAYER_NORM -> "self_attn_layer_norm";
            case Q_PROJ -> "q_proj";
            case K_PROJ -> "k_proj";
            case V_PROJ -> "v_proj";
            case CONTEXT -> "context";
            case OUT_PROJ -> "out_proj";
            case FINAL_LAYER_NORM, DECODER_FINAL_LAYER_NORM -> "final_layer_norm";
            case FC1 -> "fc1";
            case ACTIVATION_FN -> "activation_fn";
            case FC2 -> "fc2";
            case RESIDUAL -> "residual";
        };
    }

    /** Full tap name: {@code embed}, {@code layers.3.fc1}, {@code layers.3}, {@code final_layer_norm}. */
    public String name(int layer) {
        if (!perLayer) return suffix;
        return suffix.isEmpty() ? "layers." + layer : "layers." + layer + "." + suffix;
    }

    /** Per-layer points in the order the forward pass produces them. */
    public static final TapPoint[] LAYER_ORDER = {SELF_ATTN_LAYER_NORM, Q_PROJ, K_PROJ, V_PROJ, CONTEXT, OUT_PROJ,
        FINAL_LAYER_NORM, FC1, ACTIVATION_FN, FC2, RESIDUAL};
}
