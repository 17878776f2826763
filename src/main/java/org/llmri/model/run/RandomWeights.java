package org.llmri.model.run;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Writes deterministic random weights and a config.json in the Hugging Face layout for any family: each
 * tensor is mean + std x N(0, 1) from its own {@link SplittableRandom} (split off the model seed in the
 * recipes' order), normals by the polar method with {@link StrictMath#log}, rounded to the stored type.
 * The same recipes, seed and dtype give byte-identical files. Weights first, then config.json, each under a
 * temporary name and renamed, so an interrupted run leaves no loadable-looking folder.
 */
public final class RandomWeights {
    private RandomWeights() {}

    public enum Format { SAFETENSORS, BIN }

    /** One tensor: its stored key, shape, and the mean and standard deviation of its values. */
    public record Recipe(String name, long[] shape, double mean, double std) {}

    public static long bytes(List<Recipe> recipes, DType dtype) {
        long n = 0;
        for (Recipe r : recipes) n += Tensor.numelOf(r.shape());
        return n * dtype.bytes();
    }

    public static void write(Path dir, List<Recipe> recipes, Map<String, Object> config, long seed, DType dtype, Format format,
                             LongConsumer progress) {
        String target = format == Format.SAFETENSORS ? ModelWeights.SAFETENSORS : ModelWeights.PYTORCH_BIN;
        for (String other : List.of(ModelWeights.SAFETENSORS, ModelWeights.SAFETENSORS_INDEX, ModelWeights.PYTORCH_BIN,
                ModelWeights.PYTORCH_BIN_INDEX)) {
            if (!other.equals(target) && Files.exists(dir.resolve(other))) {
                throw new LlmriException(dir + " already holds " + other + "; write the " + target + " model to another folder");
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new LlmriException(dir + ": cannot create (" + e.getMessage() + ")");
        }
        SplittableRandom root = new SplittableRandom(seed);
        long[] done = {0};
        List<TensorSpec> specs = new ArrayList<>();
        for (Recipe r : recipes) {
            long tensorSeed = root.nextLong();
            specs.add(new TensorSpec(r.name(), dtype, r.shape(), out -> fill(r, new SplittableRandom(tensorSeed), dtype, out, n -> {
                done[0] += n;
                progress.accept(done[0]);
            })));
        }
        if (format == Format.SAFETENSORS) {
            Safetensors.write(dir.resolve(target), specs, Map.of("format", "pt"));
        } else {
            TorchCheckpointWriter.write(dir.resolve(target), specs);
        }
        ConfigJson.write(dir.resolve("config.json"), config);
    }

    private static void fill(Recipe r, SplittableRandom rng, DType dtype, WritableByteChannel out, LongConsumer wrote)
            throws IOException {
        double spare = 0;
        boolean hasSpare = false;
        long remaining = Tensor.numelOf(r.shape());
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        while (remaining > 0) {
            buf.clear();
            int n = (int) Math.min(remaining, buf.capacity() / dtype.bytes());
            for (int i = 0; i < n; i++) {
                double z;
                if (hasSpare) {
                    z = spare;
                    hasSpare = false;
                } else {
                    double u, v, s;
                    do {
                        u = 2 * rng.nextDouble() - 1;
                        v = 2 * rng.nextDouble() - 1;
                        s = u * u + v * v;
                    } while (s >= 1 || s == 0);
                    double m = Math.sqrt(-2 * StrictMath.log(s) / s);
                    spare = v * m;
                    hasSpare = true;
                    z = u * m;
                }
                float val = (float) (r.mean() + r.std() * z);
                switch (dtype) {
                    case F32 -> buf.putFloat(val);
                    case F16 -> buf.putShort(Float.floatToFloat16(val));
                    case BF16 -> buf.putShort(DType.floatToBf16(val));
                }
            }
            buf.flip();
            int bytes = buf.remaining();
            while (buf.hasRemaining()) out.write(buf);
            remaining -= n;
            wrote.accept(bytes);
        }
    }
}
