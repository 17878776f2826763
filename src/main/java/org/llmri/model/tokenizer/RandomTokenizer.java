package org.llmri.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.llmri.LlmriException;

/**
 * Writes a working byte-level BPE tokenizer of any size for random test models: Galactica's four special
 * tokens ({@code <s>}=0, {@code <pad>}=1, {@code </s>}=2, {@code <unk>}=3), the 256 byte tokens, then merges
 * learned from a small English and scientific corpus shipped with llmri; when a size needs more merges than the
 * corpus teaches, further merges join existing tokens in a fixed order. Same size, same bytes.
 */
public final class RandomTokenizer {
    /** Galactica's special tokens, in id order. */
    public static final List<String> SPECIAL_TOKENS = List.of("<s>", "<pad>", "</s>", "<unk>");
    /** The smallest vocabulary: the special tokens and the 256 bytes. */
    public static final int MIN_VOCAB_SIZE = SPECIAL_TOKENS.size() + 256;
    /** Far beyond any real model's vocabulary; keeps a typo from writing gigabytes. */
    public static final int MAX_VOCAB_SIZE = 1 << 20;

    private static final String CORPUS = "corpus.txt";

    private RandomTokenizer() {}

    /**
     * Writes {@code tokenizer.json}, {@code tokenizer_config.json} and {@code special_tokens_map.json} into
     * {@code dir} (created if missing) and returns the path of {@code tokenizer.json}.
     */
    public static Path write(Path dir, int vocabSize) {
        if (vocabSize < MIN_VOCAB_SIZE || vocabSize > MAX_VOCAB_SIZE) {
            throw new LlmriException("random tokenizer: vocabulary size " + vocabSize + " is outside "
                    + MIN_VOCAB_SIZE + ".." + MAX_VOCAB_SIZE + " (4 special tokens and 256 bytes come first)");
        }
        Vocabulary v = build(vocabSize);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        try {
            Files.createDirectories(dir);
            Path tokenizer = dir.resolve("tokenizer.json");
            writeAtomically(tokenizer, json.writeValueAsBytes(tokenizerJson(json, v)));
            writeAtomically(dir.resolve("special_tokens_map.json"), json.writeValueAsBytes(specialTokensMap(json)));
            writeAtomically(dir.resolve("tokenizer_config.json"), json.writeValueAsBytes(tokenizerConfig(json)));
            return tokenizer;
        } catch (IOException e) {
            throw new LlmriException(dir + ": cannot write the random tokenizer (" + e.getMessage() + ")", e);
        }
    }

    /** Tokens in id order and the merges that made the learned ones. */
    private record Vocabulary(List<String> tokens, List<BpeTrainer.Merge> merges) {}

    private static Vocabulary build(int vocabSize) {
        List<String> tokens = new ArrayList<>(vocabSize);
        Map<String, Integer> ids = new HashMap<>(vocabSize * 2);
        for (String s : SPECIAL_TOKENS) add(tokens, ids, s);
        for (int b = 0; b < 256; b++) add(tokens, ids, ByteLevel.symbol(b));

        List<BpeTrainer.Merge> merges = new ArrayList<>(vocabSize - tokens.size());
        for (BpeTrainer.Merge m : BpeTrainer.train(corpus(), vocabSize - tokens.size(), ids.keySet())) {
            merges.add(m);
            add(tokens, ids, m.joined());
        }
        // More merges than the corpus teaches: join pairs of existing tokens (never a special token), in id order.
        int first = SPECIAL_TOKENS.size();
        for (int i = first; tokens.size() < vocabSize; i++) {
            int limit = tokens.size();
            for (int j = first; j < limit && tokens.size() < vocabSize; j++) {
                BpeTrainer.Merge m = new BpeTrainer.Merge(tokens.get(i), tokens.get(j));
                if (!ids.containsKey(m.joined())) {
                    merges.add(m);
                    add(tokens, ids, m.joined());
                }
            }
        }
        return new Vocabulary(tokens, merges);
    }

    private static void add(List<String> tokens, Map<String, Integer> ids, String token) {
        ids.put(token, tokens.size());
        tokens.add(token);
    }

    private static String corpus() {
        try (InputStream in = RandomTokenizer.class.getResourceAsStream(CORPUS)) {
            if (in == null) throw new LlmriException("random tokenizer: the bundled corpus " + CORPUS + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LlmriException("random tokenizer: cannot read the bundled corpus (" + e.getMessage() + ")", e);
        }
    }

    private static ObjectNode tokenizerJson(ObjectMapper json, Vocabulary v) {
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < SPECIAL_TOKENS.size(); id++) {
            ObjectNode t = added.addObject();
            t.put("id", id);
            t.put("content", SPECIAL_TOKENS.get(id));
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel");
        pre.put("add_prefix_space", false);
        pre.put("trim_offsets", true);
        pre.put("use_regex", true);
        root.putNull("post_processor");
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel");
        dec.put("add_prefix_space", false);
        dec.put("trim_offsets", true);
        dec.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < v.tokens().size(); id++) vocab.put(v.tokens().get(id), id);
        ArrayNode merges = model.putArray("merges");
        // byte-level symbols never contain a space, so the classic "left right" form is unambiguous
        for (BpeTrainer.Merge m : v.merges()) merges.add(m.left() + " " + m.right());
        return root;
    }

    private static ObjectNode specialTokensMap(ObjectMapper json) {
        ObjectNode n = json.createObjectNode();
        n.put("bos_token", "<s>");
        n.put("eos_token", "</s>");
        n.put("pad_token", "<pad>");
        n.put("unk_token", "<unk>");
        return n;
    }

    private static ObjectNode tokenizerConfig(ObjectMapper json) {
        ObjectNode n = json.createObjectNode();
        n.put("tokenizer_class", "PreTrainedTokenizerFast");
        n.put("add_bos_token", false);
        n.put("add_eos_token", false);
        n.put("bos_token", "<s>");
        n.put("eos_token", "</s>");
        n.put("pad_token", "<pad>");
        n.put("unk_token", "<unk>");
        n.put("clean_up_tokenization_spaces", false);
        return n;
    }

    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".partial");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
