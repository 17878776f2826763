package org.llmri.model.bert;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.llmri.LlmriException;

/**
 * The fields of a BERT {@code config.json} that Hugging Face {@code BertModel} reads for its forward
 * pass. Absent fields take {@code BertConfig}'s defaults, as transformers does. Only what llmri computes
 * exactly is accepted: absolute positions, and {@code gelu} (erf) or {@code relu} activations.
 */
public record BertConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                         Activation hiddenAct, int maxPositionEmbeddings, int typeVocabSize, float layerNormEps,
                         int padTokenId) {
    /** The activations llmri computes exactly as transformers' ACT2FN does. */
    public enum Activation {
        GELU("gelu"), RELU("relu");

        private final String hfName;

        Activation(String hfName) {
            this.hfName = hfName;
        }

        public String hfName() {
            return hfName;
        }
    }

    public BertConfig {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositionEmbeddings);
        positive("type_vocab_size", typeVocabSize);
        if (hiddenSize % numHeads != 0) {
            throw new LlmriException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numHeads);
        }
        if (!(layerNormEps > 0) || !Float.isFinite(layerNormEps)) {
            throw new LlmriException("layer_norm_eps must be a positive number, got " + layerNormEps);
        }
    }

    private static void positive(String name, int v) {
        if (v <= 0 || v > 1 << 24) throw new LlmriException("field '" + name + "' must be a positive integer, got " + v);
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Reads a BERT config.json; a wrong or unsupported field gives one line naming the file and the field. */
    public static BertConfig read(Path configJson) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(configJson));
        } catch (NoSuchFileException e) {
            throw new LlmriException(configJson + ": file not found");
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage();
            throw new LlmriException(configJson + ": not valid JSON (" + (m == null ? "" : m.lines().findFirst().orElse("")) + ")");
        } catch (IOException e) {
            throw new LlmriException(configJson + ": cannot read (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) throw new LlmriException(configJson + ": expected a JSON object");
        try {
            return parse(root);
        } catch (LlmriException e) {
            throw new LlmriException(configJson + ": " + e.getMessage());
        }
    }

    /** Whether a config.json declares {@code model_type: bert}. */
    public static boolean isBert(JsonNode root) {
        return root != null && "bert".equals(root.path("model_type").asText(null));
    }

    static BertConfig parse(JsonNode root) {
        String type = root.path("model_type").asText(null);
        if (!"bert".equals(type)) throw new LlmriException("model_type '" + type + "' is not 'bert'");
        String position = text(root, "position_embedding_type", "absolute");
        if (!position.equals("absolute")) {
            throw new LlmriException("position_embedding_type '" + position + "' is not supported (llmri runs 'absolute' only)");
        }
        String act = text(root, "hidden_act", "gelu");
        Activation activation = switch (act) {
            case "gelu" -> Activation.GELU;
            case "relu" -> Activation.RELU;
            default -> throw new LlmriException("hidden_act '" + act + "' is not supported (llmri computes 'gelu' (erf) and 'relu')");
        };
        if (root.path("is_decoder").asBoolean(false) || root.path("add_cross_attention").asBoolean(false)) {
            throw new LlmriException("is_decoder/add_cross_attention: llmri runs BERT as an encoder only");
        }
        JsonNode eps = root.get("layer_norm_eps");
        if (eps != null && !eps.isNumber()) throw new LlmriException("field 'layer_norm_eps' must be a number, got " + eps);
        return new BertConfig(integer(root, "vocab_size", 30522), integer(root, "hidden_size", 768),
                integer(root, "num_hidden_layers", 12), integer(root, "num_attention_heads", 12),
                integer(root, "intermediate_size", 3072), activation, integer(root, "max_position_embeddings", 512),
                integer(root, "type_vocab_size", 2), eps == null ? 1e-12f : (float) eps.doubleValue(),
                integer(root, "pad_token_id", 0));
    }

    private static int integer(JsonNode root, String name, int dflt) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return dflt;
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new LlmriException("field '" + name + "' must be an integer, got " + n);
        }
        return n.intValue();
    }

    private static String text(JsonNode root, String name, String dflt) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) return dflt;
        if (!n.isTextual()) throw new LlmriException("field '" + name + "' must be a string, got " + n);
        return n.textValue();
    }
}
