package org.llmri.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.llmri.LlmriException;
import org.llmri.model.opt.OptConfig;
import org.llmri.model.opt.OptWeights;
import org.llmri.model.opt.RandomModel;
import org.llmri.model.tokenizer.RandomTokenizer;
import org.llmri.model.weights.DType;
import org.llmri.model.weights.ModelWeights;
import org.llmri.model.weights.Sha256;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code llmri model}: make random models and inspect model folders. */
@Command(name = "model", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Make random OPT models and inspect model folders (Hugging Face layout).",
        subcommands = {ModelCommand.Random.class, ModelCommand.Info.class})
public final class ModelCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code llmri model random}: a deterministic random model with a preset's shapes. */
    @Command(name = "random", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = "Write a deterministic random model (config.json, weights, tokenizer.json) in the Hugging Face layout.")
    static final class Random implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--preset", defaultValue = "tiny", description = "Shapes: OPT galactica-125m, galactica-1.3b, galactica-6.7b "
                + "(exact configs; above 2 GB written as sharded safetensors with model.safetensors.index.json) or tiny; GPT-2 gpt2 or "
                + "gpt2-tiny; GPT-NeoX pythia-160m, neox-tiny or neox-tiny-seq; Llama llama-tiny-stories, llama-tiny or llama-tiny-tied.")
        String preset;

        @Option(names = "--seed", defaultValue = "0", description = "Random seed; the same seed gives identical files.")
        long seed;

        @Option(names = "--dtype", defaultValue = "f32", description = "Stored type: f32, f16 or bf16.")
        String dtype;

        @Option(names = "--format", defaultValue = "safetensors",
                description = "Weights file: safetensors (model.safetensors) or bin (pytorch_model.bin).")
        String format;

        @Option(names = "--out", required = true, description = "Output folder (created if missing).")
        Path out;

        @Override
        public Integer call() {
            DType type = DType.parse(dtype);
            RandomModel.Format fmt = switch (format.toLowerCase(Locale.ROOT)) {
                case "safetensors" -> RandomModel.Format.SAFETENSORS;
                case "bin", "pytorch" -> RandomModel.Format.BIN;
                default -> throw new LlmriException("--format '" + format + "' is not one of safetensors, bin");
            };
            if (org.llmri.model.RandomPresets.has(preset)) {
                long bytes = org.llmri.model.RandomPresets.weightBytes(preset, type);
                boolean big = bytes >= 10_000_000;
                try (ProgressBar bar = Progress.bar("weights", bytes, big ? "MB" : "kB", big ? 1_000_000 : 1_000)) {
                    org.llmri.model.RandomPresets.write(out, preset, seed, type, fmt == RandomModel.Format.SAFETENSORS
                            ? org.llmri.model.run.RandomWeights.Format.SAFETENSORS : org.llmri.model.run.RandomWeights.Format.BIN, bar::stepTo);
                }
                spec.commandLine().getOut().printf("wrote %s: %s preset, seed %d, %s, %s, tokenizer.json%n", out, preset, seed, type,
                        fmt == RandomModel.Format.SAFETENSORS ? ModelWeights.SAFETENSORS : ModelWeights.PYTORCH_BIN);
                return 0;
            }
            OptConfig config = OptConfig.preset(preset);
            long total = RandomModel.weightBytes(config, type);
            boolean mb = total >= 10_000_000;
            try (ProgressBar bar = Progress.bar("weights", total, mb ? "MB" : "kB", mb ? 1_000_000 : 1_000)) {
                RandomModel.write(out, config, seed, type, fmt, bar::stepTo);
            }
            RandomTokenizer.write(out, config.vocabSize());
            spec.commandLine().getOut().printf("wrote %s: %s preset, seed %d, %s, %s, tokenizer.json%n", out, preset, seed, type,
                    fmt == RandomModel.Format.SAFETENSORS ? ModelWeights.SAFETENSORS : ModelWeights.PYTORCH_BIN);
            return 0;
        }
    }

    /** {@code llmri model info}: what a model folder holds, after checking every shape. */
    @Command(name = "info", mixinStandardHelpOptions = true, showDefaultValues = true,
            description = "Print a model folder's config, weight files, dtypes and parameter count (checks all shapes).")
    static final class Info implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Option(names = "--model", required = true,
                description = "Model folder with config.json and weights, a built-in model (all-minilm-l6-v2) or a Hugging Face repo id.")
        Path model;

        @Option(names = "--checksum", defaultValue = "false", description = "Also print the SHA-256 of the weights.")
        boolean checksum;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Path model = Files.isDirectory(this.model) ? this.model : Models.resolve(this.model.toString()).dir();
            if (!org.llmri.model.Architectures.modelTypeOf(model.resolve("config.json")).equals("opt")) {
                familyInfo(out, model);
                return 0;
            }
            OptConfig c = OptConfig.read(model.resolve("config.json"));
            try (ModelWeights w = ModelWeights.open(model)) {
                OptWeights bound = OptWeights.bind(c, w);
                out.printf("model       %s%n", model);
                out.printf("shape       hidden %d, ffn %d, %d layers, %d heads (head dim %d), vocab %d, %d positions%n",
                        c.hiddenSize(), c.ffnDim(), c.numLayers(), c.numHeads(), c.headDim(), c.vocabSize(),
                        c.maxPositionEmbeddings());
                out.printf("layout      %s, %s, %s, %s, %s%s%n",
                        c.doLayerNormBefore() ? "pre-LayerNorm" : "post-LayerNorm", c.activation().hfName(),
                        c.enableBias() ? "biases" : "no biases",
                        c.hasFinalLayerNorm() ? "final LayerNorm" : "no final LayerNorm",
                        bound.tiedLmHead() ? "lm_head tied to embed_tokens" : "separate lm_head",
                        c.hasProjections() ? ", word embeddings " + c.wordEmbedProjDim() + " wide with projections" : "");
                out.printf("tokens      bos %d, pad %d, eos %d%n", c.bosTokenId(), c.padTokenId(), c.eosTokenId());
                for (Path f : w.files()) {
                    out.printf("file        %s (%s)%n", f.getFileName(), humanBytes(size(f)));
                }
                Map<DType, Integer> byType = new TreeMap<>();
                for (String name : w.names()) byType.merge(w.get(name).dtype(), 1, Integer::sum);
                StringBuilder types = new StringBuilder();
                byType.forEach((t, n) -> types.append(types.isEmpty() ? "" : ", ").append(t).append(" (")
                        .append(n).append(n == 1 ? " tensor)" : " tensors)"));
                out.printf("dtype       %s%n", types);
                out.printf("parameters  %,d%n", w.parameterCount());
                if (checksum) out.printf("sha256      %s%n", Sha256.ofFiles(w.files()));
            }
            return 0;
        }

        /** Any other registered architecture (today BERT encoders), described through the model contract. */
        private void familyInfo(PrintWriter out, Path dir) {
            try (org.llmri.model.LoadedModel lm = org.llmri.model.LoadedModel.open(dir)) {
                var m = lm.model();
                ModelWeights w = lm.weights();
                out.printf("model       %s%n", dir);
                out.printf("family      %s (model_type %s, %s)%n", m.canGenerate() ? "decoder" : "encoder: reads, never generates",
                        lm.modelType(), m.architecture());
                if (m instanceof org.llmri.model.bert.BertModel b) {
                    var c = b.config();
                    out.printf("shape       hidden %d, intermediate %d, %d layers, %d heads (head dim %d), vocab %d, %d positions, %d token types%n",
                            c.hiddenSize(), c.intermediateSize(), c.numLayers(), c.numHeads(), c.headDim(), c.vocabSize(),
                            c.maxPositionEmbeddings(), c.typeVocabSize());
                    out.printf("layout      post-LayerNorm (eps %s), %s, absolute positions%n", c.layerNormEps(), c.hiddenAct().hfName());
                    out.printf("tokens      pad %d%n", c.padTokenId());
                } else {
                    out.printf("shape       hidden %d, %d layers, vocab %d, %d positions%n", m.hiddenSize(), m.numLayers(),
                            m.vocabSize(), m.maxPositions());
                }
                for (Path f : w.files()) out.printf("file        %s (%s)%n", dir.relativize(f), humanBytes(size(f)));
                Map<DType, Integer> byType = new TreeMap<>();
                for (String name : w.names()) byType.merge(w.get(name).dtype(), 1, Integer::sum);
                out.printf("dtype       %s%n", String.join(", ", byType.keySet().stream().map(Object::toString).toList()));
                long params = 0;
                for (String name : w.names()) {
                    if (!name.startsWith("pooler.") && !name.startsWith("cls.")) params += w.get(name).numel();
                }
                out.printf("parameters  %,d%n", params);
                out.printf("taps        %d (%,d units per token)%n", m.taps().size(), m.taps().stream().mapToLong(t -> t.width()).sum());
                if (checksum) out.printf("sha256      %s%n", Sha256.ofFiles(w.files()));
            }
        }

        private static long size(Path f) {
            try {
                return Files.size(f);
            } catch (IOException e) {
                throw new LlmriException(f + ": cannot read (" + org.llmri.io.AtomicFile.describe(e) + ")");
            }
        }

        static String humanBytes(long n) {
            if (n < 1_000_000) return String.format(Locale.ROOT, "%.1f kB", n / 1e3);
            if (n < 1_000_000_000) return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
            return String.format(Locale.ROOT, "%.2f GB", n / 1e9);
        }
    }
}
