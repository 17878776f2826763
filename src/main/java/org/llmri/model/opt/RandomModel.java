package org.llmri.model.opt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;
import org.llmri.LlmriException;
import org.llmri.model.weights.DType;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Safetensors;
import org.llmri.model.weights.Tensor;
import org.llmri.model.weights.TensorSpec;
import org.llmri.model.weights.TorchCheckpointWriter;

/**
 * Writes a deterministic random OPT model in the Hugging Face layout: {@code config.json} plus
 * {@code model.safetensors} or {@code pytorch_model.bin}, keys as transformers saves them ("model.decoder...."),
 * no lm_head.weight (tied). The same config, seed and dtype give byte-identical files on every platform:
 * each tensor draws from its own {@link SplittableRandom}, seeded from the model seed's stream in a fixed order, normals come
 * from the polar Box–Muller method with {@link StrictMath#log}, and values are rounded to the stored type.
 * Standard deviations follow opt_ref.py: embeddings and positions 0.05; q/k/v/out weights 0.08, biases 0.05;
 * LayerNorm weights 1 + N(0, 0.1), biases N(0, 0.1); fc1 0.05/0.05; fc2 0.03/0.05.
 */
public final class RandomModel {
    public enum Format { SAFETENSORS, BIN }

    private RandomModel() {}

    /** A tensor's recipe: mean + std × N(0, 1) per element. */
    private record Recipe(String name, long[] shape, double mean, double std) {}

    public static void write(Path dir, OptConfig config, long seed, DType dtype, Format format) {
        write(dir, config, seed, dtype, format, bytes -> {});
    }

    /**
     * Writes the model, reporting the weight bytes written so far to {@code progress} (the total is
     * {@link #weightBytes}). The weights file and config.json are each written under a temporary name and
     * renamed, weights first, so an interrupted run leaves no loadable-looking folder.
     */
    public static void write(Path dir, OptConfig config, long seed, DType dtype, Format format, LongConsumer progress) {
        write(dir, config, seed, dtype, format, MAX_SHARD_BYTES, progress);
    }

    /**
     * Weights above this size are written in shards with an index, as Hugging Face's {@code save_pretrained} does
     * ({@code model-00001-of-00002.safetensors} + {@code model.safetensors.index.json}, or
     * {@code pytorch_model-00001-of-00002.bin} + {@code pytorch_model.bin.index.json}); a shard holds whole
     * tensors, at most this many bytes unless one tensor alone is larger. 2 GB: galactica-1.3b in f16 (2.6 GB)
     * becomes two shards, galactica-6.7b (13.4 GB) seven.
     */
    public static final long MAX_SHARD_BYTES = 2_000_000_000L;

    /** As {@link #write(Path, OptConfig, long, DType, Format, LongConsumer)} with the shard size chosen. */
    public static void write(Path dir, OptConfig config, long seed, DType dtype, Format format, long maxShardBytes, LongConsumer progress) {
        boolean sharded = weightBytes(config, dtype) > maxShardBytes;
        String target = format == Format.SAFETENSORS ? (sharded ? ModelWeights.SAFETENSORS_INDEX : ModelWeights.SAFETENSORS)
                : (sharded ? ModelWeights.PYTORCH_BIN_INDEX : ModelWeights.PYTORCH_BIN);
        for (String other : List.of(ModelWeights.SAFETENSORS, ModelWeights.SAFETENSORS_INDEX, ModelWeights.PYTORCH_BIN,
                ModelWeights.PYTORCH_BIN_INDEX)) {
            if (!other.equals(target) && Files.exists(dir.resolve(other))) {
                throw new LlmriException(dir + " already holds " + other + "; write the " + target + " model to another folder");
            }
        }
        List<Recipe> recipes = recipes(config);
        // Seed every tensor's stream before writing: the writers visit tensors in other orders (safetensors sorts them).
        SplittableRandom root = new SplittableRandom(seed);
        long[] done = {0};
        List<TensorSpec> specs = new ArrayList<>();
        for (Recipe r : recipes) {
            long tensorSeed = root.nextLong();
            specs.add(new TensorSpec(r.name(), dtype, r.shape(), out -> {
                fill(r, new SplittableRandom(tensorSeed), dtype, out, n -> {
                    done[0] += n;
                    progress.accept(done[0]);
                });
            }));
        }
        if (sharded) {
            writeShards(dir, specs, format, maxShardBytes);
        } else if (format == Format.SAFETENSORS) {
            Safetensors.write(dir.resolve(target), specs, java.util.Map.of("format", "pt"));
        } else {
            TorchCheckpointWriter.write(dir.resolve(target), specs);
        }
        config.write(dir.resolve("config.json"), dtype);
    }

    /** Whole tensors in order into shards of at most {@code maxBytes}, each written atomically, then the index. */
    private static void writeShards(Path dir, List<TensorSpec> specs, Format format, long maxBytes) {
        List<List<TensorSpec>> shards = new ArrayList<>();
        long size = 0, total = 0;
        for (TensorSpec t : specs) {
            long bytes = Tensor.numelOf(t.shape()) * t.dtype().bytes();
            if (shards.isEmpty() || (size + bytes > maxBytes && size > 0)) {
                shards.add(new ArrayList<>());
                size = 0;
            }
            shards.getLast().add(t);
            size += bytes;
            total += bytes;
        }
        java.util.Map<String, String> weightMap = new java.util.TreeMap<>();
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format(java.util.Locale.ROOT, format == Format.SAFETENSORS ? "model-%05d-of-%05d.safetensors"
                    : "pytorch_model-%05d-of-%05d.bin", i + 1, shards.size());
            if (format == Format.SAFETENSORS) Safetensors.write(dir.resolve(name), shards.get(i), java.util.Map.of("format", "pt"));
            else TorchCheckpointWriter.write(dir.resolve(name), shards.get(i));
            for (TensorSpec t : shards.get(i)) weightMap.put(t.name(), name);
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var index = json.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        var map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        String indexName = format == Format.SAFETENSORS ? ModelWeights.SAFETENSORS_INDEX : ModelWeights.PYTORCH_BIN_INDEX;
        try {
            org.llmri.io.AtomicFile.writeString(dir.resolve(indexName), json.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Bytes of weights the model will have in {@code dtype}. */
    public static long weightBytes(OptConfig config, DType dtype) {
        long n = 0;
        for (Recipe r : recipes(config)) n += Tensor.numelOf(r.shape());
        return n * dtype.bytes();
    }

    /** Tensors in opt_ref.py's order (the order each tensor's random stream is split off). */
    private static List<Recipe> recipes(OptConfig c) {
        long h = c.hiddenSize(), f = c.ffnDim(), p = c.wordEmbedProjDim();
        List<Recipe> r = new ArrayList<>();
        r.add(new Recipe("model.decoder.embed_tokens.weight", new long[] {c.vocabSize(), p}, 0, 0.05));
        r.add(new Recipe("model.decoder.embed_positions.weight", new long[] {c.positionTableRows(), h}, 0, 0.05));
        if (c.hasFinalLayerNorm() && c.layerNormElementwiseAffine()) {
            r.add(new Recipe("model.decoder.final_layer_norm.weight", new long[] {h}, 1, 0.1));
            r.add(new Recipe("model.decoder.final_layer_norm.bias", new long[] {h}, 0, 0.1));
        }
        if (c.hasProjections()) {
            r.add(new Recipe("model.decoder.project_in.weight", new long[] {h, p}, 0, 0.05));
            r.add(new Recipe("model.decoder.project_out.weight", new long[] {p, h}, 0, 0.05));
        }
        for (int i = 0; i < c.numLayers(); i++) {
            String l = "model.decoder.layers." + i + ".";
            for (String proj : List.of("k_proj", "v_proj", "q_proj", "out_proj")) {
                r.add(new Recipe(l + "self_attn." + proj + ".weight", new long[] {h, h}, 0, 0.08));
                if (c.enableBias()) r.add(new Recipe(l + "self_attn." + proj + ".bias", new long[] {h}, 0, 0.05));
            }
            if (c.layerNormElementwiseAffine()) {
                r.add(new Recipe(l + "self_attn_layer_norm.weight", new long[] {h}, 1, 0.1));
                r.add(new Recipe(l + "self_attn_layer_norm.bias", new long[] {h}, 0, 0.1));
            }
            r.add(new Recipe(l + "fc1.weight", new long[] {f, h}, 0, 0.05));
            if (c.enableBias()) r.add(new Recipe(l + "fc1.bias", new long[] {f}, 0, 0.05));
            r.add(new Recipe(l + "fc2.weight", new long[] {h, f}, 0, 0.03));
            if (c.enableBias()) r.add(new Recipe(l + "fc2.bias", new long[] {h}, 0, 0.05));
            if (c.layerNormElementwiseAffine()) {
                r.add(new Recipe(l + "final_layer_norm.weight", new long[] {h}, 1, 0.1));
                r.add(new Recipe(l + "final_layer_norm.bias", new long[] {h}, 0, 0.1));
            }
        }
        return r;
    }

    private static void fill(Recipe r, SplittableRandom rng, DType dtype, WritableByteChannel out, LongConsumer wrote)
            throws IOException {
        Normals normals = new Normals(rng);
        long remaining = Tensor.numelOf(r.shape());
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        while (remaining > 0) {
            buf.clear();
            int n = (int) Math.min(remaining, buf.capacity() / dtype.bytes());
            for (int i = 0; i < n; i++) {
                float v = (float) (r.mean() + r.std() * normals.next());
                switch (dtype) {
                    case F32 -> buf.putFloat(v);
                    case F16 -> buf.putShort(Float.floatToFloat16(v));
                    case BF16 -> buf.putShort(DType.floatToBf16(v));
                }
            }
            buf.flip();
            int bytes = buf.remaining();
            while (buf.hasRemaining()) out.write(buf);
            remaining -= n;
            wrote.accept(bytes);
        }
    }

    /** Standard normals by Marsaglia's polar method: two per accepted pair, reproducible with StrictMath. */
    static final class Normals {
        private final SplittableRandom rng;
        private double spare;
        private boolean hasSpare;

        Normals(SplittableRandom rng) {
            this.rng = rng;
        }

        double next() {
            if (hasSpare) {
                hasSpare = false;
                return spare;
            }
            double u, v, s;
            do {
                u = 2 * rng.nextDouble() - 1;
                v = 2 * rng.nextDouble() - 1;
                s = u * u + v * v;
            } while (s >= 1 || s == 0);
            double m = Math.sqrt(-2 * StrictMath.log(s) / s);
            spare = v * m;
            hasSpare = true;
            return u * m;
        }
    }
}
