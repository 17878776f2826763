package org.llmri.model.opt;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Tensor;

/**
 * The tensors of an OPT decoder bound to their roles, every shape checked against the config.
 * Optional tensors are null: projections unless word_embed_proj_dim differs from hidden_size, biases when
 * enable_bias is false, LayerNorm parameters when layer_norm_elementwise_affine is false, the final
 * LayerNorm when the config removes it. {@code lmHead} is {@code embedTokens} itself when the checkpoint
 * has no lm_head.weight (tied, as in every OPT and Galactica checkpoint).
 */
public record OptWeights(OptConfig config, Tensor embedTokens, Tensor embedPositions, Tensor projectIn,
        Tensor projectOut, List<OptWeights.Layer> layers, Tensor finalLayerNormWeight, Tensor finalLayerNormBias,
        Tensor lmHead) {

    public OptWeights {
        layers = List.copyOf(layers);
    }

    /** One decoder layer; Hugging Face names: self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2, final_layer_norm. */
    public record Layer(Tensor qWeight, Tensor qBias, Tensor kWeight, Tensor kBias, Tensor vWeight, Tensor vBias,
            Tensor outWeight, Tensor outBias, Tensor attnLnWeight, Tensor attnLnBias, Tensor fc1Weight, Tensor fc1Bias,
            Tensor fc2Weight, Tensor fc2Bias, Tensor finalLnWeight, Tensor finalLnBias) {}

    /** Whether the output projection shares the token embedding. */
    public boolean tiedLmHead() {
        return lmHead == embedTokens;
    }

    /**
     * Binds the tensors a config calls for. A missing tensor, a wrong shape, or weights for more layers than
     * the config declares give an error naming the file and key.
     */
    public static OptWeights bind(OptConfig config, ModelWeights weights) {
        Binder b = new Binder(config, weights);
        int h = config.hiddenSize(), f = config.ffnDim(), p = config.wordEmbedProjDim(), v = config.vocabSize();
        Tensor embed = b.required("decoder.embed_tokens.weight", v, p);
        Tensor positions = b.required("decoder.embed_positions.weight", config.positionTableRows(), h);
        Tensor projectIn = config.hasProjections() ? b.required("decoder.project_in.weight", h, p) : b.absent("decoder.project_in.weight");
        Tensor projectOut = config.hasProjections() ? b.required("decoder.project_out.weight", p, h) : b.absent("decoder.project_out.weight");
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            String l = "decoder.layers." + i + ".";
            layers.add(new Layer(
                    b.required(l + "self_attn.q_proj.weight", h, h), b.bias(l + "self_attn.q_proj.bias", h),
                    b.required(l + "self_attn.k_proj.weight", h, h), b.bias(l + "self_attn.k_proj.bias", h),
                    b.required(l + "self_attn.v_proj.weight", h, h), b.bias(l + "self_attn.v_proj.bias", h),
                    b.required(l + "self_attn.out_proj.weight", h, h), b.bias(l + "self_attn.out_proj.bias", h),
                    b.norm(l + "self_attn_layer_norm.weight", h), b.norm(l + "self_attn_layer_norm.bias", h),
                    b.required(l + "fc1.weight", f, h), b.bias(l + "fc1.bias", f),
                    b.required(l + "fc2.weight", h, f), b.bias(l + "fc2.bias", h),
                    b.norm(l + "final_layer_norm.weight", h), b.norm(l + "final_layer_norm.bias", h)));
        }
        // Without a final LayerNorm any stored one is unused (transformers ignores it too), so it is not an error.
        Tensor finalLnW = null, finalLnB = null;
        if (config.hasFinalLayerNorm()) {
            finalLnW = b.norm("decoder.final_layer_norm.weight", h);
            finalLnB = b.norm("decoder.final_layer_norm.bias", h);
        }
        Tensor lmHead = weights.find("lm_head.weight").isPresent() ? b.required("lm_head.weight", v, p) : embed;
        b.refuseExtraLayers();
        return new OptWeights(config, embed, positions, projectIn, projectOut, layers, finalLnW, finalLnB, lmHead);
    }

    private record Binder(OptConfig config, ModelWeights weights) {
        Tensor required(String name, long... shape) {
            Tensor t = weights.get(name);
            if (!Arrays.equals(t.shape(), shape)) {
                throw new LlmriException(weights.fileOf(name) + ": tensor '" + weights.storedKey(name) + "' has shape "
                        + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape) + " from config.json");
            }
            return t;
        }

        Tensor bias(String name, long size) {
            return config.enableBias() ? required(name, size) : absent(name);
        }

        Tensor norm(String name, long size) {
            return config.layerNormElementwiseAffine() ? required(name, size) : absent(name);
        }

        /** A tensor the config says does not exist: its presence means the config does not describe these weights. */
        Tensor absent(String name) {
            if (weights.find(name).isPresent()) {
                throw new LlmriException(weights.fileOf(name) + ": tensor '" + weights.storedKey(name)
                        + "' is present but config.json says the model has none (enable_bias, layer_norm_elementwise_affine"
                        + " or word_embed_proj_dim disagree with the weights)");
            }
            return null;
        }

        void refuseExtraLayers() {
            String prefix = "decoder.layers.";
            for (String name : weights.names()) {
                if (!name.startsWith(prefix)) continue;
                int dot = name.indexOf('.', prefix.length());
                String index = name.substring(prefix.length(), dot < 0 ? name.length() : dot);
                boolean inRange;
                try {
                    inRange = Integer.parseInt(index) < config.numLayers();
                } catch (NumberFormatException e) {
                    inRange = false;
                }
                if (!inRange) {
                    throw new LlmriException(weights.fileOf(name) + ": tensor '" + weights.storedKey(name)
                            + "' lies beyond num_hidden_layers=" + config.numLayers() + " in config.json");
                }
            }
        }
    }
}
