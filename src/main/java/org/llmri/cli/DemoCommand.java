package org.llmri.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.llmri.model.hub.BuiltInModels;
import org.llmri.model.opt.Activation;
import org.llmri.model.opt.OptConfig;
import org.llmri.model.opt.RandomModel;
import org.llmri.model.tokenizer.RandomTokenizer;
import org.llmri.model.weights.DType;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.Study;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code llmri demo}: the paper's paradigm in reading mode on a trained model that ships with llmri
 * (all-MiniLM-L6-v2), end to end, offline; with {@code --random-opt}, the generating paradigm on a small
 * random OPT model, which shows the method on a decoder but whose networks mean nothing.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Run the paper's six tasks end to end, offline: scan, GLM, networks, report. By default the trained "
                + "encoder all-MiniLM-L6-v2 (built in) reads the prompts (fmri-read, 2 runs per task, the residual stream and MLP neurons): a real finding. "
                + "--random-opt instead generates with a small random OPT model that llmri makes itself (galactica-fmri): "
                + "the method on a decoder, whose networks mean nothing.")
public final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", defaultValue = "llmri-demo", description = "Demo folder.")
    Path out;

    @Option(names = "--permutations", defaultValue = "1000", description = "Permutations of every permutation test.")
    int permutations;

    @Option(names = "--random-opt", description = "Generate with a small random OPT model instead (the paper's generating paradigm; plumbing, not science).")
    boolean randomOpt;

    /** Runs per task of the reading demo: two keep repeatability and held-out decoding, and the demo under 2 minutes on 2 cores. */
    static final int READING_RUNS = 2;

    /** Galactica's architecture scaled down: wide enough context for the prompts, small enough for seconds. */
    static OptConfig demoConfig() {
        return new OptConfig(64, 256, 4, 4, 2048, 512, true, 64, true, true, Activation.GELU, false, 0, 1, 2);
    }

    /**
     * The reading demo's taps: the residual stream (embeddings and every layer's output) and the MLP's
     * neurons after GELU, 11,904 of the model's 37,248 units per token; the GLM's permutations cost in
     * proportion to the units, and these two kinds are what the paper's networks are made of.
     */
    static final java.util.List<String> READING_TAPS = java.util.List.of("residual", "encoder.layer.*.intermediate.intermediate_act_fn");

    /** The reading demo's study: fmri-read on the built-in all-MiniLM-L6-v2. */
    static Study readingStudy() {
        return Paradigms.builtin(Paradigms.FMRI_READ).withModel(BuiltInModels.MINILM).withRunsPerTask(READING_RUNS)
                .withTaps(READING_TAPS);
    }

    @Override
    public Integer call() {
        var w = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        if (randomOpt) {
            Path model = out.resolve("model");
            if (!Files.isRegularFile(model.resolve("tokenizer.json"))) {
                RandomModel.write(model, demoConfig(), 1, DType.F32, RandomModel.Format.SAFETENSORS);
                RandomTokenizer.write(model, demoConfig().vocabSize());
                w.println("made a random model (4 layers, hidden 64) in " + model);
            }
            Study study = Paradigms.builtin(Paradigms.GALACTICA_FMRI).withModel(model.toString());
            StudyCommand.run(study, out, org.llmri.glm.GlmOptions.defaults().withPermutations(permutations, 0), permutations, 0, w);
            w.printf("demo finished in %.0f s%n", (System.nanoTime() - t0) / 1e9);
            w.println();
            w.println("Note: this model's weights are random, so its 'networks' mean nothing about any task; the demo shows the method.");
            w.println("For the real subject (needs the Hugging Face Hub or a local copy):");
            w.println("  ./llmri study --paradigm galactica-fmri --model facebook/galactica-125m --out galactica-study");
        } else {
            w.println("subject: all-MiniLM-L6-v2 (trained, built in), reading each prompt; " + READING_RUNS
                    + " runs per task; taps: the residual stream and the MLP neurons after GELU");
            StudyCommand.run(readingStudy(), out, org.llmri.glm.GlmOptions.defaults().withPermutations(permutations, 0), permutations, 0, w);
            w.printf("demo finished in %.0f s%n", (System.nanoTime() - t0) / 1e9);
            w.println();
            w.println("These networks come from a trained model reading the prompts: " + out.resolve("report/report.html"));
            w.println("The whole paradigm (3 runs per task, every tap):");
            w.println("  ./llmri study --paradigm fmri-read --model all-minilm-l6-v2 --out minilm-study");
            w.println("The paper's generating paradigm on a small random decoder (plumbing; its networks mean nothing):");
            w.println("  ./llmri demo --random-opt --out llmri-demo-opt");
        }
        w.flush();
        return 0;
    }
}
