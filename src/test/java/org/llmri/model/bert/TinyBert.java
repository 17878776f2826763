package org.llmri.model.bert;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.llmri.model.weights.CheckpointFiles;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;
import org.llmri.model.weights.OnnxWriter;

/** A small random BERT (2 layers, hidden 16, 4 heads) written in each layout llmri reads. */
public final class TinyBert {
    static final int VOCAB = 50, HIDDEN = 16, LAYERS = 2, HEADS = 4, FFN = 32, POSITIONS = 24, TYPES = 2;

    static final String CONFIG = """
            {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 50, "hidden_size": 16,
             "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 32, "hidden_act": "gelu",
             "max_position_embeddings": 24, "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0,
             "position_embedding_type": "absolute"}
            """;

    /** The linear modules of a layer (their weights are the MatMul initializers in ONNX). */
    static final List<String> LINEAR = List.of("attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "intermediate.dense", "output.dense");

    /** HF name -> [shape, values]. */
    record Param(long[] shape, float[] values) {}

    static Map<String, Param> params(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Map<String, Param> p = new LinkedHashMap<>();
        put(p, rnd, "embeddings.word_embeddings.weight", 0.5f, VOCAB, HIDDEN);
        put(p, rnd, "embeddings.position_embeddings.weight", 0.5f, POSITIONS, HIDDEN);
        put(p, rnd, "embeddings.token_type_embeddings.weight", 0.5f, TYPES, HIDDEN);
        norm(p, rnd, "embeddings.LayerNorm");
        for (int l = 0; l < LAYERS; l++) {
            String pre = "encoder.layer." + l + ".";
            for (String m : LINEAR) {
                int out = m.equals("intermediate.dense") ? FFN : HIDDEN, in = m.equals("output.dense") ? FFN : HIDDEN;
                put(p, rnd, pre + m + ".weight", 0.3f, out, in);
                put(p, rnd, pre + m + ".bias", 0.1f, out);
                if (m.equals("attention.output.dense")) norm(p, rnd, pre + "attention.output.LayerNorm");
                if (m.equals("output.dense")) norm(p, rnd, pre + "output.LayerNorm");
            }
        }
        return p;
    }

    private static void norm(Map<String, Param> p, SplittableRandom rnd, String module) {
        float[] w = new float[HIDDEN];
        for (int i = 0; i < HIDDEN; i++) w[i] = 1f + (float) (rnd.nextDouble() - 0.5) * 0.2f;
        p.put(module + ".weight", new Param(new long[] {HIDDEN}, w));
        put(p, rnd, module + ".bias", 0.1f, HIDDEN);
    }

    private static void put(Map<String, Param> p, SplittableRandom rnd, String name, float scale, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextDouble() * 2 - 1) * scale;
        p.put(name, new Param(shape, v));
    }

    static List<Tensor> tensors(Map<String, Param> params, String prefix) {
        List<Tensor> out = new ArrayList<>();
        params.forEach((name, p) -> out.add(Tensor.ofFloats(prefix + name, p.shape(), p.values())));
        return out;
    }

    /** The 45 lower-case words of the tiny vocabulary after its five special tokens; any other word reads as [UNK]. */
    static final List<String> WORDS = List.of("the", "a", "of", "in", "to", "and", "cell", "bones", "whale", "were",
            "found", "dry", "valley", "committee", "voted", "reform", "law", "election", "scan", "read", "bread",
            "warm", "kitchen", "we", "walked", "dog", "train", "coast", "tea", "quiet", "park", "she", "painted",
            "fence", "blue", "fossils", "tissue", "dig", "vote", "image", "mri", ".", ",", "##s", "##ed");

    /**
     * A random tiny BERT (safetensors) with a WordPiece tokenizer.json whose post-processor adds [CLS]=2 and
     * [SEP]=3, as a BERT checkpoint's tokenizer does: enough to scan it in reading mode.
     */
    public static Path writeWithTokenizer(Path dir, long seed) throws IOException {
        writeSafetensors(dir, params(seed), "");
        StringBuilder vocab = new StringBuilder("\"[PAD]\": 0, \"[UNK]\": 1, \"[CLS]\": 2, \"[SEP]\": 3, \"[MASK]\": 4");
        for (int i = 0; i < WORDS.size(); i++) vocab.append(", \"").append(WORDS.get(i)).append("\": ").append(5 + i);
        StringBuilder added = new StringBuilder();
        String[] specials = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
        for (int i = 0; i < specials.length; i++) {
            added.append(i == 0 ? "" : ", ").append("{\"id\": ").append(i).append(", \"content\": \"").append(specials[i])
                    .append("\", \"single_word\": false, \"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}");
        }
        Files.writeString(dir.resolve("tokenizer.json"), """
                {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [%s],
                 "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
                 "pre_tokenizer": {"type": "BertPreTokenizer"},
                 "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
                 "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
                 "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                           "vocab": {%s}}}
                """.formatted(added, vocab));
        return dir;
    }

    static Path writeSafetensors(Path dir, Map<String, Param> params, String prefix) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), CONFIG);
        Safetensors.write(dir.resolve("model.safetensors"), tensors(params, prefix));
        return dir;
    }

    static Path writeBin(Path dir, Map<String, Param> params, String prefix) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), CONFIG);
        CheckpointFiles.writeBin(dir.resolve("pytorch_model.bin"), tensors(params, prefix));
        return dir;
    }

    /** What to leave out or break in an ONNX export, for the tests of bad files. */
    record OnnxOptions(boolean external, String omitInitializer, String omitBiasAddOf) {
        static final OnnxOptions PLAIN = new OnnxOptions(false, null, null);
    }

    /**
     * The transformers.js layout: config.json and onnx/model.onnx whose Linear weights are anonymous
     * [in, out] initializers, each MatMul followed by an Add of its named bias, as torch.onnx exports BERT.
     */
    static Path writeOnnx(Path dir, Map<String, Param> params, OnnxOptions o) throws IOException {
        Files.createDirectories(dir.resolve("onnx"));
        Files.writeString(dir.resolve("config.json"), CONFIG);
        OnnxWriter graph = OnnxWriter.message();
        var external = new java.io.ByteArrayOutputStream();
        int counter = 700;
        String x = "/embeddings/LayerNorm/Add_1_output_0";
        for (var e : params.entrySet()) {
            String name = e.getKey();
            Param p = e.getValue();
            boolean linear = LINEAR.stream().anyMatch(m -> name.endsWith(m + ".weight"));
            String initName = name;
            long[] shape = p.shape();
            float[] values = p.values();
            if (linear) {
                String module = name.substring(0, name.length() - ".weight".length());
                initName = "onnx::MatMul_" + counter++;
                int out = (int) shape[0], in = (int) shape[1];
                float[] t = new float[values.length];
                for (int r = 0; r < out; r++) for (int c = 0; c < in; c++) t[c * out + r] = values[r * in + c];
                values = t;
                shape = new long[] {in, out};
                String mm = "/" + module.replace('.', '/') + "/MatMul_output_0";
                graph.message(1, OnnxWriter.node("MatMul", List.of(x, initName), List.of(mm)));
                if (!module.equals(o.omitBiasAddOf())) {
                    graph.message(1, OnnxWriter.node("Add", List.of(module + ".bias", mm), List.of("/" + module.replace('.', '/') + "/Add_output_0")));
                }
            }
            if (name.equals(o.omitInitializer())) continue;
            if (o.external()) {
                byte[] bytes = OnnxWriter.littleEndian(values);
                graph.message(5, OnnxWriter.externalTensor(initName, shape, "model.onnx_data", external.size(), bytes.length));
                external.writeBytes(bytes);
            } else {
                graph.message(5, OnnxWriter.floatTensor(initName, shape, values));
            }
        }
        graph.message(11, OnnxWriter.valueInfo("input_ids")).message(12, OnnxWriter.valueInfo("last_hidden_state"));
        Files.write(dir.resolve("onnx/model.onnx"), OnnxWriter.model(graph));
        if (o.external()) Files.write(dir.resolve("onnx/model.onnx_data"), external.toByteArray());
        return dir;
    }
}
