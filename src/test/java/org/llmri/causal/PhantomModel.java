package org.llmri.causal;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import org.llmri.model.opt.Activation;
import org.llmri.model.opt.OptConfig;
import org.llmri.model.opt.RandomModel;
import org.llmri.model.tokenizer.RandomTokenizer;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.model.weights.DType;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;

/**
 * A planted phantom: a random OPT model (64 wide, 2 layers, untied lm_head) whose weights are then rewritten so
 * that a known set of units carries one task's signal.
 * <ul>
 *   <li>Two residual dimensions are reserved: j0 (the detector's input) and j1 (the network's output). Every
 *       embedding, position embedding, attention out_proj row and fc2 row is zeroed on them, so only the
 *       construction below writes there.</li>
 *   <li>Task tokens K (given): their embeddings get j0 = A (4.0).</li>
 *   <li>Layer 0's FFN: units S (the planted network) of {@code layers.0.fc1} read only j0 (weight g = 2, bias −g·3, after
 *       the FFN LayerNorm with weight 1 and bias 0 on j0), so after GELU they fire on task tokens and stay ≈ 0
 *       elsewhere; their fc2 column writes G = 0.5 into j1 and nothing else.</li>
 *   <li>lm_head (untied, a copy of the embeddings with j0 zeroed): column j1 holds log p(k) / 8 for every token k,
 *       where p is the add-0.5 distribution of the tokens that follow a task token in the task's held-out text. When
 *       S fires, j1 dominates the final LayerNorm (≈ 8 after it), so the logits become ≈ log p: the model predicts
 *       the task text's successors of task tokens. Control text holds no task token, so S never fires on it.</li>
 * </ul>
 * Lesioning S removes the prediction (the task text's NLL rises, control's does not); steering S writes into j1 at
 * every position, moving every prediction toward p, increasingly with alpha until j1 saturates the LayerNorm.
 */
final class PhantomModel {
    static final int J0 = 0, J1 = 1;
    static final int HIDDEN = 64, FFN = 256, LAYERS = 2, HEADS = 4, VOCAB = 600, POSITIONS = 512;
    /** The planted units: indices within layers.0.fc1 / layers.0.activation_fn. */
    static final int[] S = {10, 11, 12, 13, 14, 15, 16, 17};

    private PhantomModel() {}

    static OptConfig config() {
        return new OptConfig(HIDDEN, FFN, LAYERS, HEADS, VOCAB, POSITIONS, true, HIDDEN, true, true, Activation.GELU, false, 0, 1, 2);
    }

    /** Writes the tokenizer only (the task tokens are chosen with it before the weights are built). */
    static TextTokenizer tokenizer(Path dir) {
        return TextTokenizer.load(RandomTokenizer.write(dir, VOCAB));
    }

    /** Writes the phantom's weights and config into {@code dir} (which already holds its tokenizer). */
    static void write(Path dir, Set<Integer> taskTokens, List<int[]> taskTexts) throws Exception {
        Path raw = Files.createTempDirectory("phantom-raw");
        RandomModel.write(raw, config(), 7, DType.F32, RandomModel.Format.SAFETENSORS);
        Map<String, float[]> w = new HashMap<>();
        Map<String, long[]> shapes = new HashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            SortedMap<String, Tensor> m = Safetensors.map(raw.resolve("model.safetensors"), arena);
            for (var e : m.entrySet()) {
                w.put(e.getKey(), e.getValue().toFloatArray());
                shapes.put(e.getKey(), e.getValue().shape());
            }
        }
        int h = HIDDEN;
        float[] emb = w.get("model.decoder.embed_tokens.weight");
        for (int v = 0; v < VOCAB; v++) emb[v * h + J0] = emb[v * h + J1] = 0;
        float[] lm = emb.clone(); // the head before the task tokens' j0 is set
        for (int k : taskTokens) emb[k * h + J0] = 4f;
        float[] pos = w.get("model.decoder.embed_positions.weight");
        for (int r = 0; r < pos.length / h; r++) pos[r * h + J0] = pos[r * h + J1] = 0;
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.decoder.layers." + l + ".";
            zeroRows(w.get(p + "self_attn.out_proj.weight"), h);
            w.get(p + "self_attn.out_proj.bias")[J0] = w.get(p + "self_attn.out_proj.bias")[J1] = 0;
            zeroRows(w.get(p + "fc2.weight"), FFN);
            w.get(p + "fc2.bias")[J0] = w.get(p + "fc2.bias")[J1] = 0;
        }
        String p0 = "model.decoder.layers.0.";
        w.get(p0 + "final_layer_norm.weight")[J0] = 1;
        w.get(p0 + "final_layer_norm.bias")[J0] = 0;
        float[] fc1 = w.get(p0 + "fc1.weight"), fc1b = w.get(p0 + "fc1.bias"), fc2 = w.get(p0 + "fc2.weight");
        for (int u : S) {
            java.util.Arrays.fill(fc1, u * h, (u + 1) * h, 0f);
            fc1[u * h + J0] = 2f;
            fc1b[u] = -2f * 3f;
            for (int d = 0; d < h; d++) fc2[d * FFN + u] = 0;
            fc2[J1 * FFN + u] = 0.5f;
        }
        w.get("model.decoder.final_layer_norm.weight")[J1] = 1;
        w.get("model.decoder.final_layer_norm.bias")[J1] = 0;
        double[] next = new double[VOCAB];
        java.util.Arrays.fill(next, 0.5);
        for (int[] t : taskTexts) for (int i = 0; i + 1 < t.length; i++) if (taskTokens.contains(t[i])) next[t[i + 1]]++;
        double total = 0;
        for (double c : next) total += c;
        for (int v = 0; v < VOCAB; v++) {
            lm[v * h + J0] = 0;
            lm[v * h + J1] = (float) (Math.log(next[v] / total) / 8);
        }
        List<Tensor> out = new ArrayList<>();
        for (var e : w.entrySet()) out.add(Tensor.ofFloats(e.getKey(), shapes.get(e.getKey()), e.getValue()));
        out.add(Tensor.ofFloats("lm_head.weight", new long[] {VOCAB, h}, lm));
        Safetensors.write(dir.resolve("model.safetensors"), out);
        config().write(dir.resolve("config.json"), DType.F32);
    }

    private static void zeroRows(float[] m, int cols) {
        for (int c = 0; c < cols; c++) m[J0 * cols + c] = m[J1 * cols + c] = 0;
    }
}
