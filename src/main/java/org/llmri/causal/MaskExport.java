package org.llmri.causal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.llmri.LlmriException;
import org.llmri.io.AtomicFile;
import org.llmri.model.LanguageModel;
import org.llmri.model.Tap;
import org.llmri.model.Wire;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Tensor;

/**
 * A network as fine-tuning targets: for each parameter that computes or reads a network unit, a boolean mask of the
 * shape the checkpoint stores (safetensors dtype BOOL). Which parameters, and which row, column or entry of each,
 * each architecture declares per tap ({@link LanguageModel#wiring}); this class only applies those wires. Names are
 * the Hugging Face parameter names, so {@code param.grad *= mask} (or a masked optimizer) applies it.
 */
public final class MaskExport {
    private MaskExport() {}

    /** The masks of a network's units for {@code model}, whose weights are {@code weights}; fills {@code shapes}. */
    public static Map<String, boolean[]> masks(UnitSet set, LanguageModel model, ModelWeights weights, Map<String, long[]> shapes) {
        Map<String, boolean[]> masks = new TreeMap<>();
        for (var e : set.byTap().entrySet()) {
            Tap tap = e.getKey();
            List<Wire> wires = model.wiring(tap);
            if (wires.isEmpty()) {
                throw new LlmriException("network export: " + model.architecture() + " does not declare which weights compute tap " + tap.name());
            }
            for (Wire w : wires) {
                Tensor t = stored(weights, w.param());
                if (t == null) continue; // a bias the config turns off, a tied or absent table
                long[] shape = t.shape();
                boolean[] m = masks.computeIfAbsent(w.param(), k -> new boolean[Math.toIntExact(t.numel())]);
                shapes.put(w.param(), shape);
                for (int u : e.getValue()) mark(m, shape, w, u, tap);
            }
        }
        return masks;
    }

    /** The tensor stored under an HF name, or under the prefixes checkpoints drop or add ("model.", "transformer.", "bert."). */
    static Tensor stored(ModelWeights weights, String param) {
        List<String> keys = new ArrayList<>(List.of(ModelWeights.canonicalName(param)));
        int dot = param.indexOf('.');
        if (param.startsWith("transformer.") || param.startsWith("gpt_neox.")) keys.add(param.substring(dot + 1));
        if (!param.startsWith("model.")) keys.add("bert." + param);
        for (String k : keys) {
            var t = weights.find(k);
            if (t.isPresent()) return t.get();
        }
        return null;
    }

    private static void mark(boolean[] m, long[] shape, Wire w, int unit, Tap tap) {
        int i = w.index().applyAsInt(unit);
        if (w.dim() >= shape.length || i < 0 || i >= shape[w.dim()]) {
            // e.g. OPT with project_in, whose embedding tables are narrower than the hidden size: refuse, never mask wrongly
            throw new LlmriException("network export: " + w.param() + " " + Arrays.toString(shape) + " has no index " + i + " on dimension " + w.dim()
                    + " for unit " + unit + " of tap " + tap.name() + "; this model's layout is not supported");
        }
        if (shape.length == 1) {
            m[i] = true;
        } else if (shape.length == 2 && w.dim() == 0) {
            int cols = (int) shape[1];
            Arrays.fill(m, i * cols, (i + 1) * cols, true);
        } else if (shape.length == 2) {
            for (long r = 0; r < shape[0]; r++) m[(int) (r * shape[1] + i)] = true;
        } else {
            throw new IllegalStateException(w.param() + " has rank " + shape.length);
        }
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

    public static Map<String, String> meta(String task, int units, String threshold, String architecture) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("llmri_architecture", architecture);
        m.put("llmri_task", task);
        m.put("llmri_units", Integer.toString(units));
        m.put("llmri_threshold", threshold);
        return m;
    }
}
