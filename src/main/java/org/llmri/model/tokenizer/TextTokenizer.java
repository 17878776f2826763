package org.llmri.model.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import org.llmri.LlmriException;

/**
 * A Hugging Face {@code tokenizer.json}, run by the Rust tokenizers library through DJL, with Galactica's
 * conventions: prompts are encoded as they are (no BOS/EOS added) and decoding drops special tokens.
 * Everything is local: the native library ships inside the DJL jar and the file is read from disk.
 */
public final class TextTokenizer implements AutoCloseable {
    /** tokenizer.json files are a few MB; this bound keeps a wrong path from filling the heap. */
    static final long MAX_FILE_BYTES = 256L << 20;

    static {
        // DJL logs through SLF4J, which the CLI does not bind; without this SLF4J prints a three-line
        // "no providers" warning on stderr at first use. A user's own setting wins.
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "ERROR");
        }
    }

    private static final Map<String, String> OPTIONS =
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

    private final Path file;
    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> idOfToken;
    private final String[] tokenOfId;
    // ids of tokenizer.json's added tokens marked "special": true (BOS, EOS, [CLS], [SEP], [PAD] ...), but not
    // the unknown token, which stands for a word the text holds
    private final java.util.Set<Integer> specialIds;

    private TextTokenizer(Path file, HuggingFaceTokenizer tokenizer, Map<String, Integer> idOfToken, String[] tokenOfId,
                          java.util.Set<Integer> specialIds) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.idOfToken = idOfToken;
        this.tokenOfId = tokenOfId;
        this.specialIds = specialIds;
    }

    /** Loads {@code tokenizer.json} (or the {@code tokenizer.json} inside a folder). */
    public static TextTokenizer load(Path tokenizerJson) {
        Path file = Files.isDirectory(tokenizerJson) ? tokenizerJson.resolve("tokenizer.json") : tokenizerJson;
        byte[] bytes = read(file);
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(bytes);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new LlmriException(file + ": not valid JSON"
                    + (loc != null ? " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")" : "")
                    + ": " + e.getOriginalMessage().lines().findFirst().orElse(""));
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject()) throw new LlmriException(file + ": not a tokenizer.json (expected a JSON object)");
        Vocabulary vocab = vocabulary(file, root);

        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), OPTIONS);
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            if (e.getClass().getName().contains("EngineException") || e instanceof UnsatisfiedLinkError) {
                throw new LlmriException("cannot load the Hugging Face tokenizers native library for " + file
                        + " (" + reason + "); set DJL_CACHE_DIR to a writable folder if the home folder is read-only", e);
            }
            throw new LlmriException(file + ": the tokenizers library rejected it: " + reason, e);
        }
        java.util.Set<Integer> special = new java.util.HashSet<>();
        for (JsonNode t : root.path("added_tokens")) if (t.path("special").asBoolean(false)) special.add(t.path("id").asInt());
        // the model's unknown token stands for a word of the text (WordPiece's [UNK]): a token read, not a marker
        String unk = root.path("model").path("unk_token").asText("");
        if (!unk.isEmpty() && vocab.ids().containsKey(unk)) special.remove(vocab.ids().get(unk));
        return new TextTokenizer(file, hf, vocab.ids(), vocab.tokens(), java.util.Set.copyOf(special));
    }

    private static byte[] read(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw new LlmriException(file + ": " + size + " bytes is too large for a tokenizer.json (limit "
                        + MAX_FILE_BYTES + ")");
            }
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new LlmriException(file + ": no such file (expected a Hugging Face tokenizer.json, or a folder"
                    + " holding one)");
        } catch (IOException e) {
            throw new LlmriException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** Token text to id and back, from the model's vocabulary and the added tokens (which win, as in HF). */
    private record Vocabulary(Map<String, Integer> ids, String[] tokens) {}

    private static Vocabulary vocabulary(Path file, JsonNode root) {
        JsonNode vocab = root.path("model").path("vocab");
        Map<String, Integer> ids = new HashMap<>();
        Map<String, Integer> added = new java.util.LinkedHashMap<>();
        if (vocab.isObject()) { // BPE, WordPiece, WordLevel: {"token": id}
            for (var it = vocab.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                    throw new LlmriException(file + ": model.vocab[" + quote(e.getKey()) + "] is not a token id");
                }
                ids.put(e.getKey(), e.getValue().asInt());
            }
        } else if (vocab.isArray()) { // Unigram: [[token, score], ...], id = position
            for (int i = 0; i < vocab.size(); i++) ids.put(vocab.get(i).path(0).asText(), i);
        } else {
            throw new LlmriException(file + ": not a tokenizer.json (no model.vocab)");
        }
        for (JsonNode t : root.path("added_tokens")) {
            if (!t.path("id").canConvertToInt() || !t.path("content").isTextual() || t.path("id").asInt() < 0) {
                throw new LlmriException(file + ": added_tokens has an entry without a valid id and content");
            }
            added.put(t.get("content").asText(), t.get("id").asInt());
        }
        ids.putAll(added);
        int max = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        if (max < 0) throw new LlmriException(file + ": the vocabulary is empty");
        if (max >= 16_777_216) throw new LlmriException(file + ": token id " + max + " is implausibly large");
        String[] tokens = new String[max + 1];
        ids.forEach((token, id) -> tokens[id] = token);
        added.forEach((token, id) -> tokens[id] = token);
        return new Vocabulary(ids, tokens);
    }

    /** The token ids of {@code text}, with no special tokens added. */
    public int[] encode(String text) {
        Encoding enc = tokenizer.encode(text, false, false);
        long[] ids = enc.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    /** A text's token ids and, for each, whether it is a special token (BOS, [CLS], [SEP], ...). */
    public record Tokens(int[] ids, boolean[] special) {}

    /**
     * The token ids of {@code text} as a model reads it, with the special tokens the tokenizer's
     * post-processor adds when {@code addSpecialTokens} (an encoder's [CLS] ... [SEP]), each marked as
     * special or not: added by the post-processor, or one of tokenizer.json's special added tokens
     * (as transformers' {@code all_special_ids} counts them), also where the text itself holds one.
     */
    public Tokens encodeMarked(String text, boolean addSpecialTokens) {
        Encoding enc = tokenizer.encode(text, addSpecialTokens, false);
        long[] ids = enc.getIds();
        long[] mask = enc.getSpecialTokenMask();
        int[] out = new int[ids.length];
        boolean[] special = new boolean[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
            special[i] = (mask != null && i < mask.length && mask[i] != 0) || specialIds.contains(out[i]);
        }
        return new Tokens(out, special);
    }

    /** The text of {@code ids}, special tokens left out. */
    public String decode(int[] ids) {
        return tokenizer.decode(checked(ids), true);
    }

    /** The text of one token, special tokens included (for showing tokens one by one). */
    public String decodeToken(int id) {
        return tokenizer.decode(checked(new int[] {id}), false);
    }

    /** The vocabulary entry of {@code id} as stored in tokenizer.json (byte-level symbols, e.g. "Ġthe"). */
    public String tokenString(int id) {
        checked(new int[] {id});
        String s = tokenOfId[id];
        return s == null ? "" : s;
    }

    /** One more than the largest token id: the number of rows a model's embedding needs. */
    public int vocabSize() {
        return tokenOfId.length;
    }

    /** The id of a vocabulary entry or added token, written as in tokenizer.json. */
    public OptionalInt tokenId(String token) {
        Integer id = idOfToken.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The file this tokenizer was loaded from. */
    public Path file() {
        return file;
    }

    private long[] checked(int[] ids) {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= tokenOfId.length) {
                throw new LlmriException(file + ": token id " + ids[i] + " is outside the vocabulary (0.."
                        + (tokenOfId.length - 1) + ")");
            }
            out[i] = ids[i];
        }
        return out;
    }

    private static String quote(String s) {
        return '"' + s.replace("\"", "\\\"") + '"';
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    @Override
    public String toString() {
        return "TextTokenizer[" + file + ", " + vocabSize() + " tokens]";
    }
}
