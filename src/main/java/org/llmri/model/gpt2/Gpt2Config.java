package org.llmri.model.gpt2;

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
 * The fields of a Hugging Face {@code GPT2Config} that decide the network, with transformers' defaults:
 * {@code n_embd}, {@code n_layer}, {@code n_head}, {@code n_inner} (null: 4 x n_embd), {@code n_positions},
 * {@code vocab_size}, {@code activation_function}, {@code layer_norm_epsilon}, {@code scale_attn_weights},
 * {@code scale_attn_by_inverse_layer_idx}, {@code reorder_and_upcast_attn} (the same numbers in float32),
 * {@code tie_word_embeddings}, the token ids; {@code add_cross_attention} is refused. Dropouts and the
 * summary head's fields do not apply to a causal LM in evaluation.
 */
public record Gpt2Config(int hiddenSize, int numLayers, int numHeads, int innerSize, int maxPositions, int vocabSize,
        ActivationFunction activation, double layerNormEps, boolean scaleAttnWeights, boolean scaleAttnByInverseLayerIdx,
        boolean tieWordEmbeddings, int bosTokenId, int eosTokenId) {

    public static final String MODEL_TYPE = "gpt2";

    public Gpt2Config {
        if (hiddenSize % numHeads != 0) {
            throw new LlmriException("n_embd " + hiddenSize + " is not a multiple of n_head " + numHeads);
        }
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    public static Gpt2Config read(Path configJson) {
        ConfigJson c = ConfigJson.read(configJson, MODEL_TYPE);
        if (c.bool("add_cross_attention", false)) throw c.error("add_cross_attention is true; llmri runs GPT-2 as a causal LM only");
        int hidden = c.positiveInt("n_embd", 768);
        int heads = c.positiveInt("n_head", 12);
        if (hidden % heads != 0) throw c.error("n_embd " + hidden + " is not a multiple of n_head " + heads);
        try {
            return new Gpt2Config(hidden, c.positiveInt("n_layer", 12), heads, c.positiveInt("n_inner", 4 * hidden),
                    c.positiveInt("n_positions", 1024), c.positiveInt("vocab_size", 50257),
                    ActivationFunction.parse(c.string("activation_function", "gelu_new"), "activation_function"),
                    c.number("layer_norm_epsilon", 1e-5), c.bool("scale_attn_weights", true),
                    c.bool("scale_attn_by_inverse_layer_idx", false), c.bool("tie_word_embeddings", true),
                    c.tokenId("bos_token_id", 50256), c.tokenId("eos_token_id", 50256));
        } catch (LlmriException e) {
            throw c.error(e.getMessage());
        }
    }

    /** config.json as transformers 4.40's save_pretrained writes it for this config. */
    public Map<String, Object> toJson(DType dtype, String nameOrPath) {
        Map<String, Object> m = new HashMap<>();
        m.put("_name_or_path", nameOrPath);
        m.put("activation_function", activation.hfName());
        m.put("architectures", List.of("GPT2LMHeadModel"));
        m.put("attn_pdrop", 0.1);
        m.put("bos_token_id", bosTokenId);
        m.put("embd_pdrop", 0.1);
        m.put("eos_token_id", eosTokenId);
        m.put("initializer_range", 0.02);
        m.put("layer_norm_epsilon", ConfigJson.pyFloat(layerNormEps));
        m.put("model_type", MODEL_TYPE);
        m.put("n_embd", hiddenSize);
        m.put("n_head", numHeads);
        m.put("n_inner", innerSize == 4 * hiddenSize ? null : innerSize);
        m.put("n_layer", numLayers);
        m.put("n_positions", maxPositions);
        m.put("reorder_and_upcast_attn", false);
        m.put("resid_pdrop", 0.1);
        m.put("scale_attn_by_inverse_layer_idx", scaleAttnByInverseLayerIdx);
        m.put("scale_attn_weights", scaleAttnWeights);
        m.put("summary_activation", null);
        m.put("summary_first_dropout", 0.1);
        m.put("summary_proj_to_labels", true);
        m.put("summary_type", "cls_index");
        m.put("summary_use_proj", true);
        if (!tieWordEmbeddings) m.put("tie_word_embeddings", false);
        m.put("torch_dtype", dtype.torchName());
        m.put("transformers_version", "4.40.0");
        m.put("use_cache", true);
        m.put("vocab_size", vocabSize);
        return m;
    }

    /** The presets: {@code gpt2} (GPT-2 small's 124M shapes) and {@code gpt2-tiny} (64 wide, 3 layers, 4 heads). */
    public static Gpt2Config preset(String name) {
        return switch (name) {
            case "gpt2" -> new Gpt2Config(768, 12, 12, 3072, 1024, 50257, ActivationFunction.GELU_TANH, 1e-5, true, false, true, 0, 2);
            case "gpt2-tiny" -> new Gpt2Config(64, 3, 4, 256, 128, 300, ActivationFunction.GELU_TANH, 1e-5, true, false, true, 0, 2);
            default -> throw new LlmriException("unknown GPT-2 preset '" + name + "'");
        };
    }

    public static List<String> presetNames() {
        return List.of("gpt2", "gpt2-tiny");
    }

    /** Random weights as decoder_ref.py draws them (std 0.55/sqrt(fan_in) for the linears), stored as transformers saves them. */
    public List<RandomWeights.Recipe> randomRecipes() {
        long h = hiddenSize, f = innerSize, l = numLayers;
        double sd = 0.55 / Math.sqrt(h), sdF = 0.55 / Math.sqrt(f);
        List<RandomWeights.Recipe> r = new ArrayList<>();
        r.add(new RandomWeights.Recipe("transformer.wte.weight", new long[] {vocabSize, h}, 0, 0.08));
        r.add(new RandomWeights.Recipe("transformer.wpe.weight", new long[] {maxPositions, h}, 0, 0.04));
        r.add(new RandomWeights.Recipe("transformer.ln_f.weight", new long[] {h}, 1, 0.1));
        r.add(new RandomWeights.Recipe("transformer.ln_f.bias", new long[] {h}, 0, 0.05));
        for (int i = 0; i < numLayers; i++) {
            String p = "transformer.h." + i + ".";
            r.add(new RandomWeights.Recipe(p + "ln_1.weight", new long[] {h}, 1, 0.1));
            r.add(new RandomWeights.Recipe(p + "ln_1.bias", new long[] {h}, 0, 0.05));
            r.add(new RandomWeights.Recipe(p + "attn.c_attn.weight", new long[] {h, 3 * h}, 0, sd));
            r.add(new RandomWeights.Recipe(p + "attn.c_attn.bias", new long[] {3 * h}, 0, 0.02));
            r.add(new RandomWeights.Recipe(p + "attn.c_proj.weight", new long[] {h, h}, 0, sd / Math.sqrt(2 * l) * 2));
            r.add(new RandomWeights.Recipe(p + "attn.c_proj.bias", new long[] {h}, 0, 0.02));
            r.add(new RandomWeights.Recipe(p + "ln_2.weight", new long[] {h}, 1, 0.1));
            r.add(new RandomWeights.Recipe(p + "ln_2.bias", new long[] {h}, 0, 0.05));
            r.add(new RandomWeights.Recipe(p + "mlp.c_fc.weight", new long[] {h, f}, 0, sd));
            r.add(new RandomWeights.Recipe(p + "mlp.c_fc.bias", new long[] {f}, 0, 0.02));
            r.add(new RandomWeights.Recipe(p + "mlp.c_proj.weight", new long[] {f, h}, 0, sdF / Math.sqrt(2 * l) * 2));
            r.add(new RandomWeights.Recipe(p + "mlp.c_proj.bias", new long[] {h}, 0, 0.02));
        }
        return r;
    }
}
