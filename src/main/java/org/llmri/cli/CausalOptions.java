package org.llmri.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.llmri.causal.CausalRun;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What {@code lesion} and {@code steer} share: the finished study, which network mask, the seed of the random sets, the
 * batch, the model and where the results go. The commands keep their own {@code --random-sets}, whose defaults differ.
 */
final class CausalOptions {
    @Parameters(index = "0", paramLabel = "STUDY_DIR", description = "A finished study (scan/ and glm/).")
    Path study;

    @Option(names = "--correction", defaultValue = "fwe", description = "Which of the GLM's masks defines a network: fwe, fdr, bonferroni, uncorrected.")
    String correction;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the random sets.")
    long seed;

    @Option(names = "--batch-size", defaultValue = "16", description = "Held-out texts per forward pass.")
    int batch;

    @Option(names = "--model", paramLabel = "MODEL", description = "Use this model instead of the one the scan recorded.")
    String model;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default STUDY_DIR/causal).")
    Path out;

    /** Runs {@code body} while this command holds the study folder (and {@code --out} when it lies outside it). */
    int holding(String command, Callable<Integer> body) throws Exception {
        return CausalRun.holdingStudy(study, out, command, body);
    }

    /** The output folder, created; only called once the study and its network have been checked. */
    Path outDir() throws IOException {
        return Files.createDirectories(out != null ? out : study.resolve("causal"));
    }
}
