package org.llmri.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
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

/** {@code llmri demo}: the paper's paradigm, end to end, on a small random model made on the spot. */
@Command(name = "demo", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Run the paper's paradigm (galactica-fmri) end to end on a small random OPT model that llmri makes itself, offline: scan, GLM, networks, report. A random model's networks mean nothing; the demo shows the method.")
public final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", defaultValue = "llmri-demo", description = "Demo folder.")
    Path out;

    @Option(names = "--permutations", defaultValue = "1000", description = "Permutations of every permutation test.")
    int permutations;

    /** Galactica's architecture scaled down: wide enough context for the prompts, small enough for seconds. */
    static OptConfig demoConfig() {
        return new OptConfig(64, 256, 4, 4, 2048, 512, true, 64, true, true, Activation.GELU, false, 0, 1, 2);
    }

    @Override
    public Integer call() {
        var w = spec.commandLine().getOut();
        Path model = out.resolve("model");
        if (!Files.isRegularFile(model.resolve("tokenizer.json"))) {
            RandomModel.write(model, demoConfig(), 1, DType.F32, RandomModel.Format.SAFETENSORS);
            RandomTokenizer.write(model, demoConfig().vocabSize());
            w.println("made a random model (4 layers, hidden 64) in " + model);
        }
        Study study = Paradigms.builtin(Paradigms.GALACTICA_FMRI).withModel(model.toString());
        long t0 = System.nanoTime();
        StudyCommand.run(study, out, org.llmri.glm.GlmOptions.defaults().withPermutations(permutations, 0), permutations, 0, w);
        w.printf("demo finished in %.0f s%n", (System.nanoTime() - t0) / 1e9);
        w.println();
        w.println("Note: this model's weights are random, so its 'networks' mean nothing about any task; the demo shows the method.");
        w.println("For the real subject (needs the Hugging Face Hub or a local copy):");
        w.println("  ./llmri study --paradigm galactica-fmri --model facebook/galactica-125m --out galactica-study");
        w.flush();
        return 0;
    }
}
