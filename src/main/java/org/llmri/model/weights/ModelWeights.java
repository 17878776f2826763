package org.llmri.model.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.llmri.LlmriException;

/**
 * The tensors of a model folder in the Hugging Face layout, memory-mapped in their stored types. Reads
 * {@code model.safetensors}, sharded safetensors ({@code model.safetensors.index.json}), {@code pytorch_model.bin}
 * and sharded PyTorch checkpoints ({@code pytorch_model.bin.index.json}), preferring safetensors as
 * transformers does. Names are canonical: the stored key without a leading {@code "model."}.
 * Closing unmaps the files; tensors must not be used afterwards.
 */
public final class ModelWeights implements AutoCloseable {
    public static final String SAFETENSORS = "model.safetensors";
    public static final String SAFETENSORS_INDEX = "model.safetensors.index.json";
    public static final String PYTORCH_BIN = "pytorch_model.bin";
    public static final String PYTORCH_BIN_INDEX = "pytorch_model.bin.index.json";
    /** transformers.js' layout: the model's ONNX export, its weights read from the graph's initializers. */
    public static final String ONNX = "onnx/model.onnx";

    /** One tensor with where it came from, for error messages that name the file and the stored key. */
    private record Entry(Tensor tensor, Path file, String storedKey) {}

    private final Path dir;
    private final AutoCloseable mapping;
    private final List<Path> files;
    private final SortedMap<String, Entry> entries;
    private boolean closed;

    private ModelWeights(Path dir, AutoCloseable mapping, List<Path> files, SortedMap<String, Entry> entries) {
        this.dir = dir;
        this.mapping = mapping;
        this.files = List.copyOf(files);
        this.entries = entries;
    }

    /**
     * The weights file or index a folder would be loaded from: safetensors index, safetensors, bin index,
     * bin, then transformers.js' onnx/model.onnx (the HF weights win, as transformers' loader prefers them).
     */
    public static Optional<Path> weightsIndexOrFile(Path modelDir) {
        for (String name : List.of(SAFETENSORS_INDEX, SAFETENSORS, PYTORCH_BIN_INDEX, PYTORCH_BIN, ONNX)) {
            Path p = modelDir.resolve(name);
            if (Files.isRegularFile(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    public static ModelWeights open(Path modelDir) {
        if (!Files.isDirectory(modelDir)) throw new LlmriException(modelDir + ": model folder not found");
        Path found = weightsIndexOrFile(modelDir).orElseThrow(() -> new LlmriException(modelDir
                + ": no model weights (expected " + SAFETENSORS + ", " + SAFETENSORS_INDEX + ", " + PYTORCH_BIN
                + ", " + PYTORCH_BIN_INDEX + " or " + ONNX + ")"));
        if (found.endsWith(ONNX)) return openOnnx(modelDir, found);
        String name = found.getFileName().toString();
        boolean safetensors = name.startsWith("model.safetensors");
        Map<Path, List<String>> expectedKeys = new TreeMap<>();
        if (name.endsWith(".index.json")) {
            expectedKeys = readIndex(found);
        } else {
            expectedKeys.put(found, List.of());
        }
        Arena arena = Arena.ofShared();
        try {
            SortedMap<String, Entry> entries = new TreeMap<>();
            List<Path> files = new ArrayList<>();
            for (var shard : expectedKeys.entrySet()) {
                Path file = shard.getKey();
                files.add(file);
                SortedMap<String, Tensor> tensors = safetensors ? Safetensors.map(file, arena) : TorchCheckpoint.map(file, arena);
                for (String key : shard.getValue()) {
                    if (!tensors.containsKey(key)) {
                        throw new LlmriException(found + ": weight_map puts '" + key + "' in " + file.getFileName()
                                + ", which does not hold it");
                    }
                }
                for (var t : tensors.entrySet()) {
                    String canonical = canonicalName(t.getKey());
                    Entry earlier = entries.put(canonical, new Entry(t.getValue().withName(canonical), file, t.getKey()));
                    if (earlier != null) {
                        throw new LlmriException(file + ": tensor '" + t.getKey() + "' duplicates '" + earlier.storedKey()
                                + "' in " + earlier.file().getFileName());
                    }
                }
            }
            return new ModelWeights(modelDir, arena, files, entries);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * An ONNX export's weights under Hugging Face names (torch.onnx, optimum, transformers.js): biases,
     * LayerNorms and embeddings keep their names; each Linear weight is an anonymous [in, out]
     * initializer, found through the graph as the MatMul whose output an Add with {@code <module>.bias}
     * consumes, and copied transposed to HF's [out, in]. Its stored key is the initializer's own name.
     */
    private static ModelWeights openOnnx(Path modelDir, Path file) {
        OnnxModel onnx = OnnxModel.open(file);
        try {
            SortedMap<String, Entry> entries = new TreeMap<>();
            for (var init : onnx.initializers().values()) {
                // module parameters only: a graph's other constants (scales, shapes) are not weights
                if (!init.name().endsWith(".weight") && !init.name().endsWith(".bias")) continue;
                init.tensor().ifPresent(t -> entries.put(canonicalName(init.name()), new Entry(t.withName(canonicalName(init.name())), file, init.name())));
            }
            Map<String, List<OnnxModel.Node>> consumers = new java.util.HashMap<>();
            for (OnnxModel.Node n : onnx.nodes()) {
                for (String in : n.inputs()) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
            for (OnnxModel.Node n : onnx.nodes()) {
                if (!n.opType().equals("MatMul") || n.inputs().size() != 2 || n.outputs().size() != 1) continue;
                var init = onnx.initializers().get(n.inputs().get(1));
                if (init == null) continue; // activations times activations: attention scores and context
                List<String> biases = new ArrayList<>();
                for (OnnxModel.Node add : consumers.getOrDefault(n.outputs().getFirst(), List.of())) {
                    if (!add.opType().equals("Add")) continue;
                    for (String in : add.inputs()) {
                        if (in.endsWith(".bias") && onnx.initializers().containsKey(in)) biases.add(canonicalName(in));
                    }
                }
                if (biases.size() != 1) {
                    throw new LlmriException(file + ": unexpected graph: MatMul '" + n.name() + "' with weight '" + init.name()
                            + "' is not followed by exactly one Add of a named bias (found " + biases + ")");
                }
                String weight = biases.getFirst().substring(0, biases.getFirst().length() - "bias".length()) + "weight";
                Tensor w = init.tensor().orElseThrow(() -> new LlmriException(file + ": weight '" + init.name()
                        + "' of " + weight + " is not a float tensor"));
                if (w.rank() != 2) {
                    throw new LlmriException(file + ": unexpected graph: weight '" + init.name() + "' of " + weight
                            + " has shape " + java.util.Arrays.toString(w.shape()));
                }
                if (entries.put(weight, new Entry(transposed(weight, w), file, init.name())) != null) {
                    throw new LlmriException(file + ": unexpected graph: two MatMuls feed " + weight + " (or it is also stored by name)");
                }
            }
            // the external-data files hold weights too: the checksum a scan records covers them
            List<Path> files = new ArrayList<>(List.of(file));
            files.addAll(onnx.externalFiles());
            return new ModelWeights(modelDir, onnx, files, entries);
        } catch (RuntimeException e) {
            onnx.close();
            throw e;
        }
    }

    /** A [in, out] matrix as a float32 [out, in] copy. */
    private static Tensor transposed(String name, Tensor w) {
        int in = w.dim(0), out = w.dim(1);
        float[] src = w.toFloatArray();
        float[] dst = new float[src.length];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) dst[o * in + i] = src[i * out + o];
        }
        return Tensor.ofFloats(name, new long[] {out, in}, dst);
    }

    /** Reads a sharded checkpoint's index: file → the keys its weight_map puts there. */
    private static Map<Path, List<String>> readIndex(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(index));
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage();
            throw new LlmriException(index + ": not valid JSON (" + (m == null ? "" : m.lines().findFirst().orElse("")) + ")");
        } catch (IOException e) {
            throw new LlmriException(index + ": cannot read (" + e.getMessage() + ")");
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new LlmriException(index + ": missing or empty 'weight_map'");
        }
        Path dir = index.getParent();
        Map<Path, List<String>> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            var e = it.next();
            String shard = e.getValue().isTextual() ? e.getValue().textValue() : null;
            // A shard must be a plain file name in the same folder: no paths that escape it.
            if (shard == null || shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                throw new LlmriException(index + ": weight_map entry '" + e.getKey() + "' names an invalid shard " + e.getValue());
            }
            Path file = dir.resolve(shard);
            if (!Files.isRegularFile(file)) {
                throw new LlmriException(index + ": shard " + shard + " (for '" + e.getKey() + "') is missing");
            }
            out.computeIfAbsent(file, f -> new ArrayList<>()).add(e.getKey());
        }
        return out;
    }

    /** The stored key without Hugging Face's leading "model." (OPTForCausalLM's wrapper module). */
    public static String canonicalName(String storedKey) {
        return storedKey.startsWith("model.") ? storedKey.substring("model.".length()) : storedKey;
    }

    public Optional<Tensor> find(String canonicalName) {
        Entry e = entries.get(canonicalName);
        return e == null ? Optional.empty() : Optional.of(e.tensor());
    }

    public Tensor get(String canonicalName) {
        Entry e = entries.get(canonicalName);
        if (e == null) {
            throw new LlmriException(describeFiles() + ": no tensor '" + canonicalName + "' (nor 'model." + canonicalName + "')");
        }
        return e.tensor();
    }

    /** The file a tensor was read from. */
    public Path fileOf(String canonicalName) {
        Entry e = entries.get(canonicalName);
        if (e == null) throw new LlmriException(describeFiles() + ": no tensor '" + canonicalName + "'");
        return e.file();
    }

    /** The key as stored in the file (e.g. with its "model." prefix). */
    public String storedKey(String canonicalName) {
        Entry e = entries.get(canonicalName);
        if (e == null) throw new LlmriException(describeFiles() + ": no tensor '" + canonicalName + "'");
        return e.storedKey();
    }

    public SortedSet<String> names() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(entries.keySet()));
    }

    public List<Path> files() {
        return files;
    }

    public Path directory() {
        return dir;
    }

    /** Total number of stored elements. */
    public long parameterCount() {
        long n = 0;
        for (Entry e : entries.values()) n += e.tensor().numel();
        return n;
    }

    /** Total bytes of the stored elements (what packing them in their stored dtype takes). */
    public long storedBytes() {
        long n = 0;
        for (Entry e : entries.values()) n += e.tensor().numel() * e.tensor().dtype().bytes();
        return n;
    }

    String describeFiles() {
        if (files.size() == 1) return files.getFirst().toString();
        return dir + " (" + files.size() + " shards)";
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                mapping.close();
            } catch (Exception e) {
                throw new LlmriException(dir + ": cannot close its weights (" + e.getMessage() + ")");
            }
        }
    }
}
