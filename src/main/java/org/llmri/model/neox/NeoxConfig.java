package org.llmri.model.neox;

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
 * The fields of a Hugging Face {@code GPTNeoXConfig} that decide the network, with transformers' defaults:
 * {@code hidden_size}, {@code num_hidden_layers}, {@code num_attention_heads}, {@code intermediate_size},
 * {@code vocab_size}, {@code max_position_embeddings}, {@code rotary_pct}, {@code rotary_emb_base} (or
 * {@code rope_theta}), {@code layer_norm_eps}, {@code use_parallel_residual}, {@code hidden_act},
 * {@code attention_bias}, {@code tie_word_embeddings}, the token ids. {@code rope_scaling} is refused.
 */
public record NeoxConfig(int hiddenSize, int numLayers, int numHeads, int intermediateSize, int vocabSize, int maxPositions,
        double rotaryPct, double rotaryBase, double layerNormEps, boolean parallelResidual, ActivationFunction activation,
        boolean attentionBias, boolean tieWordEmbeddings, int bosTokenId, int eosTokenId) {

    public static final String MODEL_TYPE = "gpt_neox";

    public NeoxConfig {
        if (hiddenSize % numHeads != 0) {
            throw new LlmriException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numHeads);
        }
        if (!(rotaryPct >= 0 && rotaryPct <= 1)) throw new LlmriException("rotary_pct " + rotaryPct + " is outside [0, 1]");
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** Dims of each head that rotary touches: int(head_size * rotary_pct), as transformers truncates it. */
    public int rotaryDims() {
        return (int) (headDim() * rotaryPct);
    }

    public static NeoxConfig read(Path configJson) {
        ConfigJson c = ConfigJson.read(configJson, MODEL_TYPE);
        c.requireAbsent("rope_scaling", "llmri implements unscaled rotary embeddings only");
        try {
            int hidden = c.positiveInt("hidden_size", 6144);
            double base = c.root().has("rotary_emb_base") ? c.number("rotary_emb_base", 10000) : c.number("rope_theta", 10000);
            return new NeoxConfig(hidden, c.positiveInt("num_hidden_layers", 44), c.positiveInt("num_attention_heads", 64),
                    c.positiveInt("intermediate_size", 24576), c.positiveInt("vocab_size", 50432),
                    c.positiveInt("max_position_embeddings", 2048), c.number("rotary_pct", 0.25), base,
                    c.number("layer_norm_eps", 1e-5), c.bool("use_parallel_residual", true),
                    ActivationFunction.parse(c.string("hidden_act", "gelu"), "hidden_act"), c.bool("attention_bias", true),
                    c.bool("tie_word_embeddings", false), c.tokenId("bos_token_id", 0), c.tokenId("eos_token_id", 2));
        } catch (LlmriException e) {
            throw c.error(e.getMessage());
        }
    }

    /** config.json as transformers 4.40's save_pretrained writes it for this config. */
    public Map<String, Object> toJson(DType dtype, String nameOrPath) {
        Map<String, Object> m = new HashMap<>();
        m.put("_name_or_path", nameOrPath);
        m.put("architectures", List.of("GPTNeoXForCausalLM"));
        m.put("attention_bias", attentionBias);
        m.put("attention_dropout", 0.0);
        m.put("bos_token_id", bosTokenId);
        m.put("classifier_dropout", 0.1);
        m.put("eos_token_id", eosTokenId);
        m.put("hidden_act", activation.hfName());
        m.put("hidden_dropout", 0.0);
        m.put("hidden_size", hiddenSize);
        m.put("initializer_range", 0.02);
        m.put("intermediate_size", intermediateSize);
        m.put("layer_norm_eps", ConfigJson.pyFloat(layerNormEps));
        m.put("max_position_embeddings", maxPositions);
        m.put("model_type", MODEL_TYPE);
        m.put("num_attention_heads", numHeads);
        m.put("num_hidden_layers", numLayers);
        m.put("rope_scaling", null);
        m.put("rotary_emb_base", rotaryBase == Math.rint(rotaryBase) ? (Object) (long) rotaryBase : (Object) rotaryBase);
        m.put("rotary_pct", rotaryPct);
        m.put("tie_word_embeddings", tieWordEmbeddings);
        m.put("torch_dtype", dtype.torchName());
        m.put("transformers_version", "4.40.0");
        m.put("use_cache", true);
        m.put("use_parallel_residual", parallelResidual);
        m.put("vocab_size", vocabSize);
        return m;
    }

    /** {@code pythia-160m} (768 wide, 12 layers, 12 heads, 50,304 tokens, 2,048 positions), {@code neox-tiny} and {@code neox-tiny-seq}. */
    public static NeoxConfig preset(String name) {
        return switch (name) {
            case "pythia-160m" -> new NeoxConfig(768, 12, 12, 3072, 50304, 2048, 0.25, 10000, 1e-5, true,
                    ActivationFunction.GELU, true, false, 0, 2);
            case "neox-tiny" -> new NeoxConfig(64, 3, 4, 256, 300, 128, 0.25, 10000, 1e-5, true, ActivationFunction.GELU, true, false, 0, 2);
            case "neox-tiny-seq" -> new NeoxConfig(64, 3, 4, 256, 300, 128, 0.5, 10000, 1e-5, false, ActivationFunction.GELU, true, false, 0, 2);
            default -> throw new LlmriException("unknown GPT-NeoX preset '" + name + "'");
        };
    }

    public static List<String> presetNames() {
        return List.of("pythia-160m", "neox-tiny", "neox-tiny-seq");
    }

    /** Random weights as decoder_ref.py draws them, stored as transformers saves them. */
    public List<RandomWeights.Recipe> randomRecipes() {
        long h = hiddenSize, f = intermediateSize, l = numLayers;
        double sd = 0.55 / Math.sqrt(h), sdF = 0.55 / Math.sqrt(f);
        List<RandomWeights.Recipe> r = new ArrayList<>();
        r.add(new RandomWeights.Recipe("gpt_neox.embed_in.weight", new long[] {vocabSize, h}, 0, 0.08));
        r.add(new RandomWeights.Recipe("gpt_neox.final_layer_norm.weight", new long[] {h}, 1, 0.1));
        r.add(new RandomWeights.Recipe("gpt_neox.final_layer_norm.bias", new long[] {h}, 0, 0.05));
        if (!tieWordEmbeddings) r.add(new RandomWeights.Recipe("embed_out.weight", new long[] {vocabSize, h}, 0, sd));
        for (int i = 0; i < numLayers; i++) {
            String p = "gpt_neox.layers." + i + ".";
            r.add(new RandomWeights.Recipe(p + "input_layernorm.weight", new long[] {h}, 1, 0.1));
            r.add(new RandomWeights.Recipe(p + "input_layernorm.bias", new long[] {h}, 0, 0.05));
            r.add(new RandomWeights.Recipe(p + "post_attention_layernorm.weight", new long[] {h}, 1, 0.1));
            r.add(new RandomWeights.Recipe(p + "post_attention_layernorm.bias", new long[] {h}, 0, 0.05));
            r.add(new RandomWeights.Recipe(p + "attention.query_key_value.weight", new long[] {3 * h, h}, 0, sd));
            if (attentionBias) r.add(new RandomWeights.Recipe(p + "attention.query_key_value.bias", new long[] {3 * h}, 0, 0.02));
            r.add(new RandomWeights.Recipe(p + "attention.dense.weight", new long[] {h, h}, 0, sd / Math.sqrt(2 * l) * 2));
            if (attentionBias) r.add(new RandomWeights.Recipe(p + "attention.dense.bias", new long[] {h}, 0, 0.02));
            r.add(new RandomWeights.Recipe(p + "mlp.dense_h_to_4h.weight", new long[] {f, h}, 0, sd));
            r.add(new RandomWeights.Recipe(p + "mlp.dense_h_to_4h.bias", new long[] {f}, 0, 0.02));
            r.add(new RandomWeights.Recipe(p + "mlp.dense_4h_to_h.weight", new long[] {h, f}, 0, sdF / Math.sqrt(2 * l) * 2));
            r.add(new RandomWeights.Recipe(p + "mlp.dense_4h_to_h.bias", new long[] {h}, 0, 0.02));
        }
        return r;
    }
}
