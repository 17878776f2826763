package org.llmri.causal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.llmri.LlmriException;
import org.llmri.io.AtomicFile;
import org.llmri.model.Tap;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Tensor;

/**
 * A network as fine-tuning targets: for each OPT parameter that produces or reads a network unit, a boolean mask of
 * the same shape (safetensors dtype BOOL) marking the rows (a Linear's output units, weight [out, in]) and columns
 * (its input units) involved; biases and LayerNorm parameters get the unit's entry. Names are the Hugging Face
 * parameter names of {@code OPTForCausalLM}, so {@code param.grad *= mask} (or a masked optimizer) applies it.
 */
public final class MaskExport {
    private MaskExport() {}

    /** The masks of a network's units (global ids over {@code pool}) for a model whose weights are {@code weights}. */
    public static Map<String, boolean[]> masks(UnitSet set, ModelWeights weights, String architecture, Map<String, long[]> shapes) {
        if (!architecture.startsWith("OPT")) throw new LlmriException("network export knows OPT's parameter names only (this model is " + architecture + ")");
        Map<String, boolean[]> masks = new TreeMap<>();
        for (var e : set.byTap().entrySet()) {
            Tap tap = e.getKey();
            String p = "model.decoder." + tap.name();
            String layer = tap.layer() >= 0 ? "model.decoder.layers." + tap.layer() + "." : null;
            String next = tap.layer() >= 0 ? "model.decoder.layers." + (tap.layer() + 1) + "." : "model.decoder.layers.0.";
            for (int u : e.getValue()) {
                switch (tap.kind()) {
                    case "embed" -> {
                        col(masks, weights, shapes, "model.decoder.embed_tokens.weight", u);
                        col(masks, weights, shapes, "model.decoder.embed_positions.weight", u);
                    }
                    case "q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2" -> {
                        row(masks, weights, shapes, p + ".weight", u);
                        entry(masks, weights, shapes, p + ".bias", u);
                    }
                    case "context" -> { // heads' weighted values: made by v_proj's row, read by out_proj's column
                        row(masks, weights, shapes, layer + "self_attn.v_proj.weight", u);
                        entry(masks, weights, shapes, layer + "self_attn.v_proj.bias", u);
                        col(masks, weights, shapes, layer + "self_attn.out_proj.weight", u);
                    }
                    case "activation_fn" -> {
                        row(masks, weights, shapes, layer + "fc1.weight", u);
                        entry(masks, weights, shapes, layer + "fc1.bias", u);
                        col(masks, weights, shapes, layer + "fc2.weight", u);
                    }
                    case "self_attn_layer_norm" -> {
                        entry(masks, weights, shapes, p + ".weight", u);
                        entry(masks, weights, shapes, p + ".bias", u);
                        for (String q : List.of("q_proj", "k_proj", "v_proj")) col(masks, weights, shapes, layer + "self_attn." + q + ".weight", u);
                    }
                    case "final_layer_norm" -> {
                        entry(masks, weights, shapes, p + ".weight", u);
                        entry(masks, weights, shapes, p + ".bias", u);
                        if (tap.layer() >= 0) col(masks, weights, shapes, layer + "fc1.weight", u);
                    }
                    default -> { // the residual stream after a layer: written by its out_proj and fc2 rows, read by the next norm
                        row(masks, weights, shapes, layer + "self_attn.out_proj.weight", u);
                        entry(masks, weights, shapes, layer + "self_attn.out_proj.bias", u);
                        row(masks, weights, shapes, layer + "fc2.weight", u);
                        entry(masks, weights, shapes, layer + "fc2.bias", u);
                        entry(masks, weights, shapes, next + "self_attn_layer_norm.weight", u);
                        entry(masks, weights, shapes, next + "self_attn_layer_norm.bias", u);
                    }
                }
            }
        }
        return masks;
    }

    private static boolean[] mask(Map<String, boolean[]> masks, ModelWeights w, Map<String, long[]> shapes, String name) {
        if (masks.containsKey(name)) return masks.get(name);
        var t = w.find(ModelWeights.canonicalName(name));
        if (t.isEmpty()) return null; // e.g. the layer after the last
        Tensor tensor = t.get();
        shapes.put(name, tensor.shape());
        boolean[] m = new boolean[Math.toIntExact(tensor.numel())];
        masks.put(name, m);
        return m;
    }

    private static void row(Map<String, boolean[]> masks, ModelWeights w, Map<String, long[]> shapes, String name, int r) {
        boolean[] m = mask(masks, w, shapes, name);
        if (m == null) return;
        int cols = (int) shapes.get(name)[1];
        java.util.Arrays.fill(m, r * cols, (r + 1) * cols, true);
    }

    private static void col(Map<String, boolean[]> masks, ModelWeights w, Map<String, long[]> shapes, String name, int c) {
        boolean[] m = mask(masks, w, shapes, name);
        if (m == null) return;
        long[] s = shapes.get(name);
        for (int r = 0; r < s[0]; r++) m[(int) (r * s[1] + c)] = true;
    }

    private static void entry(Map<String, boolean[]> masks, ModelWeights w, Map<String, long[]> shapes, String name, int i) {
        boolean[] m = mask(masks, w, shapes, name);
        if (m != null) m[i] = true;
    }

    /** Writes the masks as a safetensors file of BOOL tensors, with the task and unit count as metadata. */
    public static void write(Path file, Map<String, boolean[]> masks, Map<String, long[]> shapes, Map<String, String> metadata) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long at = 0;
        Map<String, boolean[]> sorted = new TreeMap<>(masks);
        for (var e : sorted.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "BOOL");
            var shape = t.putArray("shape");
            for (long d : shapes.get(e.getKey())) shape.add(d);
            var off = t.putArray("data_offsets");
            off.add(at);
            off.add(at + e.getValue().length);
            at += e.getValue().length;
        }
        byte[] h;
        try {
            String text = json.writeValueAsString(header);
            while ((text.length() % 8) != 0) text += " ";
            h = text.getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        byte[] head = h;
        AtomicFile.write(file, out -> {
            OutputStream o = out;
            o.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(head.length).array());
            o.write(head);
            for (boolean[] m : sorted.values()) {
                byte[] b = new byte[m.length];
                for (int i = 0; i < m.length; i++) b[i] = (byte) (m[i] ? 1 : 0);
                o.write(b);
            }
        });
    }

    public static Map<String, String> meta(String task, int units, String threshold) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("llmri_task", task);
        m.put("llmri_units", Integer.toString(units));
        m.put("llmri_threshold", threshold);
        return m;
    }
}
