package org.llmri.model.llama;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.llmri.model.run.RandomWeights;
import java.util.ArrayList;
import org.llmri.LlmriException;
import org.llmri.model.run.ActivationFunction;
import org.llmri.model.run.ConfigJson;
import org.llmri.model.weights.DType;

/**
 * The fields of a Hugging Face {@code LlamaConfig} that decide the network, with transformers' defaults:
 * {@code hidden_size}, {@code intermediate_size}, {@code num_hidden_layers}, {@code num_attention_heads},
 * {@code num_key_value_heads} (default: heads), {@code head_dim} (default hidden / heads),
 * {@code hidden_act}, {@code max_position_embeddings}, {@code rms_norm_eps}, {@code rope_theta},
 * {@code attention_bias}, {@code mlp_bias}, {@code tie_word_embeddings}, {@code vocab_size}, the token ids.
 * {@code pretraining_tp} only splits the same matmuls; {@code rope_scaling} is refused.
 */
public record LlamaConfig(int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads, int headDim,
        ActivationFunction activation, int maxPositions, double rmsNormEps, double ropeTheta, boolean attentionBias,
        boolean mlpBias, boolean tieWordEmbeddings, int vocabSize, int bosTokenId, int eosTokenId) {

    public static final String MODEL_TYPE = "llama";

    public LlamaConfig {
        if (numHeads % numKvHeads != 0) {
            throw new LlmriException("num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        if (headDim % 2 != 0) throw new LlmriException("head_dim " + headDim + " is odd; rotary needs pairs");
    }

    public int qWidth() {
        return numHeads * headDim;
    }

    public int kvWidth() {
        return numKvHeads * headDim;
    }

    public static LlamaConfig read(Path configJson) {
        ConfigJson c = ConfigJson.read(configJson, MODEL_TYPE);
        c.requireAbsent("rope_scaling", "llmri implements unscaled RoPE only");
        try {
            int hidden = c.positiveInt("hidden_size", 4096);
            int heads = c.positiveInt("num_attention_heads", 32);
            if (!c.root().has("head_dim") && hidden % heads != 0) {
                throw new LlmriException("hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads);
            }
            return new LlamaConfig(hidden, c.positiveInt("intermediate_size", 11008), c.positiveInt("num_hidden_layers", 32), heads,
                    c.positiveInt("num_key_value_heads", heads), c.positiveInt("head_dim", hidden / heads),
                    ActivationFunction.parse(c.string("hidden_act", "silu"), "hidden_act"),
                    c.positiveInt("max_position_embeddings", 2048), c.number("rms_norm_eps", 1e-6),
                    c.number("rope_theta", 10000.0), c.bool("attention_bias", false), c.bool("mlp_bias", false),
                    c.bool("tie_word_embeddings", false), c.positiveInt("vocab_size", 32000),
                    c.tokenId("bos_token_id", 1), c.tokenId("eos_token_id", 2));
        } catch (LlmriException e) {
            throw c.error(e.getMessage());
        }
    }

    /** config.json as transformers 4.40's save_pretrained writes it for this config. */
    public Map<String, Object> toJson(DType dtype, String nameOrPath) {
        Map<String, Object> m = new HashMap<>();
        m.put("_name_or_path", nameOrPath);
        m.put("architectures", List.of("LlamaForCausalLM"));
        m.put("attention_bias", attentionBias);
        m.put("attention_dropout", 0.0);
        m.put("bos_token_id", bosTokenId);
        m.put("eos_token_id", eosTokenId);
        m.put("hidden_act", activation.hfName());
        m.put("hidden_size", hiddenSize);
        m.put("initializer_range", 0.02);
        m.put("intermediate_size", intermediateSize);
        m.put("max_position_embeddings", maxPositions);
        m.put("model_type", MODEL_TYPE);
        m.put("num_attention_heads", numHeads);
        m.put("num_hidden_layers", numLayers);
        m.put("num_key_value_heads", numKvHeads);
        m.put("pretraining_tp", 1);
        m.put("rms_norm_eps", ConfigJson.pyFloat(rmsNormEps));
        m.put("rope_scaling", null);
        m.put("rope_theta", ropeTheta);
        m.put("tie_word_embeddings", tieWordEmbeddings);
        m.put("torch_dtype", dtype.torchName());
        m.put("transformers_version", "4.40.0");
        m.put("use_cache", true);
        m.put("vocab_size", vocabSize);
        return m;
    }

    /**
     * {@code llama-tiny-stories} (stories15M's shapes: 288 wide, 6 layers, 6 heads, FFN 768, 32,000 tokens,
     * 256 positions, tied), {@code llama-tiny} (64 wide, 4 q / 2 kv heads, untied) and {@code llama-tiny-tied}.
     */
    public static LlamaConfig preset(String name) {
        return switch (name) {
            case "llama-tiny-stories" -> new LlamaConfig(288, 768, 6, 6, 6, 48, ActivationFunction.SILU, 256, 1e-5, 10000.0,
                    false, false, true, 32000, 1, 2);
            case "llama-tiny" -> new LlamaConfig(64, 176, 3, 4, 2, 16, ActivationFunction.SILU, 128, 1e-5, 10000.0,
                    false, false, false, 300, 1, 2);
            case "llama-tiny-tied" -> new LlamaConfig(64, 176, 3, 4, 1, 16, ActivationFunction.SILU, 128, 1e-5, 500000.0,
                    false, false, true, 300, 1, 2);
            default -> throw new LlmriException("unknown Llama preset '" + name + "'");
        };
    }

    public static List<String> presetNames() {
        return List.of("llama-tiny-stories", "llama-tiny", "llama-tiny-tied");
    }

    /** Random weights as decoder_ref.py draws them, stored as transformers saves them (no lm_head.weight when tied). */
    public List<RandomWeights.Recipe> randomRecipes() {
        long h = hiddenSize, f = intermediateSize, l = numLayers, qw = qWidth(), kvw = kvWidth();
        double sd = 0.55 / Math.sqrt(h), sdF = 0.55 / Math.sqrt(f);
        List<RandomWeights.Recipe> r = new ArrayList<>();
        r.add(new RandomWeights.Recipe("model.embed_tokens.weight", new long[] {vocabSize, h}, 0, 0.08));
        r.add(new RandomWeights.Recipe("model.norm.weight", new long[] {h}, 1, 0.1));
        if (!tieWordEmbeddings) r.add(new RandomWeights.Recipe("lm_head.weight", new long[] {vocabSize, h}, 0, sd));
        for (int i = 0; i < numLayers; i++) {
            String p = "model.layers." + i + ".";
            r.add(new RandomWeights.Recipe(p + "input_layernorm.weight", new long[] {h}, 1, 0.1));
            r.add(new RandomWeights.Recipe(p + "post_attention_layernorm.weight", new long[] {h}, 1, 0.1));
            r.add(new RandomWeights.Recipe(p + "self_attn.q_proj.weight", new long[] {qw, h}, 0, sd));
            r.add(new RandomWeights.Recipe(p + "self_attn.k_proj.weight", new long[] {kvw, h}, 0, sd));
            r.add(new RandomWeights.Recipe(p + "self_attn.v_proj.weight", new long[] {kvw, h}, 0, sd));
            r.add(new RandomWeights.Recipe(p + "self_attn.o_proj.weight", new long[] {h, qw}, 0, sd / Math.sqrt(2 * l) * 2));
            r.add(new RandomWeights.Recipe(p + "mlp.gate_proj.weight", new long[] {f, h}, 0, sd));
            r.add(new RandomWeights.Recipe(p + "mlp.up_proj.weight", new long[] {f, h}, 0, sd));
            r.add(new RandomWeights.Recipe(p + "mlp.down_proj.weight", new long[] {h, f}, 0, sdF / Math.sqrt(2 * l) * 2));
        }
        return r;
    }
}
