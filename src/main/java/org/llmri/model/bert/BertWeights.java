package org.llmri.model.bert;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.llmri.LlmriException;
import org.llmri.model.weights.DType;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Tensor;

/**
 * The tensors of a BERT encoder bound to their roles under Hugging Face {@code BertModel} names, every
 * shape checked against the config. Linear weights are in HF's [out, in] layout whatever the source.
 */
public record BertWeights(BertConfig config, Tensor wordEmbeddings, Tensor positionEmbeddings,
                          Tensor tokenTypeEmbeddings, Tensor embeddingsLnWeight, Tensor embeddingsLnBias,
                          List<BertWeights.Layer> layers) {
    public BertWeights {
        layers = List.copyOf(layers);
    }

    /** One {@code encoder.layer.i}, with HF's module names. */
    public record Layer(Tensor queryWeight, Tensor queryBias, Tensor keyWeight, Tensor keyBias, Tensor valueWeight,
                        Tensor valueBias, Tensor attentionDenseWeight, Tensor attentionDenseBias,
                        Tensor attentionLnWeight, Tensor attentionLnBias, Tensor intermediateWeight,
                        Tensor intermediateBias, Tensor outputDenseWeight, Tensor outputDenseBias,
                        Tensor outputLnWeight, Tensor outputLnBias) {}

    /** Where tensors are looked up by HF name (without "bert."), and how errors name the source. */
    interface Source {
        Optional<Tensor> find(String name);

        String describe(String name);
    }

    /**
     * From a model folder's weights (safetensors, PyTorch or transformers.js' ONNX, all under HF names);
     * keys may carry BertFor*'s "bert." prefix.
     */
    public static BertWeights bind(BertConfig config, ModelWeights weights) {
        return bind(config, new Source() {
            public Optional<Tensor> find(String name) {
                Optional<Tensor> t = weights.find(name);
                return t.isPresent() ? t : weights.find("bert." + name);
            }

            public String describe(String name) {
                String key = weights.find(name).isPresent() ? name : "bert." + name;
                return weights.find(key).isPresent() ? weights.fileOf(key) + ": tensor '" + key + "'"
                        : weights.files().getFirst() + ": tensor '" + name + "'";
            }
        });
    }

    static BertWeights bind(BertConfig c, Source s) {
        int h = c.hiddenSize(), f = c.intermediateSize();
        Binder b = new Binder(s);
        Tensor word = b.get("embeddings.word_embeddings.weight", c.vocabSize(), h);
        Tensor pos = b.get("embeddings.position_embeddings.weight", c.maxPositionEmbeddings(), h);
        Tensor type = b.get("embeddings.token_type_embeddings.weight", c.typeVocabSize(), h);
        Tensor lnW = b.get("embeddings.LayerNorm.weight", h), lnB = b.get("embeddings.LayerNorm.bias", h);
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            layers.add(new Layer(
                    b.get(p + "attention.self.query.weight", h, h), b.get(p + "attention.self.query.bias", h),
                    b.get(p + "attention.self.key.weight", h, h), b.get(p + "attention.self.key.bias", h),
                    b.get(p + "attention.self.value.weight", h, h), b.get(p + "attention.self.value.bias", h),
                    b.get(p + "attention.output.dense.weight", h, h), b.get(p + "attention.output.dense.bias", h),
                    b.get(p + "attention.output.LayerNorm.weight", h), b.get(p + "attention.output.LayerNorm.bias", h),
                    b.get(p + "intermediate.dense.weight", f, h), b.get(p + "intermediate.dense.bias", f),
                    b.get(p + "output.dense.weight", h, f), b.get(p + "output.dense.bias", h),
                    b.get(p + "output.LayerNorm.weight", h), b.get(p + "output.LayerNorm.bias", h)));
        }
        if (s.find("encoder.layer." + c.numLayers() + ".output.dense.bias").isPresent()) {
            throw new LlmriException(s.describe("encoder.layer." + c.numLayers() + ".output.dense.bias")
                    + " lies beyond num_hidden_layers=" + c.numLayers() + " in config.json");
        }
        return new BertWeights(c, word, pos, type, lnW, lnB, layers);
    }

    private record Binder(Source source) {
        Tensor get(String name, long... shape) {
            Tensor t = source.find(name).orElseThrow(() -> new LlmriException(source.describe(name) + " is missing"));
            if (!Arrays.equals(t.shape(), shape)) {
                throw new LlmriException(source.describe(name) + " has shape " + Arrays.toString(t.shape()) + ", expected "
                        + Arrays.toString(shape) + " from config.json");
            }
            return t;
        }
    }

    /** Every tensor under its HF BertModel name, in the order a checkpoint lists them. */
    public Map<String, Tensor> named() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("embeddings.word_embeddings.weight", wordEmbeddings);
        out.put("embeddings.position_embeddings.weight", positionEmbeddings);
        out.put("embeddings.token_type_embeddings.weight", tokenTypeEmbeddings);
        out.put("embeddings.LayerNorm.weight", embeddingsLnWeight);
        out.put("embeddings.LayerNorm.bias", embeddingsLnBias);
        String[] names = {"attention.self.query.weight", "attention.self.query.bias", "attention.self.key.weight",
                "attention.self.key.bias", "attention.self.value.weight", "attention.self.value.bias",
                "attention.output.dense.weight", "attention.output.dense.bias", "attention.output.LayerNorm.weight",
                "attention.output.LayerNorm.bias", "intermediate.dense.weight", "intermediate.dense.bias",
                "output.dense.weight", "output.dense.bias", "output.LayerNorm.weight", "output.LayerNorm.bias"};
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            Tensor[] ts = {l.queryWeight, l.queryBias, l.keyWeight, l.keyBias, l.valueWeight, l.valueBias,
                    l.attentionDenseWeight, l.attentionDenseBias, l.attentionLnWeight, l.attentionLnBias,
                    l.intermediateWeight, l.intermediateBias, l.outputDenseWeight, l.outputDenseBias, l.outputLnWeight,
                    l.outputLnBias};
            for (int j = 0; j < names.length; j++) out.put("encoder.layer." + i + "." + names[j], ts[j]);
        }
        return out;
    }

    /** The stored types of the weights (for describing a model). */
    public DType dtype() {
        return wordEmbeddings.dtype();
    }
}
