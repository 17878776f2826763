package org.llmri.model.opt;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.llmri.LlmriException;
import org.llmri.model.weights.DType;

/**
 * The fields of a Hugging Face {@code OPTConfig} that decide the network's shape and arithmetic, with
 * Hugging Face's defaults for the optional ones.
 */
public record OptConfig(int hiddenSize, int ffnDim, int numLayers, int numHeads, int vocabSize, int maxPositionEmbeddings,
        boolean doLayerNormBefore, int wordEmbedProjDim, boolean enableBias, boolean layerNormElementwiseAffine,
        Activation activation, boolean removeFinalLayerNorm, int bosTokenId, int padTokenId, int eosTokenId) {

    /** OPT's learned position table has two extra leading rows (a fairseq legacy): row = position + 2. */
    public static final int POSITION_OFFSET = 2;

    public OptConfig {
        requirePositive("hidden_size", hiddenSize);
        requirePositive("ffn_dim", ffnDim);
        requirePositive("num_hidden_layers", numLayers);
        requirePositive("num_attention_heads", numHeads);
        requirePositive("vocab_size", vocabSize);
        requirePositive("max_position_embeddings", maxPositionEmbeddings);
        requirePositive("word_embed_proj_dim", wordEmbedProjDim);
        if (hiddenSize % numHeads != 0) {
            throw new LlmriException("hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numHeads);
        }
        if (maxPositionEmbeddings > Integer.MAX_VALUE - POSITION_OFFSET) {
            throw new LlmriException("max_position_embeddings " + maxPositionEmbeddings + " is too large");
        }
        if (activation == null) throw new LlmriException("activation_function is missing");
    }

    private static void requirePositive(String field, int value) {
        if (value <= 0) throw new LlmriException(field + " must be positive, got " + value);
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** Rows of {@code embed_positions}: max_position_embeddings + 2. */
    public int positionTableRows() {
        return maxPositionEmbeddings + POSITION_OFFSET;
    }

    /** Whether {@code project_in}/{@code project_out} exist (word embeddings narrower than the hidden size, e.g. OPT-350m). */
    public boolean hasProjections() {
        return wordEmbedProjDim != hiddenSize;
    }

    /** Whether the decoder ends with {@code final_layer_norm} (Hugging Face: pre-LN and not removed). */
    public boolean hasFinalLayerNorm() {
        return doLayerNormBefore && !removeFinalLayerNorm;
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Reads config.json; a missing or invalid field gives an error naming the file and the field. */
    public static OptConfig read(Path configJson) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(configJson));
        } catch (NoSuchFileException e) {
            throw new LlmriException(configJson + ": file not found");
        } catch (JsonProcessingException e) {
            throw new LlmriException(configJson + ": not valid JSON (" + firstLine(e.getOriginalMessage()) + ")");
        } catch (IOException e) {
            throw new LlmriException(configJson + ": cannot read (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) throw new LlmriException(configJson + ": expected a JSON object");
        Fields f = new Fields(configJson, root);
        JsonNode type = root.get("model_type");
        if (type != null && !"opt".equals(type.asText())) {
            throw new LlmriException(configJson + ": model_type '" + type.asText()
                    + "' is not supported (llmri runs OPT and Galactica models, model_type 'opt')");
        }
        int hidden = f.requiredInt("hidden_size");
        int ffn = f.requiredInt("ffn_dim"), layers = f.requiredInt("num_hidden_layers");
        int heads = f.requiredInt("num_attention_heads"), vocab = f.requiredInt("vocab_size");
        int positions = f.requiredInt("max_position_embeddings");
        boolean preLn = f.bool("do_layer_norm_before", true);
        int proj = f.optionalInt("word_embed_proj_dim", hidden);
        boolean bias = f.bool("enable_bias", true), affine = f.bool("layer_norm_elementwise_affine", true);
        String activation = f.string("activation_function", "relu"); // OPTConfig's default
        boolean removeFinal = f.bool("_remove_final_layer_norm", false);
        int bos = f.optionalInt("bos_token_id", 2), pad = f.optionalInt("pad_token_id", 1), eos = f.optionalInt("eos_token_id", 2);
        try {
            return new OptConfig(hidden, ffn, layers, heads, vocab, positions, preLn, proj, bias, affine,
                    Activation.parse(activation), removeFinal, bos, pad, eos);
        } catch (LlmriException e) {
            // the constructor's and the parser's messages name the field but not the file
            throw new LlmriException(configJson + ": " + e.getMessage());
        }
    }

    private static String firstLine(String s) {
        if (s == null) return "unknown error";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Typed access to config fields with errors that name the file and the field. */
    private record Fields(Path file, JsonNode root) {
        int requiredInt(String name) {
            JsonNode n = root.get(name);
            if (n == null || n.isNull()) throw new LlmriException(file + ": required field '" + name + "' is missing");
            return toInt(name, n);
        }

        int optionalInt(String name, int dflt) {
            JsonNode n = root.get(name);
            return n == null || n.isNull() ? dflt : toInt(name, n);
        }

        private int toInt(String name, JsonNode n) {
            if (!n.isIntegralNumber() || !n.canConvertToInt()) {
                throw new LlmriException(file + ": field '" + name + "' must be an integer, got " + abbreviate(n));
            }
            return n.intValue();
        }

        boolean bool(String name, boolean dflt) {
            JsonNode n = root.get(name);
            if (n == null || n.isNull()) return dflt;
            if (!n.isBoolean()) throw new LlmriException(file + ": field '" + name + "' must be true or false, got " + abbreviate(n));
            return n.booleanValue();
        }

        String string(String name, String dflt) {
            JsonNode n = root.get(name);
            if (n == null || n.isNull()) return dflt;
            if (!n.isTextual()) throw new LlmriException(file + ": field '" + name + "' must be a string, got " + abbreviate(n));
            return n.textValue();
        }

        private static String abbreviate(JsonNode n) {
            String s = n.toString();
            return s.length() > 40 ? s.substring(0, 40) + "..." : s;
        }
    }

    /** Writes a Hugging Face style config.json (sorted keys, 2-space indent) declaring float32 weights. */
    public void write(Path configJson) {
        write(configJson, DType.F32);
    }

    /** Writes a Hugging Face style config.json whose {@code torch_dtype} is the weights' type; atomically. */
    public void write(Path configJson, DType weightsDtype) {
        org.llmri.io.AtomicFile.writeString(configJson, toJson(weightsDtype));
    }

    /** The config.json text, keys sorted as transformers' save_pretrained writes them. */
    public String toJson(DType weightsDtype) {
        Map<String, Object> m = new TreeMap<>();
        m.put("_remove_final_layer_norm", removeFinalLayerNorm);
        m.put("activation_dropout", 0.0);
        m.put("activation_function", activation.hfName());
        m.put("architectures", java.util.List.of("OPTForCausalLM"));
        m.put("attention_dropout", 0.0);
        m.put("bos_token_id", bosTokenId);
        m.put("do_layer_norm_before", doLayerNormBefore);
        m.put("dropout", 0.0);
        m.put("enable_bias", enableBias);
        m.put("eos_token_id", eosTokenId);
        m.put("ffn_dim", ffnDim);
        m.put("hidden_size", hiddenSize);
        m.put("init_std", 0.02);
        m.put("layer_norm_elementwise_affine", layerNormElementwiseAffine);
        m.put("layerdrop", 0.0);
        m.put("max_position_embeddings", maxPositionEmbeddings);
        m.put("model_type", "opt");
        m.put("num_attention_heads", numHeads);
        m.put("num_hidden_layers", numLayers);
        m.put("pad_token_id", padTokenId);
        m.put("torch_dtype", weightsDtype.torchName());
        m.put("use_cache", true);
        m.put("vocab_size", vocabSize);
        m.put("word_embed_proj_dim", wordEmbedProjDim);
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"));
        pp.indentArraysWith(new DefaultIndenter("  ", "\n"));
        try {
            return JSON.writer(pp).writeValueAsString(m) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Names of the built-in presets. */
    public static java.util.List<String> presetNames() {
        return java.util.List.of("galactica-125m", "galactica-1.3b", "galactica-6.7b", "tiny");
    }

    /**
     * A preset with the shapes of a published model: "galactica-125m" (768/3072/12 layers/12 heads/50,000 tokens/
     * 2,048 positions), "galactica-1.3b" (2048/8192/24/32), "galactica-6.7b" (4096/16384/32/32) or "tiny" (64/256/3/4/300/128), pre-LN, GELU, biases, tied lm_head, as opt_ref.py's PRESETS.
     */
    public static OptConfig preset(String name) {
        return switch (name) {
            case "galactica-125m" -> galacticaLike(768, 3072, 12, 12, 50000, 2048);
            // facebook/galactica-1.3b and -6.7b's config.json: hidden, ffn_dim, layers, heads, vocabulary, positions
            case "galactica-1.3b" -> galacticaLike(2048, 8192, 24, 32, 50000, 2048);
            case "galactica-6.7b" -> galacticaLike(4096, 16384, 32, 32, 50000, 2048);
            case "tiny" -> galacticaLike(64, 256, 3, 4, 300, 128);
            default -> throw new LlmriException("unknown preset '" + name + "' (known: " + String.join(", ", presetNames()) + ")");
        };
    }

    private static OptConfig galacticaLike(int hidden, int ffn, int layers, int heads, int vocab, int positions) {
        return new OptConfig(hidden, ffn, layers, heads, vocab, positions, true, hidden, true, true, Activation.GELU, false, 0, 1, 2);
    }
}
