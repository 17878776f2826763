package org.llmri.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import org.llmri.LlmriException;
import org.llmri.model.gpt2.Gpt2Config;
import org.llmri.model.llama.LlamaConfig;
import org.llmri.model.neox.NeoxConfig;
import org.llmri.model.run.RandomWeights;
import org.llmri.model.tokenizer.RandomTokenizer;
import org.llmri.model.weights.DType;

/**
 * The random-model presets of the GPT-2, GPT-NeoX and Llama families ({@code llmri model random
 * --preset}): config.json as transformers writes it for that model_type, random weights with the
 * preset's shapes, and the random byte-level BPE tokenizer.json. GPT-2 and NeoX presets use the
 * tokenizer's own ids ({@code <s>}=0 as BOS, {@code </s>}=2 as EOS); the Llama presets get Llama's
 * special tokens ({@code <unk>}=0, {@code <s>}=1, {@code </s>}=2) and a post-processor that adds the BOS.
 * OPT's presets stay in {@link org.llmri.model.opt.RandomModel}.
 */
public final class RandomPresets {
    private RandomPresets() {}

    /** A preset's config.json fields, tensors and vocabulary size. */
    public record Preset(String name, String modelType, Map<String, Object> config, List<RandomWeights.Recipe> recipes,
                         int vocabSize) {}

    public static List<String> names() {
        List<String> n = new ArrayList<>(Gpt2Config.presetNames());
        n.addAll(NeoxConfig.presetNames());
        n.addAll(LlamaConfig.presetNames());
        return List.copyOf(n);
    }

    public static boolean has(String name) {
        return names().contains(name);
    }

    public static Preset get(String name, DType dtype) {
        String path = "llmri-random-" + name;
        if (Gpt2Config.presetNames().contains(name)) {
            Gpt2Config c = Gpt2Config.preset(name);
            return new Preset(name, Gpt2Config.MODEL_TYPE, c.toJson(dtype, path), c.randomRecipes(), c.vocabSize());
        }
        if (NeoxConfig.presetNames().contains(name)) {
            NeoxConfig c = NeoxConfig.preset(name);
            return new Preset(name, NeoxConfig.MODEL_TYPE, c.toJson(dtype, path), c.randomRecipes(), c.vocabSize());
        }
        if (LlamaConfig.presetNames().contains(name)) {
            LlamaConfig c = LlamaConfig.preset(name);
            return new Preset(name, LlamaConfig.MODEL_TYPE, c.toJson(dtype, path), c.randomRecipes(), c.vocabSize());
        }
        throw new LlmriException("unknown preset '" + name + "' (known: " + String.join(", ", names()) + ")");
    }

    /** A model of any GPT-2 config (not only a named preset's). */
    public static Preset of(Gpt2Config c, DType dtype) {
        return new Preset("custom", Gpt2Config.MODEL_TYPE, c.toJson(dtype, "llmri-random-gpt2"), c.randomRecipes(), c.vocabSize());
    }

    public static Preset of(NeoxConfig c, DType dtype) {
        return new Preset("custom", NeoxConfig.MODEL_TYPE, c.toJson(dtype, "llmri-random-gpt_neox"), c.randomRecipes(), c.vocabSize());
    }

    public static Preset of(LlamaConfig c, DType dtype) {
        return new Preset("custom", LlamaConfig.MODEL_TYPE, c.toJson(dtype, "llmri-random-llama"), c.randomRecipes(), c.vocabSize());
    }

    public static long weightBytes(String name, DType dtype) {
        return RandomWeights.bytes(get(name, dtype).recipes(), dtype);
    }

    /** Writes the whole model folder: weights, config.json, tokenizer.json. */
    public static void write(Path dir, String name, long seed, DType dtype, RandomWeights.Format format, LongConsumer progress) {
        write(dir, get(name, dtype), seed, dtype, format, progress);
    }

    /** Writes a preset's model folder: weights, config.json, tokenizer.json. */
    public static void write(Path dir, Preset p, long seed, DType dtype, RandomWeights.Format format, LongConsumer progress) {
        RandomWeights.write(dir, p.recipes(), p.config(), seed, dtype, format, progress);
        Path tokenizer = RandomTokenizer.write(dir, p.vocabSize());
        if (p.modelType().equals(LlamaConfig.MODEL_TYPE)) llamaSpecials(dir, tokenizer);
    }

    /** Llama's special tokens in ids 0..2 (<unk>, <s>, </s>; 3 becomes <pad>) and a BOS-adding post-processor. */
    private static void llamaSpecials(Path dir, Path tokenizer) {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        List<String> names = List.of("<unk>", "<s>", "</s>", "<pad>");
        try {
            ObjectNode root = (ObjectNode) json.readTree(tokenizer.toFile());
            ArrayNode added = (ArrayNode) root.get("added_tokens");
            ObjectNode vocab = (ObjectNode) root.get("model").get("vocab");
            for (int id = 0; id < names.size(); id++) {
                ObjectNode t = (ObjectNode) added.get(id);
                vocab.remove(t.get("content").asText());
                t.put("content", names.get(id));
            }
            for (int id = 0; id < names.size(); id++) vocab.put(names.get(id), id);
            ObjectNode post = root.putObject("post_processor");
            post.put("type", "TemplateProcessing");
            ArrayNode single = post.putArray("single");
            single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
            single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            ArrayNode pair = post.putArray("pair");
            pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
            pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
            pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
            pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
            ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
            bos.put("id", "<s>");
            bos.putArray("ids").add(1);
            bos.putArray("tokens").add("<s>");
            org.llmri.io.AtomicFile.writeString(tokenizer, json.writeValueAsString(root) + "\n");
            ObjectNode map = json.createObjectNode().put("bos_token", "<s>").put("eos_token", "</s>").put("unk_token", "<unk>");
            org.llmri.io.AtomicFile.writeString(dir.resolve("special_tokens_map.json"), json.writeValueAsString(map) + "\n");
            ObjectNode cfg = json.createObjectNode().put("tokenizer_class", "PreTrainedTokenizerFast").put("add_bos_token", true)
                    .put("add_eos_token", false).put("bos_token", "<s>").put("eos_token", "</s>").put("unk_token", "<unk>")
                    .put("clean_up_tokenization_spaces", false);
            org.llmri.io.AtomicFile.writeString(dir.resolve("tokenizer_config.json"), json.writeValueAsString(cfg) + "\n");
        } catch (IOException | ClassCastException | NullPointerException e) {
            throw new LlmriException(tokenizer + ": cannot give it Llama's special tokens (" + e.getMessage() + ")");
        }
    }
}
