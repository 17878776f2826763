package org.llmri.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.llmri.LlmriException;
import org.llmri.causal.MaskExport;
import org.llmri.causal.StudyData;
import org.llmri.causal.UnitSet;
import org.llmri.model.LoadedModel;
import org.llmri.model.hub.ModelResolver;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code llmri network}: what to do with a study's networks ({@code export}: fine-tuning masks). */
@Command(name = "network", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A study's networks as fine-tuning targets.", subcommands = {NetworkCommand.Export.class})
public final class NetworkCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "export", mixinStandardHelpOptions = true, showDefaultValues = true, versionProvider = Main.Version.class,
            description = "Write, for each weight matrix that produces or reads the network's units, a boolean mask of those rows and columns "
                    + "(safetensors, dtype BOOL, Hugging Face parameter names).")
    public static final class Export implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "STUDY_DIR", description = "A finished study (scan/ and glm/).")
        Path study;

        @Option(names = "--task", required = true, description = "The task whose network to export.")
        String task;

        @Option(names = "--out", required = true, paramLabel = "FILE.safetensors", description = "The mask file.")
        Path out;

        @Option(names = "--correction", defaultValue = "fwe", description = "Which of the GLM's masks defines the network.")
        String correction;

        @Option(names = "--model", paramLabel = "MODEL", description = "Use this model instead of the one the scan recorded.")
        String model;

        @Override
        public Integer call() {
            StudyData data = StudyData.open(study);
            data.task(task);
            StudyData.Network n = data.network(task, correction);
            if (n.ranked().length == 0) throw new LlmriException("network " + task + " is empty at " + n.threshold() + "; nothing to export");
            var resolved = ModelResolver.fromEnvironment().resolve(model != null ? model : data.model());
            try (LoadedModel m = LoadedModel.open(resolved.dir())) {
                StudyData.Units u = data.units(m.model());
                UnitSet set = UnitSet.of(n.ranked(), u.tapOf(), u.indexOf());
                Map<String, long[]> shapes = new LinkedHashMap<>();
                Map<String, boolean[]> masks = MaskExport.masks(set, m.model(), m.weights(), shapes);
                MaskExport.write(out, masks, shapes, MaskExport.meta(task, n.ranked().length, n.threshold(), m.model().architecture()));
                long marked = 0, total = 0;
                for (boolean[] b : masks.values()) {
                    total += b.length;
                    for (boolean x : b) if (x) marked++;
                }
                spec.commandLine().getOut().printf("wrote %s: network %s (%d units at %s), %d parameters masked, %,d of %,d weights marked%n", out, task,
                        n.ranked().length, n.threshold(), masks.size(), marked, total);
            }
            return 0;
        }
    }
}
