package org.llmri.model.bert;

import org.llmri.model.weights.CheckpointFiles;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;
import org.llmri.model.hub.BuiltInModels;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.model.weights.OnnxModel;
import org.llmri.model.weights.OnnxWriter;
import org.llmri.model.LoadedModel;
import org.llmri.model.Tap;
import org.llmri.model.weights.ModelWeights;

/**
 * The built-in all-MiniLM-L6-v2 against onnxruntime running the same ONNX file. Every hidden state and
 * every other tap is compared: the test adds the graph's intermediate values (found by the same
 * MatMul/Add/bias names as the weights) as extra graph outputs, by appending a second GraphProto field
 * to the model, which protobuf merges into the first. onnxruntime runs that graph unoptimized (plain fp32
 * operators, no fused kernels); the original file is also run as shipped, with onnxruntime's default
 * optimizations, for last_hidden_state.
 */
@Tag("slow")
class MiniLmTest {
    static final double TOLERANCE = 1e-4;

    static final List<String> TEXTS = List.of(
            "hello world",
            "The café's naïve résumé: 3.14, isn't it?",
            "Unbelievably, transformers tokenize WordPiece-wise.",
            "A short one.",
            "Functional imaging of language models records every unit while the model reads a sentence.");

    static Path dir;
    static LoadedModel bert;
    static TextTokenizer tokenizer;

    @BeforeAll
    static void load() {
        dir = BuiltInModels.resolve(BuiltInModels.MINILM, Path.of("target", "llmri-cache")).dir();
        bert = LoadedModel.open(dir);
        tokenizer = TextTokenizer.load(dir.resolve("tokenizer.json"));
    }

    @AfterAll
    static void close() {
        bert.close();
        tokenizer.close();
    }

    @Test
    void wordPieceIdsAreThoseTokenizerJsonDefines() {
        // expected ids from an independent WordPiece (../shared/tools/minilm_ref.py tokenize)
        assertThat(tokenizer.encodeMarked("hello world", true).ids()).containsExactly(101, 7592, 2088, 102);
        assertThat(tokenizer.encodeMarked(TEXTS.get(1), true).ids()).containsExactly(
                101, 1996, 7668, 1005, 1055, 15743, 13746, 1024, 1017, 1012, 2403, 1010, 3475, 1005, 1056, 2009, 1029, 102);
        assertThat(tokenizer.encodeMarked(TEXTS.get(2), true).ids()).containsExactly(
                101, 4895, 8671, 2666, 3567, 6321, 1010, 19081, 19204, 4697, 2773, 11198, 1011, 7968, 1012, 102);
        assertThat(tokenizer.tokenId("[CLS]")).hasValue(101);
        assertThat(tokenizer.tokenId("[SEP]")).hasValue(102);
        assertThat(tokenizer.tokenId("[PAD]")).hasValue(0);
    }

    /** Each tap's graph value: the Add of its named bias, or the input of the MatMul that follows it. */
    static Map<String, String> tapOutputs(OnnxModel onnx) {
        Map<String, String> addOf = new HashMap<>(), matmulInputOf = new HashMap<>();
        Map<String, String> producerAddBias = new HashMap<>();
        for (OnnxModel.Node n : onnx.nodes()) {
            if (!n.opType().equals("Add")) continue;
            for (String in : n.inputs()) {
                if (in.endsWith(".bias") && onnx.initializers().containsKey(in)) {
                    String module = in.substring(0, in.length() - ".bias".length());
                    addOf.put(module, n.outputs().getFirst());
                    for (String other : n.inputs()) if (!other.equals(in)) producerAddBias.put(other, module);
                }
            }
        }
        for (OnnxModel.Node n : onnx.nodes()) {
            if (n.opType().equals("MatMul") && producerAddBias.containsKey(n.outputs().getFirst())) {
                matmulInputOf.put(producerAddBias.get(n.outputs().getFirst()), n.inputs().getFirst());
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Tap t : bert.model().taps()) {
            String p = t.name();
            String name = switch (t.kind()) {
                case "embeddings" -> addOf.get("embeddings.LayerNorm");
                case "context" -> matmulInputOf.get(p.replace("attention.self", "attention.output.dense"));
                case "intermediate_act_fn" -> matmulInputOf.get(p.replace("intermediate.intermediate_act_fn", "output.dense"));
                case "residual" -> addOf.get(p + ".output.LayerNorm");
                default -> addOf.get(p);
            };
            assertThat(name).as("graph value of " + p).isNotNull();
            out.put(p, name);
        }
        return out;
    }

    /** The model with extra graph outputs, appended as a second ModelProto.graph (field 7). */
    static Path withOutputs(Path onnx, Iterable<String> names, Path out) throws IOException {
        OnnxWriter graph = OnnxWriter.message();
        for (String n : names) {
            graph.message(12, OnnxWriter.message().string(1, n)
                    .message(2, OnnxWriter.message().message(1, OnnxWriter.message().varint(1, 1))));
        }
        Files.copy(onnx, out);
        Files.write(out, OnnxWriter.message().message(7, graph).bytes(), StandardOpenOption.APPEND);
        return out;
    }

    /** onnxruntime on a padded batch: name -> [batch][position][unit]. */
    static Map<String, float[][][]> runOrt(Path model, OrtSession.SessionOptions.OptLevel level, List<int[]> sequences,
                                          Iterable<String> outputs) throws OrtException {
        int longest = sequences.stream().mapToInt(s -> s.length).max().orElseThrow();
        long[][] ids = new long[sequences.size()][longest], mask = new long[sequences.size()][longest],
                types = new long[sequences.size()][longest];
        for (int s = 0; s < sequences.size(); s++) {
            for (int i = 0; i < sequences.get(s).length; i++) {
                ids[s][i] = sequences.get(s)[i];
                mask[s][i] = 1;
            }
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(level);
            o.setIntraOpNumThreads(2);
            try (OrtSession session = env.createSession(model.toString(), o);
                 OnnxTensor a = OnnxTensor.createTensor(env, ids);
                 OnnxTensor b = OnnxTensor.createTensor(env, mask);
                 OnnxTensor c = OnnxTensor.createTensor(env, types);
                 OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c),
                         new java.util.TreeSet<>((java.util.Collection<String>) toList(outputs)))) {
                Map<String, float[][][]> out = new HashMap<>();
                for (String n : outputs) out.put(n, (float[][][]) r.get(n).orElseThrow().getValue());
                return out;
            }
        }
    }

    private static List<String> toList(Iterable<String> it) {
        List<String> l = new ArrayList<>();
        it.forEach(l::add);
        return l;
    }

    /** Our values of every tap for a ragged batch: tap name -> [rows * width]. */
    static Map<String, float[]> ours(List<int[]> batch) {
        return BertRuns.taps(bert.model(), batch);
    }

    /** Largest |ours - ort| over the real (unpadded) rows of every sequence. */
    static double maxAbs(float[] ours, float[][][] ort, int[] starts, int width) {
        return maxDiff(ours, ort, starts, width, false);
    }

    /**
     * Largest |ours - ort|, or with {@code relative} |ours - ort| / max(1, |ort|): the pre-LayerNorm
     * outputs of BERT reach magnitudes near 1000, where one float32 step is 6e-5 .. 1.2e-4.
     */
    static double maxDiff(float[] ours, float[][][] ort, int[] starts, int width, boolean relative) {
        double worst = 0;
        for (int s = 0; s + 1 < starts.length; s++) {
            for (int i = 0; i < starts[s + 1] - starts[s]; i++) {
                int row = starts[s] + i;
                for (int u = 0; u < width; u++) {
                    double d = Math.abs(ours[row * width + u] - ort[s][i][u]);
                    if (relative) d /= Math.max(1, Math.abs(ort[s][i][u]));
                    if (!(d <= worst)) worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                }
            }
        }
        return worst;
    }

    static int[] longText() {
        StringBuilder text = new StringBuilder();
        while (tokenizer.encodeMarked(text.toString(), true).ids().length < 140) {
            text.append("Neuroscientists image a brain while it reads; here the subject is a transformer encoder. ");
        }
        int[] ids = tokenizer.encodeMarked(text.toString(), true).ids();
        int[] cut = java.util.Arrays.copyOf(ids, 128);
        cut[127] = 102; // [SEP] closes the 128-token text
        return cut;
    }

    @Test
    void everyTapMatchesOnnxruntimeOnAPaddedBatchAndA128TokenText(@TempDir Path tmp) throws Exception {
        Path onnxFile = dir.resolve(ModelWeights.ONNX);
        Map<String, String> taps;
        try (OnnxModel onnx = OnnxModel.open(onnxFile)) {
            taps = tapOutputs(onnx);
        }
        Path extended = withOutputs(onnxFile, taps.values(), tmp.resolve("extended.onnx"));
        List<List<int[]>> batches = new ArrayList<>();
        List<int[]> padded = new ArrayList<>();
        for (String t : TEXTS) padded.add(tokenizer.encodeMarked(t, true).ids());
        batches.add(padded);
        batches.add(List.of(longText()));
        Map<String, Double> worstByTap = new LinkedHashMap<>(), relativeByTap = new LinkedHashMap<>();
        double worstHidden = 0, worstLast = 0;
        for (List<int[]> sequences : batches) {
            int[] batch = BertRuns.starts(sequences);
            Map<String, float[]> mine = ours(sequences);
            Map<String, float[][][]> ort = runOrt(extended, OrtSession.SessionOptions.OptLevel.NO_OPT, sequences, taps.values());
            for (Tap t : bert.model().taps()) {
                double d = maxAbs(mine.get(t.name()), ort.get(taps.get(t.name())), batch, t.width());
                worstByTap.merge(t.kind(), d, Math::max);
                relativeByTap.merge(t.kind(), maxDiff(mine.get(t.name()), ort.get(taps.get(t.name())), batch, t.width(), true), Math::max);
                if (t.group() == Tap.Group.RESIDUAL) worstHidden = Math.max(worstHidden, d);
            }
            // the file as shipped, with onnxruntime's default (fused) optimizations
            float[][][] last = runOrt(onnxFile, OrtSession.SessionOptions.OptLevel.ALL_OPT, sequences, List.of("last_hidden_state"))
                    .get("last_hidden_state");
            worstLast = Math.max(worstLast, maxAbs(mine.get("encoder.layer.5"), last, batch, 384));
        }
        System.out.printf(Locale.ROOT, "MiniLM vs onnxruntime: hidden states max|diff| %.3e, last_hidden_state (optimized ORT) %.3e%n",
                worstHidden, worstLast);
        worstByTap.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-22s max|diff| %.3e  relative %.3e%n", k, v, relativeByTap.get(k)));
        assertThat(worstHidden).isLessThanOrEqualTo(TOLERANCE);
        assertThat(worstLast).isLessThanOrEqualTo(TOLERANCE);
        // every other tap: within 1e-4 relative to max(1, |value|)
        assertThat(relativeByTap.values()).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(TOLERANCE));
    }

    @Test
    void theOnnxCopyWrittenAsSafetensorsAndBinGivesIdenticalHiddenStates(@TempDir Path tmp) throws IOException {
        List<Tensor> named = new ArrayList<>();
        BertWeights.bind(((BertModel) bert.model()).config(), bert.weights()).named()
                .forEach((name, t) -> named.add(Tensor.of(name, t.dtype(), t.shape(), t.data())));
        Path st = Files.createDirectories(tmp.resolve("st"));
        Files.copy(dir.resolve("config.json"), st.resolve("config.json"));
        Safetensors.write(st.resolve("model.safetensors"), named);
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Files.copy(dir.resolve("config.json"), bin.resolve("config.json"));
        CheckpointFiles.writeBin(bin.resolve("pytorch_model.bin"), named);

        List<int[]> batch = TEXTS.stream().map(t -> tokenizer.encodeMarked(t, true).ids()).toList();
        float[][] fromOnnx = BertRuns.hidden(bert.model(), batch);
        for (Path other : List.of(st, bin)) {
            try (LoadedModel m = LoadedModel.open(other)) {
                float[][] got = BertRuns.hidden(m.model(), batch);
                for (int i = 0; i < fromOnnx.length; i++) assertThat(got[i]).as(other + " hidden." + i).isEqualTo(fromOnnx[i]);
            }
        }
    }
}
